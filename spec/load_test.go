package spec

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/mynthform/mynthform/mynth"
)

// writeSpec writes files (name → content) into a new directory.
func writeSpec(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// mustLoad loads a spec that must have no errors.
func mustLoad(t *testing.T, dir string, opts LoadOptions) *Spec {
	t.Helper()
	sp, diags := Load(dir, opts)
	if diags.HasErrors() {
		t.Fatalf("unexpected diagnostics:\n%s", renderDiags(sp, diags))
	}
	return sp
}

func renderDiags(sp *Spec, diags hcl.Diagnostics) string {
	var buf bytes.Buffer
	w := hcl.NewDiagnosticTextWriter(&buf, sp.Files, 100, false)
	_ = w.WriteDiagnostics(diags)
	return buf.String()
}

func requestJSON(t *testing.T, r mynth.Request) string {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestVariablePrecedence(t *testing.T) {
	const src = `
variable "model" {
  default = "from-default"
}
task "a" {
  prompt = "p"
  model  = var.model
}
`
	tests := []struct {
		name string
		opts LoadOptions
		want string
	}{
		{"default", LoadOptions{}, "from-default"},
		{"env", LoadOptions{Getenv: env("MYNTH_VAR_model", "from-env")}, "from-env"},
		{"environ list", LoadOptions{Environ: []string{"MYNTH_VAR_model=from-environ"}}, "from-environ"},
		{"var file over env", LoadOptions{VarFiles: []string{"prod.mynthvars.hcl"}, Getenv: env("MYNTH_VAR_model", "from-env")}, "from-file"},
		{"later var file wins", LoadOptions{VarFiles: []string{"prod.mynthvars.hcl", "other.mynthvars.hcl"}}, "from-other-file"},
		{"flag over var file", LoadOptions{Vars: []string{"model=from-flag"}, VarFiles: []string{"prod.mynthvars.hcl"}, Getenv: env("MYNTH_VAR_model", "from-env")}, "from-flag"},
		{"later flag wins", LoadOptions{Vars: []string{"model=first", "model=second"}}, "second"},
		{"flag value with =", LoadOptions{Vars: []string{"model=a=b"}}, "a=b"},
	}
	dir := writeSpec(t, map[string]string{
		"main.mynth.hcl":      src,
		"prod.mynthvars.hcl":  `model = "from-file"`,
		"other.mynthvars.hcl": `model = "from-other-file"`,
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := mustLoad(t, dir, tt.opts)
			if diff := cmp.Diff(tt.want, sp.Tasks[0].Request.Model); diff != "" {
				t.Errorf("model (-want +got):\n%s", diff)
			}
		})
	}
}

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestVariableValueParsing(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
variable "n" {
  type = number
}
variable "names" {
  type = list(string)
}
variable "s" {
  type = string
}
variable "any" {
}
task "a" {
  prompt = "${var.s} ${var.any} ${join(",", var.names)}"
  count  = var.n
}
`})
	sp := mustLoad(t, dir, LoadOptions{Vars: []string{`n=3`, `names=["x", "y"]`, `s=[not a list]`, `any=google/model`}})
	got := sp.Tasks[0].Request
	if got.Count != 3 || got.Prompt.Positive != "[not a list] google/model x,y" {
		t.Errorf("got count %d, prompt %q", got.Count, got.Prompt.Positive)
	}

	_, diags := Load(dir, LoadOptions{Vars: []string{`n=three`, `names=["x"]`, `s=x`, `any=1`, `nope=1`, `novalue`}})
	want := []string{"Value for undeclared variable", "Invalid --var argument", "Invalid value for variable"}
	if diff := cmp.Diff(want, summaries(diags)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

func summaries(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		out = append(out, d.Summary)
	}
	return out
}

func TestVarFileUndeclaredIsWarning(t *testing.T) {
	dir := writeSpec(t, map[string]string{
		"main.mynth.hcl":     "variable \"model\" {\n  default = \"m\"\n}\ntask \"a\" {\n  prompt = \"p\"\n}\n",
		"dev.mynthvars.hcl":  "modle = \"x\"\n",
		"bad.mynthvars.hcl":  "model = \n",
		"json.mynthvars.hcl": "",
	})
	_, diags := Load(dir, LoadOptions{VarFiles: []string{"dev.mynthvars.hcl"}})
	if diags.HasErrors() || len(diags) != 1 || diags[0].Severity != hcl.DiagWarning || !strings.Contains(diags[0].Detail, `Did you mean "model"?`) {
		t.Errorf("got %v", diags)
	}
	_, diags = Load(dir, LoadOptions{VarFiles: []string{"bad.mynthvars.hcl", "missing.mynthvars.hcl"}})
	if len(diags) != 2 || !diags.HasErrors() {
		t.Errorf("bad and missing var files: got %v", diags)
	}
}

func TestSensitive(t *testing.T) {
	const canary = "pat_CANARY_do_not_print"
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
variable "token" {
  sensitive = true
}
variable "secret_prompt" {
  sensitive = true
  default   = "a secret mug"
}
variable "secret_size" {
  sensitive = true
  default   = "huge-CANARY"
}
task "a" {
  prompt       = "photo: ${var.secret_prompt}"
  model        = "m"
  access_token = var.token
  metadata     = { note = upper(var.secret_prompt) }
}
task "b" {
  prompt = "p"
  size   = var.secret_size
  expect {
    size = var.secret_size
  }
}
task "c" {
  id           = "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP"
  access_token = "pat_plain"
}
`})
	sp, diags := Load(dir, LoadOptions{Vars: []string{"token=" + canary}})
	text := renderDiags(sp, diags)
	if strings.Contains(text, "CANARY") || strings.Contains(text, "secret mug") {
		t.Errorf("a sensitive value is in the diagnostics:\n%s", text)
	}
	if want := []string{"Unknown size", "Invalid expected size"}; !cmp.Equal(want, summaries(diags)) {
		t.Errorf("diagnostics: %s", text)
	}
	a := sp.Task("task.a")
	if diff := cmp.Diff(map[string]bool{"prompt": true, "access_token": true, "metadata": true}, a.Sensitive); diff != "" {
		t.Errorf("task.a Sensitive (-want +got):\n%s", diff)
	}
	if a.AccessToken != canary || a.Request.Prompt.Positive != "photo: a secret mug" {
		t.Errorf("values lost: %q %q", a.AccessToken, a.Request.Prompt.Positive)
	}
	if diff := cmp.Diff(map[string]bool{"access_token": true}, sp.Task("task.c").Sensitive); diff != "" {
		t.Errorf("task.c Sensitive (-want +got):\n%s", diff)
	}
}

func TestSensitiveForEach(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
variable "products" {
  sensitive = true
  default   = { mug = "a mug" }
}
task "a" {
  for_each = var.products
  prompt   = each.value
}
`})
	_, diags := Load(dir, LoadOptions{})
	if want := []string{"Invalid for_each argument"}; !cmp.Equal(want, summaries(diags)) {
		t.Errorf("got %v", diags)
	}
}

func TestFunctions(t *testing.T) {
	dir := writeSpec(t, map[string]string{
		"main.mynth.hcl": `
locals {
  items = jsondecode(file("data/items.json"))
}
task "a" {
  prompt = templatefile("prompts/p.tpl", { thing = upper("mug"), colors = ["red", "blue"] })
  model  = format("%s/%s", lower("GOOGLE"), join("-", ["gemini", "3"]))
  metadata = {
    hash   = sha256("abc")
    count  = length(local.items)
    merged = merge({ a = 1 }, { b = 2 })
    max    = max(3, 9, 4)
    csv    = replace("a,b", ",", ";")
    first  = coalesce(null, "x")
    keys   = keys({ z = 1, y = 2 })
    range  = range(3)
    try    = try(local.items[5], "none")
  }
}
`,
		"data/items.json": `["a", "b", "c"]`,
		"prompts/p.tpl":   "A %{ for c in colors }${c} %{ endfor }${thing}",
	})
	sp := mustLoad(t, dir, LoadOptions{})
	a := sp.Tasks[0]
	want := `{"prompt":"A red blue MUG","model":"google/gemini-3","metadata":{"count":3,"csv":"a;b","first":"x","hash":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","keys":["y","z"],"max":9,"merged":{"a":1,"b":2},"range":[0,1,2],"try":"none"}}`
	if diff := cmp.Diff(want, requestJSON(t, a.Request)); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
}

func TestFileFunctionRefusesSymlinkEscape(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
task "a" {
  prompt = file("link/secret.txt")
}
task "b" {
  prompt = file("inside.txt")
}
`, "real/inside.txt": "inside"})
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if err := os.Symlink(filepath.Join("real", "inside.txt"), filepath.Join(dir, "inside.txt")); err != nil {
		t.Fatal(err)
	}
	sp, diags := Load(dir, LoadOptions{})
	if len(diags) != 1 || !strings.Contains(diags[0].Detail, "through a symbolic link") || diags[0].Subject.Start.Line != 3 {
		t.Fatalf("got %v", diags)
	}
	if got := sp.Task("task.b").Request.Prompt.Positive; got != "inside" {
		t.Errorf("a symlink inside the directory: got %q", got)
	}
}

func TestForEachAddresses(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
locals {
  products = { mug = "a mug", "big bowl" = "a bowl", "q\"uote" = "x" }
}
task "single" {
  prompt = "p"
}
task "product" {
  for_each = local.products
  prompt   = "photo of ${each.value} (${each.key})"
}
task "set" {
  for_each = toset(["b", "a"])
  prompt   = each.value
}
task "empty" {
  for_each = {}
  prompt   = "never"
}
`})
	sp := mustLoad(t, dir, LoadOptions{})
	var got []string
	for _, task := range sp.Tasks {
		got = append(got, task.Address)
	}
	want := []string{
		`task.product["big bowl"]`, `task.product["mug"]`, `task.product["q\"uote"]`,
		`task.set["a"]`, `task.set["b"]`, `task.single`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("addresses (-want +got):\n%s", diff)
	}
	mug := sp.Task(`task.product["mug"]`)
	if mug.Name != "product" || mug.Key != "mug" || !mug.HasKey || mug.Request.Prompt.Positive != "photo of a mug (mug)" {
		t.Errorf("task.product[\"mug\"]: %+v", mug)
	}
	if sp.Task(`task.set["a"]`).Request.Prompt.Positive != "a" {
		t.Errorf("a set's each.value is its key")
	}
}

func TestNormalization(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
task "string_prompt" {
  prompt = "a mug"
  size   = "Square"
}
task "block_prompt" {
  prompt {
    positive = "a mug"
  }
  size {
    type = "auto"
  }
}
task "object_prompt" {
  prompt = { positive = "a mug" }
  size   = { type = "resolution", width = 1024, height = 768 }
}
task "empty_blocks" {
  prompt = "a mug"
  output {
  }
  webhook {
  }
  content_rating {
  }
}
task "with_mode" {
  prompt = "a mug"
  size {
    type   = "resolution"
    width  = 1024
    height = 768
    mode   = "exact"
  }
}
`})
	sp := mustLoad(t, dir, LoadOptions{})
	want := map[string]string{
		"task.string_prompt": `{"prompt":"a mug","size":"square"}`,
		"task.block_prompt":  `{"prompt":"a mug","size":"auto"}`,
		"task.object_prompt": `{"prompt":"a mug","size":"1024x768"}`,
		"task.empty_blocks":  `{"prompt":"a mug"}`,
		"task.with_mode":     `{"prompt":"a mug","size":{"type":"resolution","width":1024,"height":768,"mode":"exact"}}`,
	}
	got := map[string]string{}
	for _, task := range sp.Tasks {
		got[task.Address] = requestJSON(t, task.Request)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if !cmp.Equal(sp.Task("task.string_prompt").Request.Prompt, sp.Task("task.block_prompt").Request.Prompt) {
		t.Error("a string prompt differs from prompt { positive = ... }")
	}
}

func TestDefaults(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
task "a" {
  prompt = "p"
  count  = 3
}
task "b" {
  prompt = "p"
  expect {
    max_cost = "0.02"
  }
}
`})
	sp := mustLoad(t, dir, LoadOptions{})
	if diff := cmp.Diff(Settings{State: "mynth.state.json", Parallelism: 10}, sp.Settings); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	if sp.Budget != nil {
		t.Errorf("budget: %+v", sp.Budget)
	}
	a, b := sp.Task("task.a").Expect, sp.Task("task.b").Expect
	if a.Status != mynth.StatusCompleted || a.Images != 3 || a.Severity != SeverityError || a.MaxCost != nil || a.Size != "" {
		t.Errorf("task.a expect: %+v", a)
	}
	if b.Images != 1 || b.MaxCost == nil || b.MaxCost.String() != "0.02000000" {
		t.Errorf("task.b expect: %+v", b)
	}
	if r, _ := sp.Task("task.b").Ranges.Get("expect.max_cost"); r.Start.Line != 9 {
		t.Errorf("expect.max_cost range: %v", r)
	}
}

func TestNoSpecFiles(t *testing.T) {
	sp, diags := Load(t.TempDir(), LoadOptions{})
	if sp == nil || sp.Files == nil || len(diags) != 1 || diags[0].Summary != "No spec files" {
		t.Fatalf("got %v, %v", sp, diags)
	}
	_, diags = Load(filepath.Join(t.TempDir(), "missing"), LoadOptions{})
	if len(diags) != 1 || diags[0].Summary != "Cannot read the spec directory" {
		t.Fatalf("got %v", diags)
	}
}

func TestForEachDiagnosticsReportedOnce(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
task "a" {
  for_each = toset(["a", "b", "c"])
  prompt   = each.value
  size     = "sqare"
}
`})
	_, diags := Load(dir, LoadOptions{})
	if len(diags) != 1 {
		t.Errorf("got %d diagnostics, want 1: %v", len(diags), diags)
	}
}

func TestFormat(t *testing.T) {
	got, diags := Format([]byte("task \"a\" {\nprompt=\"p\"\n  count =  2\n}\n"), "a.mynth.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := "task \"a\" {\n  prompt = \"p\"\n  count  = 2\n}\n"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("Format (-want +got):\n%s", diff)
	}
	again, _ := Format(got, "a.mynth.hcl")
	if !bytes.Equal(again, got) {
		t.Error("Format is not idempotent")
	}
	_, diags = Format([]byte("task \"a\" {\n"), "bad.mynth.hcl")
	if !diags.HasErrors() || diags[0].Subject.Filename != "bad.mynth.hcl" {
		t.Errorf("syntax error: got %v", diags)
	}
	// Worded as Load words it: the hint that ends validate's detail.
	_, loaded := Load(writeSpec(t, map[string]string{"bad.mynth.hcl": "task \"a\" {\n"}), LoadOptions{})
	if len(diags) != 1 || len(loaded) != 1 || diags[0].Detail != loaded[0].Detail || !strings.HasSuffix(diags[0].Detail, " Add the } that closes it.") {
		t.Errorf("Format's detail %q, Load's %q", diags[0].Detail, loaded[0].Detail)
	}
}

func TestFunctionNames(t *testing.T) {
	names := FunctionNames()
	for _, want := range []string{"file", "templatefile", "sha256", "upper", "jsonencode", "toset", "try"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("function %s missing from %v", want, names)
		}
	}
}

func TestChangePaths(t *testing.T) {
	tests := map[string]bool{
		"result.images[*].url":                   true,
		"result.images[0].url":                   true,
		"request.size.aspectRatio":               true,
		"request.metadata.batch-id":              true,
		"status":                                 true,
		"request":                                true,
		"result.images[*]":                       true,
		"":                                       false,
		"foo.bar":                                false,
		"result..url":                            false,
		"result.images[x].url":                   false,
		"result.images[*.url":                    false,
		"request.content_rating.levels[1].value": true,
	}
	for path, want := range tests {
		if got := changePathProblem(path) == ""; got != want {
			t.Errorf("%q: valid %v, want %v (%s)", path, got, want, changePathProblem(path))
		}
	}
}

// TestBrokenValuesDoNotCascade checks that a value that failed (and was
// reported) does not panic or repeat its error where it is used.
func TestBrokenValuesDoNotCascade(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
locals {
  broken = nosuch(1)
}
task "set" {
  for_each = toset([local.broken, "b"])
  prompt   = each.value
}
task "map" {
  for_each = { a = local.broken }
  prompt   = each.value
  files    = [local.broken]
  inputs   = [null]
  count    = 1 / 0
}
task "count" {
  prompt = "p"
  count  = 0
  files  = ["a.png", "b.png"]
  expect {
    images = 2
  }
}
task "nulls" {
  prompt = null
  model  = null
  id     = null
}
`})
	_, diags := Load(dir, LoadOptions{})
	want := []string{"Call to unknown function", "Incorrect attribute value type", "Number out of range", "Invalid count", "Missing prompt"}
	if diff := cmp.Diff(want, summaries(diags)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

// TestValidFixtureGolden writes the typed spec of testdata/spec/valid as
// JSON and compares it with a golden file: every field of every task.
func TestValidFixtureGolden(t *testing.T) {
	sp := mustLoad(t, filepath.Join(fixtureDir, "valid"), LoadOptions{})
	type taskDoc struct {
		Address       string          `json:"address"`
		Name          string          `json:"name"`
		Key           string          `json:"key,omitempty"`
		ID            string          `json:"id,omitempty"`
		Request       mynth.Request   `json:"request"`
		Expect        map[string]any  `json:"expect"`
		Files         []string        `json:"files,omitempty"`
		IgnoreChanges []string        `json:"ignore_changes,omitempty"`
		Sensitive     map[string]bool `json:"sensitive,omitempty"`
		Ranges        []string        `json:"ranges"`
	}
	doc := map[string]any{"settings": map[string]any{"state": sp.Settings.State, "parallelism": sp.Settings.Parallelism, "base_url": sp.Settings.BaseURL}}
	if sp.Budget != nil {
		doc["budget"] = sp.Budget.MaxTotal
	}
	var tasks []taskDoc
	for _, task := range sp.Tasks {
		e := task.Expect
		exp := map[string]any{"status": e.Status, "images": e.Images, "severity": e.Severity, "size": e.Size, "max_cost": e.MaxCost}
		var ranges []string
		for name, r := range task.Ranges.All() {
			ranges = append(ranges, fmt.Sprintf("%s %s:%d", name, filepath.Base(r.Filename), r.Start.Line))
		}
		sort.Strings(ranges)
		tasks = append(tasks, taskDoc{task.Address, task.Name, task.Key, task.ID, task.Request, exp, task.Files, task.IgnoreChanges, task.Sensitive, ranges})
	}
	doc["tasks"] = tasks
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, filepath.Join(fixtureDir, "valid", "spec.golden.json"), append(b, '\n'))
}

func TestFileFunctionRefusesNonRegularFiles(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
task "a" {
  prompt = file("sub")
}
`, "sub/x.txt": "x"})
	_, diags := Load(dir, LoadOptions{})
	if len(diags) != 1 || !strings.Contains(diags[0].Detail, "not a regular file") {
		t.Fatalf("got %v", diags)
	}
}

// TestImageFileIsNotTheStateFile checks that an image path equal to the
// state file is refused however the two are written: the default state,
// and an absolute state path against a relative image path.
func TestImageFileIsNotTheStateFile(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
task "a" {
  prompt = "p"
  files  = ["mynth.state.json"]
}
`})
	_, diags := Load(dir, LoadOptions{})
	if want := []string{"Invalid file path"}; !cmp.Equal(want, summaries(diags)) {
		t.Errorf("default state: got %v", diags)
	}

	dir = t.TempDir()
	src := fmt.Sprintf("mynth {\n  state = %q\n}\ntask \"a\" {\n  prompt = \"p\"\n  files  = [\"s/state.json\"]\n}\n", filepath.Join(dir, "s", "state.json"))
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags = Load(dir, LoadOptions{})
	if want := []string{"Invalid file path"}; !cmp.Equal(want, summaries(diags)) {
		t.Errorf("absolute state: got %v", diags)
	}
}

// TestSensitiveFunctionErrors checks that a function that fails on a
// sensitive argument does not print the value: go-cty's messages quote
// the argument ("cannot parse \"...\" as a base 10 integer").
func TestSensitiveFunctionErrors(t *testing.T) {
	const canary = "CANARY_function_error"
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
variable "secret" {
  sensitive = true
}
locals {
  derived = upper(var.secret)
}
task "a" {
  prompt = "p"
  metadata = {
    a = parseint(var.secret, 10)
    b = tonumber(local.derived)
    c = tobool(var.secret)
    d = timeadd(var.secret, "1h")
    e = formatdate(var.secret, "2020-01-01T00:00:00Z")
  }
}
`})
	sp, diags := Load(dir, LoadOptions{Vars: []string{"secret=" + canary}})
	if len(diags) != 5 {
		t.Errorf("got %d diagnostics, want 5", len(diags))
	}
	text := renderDiags(sp, diags)
	if strings.Contains(strings.ToUpper(text), canary) || strings.Contains(text, `verb "C"`) {
		t.Errorf("a sensitive value is in the diagnostics:\n%s", text)
	}
	for _, d := range diags {
		if d.Subject == nil || !strings.HasSuffix(d.Detail, ".") {
			t.Errorf("diagnostic without a range or a full sentence: %+v", d)
		}
	}
}

// TestVarFileSecretsNotPrinted checks that a mistake in a variable file
// is reported with its file and line but without the line's text when a
// sensitive variable is declared: the line may hold the secret.
func TestVarFileSecretsNotPrinted(t *testing.T) {
	dir := writeSpec(t, map[string]string{
		"main.mynth.hcl": `
variable "token" {
  type      = string
  sensitive = true
}
task "a" {
  id           = "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP"
  access_token = var.token
}
`,
		"unquoted.mynthvars.hcl":     "token = pat_CANARY_unquoted\n",
		"unterminated.mynthvars.hcl": "token = \"pat_CANARY_unterminated\n",
		"wrong_type.mynthvars.hcl":   "token = [\"pat_CANARY_list\"]\n",
		"misspelt.mynthvars.hcl":     "tokn = \"pat_CANARY_misspelt\"\n",
	})
	for _, file := range []string{"unquoted.mynthvars.hcl", "unterminated.mynthvars.hcl", "wrong_type.mynthvars.hcl", "misspelt.mynthvars.hcl"} {
		t.Run(file, func(t *testing.T) {
			sp, diags := Load(dir, LoadOptions{VarFiles: []string{file}})
			pointed := false
			for _, d := range diags {
				if d.Subject == nil {
					t.Errorf("diagnostic without a range: %+v", d)
					continue
				}
				pointed = pointed || filepath.Base(d.Subject.Filename) == file && d.Subject.Start.Line == 1
			}
			if !pointed {
				t.Errorf("no diagnostic points at line 1 of %s: %v", file, diags)
			}
			if text := renderDiags(sp, diags); strings.Contains(text, "CANARY") {
				t.Errorf("a sensitive value is in the diagnostics:\n%s", text)
			}
		})
	}
}

// TestUnreadableVarFile checks that a --var-file that is missing or a
// directory is reported with a detail that names it and says how to fix
// it, not HCL's bare "could not be read".
func TestUnreadableVarFile(t *testing.T) {
	dir := writeSpec(t, map[string]string{
		"main.mynth.hcl":      "task \"a\" {\n  prompt = \"p\"\n}\n",
		"dir.mynthvars.hcl/x": "",
	})
	for _, file := range []string{"missing.mynthvars.hcl", "dir.mynthvars.hcl"} {
		_, diags := Load(dir, LoadOptions{VarFiles: []string{file}})
		if len(diags) != 1 || !diags.HasErrors() {
			t.Fatalf("%s: got %v", file, diags)
		}
		if d := diags[0].Detail; !strings.Contains(d, "--var-file "+file) || !strings.HasSuffix(d, "directory.") {
			t.Errorf("%s: detail %q", file, d)
		}
	}
}

// TestSchemaDiagnosticsEndWithFix checks that HCL's own schema
// diagnostics (labels, required arguments) end with a fix, as ours do.
func TestSchemaDiagnosticsEndWithFix(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
task "a" "b" {
  prompt = "p"
}
task {
  prompt = "p"
}
budget {
}
task "c" {
  prompt = "p"
  expect "x" {
  }
}
`})
	_, diags := Load(dir, LoadOptions{})
	want := map[string]string{
		"Extraneous label for task":   "Remove the extra label.",
		"Missing name for task":       `Add the name in quotes after the block type, as in task "NAME" { }.`,
		"Missing budget limit":        `Add max_total = "5.00" (the most the spec's current tasks may cost), max_spent (the most spent in all, replaced and forgotten tasks included), or a price block; or remove the budget block.`,
		"Extraneous label for expect": "Remove the extra label.",
	}
	got := map[string]string{}
	for _, d := range diags {
		fix := d.Detail
		if i := strings.LastIndex(strings.TrimSuffix(fix, "."), ". "); i >= 0 {
			fix = fix[i+2:]
		}
		got[d.Summary] = fix
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fixes (-want +got):\n%s", diff)
	}
}

// TestSensitiveAcrossTasks checks that the checks across tasks (one file
// or one id twice) do not print a sensitive path or id.
func TestSensitiveAcrossTasks(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
variable "s" {
  sensitive = true
}
variable "id" {
  sensitive = true
}
task "a" {
  for_each = toset(["x", "y"])
  prompt   = each.value
  files    = ["${var.s}.png"]
  id       = var.id
}
`})
	sp, diags := Load(dir, LoadOptions{Vars: []string{"s=CANARY_file", "id=tsk_CANARY_id"}})
	if want := []string{"Two images saved to one file", "Task id pinned twice"}; !cmp.Equal(want, summaries(diags)) {
		t.Errorf("diagnostics: %v", diags)
	}
	if text := renderDiags(sp, diags); strings.Contains(text, "CANARY") {
		t.Errorf("a sensitive value is in the diagnostics:\n%s", text)
	}
}

// TestSensitiveInvalidValues sets every checked field from a sensitive
// variable with a wrong value: each is reported, none prints the value.
func TestSensitiveInvalidValues(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
variable "s" {
  sensitive = true
}
mynth {
  base_url = var.s
}
budget {
  max_total = var.s
}
task "a" {
  prompt {
    positive = "p"
    enhance  = var.s
  }
  model          = "m"
  size           = { type = var.s }
  inputs         = [var.s, { url = "https://x/y.png", role = var.s }]
  ignore_changes = [var.s]
  files          = [var.s]
  output {
    format = var.s
  }
  webhook {
    custom = [var.s]
  }
  expect {
    status   = var.s
    size     = var.s
    max_cost = var.s
    severity = var.s
  }
}
task "b" {
  prompt = "p"
  size   = { type = "aspect_ratio", aspect_ratio = var.s }
}
`})
	sp, diags := Load(dir, LoadOptions{Vars: []string{"s=CANARY"}})
	if len(diags) < 14 {
		t.Errorf("got %d diagnostics: %v", len(diags), diags)
	}
	if text := renderDiags(sp, diags); strings.Contains(text, "CANARY") {
		t.Errorf("a sensitive value is in the diagnostics:\n%s", text)
	}
}

// TestSensitiveNumbers is TestSensitiveInvalidValues for numbers.
func TestSensitiveNumbers(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
variable "n" {
  type      = number
  sensitive = true
}
mynth {
  parallelism = var.n + 4242420000
}
task "a" {
  prompt = "p"
  count  = var.n + 4242420000
  output {
    quality = var.n + 424242
  }
  expect {
    images = var.n - 424242
  }
}
task "b" {
  prompt = "p"
  count  = var.n + 0.4242
  size   = { type = "resolution", width = var.n + 424242, height = 1 }
  expect {
    images = var.n + 424242
  }
}
task "c" {
  prompt = "p"
  count  = var.n + 424242
}
`})
	// The source holds 4242 (the snippets print it, the user's own
	// text); the computed numbers end in 4243 or 4241.
	_, diags := Load(dir, LoadOptions{Vars: []string{"n=1"}})
	if len(diags) != 7 {
		t.Errorf("got %d diagnostics, want 7: %v", len(diags), diags)
	}
	for _, d := range diags {
		if strings.Contains(d.Detail, "4243") || strings.Contains(d.Detail, "4241") {
			t.Errorf("a sensitive value is in the diagnostic: %s", d.Detail)
		}
	}
}

// TestVariableTypeErrorPath checks that a value that does not match a
// nested type says where inside it the mismatch is.
func TestVariableTypeErrorPath(t *testing.T) {
	dir := writeSpec(t, map[string]string{"main.mynth.hcl": `
variable "o" {
  type = object({ sizes = list(number) })
}
task "a" {
  prompt = "p"
}
`})
	_, diags := Load(dir, LoadOptions{Vars: []string{`o={ sizes = [1, "two"] }`}})
	if len(diags) != 1 || !strings.Contains(diags[0].Detail, "var.o.sizes[1]: a number is required") {
		t.Errorf("got %v", diags)
	}
}

// A done context ends the evaluation of task instances: Load says it was
// interrupted and returns no tasks.
func TestLoadStopsWhenItsContextEnds(t *testing.T) {
	dir := t.TempDir()
	src := `task "v" {
  for_each = { for i in range(1000) : "k${i}" => i }
  prompt   = "variant ${each.key}"
  model    = "m"
  size     = "square"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if sp, diags := Load(dir, LoadOptions{}); diags.HasErrors() || len(sp.Tasks) != 1000 {
		t.Fatalf("without a context: %d tasks, %v", len(sp.Tasks), diags)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sp, diags := Load(dir, LoadOptions{Context: ctx})
	if !diags.HasErrors() || len(sp.Tasks) != 0 || !strings.Contains(diags.Error(), "Interrupted") {
		t.Fatalf("with a done context: %d tasks, %v", len(sp.Tasks), diags)
	}
}
