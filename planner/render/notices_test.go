package render

import (
	"bytes"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/planner"
)

// TestNotices pins the text of every short report, plural words included
// ("1 task", never "1 tasks").
func TestNotices(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    interface{ Render(io.Writer) error }
		want string
	}{
		{"valid spec of one task", ValidSpec{Tasks: 1}, "The spec is valid: 1 task.\n"},
		{"valid spec of none", ValidSpec{}, "The spec is valid: 0 tasks.\n"},
		{"version", Version{Tool: "v1.2.3", StateFormat: 2}, "mynthform v1.2.3\nstate format version 2\n"},
		{"plan saved", PlanSaved{Path: "p.plan"}, "\nSaved the plan to p.plan. Apply exactly this plan with: mynthform apply p.plan\n"},
		{"report of one task", ReportWritten{Format: "html", Tasks: 1, Path: "r.html"}, "Wrote the html report of 1 task to r.html.\n"},
		{"report of three", ReportWritten{Format: "junit", Tasks: 3, Path: "r.xml"}, "Wrote the junit report of 3 tasks to r.xml.\n"},
		{"comparison", ReportWritten{Format: "markdown", Tasks: 9, Path: "c.md", Comparison: &planner.ComparisonSummary{Added: 1, Replaced: 2, Removed: 3, Unchanged: 4}},
			"Wrote the markdown comparison (1 added, 2 replaced, 3 removed, 4 unchanged) to c.md.\n"},
		{"pushed", StatePushed{File: "-", Backend: "PostgreSQL backend", Serial: 4, Tasks: 1}, "Pushed - to the PostgreSQL backend: serial 4, 1 task.\n"},
		{"emulator in use", EmulatorInUse{URL: "http://127.0.0.1:1", Store: ".mynthform/emulator.json"},
			"Using the local Mynth emulator at http://127.0.0.1:1 (store .mynthform/emulator.json); no API key needed.\n"},
		{"no match, a suggestion", NoMatch{Flag: "target", Address: "task.heor", Suggestion: "task.hero"},
			"Warning: --target task.heor matches no task in the spec or the state; did you mean task.hero?\n"},
		{"no match, none near", NoMatch{Flag: "exclude", Address: `task.product["a\nb"]`},
			"Warning: --exclude task.product[\"a\\nb\"] matches no task in the spec or the state\n"},
		{"no API key", NoAPIKey{}, "Warning: MYNTH_API_KEY is not set: only tasks with an access_token can be read, and nothing can be generated.\n" +
			"    Set MYNTH_API_KEY to your Mynth API key, or run with --emulator to use the local emulator.\n"},
		{"planning interrupted", PlanningInterrupted{}, "mynthform: interrupted while planning; nothing was changed.\n"},
		{"also recorded", AlsoRecorded{ID: "tsk_1", Address: "task.a"}, "Warning: task tsk_1 is also recorded as task.a.\n"},
		{"spec has errors", SpecHasErrors{Backend: "state file s.json"},
			"Warning: the spec has errors (run mynthform validate); using the state file s.json. Give --state PATH to use another.\n"},
		{"reformatted", Reformatted{Path: "dir/main.mynth.hcl"}, "dir/main.mynth.hcl\n"},
		{"emulator stopped", EmulatorStopped{}, "Emulator stopped.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.v.Render(&b); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestEmulatorBanner(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    EmulatorBanner
		want string
	}{
		{
			name: "plain",
			v:    EmulatorBanner{URL: "http://127.0.0.1:8787", Key: "mak_anything"},
			want: "Mynth emulator listening on http://127.0.0.1:8787\n" +
				"Point mynthform (or any Mynth client) at it:\n\n  export MYNTH_BASE_URL=http://127.0.0.1:8787 MYNTH_API_KEY=mak_anything\n\n" +
				"Mynth's JavaScript SDK ignores MYNTH_BASE_URL; give it the URL:\n\n  new Mynth({ baseUrl: \"http://127.0.0.1:8787\" })\n\n" +
				"Press Ctrl-C to stop.\n",
		},
		{
			name: "seed of one task, faults",
			v: EmulatorBanner{URL: "http://h", Seed: "seed.json", Tasks: 1, Key: "<an api_key of seed.json>", FaultRate: 0.25,
				Endpoints: []EndpointFaults{{"status", 1}, {"upload", 0.015}}},
			want: "Mynth emulator listening on http://h\n" +
				"Loaded 1 task from seed.json; nothing is kept after it stops.\n" +
				"Point mynthform (or any Mynth client) at it:\n\n  export MYNTH_BASE_URL=http://h MYNTH_API_KEY=<an api_key of seed.json>\n\n" +
				"Mynth's JavaScript SDK ignores MYNTH_BASE_URL; give it the URL:\n\n  new Mynth({ baseUrl: \"http://h\" })\n\n" +
				"Injecting faults into 25% of requests.\n" +
				"Injecting faults into 100% of status requests.\n" +
				"Injecting faults into 1.5% of upload requests.\n" +
				"Press Ctrl-C to stop.\n",
		},
		{
			name: "a store that existed, with a seed",
			v:    EmulatorBanner{URL: "http://h", Store: "s.json", StoreExisted: true, Seed: "seed.json", Tasks: 3, Key: "k"},
			want: "Mynth emulator listening on http://h\n" +
				"Tasks are kept in s.json (3 now).\n" +
				"The store already exists, so seed.json was not loaded; delete the store to start again from the seed.\n" +
				"Point mynthform (or any Mynth client) at it:\n\n  export MYNTH_BASE_URL=http://h MYNTH_API_KEY=k\n\n" +
				"Mynth's JavaScript SDK ignores MYNTH_BASE_URL; give it the URL:\n\n  new Mynth({ baseUrl: \"http://h\" })\n\n" +
				"Press Ctrl-C to stop.\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.v.Render(&b); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
