package main

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mynthform/mynthform/mynth/mynthtest"
	"github.com/mynthform/mynthform/planner/render"
)

const emulatorUsage = "emulator [--addr ADDR] [--seed FILE] [--store FILE] [--delay D] [--latency D] [--jitter D] [--fault-rate R] [--endpoint-fault-rate E=R,...] [--fault-kinds K,...]"

// emulatorArgs are the flags of `mynthform emulator`.
type emulatorArgs struct {
	addr       string
	seed       string
	store      string
	delay      time.Duration
	latency    time.Duration
	jitter     time.Duration
	faultRate  float64
	faultKinds []string
	faultRates map[string]string // endpoint -> rate
	faultSeed  uint64
	retryAfter time.Duration
}

// options turns the flags into emulator options, checking them.
func (a emulatorArgs) options() (mynthtest.Options, error) {
	opts := mynthtest.Options{
		Delay:     a.delay,
		Latency:   a.latency,
		Jitter:    a.jitter,
		StorePath: a.store,
		RandSeed:  a.faultSeed,
	}
	for name, d := range map[string]time.Duration{"--delay": a.delay, "--latency": a.latency, "--jitter": a.jitter, "--retry-after": a.retryAfter} {
		if d < 0 {
			return opts, fmt.Errorf("%s must not be negative", name)
		}
	}
	if !validRate(a.faultRate) {
		return opts, fmt.Errorf("--fault-rate must be from 0 to 1, got %g", a.faultRate)
	}
	opts.Faults = mynthtest.Faults{Rate: a.faultRate, RetryAfter: a.retryAfter}
	for _, ep := range slices.Sorted(maps.Keys(a.faultRates)) {
		rate, err := strconv.ParseFloat(a.faultRates[ep], 64)
		if err != nil || !validRate(rate) {
			return opts, fmt.Errorf("--endpoint-fault-rate %s=%s: the rate must be from 0 to 1", ep, a.faultRates[ep])
		}
		known := false
		for _, e := range mynthtest.Endpoints {
			known = known || string(e) == ep
		}
		if !known {
			var names []string
			for _, e := range mynthtest.Endpoints {
				names = append(names, string(e))
			}
			return opts, errors.New(unknownText("--endpoint-fault-rate endpoint", ep, names, "mynthform emulator --help"))
		}
		if opts.Faults.Endpoints == nil {
			opts.Faults.Endpoints = map[mynthtest.Endpoint]mynthtest.FaultRule{}
		}
		opts.Faults.Endpoints[mynthtest.Endpoint(ep)] = mynthtest.FaultRule{Rate: rate}
	}
	for _, k := range a.faultKinds {
		kind, err := mynthtest.ParseFaultKind(strings.TrimSpace(k))
		if err != nil {
			var names []string
			for _, fk := range mynthtest.FaultKinds {
				names = append(names, string(fk))
			}
			return opts, errors.New(unknownText("--fault-kinds", strings.TrimSpace(k), names, "mynthform emulator --help"))
		}
		opts.Faults.Kinds = append(opts.Faults.Kinds, kind)
	}
	if a.seed != "" {
		seed, err := mynthtest.LoadSeed(a.seed)
		if err != nil {
			return opts, err
		}
		opts.Seed = seed
	}
	return opts, nil
}

// validRate reports whether r is a probability; NaN is not.
func validRate(r float64) bool { return r >= 0 && r <= 1 }

// runEmulator runs the emulator in the foreground until the context ends
// (Ctrl-C).
func runEmulator(g *globals, args []string) int {
	var a emulatorArgs
	fs := newFlagSet("emulator")
	fs.StringVar(&a.addr, "addr", "127.0.0.1:8787", "listen on `ADDR`; port 0 picks a free port")
	fs.StringVar(&a.seed, "seed", "", "preload accounts and tasks from the seed `FILE`")
	fs.StringVar(&a.store, "store", "", "keep tasks in `FILE` across restarts (a store is also a valid seed)")
	fs.DurationVar(&a.delay, "delay", time.Second, "time `D` from creation to completion of a task")
	fs.DurationVar(&a.latency, "latency", 0, "delay `D` added to every request")
	fs.DurationVar(&a.jitter, "jitter", 0, "random extra delay of up to `D` per request")
	fs.Float64Var(&a.faultRate, "fault-rate", 0, "probability `R` (0 to 1) that a request gets an injected fault")
	fs.StringToStringVar(&a.faultRates, "endpoint-fault-rate", nil, "`ENDPOINT=R,...`: fault rate of single endpoints (generate, task, status, results, upload, image), instead of --fault-rate")
	fs.StringSliceVar(&a.faultKinds, "fault-kinds", nil, "`KINDS` of fault to draw from: latency, 500, 502, 503, 429, drop, truncate, malformed, drop_after_create (default all)")
	fs.Uint64Var(&a.faultSeed, "fault-seed", 0, "seed `N` of the random faults, for a repeatable run")
	fs.DurationVar(&a.retryAfter, "retry-after", time.Second, "Retry-After `D` of an injected 429")
	if code, done := parseFlags(g, fs, emulatorUsage, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(g.stderr, "mynthform emulator: unexpected argument %q\nUsage: mynthform %s\n", fs.Arg(0), emulatorUsage)
		return exitError
	}
	opts, err := a.options()
	if err != nil {
		fmt.Fprintf(g.stderr, "mynthform emulator: %v\n", err)
		return exitError
	}
	opts.Log = g.stderr
	storeExisted := false
	if a.store != "" {
		if _, err := os.Stat(a.store); err == nil {
			storeExisted = true
		}
	}
	run, err := mynthtest.Start(a.addr, opts)
	if err != nil {
		fmt.Fprintf(g.stderr, "mynthform emulator: %v\n", err)
		return exitError
	}
	g.endHeapFloor() // the seed is loaded: from here it serves, making garbage

	banner := render.EmulatorBanner{
		URL: run.URL, Store: a.store, StoreExisted: storeExisted, Seed: a.seed,
		Tasks: run.Emulator.Tasks(), Key: "mak_anything", FaultRate: a.faultRate,
	}
	if opts.Seed != nil && opts.Seed.Strict {
		banner.Key = "<an api_key of " + a.seed + ">"
	}
	for _, ep := range slices.Sorted(maps.Keys(a.faultRates)) {
		banner.Endpoints = append(banner.Endpoints, render.EndpointFaults{Endpoint: ep, Rate: opts.Faults.Endpoints[mynthtest.Endpoint(ep)].Rate})
	}
	_ = banner.Render(g.stdout)

	<-g.ctx.Done()
	if err := run.Close(); err != nil {
		fmt.Fprintf(g.stderr, "mynthform emulator: %v\n", err)
		return exitError
	}
	_ = render.EmulatorStopped{}.Render(g.stderr)
	return exitOK
}
