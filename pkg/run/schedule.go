package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/lock"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
)

// The scheduler walks the plan's order (plan.Order): a stack starts once
// every stack it waits for (Order.After) has succeeded or been skipped;
// one whose dependency failed does not run and counts as failed
// ([BlockedError]). With Parallel > 1, up to Parallel stacks run at
// once, each in a goroutine of its own, the ready ones taken in plan
// order; with 1 (the default) they run one after the other in plan order,
// as they always did. After an interrupt nothing new starts.
//
// Around each stack of a command that can change it, the stack's lock
// (<stack>/.kompose.lock, pkg/lock) is held; a stack of `up` that others
// depend on is, after its steps, waited for until its services are up
// and healthy (health.go) before it counts as succeeded.

// Waiter is implemented by reporters that say what a stack waits for
// (another run's lock, a dependency's health). It is optional: a
// [Reporter] that does not implement it is told nothing.
type Waiter interface {
	StackWaiting(s *plan.Stack, what string)
}

// BlockedError is the error of a stack that did not run because a stack
// it waits for failed.
type BlockedError struct {
	On      *plan.Stack
	Reverse bool // On depends on the stack (a command taking stacks down)
}

func (e *BlockedError) Error() string {
	if e.Reverse {
		return fmt.Sprintf("not run: %s depends on it and failed", e.On.Name)
	}
	return fmt.Sprintf("not run: depends on %s, which failed", e.On.Name)
}

// schedule runs p's stacks in its order and returns their results in plan
// order.
func (r *Runner) schedule(ctx context.Context, p *plan.Plan, res *Result) {
	sc := newScheduler(r, p)
	if r.Parallel <= 1 || r.DryRun {
		sc.serial(ctx)
	} else {
		sc.parallel(ctx)
	}
	res.Stacks = append(res.Stacks, sc.results...)
}

// The states of a stack in the scheduler.
const (
	waiting = iota
	running
	finished
)

// scheduler is one walk of a plan's order: the state and result of each
// stack, and, with -j, the stacks running.
type scheduler struct {
	r       *Runner
	p       *plan.Plan
	index   map[*plan.Stack]int
	results []StackResult
	state   []int
	done    chan int // a running stack's index, when it ends
	active  int      // how many stacks run
}

func newScheduler(r *Runner, p *plan.Plan) *scheduler {
	n := len(p.Stacks)
	sc := &scheduler{r: r, p: p, index: make(map[*plan.Stack]int, n), results: make([]StackResult, n),
		state: make([]int, n), done: make(chan int)}
	for i, s := range p.Stacks {
		sc.index[s] = i
	}
	return sc
}

// ready says whether stack i may start now; blocked is the failed stack
// that keeps it from ever running.
func (sc *scheduler) ready(i int) (ok bool, blocked *plan.Stack) {
	if sc.p.Order == nil {
		return true, nil
	}
	for _, a := range sc.p.Order.After[sc.p.Stacks[i]] {
		j := sc.index[a]
		if sc.state[j] != finished {
			return false, nil
		}
		if st := sc.results[j].Status; st != Succeeded && st != Skipped {
			return false, a
		}
	}
	return true, nil
}

// notRun settles stack i as not reached (an interrupt).
func (sc *scheduler) notRun(i int) {
	sc.state[i] = finished
	sc.results[i] = StackResult{Stack: sc.p.Stacks[i], Status: NotRun}
}

// block settles stack i as failed because on, which it waits for, failed.
func (sc *scheduler) block(i int, on *plan.Stack) {
	sc.state[i] = finished
	s := sc.p.Stacks[i]
	sc.r.win.drop(s) // hooks of s started ahead will not run
	sc.results[i] = StackResult{Stack: s, Status: Failed, Err: &BlockedError{On: on, Reverse: sc.p.Order.Reverse}}
	sc.r.Reporter.StackDone(sc.results[i])
}

// serial runs the stacks one after the other, in plan order.
func (sc *scheduler) serial(ctx context.Context) {
	n := len(sc.p.Stacks)
	for i, s := range sc.p.Stacks {
		if ctx.Err() != nil {
			sc.notRun(i)
			continue
		}
		if _, on := sc.ready(i); on != nil {
			sc.block(i, on)
			continue
		}
		sc.r.Reporter.StackStart(s, i, n)
		sc.results[i] = sc.r.job(ctx, sc.p, s)
		sc.state[i] = finished
		sc.r.Reporter.StackDone(sc.results[i])
	}
}

// parallel runs up to Parallel stacks at once, within the order.
func (sc *scheduler) parallel(ctx context.Context) {
	for {
		// Start what may start, and settle what never will, until
		// nothing changes.
		for sc.startReady(ctx) {
		}
		if sc.active == 0 {
			return
		}
		select {
		case i := <-sc.done:
			sc.active--
			sc.state[i] = finished
		case <-ctx.Done():
			// Nothing new starts; what runs ends by the signal relayed
			// to it.
			for i := range sc.state {
				if sc.state[i] == waiting {
					sc.notRun(i)
				}
			}
			for ; sc.active > 0; sc.active-- {
				sc.state[<-sc.done] = finished
			}
		}
	}
}

// startReady starts each waiting stack that may start while fewer than
// Parallel run, and settles those that never will; it reports whether
// it settled any (which may make others ready).
func (sc *scheduler) startReady(ctx context.Context) (changed bool) {
	for i, s := range sc.p.Stacks {
		if sc.state[i] != waiting {
			continue
		}
		if ctx.Err() != nil {
			sc.notRun(i)
			changed = true
			continue
		}
		ok, on := sc.ready(i)
		if on != nil {
			sc.block(i, on)
			changed = true
			continue
		}
		if !ok || sc.active >= sc.r.Parallel {
			continue
		}
		sc.state[i] = running
		sc.active++
		sc.r.Reporter.StackStart(s, i, len(sc.p.Stacks))
		go func(i int, s *plan.Stack) {
			sr := sc.r.job(ctx, sc.p, s)
			sc.r.Reporter.StackDone(sr)
			sc.results[i] = sr
			sc.done <- i
		}(i, s)
	}
	return changed
}

// job runs one stack: its lock held, its steps, and, when others wait for
// it to be healthy, that wait.
func (r *Runner) job(ctx context.Context, p *plan.Plan, s *plan.Stack) StackResult {
	o := p.Order
	if r.DryRun || o == nil || s.Err != nil || s.Skip != "" {
		sr := r.runStack(ctx, s)
		r.closeOut(s)
		return sr
	}
	var locked time.Duration // the time spent waiting for the lock
	if o.Locks {
		t0 := r.Clock.Now()
		l, err := r.lock(ctx, p, s)
		locked = r.Clock.Now().Sub(t0)
		if err != nil {
			sr := StackResult{Stack: s, Status: Failed, Err: err, Duration: locked}
			if ctx.Err() != nil {
				sr.Status = Interrupted
			}
			return sr
		}
		defer l.Release()
	}
	sr := r.runStack(ctx, s)
	sr.Duration += locked
	if sr.Status == Succeeded && o.Gated(s) {
		t0 := r.Clock.Now()
		err := r.waitHealthy(ctx, s, o.WaitTimeout)
		sr.Duration += r.Clock.Now().Sub(t0)
		if err != nil {
			sr.Status, sr.Err = Failed, err
			if ctx.Err() != nil {
				sr.Status = Interrupted
			}
		}
	}
	r.closeOut(s)
	return sr
}

// lock takes s's lock, saying so when another run holds it. A lock held
// by the kompose that runs this one (a hook calling kompose) is not
// waited for: this run is part of that one.
func (r *Runner) lock(ctx context.Context, p *plan.Plan, s *plan.Stack) (*lock.Lock, error) {
	path := filepath.Join(s.Dir, plan.LockFile)
	what := "kompose " + p.Command
	acquire := lock.Acquire
	if p.Order.SharedLock {
		acquire = lock.AcquireShared
	}
	l, err := acquire(ctx, path, 0, what)
	var busy *lock.BusyError
	if !errors.As(err, &busy) {
		return l, err
	}
	if lock.IsAncestor(lock.HolderPID(busy.Holder)) {
		return nil, nil
	}
	if p.Order.LockTimeout <= 0 {
		return nil, err
	}
	holder := busy.Holder
	if holder == "" {
		holder = "another kompose run"
	}
	r.waiting(s, fmt.Sprintf("waiting up to %s for the lock of %s, held by %s", p.Order.LockTimeout, s.Name, holder))
	return acquire(ctx, path, p.Order.LockTimeout, what)
}

// waiting tells the reporter what s waits for.
func (r *Runner) waiting(s *plan.Stack, what string) {
	if w, ok := r.Reporter.(Waiter); ok {
		w.StackWaiting(s, what)
	}
}

// syncReporter serialises the calls of the stacks running at once.
type syncReporter struct {
	mu sync.Mutex
	r  Reporter
}

// at runs f, a call about stack st; a text reporter's lines then carry
// the stack's prefix.
func (s *syncReporter) at(st *plan.Stack, f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sc, ok := s.r.(StackScoped); ok {
		sc.ForStack(st, f)
		return
	}
	f()
}

func (s *syncReporter) Begin(p *plan.Plan, dryRun bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.r.Begin(p, dryRun)
}

func (s *syncReporter) StackStart(st *plan.Stack, index, total int) {
	s.at(st, func() { s.r.StackStart(st, index, total) })
}

func (s *syncReporter) StepPlanned(st *plan.Stack, step *plan.Step) {
	s.at(st, func() { s.r.StepPlanned(st, step) })
}

func (s *syncReporter) StepStart(st *plan.Stack, step *plan.Step) {
	s.at(st, func() { s.r.StepStart(st, step) })
}

func (s *syncReporter) StepDone(st *plan.Stack, step *plan.Step, err error, d time.Duration) {
	s.at(st, func() { s.r.StepDone(st, step, err, d) })
}

func (s *syncReporter) StepSkipped(st *plan.Stack, step *plan.Step) {
	s.at(st, func() { s.r.StepSkipped(st, step) })
}

func (s *syncReporter) StackDone(r StackResult) {
	s.at(r.Stack, func() { s.r.StackDone(r) })
}

func (s *syncReporter) End(r *Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.r.End(r)
}

// HookEnv implements [EnvReporter] for the reporters that do: without
// it, what hooks pass on would go unreported (and unmasked in pings)
// when stacks run at once.
func (s *syncReporter) HookEnv(st *plan.Stack, step *plan.Step, vars []hooks.Assignment, problems []string) {
	if er, ok := s.r.(EnvReporter); ok {
		s.at(st, func() { er.HookEnv(st, step, vars, problems) })
	}
}

func (s *syncReporter) StackWaiting(st *plan.Stack, what string) {
	if w, ok := s.r.(Waiter); ok {
		s.at(st, func() { w.StackWaiting(st, what) })
	}
}

// syncWriter passes each Write on whole, one at a time: the lines of
// stacks running at once never mix within a line.
type syncWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (s syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

// SyncIO returns ios with each Write to Out and ErrOut passed on whole and
// one at a time, for runs whose stacks write at once (-j).
func SyncIO(ios *output.IOStreams) *output.IOStreams {
	c := *ios
	mu := &sync.Mutex{}
	c.Out, c.ErrOut = syncWriter{mu, ios.Out}, syncWriter{mu, ios.ErrOut}
	return &c
}

// parallelIO makes the reporter safe for stacks running at once.
func (r *Runner) parallelIO() {
	if _, ok := r.Reporter.(*syncReporter); !ok {
		r.Reporter = &syncReporter{r: r.Reporter}
	}
}

// prefixFor is the prefix of s's lines on stdout and stderr.
func (r *Runner) prefixFor(s *plan.Stack) [2]string {
	return [2]string{r.IO.StyleFor(r.IO.OutTTY).StackPrefix(s.Name), r.IO.StyleFor(r.IO.ErrTTY).StackPrefix(s.Name)}
}
