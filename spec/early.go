package spec

import (
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Early is told what Load finds before Load returns, so that the caller can
// start on it (read tasks from Mynth) while the rest of the spec loads.
// What it hears is a guess from the syntax alone: the Spec that Load
// returns is what counts, and a caller must use nothing it started from
// Early that the Spec does not confirm (a prefetched task whose id the
// Spec does not give the task is not that task's read). A spec with
// errors may have told Early about some of its tasks.
type Early struct {
	// TaskID, when set, hears the id of every task block that has no
	// for_each and whose id is a literal string that looks like a task id,
	// as soon as the piece of the file holding the block is parsed: its
	// address (task.NAME) and the id. It may be called from several
	// goroutines at once, in no particular order, and must not block for
	// long. An id written as an expression (a variable, a function call)
	// is never told: only its evaluation says what it is.
	TaskID func(address, id string)
	// Settings, when set, hears the mynth block's settings (the defaults
	// when there is none) once every file is parsed and the mynth block
	// decoded without error, before the tasks are evaluated; they are the
	// Spec's Settings. It is called at most once, on Load's goroutine.
	Settings func(Settings)
}

// tellTaskIDs tells early.TaskID the literal ids of the task blocks at the
// top level of body (a file, or a piece of one).
func (e *Early) tellTaskIDs(body *hclsyntax.Body) {
	if e == nil || e.TaskID == nil || body == nil {
		return
	}
	for _, b := range body.Blocks {
		if b.Type != "task" || len(b.Labels) != 1 || !validIdentifier(b.Labels[0]) || b.Body == nil {
			continue
		}
		if _, ok := b.Body.Attributes["for_each"]; ok {
			continue
		}
		attr := b.Body.Attributes["id"]
		if attr == nil {
			continue
		}
		if id, ok := literalString(attr.Expr); ok && validTaskID(id) {
			e.TaskID("task."+b.Labels[0], id)
		}
	}
}

// tellTaskID tells early.TaskID the id of the task at address, when id
// is not "".
func (e *Early) tellTaskID(address, id string) {
	if e != nil && e.TaskID != nil && id != "" {
		e.TaskID(address, id)
	}
}

// literalString returns the value of expr when it is a string written as a
// literal: "tsk_..." with no interpolation.
func literalString(expr hclsyntax.Expression) (string, bool) {
	if t, ok := expr.(*hclsyntax.TemplateExpr); ok {
		if len(t.Parts) != 1 {
			return "", false
		}
		expr = t.Parts[0]
	}
	lit, ok := expr.(*hclsyntax.LiteralValueExpr)
	if !ok || lit.Val.IsNull() || !lit.Val.IsKnown() || lit.Val.Type() != cty.String || lit.Val.IsMarked() {
		return "", false
	}
	return lit.Val.AsString(), true
}
