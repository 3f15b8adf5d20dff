package run

import (
	"time"

	"github.com/kompose-dev/kompose/pkg/plan"
)

// Reporter is told what happens while a plan runs. The reporters (text for
// people, JSON, metrics, pings) live in pkg/report and its subpackages;
// the runner only feeds them these events.
type Reporter interface {
	Begin(p *plan.Plan, dryRun bool)
	StackStart(s *plan.Stack, index, total int)
	// StepPlanned is called instead of StepStart and StepDone in a dry run.
	StepPlanned(s *plan.Stack, st *plan.Step)
	StepStart(s *plan.Stack, st *plan.Step)
	StepDone(s *plan.Stack, st *plan.Step, err error, d time.Duration)
	StepSkipped(s *plan.Stack, st *plan.Step)
	// StackDone is also called, without StackStart, for a stack that does
	// not run because a stack it waits for failed (r.Err is a
	// *BlockedError). With -j, calls about different stacks interleave
	// (never at the same time).
	StackDone(r StackResult)
	End(r *Result)
}

// StackScoped is implemented by reporters whose lines, while f runs, are
// about stack st and carry its prefix (the text for people, when stacks
// run at once).
type StackScoped interface {
	ForStack(st *plan.Stack, f func())
}
