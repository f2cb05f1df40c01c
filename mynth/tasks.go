package mynth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

const acceptJSON = "application/json"

// Generate creates a task (POST /image/generate). Its answer carries the
// task id and, when req.Access asked for one, the task's Public Access
// Token.
//
// Generate is retried only when the request certainly did not reach Mynth
// (the connection could not be made) or Mynth answered 429. When the
// request was sent but no usable answer came back (the connection dropped,
// a timeout, a truncated or malformed body, a 5xx) the error wraps
// ErrUnknownOutcome: the task may exist and cost money, so the caller must
// not simply repeat the request. 400 (validation, with the field), 401 and
// 402 (insufficient balance) are final *APIError values.
func (c *Client) Generate(ctx context.Context, req Request) (Created, error) {
	if err := c.needAPIKey("POST /image/generate"); err != nil {
		return Created{}, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return Created{}, fmt.Errorf("POST /image/generate: encoding the request: %w", err)
	}
	var created Created
	err = c.do(ctx, &call{
		method:   http.MethodPost,
		url:      c.base + "/image/generate",
		name:     "POST /image/generate",
		body:     jsonBody(body),
		creation: true,
		auth:     true,
		accept:   acceptJSON,
		timeout:  c.timeout,
		maxBytes: c.maxBytes,
		handle: func(b []byte) (err error) {
			created, err = DecodeCreated(b)
			return err
		},
	})
	if err != nil {
		return Created{}, err
	}
	return created, nil
}

// Task reads the full task (GET /tasks/:id). It needs the API key of the
// task's owner: a Public Access Token gets ErrUnauthorized, another
// account's task ErrNotFound. Task.Raw holds the task as received.
func (c *Client) Task(ctx context.Context, id string) (*Task, error) {
	var task *Task
	err := c.get(ctx, id, "", func(b []byte) (err error) {
		t, err := DecodeTask(b)
		if err != nil {
			return err
		}
		if t.ID != id {
			return fmt.Errorf("asked for task %s, got task %s", id, t.ID)
		}
		task = t
		return nil
	})
	return task, err
}

// Status reads a task's status (GET /tasks/:id/status) with the API key or
// the task's Public Access Token.
func (c *Client) Status(ctx context.Context, id string) (Status, error) {
	var st Status
	err := c.get(ctx, id, "/status", func(b []byte) (err error) {
		st, err = DecodeStatus(b)
		return err
	})
	return st, err
}

// Results reads a task's images (GET /tasks/:id/results) with the API key
// or the task's Public Access Token.
func (c *Client) Results(ctx context.Context, id string) (*Results, error) {
	var res *Results
	err := c.get(ctx, id, "/results", func(b []byte) (err error) {
		res, err = DecodeResults(b)
		return err
	})
	return res, err
}

// needAPIKey refuses, before sending anything, a Public Access Token on an
// endpoint that takes only the API key (Mynth would answer 401). The
// error wraps ErrInvalid and ErrUnauthorized.
func (c *Client) needAPIKey(name string) error {
	if strings.HasPrefix(c.token, "pat_") {
		return fmt.Errorf("%s: %w: %w: a Public Access Token only reads its task's status and results; this needs the API key", name, ErrInvalid, ErrUnauthorized)
	}
	return nil
}

// get reads /tasks/:id<suffix> with the read retry policy.
func (c *Client) get(ctx context.Context, id, suffix string, handle func([]byte) error) error {
	path := "/tasks/" + url.PathEscape(id) + suffix
	if strings.TrimSpace(id) == "" {
		return fmt.Errorf("GET %s: %w: empty task id", path, ErrInvalid)
	}
	return c.do(ctx, &call{
		method:   http.MethodGet,
		url:      c.base + path,
		name:     "GET " + path,
		auth:     true,
		accept:   acceptJSON,
		timeout:  c.timeout,
		maxBytes: c.maxBytes,
		handle:   handle,
	})
}

func jsonBody(b []byte) func() (io.Reader, string, error) {
	return func() (io.Reader, string, error) {
		return bytes.NewReader(b), acceptJSON, nil
	}
}

// UploadFile is one image to upload.
type UploadFile struct {
	// Name is the file name sent to Mynth (its base name is used).
	Name string
	// Data is the image: JPEG, PNG or WEBP, 1 KB to 10 MB. The type is
	// detected from the content, not the name.
	Data []byte
}

// Upload limits documented by Mynth.
const (
	MaxUploadFiles     = 10
	MinUploadFileBytes = 1 << 10
	MaxUploadFileBytes = 10 << 20
)

// uploadType reports whether typ, as http.DetectContentType names it, is
// an accepted image type.
func uploadType(typ string) bool {
	return typ == "image/jpeg" || typ == "image/png" || typ == "image/webp"
}

// Upload sends images to POST /image/upload (multipart field "images") and
// returns their URLs, in order, for use as request inputs. The files are
// checked against the documented limits before anything is sent; a
// violation is an error wrapping ErrInvalid. Uploads are retried like
// reads: repeating one only stores the same image again.
func (c *Client) Upload(ctx context.Context, files []UploadFile) ([]string, error) {
	const name = "POST /image/upload"
	if err := c.needAPIKey(name); err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: %w: no files", name, ErrInvalid)
	}
	if len(files) > MaxUploadFiles {
		return nil, fmt.Errorf("%s: %w: %d files, at most %d allowed", name, ErrInvalid, len(files), MaxUploadFiles)
	}
	types := make([]string, len(files))
	for i, f := range files {
		switch n := len(f.Data); {
		case n < MinUploadFileBytes:
			return nil, fmt.Errorf("%s: %w: file %d (%q) is %d bytes, at least %d required", name, ErrInvalid, i+1, f.Name, n, MinUploadFileBytes)
		case n > MaxUploadFileBytes:
			return nil, fmt.Errorf("%s: %w: file %d (%q) is %d bytes, at most %d allowed", name, ErrInvalid, i+1, f.Name, n, MaxUploadFileBytes)
		}
		types[i] = http.DetectContentType(f.Data)
		if !uploadType(types[i]) {
			return nil, fmt.Errorf("%s: %w: file %d (%q) is %s, not JPEG, PNG or WEBP", name, ErrInvalid, i+1, f.Name, types[i])
		}
	}
	var urls []string
	err := c.do(ctx, &call{
		method: http.MethodPost,
		url:    c.base + "/image/upload",
		name:   name,
		body: func() (io.Reader, string, error) {
			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			for i, f := range files {
				h := make(textproto.MIMEHeader)
				h.Set("Content-Disposition", `form-data; name="images"; filename="`+uploadName(f.Name, i, types[i])+`"`)
				h.Set("Content-Type", types[i])
				part, err := w.CreatePart(h)
				if err != nil {
					return nil, "", err
				}
				if _, err := part.Write(f.Data); err != nil {
					return nil, "", err
				}
			}
			if err := w.Close(); err != nil {
				return nil, "", err
			}
			return &buf, w.FormDataContentType(), nil
		},
		auth:     true,
		accept:   acceptJSON,
		timeout:  c.timeout,
		maxBytes: c.maxBytes,
		handle: func(b []byte) error {
			u, err := DecodeUploaded(b)
			if err != nil {
				return err
			}
			if len(u) != len(files) {
				return fmt.Errorf("sent %d files, got %d URLs", len(files), len(u))
			}
			urls = u
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	return urls, nil
}

// uploadName is a safe file name for part i (no quotes, backslashes or
// control characters): the base name of name, or
// image-<i>.<ext> when there is none.
func uploadName(name string, i int, typ string) string {
	if j := strings.LastIndexAny(name, `/\`); j >= 0 {
		name = name[j+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if name == "" {
		name = fmt.Sprintf("image-%d.%s", i+1, strings.TrimPrefix(typ, "image/"))
	}
	return name
}
