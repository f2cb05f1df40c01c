package mynthtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/mynthform/mynthform/mynth"
)

// imageSize is the pixel size of an image the emulator serves.
type imageSize struct{ w, h int }

// indexImages records the images of t's result that the emulator serves:
// those whose URL is relative ("/images/<id>.png") or whose path is
// /images/<id>.png on any host. The caller holds e.mu.
func (e *Emulator) indexImages(t *task) {
	if len(t.result) == 0 {
		return
	}
	var r struct {
		Images []mynth.Image `json:"images"`
	}
	if json.Unmarshal(t.result, &r) != nil {
		return
	}
	for _, im := range r.Images {
		if im.Status != mynth.ImageSucceeded || im.URL == "" {
			continue
		}
		i := strings.LastIndex(im.URL, "/images/")
		if i < 0 || !strings.HasSuffix(im.URL, ".png") {
			continue
		}
		id := strings.TrimSuffix(im.URL[i+len("/images/"):], ".png")
		if id == "" || strings.Contains(id, "/") {
			continue
		}
		sz := imageSize{1024, 1024}
		if w, h, ok := parseWxH(im.Size); ok {
			sz = imageSize{w, h}
		}
		e.images[id] = sz
	}
}

// serveImage serves GET /images/<id>.png and uploaded files, without
// authentication.
func (e *Emulator) serveImage(id string) *response {
	if name, ok := strings.CutPrefix(id, "upload:"); ok {
		e.mu.Lock()
		up, ok := e.uploads[name]
		e.mu.Unlock()
		if !ok {
			return notFound("no uploaded file " + name)
		}
		return &response{status: http.StatusOK, header: http.Header{"Content-Type": {up.contentType}}, body: up.data}
	}
	e.mu.Lock()
	sz, ok := e.images[id]
	e.mu.Unlock()
	if !ok {
		return notFound("no image " + id)
	}
	b, err := e.pngs.get(id, sz)
	if err != nil {
		return errorResponse(http.StatusInternalServerError, "internal_error", "rendering the image: "+err.Error(), "")
	}
	return &response{status: http.StatusOK, header: http.Header{
		"Content-Type":  {"image/png"},
		"Cache-Control": {"public, max-age=31536000, immutable"},
	}, body: b}
}

// pngCache keeps recently rendered images: the same id always renders the
// same bytes, so a cached copy is as good as a fresh one.
type pngCache struct {
	mu    sync.Mutex
	max   int
	items map[string][]byte
	order []string
}

func (c *pngCache) init(max int) {
	c.max = max
	c.items = map[string][]byte{}
}

func (c *pngCache) get(id string, sz imageSize) ([]byte, error) {
	key := fmt.Sprintf("%s@%dx%d", id, sz.w, sz.h)
	c.mu.Lock()
	b, ok := c.items[key]
	c.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := RenderPNG(id, sz.w, sz.h)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[key]; !ok {
		if len(c.order) >= c.max {
			delete(c.items, c.order[0])
			c.order = c.order[1:]
		}
		c.items[key] = b
		c.order = append(c.order, key)
	}
	return b, nil
}

// RenderPNG draws the emulator's picture for image id at w×h pixels: a grid
// of flat rectangles (3 to 7 rows by 2 to 8 columns) in colours derived
// from a hash of the id, so that different
// images look different and the same id always gives the same bytes. It
// uses an 8-colour palette and large flat areas, so that even 1536×1024
// encodes in a few milliseconds.
func RenderPNG(id string, w, h int) ([]byte, error) {
	if w < 1 || h < 1 || w > maxSide || h > maxSide {
		return nil, fmt.Errorf("image size %dx%d is out of range", w, h)
	}
	sum := sha256.Sum256([]byte(id))
	// Eight colours, padded to 17 entries so that the encoder writes 8-bit
	// indexes: it copies those rows as they are, where smaller depths are
	// packed pixel by pixel (several times slower).
	const colours = 8
	pal := make(color.Palette, 17)
	for i := range pal {
		j := i % colours
		pal[i] = color.RGBA{sum[3*j], sum[3*j+1], sum[3*j+2], 255}
	}
	img := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	bands := 3 + int(sum[24]%5)   // horizontal bands
	stripes := 2 + int(sum[25]%7) // vertical stripes within a band
	row := make([]uint8, w)
	for y := 0; y < h; y++ {
		band := y * bands / h
		if y == 0 || (y-1)*bands/h != band {
			for x := range row {
				stripe := x * stripes / w
				row[x] = uint8((band + stripe*int(sum[26]%3+1)) % colours)
			}
		}
		copy(img.Pix[y*img.Stride:], row)
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encoding image %s: %w", id, err)
	}
	return buf.Bytes(), nil
}

// uploadedImg is a file received by POST /image/upload, kept in memory
// and in the store.
type uploadedImg struct {
	contentType string
	data        []byte
}

// Upload limits, as documented.
const (
	maxUploadFiles = 10
	minUploadBytes = 1 << 10
	maxUploadBytes = 10 << 20
)

// uploadExt maps the accepted content types to file extensions.
var uploadExt = map[string]string{"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}

// upload serves POST /image/upload: multipart "images" files. Every file
// is checked (size, type by content, a body that is really such an
// image) before any is kept: a refused request stores nothing. A refusal
// names the file by its index and, when the part had one, its file name.
func (e *Emulator) upload(r *http.Request) *response {
	e.mu.Lock()
	_, bad := e.authenticate(r, false)
	e.mu.Unlock()
	if bad != nil {
		return bad
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return errorResponse(http.StatusBadRequest, "validation_error", "the body must be multipart/form-data with files in the field \"images\"", "images")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return errorResponse(http.StatusBadRequest, "validation_error", "reading the multipart body: "+err.Error(), "images")
	}
	var files []uploadedImg
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return errorResponse(http.StatusBadRequest, "validation_error", "reading the multipart body: "+err.Error(), "images")
		}
		if part.FormName() != "images" {
			_ = part.Close()
			continue
		}
		field := fmt.Sprintf("images[%d]", len(files))
		what := field
		if name := part.FileName(); name != "" {
			what += fmt.Sprintf(" (%q)", name)
		}
		if len(files) == maxUploadFiles {
			return errorResponse(http.StatusBadRequest, "validation_error", fmt.Sprintf("at most %d files per upload", maxUploadFiles), "images")
		}
		data, err := io.ReadAll(io.LimitReader(part, maxUploadBytes+1))
		_ = part.Close()
		if err != nil {
			return errorResponse(http.StatusBadRequest, "validation_error", "reading "+what+": "+err.Error(), field)
		}
		if len(data) < minUploadBytes || len(data) > maxUploadBytes {
			size := fmt.Sprintf("%d bytes", len(data))
			if len(data) > maxUploadBytes {
				size = "over 10 MB"
			}
			return errorResponse(http.StatusBadRequest, "validation_error",
				fmt.Sprintf("%s is %s; files must be 1 KB to 10 MB", what, size), field)
		}
		ct, problem := checkUpload(data)
		if problem != "" {
			return errorResponse(http.StatusBadRequest, "validation_error", what+" "+problem, field)
		}
		files = append(files, uploadedImg{contentType: ct, data: data})
	}
	if len(files) == 0 {
		return errorResponse(http.StatusBadRequest, "validation_error", "no files in the field \"images\"", "images")
	}
	urls := make([]string, 0, len(files))
	base := e.baseURL(r)
	e.mu.Lock()
	for _, f := range files {
		name := "upl_" + newULID(e.now()) + "." + uploadExt[f.contentType]
		e.uploads[name] = f
		e.uploadOrder = append(e.uploadOrder, name)
		urls = append(urls, base+"/uploads/"+name)
	}
	e.stats.Uploaded += len(files)
	e.dirty = true
	e.mu.Unlock()
	if err := e.persist(); err != nil {
		return errorResponse(http.StatusInternalServerError, "internal_error", "the emulator could not write its store: "+err.Error(), "")
	}
	return jsonResponse(http.StatusOK, map[string][]string{"urls": urls})
}
