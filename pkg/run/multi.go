package run

import (
	"time"

	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/plan"
)

// Multi passes every event to each of its reporters, in order: the text
// for people, and the report, metrics and pings of the same run.
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
