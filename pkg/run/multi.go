package run

import (
	"time"

	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/plan"
)

// Multi passes every event to each of its reporters, in order: the text
// for people, and the report, metrics and pings of the same run. It also
// passes on the optional interfaces ([EnvReporter], [Waiter], and the
// stack prefix of parallel runs) to the reporters that implement them: a
// new optional interface must be added here too.
type Multi []Reporter

// Begin implements [Reporter].
func (m Multi) Begin(p *plan.Plan, dryRun bool) {
	for _, r := range m {
		r.Begin(p, dryRun)
	}
}

// StackStart implements [Reporter].
func (m Multi) StackStart(s *plan.Stack, index, total int) {
	for _, r := range m {
		r.StackStart(s, index, total)
	}
}

// StepPlanned implements [Reporter].
func (m Multi) StepPlanned(s *plan.Stack, st *plan.Step) {
	for _, r := range m {
		r.StepPlanned(s, st)
	}
}

// StepStart implements [Reporter].
func (m Multi) StepStart(s *plan.Stack, st *plan.Step) {
	for _, r := range m {
		r.StepStart(s, st)
	}
}

// StepDone implements [Reporter].
func (m Multi) StepDone(s *plan.Stack, st *plan.Step, err error, d time.Duration) {
	for _, r := range m {
		r.StepDone(s, st, err, d)
	}
}

// StepSkipped implements [Reporter].
func (m Multi) StepSkipped(s *plan.Stack, st *plan.Step) {
	for _, r := range m {
		r.StepSkipped(s, st)
	}
}

// StackDone implements [Reporter].
func (m Multi) StackDone(sr StackResult) {
	for _, r := range m {
		r.StackDone(sr)
	}
}

// End implements [Reporter].
func (m Multi) End(res *Result) {
	for _, r := range m {
		r.End(res)
	}
}

// HookEnv implements [EnvReporter] for the reporters that do.
func (m Multi) HookEnv(s *plan.Stack, st *plan.Step, vars []hooks.Assignment, problems []string) {
	for _, r := range m {
		if er, ok := r.(EnvReporter); ok {
			er.HookEnv(s, st, vars, problems)
		}
	}
}

// StackWaiting implements [Waiter] for the reporters that do.
func (m Multi) StackWaiting(s *plan.Stack, what string) {
	for _, r := range m {
		if w, ok := r.(Waiter); ok {
			w.StackWaiting(s, what)
		}
	}
}

// ForStack implements [StackScoped]: it runs f once, with the lines of the
// reporter that prefixes them (the text) carrying st's prefix.
func (m Multi) ForStack(st *plan.Stack, f func()) {
	for _, r := range m {
		if sc, ok := r.(StackScoped); ok {
			sc.ForStack(st, f)
			return
		}
	}
	f()
}
