package planner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/mynthform/mynthform/internal/atomicfile"
	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// StateSaver writes the state file. *state.Store satisfies it: Save writes f
// atomically and returns false, writing nothing, when f equals what is on
// disk.
type StateSaver interface {
	Save(f *state.File) (bool, error)
}

// secretProtector is a StateSaver that can be told secrets the state must
// never hold (*state.Store): apply tells it every Public Access Token
// Mynth returns.
type secretProtector interface {
	Protect(values ...string)
}

// ApplyOptions is what Apply needs. The caller holds the state lock for the
// whole apply.
type ApplyOptions struct {
	// Plan is the plan to carry out.
	Plan *Plan
	// Spec is the spec the plan was made from: apply reads each task's
	// declared files and access token from it.
	Spec *spec.Spec
	// Store saves State; State is the state the plan was made against,
	// changed in place as apply records tasks.
	Store StateSaver
	State *state.File
	// API is Mynth. It may be nil when the plan needs no API call.
	API API
	// Parallelism bounds concurrent API calls (creations, polls and
	// downloads together), as a --parallelism does; 0 takes the spec's
	// setting (spec.Spec.Parallelism resolves it).
	Parallelism int
	// Wait makes apply poll pending tasks until they finish; without it
	// they are recorded as pending.
	Wait bool
	// WaitTimeout is how long apply waits for one task. Default
	// mynth.DefaultWaitTimeout, the official SDK's.
	WaitTimeout time.Duration
	// Poll is the polling schedule; its zero fields poll like the
	// official SDK (mynth.PollSchedule).
	Poll mynth.PollSchedule
	// Dir is the spec directory: every saved file lies inside it.
	Dir string
	// Protected are files no image may replace, however its path leads
	// there: the state file, its backup and its lock, the manifest.
	Protected []ProtectedFile
	// ToolVersion is written into the state when apply changes it.
	ToolVersion string
	// Progress receives progress events; nil is silent.
	Progress ProgressSink
	// MaxImageBytes caps each downloaded image. Default 50 MiB.
	MaxImageBytes int64
	// Now is the clock; nil is time.Now.
	Now func() time.Time

	// onDirSync, when set (by tests), is called after every sync of a
	// directory that images were saved into.
	onDirSync func(dir string)
	// onCreationSlot, when set (by tests), is called when a creation has
	// taken its API slot, before the next creation may take its own: the
	// calls come in the order that apply promises (plan order).
	onCreationSlot func(addr string)
}

// ProtectedFile is a file that no image may replace.
type ProtectedFile struct {
	// Path is the file, absolute or relative to the working directory.
	Path string
	// What names it in messages: "the state file".
	What string
}

// DefaultMaxImageBytes is the default size cap of a downloaded image.
const DefaultMaxImageBytes = 50 << 20

// TaskOutcome is what became of a task in an apply.
type TaskOutcome string

// Task outcomes of an apply. Recorded, forgotten, completed, pending and
// saved are successes; the others fail the run, except not_created when the
// budget guard stopped creation (which fails it too: the spec is not met).
const (
	// AppliedRecorded: an adopt or update was recorded from the observed task.
	AppliedRecorded TaskOutcome = "recorded"
	// AppliedForgotten: the task was dropped from the state.
	AppliedForgotten TaskOutcome = "forgotten"
	// AppliedCompleted: the task completed (and its files were saved).
	AppliedCompleted TaskOutcome = "completed"
	// AppliedFailed: the task ended failed, or an image or file failed.
	AppliedFailed TaskOutcome = "failed"
	// AppliedPending: the task is recorded as pending (--wait=false,
	// the wait timed out, or apply was interrupted).
	AppliedPending TaskOutcome = "pending"
	// AppliedUnknownOutcome: the creation request may have reached Mynth but no
	// answer came back; it was not repeated.
	AppliedUnknownOutcome TaskOutcome = "unknown_outcome"
	// AppliedNotCreated: the task was not created (budget guard, Ctrl-C,
	// or an earlier failure to save the state).
	AppliedNotCreated TaskOutcome = "not_created"
	// AppliedFilesSaved: only files were saved or restored.
	AppliedFilesSaved TaskOutcome = "files_saved"
	// AppliedError: something went wrong (creation refused, a read failed).
	AppliedError TaskOutcome = "error"
)

// ApplyResult is what an apply did.
type ApplyResult struct {
	// Tasks holds one entry per task apply acted on, in plan order.
	Tasks []*TaskResult
	// Counts by what was done.
	Generated, Replaced, Adopted, Updated, Forgotten int
	// FilesSaved counts images written to disk, FilesRestored those among
	// them that restored a missing or modified file.
	FilesSaved, FilesRestored int
	// Spent is the total cost of the tasks created by this apply that
	// finished while it waited.
	Spent mynth.Amount
	// NotCreated lists the addresses the budget guard did not create.
	NotCreated []string
	// Uploaded counts the input files uploaded to Mynth (distinct
	// contents; a file the state records as uploaded is not sent again).
	Uploaded int
	// BudgetMessage says why the budget guard stopped, "" when it did not.
	BudgetMessage string
	// Interrupted is true when ctx was cancelled.
	Interrupted bool
	// Written is true when the state file was written at least once.
	Written bool
	// Serial is the state's serial at the end.
	Serial uint64
	// Unsaved is set when a change apply made is not in the state on
	// disk, because saving it failed; Unrecorded then lists, among those
	// changes, the tasks that exist at Mynth and that the state on disk
	// does not record (their id would be lost with this run).
	Unsaved    bool
	Unrecorded []UnrecordedTask
}

// UnrecordedTask is a task that exists at Mynth but that the state on disk
// does not record at its address.
type UnrecordedTask struct {
	Address string
	ID      string
	// SensitiveID is set when ID is the spec's pinned id and derives from
	// a sensitive value: views print "(sensitive)" instead, and the spec
	// holds it for the next apply to record.
	SensitiveID bool
}

// Failed reports whether the apply fails the run: a task failed, its outcome
// is unknown, a read or file failed, a wait timed out, or the budget guard
// stopped creation.
func (r *ApplyResult) Failed() bool {
	for _, t := range r.Tasks {
		if t.Failed() {
			return true
		}
	}
	return false
}

// TaskResult is what apply did for one task.
type TaskResult struct {
	Address string
	// ID is the task id ("" when none was created).
	ID      string
	Action  Action
	Outcome TaskOutcome
	// Message explains a failure or what to do next, in full sentences.
	Message string
	// Status is the task's final status, "" when unknown.
	Status mynth.Status
	// Cost is the task's total when known.
	Cost *mynth.Amount
	// Images is the number of succeeded images.
	Images int
	// Elapsed is the time from creation (or the start of waiting) to the end.
	Elapsed time.Duration
	// Files is what happened to each declared file.
	Files []FileResult
	// TimedOut is set when the wait gave up.
	TimedOut bool
	// wantPending is set when pending is expected (--wait=false).
	wantPending bool
}

// Failed reports whether this task fails the run.
func (t *TaskResult) Failed() bool {
	switch t.Outcome {
	case AppliedFailed, AppliedUnknownOutcome, AppliedError, AppliedNotCreated:
		return true
	case AppliedPending:
		return !t.wantPending
	}
	for _, f := range t.Files {
		if f.State == FileResultFailed {
			return true
		}
	}
	return false
}

// FileResult is what happened to one declared file.
type FileResult struct {
	Path string
	// State is FileResultSaved, FileResultRestored, FileResultOK,
	// FileResultNotSaved or FileResultFailed.
	State string
	// Message says why a file failed or was not saved.
	Message string
}

// File results. FileResultNotSaved is a file whose image failed (or does
// not exist): there is nothing to save, and apply itself did not fail; the
// file check after apply says whether it fails the run, with the severity
// of the task's expect block. FileResultFailed is a save or restore that
// went wrong, and fails the apply.
const (
	FileResultSaved    = "saved"
	FileResultRestored = "restored"
	FileResultOK       = "ok"
	FileResultNotSaved = "not_saved"
	FileResultFailed   = "failed"
)

// applier carries one apply.
type applier struct {
	opts     ApplyOptions
	progress ProgressSink
	now      func() time.Time
	sem      chan struct{} // bounds concurrent API calls
	// window bounds the creations between their write-ahead record and
	// the answer to their request (see createOne); lastTurn is the turn
	// of the latest creation started, which the next one waits on.
	window   chan struct{}
	lastTurn chan struct{}
	// windowLeft gets a value (when it has room) each time a creation
	// leaves the window; allStarted is closed once every creation has
	// started (or will not be).
	windowLeft chan struct{}
	allStarted chan struct{}
	fileSem    chan struct{} // bounds files being hashed or written at once
	root       string        // the real (symlink-free) spec directory
	// files is root opened (see openFiles), once.
	files     *atomicfile.Root
	filesErr  error
	filesOnce sync.Once
	// protectedAbs holds the absolute path of each ApplyOptions.Protected
	// file ("" when it has none).
	protectedAbs []string
	// onDirSync, when set (by tests), is called after each directory
	// sync of recordSavedFiles.
	onDirSync func(dir string)
	// specTasks indexes the spec's tasks by address.
	specTasks map[string]*spec.Task

	saveMu sync.Mutex // serializes state writes (see save)
	// disk is the task map of the state as last written (or as it was
	// read, before the first write): what a failed save would lose is
	// the difference with st.
	disk map[string]*state.Task

	mu    sync.Mutex // guards everything below
	st    *state.File
	res   *ApplyResult
	dirty bool
	// snapshots counts the state snapshots save has taken for writing;
	// durable is the number of the latest one written successfully. A
	// write covers every change made before its snapshot (see save).
	snapshots, durable uint64
	// lazy counts the callers of saveSoon since the latest snapshot;
	// wrote, when saveSoon made it, is closed at the end of the next
	// write.
	lazy    int
	wrote   chan struct{}
	saveErr error
	guard   *applyBudget
	done    int
	total   int
	// inputErr says, by path, why an input file could not be uploaded.
	inputErr map[string]string
	// unsyncedDirs are the directories (inside the spec directory) that
	// images were renamed into since recordSavedFiles last synced them;
	// savedFiles holds, by address, the files syncFiles saved, to be
	// recorded once their directories are synced.
	unsyncedDirs map[string]bool
	savedFiles   map[string]savedFilesRecord
	// finished holds, for every task this apply creates or waits for, a
	// channel closed once it is done (finished, failed or not created):
	// what its downstream tasks wait on. anyFinished gets a value each time.
	finished    map[string]chan struct{}
	finishOnce  map[string]*sync.Once
	anyFinished chan struct{}
}

// Apply carries out plan: it records adopted and updated tasks and forgets
// the ones no longer declared, creates the tasks to generate or replace
// (recording each in the state at once), waits for pending tasks, saves
// their images to the declared files, and saves the state.
//
// Problems with single tasks are reported in the result; the error is for
// what stops the whole apply (the state could not be saved, bad options).
// When ctx is cancelled, Apply starts no more work, records what exists and
// returns with Interrupted set.
func Apply(ctx context.Context, opts ApplyOptions) (*ApplyResult, error) {
	if opts.Plan == nil || opts.State == nil || opts.Store == nil {
		return nil, errors.New("apply: a plan, a state and a store are required")
	}
	opts.Parallelism = opts.Spec.Parallelism(opts.Parallelism)
	if opts.WaitTimeout <= 0 {
		opts.WaitTimeout = mynth.DefaultWaitTimeout
	}
	if opts.MaxImageBytes <= 0 {
		opts.MaxImageBytes = DefaultMaxImageBytes
	}
	opts.Poll = opts.Poll.WithDefaults()
	a := &applier{
		opts:       opts,
		progress:   opts.Progress,
		now:        opts.Now,
		sem:        make(chan struct{}, opts.Parallelism),
		window:     make(chan struct{}, opts.Parallelism),
		windowLeft: make(chan struct{}, 1),
		allStarted: make(chan struct{}),
		fileSem:    make(chan struct{}, max(opts.Parallelism, 4)),
		st:         opts.State,
		res:        &ApplyResult{},
		onDirSync:  opts.onDirSync,
	}
	if a.progress == nil {
		a.progress = nopApplyProgress{}
	}
	a.specTasks = map[string]*spec.Task{}
	if opts.Spec != nil {
		for _, t := range opts.Spec.Tasks {
			a.specTasks[t.Address] = t
		}
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.st.Tasks == nil {
		a.st.Tasks = map[string]*state.Task{}
	}
	a.disk = make(map[string]*state.Task, len(a.st.Tasks))
	for k, v := range a.st.Tasks {
		a.disk[k] = v
	}
	for _, pf := range opts.Protected {
		abs, err := filepath.Abs(pf.Path)
		if err != nil {
			abs = ""
		}
		a.protectedAbs = append(a.protectedAbs, abs)
	}
	if opts.Dir != "" {
		root, err := applyRealDir(opts.Dir)
		if err != nil {
			return nil, fmt.Errorf("apply: spec directory: %w", err)
		}
		a.root = root
		defer a.closeFiles()
		a.cleanStrayDownloads()
	}

	var budget *spec.Budget
	if opts.Spec != nil {
		budget = opts.Spec.Budget
	}
	// The price book as the plan made it, before recording changes what
	// the state holds.
	book := planPriceBook(budget, a.st, opts.Plan.Tasks)
	a.recordObserved()
	if err := a.save(); err != nil {
		return a.finish(err)
	}

	var creates, waits, files []*TaskPlan
	for _, tp := range opts.Plan.Tasks {
		if tp.Error != nil || tp.Action == ActionForget {
			continue
		}
		switch {
		case tp.Action == ActionGenerate || tp.Action == ActionReplace:
			creates = append(creates, tp)
		case a.st.Tasks[tp.Address] != nil && a.st.Tasks[tp.Address].Status == mynth.StatusPending:
			waits = append(waits, tp)
		case a.st.Tasks[tp.Address] != nil && len(a.specFiles(tp.Address)) > 0:
			files = append(files, tp)
		}
	}
	replaced, waited := map[string]bool{}, map[string]bool{}
	for _, tp := range creates {
		replaced[tp.Address] = tp.Action == ActionReplace
	}
	for _, tp := range waits {
		waited[tp.Address] = opts.Wait
	}
	a.guard = newApplyBudget(budget, book, a.st, replaced, waited, a.now)

	a.total = len(creates) + len(waits)
	a.progress.Start(a.total)
	a.finished = make(map[string]chan struct{}, len(creates)+len(waits))
	a.finishOnce = make(map[string]*sync.Once, len(creates)+len(waits))
	a.anyFinished = make(chan struct{}, len(creates)+len(waits))
	for _, tp := range append(slices.Clone(creates), waits...) {
		a.finished[tp.Address] = make(chan struct{})
		a.finishOnce[tp.Address] = &sync.Once{}
	}
	a.uploadInputs(ctx, creates)

	var wg sync.WaitGroup
	for _, tp := range waits {
		tr := a.addResult(tp)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer a.markFinished(tp.Address)
			defer a.guard.settle(tp.Address, nil, false)
			a.finishTask(ctx, tp, tr, a.now(), false, nil)
		}()
	}
	for _, tp := range files {
		tr := a.addResult(tp)
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.syncFiles(ctx, tp.Address, tr)
			a.mu.Lock()
			if len(tr.Files) > 0 && tr.Outcome == "" {
				tr.Outcome = AppliedFilesSaved
			}
			a.mu.Unlock()
		}()
	}
	stopFlush, flushed := make(chan struct{}), make(chan struct{})
	go a.flush(stopFlush, flushed)
	a.createAll(ctx, creates, &wg)
	close(a.allStarted)
	wg.Wait()
	close(stopFlush)
	<-flushed

	if ctx.Err() != nil {
		a.res.Interrupted = true
	}
	// Drop results for tasks where nothing happened (files already ok).
	kept := a.res.Tasks[:0]
	for _, tr := range a.res.Tasks {
		if tr.Outcome == "" {
			continue
		}
		kept = append(kept, tr)
	}
	a.res.Tasks = kept
	a.recordSavedFiles()
	return a.finish(a.save())
}

// finish saves nothing more: it ends the progress display and fills the
// result's closing fields. The error is err, else the first failed save.
func (a *applier) finish(err error) (*ApplyResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.progress.Finish()
	a.res.Serial = a.st.Serial
	if err == nil {
		err = a.saveErr
	}
	if a.dirty && err != nil {
		a.res.Unsaved = true
		for _, addr := range a.st.Addresses() {
			t := a.st.Tasks[addr]
			if d := a.disk[addr]; d == nil || d.ID != t.ID {
				st := a.specTask(addr)
				a.res.Unrecorded = append(a.res.Unrecorded, UnrecordedTask{Address: addr, ID: t.ID, SensitiveID: st != nil && st.Sensitive["id"]})
			}
		}
	}
	return a.res, err
}

// recordObserved records adopt and update actions from the observed tasks
// and drops forgotten ones. It makes no API call.
func (a *applier) recordObserved() {
	for _, tp := range a.opts.Plan.Tasks {
		switch tp.Action {
		case ActionForget:
			if _, ok := a.st.Tasks[tp.Address]; ok {
				a.st.Supersede(tp.Address, state.SupersededForgotten, "", a.stamp())
				delete(a.st.Tasks, tp.Address)
				a.dirty = true
			}
			a.res.Forgotten++
			a.res.Tasks = append(a.res.Tasks, &TaskResult{Address: tp.Address, ID: tp.ID, Action: tp.Action, Outcome: AppliedForgotten})
		case ActionAdopt, ActionUpdate:
			tr := &TaskResult{Address: tp.Address, ID: tp.ID, Action: tp.Action}
			a.res.Tasks = append(a.res.Tasks, tr)
			if tp.Error != nil {
				tr.Outcome, tr.Message = AppliedError, *tp.Error
				continue
			}
			if tp.Observed == nil && tp.Action == ActionUpdate {
				// Planned from the state alone (--refresh=false): there is
				// no new observation to record, only files to restore.
				continue
			}
			if tp.Observed == nil {
				tr.Outcome = AppliedError
				tr.Message = "The plan holds no observation of this task to record (was it made with --refresh=false?). Run apply without a saved plan, or plan again with refresh."
				continue
			}
			rec, err := StateTaskFromObserved(tp.Observed)
			if err != nil {
				tr.Outcome, tr.Message = AppliedError, fmt.Sprintf("Recording task %s: %v.", tp.Observed.ID, err)
				continue
			}
			if old := a.st.Tasks[tp.Address]; old != nil {
				if old.ID == rec.ID {
					rec.Files = old.Files
				} else {
					// Another pinned task takes its place: the old one
					// was paid, and goes to the ledger.
					a.st.Supersede(tp.Address, state.SupersededReplaced, rec.ID, a.stamp())
				}
				if len(rec.Request) == 0 && old.ID == rec.ID {
					rec.Request = old.Request
				}
			}
			a.putLocked(tp.Address, rec)
			tr.ID, tr.Status, tr.Outcome = rec.ID, rec.Status, AppliedRecorded
			tr.Cost = applyResultCost(rec.Result)
			if tp.Action == ActionAdopt {
				a.res.Adopted++
			} else {
				a.res.Updated++
			}
		}
	}
}

// stamp is the time now for the state, RFC 3339 in UTC.
func (a *applier) stamp() string {
	return a.now().UTC().Format(time.RFC3339)
}

// putLocked records rec at addr, marking the state dirty only when the
// record changed; a.mu is held (or apply is still single-threaded).
func (a *applier) putLocked(addr string, rec *state.Task) {
	if old := a.st.Tasks[addr]; old != nil && old.ID == rec.ID && old.Status == rec.Status {
		// Only then can the two encode alike (a task that finished, the
		// common case, differs in its status).
		ob, err1 := json.Marshal(old)
		nb, err2 := json.Marshal(rec)
		if err1 == nil && err2 == nil && string(ob) == string(nb) {
			return
		}
	}
	a.st.Tasks[addr] = rec
	a.dirty = true
}

// addResult returns the result entry for tp's address, adding one.
func (a *applier) addResult(tp *TaskPlan) *TaskResult {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, tr := range a.res.Tasks {
		if tr.Address == tp.Address {
			return tr
		}
	}
	tr := &TaskResult{Address: tp.Address, ID: tp.ID, Action: tp.Action}
	a.res.Tasks = append(a.res.Tasks, tr)
	return tr
}

// specTask returns the spec's task at addr, or nil.
func (a *applier) specTask(addr string) *spec.Task {
	return a.specTasks[addr]
}

// specFiles returns the files declared for addr.
func (a *applier) specFiles(addr string) []string {
	if t := a.specTask(addr); t != nil {
		return t.Files
	}
	return nil
}

// save writes the state when apply has changed it, and returns once a
// write that holds every change made before the call is on disk. It must
// not be called with a.mu held.
//
// Saves are group commits: while one write is under way, other goroutines
// record their changes and wait; the next write takes all of them at once,
// and every caller whose changes it holds returns when it is on disk,
// without a write of its own. (A caller's changes were made before it
// called save, so any snapshot taken after the call holds them.) Records
// in a.st are never changed in place (they are replaced), so a shallow
// copy of the task and attempt maps is a consistent snapshot.
func (a *applier) save() error {
	a.mu.Lock()
	ticket := a.snapshots // a later snapshot holds this caller's changes
	a.mu.Unlock()
	a.saveMu.Lock()
	defer a.saveMu.Unlock()
	a.mu.Lock()
	if !a.dirty || a.durable > ticket {
		a.mu.Unlock()
		return nil
	}
	a.snapshots++
	snapNo := a.snapshots
	a.lazy = 0
	if a.opts.ToolVersion != "" {
		a.st.ToolVersion = a.opts.ToolVersion
	}
	snap := *a.st
	snap.Tasks = make(map[string]*state.Task, len(a.st.Tasks))
	for k, v := range a.st.Tasks {
		snap.Tasks[k] = v
	}
	snap.Uploads = a.st.CloneUploads()
	snap.Attempts = nil
	if len(a.st.Attempts) > 0 {
		snap.Attempts = make(map[string]*state.Attempt, len(a.st.Attempts))
		for k, v := range a.st.Attempts {
			snap.Attempts[k] = v
		}
	}
	a.dirty = false
	a.mu.Unlock()

	wrote, err := a.opts.Store.Save(&snap)

	a.mu.Lock()
	defer a.mu.Unlock()
	// Whatever became of the write, the callers of saveSoon waiting for
	// one look again.
	if a.wrote != nil {
		close(a.wrote)
		a.wrote = nil
	}
	if err != nil {
		a.dirty = true
		err = fmt.Errorf("saving the state: %w", err)
		if a.saveErr == nil {
			a.saveErr = err
		}
		return err
	}
	a.st.Serial, a.st.Version = snap.Serial, snap.Version
	a.durable = snapNo
	a.disk = snap.Tasks
	if wrote {
		a.res.Written = true
	}
	return nil
}

// saveSoon is save for a change that may wait a moment for other
// changes to share its write (the record of a created task): it returns,
// as save does, once a write that holds every change made before the call
// is on disk, but it starts that write itself only when no other write
// took the change within saveSoonWait, or when a burst of callers (a
// quarter of the parallelism) waits. The creations that answer meanwhile,
// and the write-ahead records of those that follow them (see
// awaitWindowBurst), then share one write instead of one each. Once every
// creation has started, nothing is worth waiting for.
func (a *applier) saveSoon() error {
	a.mu.Lock()
	ticket := a.snapshots
	a.lazy++
	burst := a.lazy >= max(1, a.opts.Parallelism/4)
	a.mu.Unlock()
	if burst {
		return a.save()
	}
	timer := time.NewTimer(saveSoonWait)
	defer timer.Stop()
	for {
		a.mu.Lock()
		if a.wrote == nil {
			a.wrote = make(chan struct{})
		}
		wrote, covered, failed := a.wrote, a.durable > ticket, a.saveErr != nil
		a.mu.Unlock()
		if covered {
			return nil
		}
		if failed {
			return a.save()
		}
		select {
		case <-wrote:
		case <-timer.C:
			return a.save()
		case <-a.allStarted:
			return a.save()
		}
	}
}

// saveSoonWait is how long saveSoon lets a change wait for a write that
// others start.
const saveSoonWait = 20 * time.Millisecond

// saveInterval is how often finished tasks and saved files are written to
// the state while apply runs. A created task is written before apply
// waits for it, within saveSoonWait (it cost money and only the state
// knows it); a finished one can always be read
// again, and a saved file downloaded again, so their writes are batched:
// the images saved during an interval share one sync of their directory
// (see recordSavedFiles).
const saveInterval = time.Second

// flush writes the state every saveInterval while it is dirty, until stop
// is closed.
func (a *applier) flush(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(saveInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			a.recordSavedFiles()
			_ = a.save()
		}
	}
}

// acquire takes an API slot; it fails when ctx ends first.
func (a *applier) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case a.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a *applier) release() { <-a.sem }

// applyResultCost returns the total of a recorded result, nil when it has
// none.
func applyResultCost(raw json.RawMessage) *mynth.Amount {
	if len(raw) == 0 {
		return nil
	}
	var r mynth.Result
	if json.Unmarshal(raw, &r) != nil || r.Cost == nil {
		return nil
	}
	c := r.Cost.Total
	return &c
}

// applyParseResult decodes a recorded result; nil when there is none.
func applyParseResult(raw json.RawMessage) *mynth.Result {
	if len(raw) == 0 {
		return nil
	}
	var r mynth.Result
	if json.Unmarshal(raw, &r) != nil {
		return nil
	}
	return &r
}
