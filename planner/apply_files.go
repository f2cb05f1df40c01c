package planner

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // register GIF for verifying downloads
	_ "image/jpeg" // register JPEG for verifying downloads
	_ "image/png"  // register PNG for verifying downloads
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/state"
)

// syncFiles makes the files declared for addr hold the images of its
// recorded, completed task: it downloads images not saved yet, restores
// missing or modified files from their recorded URL (verifying the recorded
// sha256), and records every saved file. Results go into tr.Files.
func (a *applier) syncFiles(ctx context.Context, addr string, tr *TaskResult) {
	paths := a.specFiles(addr)
	if len(paths) == 0 {
		return
	}
	a.mu.Lock()
	rec := a.st.Tasks[addr]
	if rec == nil || rec.Status != mynth.StatusCompleted {
		a.mu.Unlock()
		return
	}
	id := rec.ID
	oldFiles := append([]state.SavedFile(nil), rec.Files...)
	res := applyParseResult(rec.Result)
	a.mu.Unlock()

	var images []mynth.Image
	if res != nil {
		images = res.Images
	}
	var saved []state.SavedFile
	var results []FileResult
	for i, p := range paths {
		if ctx.Err() != nil {
			break
		}
		fr := FileResult{Path: p}
		a.fileSem <- struct{}{}
		sf, fstate, msg := a.syncFile(ctx, i, p, images, oldFiles)
		<-a.fileSem
		fr.State, fr.Message = fstate, msg
		if sf != nil {
			saved = append(saved, *sf)
		}
		if fstate != FileResultOK || msg != "" {
			results = append(results, fr)
		}
	}
	if ctx.Err() != nil {
		// Keep what was recorded for the files not reached.
		for _, old := range oldFiles {
			if !applyHasSavedPath(saved, old.Path) && applyContainsString(paths, old.Path) {
				saved = append(saved, old)
			}
		}
	}

	a.mu.Lock()
	tr.Files = append(tr.Files, results...)
	for _, fr := range results {
		switch fr.State {
		case FileResultSaved:
			a.res.FilesSaved++
		case FileResultRestored:
			a.res.FilesSaved++
			a.res.FilesRestored++
		}
	}
	if cur := a.st.Tasks[addr]; cur != nil && cur.ID == id &&
		!reflect.DeepEqual(cur.Files, saved) && !(len(cur.Files) == 0 && len(saved) == 0) {
		upd := *cur
		upd.Files = saved
		a.st.Tasks[addr] = &upd
		a.dirty = true
	}
	a.mu.Unlock()
}

// syncFile handles the file at rel for image i. It returns the file's
// record (nil when none), its state and a message for failures.
func (a *applier) syncFile(ctx context.Context, i int, rel string, images []mynth.Image, old []state.SavedFile) (*state.SavedFile, string, string) {
	if i >= len(images) {
		return nil, FileResultFailed, fmt.Sprintf("Not saved: the task has no image %d for %s.", i+1, rel)
	}
	im := images[i]
	if im.Status != mynth.ImageSucceeded {
		msg := im.ErrorMessage()
		if msg == "" {
			msg = "no reason given"
		}
		return nil, FileResultFailed, fmt.Sprintf("Not saved: image %d failed (%s), so %s stays absent.", i+1, msg, rel)
	}
	target, err := applySafeTarget(a.root, rel, false)
	if err != nil {
		return nil, FileResultFailed, fmt.Sprintf("Not saved: %v.", err)
	}
	// The record keeps the path as the spec wrote it: that is how plan
	// finds it.
	relSlash := rel
	var prev *state.SavedFile
	for k := range old {
		if old[k].Path == relSlash && old[k].ImageID == im.ID && im.ID != "" {
			prev = &old[k]
		}
	}
	if prev != nil {
		sum, size, err := applyHashFile(target)
		if err == nil && sum == prev.SHA256 && size == prev.Size {
			p := *prev
			return &p, FileResultOK, ""
		}
		// Missing or modified: restore from the recorded URL.
		url := prev.URL
		if url == "" {
			url = im.URL
		}
		sf, err := a.download(ctx, url, target, relSlash, im.ID, prev.SHA256)
		if err != nil && im.URL != "" && im.URL != url && ctx.Err() == nil {
			// The recorded URL may have rotated (a CDN link, an emulator
			// on another port): the image's current URL must serve the
			// same bytes.
			sf, err = a.download(ctx, im.URL, target, relSlash, im.ID, prev.SHA256)
		}
		if err != nil {
			return prev, FileResultFailed, fmt.Sprintf("Not restored: %v.", err)
		}
		return sf, FileResultRestored, ""
	}
	if im.URL == "" {
		return nil, FileResultFailed, fmt.Sprintf("Not saved: image %d has no URL.", i+1)
	}
	sf, err := a.download(ctx, im.URL, target, relSlash, im.ID, "")
	if err != nil {
		return nil, FileResultFailed, fmt.Sprintf("Not saved: %v.", err)
	}
	return sf, FileResultSaved, ""
}

// download fetches url into target through a temporary file in the same
// directory: size cap, fsync, verification, rename. When wantSHA is set the
// bytes must have that sha256.
func (a *applier) download(ctx context.Context, url, target, rel, imageID, wantSHA string) (*state.SavedFile, error) {
	if a.opts.API == nil {
		return nil, errors.New("no Mynth API is configured to download images")
	}
	dir, base := filepath.Split(target)
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", rel, err)
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	h := sha256.New()
	if err := a.acquire(ctx); err != nil {
		return nil, err
	}
	n, err := a.opts.API.Download(ctx, url, io.MultiWriter(tmp, h), a.opts.MaxImageBytes)
	a.release()
	if err != nil {
		return nil, fmt.Errorf("downloading image %s for %s: %w", imageID, rel, err)
	}
	if n == 0 {
		return nil, fmt.Errorf("downloading image %s for %s: the image is empty", imageID, rel)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if wantSHA != "" && sum != wantSHA {
		return nil, fmt.Errorf("the image at the recorded URL for %s now has sha256 %s, not the recorded %s; the file was left as it is", rel, sum, wantSHA)
	}
	if err := applyVerifyImage(tmp); err != nil {
		return nil, fmt.Errorf("image %s for %s: %w", imageID, rel, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return nil, fmt.Errorf("writing %s: %w", rel, err)
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("writing %s: %w", rel, err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("writing %s: %w", rel, err)
	}
	// Refuse a final symlink that appeared meanwhile; rename replaces a
	// link rather than following it, but be explicit.
	if fi, err := os.Lstat(target); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file; refusing to replace it", rel)
	}
	if err := os.Rename(tmpName, target); err != nil {
		return nil, fmt.Errorf("writing %s: %w", rel, err)
	}
	ok = true
	applySyncDir(dir)
	return &state.SavedFile{Path: rel, ImageID: imageID, URL: url, SHA256: sum, Size: n}, nil
}

// applyVerifyImage checks that f holds an image: a decodable PNG, JPEG or GIF
// header, or a WebP container.
func applyVerifyImage(f *os.File) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	head := make([]byte, 12)
	n, _ := io.ReadFull(f, head)
	if n == 12 && bytes.Equal(head[:4], []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WEBP")) {
		return nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, _, err := image.DecodeConfig(f); err != nil {
		return fmt.Errorf("the downloaded bytes are not an image (%v)", err)
	}
	return nil
}

// applySafeTarget resolves rel inside root (a real, symlink-free directory) for
// writing: absolute paths, paths that climb out with "..", and directories
// that are symlinks leading outside are refused, as is a final symlink.
// Missing directories are created, unless checkOnly is set (then nothing is
// written and the path returned is not resolved).
func applySafeTarget(root, rel string, checkOnly bool) (string, error) {
	if root == "" {
		return "", fmt.Errorf("%s: no spec directory to save into", rel)
	}
	if rel == "" {
		return "", errors.New("an empty file path")
	}
	native := filepath.FromSlash(rel)
	if filepath.IsAbs(native) || strings.HasPrefix(rel, "/") || filepath.VolumeName(native) != "" {
		return "", fmt.Errorf("%s is an absolute path; files must lie inside the spec directory", rel)
	}
	clean := filepath.Clean(native)
	if clean == "." || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s leads outside the spec directory", rel)
	}
	for _, part := range strings.Split(filepath.ToSlash(native), "/") {
		if part == ".." {
			return "", fmt.Errorf("%s uses \"..\"; files must lie inside the spec directory", rel)
		}
	}
	target := filepath.Join(root, clean)
	parent := filepath.Dir(target)

	// The deepest existing ancestor must resolve inside root before any
	// directory is created under it.
	existing := parent
	for {
		if _, err := os.Lstat(existing); err == nil {
			break
		}
		up := filepath.Dir(existing)
		if up == existing {
			break
		}
		existing = up
	}
	real, err := filepath.EvalSymlinks(existing)
	if err != nil {
		return "", fmt.Errorf("%s: %w", rel, err)
	}
	if !applyWithin(root, real) {
		return "", fmt.Errorf("%s leads outside the spec directory through a symlink", rel)
	}
	if existing == parent {
		if fi, err := os.Lstat(filepath.Join(real, filepath.Base(target))); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			return "", fmt.Errorf("%s is a symlink; refusing to write through it", rel)
		}
	}
	if checkOnly {
		return target, nil
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("%s: %w", rel, err)
	}
	realParent, err := filepath.EvalSymlinks(parent)
	if err != nil {
		return "", fmt.Errorf("%s: %w", rel, err)
	}
	if !applyWithin(root, realParent) {
		return "", fmt.Errorf("%s leads outside the spec directory through a symlink", rel)
	}
	final := filepath.Join(realParent, filepath.Base(target))
	if fi, err := os.Lstat(final); err == nil {
		if fi.Mode()&os.ModeSymlink != 0 {
			return "", fmt.Errorf("%s is a symlink; refusing to write through it", rel)
		}
		if !fi.Mode().IsRegular() {
			return "", fmt.Errorf("%s exists and is not a regular file", rel)
		}
	}
	return final, nil
}

// applyWithin reports whether p is root or lies under it.
func applyWithin(root, p string) bool {
	return p == root || strings.HasPrefix(p, strings.TrimSuffix(root, string(filepath.Separator))+string(filepath.Separator))
}

// applyRealDir returns dir as an absolute path with symlinks resolved.
func applyRealDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// applyHashFile returns the sha256 and size of the regular file at path; a
// symlink or anything else is an error.
func applyHashFile(path string) (string, int64, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return "", 0, err
	}
	if !fi.Mode().IsRegular() {
		return "", 0, fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// applySyncDir flushes a directory entry to disk; errors are ignored (some
// filesystems do not support it).
func applySyncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

func applyHasSavedPath(files []state.SavedFile, p string) bool {
	for _, f := range files {
		if f.Path == p {
			return true
		}
	}
	return false
}

func applyContainsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
