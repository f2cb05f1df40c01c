package mynthtest_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mynthform/mynthform/mynth/mynthtest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestStoreGolden pins the store format: a seed with a plain key, a PAT, a
// balance and an emulated task, stored as the emulator writes it.
func TestStoreGolden(t *testing.T) {
	seed, err := mynthtest.LoadSeed(filepath.Join("testdata", "seed.json"))
	if err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(t.TempDir(), "emulator.json")
	clock := func() time.Time { return time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC) }
	e, err := mynthtest.New(mynthtest.Options{Seed: seed, StorePath: store, Clock: clock, Delay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := e.Task("tsk_01KE7XWWEQ4MCGWKBQKJ1G47RQ"); !ok { // settles the emulated task
		t.Fatal("emulated task missing")
	}
	got, err := os.ReadFile(store)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "store.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("store (-want +got), run with -update if intended:\n%s", diff)
	}
	if _, err := mynthtest.LoadSeed(golden); err != nil {
		t.Errorf("the golden store is not a valid seed: %v", err)
	}
}
