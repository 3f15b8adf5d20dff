// Package run executes a plan, or walks it without executing anything for a
// dry run, and reports what happens to a [Reporter].
//
// Stacks run in the plan's order (plan.Order), one after the other, or up
// to Parallel at once (see schedule.go: dependencies, blocked dependents,
// per-stack locks, health gating). Within a stack the steps run
// in order; the first failing step stops the stack (a failing pre hook
// means the command does not run; a post hook runs only after the command
// succeeded). When a pre hook or the command failed, the stack's fail hooks
// ([plan.OnFailure] steps) then run, each of them, with the exit status of
// what failed; their own failures are reported but the stack's error stays
// the first one. A failing stack does not stop the others; an interrupt
// does, and no fail hook runs after it.
//
// Hooks are told at run time what only the run knows: KOMPOSE_RUNTIME and
// KOMPOSE_EXIT_CODE (through the start gate for hooks started ahead), and
// executable hooks get the same facts as JSON on their standard input.
// Right before a hook starts, its files must still be the ones the plan
// checked (hooks.UnchangedFiles). Each hook gets a fresh $KOMPOSE_ENV file;
// what a successful hook writes there reaches the later steps of its stack.
// A hooks.sh hook whose function is not defined after sourcing is reported
// as skipped, not failed.
package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
)

// Clock tells the time; tests replace it.
type Clock interface{ Now() time.Time }

// SystemClock is the real clock.
type SystemClock struct{}

// Now implements [Clock].
func (SystemClock) Now() time.Time { return time.Now() }

// Status is the outcome of one stack.
type Status int

// The outcomes of a stack.
const (
	Succeeded Status = iota
	Failed
	Interrupted
	NotRun  // not reached because of an interrupt
	Skipped // the command does not apply to the stack (plan.Stack.Skip)
)

// StackResult is what happened to one stack.
type StackResult struct {
	Stack    *plan.Stack
	Status   Status
	Err      error // the first failure
	Duration time.Duration
}

// Result is what happened to every stack.
type Result struct {
	DryRun      bool
	Stacks      []StackResult
	Interrupted bool
}

// Skipped returns how many stacks were skipped.
func (r *Result) Skipped() int {
	n := 0
	for _, s := range r.Stacks {
		if s.Status == Skipped {
			n++
		}
	}
	return n
}

// Count returns how many stacks succeeded and failed (interrupted stacks
// count as failed; skipped stacks count as neither).
func (r *Result) Count() (succeeded, failed int) {
	for _, s := range r.Stacks {
		switch s.Status {
		case Succeeded:
			succeeded++
		case Failed, Interrupted:
			failed++
		}
	}
	return succeeded, failed
}

// Summary is the run's one-line count: "2 succeeded, 1 failed out of 3
// stacks" ("out of 1 stack" for one).
func (r *Result) Summary() string {
	ok, failed := r.Count()
	return fmt.Sprintf("%d succeeded, %d failed out of %s", ok, failed, output.Plural(len(r.Stacks), "stack", "stacks"))
}

// ExitCode is kompose's exit status for r: 0 when every stack succeeded, 1
// when one failed, 130 when interrupted.
func (r *Result) ExitCode() int {
	if r.Interrupted {
		return 130
	}
	if _, failed := r.Count(); failed > 0 {
		return 1
	}
	return 0
}

// Runner runs plans.
type Runner struct {
	Proc     proc.Runner
	IO       *output.IOStreams
	Reporter Reporter
	Clock    Clock
	DryRun   bool
	// Lookahead is how many steps ahead gated steps (hooks.sh hooks) are
	// started when Proc can start them ahead (see [Prestarter]); 0 starts
	// each step in its turn.
	Lookahead int
	// Prefix prefixes each line a stack's processes print with the
	// stack's name ("blog | "), on stdout and stderr alike (see
	// [output.PrefixWriter]).
	Prefix bool
	// Engines, when set, checks each stack's engine before the stack's
	// first step (see [Engines]).
	Engines EngineChecker
	// Parallel is how many stacks may run at once (-j); 0 and 1 run them
	// one after the other. See schedule.go.
	Parallel int
	// StackOutput, when set and lines are prefixed, returns a writer
	// that also gets every line s's processes print, as printed (nil for
	// none): the body of s's own pings when stacks run at once.
	StackOutput func(s *plan.Stack) io.Writer

	// mu guards reports and outs while stacks run at once.
	mu  sync.Mutex
	win *window
	// hookEnv holds the $KOMPOSE_ENV files of this run's hooks.
	hookEnv hookEnvDir
	// reports are where hooks.sh hooks report whether their function ran
	// (proc.Cmd.Report), by step.
	reports map[*plan.Step]*bytes.Buffer
	outs    map[*plan.Stack]*stackOut
}

// stackOut are the prefixed streams of one stack: pipes whose write ends
// every process of the stack gets (see [output.LinePipe]), or, when no
// pipe could be made, the prefix writers themselves.
type stackOut struct {
	pipes    []*output.LinePipe
	out, err io.Writer
	writers  []*output.PrefixWriter
}

// Run executes p, or only reports it when r.DryRun is set.
func (r *Runner) Run(ctx context.Context, p *plan.Plan) *Result {
	res := &Result{DryRun: r.DryRun}
	ps, _ := r.Proc.(Prestarter)
	if r.DryRun || r.Parallel > 1 {
		ps = nil // the start-ahead window follows one stack at a time
	}
	if r.Parallel > 1 && !r.DryRun {
		r.parallelIO()
	}
	r.reports = map[*plan.Step]*bytes.Buffer{}
	r.outs = map[*plan.Stack]*stackOut{}
	r.win = newWindow(ps, r.Lookahead, p, r.cmdFor)
	defer func() {
		r.win.close()
		for s := range r.outs {
			r.closeOut(s)
		}
	}()
	defer r.hookEnv.remove()
	r.Reporter.Begin(p, r.DryRun)
	r.schedule(ctx, p, res)
	for _, sr := range res.Stacks {
		if sr.Status == Interrupted || sr.Status == NotRun {
			res.Interrupted = true
		}
	}
	if ctx.Err() != nil && !r.DryRun {
		// A signal arrived while the last step ran and it still
		// succeeded: the run was interrupted all the same.
		res.Interrupted = true
	}
	r.Reporter.End(res)
	return res
}

// runStack runs one stack: its steps in order, then, when a step before
// the post hooks failed, its failure hooks.
func (r *Runner) runStack(ctx context.Context, s *plan.Stack) (sr StackResult) {
	start := r.Clock.Now()
	defer func() { sr.Duration = r.Clock.Now().Sub(start) }()
	if sr, done := r.beforeSteps(ctx, s); done {
		return sr
	}
	sx := &stackRun{sr: StackResult{Stack: s, Status: Succeeded}, passed: &passedEnv{}}
	for i := range s.Steps {
		if st := &s.Steps[i]; st.When != plan.OnFailure {
			r.step(ctx, s, st, sx)
		}
	}
	if sx.failed == nil || sx.failed.Phase == hooks.Post || sx.sr.Status == Interrupted {
		return sx.sr
	}
	if sx.failed.Kind != plan.KindCommand {
		sx.runtime = nil // the command did not run
	}
	for i := range s.Steps {
		if st := &s.Steps[i]; st.When == plan.OnFailure {
			r.failureStep(ctx, s, st, sx)
		}
	}
	return sx.sr
}

// stackRun is what running a stack's steps has come to so far.
type stackRun struct {
	sr       StackResult
	failed   *plan.Step // the first step that failed
	runtime  *int64     // how long the command took, once it ran
	exitCode int        // the failed step's
	passed   *passedEnv // what hooks passed on through $KOMPOSE_ENV
}

// beforeSteps settles a stack that runs no step: one that cannot run, is
// skipped, is only planned (a dry run), or whose engine does not answer.
// done is false when its steps are to run.
func (r *Runner) beforeSteps(ctx context.Context, s *plan.Stack) (sr StackResult, done bool) {
	sr = StackResult{Stack: s, Status: Succeeded}
	switch {
	case s.Err != nil:
		sr.Status, sr.Err = Failed, s.Err
		return sr, true
	case s.Skip != "":
		sr.Status = Skipped
		return sr, true
	case r.DryRun:
		for i := range s.Steps {
			r.Reporter.StepPlanned(s, &s.Steps[i])
		}
		return sr, true
	case r.Engines == nil:
		return sr, false
	}
	if err := r.Engines.CheckEngine(ctx, s); err != nil {
		r.win.drop(s) // hooks started ahead never run
		sr.Status, sr.Err = Failed, err
		if ctx.Err() != nil {
			sr.Status = Interrupted
		}
		return sr, true
	}
	return sr, false
}

// step runs one step of the stack's normal course, or reports it skipped
// once a step before it failed or the run was interrupted.
func (r *Runner) step(ctx context.Context, s *plan.Stack, st *plan.Step, sx *stackRun) {
	if sx.sr.Status != Succeeded || st.Skip != "" {
		r.Reporter.StepSkipped(s, st)
		return
	}
	if err := context.Cause(ctx); err != nil {
		// Interrupted after the previous step succeeded (its process
		// handled the signal and exited 0): start nothing more.
		sx.sr.Status, sx.sr.Err = Interrupted, err
		r.win.drop(s)
		r.Reporter.StepSkipped(s, st)
		return
	}
	r.Reporter.StepStart(s, st)
	t0 := r.Clock.Now()
	err := r.runStep(ctx, s, st, sx.runtime, nil, sx.passed)
	r.flush(s)
	d := r.Clock.Now().Sub(t0)
	if st.Kind == plan.KindCommand {
		sx.runtime = hooks.Seconds(d)
	}
	if r.notDefined(s, st, err) {
		return
	}
	r.Reporter.StepDone(s, st, err, d)
	if err == nil {
		return
	}
	sx.sr.Err = &StepError{Step: st, Err: err}
	sx.sr.Status = Failed
	if ctx.Err() != nil {
		sx.sr.Status = Interrupted
	}
	r.win.drop(s)
	sx.failed, sx.exitCode = st, proc.ExitCode(err)
}

// failureStep runs one failure hook, told the failed step's exit status.
// Its own failure is reported, and does not change the stack's result.
func (r *Runner) failureStep(ctx context.Context, s *plan.Stack, st *plan.Step, sx *stackRun) {
	if st.Skip != "" || ctx.Err() != nil {
		r.Reporter.StepSkipped(s, st)
		return
	}
	r.Reporter.StepStart(s, st)
	t0 := r.Clock.Now()
	err := r.runStep(ctx, s, st, sx.runtime, &sx.exitCode, sx.passed)
	r.flush(s)
	if r.notDefined(s, st, err) {
		return
	}
	if err != nil {
		err = &AfterFailureError{Err: err, First: sx.sr.Err}
	}
	r.Reporter.StepDone(s, st, err, r.Clock.Now().Sub(t0))
}

// runStep runs one step. For a hook, runtime and exitCode, when known, are
// added to what the hook is told. passed holds what earlier hooks of the
// stack passed on through $KOMPOSE_ENV: it reaches this step, and what
// this hook passes on is added to it.
func (r *Runner) runStep(ctx context.Context, s *plan.Stack, st *plan.Step, runtime *int64, exitCode *int, passed *passedEnv) error {
	if st.When != plan.OnFailure {
		r.win.advance(ctx, st)
	}
	cmd := r.cmdFor(s, st)
	if len(passed.environ) > 0 {
		if cmd.Gate {
			cmd.GateEnv = append(cmd.GateEnv[:len(cmd.GateEnv):len(cmd.GateEnv)], passed.environ...)
		} else {
			cmd.Env = append(cmd.Env[:len(cmd.Env):len(cmd.Env)], passed.environ...)
		}
	}
	if st.Action != nil {
		ae := &plan.ActionEnv{Proc: r.Proc, Stack: s, Cmd: cmd}
		err := st.Action.Run(ctx, ae)
		passed.environ = append(passed.environ, ae.Passed...)
		return err
	}
	var envFile string
	if st.Hook != nil {
		info := st.Hook.Info
		if st.Phase != hooks.Pre {
			info.Runtime = runtime
		}
		info.ExitCode = exitCode
		if st.Hook.Executable() {
			cmd.Stdin = bytes.NewReader(info.JSON())
		}
		// Only the values known now: the dump file is in the
		// environment already.
		info.DumpFile = nil
		extra := info.RunEnviron()
		var err error
		if envFile, err = r.hookEnv.create(); err != nil {
			r.abort(st)
			return err
		}
		extra = append(extra, hooks.VarEnvFile+"="+envFile)
		if cmd.Gate {
			cmd.GateEnv = append(cmd.GateEnv[:len(cmd.GateEnv):len(cmd.GateEnv)], extra...)
		} else {
			cmd.Env = append(cmd.Env[:len(cmd.Env):len(cmd.Env)], extra...)
		}
		// What runs must be what was checked: the files of the hook
		// are still the ones the plan checked, right before it starts.
		if err := hooks.UnchangedFiles(st.Hook.Files); err != nil {
			r.abort(st)
			r.hookEnv.drop(envFile)
			return err
		}
	}
	err := r.start(ctx, st, cmd)
	if st.Hook == nil {
		return err
	}
	if !st.Hook.Executable() {
		err = st.Hook.Hook.Outcome(r.takeReport(st).Bytes(), err)
	}
	if err == nil {
		r.passOn(s, st, envFile, passed)
	}
	r.hookEnv.drop(envFile)
	return err
}

// start runs the process of st: the one started ahead, released now, or a
// new one.
func (r *Runner) start(ctx context.Context, st *plan.Step, cmd proc.Cmd) error {
	if started := r.win.take(st); started != nil {
		if err := ctx.Err(); err != nil {
			started.Abort()
			_ = started.Wait()
			return err
		}
		started.Release(cmd.GateEnv)
		return started.Wait()
	}
	return r.Proc.Run(ctx, cmd)
}

// abort ends the process of st started ahead, if any, without running it.
func (r *Runner) abort(st *plan.Step) {
	if started := r.win.take(st); started != nil {
		started.Abort()
		_ = started.Wait()
	}
	r.takeReport(st)
}

// notDefined reports a hooks.sh hook whose function turned out not to be
// defined after sourcing (err) as skipped, and says whether it was one.
func (r *Runner) notDefined(s *plan.Stack, st *plan.Step, err error) bool {
	var nd *hooks.NotDefinedError
	if !errors.As(err, &nd) {
		return false
	}
	c := *st
	c.Skip = nd.Error()
	r.Reporter.StepSkipped(s, &c)
	return true
}

// cmdFor returns the process of st with kompose's streams. A hook in a
// process group of its own (one with a timeout) would be stopped (SIGTTIN)
// reading the terminal: it reads nothing instead. Executable hooks read
// their JSON (see runStep).
func (r *Runner) cmdFor(s *plan.Stack, st *plan.Step) proc.Cmd {
	cmd := st.Cmd
	cmd.Stdin, cmd.Stdout, cmd.Stderr = r.IO.In, r.IO.Out, r.IO.ErrOut
	r.mu.Lock()
	defer r.mu.Unlock()
	if st.Hook != nil && !st.Hook.Executable() {
		b := r.reports[st]
		if b == nil {
			b = &bytes.Buffer{}
			r.reports[st] = b
		}
		cmd.Report = b
	}
	if r.Prefix {
		o := r.outs[s]
		if o == nil {
			var tap io.Writer
			if r.StackOutput != nil {
				tap = r.StackOutput(s)
			}
			o = newStackOut(r.IO, r.prefixFor(s), tap)
			r.outs[s] = o
		}
		cmd.Stdout, cmd.Stderr = o.out, o.err
	}
	if (cmd.OwnGroup || cmd.Timeout > 0) && isTerminal(cmd.Stdin) {
		cmd.Stdin = strings.NewReader("")
	}
	return cmd
}

// takeReport returns, and forgets, what the hooks.sh hook of st reported.
func (r *Runner) takeReport(st *plan.Step) *bytes.Buffer {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.reports[st]
	delete(r.reports, st)
	if b == nil {
		b = &bytes.Buffer{}
	}
	return b
}

func newStackOut(ios *output.IOStreams, prefix [2]string, tap io.Writer) *stackOut {
	stdout, stderr := ios.Out, ios.ErrOut
	if tap != nil {
		stdout, stderr = io.MultiWriter(stdout, tap), io.MultiWriter(stderr, tap)
	}
	o := &stackOut{writers: []*output.PrefixWriter{
		output.NewPrefixWriter(stdout, prefix[0]), output.NewPrefixWriter(stderr, prefix[1]),
	}}
	o.out, o.err = o.writers[0], o.writers[1]
	out, err1 := output.NewLinePipe(o.writers[0])
	if err1 != nil {
		return o // each process gets a pipe of its own (os/exec)
	}
	errp, err2 := output.NewLinePipe(o.writers[1])
	if err2 != nil {
		_ = out.Close()
		return o
	}
	o.pipes = []*output.LinePipe{out, errp}
	o.out, o.err = out.W, errp.W
	return o
}

// flush passes on everything s's step printed and ends the line it left
// without an end, when prefixing.
func (r *Runner) flush(s *plan.Stack) {
	r.mu.Lock()
	o := r.outs[s]
	r.mu.Unlock()
	if o == nil {
		return
	}
	for _, p := range o.pipes {
		_ = p.Sync()
	}
	for _, w := range o.writers {
		_ = w.Flush()
	}
}

// closeOut closes s's prefixed streams once nothing of s runs any more.
func (r *Runner) closeOut(s *plan.Stack) {
	r.mu.Lock()
	o := r.outs[s]
	delete(r.outs, s)
	r.mu.Unlock()
	if o == nil {
		return
	}
	for _, p := range o.pipes {
		_ = p.Close()
	}
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// AfterFailureError is the failure of a fail hook, which runs after the
// stack had already failed with First.
type AfterFailureError struct {
	Err   error
	First error
}

func (e *AfterFailureError) Error() string {
	return fmt.Sprintf("%v (after the first failure: %v)", e.Err, e.First)
}

func (e *AfterFailureError) Unwrap() error { return e.Err }

// StepError is the failure of one step.
type StepError struct {
	Step *plan.Step
	Err  error
}

func (e *StepError) Error() string {
	what := e.Step.Label
	if e.Step.Kind == plan.KindCommand && e.Step.Action == nil && len(e.Step.Args) > 0 {
		what += " " + e.Step.Args[0]
	}
	var ie *proc.InterruptedError
	if errors.As(e.Err, &ie) {
		return fmt.Sprintf("%s: %v", what, ie)
	}
	return fmt.Sprintf("%s failed: %v", what, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }
