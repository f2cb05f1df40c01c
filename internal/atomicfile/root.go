package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// maxLinks is how many symbolic links a name may pass through, the
// kernel's own limit.
const maxLinks = 40

// OutsideError is returned for a name that leads outside its Root: it is
// absolute elsewhere, climbs out with "..", or passes through a symbolic
// link that does.
type OutsideError struct {
	// Name is the name as given.
	Name string
	// Link is the symbolic link (relative to the Root) that leads out, ""
	// when the name itself does.
	Link string
	// Root is the directory the name had to stay in.
	Root string
}

func (e *OutsideError) Error() string {
	if e.Link != "" {
		return fmt.Sprintf("%s leads outside %s through the symbolic link %s", e.Name, e.Root, filepath.ToSlash(e.Link))
	}
	return fmt.Sprintf("%s lies outside %s", e.Name, e.Root)
}

// Root is a directory that writes are confined to. Every name given to it
// is resolved after symbolic links, inside the directory; a name that
// leads outside is refused with an *OutsideError. Files are created and
// renamed relative to directories held open (os.Root), so that a
// directory replaced by a link while a write is under way cannot move the
// write elsewhere.
type Root struct {
	dir  string // absolute, symbolic links resolved
	root *os.Root
}

// OpenRoot opens dir, resolved after symbolic links, as a Root. Close it
// when done.
func OpenRoot(dir string) (*Root, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(real)
	if err != nil {
		return nil, err
	}
	return &Root{dir: real, root: root}, nil
}

// Close releases the directory.
func (r *Root) Close() error { return r.root.Close() }

// Dir is the directory, absolute, with symbolic links resolved.
func (r *Root) Dir() string { return r.dir }

// OS is the directory as an os.Root, for reading and for removing files.
func (r *Root) OS() *os.Root { return r.root }

// local turns name (relative to the Root, or absolute inside it) into a
// clean relative path.
func (r *Root) local(name string) (string, error) {
	if name == "" {
		return "", errors.New("an empty file name")
	}
	p := filepath.FromSlash(name)
	if filepath.IsAbs(p) {
		rel, err := filepath.Rel(r.dir, p)
		if err != nil || !filepath.IsLocal(rel) && rel != "." {
			// The path may name the Root through a link of its own.
			if real, err2 := realPrefix(p); err2 == nil {
				rel, err = filepath.Rel(r.dir, real)
			}
			if err != nil || !filepath.IsLocal(rel) && rel != "." {
				return "", &OutsideError{Name: name, Root: r.dir}
			}
		}
		p = rel
	}
	p = filepath.Clean(p)
	if p != "." && !filepath.IsLocal(p) {
		return "", &OutsideError{Name: name, Root: r.dir}
	}
	return p, nil
}

// realPrefix resolves the symbolic links of the longest existing prefix
// of the absolute path p and appends the rest.
func realPrefix(p string) (string, error) {
	rest := ""
	for cur := p; ; {
		if real, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(real, rest), nil
		}
		up := filepath.Dir(cur)
		if up == cur {
			return "", fmt.Errorf("%s: no part of the path exists", p)
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = up
	}
}

// Resolve returns where name leads inside the Root, relative to it, after
// every symbolic link on the way, the last one included ("." for the Root
// itself). Parts that do not exist yet are kept as they are written; a
// link may dangle. A name that leads outside is an *OutsideError.
func (r *Root) Resolve(name string) (string, error) {
	return r.resolve(name, true)
}

// ResolveDir is Resolve for all but the last part of name, which is kept
// as it is even when it is a symbolic link (for a file that is replaced,
// never written through).
func (r *Root) ResolveDir(name string) (string, error) {
	return r.resolve(name, false)
}

func (r *Root) resolve(name string, followLast bool) (string, error) {
	return r.resolveWith(name, followLast, r.root.Lstat, r.root.Readlink)
}

// resolveWith is resolve reading the file system with lstat and
// readlink, which take paths relative to the Root.
func (r *Root) resolveWith(name string, followLast bool, lstat func(string) (fs.FileInfo, error), readlink func(string) (string, error)) (string, error) {
	rel, err := r.local(name)
	if err != nil {
		return "", err
	}
	var done []string
	todo := splitPath(rel)
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(done) == 0 {
				return "", &OutsideError{Name: name, Root: r.dir}
			}
			done = done[:len(done)-1]
			continue
		}
		p := filepath.Join(append(done, c)...)
		if len(todo) == 0 && !followLast {
			done = append(done, c)
			break
		}
		info, err := lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			done = append(done, c)
			continue
		}
		if err != nil {
			return "", err
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			done = append(done, c)
			continue
		}
		links++
		if links > maxLinks {
			return "", fmt.Errorf("%s: too many levels of symbolic links", name)
		}
		dest, err := readlink(p)
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(dest) {
			in, err := filepath.Rel(r.dir, filepath.Clean(dest))
			if err != nil || in != "." && !filepath.IsLocal(in) {
				return "", &OutsideError{Name: name, Link: p, Root: r.dir}
			}
			done = nil
			dest = in
		}
		// A link's ".." that climbs above the Root is outside.
		depth := len(done)
		for _, d := range splitPath(dest) {
			switch d {
			case "", ".":
			case "..":
				depth--
				if depth < 0 {
					return "", &OutsideError{Name: name, Link: p, Root: r.dir}
				}
			default:
				depth++
			}
		}
		todo = append(splitPath(dest), todo...)
	}
	if len(done) == 0 {
		return ".", nil
	}
	return filepath.Join(done...), nil
}

// Resolver resolves many names in a Root as Resolve and ResolveDir do,
// reading each path on the way from the file system once, and each name
// once: the names of one directory (the image files of a spec) share the
// reads of the directories above them. It keeps what it read, so a
// change made to the file system while it is in use may go unseen: it is
// for a check made at one moment, never for a write. It is not safe for
// use by several goroutines at once.
type Resolver struct {
	r     *Root
	stats map[string]statResult
	links map[string]linkResult
	shown map[resolveKey]linkResult
}

type statResult struct {
	info fs.FileInfo
	err  error
}

type linkResult struct {
	dest string
	err  error
}

type resolveKey struct {
	name       string
	followLast bool
}

// Resolver returns a new Resolver of r.
func (r *Root) Resolver() *Resolver {
	return &Resolver{r: r, stats: map[string]statResult{}, links: map[string]linkResult{}, shown: map[resolveKey]linkResult{}}
}

// Resolve is Root.Resolve.
func (v *Resolver) Resolve(name string) (string, error) { return v.resolve(name, true) }

// ResolveDir is Root.ResolveDir.
func (v *Resolver) ResolveDir(name string) (string, error) { return v.resolve(name, false) }

func (v *Resolver) resolve(name string, followLast bool) (string, error) {
	key := resolveKey{name, followLast}
	if res, ok := v.shown[key]; ok {
		return res.dest, res.err
	}
	rel, err := v.r.resolveWith(name, followLast, v.lstat, v.readlink)
	v.shown[key] = linkResult{rel, err}
	return rel, err
}

func (v *Resolver) lstat(p string) (fs.FileInfo, error) {
	if res, ok := v.stats[p]; ok {
		return res.info, res.err
	}
	info, err := v.r.root.Lstat(p)
	v.stats[p] = statResult{info, err}
	return info, err
}

func (v *Resolver) readlink(p string) (string, error) {
	if res, ok := v.links[p]; ok {
		return res.dest, res.err
	}
	dest, err := v.r.root.Readlink(p)
	v.links[p] = linkResult{dest, err}
	return dest, err
}

func splitPath(p string) []string {
	return strings.Split(filepath.ToSlash(p), "/")
}

// WriteFile writes data to name inside the Root, atomically (see
// Pending). A name that is a symbolic link is written through, to the
// file it leads to, which must lie inside the Root as well. Missing
// directories are created.
func (r *Root) WriteFile(name string, data []byte, perm os.FileMode) error {
	p, err := r.Create(name, perm, nil)
	if err != nil {
		return err
	}
	defer p.Cleanup()
	if _, err := p.Write(data); err != nil {
		return err
	}
	return p.Commit()
}

// Pending is the new content of a file, written to a temporary file
// beside it, which Commit renames over the file. The temporary file is
// named "." + the file's base name + decimal digits (+ the suffix asked
// for), is created exclusively (never through a link) and is removed by
// Cleanup unless committed.
type Pending struct {
	// File is the temporary file, open for reading and writing.
	*os.File
	// Rel is the file's path inside the Root, after symbolic links.
	Rel string

	dir       *os.Root // the file's directory, held open
	base      string
	tmp       string
	suffix    string
	perm      os.FileMode
	done      bool
	noDirSync bool
	// recycled is the file CreateOptions.Recycle named, linked under tmp
	// and not yet readied (File is nil until Ready); overwrite is set
	// once Ready took it: its old bytes past the new end go at Commit.
	recycled  fs.FileInfo
	overwrite bool
}

// CreateOptions tune Root.Create.
type CreateOptions struct {
	// TempSuffix ends the temporary file's name (".tmp"); none by default.
	TempSuffix string
	// Check, when set, is called with the file's path inside the Root,
	// after symbolic links, before anything is written: an error refuses
	// the write.
	Check func(rel string) error
	// NoFollow replaces a final symbolic link rather than writing
	// through it.
	NoFollow bool
	// NoDirSync makes Commit leave the directory unsynced: the file's
	// content is durable, its rename into place only once the caller
	// syncs the directory (Root.SyncDir). Files written to one directory
	// then share one sync; until it, a crash may leave the old file (or
	// none) in place of the new one, never a part of either.
	NoDirSync bool
	// Recycle names a file (relative to the Root, symlink-free, in the
	// target's directory) that the caller is about to drop, such as the
	// backup that the file's current content replaces: the temporary file
	// takes over its storage instead of being a new file, which spares the
	// file system an inode to allocate and one to free. Create links it
	// under the temporary name, leaving its bytes as they are, and the
	// Pending cannot be written until Ready; the caller takes the name
	// Recycle away from the file first (renames another file over it).
	// The new content is then written over the old bytes, in the blocks
	// the file already has, from the start and in order (no Seek): Commit
	// cuts the file where the writes ended. A file that is not a regular
	// file of this user, or that still has another name at Ready, is left
	// alone: the temporary file is then a new one, as without Recycle.
	Recycle string
}

// Create starts replacing name inside the Root: it resolves name (after
// symbolic links, refusing one that leads outside), creates missing
// directories, opens the target's directory and creates the temporary
// file there. The new file gets perm (less the umask), or the permissions
// of the regular file it replaces.
func (r *Root) Create(name string, perm os.FileMode, o *CreateOptions) (*Pending, error) {
	if o == nil {
		o = &CreateOptions{}
	}
	resolve := r.Resolve
	if o.NoFollow {
		resolve = r.ResolveDir
	}
	rel, err := resolve(name)
	if err != nil {
		return nil, err
	}
	if rel == "." {
		return nil, fmt.Errorf("%s names the directory %s, not a file", name, r.dir)
	}
	if o.Check != nil {
		if err := o.Check(rel); err != nil {
			return nil, err
		}
	}
	dirRel, base := filepath.Dir(rel), filepath.Base(rel)
	// The directory usually exists (an image beside the last one, the
	// state beside itself): it is made only when opening it finds none,
	// which saves a mkdir and a stat at every write.
	dir, err := r.openDir(name, dirRel)
	if errors.Is(err, fs.ErrNotExist) {
		if err := r.root.MkdirAll(dirRel, 0o755); err != nil {
			return nil, err
		}
		dir, err = r.openDir(name, dirRel)
	}
	if err != nil {
		return nil, err
	}
	if info, err := dir.Lstat(base); err == nil && info.Mode().IsRegular() {
		perm = info.Mode().Perm()
	}
	p := &Pending{Rel: rel, dir: dir, base: base, suffix: o.TempSuffix, perm: perm, noDirSync: o.NoDirSync}
	if o.Recycle != "" && filepath.Dir(o.Recycle) == dirRel && p.link(filepath.Base(o.Recycle)) {
		return p, nil
	}
	if err := p.create(); err != nil {
		dir.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// tempName returns a fresh temporary name for p's file.
func (p *Pending) tempName() string {
	return "." + p.base + strconv.FormatUint(rand.Uint64(), 10) + p.suffix
}

// create makes a new temporary file and opens it as p.File.
func (p *Pending) create() error {
	for range 100 {
		tmp := p.tempName()
		f, err := p.dir.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, p.perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		p.File, p.tmp = f, tmp
		return nil
	}
	return errors.New("no free temporary file name")
}

// link gives old, a file of p's directory, a temporary name, for Ready
// to take over; it reports whether it did (old is a regular file of this
// user with no other name).
func (p *Pending) link(old string) bool {
	info, err := p.dir.Lstat(old)
	if err != nil || !info.Mode().IsRegular() || !recyclable(info, 1) {
		return false
	}
	for range 100 {
		tmp := p.tempName()
		err := p.dir.Link(old, tmp)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return false
		}
		// The name may have changed hands between the Lstat and the link.
		if now, err := p.dir.Lstat(tmp); err != nil || !os.SameFile(info, now) {
			_ = p.dir.Remove(tmp)
			return false
		}
		p.tmp, p.recycled = tmp, info
		return true
	}
	return false
}

// Ready makes a Pending created with CreateOptions.Recycle writable, once
// the caller took the recycled file's old name away: when the file has
// no other name left, it syncs the directory, so that no crash can leave
// that name with the new bytes, and opens the file to be written over;
// otherwise (the name stayed, or leads to it again) the temporary file is
// a new one. Without Recycle it does nothing.
func (p *Pending) Ready() error {
	if p.recycled == nil || p.done {
		return nil
	}
	info := p.recycled
	p.recycled = nil
	f, err := p.dir.OpenFile(p.tmp, os.O_RDWR|noFollow, 0)
	if err == nil {
		var now fs.FileInfo
		if now, err = f.Stat(); err == nil && (!os.SameFile(info, now) || !recyclable(now, 1)) {
			err = errNotRecyclable
		}
		if err == nil {
			err = syncRootDir(p.dir)
		}
		if err == nil {
			err = f.Chmod(p.perm)
		}
		if err == nil {
			// The old bytes stay until the new ones are written over
			// them, in the blocks the file already has; Commit cuts
			// what is left beyond the new end.
			p.File, p.overwrite = f, true
			return nil
		}
		f.Close()
	}
	// Another name leads to the file: leave it, and write a new one.
	_ = p.dir.Remove(p.tmp)
	p.tmp = ""
	if cerr := p.create(); cerr != nil {
		return fmt.Errorf("%s: %w", p.Rel, cerr)
	}
	return nil
}

// errNotRecyclable says that the file to recycle has another name (or
// changed), so Ready writes a new one.
var errNotRecyclable = errors.New("the file to recycle has another name")

// openDir opens dirRel, a symlink-free directory inside the Root, and
// checks that what it opened is that directory (no link was put in its
// place meanwhile).
func (r *Root) openDir(name, dirRel string) (*os.Root, error) {
	again, err := r.ResolveDir(filepath.Join(dirRel, "x"))
	if err != nil {
		return nil, err
	}
	if filepath.Dir(again) != dirRel {
		return nil, fmt.Errorf("%s: the directory %s changed while it was being written to", name, filepath.ToSlash(dirRel))
	}
	if dirRel == "." {
		return r.root.OpenRoot(".")
	}
	dir, err := r.root.OpenRoot(dirRel)
	if err != nil {
		return nil, err
	}
	held, err1 := dir.Stat(".")
	now, err2 := r.root.Lstat(dirRel)
	if err1 != nil || err2 != nil || !now.IsDir() || !os.SameFile(held, now) {
		dir.Close()
		return nil, fmt.Errorf("%s: the directory %s changed while it was being written to", name, filepath.ToSlash(dirRel))
	}
	return dir, nil
}

// Commit fsyncs the temporary file, closes it, renames it over the file
// and fsyncs the directory (unless CreateOptions.NoDirSync). On failure
// the file is left as it was.
func (p *Pending) Commit() error {
	if p.done {
		return errors.New("atomicfile: committed twice")
	}
	if p.File == nil {
		return errors.New("atomicfile: the recycled file was not readied")
	}
	p.done = true
	defer p.dir.Close()
	var err error
	if p.overwrite {
		var end int64
		if end, err = p.Seek(0, io.SeekCurrent); err == nil {
			err = p.Truncate(end)
		}
	}
	if err == nil {
		err = p.Sync()
	}
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = p.dir.Rename(p.tmp, p.base)
	}
	if err != nil {
		_ = p.dir.Remove(p.tmp)
		return err
	}
	if p.noDirSync {
		return nil
	}
	return syncRootDir(p.dir)
}

// SyncDir fsyncs the directory dir (relative to the Root, as
// filepath.Dir of a Pending's Rel gives it), making the renames into it
// durable. A dir that leads outside the Root is an *OutsideError.
func (r *Root) SyncDir(dir string) error {
	rel, err := r.Resolve(dir)
	if err != nil {
		return err
	}
	d, err := r.root.OpenRoot(rel)
	if err != nil {
		return err
	}
	defer d.Close()
	return syncRootDir(d)
}

// Cleanup removes the temporary file unless it was committed. It is
// harmless after Commit and when called twice.
func (p *Pending) Cleanup() {
	if p.done {
		return
	}
	p.done = true
	if p.File != nil {
		_ = p.Close()
	}
	if p.tmp != "" {
		_ = p.dir.Remove(p.tmp)
	}
	_ = p.dir.Close()
}

// syncRootDir fsyncs the directory dir holds open.
func syncRootDir(dir *os.Root) error {
	d, err := dir.Open(".")
	if err != nil {
		return err
	}
	defer d.Close()
	return syncFile(d)
}
