// Package spec reads a directory's *.mynth.hcl and *.mynth.json files into a
// typed, validated Spec: settings, budget and task instances, each task
// carrying its normalized mynth.Request, expectations, files and source
// ranges.
//
// The package owns the spec language: its schema, variables (from --var,
// --var-file and MYNTH_VAR_<name>), locals, functions, for_each expansion,
// sensitive values, every diagnostic about the spec, canonical formatting
// (Format), and task addresses: Address (ParseAddress, String, Match), which
// every command that names a task reads, and Scope, the --target/--exclude
// selection of a plan. It does no network I/O and knows nothing of the
// state file: the planner compares the Spec with the state and the API,
// and the renderers in planner/render print it.
//
// Problems the user can fix are hcl.Diagnostics with source ranges. Load
// collects all of them at once and returns the best partial Spec it can.
package spec
