package mynth

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Download copies the image at rawURL to w and returns the number of
// bytes written. It never sends the Authorization header (image URLs are
// public and may be on another host). A body larger than maxBytes (<= 0:
// DefaultMaxDownloadBytes) is an error wrapping ErrTooLarge. Failures are
// retried like reads, and so is a body that is not a whole image: it must
// sniff as an image (http.DetectContentType) and, for PNG, JPEG, GIF and
// WEBP, end where the format says it ends, which catches a body cut short
// without a Content-Length. The image is buffered in memory and written to
// w only once it has arrived whole, so w receives all of it or nothing.
// Errors name the URL without its query string (signed CDN URLs carry
// credentials there).
func (c *Client) Download(ctx context.Context, rawURL string, w io.Writer, maxBytes int64) (int64, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxDownloadBytes
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0, fmt.Errorf("download: %w: not a URL", ErrInvalid)
	}
	shown := displayURL(u)
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return 0, fmt.Errorf("download %s: %w: not an http or https URL", shown, ErrInvalid)
	}
	var image []byte
	err = c.do(ctx, &call{
		method:   http.MethodGet,
		url:      u.String(),
		path:     shown,
		auth:     false,
		timeout:  c.dlTime,
		maxBytes: maxBytes,
		handle: func(_ string, b []byte) (any, error) {
			if err := checkImage(b); err != nil {
				return nil, err
			}
			image = b
			return nil, nil
		},
	})
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(w, bytes.NewReader(image))
	if err != nil {
		return n, fmt.Errorf("download %s: writing: %w", shown, err)
	}
	return n, nil
}

// displayURL is u without user info, query or fragment.
func displayURL(u *url.URL) string {
	v := *u
	v.User, v.RawQuery, v.ForceQuery, v.Fragment, v.RawFragment = nil, "", false, "", ""
	return v.String()
}

// checkImage refuses a body that is not an image or is visibly cut short.
func checkImage(b []byte) error {
	typ := http.DetectContentType(b)
	if !strings.HasPrefix(typ, "image/") {
		return fmt.Errorf("the body is %s, not an image", typ)
	}
	cut := errors.New("the " + strings.TrimPrefix(typ, "image/") + " image is cut short")
	switch typ {
	case "image/png":
		if !bytes.HasSuffix(b, []byte(pngEnd)) {
			return cut
		}
	case "image/jpeg":
		end := bytes.TrimRight(b, "\x00\r\n\t ")
		if !bytes.HasSuffix(end, []byte{0xFF, 0xD9}) {
			return cut
		}
	case "image/gif":
		if !bytes.HasSuffix(bytes.TrimRight(b, "\x00"), []byte{0x3B}) {
			return cut
		}
	case "image/webp":
		if len(b) < 12 || uint64(len(b)) < uint64(binary.LittleEndian.Uint32(b[4:8]))+8 {
			return cut
		}
	}
	return nil
}

// pngEnd is the IEND chunk that ends every PNG file.
const pngEnd = "\x00\x00\x00\x00IEND\xAE\x42\x60\x82"
