package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeGH is a stand-in for gh: `gh api PATH --paginate --jq FILTER` runs
// jq over the comments in $FAKE_COMMENTS (as one page); a POST or PATCH is
// logged to $FAKE_LOG with the body it would send; anything else fails.
const fakeGH = `#!/usr/bin/env bash
set -euo pipefail
[ "$1" = api ] || { echo "fake gh: unexpected $*" >&2; exit 3; }
shift
method=GET path="" jqf="" body=""
while [ $# -gt 0 ]; do
  case "$1" in
    -X) method=$2; shift 2 ;;
    --paginate) shift ;;
    --jq) jqf=$2; shift 2 ;;
    -F) body=${2#body=@}; shift 2 ;;
    *) path=$1; shift ;;
  esac
done
echo "$method $path token=${GH_TOKEN:+set}" >> "$FAKE_LOG"
if [ "$method" = GET ]; then
  jq -r "$jqf" "$FAKE_COMMENTS"
else
  echo "body: $(head -n 1 "$body")" >> "$FAKE_LOG"
  echo '{"id": 1, "token_echo": "'"$GH_TOKEN"'"}'
fi
`

// TestGitHubActionsStickyComment runs the example's sticky-comment.sh with
// a fake gh: it edits the last mynthform comment of github-actions[bot]
// and posts a new one only when there is none, skips an empty body, and
// prints no token (not even one the API echoes).
func TestGitHubActionsStickyComment(t *testing.T) {
	for _, tool := range []string{"bash", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s", tool)
		}
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "examples", "github-actions", "sticky-comment.sh"))
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "gh"), []byte(fakeGH), 0o755); err != nil {
		t.Fatal(err)
	}
	const token = "ghs_CANARY_sticky_4b1d"
	tests := map[string]struct {
		comments string
		body     string
		want     []string
		wantOut  string
	}{
		"no comment yet: post": {
			comments: `[{"id": 5, "user": {"login": "someone"}, "body": "**mynthform** is great"}]`,
			body:     "❌ **mynthform plan failed**: 1 failing task\n\nmore",
			want:     []string{"GET repos/o/r/issues/7/comments token=set", "POST repos/o/r/issues/7/comments token=set", "body: ❌ **mynthform plan failed**: 1 failing task"},
			wantOut:  "Posted the mynthform comment on pull request #7.",
		},
		"edit the last of ours": {
			comments: `[{"id": 11, "user": {"login": "github-actions[bot]"}, "body": "✅ **mynthform plan passed**: old"},
				{"id": 12, "user": {"login": "github-actions[bot]"}, "body": "Some other bot text"},
				{"id": 13, "user": {"login": "github-actions[bot]"}, "body": "**mynthform: compared with the base branch**: old"},
				{"id": 14, "user": {"login": "someone"}, "body": "❌ **mynthform plan failed**: quoted by a person"}]`,
			body:    "**mynthform: compared with the base branch**: new",
			want:    []string{"GET repos/o/r/issues/7/comments token=set", "PATCH repos/o/r/issues/comments/13 token=set", "body: **mynthform: compared with the base branch**: new"},
			wantOut: "Updated the mynthform comment 13 on pull request #7.",
		},
		"empty body: nothing": {
			comments: `[]`,
			body:     "",
			want:     nil,
			wantOut:  "No comment to post",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			comments := filepath.Join(dir, "comments.json")
			bodyFile := filepath.Join(dir, "comment.md")
			logFile := filepath.Join(dir, "log")
			for path, data := range map[string]string{comments: tc.comments, bodyFile: tc.body, logFile: ""} {
				if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command("bash", script, bodyFile)
			cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
				"GH_TOKEN="+token, "GITHUB_REPOSITORY=o/r", "PR=7", "FAKE_COMMENTS="+comments, "FAKE_LOG="+logFile)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if strings.Contains(string(out), token) {
				t.Errorf("the output holds the token:\n%s", out)
			}
			if !strings.Contains(string(out), tc.wantOut) {
				t.Errorf("output %q, want %q", out, tc.wantOut)
			}
			logged, err := os.ReadFile(logFile)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			if s := strings.TrimSpace(string(logged)); s != "" {
				got = strings.Split(s, "\n")
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestGitHubActionsWorkflowKeepsSecretsInEnv reads the example workflow:
// the API key and the token appear only as env values, never in a command
// line, and no step turns on shell tracing.
func TestGitHubActionsWorkflowKeepsSecretsInEnv(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "github-actions", "workflow.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(data), "\n") {
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "#") {
			continue
		}
		if strings.Contains(trim, "set -x") || strings.Contains(trim, "ACTIONS_STEP_DEBUG") {
			t.Errorf("line %d traces the shell: %s", i+1, trim)
		}
		for _, secret := range []string{"secrets.", "github.token", "GH_TOKEN", "MYNTH_API_KEY"} {
			if !strings.Contains(trim, secret) {
				continue
			}
			if !strings.HasPrefix(trim, "GH_TOKEN: ${{") && !strings.HasPrefix(trim, "MYNTH_API_KEY: ${{") {
				t.Errorf("line %d uses %s outside an env value: %s", i+1, secret, trim)
			}
		}
	}
	for _, want := range []string{"report --compare-to", "sticky-comment.sh", "apply --auto-approve", "pull_request:", "push:"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("the workflow lacks %q", want)
		}
	}
}
