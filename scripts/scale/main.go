// The run reads CPU time and peak memory from the child's rusage, which
// Windows does not have.

//go:build unix

// Command scale is the scripted scale run: it starts the real mynthform
// binary's emulator as its own process with a fixed latency, seeds it with
// N completed tasks, and times the real binary planning (and applying) a
// spec that adopts every one of them. It reports each run against the
// ideal N × latency / parallelism, with the tool's CPU per task and peak
// memory, as ratios that stay meaningful on a shared, noisy machine.
//
//	go run ./scripts/scale -n 10000 -latency 20ms -parallelism 32
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
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

type config struct {
	n           int
	latency     time.Duration
	parallelism int
	keep        bool
}

func run() error {
	var c config
	flag.IntVar(&c.n, "n", 10000, "number of tasks")
	flag.DurationVar(&c.latency, "latency", 20*time.Millisecond, "emulated latency per request")
	flag.IntVar(&c.parallelism, "parallelism", 32, "mynthform --parallelism")
	flag.BoolVar(&c.keep, "keep", false, "keep the work directory")
	flag.Parse()

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
	fmt.Printf("%d tasks, %v latency, parallelism %d: ideal %v per full refresh\n", c.n, c.latency, c.parallelism, ideal.Round(time.Millisecond))
	fmt.Printf("%-34s %9s %8s %12s %10s\n", "run", "wall", "÷ideal", "CPU/task", "max RSS")

	steps := []struct {
		name     string
		args     []string
		wantCode int
		refresh  bool
	}{
		{"plan (10,000 to adopt)", []string{"plan", "--detailed-exitcode", "--parallelism", fmt.Sprint(c.parallelism)}, 2, true},
		{"apply --auto-approve (records all)", []string{"apply", "--auto-approve", "--parallelism", fmt.Sprint(c.parallelism)}, 0, true},
		{"plan (no changes)", []string{"plan", "--detailed-exitcode", "--parallelism", fmt.Sprint(c.parallelism)}, 0, true},
		{"plan --refresh=false", []string{"plan", "--detailed-exitcode", "--refresh=false"}, 0, false},
	}
	for _, s := range steps {
		s.name = strings.Replace(s.name, "10,000", fmt.Sprint(c.n), 1)
		cmd := exec.CommandContext(ctx, bin, append([]string{"-C", dir}, s.args...)...)
		cmd.Env = env
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
			return err
		}
		if code != s.wantCode {
			tail := out.String()
			if len(tail) > 2000 {
				tail = tail[len(tail)-2000:]
			}
			return fmt.Errorf("%s: exit %d, want %d:\n%s", s.name, code, s.wantCode, tail)
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		ratio := "-"
		if s.refresh {
			ratio = fmt.Sprintf("%.2f×", wall.Seconds()/ideal.Seconds())
		}
		fmt.Printf("%-34s %9v %8s %10.0fµs %7.0f MiB\n", s.name, wall.Round(time.Millisecond), ratio,
			float64(cpu.Microseconds())/float64(c.n), float64(ru.Maxrss)/1024)
	}
	return nil
}

// writeInputs writes the spec (one for_each task adopting every seeded
// task) and the emulator's seed (n completed tasks with one image each).
func writeInputs(dir string, c config) error {
	var ids strings.Builder
	for i := range c.n {
		fmt.Fprintf(&ids, "    p%05d = \"tsk_SCALE%05d\"\n", i, i)
	}
	spec := fmt.Sprintf(`mynth {
  parallelism = %d
}

locals {
  ids = {
%s  }
}

task "product" {
  for_each = local.ids
  id       = each.value
  prompt   = "Studio photo of product ${each.key}"
  model    = "google/gemini-3.1-flash-image"
  size     = "square"
}
`, c.parallelism, ids.String())
	if err := os.WriteFile(filepath.Join(dir, "main.mynth.hcl"), []byte(spec), 0o644); err != nil {
		return err
	}
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
	for i := range c.n {
		if i > 0 {
			w.WriteString(",\n")
		}
		imgID := fmt.Sprintf("img_SCALE%05d", i)
		task := map[string]any{
			"id": fmt.Sprintf("tsk_SCALE%05d", i), "status": "completed", "type": "image.generate",
			"createdAt": "2026-01-15T10:30:00.000Z", "updatedAt": "2026-01-15T10:30:12.000Z",
			"request": map[string]any{"prompt": fmt.Sprintf("Studio photo of product p%05d", i),
				"model": "google/gemini-3.1-flash-image", "size": "square", "count": 1},
			"result": map[string]any{"model": "google/gemini-3.1-flash-image",
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
func startEmulator(ctx context.Context, bin, dir string, latency time.Duration) (string, error) {
	cmd := exec.CommandContext(ctx, bin, "emulator", "--addr", "127.0.0.1:0",
		"--seed", filepath.Join(dir, "seed.json"), "--latency", latency.String())
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
