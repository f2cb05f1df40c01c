package main

import (
	"encoding/base64"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// workflowStep is one step of a job of the example workflow: its name and
// its run script ("" for a step that uses an action).
type workflowStep struct {
	name, run string
}

// workflowSteps reads the steps of job in the example workflow. It knows
// just the YAML the file uses: "- name:" items and "run:" as one line or
// as a "|" block.
func workflowSteps(t *testing.T, data, job string) []workflowStep {
	t.Helper()
	lines := strings.Split(data, "\n")
	var steps []workflowStep
	in := false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		trim := strings.TrimSpace(l)
		indent := len(l) - len(strings.TrimLeft(l, " "))
		if indent == 2 && strings.HasSuffix(trim, ":") {
			in = trim == job+":"
			continue
		}
		if !in {
			continue
		}
		if name, ok := strings.CutPrefix(trim, "- name: "); ok {
			steps = append(steps, workflowStep{name: name})
			continue
		}
		run, ok := strings.CutPrefix(trim, "run: ")
		if !ok || len(steps) == 0 {
			continue
		}
		if run != "|" {
			steps[len(steps)-1].run = run
			continue
		}
		var block []string
		cut := -1
		for i+1 < len(lines) {
			next := lines[i+1]
			ni := len(next) - len(strings.TrimLeft(next, " "))
			if strings.TrimSpace(next) != "" && ni <= indent {
				break
			}
			i++
			if cut < 0 && strings.TrimSpace(next) != "" {
				cut = ni
			}
			if len(next) >= cut && cut >= 0 {
				next = next[cut:]
			}
			block = append(block, next)
		}
		steps[len(steps)-1].run = strings.Join(block, "\n")
	}
	if len(steps) == 0 {
		t.Fatalf("no steps of job %s in the workflow", job)
	}
	return steps
}

// TestGitHubActionsWorkflowE2E runs the example workflow's two jobs step
// by step as the runner would (bash -eo pipefail, the job's env), the
// install and the actions left out: the real binary against the emulator
// with a canary API key, real git (a bare origin), the example's
// sticky-comment.sh with a fake gh and a canary token.
//
// main holds the base spec (the hero on a wooden table, a winter card),
// applied and committed. On the pull request (the example's spec) every
// step passes, the gate with exit 2; the one comment posted is the verdict
// line and the comparison with origin/main's state (2 added, 1 replaced,
// 1 removed), whose HTML embeds the base's images from origin/main's files. After the merge the apply job generates and pushes the state
// and the images to origin. Neither secret is in any step's output, in any
// file the jobs or the branch wrote, or in the comment.
func TestGitHubActionsWorkflowE2E(t *testing.T) {
	for _, tool := range []string{"bash", "jq", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s", tool)
		}
	}
	const (
		apiKey  = "mak_CANARY_workflow_9f3e"
		ghToken = "ghs_CANARY_workflow_77c1"
		specDir = "examples/github-actions"
	)
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	root := t.TempDir()
	origin, repo := filepath.Join(root, "origin.git"), filepath.Join(root, "repo")
	dir := filepath.Join(repo, filepath.FromSlash(specDir))
	copyDir(t, filepath.Join("..", "..", "examples", "github-actions"), dir)
	for _, junk := range []string{".mynthform", "assets", "mynth.state.json", "mynth.state.json.backup", "report.html", "compare.md", "compare.html"} {
		os.RemoveAll(filepath.Join(dir, junk))
	}
	gitEnv := []string{"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1"}
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), gitEnv...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	spec := filepath.Join(dir, "main.mynth.hcl")
	prSpec, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	baseSpec := strings.NewReplacer("on a linen tablecloth", "on a wooden table",
		`    spring = "cherry blossoms over a quiet canal"`+"\n"+`    autumn = "a maple forest in warm orange light"`,
		`    winter = "a snowy village at dusk"`).Replace(string(prSpec))
	if !strings.Contains(baseSpec, "winter") || strings.Contains(baseSpec, "linen") {
		t.Fatal("the example's spec changed; update this test's base spec")
	}
	env := []string{"MYNTH_BASE_URL=" + srv.URL, "MYNTH_API_KEY=" + apiKey}

	// main: the base spec, applied, its state and images committed (the
	// example's .gitignore ignores them for local runs, as a user's may).
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	git("init", "-q", "--bare", origin)
	git("init", "-q", "-b", "main")
	git("remote", "add", "origin", origin)
	writeFile(t, spec, []byte(baseSpec))
	mustCode(t, runBin(t, dir, env, "apply", "--auto-approve"), exitOK, "apply on main")
	git("add", "-f", ".")
	git("commit", "-q", "-m", "main")
	git("push", "-q", "-u", "origin", "main")
	// The pull request: the example's spec, and the removed winter card's
	// image deleted with it.
	git("checkout", "-q", "-b", "pr")
	writeFile(t, spec, prSpec)
	git("rm", "-q", specDir+"/assets/cards/winter.png")
	git("commit", "-q", "-am", "pr")

	// The runner: mynthform on PATH (for the install step), a fake gh.
	tools := t.TempDir()
	if err := os.Symlink(binPath, filepath.Join(tools, "mynthform")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(tools, "gh"), []byte(fakeGH))
	if err := os.Chmod(filepath.Join(tools, "gh"), 0o755); err != nil {
		t.Fatal(err)
	}
	runner := filepath.Join(root, "runner")
	temp := filepath.Join(runner, "temp")
	if err := os.MkdirAll(temp, 0o755); err != nil {
		t.Fatal(err)
	}
	summary := filepath.Join(runner, "summary.md")
	comments := filepath.Join(runner, "comments.json")
	ghLog := filepath.Join(runner, "gh.log")
	writeFile(t, comments, []byte(`[{"id": 5, "user": {"login": "someone"}, "body": "**mynthform** looks fine to me"}]`))
	jobEnv := append(append(env, gitEnv...),
		"HOME="+root, "PATH="+tools+string(os.PathListSeparator)+os.Getenv("PATH"), "NO_COLOR=1",
		"SPEC_DIR="+specDir, "GITHUB_ACTIONS=true", "GITHUB_WORKSPACE="+repo, "GITHUB_STEP_SUMMARY="+summary,
		"GITHUB_REPOSITORY=o/r", "RUNNER_TEMP="+temp, "BASE_REF=main", "PR=7", "GH_TOKEN="+ghToken,
		"FAKE_COMMENTS="+comments, "FAKE_LOG="+ghLog)
	workflow, err := os.ReadFile(filepath.Join(dir, "workflow.yml"))
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{}
	runJob := func(job string, want int) {
		t.Helper()
		ran := 0
		for _, st := range workflowSteps(t, string(workflow), job) {
			if st.run == "" || strings.HasPrefix(st.name, "Install mynthform") {
				continue
			}
			ran++
			cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", st.run)
			cmd.Dir = repo
			cmd.Env = jobEnv
			out, err := cmd.CombinedOutput()
			outputs[job+": "+st.name] = string(out)
			if err != nil {
				t.Fatalf("job %s, step %q: %v\n%s", job, st.name, err, out)
			}
		}
		if ran != want {
			t.Fatalf("ran %d steps of job %s, want %d", ran, job, want)
		}
	}

	runJob("plan", 4) // validate, the gate, the reports, the comment
	logged, err := os.ReadFile(ghLog)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(logged), "POST repos/o/r/issues/7/comments token=set"); got != 1 {
		t.Errorf("%d comments posted, want 1:\n%s", got, logged)
	}
	comment, err := os.ReadFile(filepath.Join(temp, "mynthform", "comment.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"✅ **mynthform plan passed**",
		"**mynthform: compared with the base branch**: 2 added, 1 replaced, 1 removed, 0 unchanged.",
		"| `task.hero` | replaced | <img src=\"" + srv.URL + "/images/", "~~wooden table~~ **linen tablecloth**",
		"| `task.card[\"winter\"]` | removed |"} {
		if !strings.Contains(string(comment), want) {
			t.Errorf("the comment lacks %q:\n%.3000s", want, comment)
		}
	}

	// The HTML comparison shows the base's images, the after side being
	// all "to generate": the hero on a wooden table (its file is still the
	// base's on the branch) and the winter card, whose file the branch
	// deleted, from the base branch's files (git archive of origin/main,
	// --compare-files).
	compareHTML, err := os.ReadFile(filepath.Join(temp, "mynthform", "compare.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"assets/hero.png", "assets/cards/winter.png"} {
		data, err := os.ReadFile(filepath.Join(temp, "mynthform", "base", filepath.FromSlash(specDir), filepath.FromSlash(f)))
		if err != nil {
			t.Fatalf("the base branch's %s: %v", f, err)
		}
		if !strings.Contains(html.UnescapeString(string(compareHTML)), base64.StdEncoding.EncodeToString(data)) {
			t.Errorf("compare.html does not embed the base's %s", f)
		}
	}
	if n := strings.Count(string(compareHTML), `src="data:image/`); n != 2 {
		t.Errorf("compare.html embeds %d images, want the base's 2", n)
	}

	// The merge, then the apply job on main.
	git("checkout", "-q", "main")
	git("merge", "-q", "--ff-only", "pr")
	runJob("apply", 2) // apply, commit
	pushed := git("--git-dir", origin, "log", "-1", "--name-only", "--format=%s", "main")
	for _, want := range []string{"mynthform apply: state and images", specDir + "/mynth.state.json", specDir + "/assets/hero.png",
		specDir + "/assets/cards/spring.png", specDir + "/assets/cards/autumn.png"} {
		if !strings.Contains(pushed, want) {
			t.Errorf("origin's main lacks %q:\n%s", want, pushed)
		}
	}
	if strings.Contains(pushed, ".backup") || strings.Contains(pushed, ".lock") {
		t.Errorf("the apply job committed the backup or the lock:\n%s", pushed)
	}

	// No secret anywhere: the steps' output and every file written.
	seen := map[string]string{}
	for name, out := range outputs {
		seen["the output of "+name] = out
	}
	for _, top := range []string{runner, repo} {
		err := filepath.WalkDir(top, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			seen[path] = string(data)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for what, text := range seen {
		for _, secret := range []string{apiKey, ghToken} {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds a secret", what)
			}
		}
	}
	for _, want := range []string{"report.md", "report.html", "junit.xml", "base.json", "compare.md", "compare.html", "comment.md"} {
		if _, ok := seen[filepath.Join(temp, "mynthform", want)]; !ok {
			t.Errorf("the plan job wrote no %s", want)
		}
	}
	if _, ok := seen[summary]; !ok {
		t.Errorf("the plan job wrote no step summary")
	}
}
