package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/mynthform/mynthform/internal/atomicfile"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
	"github.com/mynthform/mynthform/planner"
	"github.com/mynthform/mynthform/planner/render"
	"github.com/mynthform/mynthform/spec"
)

// Where --emulator keeps its tasks and finds its seed, relative to the spec
// directory.
const (
	emulatorStore = ".mynthform/emulator.json"
	emulatorSeed  = "mynth.seed.json"
	// emulatorKey is the API key used against the emulator when
	// MYNTH_API_KEY is not set.
	emulatorKey = "mak_emulator"
	// emulatorDelay is how long the emulator takes to complete a task.
	emulatorDelay = time.Second
)

// connection is the run's link to Mynth (or to the in-process emulator),
// made once by connect and shared by every step of the command.
type connection struct {
	api    planner.API
	client *mynth.Client
	hasKey bool
	close  func()
}

// connect returns the API the command talks to, whether it has an API key,
// and a function that releases it (stops the in-process emulator). The
// API key comes from MYNTH_API_KEY only and is never printed; the base URL
// from MYNTH_BASE_URL, else the spec's mynth block, else the default. With
// --emulator it starts the emulator in-process, its store in
// .mynthform/emulator.json beside the spec, and says so on the first line
// of stdout. A second call in the same run returns the same connection.
func connect(g *globals, sp *spec.Spec) (planner.API, bool, func(), error) {
	if g.conn != nil {
		return g.conn.api, g.conn.hasKey, g.conn.close, nil
	}
	key := g.getenv("MYNTH_API_KEY")
	opts := mynth.Options{Token: key, UserAgent: "mynthform/" + toolVersion()}
	closeFn := func() {}
	if g.emulator {
		run, err := startEmulator(g)
		if err != nil {
			return nil, false, nil, err
		}
		opts.BaseURL = run.URL
		if key == "" {
			opts.Token = emulatorKey
		}
		closeFn = func() { _ = run.Close() }
		_ = render.EmulatorInUse{URL: run.URL, Store: emulatorStore}.Render(g.stdout)
	} else {
		opts.BaseURL = g.getenv("MYNTH_BASE_URL")
		if opts.BaseURL == "" && sp != nil {
			opts.BaseURL = sp.Settings.BaseURL
		}
	}
	client := mynth.NewClient(opts)
	g.conn = &connection{
		api:    planner.ClientAPI{Client: client},
		client: client,
		hasKey: opts.Token != "",
		close:  closeFn,
	}
	return g.conn.api, g.conn.hasKey, g.conn.close, nil
}

// makeToolDir creates the directory of the emulator's store inside the
// spec directory dir, refusing one that a symbolic link leads elsewhere.
func makeToolDir(dir string) error {
	root, err := atomicfile.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	rel, err := root.Resolve(filepath.Dir(filepath.FromSlash(emulatorStore)))
	if err != nil {
		return err
	}
	return root.OS().MkdirAll(rel, 0o755)
}

// startEmulator starts the in-process emulator for --emulator. Its store
// keeps tasks across commands; a seed file beside the spec preloads the
// first run.
func startEmulator(g *globals) (*mynthtest.Running, error) {
	store := filepath.Join(g.dir, filepath.FromSlash(emulatorStore))
	if err := makeToolDir(g.dir); err != nil {
		return nil, fmt.Errorf("--emulator: %w", err)
	}
	opts := mynthtest.Options{StorePath: store, StoreDir: g.dir, Delay: emulatorDelay}
	if _, err := os.Stat(store); errors.Is(err, fs.ErrNotExist) {
		seedPath := filepath.Join(g.dir, emulatorSeed)
		if _, err := os.Stat(seedPath); err == nil {
			seed, err := mynthtest.LoadSeed(seedPath)
			if err != nil {
				return nil, fmt.Errorf("--emulator: %w", err)
			}
			opts.Seed = seed
		}
	}
	run, err := mynthtest.Start("127.0.0.1:0", opts)
	if err != nil {
		return nil, fmt.Errorf("--emulator: %w", err)
	}
	return run, nil
}
