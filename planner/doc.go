// Package planner owns comparing and applying: it reads the spec (package
// spec), the state file (package state) and, through the small API interface
// it defines, the tasks that Mynth holds (package mynth), and turns the three
// into a Plan: one action per task address (generate, adopt, replace,
// update, forget or none) with the differences found field by field, the
// expectations checked (expect blocks and the budget), and the exact cost.
// Apply (apply*.go) carries a plan out.
//
// A Plan is pure data. Its views — the human plan, the --json document,
// markdown, JUnit and HTML, the graph, and apply's progress lines (which
// Apply reports through the ProgressSink it is given) and closing lines —
// belong to package planner/render, as do the views of the state and of
// what import found (ImportedFile); flag parsing, wiring and exit codes
// belong to cmd/mynthform.
//
// Comparisons are made on normalized values: a prompt given as a string
// equals the object form with only positive set, sizes are compared through
// mynth.Size.Normalize, an absent count is 1, metadata is compared as
// canonical JSON, and only the request fields that the spec sets are
// compared. Differences are collected with go-cmp and a custom cmp.Reporter
// into Change values with paths such as "request.prompt" or
// "result.images[0].url"; go-cmp's own diff text never reaches users.
//
// No plan holds a secret: access tokens stay in the spec, a task read with
// its token says so (RequestVerifiable false), and errors are scrubbed of
// the token before they are recorded.
package planner
