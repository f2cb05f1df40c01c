package mynthtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	_ "image/jpeg" // registers JPEG for image.Decode
	_ "image/png"  // registers PNG for image.Decode
	"net/http"
)

// maxUploadPixels bounds the pixels of an uploaded PNG or JPEG that the
// emulator decodes: a small file may declare a huge image.
const maxUploadPixels = 64 << 20

// checkUpload says whether data is an image Mynth takes as an upload: its
// type by content (JPEG, PNG or WEBP, whatever the file is called) and a
// body that is really such an image. A PNG or JPEG is decoded whole; a
// WEBP has its RIFF container and first chunk checked (the standard
// library has no WEBP decoder). It returns the content type, or what is
// wrong ("is text/plain; charset=utf-8", "is not a valid PNG: ...").
func checkUpload(data []byte) (contentType, problem string) {
	ct := http.DetectContentType(data)
	if _, ok := uploadExt[ct]; !ok {
		return "", fmt.Sprintf("is %s; files must be JPEG, PNG or WEBP", ct)
	}
	if ct == "image/webp" {
		if p := checkWebP(data); p != "" {
			return "", "is not a valid WEBP: " + p
		}
		return ct, ""
	}
	kind := "PNG"
	if ct == "image/jpeg" {
		kind = "JPEG"
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Sprintf("is not a valid %s: %v", kind, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || int64(cfg.Width)*int64(cfg.Height) > maxUploadPixels {
		return "", fmt.Sprintf("is a %s of %dx%d pixels, which Mynth does not take", kind, cfg.Width, cfg.Height)
	}
	if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
		return "", fmt.Sprintf("is not a valid %s: %v", kind, err)
	}
	return ct, ""
}

// checkWebP checks the RIFF container of a WEBP file and its first chunk
// (VP8, VP8L or VP8X), and returns what is wrong, "" when nothing is.
func checkWebP(data []byte) string {
	if len(data) < 20 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return "no RIFF/WEBP header"
	}
	riff := int64(binary.LittleEndian.Uint32(data[4:8]))
	if riff+8 != int64(len(data)) && riff+9 != int64(len(data)) {
		return fmt.Sprintf("the RIFF header gives %d bytes, the file has %d", riff+8, len(data))
	}
	fourCC := string(data[12:16])
	size := int64(binary.LittleEndian.Uint32(data[16:20]))
	payload := data[20:]
	if size > int64(len(payload)) {
		return fmt.Sprintf("chunk %q claims %d bytes, %d remain", fourCC, size, len(payload))
	}
	payload = payload[:size]
	switch fourCC {
	case "VP8 ":
		// A key frame: 3 bytes of frame tag, the start code 9d 01 2a, then
		// 14-bit width and height.
		if len(payload) < 10 || payload[0]&1 != 0 || !bytes.Equal(payload[3:6], []byte{0x9d, 0x01, 0x2a}) {
			return "the VP8 chunk does not start a key frame"
		}
		if binary.LittleEndian.Uint16(payload[6:8])&0x3fff == 0 || binary.LittleEndian.Uint16(payload[8:10])&0x3fff == 0 {
			return "the VP8 frame has no width or height"
		}
	case "VP8L":
		if len(payload) < 5 || payload[0] != 0x2f {
			return "the VP8L chunk lacks its signature"
		}
		if payload[4]>>5 != 0 {
			return "the VP8L chunk has an unknown version"
		}
	case "VP8X":
		if len(payload) < 10 {
			return "the VP8X chunk is too short"
		}
	default:
		return fmt.Sprintf("the first chunk is %q, not VP8, VP8L or VP8X", fourCC)
	}
	return ""
}
