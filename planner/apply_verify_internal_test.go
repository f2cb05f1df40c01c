package planner

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
)

// jpegWithMetadata is a JPEG whose frame header comes after size bytes of
// an application segment (large EXIF or ICC data do that).
func jpegWithMetadata(t *testing.T, size int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	var out []byte
	out = append(out, raw[:2]...) // SOI
	for size > 0 {
		n := min(size, 65000)
		out = append(out, 0xFF, 0xE1, byte((n+2)>>8), byte(n+2))
		out = append(out, bytes.Repeat([]byte{'x'}, n)...)
		size -= n
	}
	return append(out, raw[2:]...)
}

// TestVerifyDownloadedMatchesTheFile: verifying a download from the bytes
// kept in memory decides as reading the file back does, for images whose
// header lies within those bytes or past them, and for bytes that are not
// an image.
func TestVerifyDownloadedMatchesTheFile(t *testing.T) {
	png := pngBytes("verify")
	notImage := bytes.Repeat([]byte("not an image "), 1000)
	cases := map[string][]byte{
		"png":                 png,
		"truncated png":       png[:20],
		"jpeg":                jpegWithMetadata(t, 0),
		"jpeg, 10 KB of EXIF": jpegWithMetadata(t, 10_000),
		"webp":                []byte("RIFF\x10\x00\x00\x00WEBPVP8 "),
		"text":                notImage,
		"text past the head":  append(bytes.Repeat([]byte{0}, imageHeadSize), png...),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "img")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			want := applyVerifyImage(f)
			head := &imageHead{}
			for rest := data; len(rest) > 0; rest = rest[min(1000, len(rest)):] {
				_, _ = head.Write(rest[:min(1000, len(rest))])
			}
			got := verifyDownloaded(head.b, int64(len(data)), f)
			if (got == nil) != (want == nil) {
				t.Errorf("from memory: %v; reading the file back: %v", got, want)
			}
			if len(head.b) != min(len(data), imageHeadSize) || !bytes.Equal(head.b, data[:len(head.b)]) {
				t.Errorf("the head kept %d bytes, not the first %d", len(head.b), min(len(data), imageHeadSize))
			}
		})
	}
}
