package spec

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/hashicorp/hcl/v2"

	"github.com/mynthform/mynthform/mynth"
)

// Limits of the Mynth upload endpoint (POST /image/upload) that validate
// checks a file input against.
const (
	MinInputFileBytes = 1 << 10  // 1 KB
	MaxInputFileBytes = 10 << 20 // 10 MB
)

// Input is one entry of a task's inputs: an image Mynth takes as a
// reference, as context, or as the starting point. Exactly one of URL,
// File and Ref is set.
type Input struct {
	// Role is "reference", "context" or "init"; "" for the bare-URL form.
	Role string
	// URL is a literal http or https URL.
	URL string
	// File is a file of the spec directory that apply uploads, or (with
	// File.From set) the file an upstream task saves.
	File *FileInput
	// Ref is another task's image URL: url = task.sketch.images[0].url.
	Ref *Ref
	// Range is the range of the element's file or url (the whole inputs
	// attribute when the element is not written out in place).
	Range hcl.Range
}

// FileInput is a file given as an input.
type FileInput struct {
	// Path is where the file is, relative to the spec directory, clean
	// and with forward slashes ("refs/mug.png").
	Path string
	// SHA256 (lower-case hex), Size and ContentType ("image/png",
	// "image/jpeg" or "image/webp") describe the file as Load read it.
	// They are empty when From is set: that file exists only once the
	// upstream task is applied, so the planner reads it then.
	SHA256      string
	Size        int64
	ContentType string
	// From, when set, is the upstream task's saved file this one is
	// (file = task.sketch.files[0]); Path is then that task's files[N].
	From *Ref
}

// The attributes of a task that a reference may name.
const (
	// RefID is task.NAME.id: the task id.
	RefID = "id"
	// RefImageURL is task.NAME.images[N].url: the URL of image N.
	RefImageURL = "images.url"
	// RefFile is task.NAME.files[N]: the path image N is saved to.
	RefFile = "files"
)

// Ref is a reference to an attribute of another task instance.
type Ref struct {
	// Address is the upstream instance: task.sketch, task.product["mug"].
	Address string
	// Attr is RefID, RefImageURL or RefFile.
	Attr string
	// Index is the image or file index (0 for RefID).
	Index int
}

// String writes the reference as a spec does: task.sketch.images[0].url.
func (r Ref) String() string {
	switch r.Attr {
	case RefID:
		return r.Address + ".id"
	case RefImageURL:
		return r.Address + ".images[" + strconv.Itoa(r.Index) + "].url"
	case RefFile:
		return r.Address + ".files[" + strconv.Itoa(r.Index) + "]"
	}
	return fmt.Sprintf("%s.%s[%d]", r.Address, r.Attr, r.Index)
}

// Upstream returns the addresses of the tasks t takes an input from,
// sorted and without repeats.
func (t *Task) Upstream() []string {
	if len(t.Inputs) == 0 {
		return nil
	}
	seen := map[string]bool{}
	for _, in := range t.Inputs {
		if r := in.ref(); r != nil {
			seen[r.Address] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// ref returns the reference the input depends on, or nil.
func (in Input) ref() *Ref {
	if in.Ref != nil {
		return in.Ref
	}
	if in.File != nil {
		return in.File.From
	}
	return nil
}

// Resolvers answer, for ResolveInputs, what a file or a reference stands
// for; ok is false when it is not known before apply.
type Resolvers struct {
	// File returns the uploaded URL of a file input.
	File func(f *FileInput) (url string, ok bool)
	// Ref returns the value of a reference (an image URL, for url =).
	Ref func(r Ref) (value string, ok bool)
}

// ResolveInputs returns t's inputs as the API takes them, with each file
// and reference replaced by what res says it is. Unknown lists the
// indexes of the inputs whose URL is not known (their URL is "").
func (t *Task) ResolveInputs(res Resolvers) (inputs []mynth.Input, unknown []int) {
	for i, in := range t.Inputs {
		out := mynth.Input{URL: in.URL, Role: in.Role}
		ok := true
		switch {
		case in.File != nil:
			if res.File == nil {
				ok = false
			} else {
				out.URL, ok = res.File(in.File)
			}
		case in.Ref != nil:
			if res.Ref == nil {
				ok = false
			} else {
				out.URL, ok = res.Ref(*in.Ref)
			}
		}
		if !ok {
			out.URL = ""
			unknown = append(unknown, i)
		}
		inputs = append(inputs, out)
	}
	return inputs, unknown
}
