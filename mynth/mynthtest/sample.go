package mynthtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
)

// SampleImage returns a small image that POST /image/upload takes, for
// tests and examples: "png" or "jpeg" (random pixels, which do not
// compress below the 1 KB minimum; the same seed gives the same bytes)
// or "webp" (a valid RIFF container holding a VP8L chunk header and seeded
// filler, which passes the emulator's checks without being a picture).
func SampleImage(format string, seed uint64) ([]byte, error) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	noise := func(w, h int) image.Image {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		for i := range img.Pix {
			img.Pix[i] = uint8(r.IntN(256))
		}
		return img
	}
	var b bytes.Buffer
	switch format {
	case "png":
		if err := png.Encode(&b, noise(24, 24)); err != nil {
			return nil, err
		}
	case "jpeg":
		if err := jpeg.Encode(&b, noise(48, 48), &jpeg.Options{Quality: 90}); err != nil {
			return nil, err
		}
	case "webp":
		const fill = 2048
		// VP8L: signature 0x2f, then 14-bit width-1 and height-1, alpha
		// and a 3-bit version 0.
		chunk := []byte{0x2f}
		chunk = binary.LittleEndian.AppendUint32(chunk, (31)|(31<<14))
		for range fill {
			chunk = append(chunk, byte(r.IntN(256)))
		}
		if len(chunk)%2 == 1 {
			chunk = append(chunk, 0) // RIFF chunks are padded to even sizes
		}
		b.WriteString("RIFF")
		_ = binary.Write(&b, binary.LittleEndian, uint32(4+8+len(chunk)))
		b.WriteString("WEBPVP8L")
		_ = binary.Write(&b, binary.LittleEndian, uint32(len(chunk)))
		b.Write(chunk)
	default:
		return nil, fmt.Errorf("sample image: format %q is not png, jpeg or webp", format)
	}
	return b.Bytes(), nil
}
