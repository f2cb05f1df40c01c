package mynth

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // registers JPEG for image.DecodeConfig
	_ "image/png"  // registers PNG for image.DecodeConfig
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
)

// UploadFile is one image to upload.
type UploadFile struct {
	// Name is the file name sent to Mynth (its base name is used) and the
	// name errors give the file.
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

// CheckUploadImage reports whether data is a file POST /image/upload
// takes: 1 KB to 10 MB, and by its content (never its name) a JPEG, PNG or
// WEBP whose header is sound (a PNG or JPEG header decodes to a size; a
// WEBP has a RIFF container of the file's length whose first chunk is
// VP8, VP8L or VP8X). It returns the content type ("image/png"), or an
// error wrapping ErrInvalid that says what is wrong. Mynth may still
// refuse a file whose pixels are damaged past the header.
func CheckUploadImage(data []byte) (string, error) {
	switch n := len(data); {
	case n < MinUploadFileBytes:
		return "", fmt.Errorf("%w: %d bytes, at least %d (1 KB) required", ErrInvalid, n, MinUploadFileBytes)
	case n > MaxUploadFileBytes:
		return "", fmt.Errorf("%w: %d bytes, at most %d (10 MB) allowed", ErrInvalid, n, MaxUploadFileBytes)
	}
	typ := http.DetectContentType(data)
	switch typ {
	case "image/png", "image/jpeg":
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return "", fmt.Errorf("%w: it starts like %s but is not one: %v", ErrInvalid, strings.ToUpper(strings.TrimPrefix(typ, "image/")), err)
		}
		if cfg.Width < 1 || cfg.Height < 1 {
			return "", fmt.Errorf("%w: the image is %dx%d pixels", ErrInvalid, cfg.Width, cfg.Height)
		}
	case "image/webp":
		if why := webpHeaderProblem(data); why != "" {
			return "", fmt.Errorf("%w: it starts like WEBP but is not one: %s", ErrInvalid, why)
		}
	default:
		return "", fmt.Errorf("%w: it is %s, not JPEG, PNG or WEBP", ErrInvalid, typ)
	}
	return typ, nil
}

// webpHeaderProblem says what is wrong with the RIFF header of a WEBP
// file, "" when nothing is.
func webpHeaderProblem(b []byte) string {
	const header = 20 // "RIFF", size, "WEBP", first chunk's FourCC and size
	if len(b) < header {
		return "the file is shorter than a RIFF header"
	}
	declared := uint64(binary.LittleEndian.Uint32(b[4:])) + 8
	if have := uint64(len(b)); declared != have && declared+1 != have {
		return "its RIFF header gives " + strconv.FormatUint(declared, 10) + " bytes, not the file's " + strconv.FormatUint(have, 10)
	}
	switch string(b[12:16]) {
	case "VP8 ", "VP8L", "VP8X":
	default:
		return "its first chunk is " + strconv.Quote(string(b[12:16])) + ", not an image"
	}
	if uint64(binary.LittleEndian.Uint32(b[16:])) > uint64(len(b)-header) {
		return "its first chunk runs past the end of the file"
	}
	return ""
}

// Upload sends images to POST /image/upload (multipart field "images") and
// returns their URLs, in order, for use as request inputs.
//
// Every file is checked with CheckUploadImage, and their number against
// the limit of 10, before anything is sent; a violation is an error
// wrapping ErrInvalid that names the file. When Mynth refuses one file
// (400 with field "images[N]") the *APIError is wrapped with that file's
// name. Uploads are retried like reads: an upload whose answer is lost
// only leaves an unused copy of the image at Mynth, which costs nothing.
// A redirect is never followed (a body is never sent on to another
// server) and is an error.
func (c *Client) Upload(ctx context.Context, files []UploadFile) ([]string, error) {
	const path = "/image/upload"
	const name = http.MethodPost + " " + path
	if err := c.needAPIKey(name); err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: %w: no files", name, ErrInvalid)
	}
	if len(files) > MaxUploadFiles {
		return nil, fmt.Errorf("%s: %w: %d files, at most %d per request", name, ErrInvalid, len(files), MaxUploadFiles)
	}
	types := make([]string, len(files))
	for i, f := range files {
		typ, err := CheckUploadImage(f.Data)
		if err != nil {
			return nil, redactErr(fmt.Errorf("%s: file %d (%q): %w", name, i+1, f.Name, err), c.token)
		}
		types[i] = typ
	}
	var urls []string
	err := c.do(ctx, &call{
		method:   http.MethodPost,
		url:      c.base + path,
		path:     path,
		body:     func() (io.Reader, string, error) { return multipartImages(files, types) },
		auth:     true,
		accept:   acceptJSON,
		timeout:  c.timeout,
		maxBytes: c.maxBytes,
		handle: func(_ string, b []byte) (any, error) {
			u, err := DecodeUploaded(b)
			if err != nil {
				return nil, err
			}
			if len(u) != len(files) {
				return nil, fmt.Errorf("sent %d files, got %d URLs", len(files), len(u))
			}
			for i, s := range u {
				if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
					return nil, fmt.Errorf("URL %d is not http or https", i+1)
				}
			}
			urls = u
			return nil, nil
		},
	})
	if err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			if i, ok := uploadFieldIndex(apiErr.Field); ok && i < len(files) {
				return nil, redactErr(fmt.Errorf("%w (the file refused: %q)", err, files[i].Name), c.token)
			}
			if apiErr.StatusCode >= 300 && apiErr.StatusCode < 400 {
				return nil, fmt.Errorf("%w: a redirect, which is never followed for an upload", err)
			}
		}
		return nil, err
	}
	return urls, nil
}

// uploadFieldIndex reads N from the field "images[N]" of a validation
// error.
func uploadFieldIndex(field string) (int, bool) {
	rest, ok := strings.CutPrefix(field, "images[")
	if !ok {
		return 0, false
	}
	digits, ok := strings.CutSuffix(rest, "]")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(digits)
	return i, err == nil && i >= 0
}

// multipartImages is the body of an upload: one part per file in the field
// "images", with a safe file name and the detected type.
func multipartImages(files []UploadFile, types []string) (io.Reader, string, error) {
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
