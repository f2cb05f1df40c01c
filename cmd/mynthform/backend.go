package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mynthform/mynthform/internal/atomicfile"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
	"github.com/mynthform/mynthform/state/pgstate"
)

// workspaceEnv chooses the workspace when --workspace is not given.
const workspaceEnv = "MYNTH_WORKSPACE"

// openBackend opens where the spec keeps its state: the PostgreSQL
// backend of its mynth block, else the state file (override, when set,
// instead of the spec's), protected against the secrets the command holds
// (see protectState). With a manifest path in the mynth block every save
// is also written there. The returned closer ends the backend's
// connection, if any.
func openBackend(g *globals, sp *spec.Spec, override string) (state.Backend, func(), error) {
	var b state.Backend
	closer := func() {}
	var be *spec.Backend
	if sp != nil {
		be = sp.Settings.Backend
	}
	workspace := g.workspace
	switch {
	case override != "" || be == nil:
		if workspace != "" && workspace != pgstate.DefaultWorkspace {
			return nil, nil, fmt.Errorf("workspace %q: workspaces need the PostgreSQL backend (a backend \"pg\" block in the mynth block); the state file holds one state. Leave out --workspace and %s", workspace, workspaceEnv)
		}
		if override == "" {
			// The spec's state: it and its backup and lock stay inside
			// the spec directory.
			b = state.OpenIn(g.dir, sp.StatePath())
			break
		}
		// A path named on the command line may lie anywhere; the
		// state's files stay in its directory.
		path := override
		if !filepath.IsAbs(path) {
			path = filepath.Join(g.dir, path)
		}
		b = state.Open(path)
	default:
		if why := pgstate.CheckName(workspace); workspace != "" && why != "" {
			return nil, nil, fmt.Errorf("workspace %q is not a workspace name: %s", workspace, why)
		}
		conn := be.ConnStr
		if conn == "" {
			conn = g.getenv(pgstate.ConnStrEnv)
		}
		pb, err := pgstate.Open(g.ctx, pgstate.Config{ConnStr: conn, Schema: be.SchemaName, Workspace: workspace})
		if err != nil {
			return nil, nil, err
		}
		b = pb
		closer = func() { _ = pb.Close() }
	}
	protectState(g, b, sp)
	if sp != nil && sp.Settings.Manifest != "" {
		path := sp.Settings.Manifest
		if !filepath.IsAbs(path) {
			path = filepath.Join(g.dir, filepath.FromSlash(path))
		}
		b = &manifestBackend{Backend: b, path: path, dir: g.dir}
	}
	return b, closer, nil
}

// manifestBackend writes the state into the manifest file after every
// save that changed it, exactly as a state file would hold it.
type manifestBackend struct {
	state.Backend
	path string
	// dir is the spec directory, which the manifest stays inside.
	dir string
}

// Save saves f, then writes the manifest.
func (m *manifestBackend) Save(f *state.File) (bool, error) {
	wrote, err := m.Backend.Save(f)
	if err != nil || !wrote {
		return wrote, err
	}
	return true, m.Sync(f)
}

// Sync writes f, as saved, into the manifest unless the manifest already
// holds exactly that. A state never written (serial 0) writes nothing.
func (m *manifestBackend) Sync(f *state.File) error {
	if f.Serial == 0 {
		return nil
	}
	data, err := state.Encode(f)
	if err != nil {
		return fmt.Errorf("writing the manifest %s: %w", m.path, err)
	}
	if old, err := os.ReadFile(m.path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	root, err := atomicfile.OpenRoot(m.dir)
	if err == nil {
		defer root.Close()
		var abs string
		if abs, err = filepath.Abs(m.path); err == nil {
			err = root.WriteFile(abs, data, 0o644)
		}
	}
	if err != nil {
		return fmt.Errorf("writing the manifest %s: %w", m.path, err)
	}
	return nil
}

// protectedFiles are the files no image may replace: the state file, its
// backup and its lock (when the state is a file), and the manifest.
func protectedFiles(b state.Backend) []planner.ProtectedFile {
	var out []planner.ProtectedFile
	if s, ok := unwrapBackend(b).(*state.Store); ok {
		out = append(out,
			planner.ProtectedFile{Path: s.Path(), What: "the state file"},
			planner.ProtectedFile{Path: s.BackupPath(), What: "the state file's backup"},
			planner.ProtectedFile{Path: s.LockPath(), What: "the state file's lock"})
	}
	if m, ok := b.(*manifestBackend); ok {
		out = append(out, planner.ProtectedFile{Path: m.path, What: "the manifest"})
	}
	return out
}

// unwrapBackend returns the backend under a manifest.
func unwrapBackend(b state.Backend) state.Backend {
	if m, ok := b.(*manifestBackend); ok {
		return m.Backend
	}
	return b
}

// syncManifest writes st into the manifest, if b has one.
func syncManifest(b state.Backend, st *state.File) error {
	if m, ok := b.(*manifestBackend); ok {
		return m.Sync(st)
	}
	return nil
}

// stateWhere names the state in messages: the state file's path, or the
// backend's description.
func stateWhere(b state.Backend) string {
	if s, ok := unwrapBackend(b).(*state.Store); ok {
		return s.Path()
	}
	return b.Describe()
}

// noStateYet reports whether b holds no state yet: there is no state file,
// or the workspace was never written.
func noStateYet(b state.Backend, st *state.File) bool {
	if s, ok := unwrapBackend(b).(*state.Store); ok {
		_, err := os.Stat(s.Path())
		return errors.Is(err, fs.ErrNotExist)
	}
	return st.Serial == 0 && len(st.Tasks) == 0
}
