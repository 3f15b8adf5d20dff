package run

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
)

// Health gating: after `up` of a stack that others depend on, kompose asks
// the stack's own compose, with the stack's environment (so DOCKER_HOST,
// DOCKER_CONTEXT and ssh:// engines answer as they do for compose), for
// its containers (`docker compose ps --all --format json`) until every one
// is running and, where it has a healthcheck, healthy, or has exited 0 (a
// one-off such as a migration). A container that exited non-zero, or is
// dead, fails the stack at once; one still starting, restarting or
// unhealthy is waited for until the timeout.

// HealthPoll is how often the state of a stack's containers is read while
// its dependents wait.
const HealthPoll = 500 * time.Millisecond

// Container is one container of `docker compose ps --format json`.
type Container struct {
	Name     string
	Service  string
	State    string // running, exited, created, restarting, paused, dead
	Health   string // healthy, starting, unhealthy, "" without a healthcheck
	ExitCode int
}

// WaitError is a dependency that did not get up and healthy.
type WaitError struct {
	Stack   string
	Waited  time.Duration
	Pending string // what was not ready ("db: starting")
	Final   bool   // a container ended: waiting longer would not help
}

func (e *WaitError) Error() string {
	if e.Final {
		return fmt.Sprintf("not up for its dependents: %s", e.Pending)
	}
	return fmt.Sprintf("not running and healthy after %s (--wait-timeout): %s", e.Waited, e.Pending)
}

// ParseContainers reads the output of `docker compose ps --format json`:
// one JSON object per line (Compose 2.21 and later) or one array.
func ParseContainers(out []byte) ([]Container, error) {
	out = bytes.TrimSpace(out)
	var cs []Container
	if len(out) == 0 {
		return nil, nil
	}
	if out[0] == '[' {
		if err := json.Unmarshal(out, &cs); err != nil {
			return nil, fmt.Errorf("docker compose ps: %w", err)
		}
		return cs, nil
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var c Container
		if err := dec.Decode(&c); err != nil {
			return nil, fmt.Errorf("docker compose ps: %w", err)
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// Readiness says whether containers are all up: ready, or what is pending
// and whether that can no longer change (final).
func Readiness(cs []Container) (ready bool, pending string, final bool) {
	var wait, failed []string
	for _, c := range cs {
		name := c.Service
		if name == "" {
			name = c.Name
		}
		state := strings.ToLower(c.State)
		switch {
		case state == "running" && (c.Health == "" || c.Health == "healthy"):
		case state == "running":
			wait = append(wait, name+": "+c.Health)
		case state == "exited" && c.ExitCode == 0:
			// A one-off (a migration) that is done.
		case state == "exited":
			failed = append(failed, fmt.Sprintf("%s: exited with %d", name, c.ExitCode))
		case state == "dead":
			failed = append(failed, name+": dead")
		default:
			wait = append(wait, name+": "+state)
		}
	}
	sort.Strings(wait)
	sort.Strings(failed)
	if len(failed) > 0 {
		return false, strings.Join(append(failed, wait...), ", "), true
	}
	return len(wait) == 0, strings.Join(wait, ", "), false
}

// composeReady is the readiness of s's compose containers (see
// [Readiness]): one docker compose ps.
func (r *Runner) composeReady(ctx context.Context, s *plan.Stack) (ready bool, pending string, final bool, err error) {
	argv, err := s.ComposeCommand()
	if err != nil {
		return false, "", true, err
	}
	argv = append(argv[:len(argv):len(argv)], "ps", "--all", "--format", "json")
	var out, errOut bytes.Buffer
	if err := r.Proc.Run(ctx, proc.Cmd{Argv: argv, Dir: s.Dir, Env: s.Env.Environ(), Stdout: &out, Stderr: &errOut}); err != nil {
		msg := strings.TrimSpace(errOut.String())
		if msg == "" {
			msg = err.Error()
		}
		return false, "docker compose ps: " + s.Masker.String(msg), false, nil
	}
	cs, err := ParseContainers(out.Bytes())
	if err != nil {
		return false, "", true, err
	}
	ready, pending, final = Readiness(cs)
	return ready, pending, final, nil
}

// waitHealthy waits until s is up for its dependents, up to timeout: its
// containers all up (see [Readiness]), or, for a stack with its own
// plan.Stack.Ready (Swarm: its services converged), what that says.
func (r *Runner) waitHealthy(ctx context.Context, s *plan.Stack, timeout time.Duration) error {
	ready := s.Ready
	if ready == nil {
		ready = func(ctx context.Context, _ proc.Runner) (bool, string, bool, error) { return r.composeReady(ctx, s) }
	}
	start := time.Now()
	said := ""
	for {
		ok, pending, final, err := ready(ctx, r.Proc)
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if final {
			return &WaitError{Stack: s.Name, Pending: pending, Final: true}
		}
		if time.Since(start) >= timeout {
			return &WaitError{Stack: s.Name, Waited: timeout, Pending: pending}
		}
		if pending != said {
			r.waiting(s, fmt.Sprintf("waiting up to %s for %s to be running and healthy: %s", timeout, s.Name, pending))
			said = pending
		}
		t := time.NewTimer(min(HealthPoll, max(timeout-time.Since(start), time.Millisecond)))
		select {
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx)
		case <-t.C:
		}
	}
}
