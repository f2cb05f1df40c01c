package render

// This file is apply's progress: the lines it prints for logs, and the
// live line it redraws on a terminal. Package planner calls them through
// planner.ProgressSink; they only write.

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/mynthform/mynthform/internal/plural"
	"github.com/mynthform/mynthform/internal/termtext"
	"github.com/mynthform/mynthform/planner"
)

// Compile-time checks that both progress views are progress sinks.
var (
	_ planner.CreationWaitSink = (*LineProgress)(nil)
	_ planner.CreationWaitSink = (*TerminalProgress)(nil)
	_ planner.ProgressSink     = (*LineProgress)(nil)
	_ planner.ProgressSink     = (*TerminalProgress)(nil)
	_ planner.UploadSink       = (*LineProgress)(nil)
	_ planner.UploadSink       = (*TerminalProgress)(nil)
)

// LineProgress writes one line per created and finished task, for logs:
//
//	task.x: created tsk_123
//	task.x: completed in 3.2s, 1 image, $0.01250000, saved assets/x.png
//
// It says why creation waits when it must, and while apply runs it never
// stays silent for longer than Every (default 30 s): a line says how many
// tasks are done and what was spent so far.
type LineProgress struct {
	W io.Writer
	// Every is the longest silence; 0 is DefaultProgressEvery.
	Every time.Duration

	mu    sync.Mutex
	start time.Time
	last  planner.ProgressEvent
	why   string
	wrote time.Time
	stop  chan struct{}
	done  chan struct{}
}

// DefaultProgressEvery is the longest LineProgress stays silent.
const DefaultProgressEvery = 30 * time.Second

// Start implements planner.ProgressSink.
func (p *LineProgress) Start(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.start, p.wrote = time.Now(), time.Now()
	p.last = planner.ProgressEvent{Total: total}
	if total == 0 {
		return
	}
	every := p.Every
	if every <= 0 {
		every = DefaultProgressEvery
	}
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go p.tick(every, p.stop, p.done)
}

func (p *LineProgress) tick(every time.Duration, stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(every / 4)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			p.mu.Lock()
			if now.Sub(p.wrote) >= every {
				p.printf("Still applying: %d/%d tasks done, %s spent, %s elapsed%s\n",
					p.last.Done, p.last.Total, p.last.Spent.Dollars(), formatElapsed(time.Since(p.start)), whySuffix(termtext.Line(p.why)))
			}
			p.mu.Unlock()
		}
	}
}

// printf writes a line and notes when; p.mu is held.
func (p *LineProgress) printf(format string, args ...any) {
	fmt.Fprintf(p.W, format, args...)
	p.wrote = time.Now()
}

// whySuffix is "; " and the reason creation waits, "" when it does not.
func whySuffix(why string) string {
	if why == "" {
		return ""
	}
	return "; " + why
}

// TaskCreated implements planner.ProgressSink.
func (p *LineProgress) TaskCreated(ev planner.ProgressEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last, p.why = ev, ""
	p.printf("%s: created %s\n", termtext.Line(ev.Task.Address), termtext.Line(ev.Task.ID))
}

// TaskFinished implements planner.ProgressSink.
func (p *LineProgress) TaskFinished(ev planner.ProgressEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last = ev
	p.printf("%s", FinishedLine(ev.Task))
}

// CreationWaits implements planner.CreationWaitSink.
func (p *LineProgress) CreationWaits(ev planner.ProgressEvent, why string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last, p.why = ev, why
	p.printf("Waiting: %s (%d/%d tasks done, %s spent)\n", termtext.Line(why), ev.Done, ev.Total, ev.Spent.Dollars())
}

// InputsUploaded implements planner.UploadSink.
func (p *LineProgress) InputsUploaded(ev planner.ProgressEvent, paths []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last = ev
	p.printf("%s", UploadedLine(paths))
}

// UploadedLine is the line that reports one upload request, ending in a
// newline: "Uploaded 2 input files: refs/a.png, refs/mug.png".
func UploadedLine(paths []string) string {
	esc := make([]string, len(paths))
	for i, p := range paths {
		esc[i] = termtext.Line(p)
	}
	return fmt.Sprintf("Uploaded %s: %s\n", plural.Count(len(paths), "input file"), strings.Join(esc, ", "))
}

// Finish implements planner.ProgressSink.
func (p *LineProgress) Finish() {
	p.mu.Lock()
	stop, done := p.stop, p.done
	p.stop, p.done = nil, nil
	p.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

// FinishedLine is the line (or lines, for file failures) that reports a
// finished task, ending in a newline. Its messages quote the API (ids,
// statuses, error messages): each line is escaped (package termtext), so
// that none can start another.
func FinishedLine(t planner.TaskResult) string {
	var b strings.Builder
	b.WriteString(termtext.Line(t.Address))
	b.WriteString(": ")
	switch t.Outcome {
	case planner.AppliedCompleted, planner.AppliedFailed:
		fmt.Fprintf(&b, "%s in %s, %s", termtext.Line(string(t.Status)), formatElapsed(t.Elapsed), plural.Count(t.Images, "image"))
		if t.Cost != nil {
			fmt.Fprintf(&b, ", %s", t.Cost.Dollars())
		}
		for _, f := range t.Files {
			switch f.State {
			case planner.FileResultSaved:
				fmt.Fprintf(&b, ", saved %s", termtext.Line(f.Path))
			case planner.FileResultRestored:
				fmt.Fprintf(&b, ", restored %s", termtext.Line(f.Path))
			}
		}
		if t.Outcome == planner.AppliedFailed && t.Message != "" {
			fmt.Fprintf(&b, ": %s", termtext.Line(t.Message))
		}
	case planner.AppliedPending:
		fmt.Fprintf(&b, "pending (%s): %s", termtext.Line(t.ID), termtext.Line(t.Message))
	case planner.AppliedUnknownOutcome:
		fmt.Fprintf(&b, "unknown outcome: %s", termtext.Line(t.Message))
	case planner.AppliedNotCreated:
		msg := strings.TrimSuffix(termtext.Line(t.Message), ".")
		if msg == "" {
			msg = "Not created"
		}
		b.WriteString(strings.ToLower(msg[:1]) + msg[1:])
	case planner.AppliedError:
		fmt.Fprintf(&b, "error: %s", termtext.Line(t.Message))
	default:
		b.WriteString(string(t.Outcome))
	}
	b.WriteByte('\n')
	for _, f := range t.Files {
		if f.State == planner.FileResultFailed || f.State == planner.FileResultNotSaved {
			fmt.Fprintf(&b, "  %s: %s\n", termtext.Line(f.Path), termtext.Line(f.Message))
		}
	}
	return b.String()
}

// TerminalProgress draws a live line (tasks done / total, spent so far,
// time elapsed) redrawn in place every second and on every event, with the
// finished-task lines printed above it.
type TerminalProgress struct {
	W io.Writer

	mu    sync.Mutex
	start time.Time
	last  planner.ProgressEvent
	why   string
	live  bool
	stop  chan struct{}
	done  chan struct{}
}

// Start implements planner.ProgressSink.
func (p *TerminalProgress) Start(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.start = time.Now()
	p.last = planner.ProgressEvent{Total: total}
	if total == 0 {
		return
	}
	p.draw()
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go p.tick(p.stop, p.done)
}

func (p *TerminalProgress) tick(stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.draw()
			p.mu.Unlock()
		}
	}
}

// TaskCreated implements planner.ProgressSink.
func (p *TerminalProgress) TaskCreated(ev planner.ProgressEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last, p.why = ev, ""
	p.draw()
}

// CreationWaits implements planner.CreationWaitSink: the live line says why
// creation waits until the next task is created.
func (p *TerminalProgress) CreationWaits(ev planner.ProgressEvent, why string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last, p.why = ev, why
	p.draw()
}

// TaskFinished implements planner.ProgressSink.
func (p *TerminalProgress) TaskFinished(ev planner.ProgressEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last = ev
	p.clear()
	io.WriteString(p.W, FinishedLine(ev.Task))
	p.draw()
}

// InputsUploaded implements planner.UploadSink: the line is printed
// above the live line.
func (p *TerminalProgress) InputsUploaded(ev planner.ProgressEvent, paths []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last = ev
	p.clear()
	io.WriteString(p.W, UploadedLine(paths))
	p.draw()
}

// Finish implements planner.ProgressSink: it stops the redraws and clears the line.
func (p *TerminalProgress) Finish() {
	p.mu.Lock()
	stop, done := p.stop, p.done
	p.stop, p.done = nil, nil
	p.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
}

func (p *TerminalProgress) clear() {
	if p.live {
		io.WriteString(p.W, "\r\x1b[K")
		p.live = false
	}
}

func (p *TerminalProgress) draw() {
	p.clear()
	fmt.Fprintf(p.W, "Applying: %d/%d tasks done, %s spent, %s elapsed%s",
		p.last.Done, p.last.Total, p.last.Spent.Dollars(), formatElapsed(time.Since(p.start)), whySuffix(termtext.Line(p.why)))
	p.live = true
}

// formatElapsed prints a duration as seconds with one decimal ("3.2s").
func formatElapsed(d time.Duration) string {
	d = d.Round(100 * time.Millisecond)
	return fmt.Sprintf("%d.%ds", int64(d/time.Second), int64(d%time.Second/(100*time.Millisecond)))
}
