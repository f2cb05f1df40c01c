package mynthtest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/mynthform/mynthform/mynth"
)

// task is one task as the emulator holds it.
type task struct {
	id        string
	owner     string // sha256 of the owner's API key
	patHash   string // sha256 of the task's PAT; "" without one
	status    mynth.Status
	typ       json.RawMessage // as seeded; "image.generate" for created tasks
	createdAt string          // as served
	updatedAt string
	created   time.Time       // createdAt parsed, for the lifecycle
	request   json.RawMessage // as submitted, compacted
	result    json.RawMessage // nil while pending and for failed tasks
	extra     map[string]json.RawMessage
	// emulate is true for a task whose lifecycle the emulator runs: it
	// settles Options.Delay after created.
	emulate bool

	// The last answers served, kept until the task changes (settle clears
	// them): a settled task is read many times and never changes.
	cachedTask, cachedResults []byte
	cachedBase                string
	cachedStore               []byte // the task's line in the store
}

// served returns the body of GET /tasks/:id. The caller holds e.mu and must
// not modify the slice.
func (t *task) served(base string) []byte {
	if t.cachedBase != base {
		t.cachedTask, t.cachedResults, t.cachedBase = nil, nil, base
	}
	if t.cachedTask == nil {
		t.cachedTask = t.marshal(base)
	}
	return t.cachedTask
}

// servedResults returns the body of GET /tasks/:id/results, like served.
func (t *task) servedResults(base string) []byte {
	if t.cachedBase != base {
		t.cachedTask, t.cachedResults, t.cachedBase = nil, nil, base
	}
	if t.cachedResults == nil {
		t.cachedResults = t.resultsJSON(base)
	}
	return t.cachedResults
}

// timeLayout is how the API writes timestamps: ISO 8601, milliseconds, Z.
const timeLayout = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// marshal returns the task as GET /tasks/:id serves it, with relative image
// links ("/images/...") made absolute with base.
func (t *task) marshal(base string) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	field := func(name string, v []byte) {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(name)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	str := func(s string) []byte { v, _ := json.Marshal(s); return v }
	field("id", str(t.id))
	field("status", str(string(t.status)))
	if len(t.typ) > 0 {
		field("type", t.typ)
	}
	if t.createdAt != "" {
		field("createdAt", str(t.createdAt))
	}
	if t.updatedAt != "" {
		field("updatedAt", str(t.updatedAt))
	}
	if len(t.request) > 0 {
		field("request", t.request)
	}
	if len(t.result) > 0 {
		field("result", absoluteURLs(t.result, base))
	}
	for _, k := range slices.Sorted(maps.Keys(t.extra)) {
		field(k, t.extra[k])
	}
	b.WriteByte('}')
	return b.Bytes()
}

// resultsJSON is the body of GET /tasks/:id/results: the result's images,
// an empty list while there are none.
func (t *task) resultsJSON(base string) []byte {
	images := json.RawMessage("[]")
	if len(t.result) > 0 {
		var r struct {
			Images json.RawMessage `json:"images"`
		}
		if json.Unmarshal(t.result, &r) == nil && len(r.Images) > 0 && string(r.Images) != "null" {
			images = r.Images
		}
	}
	var b bytes.Buffer
	b.WriteString(`{"images":`)
	b.Write(absoluteURLs(images, base))
	b.WriteByte('}')
	return b.Bytes()
}

// absoluteURLs rewrites the relative image links of compacted JSON.
func absoluteURLs(b []byte, base string) []byte {
	return bytes.ReplaceAll(b, []byte(`"url":"/images/`), []byte(`"url":"`+base+`/images/`))
}

// Markers that a prompt can carry to choose a task's fate.
const (
	markerFail      = "[[fail]]"
	markerFailImage = "[[fail-image]]"
	markerPending   = "[[pending]]"
)

// settle moves an emulated pending task to its final state once its delay
// has passed. It reports whether the task changed. The caller holds e.mu.
func (e *Emulator) settle(t *task) bool {
	if !t.emulate || t.status != mynth.StatusPending {
		return false
	}
	due := t.created.Add(e.opts.Delay)
	if e.now().Before(due) {
		return false
	}
	changed := e.settleDue(t, due)
	if changed {
		t.cachedTask, t.cachedResults, t.cachedStore = nil, nil, nil
	}
	return changed
}

// settleDue settles t, whose delay has passed, by the failure rules.
func (e *Emulator) settleDue(t *task, due time.Time) bool {
	var req mynth.Request
	if err := json.Unmarshal(t.request, &req); err != nil {
		// A seeded request the emulator cannot read: fail the task rather
		// than guess.
		t.status = mynth.StatusFailed
		t.updatedAt = formatTime(due)
		e.dirty = true
		return true
	}
	text := ""
	if req.Prompt != nil {
		text = req.Prompt.Positive + "\n" + req.Prompt.Negative
	}
	if strings.Contains(text, markerPending) {
		return false
	}
	t.updatedAt = formatTime(due)
	e.dirty = true
	if strings.Contains(text, markerFail) {
		t.status = mynth.StatusFailed
		t.result = nil
		return true
	}
	res := computeResult(t.id, &req, strings.Contains(text, markerFailImage))
	b, err := json.Marshal(res)
	if err != nil {
		t.status = mynth.StatusFailed
		return true
	}
	t.status = mynth.StatusCompleted
	t.result = b
	e.indexImages(t)
	return true
}

// DefaultModel is the model that "auto" (or no model) resolves to.
const DefaultModel = "google/gemini-3.1-flash-image"

// priceTable is the emulator's price table: the exact cost of one
// succeeded image by resolved model. A model that is not listed costs
// DefaultPrice. Read only.
var priceTable = map[string]string{
	"google/gemini-3.1-flash-image": "0.01250000",
	"black-forest-labs/flux.2-dev":  "0.00800000",
	"xai/grok-imagine-image":        "0.02000000",
}

// PriceTable returns the emulator's price table: the exact cost of one
// succeeded image by resolved model id. A model it does not list costs
// DefaultPrice.
func PriceTable() map[string]mynth.Amount {
	out := make(map[string]mynth.Amount, len(priceTable))
	for m, p := range priceTable {
		out[m] = mynth.MustParseAmount(p)
	}
	return out
}

// DefaultPrice is the cost of one image of a model that PriceTable does not
// list.
const DefaultPrice = "0.01250000"

// Fee is the per-task fee the emulator charges on top of the images: none.
// cost.total is cost.images + Fee; cost.fee is always in the result
// ("0.00000000"), as the SDK's ImageResultCost requires it.
const Fee = "0"

// PriceOf returns the cost of one image of model (after resolving "auto").
func PriceOf(model string) mynth.Amount {
	if p, ok := priceTable[resolveModel(model)]; ok {
		return mynth.MustParseAmount(p)
	}
	return mynth.MustParseAmount(DefaultPrice)
}

func resolveModel(model string) string {
	if model == "" || model == "auto" {
		return DefaultModel
	}
	return model
}

// computeResult builds the result of a completed task. It is a pure
// function of the task id and its request, so that a restart computes the
// same images.
func computeResult(taskID string, req *mynth.Request, failLast bool) *mynth.Result {
	model := resolveModel(req.Model)
	price := PriceOf(model)
	w, h, auto := resolveSize(req.Size)
	count := req.Count
	if count <= 0 {
		count = 1
	}
	res := &mynth.Result{Model: model, Images: make([]mynth.Image, 0, count)}
	var sum mynth.Amount
	for i := range count {
		if failLast && i == count-1 {
			res.Images = append(res.Images, mynth.Image{
				Status: mynth.ImageFailed,
				// A string, as the SDK's ImageResultImageFailure has it
				// (mynthio/mynth-sdk, src/types.ts).
				Error: json.RawMessage(`"the emulator failed this image because the prompt contains [[fail-image]]"`),
			})
			continue
		}
		id := imageID(taskID, i)
		cost := price
		im := mynth.Image{
			Status: mynth.ImageSucceeded,
			ID:     id,
			URL:    "/images/" + id + ".png",
			Cost:   &cost,
			Size:   fmt.Sprintf("%dx%d", w, h),
		}
		if req.ContentRating != nil && req.ContentRating.Enabled != nil && *req.ContentRating.Enabled {
			im.ContentRating = contentRating(req.ContentRating.Levels)
		}
		res.Images = append(res.Images, im)
		sum = sum.Add(price)
	}
	fee := mynth.MustParseAmount(Fee)
	res.Cost = &mynth.Cost{Images: sum, Total: sum.Add(fee), Fee: &fee}
	if req.Prompt != nil {
		switch req.Prompt.Enhance {
		case mynth.EnhancePreferMagic, mynth.EnhancePreferNative, "true":
			src := SourceMynth
			if req.Prompt.Enhance == mynth.EnhancePreferNative {
				src = SourceNative
			}
			res.PromptEnhance = &mynth.PromptEnhance{Source: src, Positive: req.Prompt.Positive + ", highly detailed, soft studio light"}
		}
	}
	if auto {
		res.SizeAuto, _ = json.Marshal(map[string]string{"source": SourceMynth, "value": fmt.Sprintf("%dx%d", w, h)})
	}
	return res
}

// The values of size_auto.source and prompt_enhance.source: the work was
// done by Mynth, or by the model itself (mynthio/mynth-sdk, src/types.ts,
// ImageResultSizeAuto and ImageResultPromptEnhance).
const (
	SourceMynth  = "mynth"
	SourceNative = "native"
)

// contentRating is the content_rating of a succeeded image when the
// request enabled rating: {"mode":"default","level":"sfw"} on the default
// scale, {"mode":"custom","level":<the first level's value>} with custom
// levels (mynthio/mynth-sdk, src/types.ts, ImageResultContentRating; the
// content-rating guide).
func contentRating(levels []mynth.RatingLevel) json.RawMessage {
	v := map[string]string{"mode": "default", "level": "sfw"}
	if len(levels) > 0 {
		v = map[string]string{"mode": "custom", "level": levels[0].Value}
	}
	b, _ := json.Marshal(v)
	return b
}

// presetSizes are the sizes of the string presets.
var presetSizes = map[string][2]int{
	"auto":      {1024, 1024},
	"square":    {1024, 1024},
	"landscape": {1536, 1024},
	"portrait":  {1024, 1536},
	"instagram": {1080, 1350},
	// The size guide names these two without giving pixels; the emulator
	// takes 9:16 and 16:9 with a 1536 long side.
	"portrait_tall":  {864, 1536},
	"landscape_wide": {1536, 864},
}

// resolveSize returns the pixel size of a (validated) request size, and
// whether it was chosen automatically.
func resolveSize(s *mynth.Size) (w, h int, auto bool) {
	if s == nil {
		return 1024, 1024, true
	}
	if s.Preset != "" {
		p := strings.ToLower(s.Preset)
		if wh, ok := presetSizes[p]; ok {
			return wh[0], wh[1], p == "auto"
		}
		if w, h, ok := parseWxH(p); ok {
			return w, h, false
		}
		return 1024, 1024, false
	}
	switch s.Type {
	case "resolution":
		return s.Width, s.Height, false
	case "aspect_ratio":
		if w, h, ok := aspectSize(s.AspectRatio, s.Scale); ok {
			return w, h, false
		}
	case "auto":
		if wh, ok := presetSizes[strings.ToLower(s.Prefer)]; ok {
			return wh[0], wh[1], true
		}
		return 1024, 1024, true
	}
	return 1024, 1024, false
}

// maxSide is the largest width or height the emulator accepts.
const maxSide = 4096

// parseWxH reads "WxH" with both sides from 1 to maxSide.
func parseWxH(s string) (w, h int, ok bool) {
	ws, hs, found := strings.Cut(s, "x")
	if !found {
		return 0, 0, false
	}
	w, ok1 := smallInt(ws)
	h, ok2 := smallInt(hs)
	if !ok1 || !ok2 || w < 1 || h < 1 || w > maxSide || h > maxSide {
		return 0, 0, false
	}
	return w, h, true
}

// smallInt parses a plain decimal of at most 6 digits.
func smallInt(s string) (int, bool) {
	if s == "" || len(s) > 6 {
		return 0, false
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int(r-'0')
	}
	return n, true
}

// scales maps an aspect_ratio scale to the length of the longer side.
var scales = map[string]int{"": 1024, "0.5k": 512, "1k": 1024, "2k": 2048, "4k": 4096}

// aspectSize computes the size of an aspect_ratio size object: the longer
// side is the scale's length, the other follows the ratio.
func aspectSize(ratio, scale string) (w, h int, ok bool) {
	a, b, found := strings.Cut(ratio, ":")
	if !found {
		return 0, 0, false
	}
	rw, ok1 := smallInt(a)
	rh, ok2 := smallInt(b)
	long, ok3 := scales[strings.ToLower(scale)]
	if !ok1 || !ok2 || !ok3 || rw < 1 || rh < 1 {
		return 0, 0, false
	}
	if rw >= rh {
		return long, max(1, (long*rh+rw/2)/rw), true
	}
	return max(1, (long*rw+rh/2)/rh), long, true
}

// crockford is the alphabet of ULIDs.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newULID returns a ULID-like string: 10 characters of millisecond time and
// 16 of randomness, Crockford base32.
func newULID(now time.Time) string {
	var b [26]byte
	ms := uint64(now.UnixMilli())
	for i := 9; i >= 0; i-- {
		b[i] = crockford[ms&31]
		ms >>= 5
	}
	var rnd [16]byte
	_, _ = rand.Read(rnd[:])
	for i := range 16 {
		b[10+i] = crockford[rnd[i]&31]
	}
	return string(b[:])
}

// newToken returns a fresh random token with prefix.
func newToken(prefix string) string {
	var rnd [32]byte
	_, _ = rand.Read(rnd[:])
	var b strings.Builder
	b.WriteString(prefix)
	for _, c := range rnd {
		b.WriteByte(crockford[c&31])
	}
	return b.String()
}

// imageID derives the id of image i of a task, so that the same task always
// has the same images.
func imageID(taskID string, i int) string {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(i))
	sum := sha256.Sum256(append([]byte(taskID+"/"), n[:]...))
	b := make([]byte, 26)
	for j := range b {
		b[j] = crockford[sum[j]&31]
	}
	return "img_" + string(b)
}
