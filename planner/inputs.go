package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// KnownAfterApply is how a value that apply will learn is shown.
const KnownAfterApply = "(known after apply)"

// inputPlan is what the plan knows of one task's inputs before it is
// compared: each input's URL when the state already tells it.
type inputPlan struct {
	resolved []mynth.Input // URL "" where unknown
	unknown  []int
	// fileSums are the current sha256 of each file input by index ("" for
	// the others, or when an upstream's file is not on disk yet).
	fileSums map[int]string
}

// resolveInputs resolves t's inputs from the state: a file whose content
// was uploaded before has that upload's URL, a reference to a recorded
// task has the URL the state holds for its image. It never uploads.
func resolveInputs(t *spec.Task, st *state.File, dir string) *inputPlan {
	ip := &inputPlan{fileSums: map[int]string{}}
	for i, in := range t.Inputs {
		out := mynth.Input{URL: in.URL, Role: in.Role}
		ok := true
		switch {
		case in.File != nil:
			sum := in.File.SHA256
			if in.File.From != nil {
				sum = fileSum(filepath.Join(dir, filepath.FromSlash(in.File.Path)))
			}
			ip.fileSums[i] = sum
			out.URL, ok = "", false
			if u := st.UploadBySHA256(in.File.Path, sum); sum != "" && u != nil && u.URL != "" {
				out.URL, ok = u.URL, true
			}
		case in.Ref != nil:
			out.URL, ok = refURL(*in.Ref, st)
		}
		if !ok {
			out.URL = ""
			ip.unknown = append(ip.unknown, i)
		}
		ip.resolved = append(ip.resolved, out)
	}
	return ip
}

// refURL is the URL the state holds for the image a reference names.
func refURL(r spec.Ref, st *state.File) (string, bool) {
	if r.Attr != spec.RefImageURL {
		return "", false
	}
	v := recordedView(st.Tasks[r.Address])
	if v == nil || v.result == nil || r.Index >= len(v.result.Images) {
		return "", false
	}
	img := v.result.Images[r.Index]
	if img.Status != mynth.ImageSucceeded || img.URL == "" {
		return "", false
	}
	return img.URL, true
}

// fileSum is the hex sha256 of the file at path, "" when it cannot be read.
func fileSum(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, spec.MaxInputFileBytes+1)); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

// withResolvedInputs returns the task to compare: t with Request.Inputs
// set from ip, each unknown URL taken from the recorded request so that
// it is not reported twice (propagateInputs reports it).
func withResolvedInputs(t *spec.Task, ip *inputPlan, recorded *state.Task) *spec.Task {
	c := *t
	c.Request.Inputs = append([]mynth.Input{}, ip.resolved...)
	var before []mynth.Input
	if v := recordedView(recorded); v != nil && v.request != nil {
		before = v.request.Inputs
	}
	for _, i := range ip.unknown {
		if i < len(before) {
			c.Request.Inputs[i].URL = before[i].URL
		}
	}
	return &c
}

// short is a sha256 as the plan shows it: its first 4 hex digits.
func short(sum string) string {
	if len(sum) > 4 {
		return sum[:4] + "…"
	}
	if sum == "" {
		return "(none)"
	}
	return sum
}

// uploadByURL returns the recorded upload whose URL is url.
func uploadByURL(st *state.File, url string) *state.Upload {
	paths := make([]string, 0, len(st.Uploads))
	for p := range st.Uploads {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if u := st.Uploads[p]; u != nil && u.URL == url && url != "" {
			return u
		}
	}
	return nil
}

// propagateInputs runs once every task is planned, in graph order: a task
// whose input is not known before apply (a changed file, or the image of
// a task that apply generates or replaces) is replaced too, with the
// reason, and its planned request says which inputs are known after
// apply. A pinned task in that case is drift.
func propagateInputs(work []*taskWork, order []string, st *state.File, dir string) {
	byAddr := make(map[string]*taskWork, len(work))
	for _, w := range work {
		if w.spec != nil {
			byAddr[w.spec.Address] = w
		}
	}
	for _, addr := range order {
		w := byAddr[addr]
		if w == nil || w.inputs == nil || w.tp == nil {
			continue
		}
		var reasons []string
		var changes []Change
		var before []mynth.Input
		if v := recordedView(w.recordedFor(w.readID)); v != nil && v.request != nil {
			before = v.request.Inputs
		}
		created := map[string]bool{}
		for _, up := range w.spec.Upstream() {
			if u := byAddr[up]; u != nil && u.tp != nil {
				switch u.tp.Action {
				case ActionGenerate:
					reasons = append(reasons, "its input "+up+" will be generated")
					created[up] = true
				case ActionReplace:
					reasons = append(reasons, "its input "+up+" will be replaced")
					created[up] = true
				}
			}
		}
		// What the state says of an upstream that apply creates anew is
		// stale: those inputs are known only after apply.
		for i, in := range w.spec.Inputs {
			r := in.Ref
			if in.File != nil {
				r = in.File.From
			}
			if r != nil && created[r.Address] && !slices.Contains(w.inputs.unknown, i) {
				w.inputs.unknown = append(w.inputs.unknown, i)
				w.inputs.resolved[i].URL = ""
			}
		}
		slices.Sort(w.inputs.unknown)
		for _, i := range w.inputs.unknown {
			in := w.spec.Inputs[i]
			var was string
			if i < len(before) {
				was = before[i].URL
			}
			path := "request.inputs[" + strconv.Itoa(i) + "]"
			if in.File != nil && in.File.From == nil {
				old := ""
				if u := uploadByURL(st, was); u != nil {
					old = u.SHA256
				} else if u := st.Uploads[in.File.Path]; u != nil {
					old = u.SHA256
				}
				if was != "" || old != "" {
					changes = append(changes, Change{Path: path, Before: in.File.Path + " sha256 " + short(old), After: in.File.Path + " sha256 " + short(w.inputs.fileSums[i]), Text: true})
					reasons = append(reasons, "its input file "+in.File.Path+" changed")
				}
				continue
			}
			if was != "" {
				changes = append(changes, Change{Path: path + ".url", Before: was, After: KnownAfterApply, Text: true, AfterUnknown: true})
			}
		}
		reasons = dedupe(reasons)
		if len(reasons) > 0 && w.recorded != nil && (w.tp.Action == ActionNone || w.tp.Action == ActionUpdate) {
			if w.spec.ID != "" {
				w.tp.Drift = true
			} else {
				w.action, w.reason = ActionReplace, ""
				w.tp = w.plan(dir)
			}
		}
		for _, r := range reasons {
			w.tp.Reason = joinReason(w.tp.Reason, r)
		}
		if w.tp.Action == ActionReplace || w.tp.Action == ActionGenerate || w.tp.Drift {
			w.tp.Changes = append(w.tp.Changes, changes...)
			locateChanges(w.tp.Changes, w.spec, dir)
		}
		if w.tp.Request != nil {
			req := *w.tp.Request
			req.Inputs = append([]mynth.Input{}, w.inputs.resolved...)
			w.tp.Request = &req
			w.tp.UnknownInputs = w.inputs.unknown
		}
	}
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
