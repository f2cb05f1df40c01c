// The run reads CPU time and peak memory from the child's rusage, which
// Windows does not have.

//go:build unix

// Command scale is the scripted scale run: it starts the real mynthform
// binary's emulator as its own process with a fixed latency, seeds it with
// N completed tasks, and times the real binary planning (and applying) a
// spec that adopts every one of them. It reports each run against the
// ideal N × latency / parallelism, with the tool's CPU per task and peak
// memory, as ratios that stay meaningful on a shared, noisy machine: to
// the ideal, and to the floor, a minimal client (baseline.go) doing the
// same requests and checks against the same emulator in the same run.
//
//	go run ./scripts/scale -n 10000 -latency 20ms -parallelism 32 -shape blocks
//	go run ./scripts/scale -n 100000 -steps plan,validate
//	go run ./scripts/scale -n 1000 -steps create
//
// -steps names the runs, in order: plan (a fresh plan adopting every
// seeded task), apply (recording them all), noop (the plan with no
// changes), norefresh (plan --refresh=false), validate, and create (apply
// of n new tasks in a spec of their own: create, status, task read and
// download each, against a floor doing the same four requests). all is
// plan,apply,noop,norefresh,validate.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) == 4 && os.Args[1] == baselineArg {
		if err := baseline(os.Args[2], os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, "scale baseline:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) == 4 && os.Args[1] == baselineCreateArg {
		if err := baselineCreate(os.Args[2], os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, "scale baseline:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

type config struct {
	n           int
	latency     time.Duration
	parallelism int
	shape       string
	steps       []string
	keep        bool
}

// allSteps is what -steps all means.
var allSteps = []string{"plan", "apply", "noop", "norefresh", "validate"}

// step is one timed command of the run.
type step struct {
	name     string
	args     []string
	wantCode int
	refresh  bool // it reads every task: its wall time has an ideal
	create   bool // it creates n new tasks: 4 requests each, against the create floor
}

// measured is what one child process cost.
type measured struct {
	wall, cpu time.Duration
	rssKiB    int64
}

func run() error {
	var c config
	flag.IntVar(&c.n, "n", 10000, "number of tasks")
	flag.DurationVar(&c.latency, "latency", 20*time.Millisecond, "emulated latency per request")
	flag.IntVar(&c.parallelism, "parallelism", 32, "mynthform --parallelism (and the baseline's)")
	flag.StringVar(&c.shape, "shape", "blocks", "spec shape: blocks (one task block per task, one file), foreach (one for_each block), files (blocks over 100 files)")
	steps := flag.String("steps", "all", "which runs, comma-separated, in order: plan, apply, noop, norefresh, validate, create; all is "+strings.Join(allSteps, ","))
	flag.BoolVar(&c.keep, "keep", false, "keep the work directory")
	flag.Parse()
	for _, s := range strings.Split(*steps, ",") {
		switch s = strings.TrimSpace(s); s {
		case "all":
			c.steps = append(c.steps, allSteps...)
		case "plan", "apply", "noop", "norefresh", "validate", "create":
			c.steps = append(c.steps, s)
		default:
			return fmt.Errorf("-steps: unknown run %q (plan, apply, noop, norefresh, validate, create or all)", s)
		}
	}

	dir, err := os.MkdirTemp("", "mynthform-scale-")
	if err != nil {
		return err
	}
	if !c.keep {
		defer os.RemoveAll(dir)
	} else {
		fmt.Println("work directory:", dir)
	}
	bin := filepath.Join(dir, "mynthform")
	build := exec.Command("go", "build", "-o", bin, "./cmd/mynthform")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building mynthform (run from the repository root): %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if err := writeInputs(dir, c); err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url, err := startEmulator(ctx, bin, dir, c.latency)
	if err != nil {
		return err
	}
	env := append(os.Environ(), "MYNTH_BASE_URL="+url, "MYNTH_API_KEY=mak_scale", "NO_COLOR=1")
	ideal := time.Duration(c.n) * c.latency / time.Duration(c.parallelism)
	fmt.Printf("%d tasks (%s shape), %v latency, parallelism %d: ideal %v per full refresh\n",
		c.n, c.shape, c.latency, c.parallelism, ideal.Round(time.Millisecond))
	fmt.Printf("%-36s %9s %8s %8s %11s %8s %9s\n", "run", "wall", "÷ideal", "÷floor", "CPU/task", "÷floor", "max RSS")

	// The floor: a minimal client doing the same GETs, decoding and checks
	// against the same emulator, measured first in the same run.
	floorCmd := exec.CommandContext(ctx, self, baselineArg, url, fmt.Sprintf("%d:%d", c.n, c.parallelism))
	floorCmd.Env = env
	floor, err := measure(floorCmd, 0)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	report("minimal client (the floor)", floor, floor, ideal, c.n, true)

	p := fmt.Sprint(c.parallelism)
	var createFloor measured
	for _, name := range c.steps {
		var s step
		switch name {
		case "plan":
			s = step{fmt.Sprintf("plan (%d to adopt)", c.n), []string{"plan", "--detailed-exitcode", "--parallelism", p}, 2, true, false}
		case "apply":
			s = step{"apply --auto-approve (records all)", []string{"apply", "--auto-approve", "--parallelism", p}, 0, true, false}
		case "noop":
			s = step{"plan (no changes)", []string{"plan", "--detailed-exitcode", "--parallelism", p}, 0, true, false}
		case "norefresh":
			s = step{"plan --refresh=false", []string{"plan", "--detailed-exitcode", "--refresh=false"}, 0, false, false}
		case "validate":
			s = step{"validate", []string{"validate"}, 0, false, false}
		case "create":
			if createFloor.wall == 0 {
				fmt.Printf("creating %d new tasks: ideal %v (4 requests each)\n", c.n, (4 * ideal).Round(time.Millisecond))
				cmd := exec.CommandContext(ctx, self, baselineCreateArg, url, fmt.Sprintf("%d:%d", c.n, c.parallelism))
				cmd.Env = env
				if createFloor, err = measure(cmd, 0); err != nil {
					return fmt.Errorf("create baseline: %w", err)
				}
				report("minimal client creating (its floor)", createFloor, createFloor, 4*ideal, c.n, true)
			}
			s = step{fmt.Sprintf("apply (%d to create)", c.n), []string{"apply", "--auto-approve", "--parallelism", p}, 0, true, true}
		}
		runDir, fl, id := dir, floor, ideal
		if s.create {
			runDir, fl, id = filepath.Join(dir, "create"), createFloor, 4*ideal
			// A second create starts again from an empty state.
			if err := os.RemoveAll(filepath.Join(runDir, "mynth.state.json")); err != nil {
				return err
			}
		}
		cmd := exec.CommandContext(ctx, bin, append([]string{"-C", runDir}, s.args...)...)
		cmd.Env = env
		m, err := measure(cmd, s.wantCode)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		report(s.name, m, fl, id, c.n, s.refresh)
	}
	return nil
}

// measure runs cmd and reads its wall time, CPU time and peak memory.
func measure(cmd *exec.Cmd, wantCode int) (measured, error) {
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		return measured{}, err
	}
	if code != wantCode {
		tail := out.String()
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return measured{}, fmt.Errorf("exit %d, want %d:\n%s", code, wantCode, tail)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return measured{wall: wall, cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), rssKiB: ru.Maxrss}, nil
}

func report(name string, m, floor measured, ideal time.Duration, n int, refresh bool) {
	ratio, vsFloor := "-", "-"
	if refresh {
		if ideal > 0 {
			ratio = fmt.Sprintf("%.2f×", m.wall.Seconds()/ideal.Seconds())
		}
		vsFloor = fmt.Sprintf("%.2f×", m.wall.Seconds()/floor.wall.Seconds())
	}
	fmt.Printf("%-36s %9v %8s %8s %9.0fµs %7.2f× %5.0f MiB\n", name, m.wall.Round(time.Millisecond), ratio, vsFloor,
		float64(m.cpu.Microseconds())/float64(n), m.cpu.Seconds()/floor.cpu.Seconds(), float64(m.rssKiB)/1024)
}

// writeInputs writes the spec in the chosen shape and the emulator's seed
// (n completed tasks with one image each). Every shape declares the same n
// tasks, each adopting one seeded task by id:
//
//   - blocks: one file with one task block per task, as specs are written
//     by hand;
//   - foreach: one task block with for_each over a map of n ids;
//   - files: the blocks shape spread over 100 files.
func writeInputs(dir string, c config) error {
	if err := writeSpec(dir, c); err != nil {
		return err
	}
	if err := writeCreateSpec(filepath.Join(dir, "create"), c); err != nil {
		return err
	}
	return writeSeed(dir, c.n)
}

// createSize is the size of the created tasks' images: small, so that the
// emulator's PNG encoding stays out of the tool's measurement.
const createSize = "64x64"

// newPrompt is what new task i asks for.
func newPrompt(i int) string { return "New product photo " + taskKey(i) }

// writeCreateSpec writes the spec of the create run into dir: n new
// tasks, one block each, each saving its image, and a price so that the
// budget guard creates them at full parallelism.
func writeCreateSpec(dir string, c config) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "mynth {\n  parallelism = %d\n}\n\nbudget {\n  price %q {\n    image = \"0.0125\"\n  }\n}\n", c.parallelism, scaleModel)
	for i := range c.n {
		fmt.Fprintf(&b, "\ntask %q {\n  prompt = %q\n  model  = %q\n  size   = %q\n  files  = [\"out/%s.png\"]\n}\n",
			taskKey(i), newPrompt(i), scaleModel, createSize, taskKey(i))
	}
	return os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(b.String()), 0o644)
}

const (
	scaleModel = "google/gemini-3.1-flash-image"
	filesShape = 100 // how many files the files shape spreads its blocks over
)

func taskID(i int) string  { return fmt.Sprintf("tsk_SCALE%05d", i) }
func taskKey(i int) string { return fmt.Sprintf("p%05d", i) }

// prompt is what seeded task i was asked for, and what the spec asks.
func prompt(i int) string { return "Studio photo of product " + taskKey(i) }

func writeSpec(dir string, c config) error {
	header := fmt.Sprintf("mynth {\n  parallelism = %d\n}\n", c.parallelism)
	switch c.shape {
	case "foreach":
		var b strings.Builder
		b.WriteString(header + "\nlocals {\n  ids = {\n")
		for i := range c.n {
			fmt.Fprintf(&b, "    %s = %q\n", taskKey(i), taskID(i))
		}
		fmt.Fprintf(&b, `  }
}

task "product" {
  for_each = local.ids
  id       = each.value
  prompt   = "Studio photo of product ${each.key}"
  model    = %q
  size     = "square"
}
`, scaleModel)
		return os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(b.String()), 0o644)
	case "blocks", "files":
		files := 1
		if c.shape == "files" {
			files = filesShape
		}
		per := (c.n + files - 1) / files
		for f := 0; f < files; f++ {
			var b strings.Builder
			if f == 0 {
				b.WriteString(header)
			}
			for i := f * per; i < min(c.n, (f+1)*per); i++ {
				fmt.Fprintf(&b, "\ntask %q {\n  id     = %q\n  prompt = %q\n  model  = %q\n  size   = \"square\"\n}\n",
					taskKey(i), taskID(i), prompt(i), scaleModel)
			}
			name := "main.mynth.hcl"
			if files > 1 {
				name = fmt.Sprintf("part%03d.mynth.hcl", f)
			}
			if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown shape %q (blocks, foreach or files)", c.shape)
}

func writeSeed(dir string, n int) error {
	type image struct {
		Status string `json:"status"`
		ID     string `json:"id"`
		URL    string `json:"url"`
		Cost   string `json:"cost"`
		Size   string `json:"size"`
	}
	f, err := os.Create(filepath.Join(dir, "seed.json"))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprint(w, `{"accounts":[{"api_key":"mak_scale","tasks":[`)
	for i := range n {
		if i > 0 {
			w.WriteString(",\n")
		}
		imgID := fmt.Sprintf("img_SCALE%05d", i)
		task := map[string]any{
			"id": taskID(i), "status": "completed", "type": "image.generate",
			"createdAt": "2026-01-15T10:30:00.000Z", "updatedAt": "2026-01-15T10:30:12.000Z",
			"request": map[string]any{"prompt": prompt(i), "model": scaleModel, "size": "square", "count": 1},
			"result": map[string]any{"model": scaleModel,
				"images": []image{{"succeeded", imgID, "/images/" + imgID + ".png", "0.01250000", "1024x1024"}},
				"cost":   map[string]string{"images": "0.01250000", "total": "0.01250000"}},
		}
		b, err := json.Marshal(task)
		if err != nil {
			return err
		}
		w.Write(b)
	}
	w.WriteString("]}]}\n")
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// startEmulator runs `mynthform emulator` and returns the URL it prints.
// Its tasks complete at creation (--delay 0), so that a created task
// costs the four requests of the create run's ideal.
func startEmulator(ctx context.Context, bin, dir string, latency time.Duration) (string, error) {
	cmd := exec.CommandContext(ctx, bin, "emulator", "--addr", "127.0.0.1:0",
		"--seed", filepath.Join(dir, "seed.json"), "--latency", latency.String(), "--delay", "0s")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			for _, f := range strings.Fields(sc.Text()) {
				if strings.HasPrefix(f, "http://127.0.0.1:") {
					select {
					case found <- strings.TrimRight(f, ".,;)"):
					default:
					}
				}
			}
		}
	}()
	select {
	case url := <-found:
		return url, nil
	case <-time.After(60 * time.Second):
		return "", fmt.Errorf("the emulator printed no URL within 60s")
	}
}
