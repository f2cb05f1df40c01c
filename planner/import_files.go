package planner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/mynthform/mynthform/internal/atomicfile"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// What FindSavedFiles found of a declared file.
const (
	// ImportFileRecorded: the file is on disk with the bytes of its image,
	// and is recorded as saved.
	ImportFileRecorded = "recorded"
	// ImportFileAbsent: no file is there; apply saves it.
	ImportFileAbsent = "absent"
	// ImportFileDiffers: a file is there with other bytes than its image;
	// apply saves the image over it.
	ImportFileDiffers = "differs"
	// ImportFileNoImage: the task has no succeeded image for the file.
	ImportFileNoImage = "no_image"
	// ImportFileUnchecked: the file could not be compared (a path that
	// leads outside the spec directory, a download that failed); it is
	// not recorded, and plan reports it as not saved.
	ImportFileUnchecked = "unchecked"
)

// ImportedFile is what FindSavedFiles found of one declared file.
type ImportedFile struct {
	Path string
	// State is one of the ImportFile* constants.
	State string
	// Message says why, for ImportFileDiffers and ImportFileUnchecked.
	Message string
}

// FindSavedFiles looks, for each path of files (the task's declared
// files, relative to dir), for a file already on disk that holds image i
// of task: it downloads the image and compares the bytes (sha256 and
// size). The files that match are returned as saved files for the state,
// as apply would have recorded them, so that an imported task whose images
// are already in the repository plans clean. Nothing is written. Each
// download is capped at maxBytes (DefaultMaxImageBytes when 0).
func FindSavedFiles(ctx context.Context, api API, dir string, files []string, task *mynth.Task, maxBytes int64) ([]state.SavedFile, []ImportedFile) {
	if len(files) == 0 {
		return nil, nil
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxImageBytes
	}
	var images []mynth.Image
	if task != nil && task.Status == mynth.StatusCompleted && task.Result != nil {
		images = task.Result.Images
	}
	var saved []state.SavedFile
	out := make([]ImportedFile, 0, len(files))
	root, rootErr := atomicfile.OpenRoot(dir)
	if rootErr == nil {
		defer root.Close()
	}
	for i, rel := range files {
		f := ImportedFile{Path: rel}
		switch {
		case i >= len(images) || images[i].Status != mynth.ImageSucceeded || images[i].URL == "":
			f.State = ImportFileNoImage
		case rootErr != nil:
			f.State, f.Message = ImportFileUnchecked, rootErr.Error()
		default:
			sf, found, msg := findSavedFile(ctx, api, root, rel, images[i], maxBytes)
			f.State, f.Message = found, msg
			if sf != nil {
				saved = append(saved, *sf)
			}
		}
		out = append(out, f)
	}
	return saved, out
}

// findSavedFile compares the file at rel with im.
func findSavedFile(ctx context.Context, api API, root *atomicfile.Root, rel string, im mynth.Image, maxBytes int64) (*state.SavedFile, string, string) {
	if problem := spec.ImagePathProblem(rel); problem != "" {
		return nil, ImportFileUnchecked, fmt.Sprintf("the file path %s %s", rel, problem)
	}
	resolved, err := root.ResolveDir(rel)
	var oe *atomicfile.OutsideError
	switch {
	case errors.As(err, &oe):
		return nil, ImportFileUnchecked, fmt.Sprintf("%s leads outside the spec directory through the symlink %s", rel, filepath.ToSlash(oe.Link))
	case errors.Is(err, fs.ErrNotExist):
		return nil, ImportFileAbsent, ""
	case err != nil:
		return nil, ImportFileUnchecked, fmt.Sprintf("%s: %v", rel, err)
	}
	// applyHashFile refuses anything but a regular file: a symlink in
	// the last place is not followed.
	onDisk, size, err := applyHashFile(filepath.Join(root.Dir(), resolved))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, ImportFileAbsent, ""
	case err != nil:
		return nil, ImportFileUnchecked, err.Error()
	}
	if api == nil {
		return nil, ImportFileUnchecked, "no Mynth API is configured to download the image"
	}
	h := sha256.New()
	n, err := api.Download(ctx, im.URL, h, maxBytes)
	if err != nil {
		return nil, ImportFileUnchecked, fmt.Sprintf("downloading image %s to compare it with %s: %v", im.ID, rel, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if n != size || sum != onDisk {
		return nil, ImportFileDiffers, fmt.Sprintf("%s holds other bytes than image %s (sha256 %s, not %s)", rel, im.ID, onDisk, sum)
	}
	return &state.SavedFile{Path: rel, ImageID: im.ID, URL: im.URL, SHA256: sum, Size: size}, ImportFileRecorded, ""
}
