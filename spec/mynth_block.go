package spec

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"

	"github.com/mynthform/mynthform/internal/atomicfile"
)

// Defaults and bounds of the mynth block's settings. The flags that
// override them (--parallelism, --state) resolve through Spec.Parallelism,
// Spec.StatePath and CheckParallelism too, so that every command reads
// them alike.
const (
	DefaultStatePath   = "mynth.state.json"
	DefaultParallelism = 10
	MaxParallelism     = 1000
)

// CheckParallelism says why n cannot bound the concurrent API calls, or
// returns nil: it must be a whole number from 1 to MaxParallelism.
func CheckParallelism(n int) error {
	if n < 1 || n > MaxParallelism {
		return fmt.Errorf("must be a whole number from 1 to %d", MaxParallelism)
	}
	return nil
}

// Parallelism is how many API calls may run at once: flag (a
// --parallelism, 0 when not given), else the mynth block's parallelism,
// else DefaultParallelism. sp may be nil.
func (sp *Spec) Parallelism(flag int) int {
	switch {
	case flag > 0:
		return flag
	case sp != nil && sp.Settings.Parallelism > 0:
		return sp.Settings.Parallelism
	}
	return DefaultParallelism
}

// StatePath is the state file the spec keeps its state in, relative to its
// directory: the mynth block's state, else DefaultStatePath. sp may be nil
// (a spec that could not be read).
func (sp *Spec) StatePath() string {
	if sp != nil && sp.Settings.State != "" {
		return sp.Settings.State
	}
	return DefaultStatePath
}

var mynthSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "state"},
		{Name: "parallelism"},
		{Name: "base_url"},
		{Name: "manifest"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "backend", LabelNames: []string{"type"}},
	},
}

// decodeMynthBlock reads the mynth block into s, whose defaults are
// already set.
func (l *loader) decodeMynthBlock(b *hcl.Block, s *Settings) hcl.Diagnostics {
	s.DeclRange = b.DefRange
	content, diags := b.Body.Content(mynthSchema)
	diags = explainUnsupported(diags, "in the mynth block", mynthSchema, content)
	fv := l.evalAttrs(content.Attributes, l.rootScope(), "")

	if f, ok := fv.get("state"); ok {
		if v, ok := fv.str(f); ok {
			switch problem := statePathProblem(l.dir, v); {
			case v == "":
				fv.add(errorf(f.rng, "Invalid state path", "state is empty. Give a file path such as %q, or leave state out for that default.", DefaultStatePath))
			case problem != "":
				fv.add(errorf(f.rng, "Invalid state path", "The state path %s %s. The state, its backup and its lock are written inside the spec directory only: give a path inside it, such as %q (the state commands take --state PATH for a file elsewhere).", shown(v, f.sensitive), problem, DefaultStatePath))
			default:
				s.State = v
			}
		}
	}
	if f, ok := fv.get("parallelism"); ok {
		if n, ok := fv.integer(f); ok {
			if CheckParallelism(n) != nil {
				fv.add(errorf(f.rng, "Invalid parallelism", "parallelism is %s; it must be between 1 and %d. Pick a number in that range (the default is %d).", shownInt(n, f.sensitive), MaxParallelism, DefaultParallelism))
			} else {
				s.Parallelism = n
			}
		}
	}
	if f, ok := fv.get("base_url"); ok {
		if v, ok := fv.str(f); ok {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				fv.add(errorf(f.rng, "Invalid base URL", "base_url %s is not an http or https URL. Write a URL such as \"https://api.mynth.io\", or leave base_url out.", shown(v, f.sensitive)))
			} else {
				s.BaseURL = v
			}
		}
	}
	if f, ok := fv.get("manifest"); ok {
		if v, ok := fv.str(f); ok {
			if problem := localPathProblem(v); problem != "" {
				fv.add(errorf(f.rng, "Invalid manifest path", "manifest %s %s, such as \"mynth.manifest.json\"; or leave manifest out.", shown(v, f.sensitive), problem))
			} else if problem := leadsOutside(l.dir, v); problem != "" {
				fv.add(errorf(f.rng, "Invalid manifest path", "manifest %s %s. mynthform writes the manifest inside the spec directory only: give a path there, such as \"mynth.manifest.json\", or replace the link by a directory.", shown(v, f.sensitive), problem))
			} else {
				s.Manifest = v
			}
		}
	}
	var backends []*hcl.Block
	for _, blk := range content.Blocks {
		if blk.Type == "backend" {
			backends = append(backends, blk)
		}
	}
	if len(backends) > 1 {
		diags = append(diags, duplicateDiag("backend block", "", backends[1].DefRange, backends[0].DefRange))
	}
	if len(backends) > 0 {
		be, bd := l.decodeBackendBlock(backends[0])
		diags = append(diags, bd...)
		s.Backend = be
		if f, ok := fv.get("state"); ok && be != nil {
			fv.add(errorf(f.rng, "State file and backend both set", "state names a state file, but the backend \"%s\" block keeps the state in PostgreSQL. Remove state, or remove the backend block to keep the state in the file.", be.Type))
		}
	}
	return append(diags, fv.diags...)
}

// statePathProblem says why the state may not be at path, or "" when it
// may: the state, its backup and its lock must lie inside the spec
// directory dir, after symbolic links.
func statePathProblem(dir, path string) string {
	if path == "" {
		return ""
	}
	if !filepath.IsAbs(filepath.FromSlash(path)) {
		if problem := localPathProblem(path); problem != "" {
			return problem
		}
	}
	return leadsOutside(dir, path, ".backup", ".lock")
}

// leadsOutside says how path (and path followed by each of the suffixes)
// leads outside the spec directory dir, after symbolic links, or "" when
// none does.
func leadsOutside(dir, path string, suffixes ...string) string {
	root, err := atomicfile.OpenRoot(dir)
	if err != nil {
		return ""
	}
	defer root.Close()
	for _, suffix := range append([]string{""}, suffixes...) {
		_, err := root.Resolve(filepath.FromSlash(path + suffix))
		var oe *atomicfile.OutsideError
		switch {
		case !errors.As(err, &oe):
		case oe.Link != "":
			return "leads outside the spec directory through the symbolic link " + filepath.ToSlash(oe.Link)
		default:
			return "lies outside the spec directory"
		}
	}
	return ""
}
