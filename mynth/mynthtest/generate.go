package mynthtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mynthform/mynthform/mynth"
)

// Documented limits of a generation request.
const (
	maxPromptChars   = 8192
	maxCount         = 100
	maxInputs        = 20
	maxWebhooks      = 5
	minRatingLevels  = 2
	maxRatingLevels  = 7
	maxRatingValue   = 24  // characters of a level's value
	maxRatingDesc    = 150 // characters of a level's description
	maxMetadataBytes = 2048
	maxRequestBytes  = 1 << 20
)

// generate serves POST /image/generate.
func (e *Emulator) generate(r *http.Request) *response {
	e.mu.Lock()
	c, bad := e.authenticate(r, false)
	e.mu.Unlock()
	if bad != nil {
		return bad
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
	if err != nil {
		return errorResponse(http.StatusBadRequest, "validation_error", "reading the request body: "+err.Error(), "")
	}
	if len(body) > maxRequestBytes {
		return errorResponse(http.StatusRequestEntityTooLarge, "payload_too_large", "the request body is over 1 MiB", "")
	}
	if verr := validateRequest(body); verr != nil {
		return errorResponse(http.StatusBadRequest, "validation_error", verr.Message, verr.Field)
	}
	compact, err := compactJSON(body)
	if err != nil {
		return errorResponse(http.StatusBadRequest, "validation_error", "the body is not valid JSON", "")
	}
	var req mynth.Request
	if err := json.Unmarshal(compact, &req); err != nil {
		return errorResponse(http.StatusBadRequest, "validation_error", err.Error(), "")
	}
	if verr := e.checkInputURLs(req.Inputs, e.baseURL(r)); verr != nil {
		return errorResponse(http.StatusBadRequest, "validation_error", verr.Message, verr.Field)
	}
	now := e.now()
	t := &task{
		id:        "tsk_" + newULID(now),
		owner:     c.account,
		status:    mynth.StatusPending,
		typ:       json.RawMessage(`"image.generate"`),
		createdAt: formatTime(now),
		updatedAt: formatTime(now),
		created:   now,
		request:   compact,
		emulate:   true,
		extra:     ownerFields(c.account),
	}
	out := mynth.Created{TaskID: t.id}
	if req.Access != nil && req.Access.PAT != nil && req.Access.PAT.Enabled {
		out.PublicAccessToken = newToken("pat_")
		t.patHash = hashToken(out.PublicAccessToken)
	}
	e.mu.Lock()
	bal, limited := e.balances[c.account]
	cost := PriceOf(req.Model).Mul(int64(max(req.Count, 1)))
	if limited && cost.Cmp(bal) > 0 {
		e.mu.Unlock()
		return errorResponse(http.StatusPaymentRequired, "insufficient_balance",
			fmt.Sprintf("this request costs up to $%s and the balance is $%s", cost, bal), "")
	}
	if err := e.addTask(t); err != nil {
		e.mu.Unlock()
		return errorResponse(http.StatusInternalServerError, "internal_error", err.Error(), "")
	}
	if limited {
		e.balances[c.account] = bal.Sub(cost)
	}
	e.stats.Created++
	e.dirty = true
	e.mu.Unlock()
	if err := e.persist(); err != nil {
		return errorResponse(http.StatusInternalServerError, "internal_error", "the emulator could not write its store: "+err.Error(), "")
	}
	return jsonResponse(http.StatusCreated, out)
}

// validationError is a 400 validation_error.
type validationError struct {
	Field   string
	Message string
}

func invalid(field, format string, args ...any) *validationError {
	return &validationError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// validateRequest checks a generation request against every documented
// limit and returns the first problem, nil when there is none.
func validateRequest(body []byte) *validationError {
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return invalid("", "the body must be a JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalid("", "the body has data after the JSON object")
	}
	checks := []struct {
		name     string
		check    func(json.RawMessage) *validationError
		required bool
	}{
		{"prompt", checkPrompt, true},
		{"model", checkModel, false},
		{"size", checkSize, false},
		{"count", checkCount, false},
		{"inputs", checkInputs, false},
		{"output", checkOutput, false},
		{"webhook", checkWebhook, false},
		{"content_rating", checkContentRating, false},
		{"metadata", checkMetadata, false},
		{"access", checkAccess, false},
	}
	for _, c := range checks {
		raw, ok := obj[c.name]
		if !ok || isNull(raw) {
			if c.required {
				return invalid(c.name, "%s is required", c.name)
			}
			continue
		}
		if err := c.check(raw); err != nil {
			return err
		}
	}
	return nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// jsonKind names the JSON type of raw: string, number, object, array,
// boolean or null.
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

func asString(raw json.RawMessage) (string, bool) {
	var s string
	if jsonKind(raw) != "string" || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

func asInt(raw json.RawMessage) (int64, bool) {
	n, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	return n, err == nil
}

func asObject(raw json.RawMessage) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if jsonKind(raw) != "object" || json.Unmarshal(raw, &m) != nil {
		return nil, false
	}
	return m, true
}

func asArray(raw json.RawMessage) ([]json.RawMessage, bool) {
	var a []json.RawMessage
	if jsonKind(raw) != "array" || json.Unmarshal(raw, &a) != nil {
		return nil, false
	}
	return a, true
}

func asBool(raw json.RawMessage) bool { return jsonKind(raw) == "boolean" }

// present returns m[k] when it is set and not null.
func present(m map[string]json.RawMessage, k string) (json.RawMessage, bool) {
	v, ok := m[k]
	if !ok || isNull(v) {
		return nil, false
	}
	return v, true
}

func checkText(field string, s string, minChars int) *validationError {
	n := utf8.RuneCountInString(s)
	if n < minChars || n > maxPromptChars {
		return invalid(field, "%s must be %d to %d characters, got %d", field, minChars, maxPromptChars, n)
	}
	return nil
}

func checkPrompt(raw json.RawMessage) *validationError {
	if s, ok := asString(raw); ok {
		return checkText("prompt", s, 1)
	}
	obj, ok := asObject(raw)
	if !ok {
		return invalid("prompt", "prompt must be a string or an object {positive, negative, enhance}")
	}
	pos, ok := present(obj, "positive")
	if !ok {
		return invalid("prompt.positive", "prompt.positive is required")
	}
	s, ok := asString(pos)
	if !ok {
		return invalid("prompt.positive", "prompt.positive must be a string")
	}
	if err := checkText("prompt.positive", s, 1); err != nil {
		return err
	}
	if neg, ok := present(obj, "negative"); ok {
		s, ok := asString(neg)
		if !ok {
			return invalid("prompt.negative", "prompt.negative must be a string")
		}
		if err := checkText("prompt.negative", s, 0); err != nil {
			return err
		}
	}
	if enh, ok := present(obj, "enhance"); ok {
		s, isStr := asString(enh)
		switch {
		case string(bytes.TrimSpace(enh)) == "false":
		case isStr && (s == mynth.EnhancePreferMagic || s == mynth.EnhancePreferNative):
		default:
			return invalid("prompt.enhance", `prompt.enhance must be false, "prefer_magic" or "prefer_native"`)
		}
	}
	return nil
}

func checkModel(raw json.RawMessage) *validationError {
	s, ok := asString(raw)
	if !ok || strings.TrimSpace(s) == "" || len(s) > 200 {
		return invalid("model", "model must be a model id such as %q, or \"auto\"", DefaultModel)
	}
	return nil
}

const sizeHelp = `size must be "auto", "square", "portrait", "landscape", "portrait_tall", "landscape_wide", "instagram", "WxH" (each side 1 to 4096), or an object with type resolution, aspect_ratio or auto`

func checkSize(raw json.RawMessage) *validationError {
	if s, ok := asString(raw); ok {
		p := strings.ToLower(s)
		if _, ok := presetSizes[p]; ok {
			return nil
		}
		if _, _, ok := parseWxH(p); ok {
			return nil
		}
		return invalid("size", "unknown size %q: %s", s, sizeHelp)
	}
	obj, ok := asObject(raw)
	if !ok {
		return invalid("size", "%s", sizeHelp)
	}
	typ, _ := asString(obj["type"])
	switch typ {
	case "resolution":
		for _, side := range []string{"width", "height"} {
			n, ok := asInt(obj[side])
			if !ok || n < 1 || n > maxSide {
				return invalid("size."+side, "size.%s must be an integer from 1 to %d", side, maxSide)
			}
		}
		if m, ok := present(obj, "mode"); ok {
			if _, ok := asString(m); !ok {
				return invalid("size.mode", "size.mode must be a string")
			}
		}
	case "aspect_ratio":
		ratio, _ := asString(obj["aspectRatio"])
		scale := ""
		if sc, ok := present(obj, "scale"); ok {
			s, isStr := asString(sc)
			if _, known := scales[strings.ToLower(s)]; !isStr || !known || s == "" {
				return invalid("size.scale", `size.scale must be "0.5k", "1k", "2k" or "4k"`)
			}
			scale = s
		}
		if _, _, ok := aspectSize(ratio, scale); !ok {
			return invalid("size.aspectRatio", `size.aspectRatio must be "W:H" with positive integers, such as "4:5"`)
		}
	case "auto":
		if p, ok := present(obj, "prefer"); ok {
			if _, ok := asString(p); !ok {
				return invalid("size.prefer", "size.prefer must be a string")
			}
		}
	default:
		return invalid("size.type", `size.type must be "resolution", "aspect_ratio" or "auto"`)
	}
	return nil
}

func checkCount(raw json.RawMessage) *validationError {
	n, ok := asInt(raw)
	if !ok || n < 1 || n > maxCount {
		return invalid("count", "count must be an integer from 1 to %d", maxCount)
	}
	return nil
}

func isHTTPURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// checkInputURLs checks where the inputs of a valid request point: a URL
// of this server (base) must name a file it serves (an upload, or an image
// of a result), as Mynth cannot fetch a missing one; any other URL must be
// https.
func (e *Emulator) checkInputURLs(inputs []mynth.Input, base string) *validationError {
	own, _ := url.Parse(base)
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, in := range inputs {
		field := fmt.Sprintf("inputs[%d]", i)
		if in.Role != "" {
			field += ".source.url"
		}
		u, err := url.Parse(in.URL)
		if err != nil {
			return invalid(field, "%s is not a URL: %v", field, err)
		}
		if own == nil || own.Host == "" || !strings.EqualFold(u.Scheme, own.Scheme) || !strings.EqualFold(u.Host, own.Host) {
			if !strings.EqualFold(u.Scheme, "https") || u.Host == "" {
				return invalid(field, "%s must be an https URL (http only for this server's own files)", field)
			}
			continue
		}
		path := strings.TrimPrefix(u.Path, strings.TrimRight(own.Path, "/"))
		if name, ok := strings.CutPrefix(path, "/uploads/"); ok {
			if _, ok := e.uploads[name]; ok {
				continue
			}
		} else if id, ok := strings.CutPrefix(path, "/images/"); ok && strings.HasSuffix(id, ".png") {
			if _, ok := e.images[strings.TrimSuffix(id, ".png")]; ok {
				continue
			}
		}
		return invalid(field, "%s: no uploaded file or image at %s", field, u.Path)
	}
	return nil
}

func checkInputs(raw json.RawMessage) *validationError {
	items, ok := asArray(raw)
	if !ok {
		return invalid("inputs", "inputs must be an array")
	}
	if len(items) > maxInputs {
		return invalid("inputs", "at most %d inputs, got %d", maxInputs, len(items))
	}
	for i, item := range items {
		field := fmt.Sprintf("inputs[%d]", i)
		if s, ok := asString(item); ok {
			if !isHTTPURL(s) {
				return invalid(field, "%s must be an http or https URL", field)
			}
			continue
		}
		obj, ok := asObject(item)
		if !ok {
			return invalid(field, "%s must be a URL or an object {type, role, source}", field)
		}
		if typ, _ := asString(obj["type"]); typ != "image" {
			return invalid(field+".type", `%s.type must be "image"`, field)
		}
		switch role, _ := asString(obj["role"]); role {
		case "reference", "context", "init":
		default:
			return invalid(field+".role", `%s.role must be "reference", "context" or "init"`, field)
		}
		src, ok := asObject(obj["source"])
		if !ok {
			return invalid(field+".source", "%s.source must be an object {type, url}", field)
		}
		if typ, _ := asString(src["type"]); typ != "url" {
			return invalid(field+".source.type", `%s.source.type must be "url"`, field)
		}
		if u, _ := asString(src["url"]); !isHTTPURL(u) {
			return invalid(field+".source.url", "%s.source.url must be an http or https URL", field)
		}
	}
	return nil
}

func checkOutput(raw json.RawMessage) *validationError {
	obj, ok := asObject(raw)
	if !ok {
		return invalid("output", "output must be an object {format, quality}")
	}
	if f, ok := present(obj, "format"); ok {
		switch s, _ := asString(f); s {
		case "png", "jpg", "webp":
		default:
			return invalid("output.format", `output.format must be "png", "jpg" or "webp"`)
		}
	}
	if q, ok := present(obj, "quality"); ok {
		n, ok := asInt(q)
		if !ok || n < 0 || n > 100 {
			return invalid("output.quality", "output.quality must be an integer from 0 to 100")
		}
	}
	return nil
}

func checkWebhook(raw json.RawMessage) *validationError {
	obj, ok := asObject(raw)
	if !ok {
		return invalid("webhook", "webhook must be an object {enabled, custom}")
	}
	if en, ok := present(obj, "enabled"); ok && !asBool(en) {
		return invalid("webhook.enabled", "webhook.enabled must be true or false")
	}
	c, ok := present(obj, "custom")
	if !ok {
		return nil
	}
	items, ok := asArray(c)
	if !ok {
		return invalid("webhook.custom", "webhook.custom must be an array of {url}")
	}
	if len(items) > maxWebhooks {
		return invalid("webhook.custom", "at most %d custom webhooks, got %d", maxWebhooks, len(items))
	}
	for i, item := range items {
		field := fmt.Sprintf("webhook.custom[%d].url", i)
		obj, _ := asObject(item)
		if u, _ := asString(obj["url"]); !isHTTPURL(u) {
			return invalid(field, "%s must be an http or https URL", field)
		}
	}
	return nil
}

func checkContentRating(raw json.RawMessage) *validationError {
	obj, ok := asObject(raw)
	if !ok {
		return invalid("content_rating", "content_rating must be an object {enabled, levels}")
	}
	if en, ok := present(obj, "enabled"); ok && !asBool(en) {
		return invalid("content_rating.enabled", "content_rating.enabled must be true or false")
	}
	l, ok := present(obj, "levels")
	if !ok {
		return nil
	}
	items, ok := asArray(l)
	if !ok {
		return invalid("content_rating.levels", "content_rating.levels must be an array of {value, description}")
	}
	if len(items) < minRatingLevels || len(items) > maxRatingLevels {
		return invalid("content_rating.levels", "content_rating.levels must have %d to %d levels, got %d", minRatingLevels, maxRatingLevels, len(items))
	}
	for i, item := range items {
		obj, _ := asObject(item)
		for _, f := range []struct {
			name string
			max  int
		}{{"value", maxRatingValue}, {"description", maxRatingDesc}} {
			field := fmt.Sprintf("content_rating.levels[%d].%s", i, f.name)
			s, ok := asString(obj[f.name])
			n := utf8.RuneCountInString(s)
			if !ok || strings.TrimSpace(s) == "" || n > f.max {
				return invalid(field, "%s must be a string of 1 to %d characters", field, f.max)
			}
		}
	}
	return nil
}

func checkMetadata(raw json.RawMessage) *validationError {
	if jsonKind(raw) != "object" {
		return invalid("metadata", "metadata must be an object")
	}
	compact, err := compactJSON(raw)
	if err != nil {
		return invalid("metadata", "metadata must be an object")
	}
	if len(compact) > maxMetadataBytes {
		return invalid("metadata", "metadata must be at most 2 KB as JSON, got %d bytes", len(compact))
	}
	return nil
}

func checkAccess(raw json.RawMessage) *validationError {
	obj, ok := asObject(raw)
	if !ok {
		return invalid("access", "access must be an object {pat: {enabled}}")
	}
	p, ok := present(obj, "pat")
	if !ok {
		return nil
	}
	pat, ok := asObject(p)
	if !ok {
		return invalid("access.pat", "access.pat must be an object {enabled}")
	}
	if en, ok := present(pat, "enabled"); ok && !asBool(en) {
		return invalid("access.pat.enabled", "access.pat.enabled must be true or false")
	}
	return nil
}

// ownerFields are the fields of the SDK's task type that name who created
// a task (mynthio/mynth-sdk, src/types.ts, TaskData: apiKeyId and userId).
// Each account of the emulator is one API key and one user, so both are
// derived from the account (the sha256 of its key), hashed again with a
// label: stable across restarts, and no way back to the key.
func ownerFields(account string) map[string]json.RawMessage {
	id := func(prefix, label string) json.RawMessage {
		sum := sha256.Sum256([]byte(label + "/" + account))
		b := make([]byte, 26)
		for i := range b {
			b[i] = crockford[sum[i]&31]
		}
		v, _ := json.Marshal(prefix + string(b))
		return v
	}
	return map[string]json.RawMessage{"apiKeyId": id("key_", "apiKeyId"), "userId": id("usr_", "userId")}
}
