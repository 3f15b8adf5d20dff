package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/kompose-dev/kompose/pkg/settings"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kompose-dev/kompose/pkg/proc"
)

// TimeoutVar bounds how long kompose waits for an engine to answer its
// probe (a Go duration or a number of seconds), read from the environment
// of the first stack that uses the engine.
const TimeoutVar = "KOMPOSE_ENGINE_TIMEOUT"

// DefaultTimeout is how long a probe waits when TimeoutVar is not set: long
// enough for an SSH handshake over a slow link, short enough that a dead
// host costs a cron run seconds, not minutes.
const DefaultTimeout = 10 * time.Second

// Status is what a probe found out about an engine.
type Status struct {
	Engine  Engine
	Version string        // the server's version, when it answered
	Took    time.Duration // how long the probe ran
	Err     error         // why it does not answer; nil when it does
	// Unchecked, when not "", says why the engine was not asked (no
	// docker CLI: podman's socket in DOCKER_HOST for KOMPOSE_COMPOSE);
	// Err is then nil: the stack runs, and compose finds out.
	Unchecked string
}

// Answers reports whether the engine answered the probe.
func (s Status) Answers() bool { return s.Err == nil }

// DownError is the error of an engine that does not answer. Its text names
// the engine without passwords; docker's own words (redacted too) follow.
type DownError struct {
	Engine  Engine
	Timeout time.Duration // set when the probe ran out of time
	Detail  string        // what docker said, redacted; may be ""
}

func (e *DownError) Error() string {
	what := fmt.Sprintf("engine %s", e.Engine.Name())
	if e.Engine.Host == "" && e.Engine.Context != "" {
		what = fmt.Sprintf("engine %s (docker context)", e.Engine.Name())
	}
	if e.Timeout > 0 {
		return fmt.Sprintf("%s did not answer within %s (%s): the host may be down, unreachable or frozen", what, e.Timeout, TimeoutVar)
	}
	if e.Detail == "" {
		return what + " does not answer"
	}
	return fmt.Sprintf("%s does not answer: %s", what, e.Detail)
}

// Checker probes engines with `docker version`, each engine once: every
// caller asking about an engine that is being probed waits for that probe,
// and later callers get its result. Different engines are probed at the
// same time. The zero value is ready to use (with proc.OS).
type Checker struct {
	// Proc runs the probe; proc.OS{} when nil.
	Proc proc.Runner

	mu     sync.Mutex
	probes map[string]*probe
}

type probe struct {
	done chan struct{}
	st   Status
}

// ParseTimeout reads a TimeoutVar value: a Go duration ("5s") or a number
// of seconds ("5"); "" means DefaultTimeout. It must be positive.
func ParseTimeout(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return DefaultTimeout, nil
	}
	what := fmt.Sprintf("%s=%q", TimeoutVar, v)
	d, err := settings.ParseDuration(v, what)
	if err == nil && d == 0 {
		err = fmt.Errorf("%s: not a timeout; write it like 5s, 1m or 10 (0 would never wait)", what)
	}
	return d, err
}

// key tells apart what a probe depends on: the engine and, for contexts,
// the docker configuration folder that holds them.
func key(e Engine, lookup func(string) (string, bool)) string {
	k := e.Key()
	if e.Host == "" {
		cfg, _ := lookup("DOCKER_CONFIG")
		home, _ := lookup("HOME")
		k += "\x00" + cfg + "\x00" + home
	}
	return k
}

// Check probes the engine an environment targets (environ, in KEY=VALUE
// form: the stack's whole environment, so that PATH, HOME, DOCKER_CONFIG
// and the ssh set-up are the ones compose gets), unless it was probed
// before in this run. The probe is killed, with every process it started
// (an ssh client), after timeout. ctx ending stops a probe under way; that
// result is not kept.
func (c *Checker) Check(ctx context.Context, environ []string, timeout time.Duration) Status {
	lookup := func(name string) (string, bool) {
		for i := len(environ) - 1; i >= 0; i-- {
			if k, v, ok := strings.Cut(environ[i], "="); ok && k == name {
				return v, true
			}
		}
		return "", false
	}
	e := Of(lookup)
	k := key(e, lookup)
	c.mu.Lock()
	if c.probes == nil {
		c.probes = map[string]*probe{}
	}
	if p, ok := c.probes[k]; ok {
		c.mu.Unlock()
		select {
		case <-p.done:
			return p.st
		case <-ctx.Done():
			return Status{Engine: e, Err: context.Cause(ctx)}
		}
	}
	p := &probe{done: make(chan struct{})}
	c.probes[k] = p
	c.mu.Unlock()

	p.st = c.run(ctx, e, environ, timeout)
	if ctx.Err() != nil {
		c.mu.Lock()
		delete(c.probes, k) // interrupted: not an answer about the engine
		c.mu.Unlock()
	}
	close(p.done)
	return p.st
}

// run runs one probe.
func (c *Checker) run(ctx context.Context, e Engine, environ []string, timeout time.Duration) Status {
	runner := c.Proc
	if runner == nil {
		runner = proc.OS{}
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	docker := dockerPath(environ)
	if docker == "" {
		return Status{Engine: e, Unchecked: "no docker CLI on PATH"}
	}
	var out, errb bytes.Buffer
	start := time.Now()
	err := runner.Run(ctx, proc.Cmd{
		Argv:    []string{docker, "version", "--format", "{{.Server.Version}}"},
		Env:     environ,
		Stdout:  &out,
		Stderr:  &errb,
		Timeout: timeout,
		// An ssh client or a frozen daemon's client gets no second chance.
		KillGrace: 200 * time.Millisecond,
	})
	st := Status{Engine: e, Took: time.Since(start)}
	var te *proc.TimeoutError
	switch {
	case errors.As(err, &te):
		st.Err = &DownError{Engine: e, Timeout: timeout}
	case err != nil:
		st.Err = &DownError{Engine: e, Detail: redactText(e, proc.LastLine(errb.String()))}
		if ctx.Err() != nil {
			st.Err = context.Cause(ctx)
		}
	default:
		st.Version = strings.TrimSpace(out.String())
		if st.Version == "" {
			// An old CLI prints the client and an error when the server
			// does not answer, yet exits 0.
			st.Err = &DownError{Engine: e, Detail: redactText(e, proc.LastLine(errb.String()))}
		}
	}
	return st
}

// dockerPath finds docker on the PATH of environ, the one compose and the
// hooks find (kompose's own PATH when environ has none); "" when there is
// none.
func dockerPath(environ []string) string {
	path := os.Getenv("PATH")
	for i := len(environ) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(environ[i], "PATH="); ok {
			path = v
			break
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, "docker")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// redactText replaces the engine's address in s with its name, which
// carries no password.
func redactText(e Engine, s string) string {
	if e.Host != "" && e.Host != e.Name() {
		s = strings.ReplaceAll(s, e.Host, e.Name())
	}
	return s
}
