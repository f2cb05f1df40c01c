package spec

import (
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/mynthform/mynthform/mynth"
)

// Limits of the Mynth API that the spec checks before any request.
const (
	MaxCount         = 100
	MaxPromptLength  = 8192
	MaxInputs        = 20
	MaxWebhooks      = 5
	MaxMetadataBytes = 2048
	MinRatingLevels  = 2
	MaxRatingLevels  = 7
	// MaxRatingValue and MaxRatingDescription are the lengths, in
	// characters, of a content-rating level's value and description (the
	// content-rating guide and the errors-and-limits page); both must also
	// be at least one character.
	MaxRatingValue       = 24
	MaxRatingDescription = 150
)

var (
	wxhPattern    = regexp.MustCompile(`^([1-9][0-9]{0,4})x([1-9][0-9]{0,4})$`)
	ratioPattern  = regexp.MustCompile(`^[1-9][0-9]{0,3}:[1-9][0-9]{0,3}$`)
	taskIDPattern = regexp.MustCompile(`^tsk_[A-Za-z0-9_-]+$`)
)

// instance gathers what one task instance decodes to, and the diagnostics
// found on the way.
type instance struct {
	t     *Task
	l     *loader
	diags hcl.Diagnostics
}

func (in *instance) add(d *hcl.Diagnostic) { in.diags = append(in.diags, d) }

// use records that a field is set: its range and whether it is sensitive.
func (in *instance) use(f *field) {
	in.t.Ranges[f.name] = f.rng
	if f.sensitive {
		top, _, _ := strings.Cut(f.name, ".")
		if in.t.Sensitive == nil {
			in.t.Sensitive = map[string]bool{}
		}
		in.t.Sensitive[top] = true
	}
}

// decodeInstance evaluates a task block for one for_each key (nil without
// for_each) into a Task. It returns nil only when the instance is too
// broken to plan.
func (l *loader) decodeInstance(tb *taskBlock, key *instanceKey) (*Task, hcl.Diagnostics) {
	t, ctx := l.newInstanceTask(tb, key)
	in := &instance{t: t, l: l}

	each := key != nil
	fs := l.evalAttrs(tb.Attrs, ctx, each, "")
	nested := map[string]*fields{}
	for typ, attrs := range tb.BlockAttrs {
		nested[typ] = l.evalAttrs(attrs, ctx, each, typ+".")
		t.Ranges[typ] = tb.Blocks[typ].DefRange
	}

	in.decodeID(fs)
	in.decodeTaskPrompt(fs, nested, tb)
	in.decodeModel(fs)
	in.decodeTaskSize(fs, nested, tb)
	count, countKnown := in.decodeCount(fs)
	in.decodeRequestExtras(fs, nested)
	in.decodeAccessToken(fs)
	in.decodeFiles(fs, count, countKnown)
	in.decodeIgnoreChanges(fs)
	t.Expect = in.decodeExpect(nested["expect"], tb, count, countKnown)

	return t, in.allDiags(fs, nested)
}

// newInstanceTask starts the Task for one instance of tb, with its name,
// key and address, and returns the evaluation context its expressions see:
// the loader's, plus each.key and each.value under for_each.
func (l *loader) newInstanceTask(tb *taskBlock, key *instanceKey) (*Task, *hcl.EvalContext) {
	t := &Task{
		Name:      tb.Name,
		DeclRange: tb.DeclRange,
		Ranges:    map[string]hcl.Range{},
	}
	ctx := l.ctx
	if key != nil {
		t.Key, t.HasKey = key.key, true
		ctx = l.ctx.NewChild()
		ctx.Variables = map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{
			"key":   cty.StringVal(key.key),
			"value": key.value,
		})}
		t.Ranges["for_each"] = tb.ForEach.Expr.Range()
	}
	t.Address = Address(t.Name, t.Key, t.HasKey)
	return t, ctx
}

// allDiags gathers the instance's diagnostics in a fixed order: the task's
// attributes, then each nested block's by type name, then the ones about
// the task as a whole.
func (in *instance) allDiags(fs *fields, nested map[string]*fields) hcl.Diagnostics {
	diags := append(hcl.Diagnostics{}, fs.diags...)
	for _, typ := range slices.Sorted(maps.Keys(nested)) {
		diags = append(diags, nested[typ].diags...)
	}
	return append(diags, in.diags...)
}

// decodeID reads id, the Mynth task an instance adopts.
func (in *instance) decodeID(fs *fields) {
	f, ok := fs.get("id")
	if !ok {
		return
	}
	in.use(f)
	if s, ok := fs.str(f); ok {
		if !taskIDPattern.MatchString(s) {
			fs.add(errorf(f.rng, "Invalid task id", "The id %s is not a Mynth task id, which looks like \"tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP\". Copy the id from Mynth, or remove id to let apply generate the task.", shown(s, f.sensitive)))
		} else {
			in.t.ID = s
		}
	}
}

// decodeTaskPrompt reads the prompt, which is a string, an object, or a
// block, and reports a task that has neither a prompt nor an id unless
// one of them already failed.
func (in *instance) decodeTaskPrompt(fs *fields, nested map[string]*fields, tb *taskBlock) {
	t, req := in.t, &in.t.Request
	if nf, ok := nested["prompt"]; ok {
		req.Prompt = in.decodePrompt(nf, "prompt", tb.Blocks["prompt"].DefRange)
	} else if f, ok := fs.get("prompt"); ok {
		in.use(f)
		if f.val.Type() == cty.String {
			req.Prompt = in.checkPrompt(fs, f, &mynth.Prompt{Positive: f.val.AsString()})
		} else if of, ok := fs.objectFields(f, []string{"positive", "negative", "enhance"}, `a string or an object { positive = "..." }`); ok {
			req.Prompt = in.decodePrompt(of, "prompt", f.rng)
		}
	}
	if req.Prompt == nil && t.ID == "" && !fs.failed["prompt"] && !fs.failed["id"] && !failedAt(fs.diags, tb.Attrs["prompt"]) && !failedAt(fs.diags, tb.Attrs["id"]) && tb.Blocks["prompt"] == nil {
		in.add(errorf(tb.DeclRange, "Missing prompt",
			"%s has neither a prompt nor an id, so apply could not generate it. Add a prompt, or adopt an existing task with id = \"tsk_...\".", t.Address))
	}
}

// decodeModel reads model, which must not be blank.
func (in *instance) decodeModel(fs *fields) {
	f, ok := fs.get("model")
	if !ok {
		return
	}
	in.use(f)
	if s, ok := fs.str(f); ok {
		if strings.TrimSpace(s) == "" {
			fs.add(errorf(f.rng, "Invalid model", "model is empty. Name a model such as \"google/gemini-3.1-flash-image\", or leave model out."))
		} else {
			in.t.Request.Model = s
		}
	}
}

// decodeTaskSize reads the size, which is a string, an object, or a block.
func (in *instance) decodeTaskSize(fs *fields, nested map[string]*fields, tb *taskBlock) {
	req := &in.t.Request
	if nf, ok := nested["size"]; ok {
		req.Size = in.decodeSizeObject(nf, tb.Blocks["size"].DefRange)
	} else if f, ok := fs.get("size"); ok {
		in.use(f)
		if f.val.Type() == cty.String {
			req.Size = in.decodeSizeString(fs, f)
		} else if of, ok := fs.objectFields(f, []string{"type", "width", "height", "mode", "aspect_ratio", "scale", "prefer"}, `a string such as "square" or an object { type = "resolution", width = 1024, height = 1024 }`); ok {
			req.Size = in.decodeSizeObject(of, f.rng)
		}
	}
}

// decodeCount reads count and returns the number of images the task makes
// (1 by default); known is false when count was set but is wrong, so that
// checks against it are skipped.
func (in *instance) decodeCount(fs *fields) (count int, known bool) {
	count, known = 1, !fs.failed["count"]
	f, ok := fs.get("count")
	if !ok {
		return count, known
	}
	in.use(f)
	n, ok := fs.integer(f)
	if !ok {
		return count, false
	}
	if n < 1 || n > MaxCount {
		fs.add(errorf(f.rng, "Invalid count", "count is %s; Mynth generates between 1 and %d images per task. Set count in that range, or split the work across tasks.", shownInt(n, f.sensitive), MaxCount))
		return count, false
	}
	in.t.Request.Count = n
	return n, true
}

// decodeRequestExtras reads the rest of the request: inputs, the output,
// webhook and content_rating blocks (kept only when they set something),
// and metadata.
func (in *instance) decodeRequestExtras(fs *fields, nested map[string]*fields) {
	req := &in.t.Request
	if f, ok := fs.get("inputs"); ok {
		in.use(f)
		req.Inputs = in.decodeInputs(fs, f)
	}
	if nf, ok := nested["output"]; ok {
		if o := in.decodeOutput(nf); *o != (mynth.Output{}) {
			req.Output = o
		}
	}
	if nf, ok := nested["webhook"]; ok {
		if w := in.decodeWebhook(nf); w.Enabled != nil || len(w.Custom) > 0 {
			req.Webhook = w
		}
	}
	if nf, ok := nested["content_rating"]; ok {
		if cr := in.decodeContentRating(nf); cr.Enabled != nil || len(cr.Levels) > 0 {
			req.ContentRating = cr
		}
	}
	if f, ok := fs.get("metadata"); ok {
		in.use(f)
		req.Metadata = in.decodeMetadata(fs, f)
	}
}

// decodeAccessToken reads access_token, which is always sensitive and must
// be a task's Public Access Token, never an API key.
func (in *instance) decodeAccessToken(fs *fields) {
	f, ok := fs.get("access_token")
	if !ok {
		return
	}
	f.sensitive = true
	in.use(f)
	s, ok := fs.str(f)
	if !ok {
		return
	}
	in.l.noteSecret(s)
	switch {
	case strings.HasPrefix(s, "mak_"):
		// No Subject: the source snippet would print the key.
		fs.add(&hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "API key in access_token",
			Detail:   fmt.Sprintf("access_token of %s (%s, line %d) holds an API key (mak_...), the account's secret, which must never be written in a spec. Remove it and revoke the key if the file was shared; set MYNTH_API_KEY in the environment instead, and give access_token only a task's Public Access Token (pat_...).", in.t.Address, f.rng.Filename, f.rng.Start.Line),
		})
	case !strings.HasPrefix(s, "pat_"):
		fs.add(errorf(f.rng, "Invalid access token", "access_token must be a task's Public Access Token, which starts with \"pat_\". Copy the token Mynth returned when the task was created, or remove access_token."))
	default:
		in.t.AccessToken = s
	}
}

// decodeFiles reads files, the local paths the images are saved to: one
// per image when count is known.
func (in *instance) decodeFiles(fs *fields, count int, countKnown bool) {
	f, ok := fs.get("files")
	if !ok {
		return
	}
	in.use(f)
	paths, ok := fs.stringList(f, `["assets/hero.webp"]`)
	if !ok {
		return
	}
	good := true
	for _, p := range paths {
		if problem := ImagePathProblem(p); problem != "" {
			fs.add(errorf(f.rng, "Invalid file path", "The file path %s %s.", shown(p, f.sensitive), problem))
			good = false
		}
	}
	if countKnown && len(paths) != count {
		fs.add(errorf(f.rng, "Wrong number of files", "files lists %d path(s) but the task makes %d image(s) (count = %d); each image is saved to its own file. List exactly %d path(s), one per image.", len(paths), count, count, count))
		good = false
	}
	if good {
		in.t.Files = paths
	}
}

// ToolDir is the directory, beside the spec, where mynthform keeps its own
// files (the emulator's store); no image may be saved in it.
const ToolDir = ".mynthform"

// ImagePathProblem says why path (relative to the spec directory) may not
// be where an image is saved, or "" when it may: it must be a file of the
// spec directory, outside ToolDir and any .git directory, and not a spec
// or variable file. Apply asks again of the path as it resolves after
// symbolic links. (The state file, its backup and its lock are checked
// against the mynth block by checkStateFiles.)
func ImagePathProblem(path string) string {
	if problem := localPathProblem(path); problem != "" {
		return problem
	}
	clean := filepath.ToSlash(filepath.Clean(filepath.FromSlash(path)))
	parts := strings.Split(clean, "/")
	lower := strings.ToLower(clean)
	switch {
	case strings.HasSuffix(path, "/") || strings.HasSuffix(path, `\`) || clean == ".":
		return "names a directory, not a file. Give a file name, such as \"images/hero.webp\""
	case strings.EqualFold(parts[0], ToolDir):
		return "lies in " + ToolDir + "/, where mynthform keeps its own files. Save images elsewhere"
	case slices.ContainsFunc(parts, func(p string) bool { return strings.EqualFold(p, ".git") }):
		return "lies in .git/, the git repository's own files, which the image would damage. Save images elsewhere"
	case strings.HasSuffix(lower, SpecSuffix) || strings.HasSuffix(lower, SpecJSONSuffix) || strings.HasSuffix(lower, VarFileSuffix):
		return "names a spec or variable file, which the image would overwrite. Give the image file a name of its own"
	}
	return ""
}

// decodeIgnoreChanges reads ignore_changes, the change paths the plan
// leaves out.
func (in *instance) decodeIgnoreChanges(fs *fields) {
	f, ok := fs.get("ignore_changes")
	if !ok {
		return
	}
	in.use(f)
	paths, ok := fs.stringList(f, `["result.images[*].url"]`)
	if !ok {
		return
	}
	good := true
	for _, p := range paths {
		if problem := changePathProblem(p); problem != "" {
			fs.add(errorf(f.rng, "Invalid change path", "ignore_changes holds %s, which %s. Write paths as the plan shows them, such as \"result.images[*].url\" or \"request.metadata\".", shown(p, f.sensitive), problem))
			good = false
		}
	}
	if good {
		in.t.IgnoreChanges = paths
	}
}

// failedAt reports whether diags hold an error inside attr's expression
// (false when attr is nil).
func failedAt(diags hcl.Diagnostics, attr *hcl.Attribute) bool {
	if attr == nil {
		return false
	}
	rng := attr.Expr.Range()
	for _, d := range diags {
		if d.Severity == hcl.DiagError && d.Subject != nil && d.Subject.Filename == rng.Filename &&
			d.Subject.Start.Byte >= rng.Start.Byte && d.Subject.End.Byte <= rng.End.Byte {
			return true
		}
	}
	return false
}

// decodePrompt reads prompt fields (from a block or an object).
func (in *instance) decodePrompt(fs *fields, name string, rng hcl.Range) *mynth.Prompt {
	p := &mynth.Prompt{}
	good := true
	if f, ok := fs.get("negative"); ok {
		in.use(f)
		if s, ok := fs.str(f); ok {
			p.Negative = s
		} else {
			good = false
		}
	}
	if f, ok := fs.get("enhance"); ok {
		in.use(f)
		switch {
		case f.val.Type() == cty.Bool && f.val.False():
			p.Enhance = mynth.EnhanceOff
		case f.val.Type() == cty.String && (f.val.AsString() == mynth.EnhancePreferMagic || f.val.AsString() == mynth.EnhancePreferNative):
			p.Enhance = f.val.AsString()
		default:
			fs.add(errorf(f.rng, "Invalid prompt enhancement", "%s.enhance must be false, %q or %q. Pick one of those, or leave enhance out for Mynth's default.", name, mynth.EnhancePreferMagic, mynth.EnhancePreferNative))
			good = false
		}
	}
	pos, ok := fs.get("positive")
	if !ok {
		if !fs.failed["positive"] {
			in.add(errorf(rng, "Missing positive prompt", "%s needs positive, the text to generate from. Add positive = \"...\".", name))
		}
		return nil
	}
	in.use(pos)
	s, ok := fs.str(pos)
	if !ok || !good {
		return nil
	}
	p.Positive = s
	return in.checkPrompt(fs, pos, p)
}

func (in *instance) checkPrompt(fs *fields, f *field, p *mynth.Prompt) *mynth.Prompt {
	n := utf8.RuneCountInString(p.Positive)
	switch {
	case strings.TrimSpace(p.Positive) == "":
		fs.add(errorf(f.rng, "Empty prompt", "The prompt is empty. Describe the image to generate."))
		return nil
	case n > MaxPromptLength:
		fs.add(errorf(f.rng, "Prompt too long", "The prompt is %d characters long; Mynth accepts at most %d. Shorten it.", n, MaxPromptLength))
		return nil
	}
	return p
}

// decodeSizeString reads size = "square" or "WxH".
func (in *instance) decodeSizeString(fs *fields, f *field) *mynth.Size {
	s := f.val.AsString()
	lower := strings.ToLower(s)
	for _, p := range mynth.SizePresets {
		if lower == p {
			n := mynth.Size{Preset: s}.Normalize()
			return &n
		}
	}
	if wxhPattern.MatchString(lower) {
		n := mynth.Size{Preset: lower}.Normalize()
		return &n
	}
	fs.add(errorf(f.rng, "Unknown size", "The size %s is neither a preset nor WIDTHxHEIGHT.%s Use one of %s, a size such as \"1536x1024\", or a size block.",
		shown(s, f.sensitive), hint(lower, f.sensitive, mynth.SizePresets), strings.Join(mynth.SizePresets, ", ")))
	return nil
}

// decodeSizeObject reads a size block or object.
func (in *instance) decodeSizeObject(fs *fields, rng hcl.Range) *mynth.Size {
	for _, n := range fs.names() {
		in.use(fs.m[n])
	}
	tf, ok := fs.get("type")
	if !ok {
		if !fs.failed["type"] {
			in.add(errorf(rng, "Missing size type", "A size object needs type: \"resolution\", \"aspect_ratio\" or \"auto\". Add it."))
		}
		return nil
	}
	typ, ok := fs.str(tf)
	if !ok {
		return nil
	}
	applies := map[string][]string{
		"resolution":   {"width", "height", "mode"},
		"aspect_ratio": {"aspect_ratio", "scale"},
		"auto":         {"prefer"},
	}
	allowed, known := applies[typ]
	if !known {
		fs.add(errorf(tf.rng, "Unknown size type", "The size type %s is not one Mynth knows.%s Use \"resolution\", \"aspect_ratio\" or \"auto\".", shown(typ, tf.sensitive), hint(typ, tf.sensitive, []string{"resolution", "aspect_ratio", "auto"})))
		return nil
	}
	good := true
	for _, n := range fs.names() {
		if n == "type" {
			continue
		}
		ok := false
		for _, a := range allowed {
			ok = ok || a == n
		}
		if !ok {
			fs.add(errorf(fs.m[n].rng, "Argument does not apply to this size type", "%s applies only to other size types, not to type = %q. Remove it, or change the type.", fs.m[n].name, typ))
			good = false
		}
	}
	sz := mynth.Size{Type: typ}
	str := func(name string) string {
		if f, ok := fs.get(name); ok {
			if s, ok := fs.str(f); ok {
				return s
			}
			good = false
		}
		return ""
	}
	switch typ {
	case "resolution":
		for _, name := range []string{"width", "height"} {
			f, ok := fs.get(name)
			if !ok {
				fs.add(errorf(rng, "Missing "+name, "A resolution size needs width and height in pixels. Add %s = 1024.", name))
				good = false
				continue
			}
			n, ok := fs.integer(f)
			if !ok {
				good = false
				continue
			}
			if n < 1 || n > 16384 {
				fs.add(errorf(f.rng, "Invalid "+name, "%s is %s pixels; it must be between 1 and 16384. Pick a size in that range.", f.name, shownInt(n, f.sensitive)))
				good = false
			}
			if name == "width" {
				sz.Width = n
			} else {
				sz.Height = n
			}
		}
		sz.Mode = str("mode")
	case "aspect_ratio":
		sz.AspectRatio = str("aspect_ratio")
		sz.Scale = str("scale")
		if f, ok := fs.get("aspect_ratio"); !ok {
			fs.add(errorf(rng, "Missing aspect_ratio", "An aspect_ratio size needs aspect_ratio, such as \"4:5\". Add it."))
			good = false
		} else if sz.AspectRatio != "" && !ratioPattern.MatchString(sz.AspectRatio) {
			fs.add(errorf(f.rng, "Invalid aspect ratio", "The aspect ratio %s is not of the form W:H. Write it as, for example, \"4:5\".", shown(sz.AspectRatio, f.sensitive)))
			good = false
		}
	case "auto":
		sz.Prefer = str("prefer")
	}
	if !good {
		return nil
	}
	n := sz.Normalize()
	return &n
}

// decodeInputs reads inputs: URLs, or objects { url, role }.
func (in *instance) decodeInputs(fs *fields, f *field) []mynth.Input {
	elems, ok := fs.list(f, "a list of URLs or { url, role } objects", `["https://example.com/a.png"]`)
	if !ok {
		return nil
	}
	if len(elems) > MaxInputs {
		fs.add(errorf(f.rng, "Too many inputs", "inputs holds %d images; Mynth takes at most %d. Remove some.", len(elems), MaxInputs))
		return nil
	}
	roles := []string{"reference", "context", "init"}
	var out []mynth.Input
	for i, e := range elems {
		ef := &field{name: fmt.Sprintf("inputs[%d]", i), val: e, sensitive: f.sensitive, rng: f.rng}
		var input mynth.Input
		if e.Type() == cty.String && !e.IsNull() {
			input.URL = e.AsString()
		} else {
			of, ok := fs.objectFields(ef, []string{"url", "role"}, `a URL string or an object { url = "https://...", role = "reference" }`)
			if !ok {
				continue
			}
			uf, ok := of.get("url")
			if !ok {
				fs.add(errorf(f.rng, "Missing input URL", "%s has no url. Add url = \"https://...\".", ef.name))
				continue
			}
			input.URL, _ = of.str(uf)
			if rf, ok := of.get("role"); ok {
				input.Role, _ = of.str(rf)
				valid := false
				for _, r := range roles {
					valid = valid || r == input.Role
				}
				if !valid && input.Role != "" {
					of.add(errorf(f.rng, "Invalid input role", "%s.role is %s.%s Use one of %s.", ef.name, shown(input.Role, rf.sensitive), hint(input.Role, rf.sensitive, roles), strings.Join(roles, ", ")))
				}
			}
		}
		if !strings.HasPrefix(input.URL, "https://") && !strings.HasPrefix(input.URL, "http://") {
			fs.add(errorf(f.rng, "Invalid input URL", "%s is not an http or https URL. Give the image's URL (upload local files to Mynth first).", ef.name))
			continue
		}
		out = append(out, input)
	}
	return out
}

// decodeOutput reads the output block.
func (in *instance) decodeOutput(fs *fields) *mynth.Output {
	out := &mynth.Output{}
	if f, ok := fs.get("format"); ok {
		in.use(f)
		if s, ok := fs.str(f); ok {
			formats := []string{"png", "jpg", "webp"}
			valid := false
			for _, v := range formats {
				valid = valid || v == s
			}
			if !valid {
				fs.add(errorf(f.rng, "Invalid output format", "The output format %s is not one Mynth writes.%s Use png, jpg or webp.", shown(s, f.sensitive), hint(s, f.sensitive, append(formats, "jpeg"))))
			} else {
				out.Format = s
			}
		}
	}
	if f, ok := fs.get("quality"); ok {
		in.use(f)
		if n, ok := fs.integer(f); ok {
			if n < 0 || n > 100 {
				fs.add(errorf(f.rng, "Invalid output quality", "quality is %s; it must be between 0 and 100. Pick a value in that range.", shownInt(n, f.sensitive)))
			} else {
				out.Quality = &n
			}
		}
	}
	return out
}

// decodeWebhook reads the webhook block.
func (in *instance) decodeWebhook(fs *fields) *mynth.Webhook {
	w := &mynth.Webhook{}
	if f, ok := fs.get("enabled"); ok {
		in.use(f)
		if b, ok := fs.boolean(f); ok {
			w.Enabled = &b
		}
	}
	if f, ok := fs.get("custom"); ok {
		in.use(f)
		elems, ok := fs.list(f, "a list of URLs", `["https://example.com/hook"]`)
		if ok && len(elems) > MaxWebhooks {
			fs.add(errorf(f.rng, "Too many webhooks", "custom lists %d endpoints; Mynth takes at most %d. Remove some.", len(elems), MaxWebhooks))
			ok = false
		}
		for i := 0; ok && i < len(elems); i++ {
			e := elems[i]
			ef := &field{name: fmt.Sprintf("webhook.custom[%d]", i), val: e, sensitive: f.sensitive, rng: f.rng}
			var u string
			if e.Type() == cty.String && !e.IsNull() {
				u = e.AsString()
			} else if of, good := fs.objectFields(ef, []string{"url"}, `a URL or { url = "https://..." }`); good {
				if uf, has := of.get("url"); has {
					u, _ = of.str(uf)
				}
			} else {
				continue // reported by objectFields
			}
			if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
				fs.add(errorf(f.rng, "Invalid webhook URL", "%s is not an http or https URL. Give the endpoint's full URL.", ef.name))
				continue
			}
			w.Custom = append(w.Custom, mynth.WebhookEndpoint{URL: u})
		}
	}
	return w
}

// decodeContentRating reads the content_rating block.
func (in *instance) decodeContentRating(fs *fields) *mynth.ContentRating {
	cr := &mynth.ContentRating{}
	if f, ok := fs.get("enabled"); ok {
		in.use(f)
		if b, ok := fs.boolean(f); ok {
			cr.Enabled = &b
		}
	}
	if f, ok := fs.get("levels"); ok {
		in.use(f)
		elems, ok := fs.list(f, "a list of { value, description } objects", `[{ value = "safe", description = "No nudity" }]`)
		if ok && (len(elems) < MinRatingLevels || len(elems) > MaxRatingLevels) {
			fs.add(errorf(f.rng, "Wrong number of rating levels", "levels lists %d levels; Mynth takes %d to %d. Adjust the list.", len(elems), MinRatingLevels, MaxRatingLevels))
			ok = false
		}
		for i := 0; ok && i < len(elems); i++ {
			ef := &field{name: fmt.Sprintf("content_rating.levels[%d]", i), val: elems[i], sensitive: f.sensitive, rng: f.rng}
			of, good := fs.objectFields(ef, []string{"value", "description"}, `an object { value = "safe", description = "..." }`)
			if !good {
				continue
			}
			var lv mynth.RatingLevel
			for _, name := range []string{"value", "description"} {
				sf, has := of.get(name)
				if !has {
					of.add(errorf(f.rng, "Missing "+name, "%s has no %s. Add %s = \"...\".", ef.name, name, name))
					continue
				}
				s, isStr := of.str(sf)
				max := MaxRatingValue
				if name == "description" {
					max = MaxRatingDescription
				}
				if n := utf8.RuneCountInString(s); isStr && (n < 1 || n > max) {
					of.add(errorf(f.rng, "Invalid rating level", "%s.%s is %d characters long; Mynth takes 1 to %d. Adjust it.", ef.name, name, n, max))
				}
				if name == "value" {
					lv.Value = s
				} else {
					lv.Description = s
				}
			}
			cr.Levels = append(cr.Levels, lv)
		}
	}
	return cr
}

// decodeMetadata turns the metadata object into canonical JSON: keys
// sorted, numbers exact.
func (in *instance) decodeMetadata(fs *fields, f *field) []byte {
	ty := f.val.Type()
	if !ty.IsObjectType() && !ty.IsMapType() {
		fs.typeError(f, "an object", `{ campaign = "spring" }`)
		return nil
	}
	b, err := ctyjson.Marshal(f.val, f.val.Type())
	if err != nil {
		fs.add(errorf(f.rng, "Invalid metadata", "metadata cannot be written as JSON: %v. Keep to strings, numbers, bools, lists and objects.", err))
		return nil
	}
	if len(b) > MaxMetadataBytes {
		fs.add(errorf(f.rng, "Metadata too large", "metadata is %d bytes as JSON; Mynth keeps at most %d. Shorten it.", len(b), MaxMetadataBytes))
		return nil
	}
	return b
}

// decodeExpect reads the expect block (nil when there is none) and fills
// in the defaults.
func (in *instance) decodeExpect(fs *fields, tb *taskBlock, count int, countKnown bool) *Expect {
	e := &Expect{Status: mynth.StatusCompleted, Images: count, Severity: SeverityError, DeclRange: tb.DeclRange}
	if fs == nil {
		return e
	}
	e.DeclRange = tb.Blocks["expect"].DefRange
	if f, ok := fs.get("status"); ok {
		in.use(f)
		if s, ok := fs.str(f); ok {
			switch mynth.Status(s) {
			case mynth.StatusCompleted, mynth.StatusFailed:
				e.Status = mynth.Status(s)
			default:
				fs.add(errorf(f.rng, "Invalid expected status", "expect.status is %s; a task ends completed or failed.%s Use \"completed\" or \"failed\".", shown(s, f.sensitive), hint(s, f.sensitive, []string{"completed", "failed"})))
			}
		}
	}
	if f, ok := fs.get("images"); ok {
		in.use(f)
		if n, ok := fs.integer(f); ok {
			switch {
			case n < 0:
				fs.add(errorf(f.rng, "Invalid expected image count", "expect.images is %s; it counts succeeded images, so it must be 0 or more. Fix the number.", shownInt(n, f.sensitive)))
			case countKnown && n > count:
				fs.add(errorf(f.rng, "Invalid expected image count", "expect.images is %s but the task makes only %d image(s) (count = %d). Lower expect.images or raise count.", shownInt(n, f.sensitive), count, count))
			default:
				e.Images = n
			}
		}
	}
	if f, ok := fs.get("size"); ok {
		in.use(f)
		if s, ok := fs.str(f); ok {
			if !wxhPattern.MatchString(s) {
				fs.add(errorf(f.rng, "Invalid expected size", "expect.size is %s; images are measured in pixels, so it must be WIDTHxHEIGHT, such as \"1536x1024\". Write the exact pixel size.", shown(s, f.sensitive)))
			} else {
				e.Size = s
			}
		}
	}
	if f, ok := fs.get("max_cost"); ok {
		in.use(f)
		if a, ok := fs.amount(f); ok {
			e.MaxCost = &a
		}
	}
	if f, ok := fs.get("severity"); ok {
		in.use(f)
		if s, ok := fs.str(f); ok {
			switch Severity(s) {
			case SeverityError, SeverityWarning:
				e.Severity = Severity(s)
			default:
				fs.add(errorf(f.rng, "Invalid severity", "expect.severity is %s.%s Use \"error\" (a failure fails the run) or \"warning\" (it is only reported).", shown(s, f.sensitive), hint(s, f.sensitive, []string{"error", "warning"})))
			}
		}
	}
	return e
}

// changeSegment is one dotted part of a change path: a JSON key (as the API
// spells it, so camelCase too) with optional [N] or [*] indexes.
var changeSegment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*(\[(\*|[0-9]+)\])*$`)

// changeRoots are the first segments of change paths: what a plan
// compares.
var changeRoots = []string{"request", "result", "status", "files", "id"}

// changePathProblem says why p is not a change path, or "" when it is one.
func changePathProblem(p string) string {
	if p == "" {
		return "is empty"
	}
	segs := strings.Split(p, ".")
	root, _, _ := strings.Cut(segs[0], "[")
	known := false
	for _, r := range changeRoots {
		known = known || r == root
	}
	if !known {
		return fmt.Sprintf("does not start with one of %s", strings.Join(changeRoots, ", "))
	}
	for _, s := range segs {
		if !changeSegment.MatchString(s) {
			return fmt.Sprintf("has a malformed part %s", strconv.Quote(s))
		}
	}
	return ""
}
