package run

import (
	"context"
	"errors"
	"fmt"

	"github.com/kompose-dev/kompose/pkg/engine"
	"github.com/kompose-dev/kompose/pkg/plan"
)

// EngineChecker is asked, right before a stack's first step, whether the
// engine the stack targets answers; an error fails the stack without
// running any of its steps (no hook either: a hook talking to a host that
// is down would hang the same way).
type EngineChecker interface {
	CheckEngine(ctx context.Context, s *plan.Stack) error
}

// Engines is the [EngineChecker] of a real run: it probes every engine
// other than the docker CLI's current context, once per run (see
// [engine.Checker]), bounded by KOMPOSE_ENGINE_TIMEOUT from the stack's
// environment. The local default engine is not probed: when it is down,
// compose says so at once, and a run on one machine costs nothing more.
type Engines struct {
	Checker *engine.Checker
}

// CheckEngine implements [EngineChecker].
func (e *Engines) CheckEngine(ctx context.Context, s *plan.Stack) error {
	eng := engine.Of(s.Env.Lookup)
	if eng.Default() {
		return nil
	}
	v, _ := s.Env.Get(engine.TimeoutVar)
	d, err := engine.ParseTimeout(v)
	if err != nil {
		return fmt.Errorf("%w: %v", errEngineSetting, err)
	}
	return e.Checker.Check(ctx, s.Env.Environ(), d).Err
}

// errEngineSetting marks a bad KOMPOSE_ENGINE_TIMEOUT.
var errEngineSetting = errors.New("cannot check the engine")

// IsEngineDown reports whether err is the failure of an engine check: the
// stack ran nothing.
func IsEngineDown(err error) bool {
	var de *engine.DownError
	return errors.As(err, &de) || errors.Is(err, errEngineSetting)
}
