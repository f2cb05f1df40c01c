package render

// This file is `mynthform state show`'s view of one recorded task.
// cmd/mynthform finds the task; these views only write.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/mynthform/mynthform/internal/plural"
	"github.com/mynthform/mynthform/internal/termtext"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/state"
)

// StateShowView is everything `state show` prints. StateShowHuman and
// StateShowJSON are its views; the command's tests use a fake that
// records the calls.
type StateShowView interface {
	// Task prints the task recorded at addr, with the values that
	// sensitive (a spec.Task's Sensitive) marks hidden, as
	// planner.RedactStateTask hides them.
	Task(addr string, t *state.Task, sensitive map[string]bool) error
	// Instances says that addr names a task block, not one task, and
	// lists its recorded instances to show instead.
	Instances(addr string, instances []string)
	// Error reports why nothing is shown.
	Error(err error)
}

// Compile-time checks that both views are StateShowViews.
var (
	_ StateShowView = (*StateShowHuman)(nil)
	_ StateShowView = (*StateShowJSON)(nil)
)

// stateShowErrors is the part the views share: what goes to Err.
type stateShowErrors struct {
	Err io.Writer
}

// Instances implements StateShowView.
func (v stateShowErrors) Instances(addr string, instances []string) {
	fmt.Fprintf(v.Err, "mynthform state show: %s is a task block with %s in the state; show one of them:\n", termtext.Line(addr), plural.Count(len(instances), "instance"))
	for _, a := range instances {
		fmt.Fprintf(v.Err, "  mynthform state show %s\n", termtext.Line(ShellQuoteAddress(a)))
	}
}

// Error implements StateShowView.
func (v stateShowErrors) Error(err error) {
	fmt.Fprintf(v.Err, "mynthform state show: %v\n", err)
}

// StateShowJSON prints the task on Out as the state file records it.
type StateShowJSON struct {
	Out, Err io.Writer
}

// Task implements StateShowView.
func (v *StateShowJSON) Task(addr string, t *state.Task, sensitive map[string]bool) error {
	data, err := state.EncodeTask(planner.RedactStateTask(t, sensitive))
	if err != nil {
		return fmt.Errorf("%s: %w", addr, err)
	}
	_, err = v.Out.Write(data)
	return err
}

// Instances implements StateShowView.
func (v *StateShowJSON) Instances(addr string, instances []string) {
	stateShowErrors{v.Err}.Instances(addr, instances)
}

// Error implements StateShowView.
func (v *StateShowJSON) Error(err error) { stateShowErrors{v.Err}.Error(err) }

// StateShowHuman prints the task on Out for people: its id, status, times,
// cost and images in aligned rows, its saved files, then its request and
// result as indented JSON. What the API wrote (ids, statuses, models,
// sizes, URLs, messages) is escaped: it is data, and a newline or an ESC
// in it must not reach the terminal or the log.
type StateShowHuman struct {
	Out, Err io.Writer
}

// Instances implements StateShowView.
func (v *StateShowHuman) Instances(addr string, instances []string) {
	stateShowErrors{v.Err}.Instances(addr, instances)
}

// Error implements StateShowView.
func (v *StateShowHuman) Error(err error) { stateShowErrors{v.Err}.Error(err) }

// Task implements StateShowView.
func (v *StateShowHuman) Task(addr string, t *state.Task, sensitive map[string]bool) error {
	t = planner.RedactStateTask(t, sensitive)
	var out bytes.Buffer
	fmt.Fprintf(&out, "%s\n", termtext.Line(addr))
	tw := tabwriter.NewWriter(&out, 0, 0, 1, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "  %s:\t%s\n", k, termtext.Line(v))
		}
	}
	row("id", t.ID)
	row("status", string(t.Status))
	row("created", t.CreatedAt)
	row("updated", t.UpdatedAt)
	var res mynth.Result
	resOK := len(t.Result) > 0 && json.Unmarshal(t.Result, &res) == nil
	if resOK {
		row("model", res.Model)
		if res.Cost != nil {
			row("cost", res.Cost.Total.Dollars())
		}
		ok := res.SucceededCount()
		row("images", fmt.Sprintf("%d succeeded, %d failed", ok, len(res.Images)-ok))
	} else if len(t.Result) == 0 {
		row("result", "none yet")
	}
	_ = tw.Flush()
	if resOK {
		for i, img := range res.Images {
			if img.Status == mynth.ImageSucceeded {
				cost := ""
				if img.Cost != nil {
					cost = img.Cost.Dollars()
				}
				fmt.Fprintf(tw, "    [%d]\t%s\t%s\t%s\t%s\t%s\n", i, termtext.Line(string(img.Status)), termtext.Line(img.ID), termtext.Line(img.Size), cost, termtext.Line(img.URL))
			} else {
				fmt.Fprintf(tw, "    [%d]\t%s\t%s\n", i, termtext.Line(string(img.Status)), termtext.Line(img.ErrorMessage()))
			}
		}
		_ = tw.Flush()
	}
	if len(t.Files) > 0 {
		out.WriteString("  files:\n")
		for _, f := range t.Files {
			fmt.Fprintf(tw, "    %s\t%s\t%d bytes\tsha256 %s\n", termtext.Line(f.Path), termtext.Line(f.ImageID), f.Size, termtext.Line(f.SHA256))
		}
		_ = tw.Flush()
	}
	if len(t.Request) == 0 {
		out.WriteString("  request: not recorded (only a Public Access Token could read the task)\n")
	} else {
		stateDocument(&out, "request", t.Request)
	}
	if len(t.Result) > 0 {
		stateDocument(&out, "result", t.Result)
	}
	_, err := v.Out.Write(out.Bytes())
	return err
}

// stateDocument prints a recorded JSON document, indented under its name;
// nothing when it is not JSON. JSON escapes the C0 controls but not DEL,
// the C1 controls or the bidirectional ones: termtext.Block does.
func stateDocument(out *bytes.Buffer, name string, raw json.RawMessage) {
	var b bytes.Buffer
	if json.Indent(&b, raw, "    ", "  ") != nil {
		return
	}
	fmt.Fprintf(out, "  %s:\n    %s\n", name, termtext.Block(b.String()))
}

// ShellQuoteAddress quotes an address for a POSIX shell when it needs it
// (task.a["k"] does, task.a does not).
func ShellQuoteAddress(s string) string {
	if strings.ContainsAny(s, `["' `) {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}
