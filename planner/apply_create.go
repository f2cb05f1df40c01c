package planner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/state"
)

// createAll creates the tasks of creates in plan order, each in its own
// goroutine (added to wg) that records it, waits for it and saves its
// files. The decisions (Ctrl-C, budget) are taken here, one task at a time,
// so that the budget guard sees every creation before it.
//
// A task whose upstream tasks (those it takes inputs from) are still
// being created or waited for is passed over until they are done, while
// the tasks after it go on; the decisions stay in plan order among the
// tasks that are ready.
func (a *applier) createAll(ctx context.Context, creates []*TaskPlan, wg *sync.WaitGroup) {
	stopped := "" // why creation stopped, "" while it goes on
	queue := creates
	for len(queue) > 0 {
		var later []*TaskPlan
		for _, tp := range queue {
			if stopped == "" && ctx.Err() == nil && !a.saveFailed() && a.upstreamBusy(tp.Address) {
				later = append(later, tp)
				continue
			}
			a.createReady(ctx, tp, &stopped, wg)
		}
		if len(later) == len(queue) {
			// Nothing was ready: wait for a task to finish.
			select {
			case <-a.anyFinished:
			case <-ctx.Done():
			}
		}
		queue = later
	}
}

// upstreamBusy reports whether a task addr takes inputs from is still
// being created or waited for by this apply.
func (a *applier) upstreamBusy(addr string) bool {
	for _, up := range a.upstreamOf(addr) {
		if ch, ok := a.finished[up]; ok {
			select {
			case <-ch:
			default:
				return true
			}
		}
	}
	return false
}

// markFinished says that the task at addr is done, for its downstream
// tasks.
func (a *applier) markFinished(addr string) {
	once, ok := a.finishOnce[addr]
	if !ok {
		return
	}
	once.Do(func() {
		close(a.finished[addr])
		a.anyFinished <- struct{}{}
	})
}

// upstreamProblem says why a task may not be created because of a task it
// takes inputs from ("" when every one completed): the upstream failed,
// was not created, is pending or its outcome is unknown.
func (a *applier) upstreamProblem(addr string) string {
	for _, up := range a.upstreamOf(addr) {
		a.mu.Lock()
		var tr *TaskResult
		for _, r := range a.res.Tasks {
			if r.Address == up {
				tr = r
			}
		}
		rec := a.st.Tasks[up]
		_, unknown := a.st.Attempts[up]
		a.mu.Unlock()
		_, acted := a.finished[up]
		why := ""
		switch {
		case acted && tr != nil && (tr.Outcome == AppliedNotCreated || tr.Outcome == AppliedError && tr.ID == ""):
			why = "was not created"
		case acted && tr != nil && tr.Outcome == AppliedFailed:
			why = "failed"
			if tr.ID != "" {
				why = "failed (task " + tr.ID + ")"
			}
		case acted && tr != nil && tr.Outcome == AppliedUnknownOutcome, unknown && rec == nil:
			why = "has a creation of unknown outcome"
		case acted && tr != nil && tr.Outcome == AppliedPending:
			why = "is still pending"
		case acted && tr != nil && tr.Outcome != AppliedCompleted && tr.Outcome != AppliedFilesSaved:
			why = "did not complete"
		case rec == nil:
			why = "is not recorded"
		case rec.Status == mynth.StatusFailed:
			why = "failed (task " + rec.ID + ")"
		case rec.Status != mynth.StatusCompleted:
			why = "is " + string(rec.Status) + " (task " + rec.ID + ")"
		}
		if why != "" {
			return fmt.Sprintf("Not created: its input %s %s. The tasks that do not depend on it went on; fix %s and run apply again.", up, why, up)
		}
	}
	return ""
}

// createReady decides about one task whose upstream tasks are done, and
// creates it unless creation has stopped (stopped says why, and is set
// here when the budget or Ctrl-C stops it).
func (a *applier) createReady(ctx context.Context, tp *TaskPlan, stopped *string, wg *sync.WaitGroup) {
	tr := a.addResult(tp)
	created := false
	defer func() {
		if !created {
			a.markFinished(tp.Address)
		}
	}()
	if *stopped == "" && ctx.Err() != nil {
		*stopped = "interrupted"
	}
	if *stopped == "" && a.saveFailed() {
		*stopped = "state"
	}
	if *stopped != "" {
		a.notCreated(tr, *stopped)
		return
	}
	if msg := a.upstreamProblem(tp.Address); msg != "" {
		a.notCreatedBecause(tr, msg)
		return
	}
	req := a.request(tp)
	if req == nil {
		a.failUncreated(tr, "The plan holds no request to send for this task.")
		return
	}
	if why := a.resolveInputs(ctx, tp.Address, req); why != "" {
		a.failUncreated(tr, "Not created: an input could not be resolved: "+why+".")
		return
	}
	{
		// Refuse before paying for images that could not be saved.
		if bad := a.refusedFiles(tp.Address); bad != "" {
			a.failUncreated(tr, "Not created: "+bad+". Fix its files in the spec, then run apply again.")
			return
		}
		if stop := a.admitCreation(ctx, tp.Address, *req); stop != "" {
			*stopped = stop
			a.notCreated(tr, *stopped)
			return
		}
		// Take a place in the creation window here, and the API slot
		// after the creation before this one took its own, so that
		// creations start in plan order.
		a.awaitWindowBurst(ctx)
		select {
		case a.window <- struct{}{}:
		case <-ctx.Done():
			a.guard.settle(tp.Address, nil, true)
			*stopped = "interrupted"
			a.notCreated(tr, *stopped)
			return
		}
		turn := &creationTurn{prev: a.lastTurn, mine: make(chan struct{})}
		a.lastTurn = turn.mine
		created = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer a.markFinished(tp.Address)
			// Whatever became of it, a task not settled by now may
			// exist and will not finish in this run.
			defer a.guard.settle(tp.Address, nil, false)
			defer turn.taken()
			a.createOne(ctx, tp, tr, *req, nil, turn)
		}()
	}
}

// awaitWindowBurst waits, when the creation window is full, until a
// burst of places is free (a quarter of it), so that the write-ahead
// records of the creations that take them share one write.
func (a *applier) awaitWindowBurst(ctx context.Context) {
	burst := max(1, cap(a.window)/4)
	if len(a.window) < cap(a.window) {
		return
	}
	for cap(a.window)-len(a.window) < burst {
		select {
		case <-a.windowLeft:
		case <-ctx.Done():
			return
		}
	}
}

// notCreatedBecause records that tr's task was not created, for reason
// msg (a full sentence), which does not stop the other creations.
func (a *applier) notCreatedBecause(tr *TaskResult, msg string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	tr.Outcome, tr.Message = AppliedNotCreated, msg
	a.progress.TaskFinished(a.eventLocked(tr, true))
}

// admitCreation asks the budget guard whether the task at addr may be
// created, waiting (and saying why on the progress line) while a task of
// unknown price must finish first. It returns why creation stops
// ("budget", "interrupted"), "" when the task may be created.
func (a *applier) admitCreation(ctx context.Context, addr string, req mynth.Request) string {
	priced := &req
	if st := a.specTask(addr); st != nil && (st.Sensitive["model"] || st.Sensitive["count"]) {
		priced = nil // as the plan: no price is looked up for it
	}
	msg, stop := a.guard.admit(ctx, addr, priced, a.opts.Wait, a.creationWaits)
	if stop == "budget" {
		a.mu.Lock()
		a.res.BudgetMessage = msg
		a.mu.Unlock()
	}
	return stop
}

// creationWaits tells the progress display why creation waits.
func (a *applier) creationWaits(why string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if w, ok := a.progress.(CreationWaitSink); ok {
		w.CreationWaits(a.eventLocked(&TaskResult{}, false), why)
	}
}

// failUncreated records that tr's task was not created because of a
// problem of its own (msg), which does not stop the other creations.
func (a *applier) failUncreated(tr *TaskResult, msg string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	tr.Outcome, tr.Message = AppliedError, msg
	a.progress.TaskFinished(a.eventLocked(tr, true))
}

// refusedFiles checks the files declared for addr against the filesystem
// and says why one is refused, "" when every one may be written.
func (a *applier) refusedFiles(addr string) string {
	paths := a.specFiles(addr)
	if len(paths) == 0 {
		return ""
	}
	files, err := a.openFiles()
	if err != nil {
		return err.Error()
	}
	reserved := a.stateFiles(files)
	for _, p := range paths {
		if _, err := a.checkImagePath(files, p, reserved); err != nil {
			return err.Error()
		}
	}
	return ""
}

// notCreated records that tp's task was not created, and why.
func (a *applier) notCreated(tr *TaskResult, why string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	tr.Outcome = AppliedNotCreated
	switch why {
	case "budget":
		tr.Message = "Not created: the budget guard stopped creating tasks."
		a.res.NotCreated = append(a.res.NotCreated, tr.Address)
	case "interrupted":
		tr.Message = "Not created: apply was interrupted."
	case "state":
		tr.Message = "Not created: the state could not be saved, so no more tasks are created."
	}
	a.progress.TaskFinished(a.eventLocked(tr, true))
}

// saveFailed reports whether a state save has failed.
func (a *applier) saveFailed() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.saveErr != nil
}

// request returns the request to send for tp: the plan's, its redacted
// fields taken from the spec, else the spec's; nil when neither has one.
func (a *applier) request(tp *TaskPlan) *mynth.Request {
	st := a.specTask(tp.Address)
	switch {
	case tp.Request != nil && len(tp.RequestRedacted) == 0:
		r := *tp.Request
		return &r
	case tp.Request != nil && st != nil:
		r := *tp.Request
		setRequestFields(&r, st.Request, tp.RequestRedacted)
		return &r
	case tp.Request == nil && st != nil:
		r := st.Request
		return &r
	}
	return nil
}

// creationTurn is a creation's place in plan order: the creation before
// it closes prev once it has taken its API slot (prev is nil for the
// first), and this one closes mine when it has taken its own, or will not.
// The order is that of the slots taken: creations that hold slots at
// once send their requests concurrently, in no set order among them.
type creationTurn struct {
	prev, mine chan struct{}
	once       sync.Once
}

// wait returns once the creation before this one took its API slot, or
// will not take one.
func (t *creationTurn) wait() {
	if t.prev != nil {
		<-t.prev
	}
}

// taken says that the creation took its API slot, or will not take one;
// not before the one before it did, so that the order holds.
func (t *creationTurn) taken() {
	t.once.Do(func() {
		t.wait()
		close(t.mine)
	})
}

// createOne writes the write-ahead record of the creation, sends the
// creation request, replaces the record with the new task, and goes on
// to wait for it once that is on disk. It holds the place in the creation window
// createReady took until the request is answered, and takes the API slot
// for the request only once the record is on disk: a creation waiting for
// a state write keeps no API call (a poll, a download) from going out,
// while no more than parallelism records of requests not yet answered
// are ever on disk. releaseGate is called once its price is known or
// cannot be learned.
//
// The record is on disk before the request is sent: a creation whose
// answer never comes (or whose answer dies with a killed apply) stays in
// the state as a creation of unknown outcome, which plan reports and no
// apply repeats by itself. Records of creations started together share
// one write (save is a group commit); the record of a created task waits
// a moment for others to share its write (saveSoon), since a crash
// meanwhile leaves the write-ahead record, which accounts for the task.
func (a *applier) createOne(ctx context.Context, tp *TaskPlan, tr *TaskResult, req mynth.Request, releaseGate func(), turn *creationTurn) {
	leave := sync.OnceFunc(func() {
		<-a.window
		select {
		case a.windowLeft <- struct{}{}:
		default:
		}
	})
	defer leave()
	if a.opts.API == nil {
		a.guard.settle(tp.Address, nil, true)
		a.failUncreated(tr, "No Mynth API is configured.")
		return
	}
	reqJSON, err := json.Marshal(req)
	if err != nil {
		a.guard.settle(tp.Address, nil, true)
		a.failUncreated(tr, fmt.Sprintf("Not created: encoding its request: %v.", err))
		return
	}
	at := &state.Attempt{ID: state.NewAttemptID(), Request: reqJSON, StartedAt: a.now().UTC().Format(time.RFC3339)}
	a.mu.Lock()
	if a.st.Attempts == nil {
		a.st.Attempts = map[string]*state.Attempt{}
	}
	a.st.Attempts[tp.Address] = at
	a.dirty = true
	a.mu.Unlock()
	err = a.save()
	slot := false
	if err == nil && ctx.Err() == nil {
		turn.wait()
		slot = a.acquire(ctx) == nil
		if slot && a.opts.onCreationSlot != nil {
			a.opts.onCreationSlot(tp.Address)
		}
		turn.taken()
	}
	if err != nil || !slot || ctx.Err() != nil {
		// Nothing was sent: the record goes, and nothing was paid.
		if slot {
			a.release()
		}
		a.guard.settle(tp.Address, nil, true)
		a.dropAttempt(tp.Address, at)
		if err != nil {
			a.failUncreated(tr, fmt.Sprintf("Not created: the state could not be saved before sending the request (%v), so nothing was sent and nothing was paid.", err))
		} else {
			a.notCreated(tr, "interrupted")
		}
		return
	}

	start := a.now()
	created, err := a.opts.API.Generate(ctx, req)
	a.release()
	leave()
	if p, ok := a.opts.Store.(secretProtector); ok && created.PublicAccessToken != "" {
		p.Protect(created.PublicAccessToken)
	}
	created.PublicAccessToken = "" // never kept, never stored
	if err != nil {
		a.mu.Lock()
		defer a.mu.Unlock()
		if errors.Is(err, mynth.ErrUnknownOutcome) || (ctx.Err() != nil && !applyIsRefusal(err)) {
			// The task may exist and cost money: the record stays, saying
			// why.
			why := unknownOutcomeReason(err)
			kept := *at
			kept.Error = why
			a.st.Attempts[tp.Address] = &kept
			a.dirty = true
			tr.Outcome = AppliedUnknownOutcome
			tr.Message = fmt.Sprintf("The creation request was sent but no usable answer came back (%s). It was not repeated: the task may exist and cost money, and the state keeps the request as a creation of unknown outcome (attempt %s), which plan reports until it is resolved. "+
				"Find the task in Mynth and run `mynthform import %s ID` to record it; if it does not exist, or to pay for a new one knowingly, run `mynthform apply --replace %s`.",
				why, at.ID, shellQuote(tp.Address), shellQuote(tp.Address))
			// The task may exist and cost money: its estimate stays in
			// flight for good.
			a.guard.settle(tp.Address, nil, false)
		} else {
			// Mynth refused it, or it was never sent: no task exists.
			if a.st.Attempts[tp.Address] == at {
				delete(a.st.Attempts, tp.Address)
				a.dirty = true
			}
			tr.Outcome = AppliedError
			tr.Message = fmt.Sprintf("Creating the task failed: %v.", err)
			a.guard.settle(tp.Address, nil, true)
		}
		a.progress.TaskFinished(a.eventLocked(tr, true))
		return
	}

	// The record becomes the task, before anything else.
	obs := &mynth.Task{ID: created.TaskID, Status: mynth.StatusPending, Request: &req}
	raw, _ := json.Marshal(map[string]any{"id": created.TaskID, "status": mynth.StatusPending, "request": json.RawMessage(reqJSON)})
	obs.Raw = raw
	rec, err := StateTaskFromObserved(obs)
	if err != nil {
		rec = &state.Task{ID: created.TaskID, Status: mynth.StatusPending, Request: reqJSON}
	}
	a.mu.Lock()
	if a.st.Attempts[tp.Address] == at {
		delete(a.st.Attempts, tp.Address)
	}
	if old := a.st.Tasks[tp.Address]; old != nil && old.ID != created.TaskID {
		// The replaced task was paid: it goes to the ledger.
		a.st.Supersede(tp.Address, state.SupersededReplaced, created.TaskID, a.stamp())
	}
	a.st.Tasks[tp.Address] = rec
	a.dirty = true
	tr.ID, tr.Status = created.TaskID, mynth.StatusPending
	if tp.Action == ActionReplace {
		a.res.Replaced++
	} else {
		a.res.Generated++
	}
	a.mu.Unlock()
	saveErr := a.saveSoon()
	a.mu.Lock()
	a.progress.TaskCreated(a.eventLocked(tr, false))
	a.mu.Unlock()
	if saveErr != nil {
		a.mu.Lock()
		tr.Outcome = AppliedError
		tr.Message = fmt.Sprintf("Task %s was created but the state could not be saved (%v). Run `mynthform import %s %s` to record it.", created.TaskID, saveErr, shellQuote(tp.Address), created.TaskID)
		a.progress.TaskFinished(a.eventLocked(tr, true))
		a.mu.Unlock()
		return
	}
	a.finishTask(ctx, tp, tr, start, true, releaseGate)
}

// dropAttempt removes the write-ahead record at addr when it is still at,
// for a request that was never sent.
func (a *applier) dropAttempt(addr string, at *state.Attempt) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.st.Attempts[addr] == at {
		delete(a.st.Attempts, addr)
		a.dirty = true
	}
}

// unknownOutcomeReason is why a creation's outcome is unknown, for the
// state's record: the client's error without the generic sentence of
// mynth.ErrUnknownOutcome.
func unknownOutcomeReason(err error) string {
	s := err.Error()
	s = strings.Replace(s, mynth.ErrUnknownOutcome.Error()+": ", "", 1)
	s = strings.Replace(s, "; "+mynth.ErrUnknownOutcome.Error(), "", 1)
	s = strings.Replace(s, ": "+mynth.ErrUnknownOutcome.Error(), "", 1)
	return s
}

// applyIsRefusal reports whether err is an answer from Mynth (an
// *APIError): the request was refused, so no task exists.
func applyIsRefusal(err error) bool {
	var apiErr *mynth.APIError
	return errors.As(err, &apiErr)
}

// finishTask waits for the task recorded at tp.Address (unless --wait=false),
// records its final observation, and saves its files. created is true for a
// task created by this apply: its cost counts as spent this run, and until
// it finishes its estimate stays in flight in the budget guard. release,
// when not nil, is called once the task's price is known or cannot be
// learned.
func (a *applier) finishTask(ctx context.Context, tp *TaskPlan, tr *TaskResult, start time.Time, created bool, release func()) {
	if release == nil {
		release = func() {}
	}
	a.mu.Lock()
	rec := a.st.Tasks[tp.Address]
	a.mu.Unlock()
	if rec == nil {
		release()
		return
	}
	id := rec.ID
	a.mu.Lock()
	tr.ID = id
	a.mu.Unlock()
	if !a.opts.Wait {
		// It may cost money and will not finish in this run.
		a.guard.settle(tp.Address, nil, false)
		release()
		a.mu.Lock()
		tr.Outcome, tr.Status, tr.wantPending = AppliedPending, mynth.StatusPending, true
		tr.Message = "Recorded as pending (--wait=false). Run `mynthform apply` later to wait for it and save its images."
		a.progress.TaskFinished(a.eventLocked(tr, true))
		a.mu.Unlock()
		return
	}
	// A task this apply did not create may be readable only through its
	// access token: the plan read it so, or there is no API key (which a
	// plan made without refresh cannot tell).
	pat, fallbackPAT := "", ""
	if st := a.specTask(tp.Address); st != nil && !created && st.AccessToken != "" {
		if tp.RequestVerifiable {
			fallbackPAT = st.AccessToken
		} else {
			pat = st.AccessToken
		}
	}
	task, err := a.wait(ctx, id, pat, fallbackPAT, rec)
	elapsed := a.now().Sub(start)
	badCost := false
	if err == nil {
		if cerr := CheckCost(task.Result); cerr != nil {
			err, badCost = cerr, true
		}
	}
	if err != nil {
		a.guard.settle(tp.Address, nil, false)
		release()
		a.mu.Lock()
		tr.Elapsed = elapsed
		tr.Status = mynth.StatusPending
		switch {
		case ctx.Err() != nil:
			tr.Outcome = AppliedPending
			tr.wantPending = true
			tr.Message = "Still pending: apply was interrupted. Run `mynthform apply` again to wait for it."
		case badCost:
			tr.Outcome = AppliedError
			tr.Message = fmt.Sprintf("Task %s finished, but Mynth reported %v, an amount it cannot have meant, so it is taken neither as a price nor as a cost (the budget counts the task at its estimate). It stays recorded as pending; ask Mynth about the task, then run `mynthform apply` again.", id, err)
		case errors.Is(err, errApplyWaitTimeout):
			tr.Outcome, tr.TimedOut = AppliedPending, true
			tr.Message = fmt.Sprintf("Still pending after %s (--wait-timeout). It stays recorded; run `mynthform apply` again to keep waiting.", a.opts.WaitTimeout)
		default:
			tr.Outcome = AppliedError
			tr.Message = fmt.Sprintf("Reading task %s failed: %v. It stays recorded as pending; run `mynthform apply` again.", id, err)
		}
		a.progress.TaskFinished(a.eventLocked(tr, true))
		a.mu.Unlock()
		return
	}

	newRec, err := StateTaskFromObserved(task)
	if err != nil {
		a.guard.settle(tp.Address, nil, false)
		release()
		a.mu.Lock()
		tr.Outcome, tr.Message = AppliedError, fmt.Sprintf("Recording task %s: %v.", id, err)
		a.progress.TaskFinished(a.eventLocked(tr, true))
		a.mu.Unlock()
		return
	}
	a.mu.Lock()
	if newRec.ID == rec.ID {
		newRec.Files = rec.Files
	}
	if len(newRec.Request) == 0 {
		newRec.Request = rec.Request
	}
	a.putLocked(tp.Address, newRec)
	tr.Elapsed = elapsed
	tr.Status = task.Status
	// The cost as read (CheckCost passed it), not decoded again from the
	// record made of it.
	tr.Cost = nil
	if task.Result != nil && task.Result.Cost != nil {
		c := task.Result.Cost.Total
		tr.Cost = &c
	}
	tr.Images = task.Result.SucceededCount()
	if created && tr.Cost != nil {
		a.res.Spent = a.res.Spent.Add(*tr.Cost)
	}
	// Learn first, so that a creation woken by settle sees the price.
	a.guard.learn(a.request(tp), task.Result)
	a.guard.settle(tp.Address, tr.Cost, true)
	switch task.Status {
	case mynth.StatusFailed:
		tr.Outcome = AppliedFailed
		tr.Message = "The task failed" + applyFailedImagesText(task.Result) + "."
	default:
		tr.Outcome = AppliedCompleted
	}
	a.mu.Unlock()
	// Written by the next write (at most saveInterval later).
	release()

	if task.Status == mynth.StatusCompleted {
		a.syncFiles(ctx, tp.Address, tr)
	}
	a.mu.Lock()
	a.progress.TaskFinished(a.eventLocked(tr, true))
	a.mu.Unlock()
}

// applyFailedImagesText describes failed images, "" when none failed.
func applyFailedImagesText(r *mynth.Result) string {
	if r == nil {
		return ""
	}
	n := 0
	for _, im := range r.Images {
		if im.Status == mynth.ImageFailed {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d image(s) failed)", n)
}

// eventLocked makes the progress event for tr; a.mu is held. finished
// counts tr as done.
func (a *applier) eventLocked(tr *TaskResult, finished bool) ProgressEvent {
	if finished {
		a.done++
	}
	return ProgressEvent{
		Task:  *tr,
		Done:  a.done,
		Total: a.total,
		Spent: a.res.Spent,
	}
}
