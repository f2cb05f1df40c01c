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
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/mynthform/mynthform/internal/atomicfile"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
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
	// Recorded by the next recordSavedFiles, once the directories are
	// synced.
	if a.savedFiles == nil {
		a.savedFiles = map[string]savedFilesRecord{}
	}
	a.savedFiles[addr] = savedFilesRecord{id: id, files: saved, tr: tr}
	a.mu.Unlock()
}

// savedFilesRecord is what syncFiles saved for one task, not yet in the
// state.
type savedFilesRecord struct {
	id    string // the task the files are of
	files []state.SavedFile
	tr    *TaskResult
}

// recordSavedFiles records in the state the files syncFiles saved, once
// the directories they were renamed into are synced, so that the state
// never names an image a crash could take back: the image's bytes are
// synced before its rename (atomicfile's Commit), and the rename is made
// durable here, before the record that names the file exists anywhere a
// state write can take it from. The images saved between two calls share
// one sync per directory. A directory that cannot be synced leaves its
// files unrecorded, and their results failed.
//
// Taking the directories and the records in one hold of a.mu keeps the
// order: a record taken here was registered after its file's directory
// was noted, so that directory is among those synced now.
func (a *applier) recordSavedFiles() {
	a.mu.Lock()
	dirs, pending := a.unsyncedDirs, a.savedFiles
	a.unsyncedDirs, a.savedFiles = nil, nil
	a.mu.Unlock()
	if len(pending) == 0 && len(dirs) == 0 {
		return
	}
	failed := map[string]error{}
	if len(dirs) > 0 {
		files, err := a.openFiles()
		for dir := range dirs {
			if err == nil {
				err = files.SyncDir(dir)
			}
			if err != nil {
				failed[dir] = err
				err = nil
				continue
			}
			if a.onDirSync != nil {
				a.onDirSync(dir)
			}
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for addr, p := range pending {
		if bad := a.unsyncedFile(p.files, failed); bad != "" {
			a.failUnsynced(p.tr, bad)
			continue
		}
		cur := a.st.Tasks[addr]
		if cur == nil || cur.ID != p.id || reflect.DeepEqual(cur.Files, p.files) || len(cur.Files) == 0 && len(p.files) == 0 {
			continue
		}
		upd := *cur
		upd.Files = p.files
		a.st.Tasks[addr] = &upd
		a.dirty = true
	}
}

// unsyncedFile says why one of files lies in a directory that could not be
// synced, "" when none does.
func (a *applier) unsyncedFile(files []state.SavedFile, failed map[string]error) string {
	if len(failed) == 0 {
		return ""
	}
	root, err := a.openFiles()
	if err != nil {
		return err.Error()
	}
	for _, f := range files {
		resolved, err := root.ResolveDir(f.Path)
		if err != nil {
			continue
		}
		if err := failed[filepath.Dir(resolved)]; err != nil {
			return fmt.Sprintf("syncing the directory of %s failed (%v)", f.Path, err)
		}
	}
	return ""
}

// failUnsynced turns the saved files of tr into failures: their directory
// could not be synced (why), so the state does not record them. a.mu is
// held.
func (a *applier) failUnsynced(tr *TaskResult, why string) {
	for i, fr := range tr.Files {
		if fr.State != FileResultSaved && fr.State != FileResultRestored {
			continue
		}
		a.res.FilesSaved--
		if fr.State == FileResultRestored {
			a.res.FilesRestored--
		}
		tr.Files[i].State = FileResultFailed
		tr.Files[i].Message = fmt.Sprintf("Not recorded: %s; the file may not survive a crash. Run apply again.", why)
	}
}

// syncFile handles the file at rel for image i. It returns the file's
// record (nil when none), its state and a message for failures.
func (a *applier) syncFile(ctx context.Context, i int, rel string, images []mynth.Image, old []state.SavedFile) (*state.SavedFile, string, string) {
	if i >= len(images) {
		return nil, FileResultNotSaved, fmt.Sprintf("Not saved: the task has no image %d for %s.", i+1, rel)
	}
	im := images[i]
	if im.Status != mynth.ImageSucceeded {
		msg := im.ErrorMessage()
		if msg == "" {
			msg = "no reason given"
		}
		return nil, FileResultNotSaved, fmt.Sprintf("Not saved: image %d failed (%s), so %s stays absent.", i+1, msg, rel)
	}
	files, err := a.openFiles()
	if err != nil {
		return nil, FileResultFailed, fmt.Sprintf("Not saved: %v.", err)
	}
	reserved := a.stateFiles(files)
	resolved, err := a.checkImagePath(files, rel, reserved)
	if err != nil {
		return nil, FileResultFailed, fmt.Sprintf("Not saved: %v.", err)
	}
	target := filepath.Join(files.Dir(), resolved)
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
		sf, err := a.download(ctx, files, reserved, url, relSlash, im.ID, prev.SHA256)
		if err != nil && im.URL != "" && im.URL != url && ctx.Err() == nil {
			// The recorded URL may have rotated (a CDN link, an emulator
			// on another port): the image's current URL must serve the
			// same bytes.
			sf, err = a.download(ctx, files, reserved, im.URL, relSlash, im.ID, prev.SHA256)
		}
		if err != nil {
			return prev, FileResultFailed, fmt.Sprintf("Not restored: %v.", err)
		}
		return sf, FileResultRestored, ""
	}
	if im.URL == "" {
		return nil, FileResultFailed, fmt.Sprintf("Not saved: image %d has no URL.", i+1)
	}
	sf, err := a.download(ctx, files, reserved, im.URL, relSlash, im.ID, "")
	if err != nil {
		return nil, FileResultFailed, fmt.Sprintf("Not saved: %v.", err)
	}
	return sf, FileResultSaved, ""
}

// download fetches url into rel through a temporary file in the same
// directory (held open, so that a link put in its place meanwhile cannot
// move the write): size cap, fsync, verification, rename. The target is
// checked again, as it resolves then, when the temporary file is made.
// When wantSHA is set the bytes must have that sha256.
//
// The directory is not synced here: the rename becomes durable when
// recordSavedFiles syncs it, before the state names the file (see there).
func (a *applier) download(ctx context.Context, files *atomicfile.Root, reserved []reservedFile, url, rel, imageID, wantSHA string) (*state.SavedFile, error) {
	if a.opts.API == nil {
		return nil, errors.New("no Mynth API is configured to download images")
	}
	tmp, err := files.Create(rel, 0o644, &atomicfile.CreateOptions{
		TempSuffix: downloadTempSuffix,
		NoFollow:   true,
		NoDirSync:  true,
		Check: func(resolved string) error {
			return a.checkResolvedImagePath(files, rel, resolved, reserved)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", rel, err)
	}
	defer tmp.Cleanup()
	h := sha256.New()
	head := &imageHead{}
	if err := a.acquire(ctx); err != nil {
		return nil, err
	}
	n, err := a.opts.API.Download(ctx, url, io.MultiWriter(tmp, h, head), a.opts.MaxImageBytes)
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
	if err := verifyDownloaded(head.b, n, tmp.File); err != nil {
		return nil, fmt.Errorf("image %s for %s: %w", imageID, rel, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return nil, fmt.Errorf("writing %s: %w", rel, err)
	}
	if err := tmp.Commit(); err != nil {
		return nil, fmt.Errorf("writing %s: %w", rel, err)
	}
	a.mu.Lock()
	if a.unsyncedDirs == nil {
		a.unsyncedDirs = map[string]bool{}
	}
	a.unsyncedDirs[filepath.Dir(tmp.Rel)] = true
	a.mu.Unlock()
	return &state.SavedFile{Path: rel, ImageID: imageID, URL: url, SHA256: sum, Size: n}, nil
}

// imageHead keeps the first imageHeadSize bytes written to it, the
// header of a downloaded image, so that it is verified without reading
// the file back.
type imageHead struct{ b []byte }

// imageHeadSize covers the header of a PNG or GIF, and of a JPEG
// without large metadata before its frame.
const imageHeadSize = 4096

func (w *imageHead) Write(p []byte) (int, error) {
	if room := imageHeadSize - len(w.b); room > 0 {
		w.b = append(w.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// verifyDownloaded is applyVerifyImage of the n bytes downloaded into f,
// head the first of them: head alone tells, unless the header goes on
// past it.
func verifyDownloaded(head []byte, n int64, f io.ReadSeeker) error {
	err := applyVerifyImage(bytes.NewReader(head))
	if err != nil && n > int64(len(head)) {
		err = applyVerifyImage(f)
	}
	return err
}

// applyVerifyImage checks that f, read from its start, holds an image: a
// decodable PNG, JPEG or GIF header, or a WebP container. A header that
// decodes from the first bytes of a file decodes from the whole file.
func applyVerifyImage(f io.ReadSeeker) error {
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

// openFiles returns the spec directory, where every image is written,
// opened once for the whole apply (closeFiles closes it): every image and
// input file is read and written relative to the directory opened first.
func (a *applier) openFiles() (*atomicfile.Root, error) {
	if a.root == "" {
		return nil, errors.New("no spec directory to save into")
	}
	a.filesOnce.Do(func() {
		a.files, a.filesErr = atomicfile.OpenRoot(a.root)
	})
	return a.files, a.filesErr
}

// closeFiles closes the spec directory openFiles opened.
func (a *applier) closeFiles() {
	if a.files != nil {
		a.files.Close()
	}
}

// checkImagePath says why an image may not be written to rel (as the spec
// writes it) inside files, or returns where rel leads: the path inside the
// spec directory after symbolic links, the last part excepted (a file
// that is itself a link is refused).
func (a *applier) checkImagePath(files *atomicfile.Root, rel string, reserved []reservedFile) (string, error) {
	if rel == "" {
		return "", errors.New("an empty file path")
	}
	if problem := spec.ImagePathProblem(rel); problem != "" {
		return "", fmt.Errorf("the file path %s %s", rel, problem)
	}
	resolved, err := files.ResolveDir(rel)
	var oe *atomicfile.OutsideError
	if errors.As(err, &oe) {
		return "", fmt.Errorf("%s leads outside the spec directory through the symlink %s", rel, filepath.ToSlash(oe.Link))
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", rel, err)
	}
	return resolved, a.checkResolvedImagePath(files, rel, resolved, reserved)
}

// checkResolvedImagePath refuses resolved, where the image file rel leads
// after symbolic links, when it is a link, not a regular file, one of
// reserved (the state file, its backup or its lock, as stateFiles found
// them), or a place spec.ImagePathProblem refuses (a spec file, .git/,
// .mynthform/).
func (a *applier) checkResolvedImagePath(files *atomicfile.Root, rel, resolved string, reserved []reservedFile) error {
	slash := filepath.ToSlash(resolved)
	if problem := spec.ImagePathProblem(slash); problem != "" {
		return fmt.Errorf("%s leads through a symlink to %s, which %s", rel, slash, problem)
	}
	info, err := files.OS().Lstat(resolved)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("%s: %w", rel, err)
	case info.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symlink; refusing to write through it", rel)
	case !info.Mode().IsRegular():
		return fmt.Errorf("%s exists and is not a regular file", rel)
	}
	for _, sf := range reserved {
		same := strings.EqualFold(sf.rel, slash)
		if !same && err == nil && sf.info != nil {
			same = os.SameFile(sf.info, info)
		}
		if same {
			return fmt.Errorf("%s is %s (%s); an image there would destroy the record of every task", rel, sf.what, filepath.ToSlash(sf.name))
		}
	}
	return nil
}

// reservedFile is a file of the state that no image may replace.
type reservedFile struct {
	what string      // "the state file", ...
	name string      // as ApplyOptions.Protected gives it
	rel  string      // inside the spec directory, slash-separated
	info os.FileInfo // nil when it does not exist
}

// stateFiles resolves ApplyOptions.Protected inside files, each both as
// the link it may be and as the file the link leads to.
func (a *applier) stateFiles(files *atomicfile.Root) []reservedFile {
	var out []reservedFile
	for i, pf := range a.opts.Protected {
		what, name := pf.What, pf.Path
		var abs string
		if i < len(a.protectedAbs) {
			abs = a.protectedAbs[i] // Apply made them absolute once
		} else if p, err := filepath.Abs(name); err == nil {
			abs = p
		}
		if abs == "" {
			continue
		}
		for _, resolve := range []func(string) (string, error){files.ResolveDir, files.Resolve} {
			rel, err := resolve(abs)
			if err != nil {
				continue
			}
			rf := reservedFile{what: what, name: name, rel: filepath.ToSlash(rel)}
			info, err := files.OS().Lstat(rel)
			if err == nil {
				rf.info = info
			}
			out = append(out, rf)
			if err == nil && info.Mode()&fs.ModeSymlink == 0 || errors.Is(err, fs.ErrNotExist) {
				// No link at the path (the common case): Resolve would
				// lead to the same file, with the same calls again.
				break
			}
		}
	}
	return out
}

// downloadTempSuffix ends the name of a download's temporary file:
// ".<file><digits>.tmp" beside the file.
const downloadTempSuffix = ".tmp"

// cleanStrayDownloads removes the temporary files that downloads of a
// killed apply left beside the spec's image files. Apply holds the state
// lock, so no other apply of this spec is downloading.
func (a *applier) cleanStrayDownloads() {
	files, err := a.openFiles()
	if err != nil {
		return
	}
	bases := map[string]map[string]bool{} // directory -> file names
	for _, t := range a.specTasks {
		for _, rel := range t.Files {
			resolved, err := files.ResolveDir(rel)
			if err != nil {
				continue
			}
			dir := filepath.Dir(resolved)
			if bases[dir] == nil {
				bases[dir] = map[string]bool{}
			}
			bases[dir][filepath.Base(resolved)] = true
		}
	}
	for dir, names := range bases {
		d, err := files.OS().Open(dir)
		if err != nil {
			continue
		}
		entries, _ := d.ReadDir(-1)
		d.Close()
		for _, e := range entries {
			if e.Type().IsRegular() && strayDownloadOf(e.Name(), names) {
				_ = files.OS().Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
}

// strayDownloadOf reports whether name is the temporary file of a
// download to one of names: "." + the name + digits + ".tmp" (earlier
// builds put a dot before the digits).
func strayDownloadOf(name string, names map[string]bool) bool {
	if !strings.HasPrefix(name, ".") || !strings.HasSuffix(name, downloadTempSuffix) {
		return false
	}
	stem := name[1 : len(name)-len(downloadTempSuffix)]
	for i := len(stem) - 1; i > 0 && stem[i] >= '0' && stem[i] <= '9'; i-- {
		base := stem[:i]
		if names[base] || strings.HasSuffix(base, ".") && names[strings.TrimSuffix(base, ".")] {
			return true
		}
	}
	return false
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
