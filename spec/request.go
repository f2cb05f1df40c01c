package spec

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/mynthform/mynthform/mynth"
)

// This file decodes the request fields of a task instance (prompt, model,
// size, count, inputs, output, webhook, content_rating, metadata) into
// Task.Request; instance.go drives it, expect.go decodes the expect block.

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

// decodeRequestExtras reads the rest of the request (inputs excepted,
// which decodeTaskInputs reads once every task is decoded): the output,
// webhook and content_rating blocks (kept only when they set something),
// and metadata.
func (in *instance) decodeRequestExtras(fs *fields, nested map[string]*fields) {
	req := &in.t.Request
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
	if summary, detail := promptProblem(p.Positive); summary != "" {
		fs.add(errorf(f.rng, summary, "%s", detail))
		return nil
	}
	return p
}

// promptProblem says what is wrong with a positive prompt (a summary and
// a detail), or returns two empty strings when Mynth accepts it. The
// general decoding and quickTask share it.
func promptProblem(s string) (summary, detail string) {
	if strings.TrimSpace(s) == "" {
		return "Empty prompt", "The prompt is empty. Describe the image to generate."
	}
	if n := utf8.RuneCountInString(s); n > MaxPromptLength {
		return "Prompt too long", fmt.Sprintf("The prompt is %d characters long; Mynth accepts at most %d. Shorten it.", n, MaxPromptLength)
	}
	return "", ""
}

// decodeSizeString reads size = "square" or "WxH".
func (in *instance) decodeSizeString(fs *fields, f *field) *mynth.Size {
	s := f.val.AsString()
	if sz, ok := sizeFromString(s); ok {
		return &sz
	}
	lower := strings.ToLower(s)
	fs.add(errorf(f.rng, "Unknown size", "The size %s is neither a preset nor WIDTHxHEIGHT.%s Use one of %s, a size such as \"1536x1024\", or a size block.",
		shown(s, f.sensitive), hint(lower, f.sensitive, mynth.SizePresets), strings.Join(mynth.SizePresets, ", ")))
	return nil
}

// sizeFromString is the size a string names, a preset or WIDTHxHEIGHT in
// any case; ok is false when it names none.
func sizeFromString(s string) (sz mynth.Size, ok bool) {
	lower := strings.ToLower(s)
	if presetIndex(lower) >= 0 {
		return mynth.Size{Preset: s}.Normalize(), true
	}
	return wxhSize(lower)
}

// presetIndex is the index of lower, a size string in lower case, in
// mynth.SizePresets; -1 when it is none of them.
func presetIndex(lower string) int {
	for i, p := range mynth.SizePresets {
		if lower == p {
			return i
		}
	}
	return -1
}

// wxhSize is the size lower, a size string in lower case that is no
// preset, names when it is WIDTHxHEIGHT; ok is false when it is not.
func wxhSize(lower string) (sz mynth.Size, ok bool) {
	if wxhPattern.MatchString(lower) {
		return mynth.Size{Preset: lower}.Normalize(), true
	}
	return mynth.Size{}, false
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
