package mynth

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Download copies the image at rawURL to w and returns the number of
// bytes written. It never sends the Authorization header (image URLs are
// public and may be on another host). A body larger than maxBytes (<= 0:
// DefaultMaxDownloadBytes) is an error wrapping ErrTooLarge. Failures are
// retried like reads; the image is buffered in memory and written to w
// only once it has arrived whole, so w receives all of it or nothing.
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
		name:     "GET " + shown,
		auth:     false,
		timeout:  c.dlTime,
		maxBytes: maxBytes,
		handle: func(b []byte) error {
			image = b
			return nil
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
