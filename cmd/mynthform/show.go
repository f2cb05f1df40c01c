package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/mynthform/mynthform/internal/plural"
	"github.com/mynthform/mynthform/internal/termtext"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/planner/render"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

const showUsage = "show [--json] [PLANFILE]"

func runShow(g *globals, args []string) int {
	var asJSON bool
	var vf varFlags
	fs := newFlagSet("show")
	fs.BoolVar(&asJSON, "json", false, "print JSON: the state file's content, or the saved plan's --json document")
	vf.register(fs)
	if code, done := parseFlags(g, fs, showUsage, args); done {
		return code
	}
	switch fs.NArg() {
	case 0:
		return showState(g, vf, asJSON)
	case 1:
		return showPlanFile(g, fs.Arg(0), asJSON)
	}
	fmt.Fprintf(g.stderr, "mynthform show: too many arguments\nUsage: mynthform %s\n", showUsage)
	return exitError
}

// showPlanFile prints a saved plan as plan printed it.
func showPlanFile(g *globals, path string, asJSON bool) int {
	if !filepath.IsAbs(path) {
		path = filepath.Join(g.dir, path)
	}
	saved, err := planner.ReadSavedPlan(path)
	if err != nil {
		fmt.Fprintf(g.stderr, "mynthform show: %v\n", err)
		return exitError
	}
	var r render.Renderer = &render.Human{Color: g.color}
	if asJSON {
		r = &render.JSON{}
	}
	if err := r.Render(g.stdout, saved.Plan); err != nil {
		fmt.Fprintf(g.stderr, "mynthform show: %v\n", err)
		return exitError
	}
	return exitOK
}

// showState prints the state as an asset manifest, or its JSON.
func showState(g *globals, vf varFlags, asJSON bool) int {
	// The spec says where the state is and which values are sensitive;
	// show works without one (default state path, nothing hidden but
	// what the state never holds).
	sp, diags := loadSpecQuiet(g, vf)
	if diags.HasErrors() {
		sp = nil
	}
	b, closeB, err := openBackend(g, sp, "")
	if err != nil {
		fmt.Fprintf(g.stderr, "mynthform show: %v\n", err)
		return exitError
	}
	defer closeB()
	path := stateWhere(b)
	st, err := b.Load()
	if err != nil {
		fmt.Fprintf(g.stderr, "mynthform show: %v\n", err)
		return exitError
	}
	if asJSON {
		data, err := state.Encode(redactState(st, sp))
		if err != nil {
			fmt.Fprintf(g.stderr, "mynthform show: %v\n", err)
			return exitError
		}
		_, _ = g.stdout.Write(data)
		return exitOK
	}
	writeManifest(g.stdout, st, sp, path)
	return exitOK
}

// writeManifest prints every recorded task: id, status, cost, model,
// prompt, and its images with their URLs and saved files. What the API
// wrote is escaped (package termtext): a model name holding a newline and
// "::error" must not forge a workflow command in a CI log.
func writeManifest(w io.Writer, st *state.File, sp *spec.Spec, path string) {
	addrs := st.Addresses()
	if len(addrs) == 0 && len(st.History) == 0 {
		fmt.Fprintf(w, "The state (%s) records no task yet.\n", path)
		return
	}
	var total mynth.Amount
	for i, addr := range addrs {
		t := st.Tasks[addr]
		var sens map[string]bool
		if sp != nil {
			if s := sp.Task(addr); s != nil {
				sens = s.Sensitive
			}
		}
		var req mynth.Request
		var res mynth.Result
		_ = json.Unmarshal(orEmpty(t.Request), &req)
		hasResult := len(t.Result) > 0 && json.Unmarshal(t.Result, &res) == nil
		cost := "—"
		if hasResult && res.Cost != nil {
			cost = res.Cost.Total.Dollars()
			total = total.Add(res.Cost.Total)
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s\n", termtext.Line(addr))
		fmt.Fprintf(w, "  id:      %s\n", termtext.Line(t.ID))
		fmt.Fprintf(w, "  status:  %s\n", termtext.Line(string(t.Status)))
		fmt.Fprintf(w, "  cost:    %s\n", cost)
		model := req.Model
		if hasResult && res.Model != "" {
			model = res.Model
		}
		if model != "" {
			if sens["model"] {
				model = "(sensitive)"
			}
			fmt.Fprintf(w, "  model:   %s\n", termtext.Line(model))
		}
		switch {
		case req.Prompt == nil && len(t.Request) == 0:
			fmt.Fprintf(w, "  prompt:  (not recorded: the task was read with its access token)\n")
		case req.Prompt == nil:
		case sens["prompt"]:
			fmt.Fprintf(w, "  prompt:  (sensitive)\n")
		default:
			fmt.Fprintf(w, "  prompt:  %q\n", req.Prompt.Positive)
			if req.Prompt.Negative != "" {
				fmt.Fprintf(w, "  negative: %q\n", req.Prompt.Negative)
			}
		}
		if t.CreatedAt != "" {
			fmt.Fprintf(w, "  created: %s\n", termtext.Line(t.CreatedAt))
		}
		saved := map[string]state.SavedFile{}
		for _, f := range t.Files {
			saved[f.ImageID] = f
		}
		if hasResult && len(res.Images) > 0 {
			fmt.Fprintf(w, "  images:\n")
			for _, im := range res.Images {
				if im.Status != mynth.ImageSucceeded {
					fmt.Fprintf(w, "    - failed: %s\n", termtext.Line(strings.TrimSpace(im.ErrorMessage())))
					continue
				}
				size := im.Size
				if size == "" {
					size = "?"
				}
				fmt.Fprintf(w, "    - %s  %s  %s\n", termtext.Line(im.ID), termtext.Line(size), termtext.Line(im.URL))
				if f, ok := saved[im.ID]; ok {
					fmt.Fprintf(w, "      saved %s (%d bytes, sha256 %s)\n", termtext.Line(f.Path), f.Size, termtext.Line(f.SHA256))
				}
			}
		}
	}
	writeLedger(w, st)
	fmt.Fprintf(w, "\nCurrent cost: %s over %s (state %s, serial %d).\n", total.Dollars(), plural.Count(len(addrs), "task"), path, st.Serial)
	ledger := st.LedgerTotal()
	fmt.Fprintf(w, "Total spent: %s, of which %s on %s replaced or forgotten (the ledger).\n",
		total.Add(ledger).Dollars(), ledger.Dollars(), plural.Count(len(st.History), "task"))
}

// ledgerShown bounds the ledger entries show lists; the others are
// counted (the state file holds them all).
const ledgerShown = 20

// writeLedger lists the newest entries of the state's ledger: the tasks
// it replaced or forgot, with what they cost.
func writeLedger(w io.Writer, st *state.File) {
	if len(st.History) == 0 {
		return
	}
	fmt.Fprintf(w, "\nReplaced and forgotten (%s):\n", plural.Count(len(st.History), "task"))
	from := max(0, len(st.History)-ledgerShown)
	if from > 0 {
		fmt.Fprintf(w, "  … %d older, in the state file's \"history\"\n", from)
	}
	for _, h := range st.History[from:] {
		cost := "—"
		if h.Cost != nil {
			cost = h.Cost.Dollars()
		}
		why := h.Reason
		if h.ReplacedBy != "" {
			why += " by " + h.ReplacedBy
		}
		// The state is data: its text is escaped for the terminal.
		fmt.Fprintf(w, "  %s  %s  %s  %s %s\n", termtext.Line(h.Address), termtext.Line(h.ID), cost, termtext.Line(why), termtext.Line(h.SupersededAt))
	}
}

func orEmpty(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage(`{}`)
	}
	return raw
}

// redactState returns st with the values the spec marks sensitive replaced
// by "(sensitive)", as state show prints them; st itself is not changed.
func redactState(st *state.File, sp *spec.Spec) *state.File {
	if sp == nil {
		return st
	}
	out := st.Clone()
	for addr, t := range out.Tasks {
		if decl := sp.Task(addr); decl != nil && len(decl.Sensitive) > 0 {
			out.Tasks[addr] = redactStateTask(t, decl.Sensitive)
		}
	}
	return out
}
