package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const goldenPath = "../testdata/state/golden.mynth.state.json"

// sample is a state with every field set, for_each addresses, unknown API
// fields, exact decimals, characters that HTML escaping would mangle, and
// non-ASCII text.
func sample() *File {
	return &File{
		Version:     FormatVersion,
		Serial:      7,
		Lineage:     "5f0c8a3e9b1d4c7e8a2b6d0f1e3c5a79",
		ToolVersion: "v0.1.0",
		Tasks: map[string]*Task{
			"task.hero_mug": {
				ID:        "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP",
				Status:    mynth.StatusCompleted,
				CreatedAt: "2026-01-02T10:00:00Z",
				UpdatedAt: "2026-01-02T10:00:09Z",
				Request:   json.RawMessage(`{"prompt":"Editorial photo of a mug <b>&</b> café","model":"google/gemini-3.1-flash-image","size":"landscape","count":1,"future_field":{"z":1,"a":[1.50,2e10,12345678901234567890]}}`),
				Result:    json.RawMessage(`{"model":"google/gemini-3.1-flash-image","images":[{"status":"succeeded","id":"img_1","url":"https://cdn.example/img_1.png?a=1&b=2","cost":"0.01250000","size":"1536x1024"}],"cost":{"images":"0.01250000","total":"0.01250000"}}`),
				Files: []SavedFile{{Path: "assets/hero.webp", ImageID: "img_1", URL: "https://cdn.example/img_1.png?a=1&b=2",
					SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Size: 48213}},
			},
			`task.product["mug"]`: {
				ID:      "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RQ",
				Status:  mynth.StatusPending,
				Request: json.RawMessage(`{"prompt":{"positive":"Studio photo of \"a mug\"","negative":"text"},"count":2}`),
			},
			`task.product["bowl"]`: {
				ID:     "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RS",
				Status: mynth.StatusFailed,
				Result: json.RawMessage(`{"images":[{"status":"failed","error":"blocked"}]}`),
			},
		},
		Attempts: map[string]*Attempt{
			`task.product["cup"]`: {
				ID:        "att_0f1e2d3c4b5a69788796a5b4c3d2e1f0",
				Request:   json.RawMessage(`{"prompt":"A shop sign that reads pat_sullivan_bakery","count":1}`),
				StartedAt: "2026-01-02T10:00:10Z",
				Error:     "no answer within 1m0s",
			},
			`task.product["mug"]`: {
				ID:        "att_00000000000000000000000000000001",
				Request:   json.RawMessage(`{"prompt":{"positive":"Studio photo of \"a mug\"","negative":"text"},"count":2}`),
				StartedAt: "2026-01-02T10:00:11Z",
			},
		},
		History: []*Superseded{
			{Address: "task.hero_mug", ID: "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RA", RequestSHA256: "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
				Cost: amountOf("0.01250000"), CreatedAt: "2026-01-01T09:00:00Z", SupersededAt: "2026-01-02T10:00:00Z",
				Reason: SupersededReplaced, ReplacedBy: "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP"},
			{Address: "task.old_logo", ID: "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RB", SupersededAt: "2026-01-02T10:00:01Z", Reason: SupersededForgotten},
		},
		Uploads: map[string]*Upload{
			"refs/mug.png": {SHA256: "ab12f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80", Size: 20480,
				URL: "https://api.mynth.io/uploads/upl_01KE7XWWEQ4MCGWKBQKJ1G47RZ.png?sig=a&b", UploadedAt: "2026-01-02T09:59:58Z"},
			"refs/café table.jpg": {SHA256: "9f3c0d1e2f30415263748596a7b8c9d0e1f2031425364758697a8b9c0d1e2f30", Size: 1024,
				URL: "https://api.mynth.io/uploads/upl_01KE7XWWEQ4MCGWKBQKJ1G47S0.jpg"},
		},
	}
}

func mustEncode(t *testing.T, f *File) []byte {
	t.Helper()
	b, err := Encode(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGolden(t *testing.T) {
	got := mustEncode(t, sample())
	if *update {
		if err := os.MkdirAll(filepath.Dir(goldenPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (run go test ./state -run TestGolden -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("encoding differs from %s (-want +got):\n%s", goldenPath, diff)
	}
	f, err := Decode(want)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Equal(sample()) {
		t.Errorf("decoding the golden file: got %+v", f)
	}
	// Sorted keys at every level, two-space indentation, a newline at the end.
	if !bytes.HasSuffix(want, []byte("}\n")) || !bytes.Contains(want, []byte("\n  \"lineage\": ")) {
		t.Errorf("layout: %s", want)
	}
	for _, w := range []string{"1.50,\n", "2e10,\n", "12345678901234567890\n", `<b>&</b> café`, `?a=1&b=2`, `"future_field": {`} {
		if !bytes.Contains(want, []byte(w)) {
			t.Errorf("golden file lacks %s", w)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mynth.state.json")
	s := Open(path)
	f := sample()
	f.Serial = 0
	wrote, err := s.Save(f)
	if err != nil || !wrote {
		t.Fatalf("Save: %v, %v", wrote, err)
	}
	if f.Serial != 1 {
		t.Errorf("serial after first save: %d, want 1", f.Serial)
	}
	first, _ := os.ReadFile(path)

	// A fresh Store (another process) reads back exactly what was saved.
	got, err := Open(path).Load()
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(f) {
		t.Fatalf("Load(Save(x)) != x:\n%s", cmp.Diff(f, got))
	}
	if re := mustEncode(t, got); !bytes.Equal(re, first) {
		t.Errorf("re-encoding a loaded state changed its bytes:\n%s", cmp.Diff(string(first), string(re)))
	}
	// Saving what was loaded writes nothing.
	wrote, err = Open(path).Save(got)
	if err != nil || wrote {
		t.Fatalf("re-save: wrote %v, %v", wrote, err)
	}
	// Loading does not alias: changing the loaded file changes nothing else.
	got.Tasks["task.hero_mug"].Request[2] = 'X'
	again, _ := s.Load()
	if !again.Equal(f) {
		t.Error("Load returned shared memory")
	}
}

func TestMissingFileIsNewState(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "none.json"))
	f, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != FormatVersion || f.Serial != 0 || len(f.Lineage) != 32 || f.Tasks == nil || len(f.Tasks) != 0 {
		t.Errorf("new state: %+v", f)
	}
	if g, _ := s.Load(); g.Lineage == f.Lineage {
		t.Error("two new states share a lineage")
	}
	// An empty new state is not worth a file.
	if wrote, err := s.Save(f); err != nil || wrote {
		t.Errorf("saving an empty new state: wrote %v, %v", wrote, err)
	}
	if _, err := os.Stat(s.Path()); !os.IsNotExist(err) {
		t.Errorf("an empty new state created the file: %v", err)
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "empty", in: "", want: ""},
		{name: "sorted", in: `{"b":1,"a":{"d":[3,{"y":1,"x":2}],"c":null}}`, want: `{"a":{"c":null,"d":[3,{"x":2,"y":1}]},"b":1}`},
		{name: "spacing", in: " {\n \"a\" : [ 1 , 2 ] }\n", want: `{"a":[1,2]}`},
		{name: "numbers kept", in: `[1.50,1e400,-0,12345678901234567890123,0.1]`, want: `[1.50,1e400,-0,12345678901234567890123,0.1]`},
		{name: "no html escaping", in: `{"p":"<a&b>"}`, want: `{"p":"<a&b>"}`},
		{name: "escapes normalized", in: `{"p":"\u00e9\/\u003c"}`, want: `{"p":"é/<"}`},
		{name: "string", in: `"x"`, want: `"x"`},
		{name: "invalid", in: `{"a":`, wantErr: true},
		{name: "trailing", in: `{} {}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonical(json.RawMessage(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Error(diff)
			}
			if err == nil && len(got) > 0 {
				again, _ := Canonical(got)
				if !bytes.Equal(again, got) {
					t.Errorf("not idempotent: %s", again)
				}
			}
		})
	}
}

// writeState writes content as the state file and returns its path.
func writeState(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mynth.state.json")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	// An old mtime, so that a rewrite would show.
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRefusals(t *testing.T) {
	golden, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	g := string(golden)
	conflict := strings.Replace(g, "  \"serial\": 7,\n", "<<<<<<< HEAD\n  \"serial\": 7,\n=======\n  \"serial\": 8,\n>>>>>>> feature\n", 1)
	tests := []struct {
		name    string
		content string
		kind    error
		problem string // a part of the message
		hint    string // a part of the hint
	}{
		{"newer version", strings.Replace(g, `"version": 3`, `"version": 4`, 1), ErrNewerVersion, "newer mynthform (state format version 4; this build reads up to 3)", "upgrade mynthform"},
		{"truncated", g[:len(g)/2], ErrCorrupt, "truncated", ".backup"},
		{"truncated at a brace", g[:len(g)-3], ErrCorrupt, "truncated", "git checkout"},
		{"empty", "", ErrCorrupt, "empty", ".backup"},
		{"blank", "\n  \n", ErrCorrupt, "empty", ".backup"},
		{"not json", "tasks = {}\n", ErrCorrupt, "invalid JSON at line 1", ".backup"},
		{"conflict", conflict, ErrConflict, "line 43 holds a git conflict marker", "resolve the merge conflict"},
		{"only a separator", strings.Replace(g, "  \"serial\": 7,\n", "=======\n", 1), ErrConflict, "conflict marker", "resolve"},
		{"no version", `{"serial":1,"lineage":"x","tasks":{}}`, ErrCorrupt, "no format version", ".backup"},
		{"version zero", `{"version":0,"serial":1,"lineage":"x","tasks":{}}`, ErrCorrupt, "not a positive integer", ""},
		{"version string", `{"version":"1","serial":1,"lineage":"x","tasks":{}}`, ErrCorrupt, "not a positive integer", ""},
		{"no lineage", `{"version":1,"serial":1,"tasks":{}}`, ErrCorrupt, "no lineage", ""},
		{"empty lineage", `{"version":1,"serial":1,"lineage":"","tasks":{}}`, ErrCorrupt, "no lineage", ""},
		{"no serial", `{"version":1,"lineage":"x","tasks":{}}`, ErrCorrupt, "no serial", ""},
		{"no tasks", `{"version":1,"serial":1,"lineage":"x"}`, ErrCorrupt, `no "tasks" object`, ""},
		{"null tasks", `{"version":1,"serial":1,"lineage":"x","tasks":null}`, ErrCorrupt, `no "tasks" object`, ""},
		{"null task", `{"version":1,"serial":1,"lineage":"x","tasks":{"task.a":null}}`, ErrCorrupt, "task.a: the task is null", ""},
		{"task without id", `{"version":1,"serial":1,"lineage":"x","tasks":{"task.a":{"status":"pending"}}}`, ErrCorrupt, "task.a: the task has no id", ""},
		{"unknown field", `{"version":1,"serial":1,"lineage":"x","tasks":{},"taks":{}}`, ErrCorrupt, `unknown field "taks"`, ""},
		{"unknown task field", `{"version":1,"serial":1,"lineage":"x","tasks":{"task.a":{"id":"t","colour":1}}}`, ErrCorrupt, `unknown field "colour"`, ""},
		{"wrong type", `{"version":1,"serial":"1","lineage":"x","tasks":{}}`, ErrCorrupt, "line 1", ""},
		{"negative serial", `{"version":1,"serial":-1,"lineage":"x","tasks":{}}`, ErrCorrupt, "serial", ""},
		{"array", `[1]`, ErrCorrupt, "", ""},
		{"trailing data", `{"version":1,"serial":1,"lineage":"x","tasks":{}} {}`, ErrCorrupt, "invalid JSON", ""},
		// A merge that kept both sides of a task: encoding/json would keep
		// the last and forget the other, which Mynth may have charged for.
		{"a task twice", `{"version":1,"serial":1,"lineage":"x","tasks":{"task.a":{"id":"tsk_1"},"task.a":{"id":"tsk_2"}}}`, ErrCorrupt, `"task.a" appears twice in "tasks"`, "keep"},
		{"a task twice, once escaped", `{"version":1,"serial":1,"lineage":"x","tasks":{"task.a":{"id":"tsk_1"},"task.\u0061":{"id":"tsk_2"}}}`, ErrCorrupt, `"task.a" appears twice in "tasks"`, "keep"},
		{"a task twice in a large state", manyTasksThenDuplicate(40), ErrCorrupt, `"task.t0" appears twice in "tasks"`, "keep"},
		{"a task id twice", `{"version":1,"serial":1,"lineage":"x","tasks":{"task.a":{"id":"tsk_1","id":"tsk_2"}}}`, ErrCorrupt, `"id" appears twice in task.a`, "keep"},
		{"serial twice", `{"version":1,"serial":1,"serial":2,"lineage":"x","tasks":{}}`, ErrCorrupt, `"serial" appears twice`, "keep"},
		{"an attempt twice", `{"version":2,"serial":1,"lineage":"x","tasks":{},"attempts":{"task.a":{"attempt_id":"att_1","request":{}},"task.a":{"attempt_id":"att_2","request":{}}}}`, ErrCorrupt, `"task.a" appears twice in "attempts"`, "keep"},
		{"an attempt without id", `{"version":2,"serial":1,"lineage":"x","tasks":{},"attempts":{"task.a":{"request":{"count":1}}}}`, ErrCorrupt, "the creation record of task.a has no attempt_id", ""},
		{"an attempt without request", `{"version":2,"serial":1,"lineage":"x","tasks":{},"attempts":{"task.a":{"attempt_id":"att_1"}}}`, ErrCorrupt, "the creation record of task.a has no request", ""},
		{"a null attempt", `{"version":2,"serial":1,"lineage":"x","tasks":{},"attempts":{"task.a":null}}`, ErrCorrupt, "the creation record of task.a is null", ""},
		{"an unknown attempt field", `{"version":2,"serial":1,"lineage":"x","tasks":{},"attempts":{"task.a":{"attempt_id":"att_1","request":{},"colour":1}}}`, ErrCorrupt, `unknown field "colour"`, ""},
		{"uploads in a version 2 file", `{"version":2,"serial":1,"lineage":"x","tasks":{},"uploads":{"a.png":{"sha256":"` + strings.Repeat("a", 64) + `","size":2000,"url":"https://x/a.png"}}}`, ErrCorrupt, `"uploads" is not a field of version 2`, ""},
		{"upload with a bad sha256", `{"version":3,"serial":1,"lineage":"x","tasks":{},"uploads":{"a.png":{"sha256":"AB","size":2000,"url":"https://x/a.png"}}}`, ErrCorrupt, `the upload of a.png has sha256 "AB"`, ""},
		{"upload without a URL", `{"version":3,"serial":1,"lineage":"x","tasks":{},"uploads":{"a.png":{"sha256":"` + strings.Repeat("a", 64) + `","size":2000,"url":""}}}`, ErrCorrupt, `the upload of a.png has URL ""`, ""},
		{"upload recorded twice", `{"version":3,"serial":1,"lineage":"x","tasks":{},"uploads":{"a.png":{"sha256":"` + strings.Repeat("a", 64) + `","size":2000,"url":"https://x/1"},"a.png":{"sha256":"` + strings.Repeat("b", 64) + `","size":2000,"url":"https://x/2"}}}`, ErrCorrupt, `"a.png" appears twice in "uploads"`, ""},
		{"attempts in a version 1 file", `{"version":1,"serial":1,"lineage":"x","tasks":{},"attempts":{"task.a":{"attempt_id":"att_1","request":{"count":1}}}}`, ErrCorrupt, `"attempts" is not a field of version 1`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeState(t, tt.content)
			before, _ := os.Stat(path)
			s := Open(path)
			f, err := s.Load()
			if err == nil {
				t.Fatalf("Load accepted it: %+v", f)
			}
			if f != nil {
				t.Error("a refusal returned a state as well")
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("not a *state.Error: %T %v", err, err)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("kind: got %v, want %v", se.Kind, tt.kind)
			}
			if se.Path != path || !strings.HasPrefix(err.Error(), "state file "+path+": ") {
				t.Errorf("path not named: %q", err)
			}
			if !strings.Contains(se.Problem, tt.problem) {
				t.Errorf("problem %q lacks %q", se.Problem, tt.problem)
			}
			if se.Hint == "" || !strings.Contains(se.Hint, tt.hint) {
				t.Errorf("hint %q lacks %q", se.Hint, tt.hint)
			}
			for _, secret := range []string{"mak_0123456789abcdef", "pat_abcdefgh1234"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error shows the secret: %v", err)
				}
			}
			// Saving over a file that cannot be read is refused as well.
			if _, err := s.Save(sample()); err == nil || !errors.Is(err, tt.kind) {
				t.Errorf("Save over it: %v", err)
			}
			after, _ := os.Stat(path)
			got, _ := os.ReadFile(path)
			if string(got) != tt.content || !after.ModTime().Equal(before.ModTime()) {
				t.Error("a refusal changed the file")
			}
			if _, err := os.Stat(s.BackupPath()); !os.IsNotExist(err) {
				t.Error("a refusal wrote a backup")
			}
		})
	}
}

// manyTasksThenDuplicate is a state of n tasks whose first appears again
// at the end.
func manyTasksThenDuplicate(n int) string {
	var b strings.Builder
	b.WriteString(`{"version":1,"serial":1,"lineage":"x","tasks":{`)
	for i := range n {
		fmt.Fprintf(&b, `"task.t%d":{"id":"tsk_%d","request":{"a":[{"b":"}"}]}},`, i, i)
	}
	b.WriteString(`"task.t0":{"id":"tsk_x"}}}`)
	return b.String()
}

func TestSaveRefusesNewerSerial(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mynth.state.json")
	if _, err := Open(path).Save(sample()); err != nil {
		t.Fatal(err)
	}
	a, _ := Open(path).Load()
	b, _ := Open(path).Load()
	delete(a.Tasks, "task.hero_mug")
	if wrote, err := Open(path).Save(a); err != nil || !wrote {
		t.Fatalf("first writer: %v %v", wrote, err)
	}
	written, _ := os.ReadFile(path)
	b.Tasks["task.hero_mug"].Status = mynth.StatusFailed
	_, err := Open(path).Save(b)
	var se *Error
	if !errors.As(err, &se) || !errors.Is(err, ErrSerial) {
		t.Fatalf("second writer: %v", err)
	}
	if !strings.Contains(err.Error(), "another process wrote serial 9 since serial 8 was read; run plan again") {
		t.Errorf("message: %v", err)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, written) {
		t.Error("the refused save changed the file")
	}

	// Another lineage is refused too.
	c := sample()
	c.Lineage = "0000"
	c.Serial = 100
	if _, err := Open(path).Save(c); !errors.Is(err, ErrLineage) {
		t.Errorf("other lineage: %v", err)
	}
}

func TestSaveNoopLeavesFileUntouched(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mynth.state.json")
	s := Open(path)
	f := sample()
	if _, err := s.Save(f); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	serial := f.Serial

	// The same content, another tool version, key order and spacing in the
	// raw JSON, and a fresh Store: still nothing to write.
	g := f.Clone()
	g.ToolVersion = "v9.9.9"
	g.Tasks["task.hero_mug"].Request = json.RawMessage(" {\"size\":\"landscape\", \"prompt\":\"Editorial photo of a mug <b>&</b> café\",\"model\":\"google/gemini-3.1-flash-image\",\"count\":1,\"future_field\":{\"a\":[1.50,2e10,12345678901234567890],\"z\":1}}")
	for _, st := range []*Store{s, Open(path)} {
		wrote, err := st.Save(g)
		if err != nil || wrote {
			t.Fatalf("Save of unchanged content: wrote %v, %v", wrote, err)
		}
	}
	info, _ := os.Stat(path)
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) || !info.ModTime().Equal(old) || g.Serial != serial {
		t.Errorf("a no-op save touched the file (mtime %v, serial %d)", info.ModTime(), g.Serial)
	}
	if _, err := os.Stat(s.BackupPath()); !os.IsNotExist(err) {
		t.Error("a no-op save wrote a backup")
	}
}

func TestBackup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mynth.state.json")
	s := Open(path)
	f := sample()
	if _, err := s.Save(f); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	f.Tasks[`task.product["mug"]`].Status = mynth.StatusCompleted
	if wrote, err := s.Save(f); err != nil || !wrote {
		t.Fatal(wrote, err)
	}
	second, _ := os.ReadFile(path)
	backup, err := os.ReadFile(s.BackupPath())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(backup, first) {
		t.Errorf("backup is not the previous state:\n%s", cmp.Diff(string(first), string(backup)))
	}
	f.Tasks[`task.product["bowl"]`].Status = mynth.StatusCompleted
	if _, err := s.Save(f); err != nil {
		t.Fatal(err)
	}
	backup, _ = os.ReadFile(s.BackupPath())
	if !bytes.Equal(backup, second) {
		t.Error("backup did not move on to the previous state")
	}
	b, err := Open(s.BackupPath()).Load()
	if err != nil || b.Serial != f.Serial-1 {
		t.Errorf("backup does not load as the previous serial: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"mynth.state.json", "mynth.state.json.backup"}, names); diff != "" {
		t.Errorf("files left in the directory (-want +got):\n%s", diff)
	}
}

func TestSaveNeverWritesSecrets(t *testing.T) {
	const canary = "mak_canary0123456789"
	const pat = "pat_abcdefgh1234"
	path := filepath.Join(t.TempDir(), "mynth.state.json")
	s := Open(path)
	s.Protect(canary, pat, "", "short")
	f := sample()
	if _, err := s.Save(f); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	for name, place := range map[string]func(*File){
		"request": func(f *File) {
			f.Tasks["task.hero_mug"].Request = json.RawMessage(`{"access":{"token":"` + canary + `"}}`)
		},
		"result":       func(f *File) { f.Tasks["task.hero_mug"].Result = json.RawMessage(`{"auth":"Bearer ` + canary + `"}`) },
		"url":          func(f *File) { f.Tasks["task.hero_mug"].Files[0].URL = "https://x/?t=" + canary },
		"id":           func(f *File) { f.Tasks["task.hero_mug"].ID = pat },
		"attempt":      func(f *File) { f.Attempts[`task.product["mug"]`].Request = json.RawMessage(`{"prompt":"` + pat + `"}`) },
		"escaped":      func(f *File) { f.Tasks["task.hero_mug"].Request = json.RawMessage(`{"p":"\u0070at_abcdefgh1234"}`) },
		"address":      func(f *File) { f.Tasks["task.x[\""+pat+"\"]"] = &Task{ID: "tsk_x"} },
		"tool version": func(f *File) { f.ToolVersion = canary; f.Tasks["task.hero_mug"].Status = mynth.StatusFailed },
	} {
		g := f.Clone()
		place(g)
		_, err := s.Save(g)
		if !errors.Is(err, ErrSecret) || strings.Contains(err.Error(), canary) || strings.Contains(err.Error(), pat) {
			t.Errorf("%s: Save: %v", name, err)
		}
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) || bytes.Contains(after, []byte(canary)) {
		t.Error("a refused save changed the file")
	}
	// Text that merely looks like a key is the user's: it is saved, and
	// read back, by this Store and by one that protects nothing.
	g := f.Clone()
	g.Tasks["task.hero_mug"].Request = json.RawMessage(`{"prompt":"A shop sign that reads pat_sullivan_bakery","metadata":{"k":"mak_0123456789abcdef"}}`)
	if _, err := s.Save(g); err != nil {
		t.Fatalf("user text refused: %v", err)
	}
	for _, st := range []*Store{s, Open(path)} {
		back, err := st.Load()
		if err != nil || !back.Equal(g) {
			t.Fatalf("Load: %v", err)
		}
	}
}

func TestLoadRefusesAHeldSecret(t *testing.T) {
	const key = "mak_0123456789abcdef"
	g := string(mustEncode(t, sample()))
	path := writeState(t, strings.Replace(g, "Editorial photo", "Editorial "+key, 1))
	if _, err := Open(path).Load(); err != nil {
		t.Fatalf("a key nobody holds is only text: %v", err)
	}
	s := Open(path)
	s.Protect(key)
	_, err := s.Load()
	if !errors.Is(err, ErrSecret) || strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "rotate") {
		t.Fatalf("Load with the key held: %v", err)
	}
}

func TestUpgradeFromVersion1(t *testing.T) {
	data, err := os.ReadFile("../testdata/state/v1.mynth.state.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"version": 1`)) {
		t.Fatal("the fixture is not a version 1 file")
	}
	want := sample()
	want.Attempts, want.History, want.Uploads = nil, nil, nil
	path := writeState(t, string(data))
	s := Open(path)
	got, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != FormatVersion || !got.Equal(want) {
		t.Fatalf("version 1 read as %+v", got)
	}
	// Nothing changed: the version 1 file stays as it is.
	if wrote, err := s.Save(got); err != nil || wrote {
		t.Fatalf("Save of the unchanged state: %v %v", wrote, err)
	}
	// A change writes the newest version.
	got.Attempts = map[string]*Attempt{"task.x": {ID: NewAttemptID(), Request: json.RawMessage(`{"count":1}`), StartedAt: "2026-01-02T10:00:12Z"}}
	if _, err := s.Save(got); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Contains(after, []byte(`"version": 3`)) || !bytes.HasPrefix(after, []byte("{\n  \"attempts\": {\n    \"task.x\": {\n      \"attempt_id\": \"att_")) {
		t.Errorf("written:\n%s", after)
	}
}

// TestUpgradeFromVersion2 reads the golden file of version 2 (before
// uploads): it is the newest state without uploads, left untouched while
// nothing changes, and written as version 3 once an upload is recorded.
func TestUpgradeFromVersion2(t *testing.T) {
	data, err := os.ReadFile("../testdata/state/v2.mynth.state.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"version": 2`)) || bytes.Contains(data, []byte(`"uploads"`)) {
		t.Fatal("the fixture is not a version 2 file")
	}
	want := sample()
	want.Uploads = nil
	path := writeState(t, string(data))
	s := Open(path)
	got, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != FormatVersion || !got.Equal(want) {
		t.Fatalf("version 2 read as %+v", got)
	}
	if wrote, err := s.Save(got); err != nil || wrote {
		t.Fatalf("Save of the unchanged state: %v %v", wrote, err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, data) {
		t.Error("the unchanged version 2 file was rewritten")
	}
	got.Uploads = map[string]*Upload{"refs/a.png": {SHA256: strings.Repeat("c", 64), Size: 4096, URL: "https://x/upl_1.png"}}
	if wrote, err := s.Save(got); err != nil || !wrote {
		t.Fatalf("Save with an upload: %v %v", wrote, err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Contains(after, []byte(`"version": 3`)) || !bytes.Contains(after, []byte("  \"uploads\": {\n    \"refs/a.png\": {\n      \"sha256\": \"cccc")) {
		t.Errorf("written:\n%s", after)
	}
	back, err := Open(path).Load()
	if err != nil || !back.ContentEqual(got) {
		t.Errorf("read back: %v", err)
	}
}

func TestUploadBySHA256(t *testing.T) {
	a, b := strings.Repeat("a", 64), strings.Repeat("b", 64)
	f := &File{Uploads: map[string]*Upload{
		"x/one.png": {SHA256: a, Size: 2000, URL: "https://u/1"},
		"y/two.png": {SHA256: a, Size: 2000, URL: "https://u/2"},
		"z/new.png": {SHA256: b, Size: 2000, URL: "https://u/3"},
	}}
	for _, tc := range []struct{ path, sum, want string }{
		{"y/two.png", a, "https://u/2"}, // its own path first
		{"elsewhere.png", a, "https://u/1"},
		{"z/new.png", a, "https://u/1"}, // the path holds other content now
		{"z/new.png", strings.Repeat("c", 64), ""},
	} {
		got := ""
		if u := f.UploadBySHA256(tc.path, tc.sum); u != nil {
			got = u.URL
		}
		if got != tc.want {
			t.Errorf("UploadBySHA256(%s, %.4s…) = %q, want %q", tc.path, tc.sum, got, tc.want)
		}
	}
	c := f.Clone()
	c.Uploads["x/one.png"].URL = "changed"
	if f.Uploads["x/one.png"].URL != "https://u/1" || f.ContentEqual(c) {
		t.Error("Clone shares uploads, or ContentEqual misses a changed upload")
	}
}

func TestStrayTempFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mynth.state.json")
	s := Open(path)
	if _, err := s.Save(sample()); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	mk := func(name string, stale bool) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(`{"version":1,`), 0o644); err != nil {
			t.Fatal(err)
		}
		if stale {
			_ = os.Chtimes(p, old, old)
		}
		return p
	}
	staleTemp := mk(".mynth.state.json123456789", true)
	staleBackup := mk(".mynth.state.json.backup987", true)
	fresh := mk(".mynth.state.json555", false)
	other := mk(".other.json123", true)
	unrelated := mk(".mynth.state.json.bak", true)

	if _, err := s.Load(); err != nil {
		t.Fatal(err)
	}
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	if exists(staleTemp) || exists(staleBackup) {
		t.Error("Load left stale temporary files")
	}
	if !exists(fresh) {
		t.Error("Load removed a fresh temporary file of a writer that may be alive")
	}
	lock, err := s.Lock(t.Context(), "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	if _, err := s.Load(); err != nil {
		t.Fatal(err)
	}
	if exists(fresh) {
		t.Error("under the lock, a temporary file is stray whatever its age")
	}
	if !exists(other) || !exists(unrelated) {
		t.Error("removed files that are not its temporary files")
	}
}

func TestEqualAndClone(t *testing.T) {
	a := sample()
	b := a.Clone()
	if !a.Equal(b) {
		t.Fatal("a clone is not equal")
	}
	b.Tasks["task.hero_mug"].Files[0].Size++
	if a.Equal(b) || a.Tasks["task.hero_mug"].Files[0].Size == b.Tasks["task.hero_mug"].Files[0].Size {
		t.Error("a clone shares files")
	}
	c := a.Clone()
	c.Serial++
	c.ToolVersion = "other"
	if a.Equal(c) || !a.ContentEqual(c) {
		t.Error("serial and tool version are not content")
	}
	c.Tasks["task.new"] = &Task{ID: "tsk_x"}
	if a.ContentEqual(c) {
		t.Error("an added task is content")
	}
	if diff := cmp.Diff([]string{"task.hero_mug", `task.product["bowl"]`, `task.product["mug"]`}, a.Addresses()); diff != "" {
		t.Error(diff)
	}
}

// referenceEncode is the format written by encoding/json alone: what
// encodeFile assembles by hand must be byte-identical to it.
func referenceEncode(t *testing.T, f *File) []byte {
	t.Helper()
	type top struct {
		Attempts    map[string]attemptJSON `json:"attempts,omitempty"`
		History     []historyJSON          `json:"history,omitempty"`
		Lineage     string                 `json:"lineage"`
		Serial      uint64                 `json:"serial"`
		Tasks       map[string]taskJSON    `json:"tasks"`
		ToolVersion string                 `json:"tool_version"`
		Uploads     map[string]*Upload     `json:"uploads,omitempty"`
		Version     int                    `json:"version"`
	}
	v := top{Lineage: f.Lineage, Serial: f.Serial, Tasks: map[string]taskJSON{}, ToolVersion: f.ToolVersion, Uploads: f.Uploads, Version: FormatVersion}
	for a, task := range f.Tasks {
		tj, err := taskToJSON(task)
		if err != nil {
			t.Fatal(err)
		}
		v.Tasks[a] = tj
	}
	for a, at := range f.Attempts {
		aj, err := attemptToJSON(at)
		if err != nil {
			t.Fatal(err)
		}
		if v.Attempts == nil {
			v.Attempts = map[string]attemptJSON{}
		}
		v.Attempts[a] = aj
	}
	for _, h := range f.History {
		v.History = append(v.History, historyJSON{h.Address, h.Cost, h.CreatedAt, h.ID, h.Reason, h.ReplacedBy, h.RequestSHA256, h.SupersededAt})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestEncodeMatchesReference(t *testing.T) {
	empty := New("<&> \"quoted\"")
	one := sample()
	for a := range one.Tasks {
		if a != "task.hero_mug" {
			delete(one.Tasks, a)
		}
	}
	for name, f := range map[string]*File{"sample": sample(), "empty": empty, "one": one} {
		if diff := cmp.Diff(string(referenceEncode(t, f)), string(mustEncode(t, f))); diff != "" {
			t.Errorf("%s (-reference +encodeFile):\n%s", name, diff)
		}
	}
}

func TestIncrementalSaveMatchesEncode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mynth.state.json")
	s := Open(path)
	f := sample()
	steps := []func(){
		func() {},
		func() { f.Tasks[`task.product["mug"]`].Status = mynth.StatusCompleted },
		func() { delete(f.Tasks, "task.hero_mug") },
		func() { f.Tasks["task.a"] = &Task{ID: "tsk_a", Request: json.RawMessage(`{ "b": 1, "a": 2 }`)} },
		func() { f.Tasks["task.a"].Request = json.RawMessage(`{"b":1,"a":3}`) },
		func() { f.Tasks["task.hero_mug"] = sample().Tasks["task.hero_mug"] },
		func() { f.ToolVersion = "v2" }, // not content: nothing to write
	}
	for i, step := range steps {
		step()
		wrote, err := s.Save(f)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if wantWrite := i != len(steps)-1; wrote != wantWrite {
			t.Fatalf("step %d: wrote %v, want %v", i, wrote, wantWrite)
		}
		if !wrote {
			continue
		}
		got, _ := os.ReadFile(path)
		if diff := cmp.Diff(string(mustEncode(t, f)), string(got)); diff != "" {
			t.Fatalf("step %d: the incremental save differs from Encode:\n%s", i, diff)
		}
		loaded, err := Open(path).Load()
		if err != nil || !loaded.Equal(f) {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	// Changing a task in place after saving it is seen by the next save.
	f.Tasks["task.a"].Request[len(f.Tasks["task.a"].Request)-2] = '9'
	if wrote, err := s.Save(f); err != nil || !wrote {
		t.Fatalf("in-place change: %v %v", wrote, err)
	}
	if got, _ := os.ReadFile(path); !bytes.Contains(got, []byte(`"a": 9`)) {
		t.Errorf("in-place change not written:\n%s", got)
	}
}

func TestSaveCreatesTheDirectory(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "state", "prod", "mynth.state.json"))
	l, err := s.Lock(t.Context(), "apply", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	if _, err := s.Save(sample()); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(s.Path()).Load(); err != nil {
		t.Fatal(err)
	}
}

func TestJSONString(t *testing.T) {
	for _, in := range []string{"", "task.a", `task.a["k"]`, "café", "a\u2028b", "<&>", "tab\there", "\x00", "bad \xff utf8", "back\\slash"} {
		want, _ := marshalIndented(in, "")
		if got := jsonString(in); !bytes.Equal(got, want) {
			t.Errorf("jsonString(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestRefusalHintNamesAnExistingBackup: the recovery hint sends the user
// to the backup only when there is one.
func TestRefusalHintNamesAnExistingBackup(t *testing.T) {
	path := writeState(t, "{\"version\": 1, \"ser")
	s := Open(path)
	_, err := s.Load()
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("Load: %v", err)
	}
	if strings.Contains(se.Hint, "restore the previous state from") || !strings.Contains(se.Hint, "no backup") || !strings.Contains(se.Hint, "git checkout") {
		t.Errorf("without a backup the hint is %q", se.Hint)
	}
	if err := os.WriteFile(s.BackupPath(), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = s.Load()
	if !errors.As(err, &se) || !strings.Contains(se.Hint, "restore the previous state from "+s.BackupPath()) {
		t.Errorf("with a backup the hint is %q", se.Hint)
	}
}

// TestSymlinkedState: a state file that is a symbolic link (kept in a
// shared directory, say) is written through the link, which stays, and
// the backup holds the previous bytes, not a link to the new ones.
func TestSymlinkedState(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "shared", "real.json")
	if err := os.MkdirAll(filepath.Dir(real), 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "mynth.state.json")
	if err := os.Symlink(real, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	s := Open(link)
	f := sample()
	if _, err := s.Save(f); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(real)
	f.Tasks[`task.product["mug"]`].Status = mynth.StatusCompleted
	if _, err := s.Save(f); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the state is no longer a link: %v %v", info, err)
	}
	second, _ := os.ReadFile(link)
	if got, _ := os.ReadFile(real); !bytes.Equal(got, second) || bytes.Equal(got, first) {
		t.Error("the link's target does not hold the new state")
	}
	if backup, _ := os.ReadFile(s.BackupPath()); !bytes.Equal(backup, first) {
		t.Errorf("the backup is not the previous state:\n%s", backup)
	}
}

// TestSaveRefusesToWrapTheSerial: a state at the largest serial is never
// written again, neither wrapped to 0 nor beyond what JSON readers hold
// exactly, and the file is left as it was.
func TestSaveRefusesToWrapTheSerial(t *testing.T) {
	for _, serial := range []uint64{MaxSerial, MaxSerial + 1, 1<<64 - 1} {
		t.Run(fmt.Sprint(serial), func(t *testing.T) {
			f := sample()
			f.Serial = serial
			data := mustEncode(t, f)
			path := writeState(t, string(data))
			loaded, err := Open(path).Load()
			if err != nil {
				t.Fatal(err)
			}
			loaded.Tasks["task.hero_mug"].Status = mynth.StatusFailed
			wrote, err := Open(path).Save(loaded)
			if wrote || !errors.Is(err, ErrSerialExhausted) {
				t.Fatalf("Save = %v, %v; want a refusal", wrote, err)
			}
			if !strings.Contains(err.Error(), "cannot grow") {
				t.Errorf("message: %v", err)
			}
			if now, _ := os.ReadFile(path); !bytes.Equal(now, data) {
				t.Error("the refused save changed the file")
			}
		})
	}
	// One below the limit is written, at the limit.
	f := sample()
	f.Serial = MaxSerial - 1
	path := writeState(t, string(mustEncode(t, f)))
	loaded, _ := Open(path).Load()
	loaded.Tasks["task.hero_mug"].Status = mynth.StatusFailed
	if wrote, err := Open(path).Save(loaded); !wrote || err != nil || loaded.Serial != MaxSerial {
		t.Fatalf("Save below the limit = %v, %v, serial %d", wrote, err, loaded.Serial)
	}
}

func amountOf(s string) *mynth.Amount {
	a := mynth.MustParseAmount(s)
	return &a
}

// TestUploadSecretRefused: an upload URL that holds the API key the
// command holds is never written.
func TestUploadSecretRefused(t *testing.T) {
	const key = "mak_upload_canary_0123456789"
	s := Open(filepath.Join(t.TempDir(), "mynth.state.json"))
	s.Protect(key)
	f := New("v")
	f.Uploads = map[string]*Upload{"a.png": {SHA256: strings.Repeat("d", 64), Size: 2000, URL: "https://x/a.png?key=" + key}}
	if _, err := s.Save(f); !errors.Is(err, ErrSecret) || strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "the upload of a.png") {
		t.Fatalf("Save: %v", err)
	}
}

// TestProtectKeepsTheEncodingsItMay: a value protected after a save (a
// Public Access Token apply just received) does not make the next save
// encode every task again, yet a cached task that holds it is refused,
// by the file store and by the Codec the other backends use.
func TestProtectKeepsTheEncodingsItMay(t *testing.T) {
	const pat = "pat_fresh_token_0123456789"
	f := New("v")
	f.Tasks = crashTasks(1)
	s := Open(filepath.Join(t.TempDir(), "mynth.state.json"))
	if _, err := s.Save(f); err != nil {
		t.Fatal(err)
	}
	before := map[string]*byte{}
	for addr, c := range s.enc.tasks {
		before[addr] = &c.member[0]
	}
	s.Protect(pat)
	if s.last.file == nil {
		t.Error("Protect of a value the file does not hold forgot the file")
	}
	changed := f.Addresses()[0]
	f.Tasks[changed].Status = mynth.StatusFailed
	if _, err := s.Save(f); err != nil {
		t.Fatal(err)
	}
	for addr, c := range s.enc.tasks {
		if reused := before[addr] == &c.member[0]; reused != (addr != changed) {
			t.Errorf("%s: encoding reused = %v", addr, reused)
		}
		if c.checked != len(s.sec.values) {
			t.Errorf("%s: checked against %d of %d values", addr, c.checked, len(s.sec.values))
		}
	}

	// A file and a cached task that hold a value protected after they
	// were written.
	const later = "pat_later_token_0123456789"
	leaky := f.Addresses()[5]
	f.Tasks[leaky].Result = json.RawMessage(`{"note":"` + later + `"}`)
	if _, err := s.Save(f); err != nil {
		t.Fatal(err)
	}
	s.Protect(later)
	if s.last.file != nil {
		t.Error("Protect of a value the file holds kept the file")
	}
	f.Tasks[changed].Status = mynth.StatusCompleted
	if _, err := s.Save(f); !errors.Is(err, ErrSecret) || strings.Contains(err.Error(), later) {
		t.Fatalf("Save over a file holding a newly protected value: %v", err)
	}
	if _, err := s.Load(); !errors.Is(err, ErrSecret) {
		t.Fatalf("Load of the file holding a newly protected value: %v", err)
	}

	var c Codec
	if _, err := c.EncodeAt("db", f, 1); err != nil {
		t.Fatal(err)
	}
	if !c.Protect(later) {
		t.Fatal("Protect of a new value reported nothing new")
	}
	_, err := c.EncodeAt("db", f, 2)
	if !errors.Is(err, ErrSecret) || strings.Contains(err.Error(), later) || !strings.Contains(err.Error(), leaky) {
		t.Fatalf("Codec encoding a cached task holding a newly protected value: %v", err)
	}
	f.Tasks[leaky].Result = json.RawMessage(`{}`)
	if _, err := c.EncodeAt("db", f, 2); err != nil {
		t.Fatalf("Codec encoding once the value is gone: %v", err)
	}
}
