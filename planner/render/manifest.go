package render

// This file is `mynthform show`'s view of the state: the asset manifest.

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/mynthform/mynthform/internal/plural"
	"github.com/mynthform/mynthform/internal/termtext"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/state"
)

// Manifest renders the state as `mynthform show` prints it: every recorded
// task with its id, status, cost, model, prompt and images (their URLs and
// saved files), the newest entries of the ledger, and the totals. What the
// API wrote is escaped (package termtext): a model name holding a newline
// and "::error" must not forge a workflow command in a CI log.
type Manifest struct {
	// Path names the state in the closing lines: its file, or the backend.
	Path string
	// Sensitive returns what the spec marks sensitive for the task at an
	// address (spec.Task's Sensitive: "model", "prompt", "id", ...); it
	// prints as "(sensitive)", hidden as planner.RedactStateTask hides it
	// in state show. Nil hides nothing.
	Sensitive func(addr string) map[string]bool
}

// ManifestLedgerShown bounds the ledger entries the manifest lists; the
// older ones are counted (the state file holds them all).
const ManifestLedgerShown = 20

// Render writes the manifest of st to w.
func (m Manifest) Render(w io.Writer, st *state.File) error {
	out := newErrWriter(w)
	addrs := st.Addresses()
	if len(addrs) == 0 && len(st.History) == 0 {
		out.printf("The state (%s) records no task yet.\n", m.Path)
		return out.flush()
	}
	var total mynth.Amount
	for i, addr := range addrs {
		if i > 0 {
			out.printf("\n")
		}
		t := st.Tasks[addr]
		if m.Sensitive != nil {
			t = planner.RedactStateTask(t, m.Sensitive(addr))
		}
		if c := manifestTask(out, addr, t); c != nil {
			total = total.Add(*c)
		}
	}
	manifestLedger(out, st)
	out.printf("\nCurrent cost: %s over %s (state %s, serial %d).\n", total.Dollars(), plural.Count(len(addrs), "task"), m.Path, st.Serial)
	ledger := st.LedgerTotal()
	out.printf("Total spent: %s, of which %s on %s replaced or forgotten (the ledger).\n",
		total.Add(ledger).Dollars(), ledger.Dollars(), plural.Count(len(st.History), "task"))
	return out.flush()
}

// manifestTask writes one recorded task, its sensitive values already
// redacted, and returns its cost, nil when its result records none.
func manifestTask(out *errWriter, addr string, t *state.Task) *mynth.Amount {
	var req mynth.Request
	var res mynth.Result
	var members map[string]json.RawMessage
	if len(t.Request) > 0 {
		_ = json.Unmarshal(t.Request, &req)
		_ = json.Unmarshal(t.Request, &members)
	}
	hasResult := len(t.Result) > 0 && json.Unmarshal(t.Result, &res) == nil
	var cost *mynth.Amount
	costText := "—"
	if hasResult && res.Cost != nil {
		cost = &res.Cost.Total
		costText = cost.Dollars()
	}
	out.printf("%s\n", termtext.Line(addr))
	out.printf("  id:      %s\n", termtext.Line(t.ID))
	out.printf("  status:  %s\n", termtext.Line(string(t.Status)))
	out.printf("  cost:    %s\n", costText)
	model := req.Model
	if hasResult && res.Model != "" {
		model = res.Model
	}
	if model != "" {
		out.printf("  model:   %s\n", termtext.Line(model))
	}
	switch {
	case req.Prompt == nil && len(t.Request) == 0:
		out.printf("  prompt:  (not recorded: the task was read with its access token)\n")
	case req.Prompt == nil:
	case string(members["prompt"]) == `"`+sensitiveText+`"`: // redacted
		out.printf("  prompt:  %s\n", sensitiveText)
	default:
		out.printf("  prompt:  %q\n", req.Prompt.Positive)
		if req.Prompt.Negative != "" {
			out.printf("  negative: %q\n", req.Prompt.Negative)
		}
	}
	if t.CreatedAt != "" {
		out.printf("  created: %s\n", termtext.Line(t.CreatedAt))
	}
	if !hasResult || len(res.Images) == 0 {
		return cost
	}
	saved := map[string]state.SavedFile{}
	for _, f := range t.Files {
		saved[f.ImageID] = f
	}
	out.printf("  images:\n")
	for _, im := range res.Images {
		if im.Status != mynth.ImageSucceeded {
			out.printf("    - failed: %s\n", termtext.Line(strings.TrimSpace(im.ErrorMessage())))
			continue
		}
		size := im.Size
		if size == "" {
			size = "?"
		}
		out.printf("    - %s  %s  %s\n", termtext.Line(im.ID), termtext.Line(size), termtext.Line(im.URL))
		if f, ok := saved[im.ID]; ok {
			out.printf("      saved %s (%d bytes, sha256 %s)\n", termtext.Line(f.Path), f.Size, termtext.Line(f.SHA256))
		}
	}
	return cost
}

// manifestLedger lists the newest entries of the state's ledger: the
// tasks it replaced or forgot, with what they cost.
func manifestLedger(out *errWriter, st *state.File) {
	if len(st.History) == 0 {
		return
	}
	out.printf("\nReplaced and forgotten (%s):\n", plural.Count(len(st.History), "task"))
	from := max(0, len(st.History)-ManifestLedgerShown)
	if from > 0 {
		out.printf("  … %d older, in the state file's \"history\"\n", from)
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
		out.printf("  %s  %s  %s  %s %s\n", termtext.Line(h.Address), termtext.Line(h.ID), cost, termtext.Line(why), termtext.Line(h.SupersededAt))
	}
}
