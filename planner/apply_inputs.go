package planner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// Input files and the task graph in apply.
//
// Before creating anything apply uploads the input files of the tasks it
// creates: each distinct content (by sha256) once, in requests of at most
// mynth.MaxUploadFiles, and only when the state records no upload of that
// content (at the file's path or any other). Each upload is recorded in
// the state (state.File.Uploads) as soon as its URL is known. There is no
// write-ahead record for an upload: one whose answer is lost leaves at
// most an unused file at Mynth, which costs nothing and nothing refers to,
// and the next apply uploads the file again.
//
// A task that takes inputs from other tasks is created only once every
// one of them has completed in this apply (or was already completed);
// its references are then resolved from the state and its request carries
// the upstream's image URL. A task whose upstream failed, was not created
// or is still pending is not created, with a message naming that
// upstream; so are its own descendants, and the rest of the graph goes on.

// uploadBatch is one content to upload and every path that holds it.
type uploadBatch struct {
	sum   string
	paths []string
	data  []byte
}

// uploadInputs uploads the input files that the tasks of creates need and
// the state does not record. A file that cannot be read or uploaded is
// recorded in a.inputErr, by path, for the tasks that need it to report.
func (a *applier) uploadInputs(ctx context.Context, creates []*TaskPlan) {
	need := map[string]*spec.FileInput{} // by path
	for _, tp := range creates {
		st := a.specTask(tp.Address)
		if st == nil {
			continue
		}
		for _, in := range st.Inputs {
			if in.File != nil && in.File.From == nil {
				need[in.File.Path] = in.File
			}
		}
	}
	if len(need) == 0 {
		return
	}
	var todo []*uploadBatch
	bySum := map[string]*uploadBatch{}
	for _, path := range sortedKeys(need) {
		f := need[path]
		if u := a.st.UploadBySHA256(path, f.SHA256); u != nil {
			a.recordUpload(path, &state.Upload{SHA256: u.SHA256, Size: u.Size, URL: u.URL, UploadedAt: u.UploadedAt})
			continue
		}
		if b := bySum[f.SHA256]; b != nil {
			b.paths = append(b.paths, path)
			continue
		}
		data, err := a.readInput(path, f.SHA256)
		if err != nil {
			a.setInputErr(path, err.Error())
			continue
		}
		b := &uploadBatch{sum: f.SHA256, paths: []string{path}, data: data}
		bySum[f.SHA256] = b
		todo = append(todo, b)
	}
	for len(todo) > 0 {
		n := min(len(todo), mynth.MaxUploadFiles)
		a.uploadBatches(ctx, todo[:n])
		todo = todo[n:]
	}
	_ = a.save()
}

// uploadBatches uploads the contents of batch in one request and records
// their URLs. When Mynth refuses one file by its index, that file fails
// and the others are sent again without it.
func (a *applier) uploadBatches(ctx context.Context, batch []*uploadBatch) {
	for len(batch) > 0 {
		if a.opts.API == nil {
			a.failUploads(batch, "no Mynth API is configured")
			return
		}
		files := make([]mynth.UploadFile, len(batch))
		for i, b := range batch {
			files[i] = mynth.UploadFile{Name: b.paths[0], Data: b.data}
		}
		if err := a.acquire(ctx); err != nil {
			a.failUploads(batch, "apply was interrupted")
			return
		}
		urls, err := a.opts.API.Upload(ctx, files)
		a.release()
		if err == nil && len(urls) != len(batch) {
			err = fmt.Errorf("sent %d files, Mynth answered %d URLs", len(batch), len(urls))
		}
		if err != nil {
			var apiErr *mynth.APIError
			if i, ok := uploadRefused(err, &apiErr); ok && i < len(batch) && len(batch) > 1 {
				a.failUploads(batch[i:i+1], err.Error())
				batch = slices.Delete(slices.Clone(batch), i, i+1)
				continue
			}
			a.failUploads(batch, err.Error())
			return
		}
		at := a.stamp()
		for i, b := range batch {
			for _, p := range b.paths {
				a.recordUpload(p, &state.Upload{SHA256: b.sum, Size: int64(len(b.data)), URL: urls[i], UploadedAt: at})
			}
		}
		a.mu.Lock()
		a.res.Uploaded += len(batch)
		if s, ok := a.progress.(UploadSink); ok {
			paths := make([]string, len(batch))
			for i, b := range batch {
				paths[i] = b.paths[0]
			}
			s.InputsUploaded(a.eventLocked(&TaskResult{}, false), paths)
		}
		a.mu.Unlock()
		return
	}
}

// uploadRefused returns the index of the file Mynth refused (a 400 on
// "images[N]").
func uploadRefused(err error, apiErr **mynth.APIError) (int, bool) {
	if !errors.As(err, apiErr) {
		return 0, false
	}
	field := (*apiErr).Field
	var i int
	if _, scanErr := fmt.Sscanf(field, "images[%d]", &i); scanErr != nil || field != fmt.Sprintf("images[%d]", i) {
		return 0, false
	}
	return i, true
}

func (a *applier) failUploads(batch []*uploadBatch, why string) {
	for _, b := range batch {
		for _, p := range b.paths {
			a.setInputErr(p, "uploading it failed: "+why)
		}
	}
}

func (a *applier) setInputErr(path, why string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.inputErr == nil {
		a.inputErr = map[string]string{}
	}
	a.inputErr[path] = why
}

// recordUpload records u at path, marking the state dirty when it changed.
func (a *applier) recordUpload(path string, u *state.Upload) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if old := a.st.Uploads[path]; old != nil && *old == *u {
		return
	}
	if a.st.Uploads == nil {
		a.st.Uploads = map[string]*state.Upload{}
	}
	a.st.Uploads[path] = u
	a.dirty = true
}

// readInput reads the input file at path inside the spec directory and
// checks it is what the plan saw (wantSum, when given) and an image Mynth
// takes.
func (a *applier) readInput(path, wantSum string) ([]byte, error) {
	files, err := a.openFiles()
	if err != nil {
		return nil, err
	}
	data, err := files.OS().ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading it: %w", err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); wantSum != "" && got != wantSum {
		return nil, fmt.Errorf("it changed since the plan was made (sha256 %s…, the plan read %s…); plan again", got[:12], wantSum[:min(12, len(wantSum))])
	}
	if _, err := mynth.CheckUploadImage(data); err != nil {
		return nil, err
	}
	return data, nil
}

// inputURL returns the uploaded URL of a file input, uploading now a file
// that an upstream task saved (f.From); why says what went wrong.
func (a *applier) inputURL(ctx context.Context, f *spec.FileInput) (url, why string) {
	a.mu.Lock()
	if msg, bad := a.inputErr[f.Path]; bad {
		a.mu.Unlock()
		return "", f.Path + ": " + msg
	}
	a.mu.Unlock()
	sum := f.SHA256
	var data []byte
	if f.From != nil || sum == "" {
		var err error
		if data, err = a.readInput(f.Path, ""); err != nil {
			return "", f.Path + ": " + err.Error()
		}
		s := sha256.Sum256(data)
		sum = hex.EncodeToString(s[:])
	}
	a.mu.Lock()
	u := a.st.UploadBySHA256(f.Path, sum)
	a.mu.Unlock()
	if u != nil {
		a.recordUpload(f.Path, &state.Upload{SHA256: u.SHA256, Size: u.Size, URL: u.URL, UploadedAt: u.UploadedAt})
		return u.URL, ""
	}
	if data == nil {
		return "", f.Path + ": it was not uploaded"
	}
	a.uploadBatches(ctx, []*uploadBatch{{sum: sum, paths: []string{f.Path}, data: data}})
	a.mu.Lock()
	defer a.mu.Unlock()
	if msg, bad := a.inputErr[f.Path]; bad {
		return "", f.Path + ": " + msg
	}
	if u := a.st.Uploads[f.Path]; u != nil && u.SHA256 == sum {
		return u.URL, ""
	}
	return "", f.Path + ": it was not uploaded"
}

// refValue is the value of a reference to an upstream task, from what the
// state records of it now.
func (a *applier) refValue(r spec.Ref) (string, string) {
	a.mu.Lock()
	rec := a.st.Tasks[r.Address]
	a.mu.Unlock()
	if rec == nil {
		return "", r.String() + ": " + r.Address + " is not recorded"
	}
	switch r.Attr {
	case spec.RefID:
		return rec.ID, ""
	case spec.RefImageURL:
		res := applyParseResult(rec.Result)
		if res == nil || r.Index >= len(res.Images) {
			return "", fmt.Sprintf("%s: %s (%s) has no image %d", r.String(), r.Address, rec.ID, r.Index)
		}
		im := res.Images[r.Index]
		if im.Status != mynth.ImageSucceeded || im.URL == "" {
			return "", fmt.Sprintf("%s: image %d of %s (%s) failed", r.String(), r.Index, r.Address, rec.ID)
		}
		return im.URL, ""
	}
	return "", r.String() + ": not a URL"
}

// resolveInputs fills in the inputs of req that the plan could not know
// (files uploaded by this apply, images of upstream tasks created by it):
// those whose URL is "" in the plan's request, or all of them when the
// plan's request holds none. It returns why an input cannot be resolved,
// "" when every one is.
func (a *applier) resolveInputs(ctx context.Context, addr string, req *mynth.Request) string {
	st := a.specTask(addr)
	if st == nil || !hasDerivedInputs(st) {
		return ""
	}
	var problems []string
	inputs, unknown := st.ResolveInputs(spec.Resolvers{
		File: func(f *spec.FileInput) (string, bool) {
			u, why := a.inputURL(ctx, f)
			if why != "" {
				problems = append(problems, why)
			}
			return u, why == ""
		},
		Ref: func(r spec.Ref) (string, bool) {
			v, why := a.refValue(r)
			if why != "" {
				problems = append(problems, why)
			}
			return v, why == ""
		},
	})
	if len(unknown) > 0 {
		if len(problems) == 0 {
			problems = append(problems, fmt.Sprintf("input %d is not known", unknown[0]))
		}
		return strings.Join(problems, "; ")
	}
	if len(req.Inputs) != len(inputs) {
		req.Inputs = inputs
		return ""
	}
	out := slices.Clone(req.Inputs)
	for i := range out {
		if out[i].URL == "" {
			out[i] = inputs[i]
		}
	}
	req.Inputs = out
	return ""
}

// hasDerivedInputs reports whether t has an input that is a file or a
// reference.
func hasDerivedInputs(t *spec.Task) bool {
	for _, in := range t.Inputs {
		if in.File != nil || in.Ref != nil {
			return true
		}
	}
	return false
}

// upstreamOf returns the addresses t takes inputs from.
func (a *applier) upstreamOf(addr string) []string {
	if st := a.specTask(addr); st != nil {
		return st.Upstream()
	}
	return nil
}
