package mynth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"iter"
	"reflect"
	"slices"
	"strings"
)

// Status is the state of a task.
type Status string

// The statuses a task moves through. A failed task is not an HTTP error: the
// task simply ends in StatusFailed.
const (
	StatusPending   Status = "pending"
	StatusCompleted Status = "completed"
	StatusFailed    Status = "failed"
)

// Done reports whether the task will not change any more.
func (s Status) Done() bool { return s == StatusCompleted || s == StatusFailed }

// ImageStatus is the outcome of one image of a task.
type ImageStatus string

// The outcomes of an image.
const (
	ImageSucceeded ImageStatus = "succeeded"
	ImageFailed    ImageStatus = "failed"
)

// SizePresets are the presets accepted by the API in the string form of
// size: the docs' size guide (square, portrait, landscape, portrait_tall,
// landscape_wide), the older size page's instagram, and auto.
var SizePresets = []string{"auto", "square", "portrait", "landscape", "portrait_tall", "landscape_wide", "instagram"}

// Task is a generation task as GET /tasks/:id returns it.
type Task struct {
	ID        string   `json:"id"`
	Status    Status   `json:"status"`
	Type      string   `json:"type,omitempty"`
	CreatedAt string   `json:"createdAt,omitempty"`
	UpdatedAt string   `json:"updatedAt,omitempty"`
	Request   *Request `json:"request,omitempty"`
	Result    *Result  `json:"result,omitempty"`

	// Raw is the task exactly as the API sent it, unknown fields included.
	// The client fills it; it is what the state records.
	Raw json.RawMessage `json:"-"`
}

// Request is a generation request: the body of POST /image/generate and the
// request stored on a task. Optional fields are nil or empty when not set,
// so that a caller can tell a field that was left out from one set to its
// default.
type Request struct {
	Prompt        *Prompt        `json:"prompt,omitempty"`
	Model         string         `json:"model,omitempty"`
	Size          *Size          `json:"size,omitempty"`
	Count         int            `json:"count,omitempty"`
	Inputs        []Input        `json:"inputs,omitempty"`
	Output        *Output        `json:"output,omitempty"`
	Webhook       *Webhook       `json:"webhook,omitempty"`
	ContentRating *ContentRating `json:"content_rating,omitempty"`
	// Metadata is a JSON object returned with the task, at most 2 KB.
	Metadata json.RawMessage `json:"metadata,omitempty"`
	Access   *Access         `json:"access,omitempty"`
}

// RequestField is one field of Request as the tool treats it: its names,
// how a spec's value of it is compared with a task's, and what a sensitive
// value of it hides. RequestFields lists every field; comparison,
// redaction and `state show` all go through it, and a test holds it to
// the struct, so that a field added to Request is handled everywhere or
// the test fails.
type RequestField struct {
	// Name is the field's Go name in Request ("ContentRating").
	Name string
	// Key is its JSON key ("content_rating"): the key in the API's
	// documents, the path under "request." in a plan's changes, and the
	// name under which a spec marks the field sensitive.
	Key string
	// Subset is true for an object that the API completes with members of
	// its own (output, webhook, content_rating, access): a spec's value is
	// compared only with the members it sets, so that the ones the API
	// added are no drift.
	Subset bool
	// Echoes are the members of a task's Result that repeat the field's
	// value or are computed from it (the resolved model, the enhanced
	// prompt, each image's size, the size Mynth chose): where the field is
	// sensitive they are hidden too. Each is a path in the result, with
	// "[*]" for every element of a list ("images[*].size").
	Echoes []string
	// Token is true for the field that asks for the task's Public Access
	// Token (access): it is hidden wherever the token is.
	Token bool
}

// requestFields is the table behind RequestFields, in Request's order.
var requestFields = []RequestField{
	{Name: "Prompt", Key: "prompt", Echoes: []string{"prompt_enhance"}},
	{Name: "Model", Key: "model", Echoes: []string{"model"}},
	{Name: "Size", Key: "size", Echoes: []string{"images[*].size", "size_auto"}},
	{Name: "Count", Key: "count"},
	{Name: "Inputs", Key: "inputs"},
	{Name: "Output", Key: "output", Subset: true},
	{Name: "Webhook", Key: "webhook", Subset: true},
	{Name: "ContentRating", Key: "content_rating", Subset: true},
	{Name: "Metadata", Key: "metadata"},
	{Name: "Access", Key: "access", Subset: true, Token: true},
}

// RequestFields returns every field of Request, in the struct's order.
func RequestFields() []RequestField { return slices.Clone(requestFields) }

// AllRequestFields yields the fields of RequestFields, in the same order,
// without copying the table: for a loop that runs once per task.
func AllRequestFields() iter.Seq[RequestField] {
	return func(yield func(RequestField) bool) {
		for _, f := range requestFields {
			if !yield(f) {
				return
			}
		}
	}
}

// RequestFieldByKey returns the field whose JSON key is key.
func RequestFieldByKey(key string) (RequestField, bool) {
	i := slices.IndexFunc(requestFields, func(f RequestField) bool { return f.Key == key })
	if i < 0 {
		return RequestField{}, false
	}
	return requestFields[i], true
}

// IsSet reports whether r sets the field: a pointer that is not nil, a
// list or a JSON value that is not empty, a string or number that is not
// zero.
func (f RequestField) IsSet(r Request) bool {
	v := reflect.ValueOf(r).FieldByName(f.Name)
	if v.Kind() == reflect.Slice {
		return v.Len() > 0
	}
	return !v.IsZero()
}

// Value returns the field of r; nil when r does not set it, so that an
// absent field stays absent once encoded.
func (f RequestField) Value(r Request) any {
	if !f.IsSet(r) {
		return nil
	}
	return reflect.ValueOf(r).FieldByName(f.Name).Interface()
}

// Copy sets the field of dst to its value in src.
func (f RequestField) Copy(dst *Request, src Request) {
	reflect.ValueOf(dst).Elem().FieldByName(f.Name).Set(reflect.ValueOf(src).FieldByName(f.Name))
}

// WithDefaults returns r as the API reads it, so that two requests that
// mean the same compare equal: a missing model is "auto", a missing size
// "auto" and a missing count 1; the size is in its canonical form
// (Size.Normalize).
func (r Request) WithDefaults() Request {
	if r.Model == "" {
		r.Model = "auto"
	}
	size := Size{Preset: "auto"}
	if r.Size != nil {
		size = r.Size.Normalize()
	}
	r.Size = &size
	r.Count = max(r.Count, 1)
	return r
}

// Prompt is the prompt of a request. The API accepts a plain string (only
// Positive set) or an object; both decode to the same Prompt, so that a
// string prompt equals {positive = ...}.
type Prompt struct {
	Positive string `json:"positive"`
	Negative string `json:"negative,omitempty"`
	// Enhance is "" when not set, else "false", "prefer_magic" or
	// "prefer_native" (the JSON boolean false is held as "false").
	Enhance string `json:"-"`
}

// Enhance values.
const (
	EnhanceOff          = "false"
	EnhancePreferMagic  = "prefer_magic"
	EnhancePreferNative = "prefer_native"
)

// MarshalJSON writes a plain string when only Positive is set, else the
// object form.
func (p Prompt) MarshalJSON() ([]byte, error) {
	if p.Negative == "" && p.Enhance == "" {
		return json.Marshal(p.Positive)
	}
	obj := map[string]any{"positive": p.Positive}
	if p.Negative != "" {
		obj["negative"] = p.Negative
	}
	switch p.Enhance {
	case "":
	case EnhanceOff:
		obj["enhance"] = false
	case "true":
		obj["enhance"] = true
	default:
		obj["enhance"] = p.Enhance
	}
	return json.Marshal(obj)
}

// UnmarshalJSON reads either form of the prompt.
func (p *Prompt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		*p = Prompt{}
		return json.Unmarshal(b, &p.Positive)
	}
	var obj struct {
		Positive string          `json:"positive"`
		Negative string          `json:"negative"`
		Enhance  json.RawMessage `json:"enhance"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("prompt: %w", err)
	}
	*p = Prompt{Positive: obj.Positive, Negative: obj.Negative}
	if len(obj.Enhance) > 0 && string(obj.Enhance) != "null" {
		var s string
		if err := json.Unmarshal(obj.Enhance, &s); err == nil {
			p.Enhance = s
		} else {
			var on bool
			if err := json.Unmarshal(obj.Enhance, &on); err != nil {
				return fmt.Errorf("prompt.enhance: want false or a string, got %s", obj.Enhance)
			}
			p.Enhance = fmt.Sprint(on)
		}
	}
	return nil
}

// Size is the size of a request: a string (a preset, "WxH" or "auto") or an
// object (resolution, aspect_ratio or auto).
type Size struct {
	// Preset is the string form; when it is set, the other fields are empty.
	Preset string

	// The object form.
	Type        string // "resolution", "aspect_ratio" or "auto"
	Width       int    // resolution
	Height      int    // resolution
	Mode        string // resolution, optional
	AspectRatio string // aspect_ratio, e.g. "4:5"
	Scale       string // aspect_ratio, e.g. "1k"
	Prefer      string // auto, optional
}

// Normalize returns the canonical form of s, so that equal sizes compare
// equal: {type = "auto"} without a preference is "auto", a resolution
// without a mode is "WxH", and presets are lower case.
func (s Size) Normalize() Size {
	switch {
	case s.Preset != "":
		return Size{Preset: strings.ToLower(s.Preset)}
	case s.Type == "auto" && s.Prefer == "":
		return Size{Preset: "auto"}
	case s.Type == "resolution" && s.Mode == "" && s.Width > 0 && s.Height > 0:
		return Size{Preset: fmt.Sprintf("%dx%d", s.Width, s.Height)}
	}
	return s
}

// String is a short human form of the size.
func (s Size) String() string {
	switch {
	case s.Preset != "":
		return s.Preset
	case s.Type == "resolution":
		if s.Mode != "" {
			return fmt.Sprintf("%dx%d (%s)", s.Width, s.Height, s.Mode)
		}
		return fmt.Sprintf("%dx%d", s.Width, s.Height)
	case s.Type == "aspect_ratio":
		if s.Scale != "" {
			return s.AspectRatio + " @ " + s.Scale
		}
		return s.AspectRatio
	case s.Type == "auto" && s.Prefer != "":
		return "auto (prefer " + s.Prefer + ")"
	}
	return s.Type
}

type sizeObject struct {
	Type        string `json:"type"`
	Width       int    `json:"width,omitempty"`
	Height      int    `json:"height,omitempty"`
	Mode        string `json:"mode,omitempty"`
	AspectRatio string `json:"aspectRatio,omitempty"`
	Scale       string `json:"scale,omitempty"`
	Prefer      string `json:"prefer,omitempty"`
}

// MarshalJSON writes the string form when Preset is set, else the object.
func (s Size) MarshalJSON() ([]byte, error) {
	if s.Preset != "" {
		return json.Marshal(s.Preset)
	}
	return json.Marshal(sizeObject{s.Type, s.Width, s.Height, s.Mode, s.AspectRatio, s.Scale, s.Prefer})
}

// UnmarshalJSON reads either form of the size.
func (s *Size) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		*s = Size{}
		return json.Unmarshal(b, &s.Preset)
	}
	var o sizeObject
	if err := json.Unmarshal(b, &o); err != nil {
		return fmt.Errorf("size: %w", err)
	}
	*s = Size{Type: o.Type, Width: o.Width, Height: o.Height, Mode: o.Mode,
		AspectRatio: o.AspectRatio, Scale: o.Scale, Prefer: o.Prefer}
	return nil
}

// Input is an input image: a URL string, or an object with a role.
type Input struct {
	URL  string
	Role string // "reference", "context" or "init"; "" in the string form
}

type inputObject struct {
	Type   string `json:"type"`
	Role   string `json:"role,omitempty"`
	Source struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	} `json:"source"`
}

// MarshalJSON writes a plain URL when no role is set, else the object form.
func (in Input) MarshalJSON() ([]byte, error) {
	if in.Role == "" {
		return json.Marshal(in.URL)
	}
	var o inputObject
	o.Type, o.Role = "image", in.Role
	o.Source.Type, o.Source.URL = "url", in.URL
	return json.Marshal(o)
}

// UnmarshalJSON reads either form of an input.
func (in *Input) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		*in = Input{}
		return json.Unmarshal(b, &in.URL)
	}
	var o inputObject
	if err := json.Unmarshal(b, &o); err != nil {
		return fmt.Errorf("input: %w", err)
	}
	*in = Input{URL: o.Source.URL, Role: o.Role}
	return nil
}

// Output is the requested image format.
type Output struct {
	Format  string `json:"format,omitempty"`  // png, jpg or webp
	Quality *int   `json:"quality,omitempty"` // 0 to 100
}

// Webhook configures delivery of task events.
type Webhook struct {
	Enabled *bool             `json:"enabled,omitempty"`
	Custom  []WebhookEndpoint `json:"custom,omitempty"`
}

// WebhookEndpoint is one custom webhook URL.
type WebhookEndpoint struct {
	URL string `json:"url"`
}

// ContentRating asks Mynth to rate each image.
type ContentRating struct {
	Enabled *bool         `json:"enabled,omitempty"`
	Levels  []RatingLevel `json:"levels,omitempty"`
}

// RatingLevel is one custom content-rating level.
type RatingLevel struct {
	Value       string `json:"value"`
	Description string `json:"description"`
}

// Access asks for a task-scoped Public Access Token.
type Access struct {
	PAT *PATAccess `json:"pat,omitempty"`
}

// PATAccess enables a Public Access Token.
type PATAccess struct {
	Enabled bool `json:"enabled"`
}

// Result is a task's result: absent while pending and for failed tasks that
// never reached generation.
type Result struct {
	Model         string          `json:"model,omitempty"`
	Images        []Image         `json:"images"`
	Cost          *Cost           `json:"cost,omitempty"`
	PromptEnhance *PromptEnhance  `json:"prompt_enhance,omitempty"`
	SizeAuto      json.RawMessage `json:"size_auto,omitempty"`
}

// Total is the task's total cost, $0 when the result has no cost.
func (r *Result) Total() Amount {
	if r == nil || r.Cost == nil {
		return Amount{}
	}
	return r.Cost.Total
}

// Succeeded returns the images that succeeded, in order.
func (r *Result) Succeeded() []Image {
	if r == nil {
		return nil
	}
	var out []Image
	for _, im := range r.Images {
		if im.Status == ImageSucceeded {
			out = append(out, im)
		}
	}
	return out
}

// SucceededCount is len(r.Succeeded()), counted without copying the
// images.
func (r *Result) SucceededCount() int {
	if r == nil {
		return 0
	}
	n := 0
	for i := range r.Images {
		if r.Images[i].Status == ImageSucceeded {
			n++
		}
	}
	return n
}

// Image is one image of a result: succeeded (ID, URL, Cost, Size) or
// failed (Error).
type Image struct {
	Status        ImageStatus     `json:"status"`
	ID            string          `json:"id,omitempty"`
	URL           string          `json:"url,omitempty"`
	Cost          *Amount         `json:"cost,omitempty"`
	Size          string          `json:"size,omitempty"`
	ContentRating json.RawMessage `json:"content_rating,omitempty"`
	// Error says why a failed image failed; the API sends a string or an
	// object, kept as sent. ErrorMessage gives it as text.
	Error json.RawMessage `json:"error,omitempty"`
}

// ErrorMessage returns the image's error as one line of text.
func (im Image) ErrorMessage() string {
	if len(im.Error) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(im.Error, &s) == nil {
		return s
	}
	var o struct {
		Message string `json:"message"`
		Code    string `json:"code"`
	}
	if json.Unmarshal(im.Error, &o) == nil && (o.Message != "" || o.Code != "") {
		if o.Message == "" {
			return o.Code
		}
		return o.Message
	}
	return string(im.Error)
}

// Cost is the cost breakdown of a result.
type Cost struct {
	Images      Amount          `json:"images"`
	Total       Amount          `json:"total"`
	Fee         *Amount         `json:"fee,omitempty"`
	MagicPrompt json.RawMessage `json:"magic_prompt,omitempty"`
}

// PromptEnhance is present when prompt enhancement ran.
type PromptEnhance struct {
	Source   string `json:"source"`
	Positive string `json:"positive,omitempty"`
	Negative string `json:"negative,omitempty"`
}

// Created is the answer to POST /image/generate.
type Created struct {
	TaskID string
	// PublicAccessToken is set when the request asked for one. It is a
	// secret: never print or store it.
	PublicAccessToken string
}

// UnmarshalJSON accepts both documented forms: {"taskId": ...} and the same
// object wrapped in {"data": ...}.
func (c *Created) UnmarshalJSON(b []byte) error {
	type created struct {
		TaskID string `json:"taskId"`
		Access *struct {
			PublicAccessToken string `json:"publicAccessToken"`
		} `json:"access"`
	}
	var outer struct {
		created
		Data *created `json:"data"`
	}
	if err := json.Unmarshal(b, &outer); err != nil {
		return err
	}
	in := outer.created
	if outer.Data != nil {
		in = *outer.Data
	}
	if in.TaskID == "" {
		return fmt.Errorf("creation response has no taskId")
	}
	*c = Created{TaskID: in.TaskID}
	if in.Access != nil {
		c.PublicAccessToken = in.Access.PublicAccessToken
	}
	return nil
}

// Format prints the task id and hides the Public Access Token, whatever
// the verb, so that a Created is safe to log.
func (c Created) Format(f fmt.State, verb rune) {
	pat := ""
	if c.PublicAccessToken != "" {
		pat = redacted
	}
	fmt.Fprintf(f, "mynth.Created{TaskID:%q PublicAccessToken:%q}", c.TaskID, pat)
}

// MarshalJSON writes the unwrapped form, as the emulator answers.
func (c Created) MarshalJSON() ([]byte, error) {
	out := map[string]any{"taskId": c.TaskID}
	if c.PublicAccessToken != "" {
		out["access"] = map[string]string{"publicAccessToken": c.PublicAccessToken}
	}
	return json.Marshal(out)
}

// TaskStatus is the answer to GET /tasks/:id/status.
type TaskStatus struct {
	Status Status `json:"status"`
}

// Results is the answer to GET /tasks/:id/results.
type Results struct {
	Images []Image `json:"images"`
}
