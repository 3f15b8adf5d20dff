// Package proc starts the processes kompose runs (docker compose, hooks)
// and relays signals to them.
//
// Everything that starts a process goes through the [Runner] interface, so
// tests can see which commands would run, in which folder, with which
// environment, without starting any.
package proc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Cmd is one process to run.
type Cmd struct {
	Argv   []string
	Dir    string
	Env    []string // the whole environment, KEY=VALUE
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Gate marks a process that waits for a start message on fd 3 (see
	// [Started]); GateEnv is added to its environment by that message.
	Gate    bool
	GateEnv []string
	// Report, for a gated process, receives what the process writes on
	// file descriptor 4: an anonymous in-memory file, read once the
	// process has ended, so a background child that keeps it open never
	// holds kompose up. hooks.sh hooks say there whether their function
	// ran (see pkg/hooks).
	Report io.Writer

	// OwnGroup starts the process as the leader of a process group of its
	// own. The [Relay] then passes every signal it receives, SIGINT
	// included, to the whole group (a Ctrl-C typed at the terminal no
	// longer reaches it by itself). A process outside the terminal's
	// foreground group is stopped (SIGTTIN) if it reads the terminal, so
	// callers should not give it a terminal as Stdin.
	OwnGroup bool
	// Timeout, when positive, limits how long the process may run (a
	// gated process: from its release). It implies OwnGroup. When the time
	// is up the group gets SIGTERM, then SIGKILL after KillGrace; once the
	// process has ended, what is left of its group is killed too, and the
	// error is a *TimeoutError.
	Timeout time.Duration
	// KillGrace is how long a timed-out group has between SIGTERM and
	// SIGKILL; DefaultKillGrace when zero.
	KillGrace time.Duration
}

// Environ returns the environment the process works with: Env, then what
// its start gate adds (GateEnv).
func (c *Cmd) Environ() []string {
	if len(c.GateEnv) == 0 {
		return c.Env
	}
	return append(c.Env[:len(c.Env):len(c.Env)], c.GateEnv...)
}

// ownGroup reports whether c runs in a process group of its own.
func (c *Cmd) ownGroup() bool { return c.OwnGroup || c.Timeout > 0 }

// DefaultKillGrace is the time between SIGTERM and SIGKILL for a process
// past its [Cmd.Timeout].
const DefaultKillGrace = 2 * time.Second

// TimeoutError reports a process stopped because it ran past its
// [Cmd.Timeout].
type TimeoutError struct {
	After time.Duration
}

// TimeoutExitCode is the exit status [ExitCode] gives a timed-out process,
// the one timeout(1) uses.
const TimeoutExitCode = 124

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("timed out after %s; its process group was killed", e.After)
}

// Runner runs a process to completion.
type Runner interface {
	// Run starts c and waits for it. A process that exits non-zero gives an
	// *ExitError. When ctx is cancelled the process is signalled (see
	// [Relay]) and Run still waits for it to end.
	Run(ctx context.Context, c Cmd) error
}

// ExitError reports a process that did not exit with status 0.
type ExitError struct {
	Code   int       // exit status; 128+N when killed by signal N
	Signal os.Signal // the signal that killed it, if any
}

func (e *ExitError) Error() string {
	if e.Signal != nil {
		return fmt.Sprintf("killed by %s", e.Signal)
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

// ExitCode returns the exit status err reports: 0 for nil,
// TimeoutExitCode for a *TimeoutError, the status of an *ExitError, else 1.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var te *TimeoutError
	if errors.As(err, &te) {
		return TimeoutExitCode
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return 1
}

// OS runs real processes. Signals that the [Relay] receives are passed to
// the running process.
type OS struct {
	Relay *Relay // may be nil: no signal relaying
	// Paths, when set, remembers where programs were found on PATH, so
	// that a run starting bash a thousand times searches PATH once. The
	// program then gets its full path as argv[0], which also spares bash
	// searching PATH for itself at every start.
	Paths *PathCache
}

// PathCache resolves program names on kompose's own PATH (what
// exec.LookPath reads), remembering each answer. That PATH does not change
// during a run; a stack's PATH from its .env never decides which program
// kompose starts, as with exec.Command.
type PathCache struct {
	mu    sync.Mutex
	found map[string]string
}

// Look returns the path of the program name, as exec.LookPath would.
func (c *PathCache) Look(name string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.found[name]; ok {
		return p, nil
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", err
	}
	if c.found == nil {
		c.found = map[string]string{}
	}
	c.found[name] = p
	return p, nil
}

// Run implements [Runner].
func (o OS) Run(ctx context.Context, c Cmd) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.Gate {
		st, err := o.Start(ctx, c)
		if err != nil {
			return err
		}
		if err := st.Release(c.GateEnv); err != nil {
			st.Abort()
			_ = st.Wait()
			return err
		}
		return st.Wait()
	}
	cmd, err := o.command(c)
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", c.Argv[0], err)
	}
	if o.Relay != nil {
		o.Relay.add(ctx, cmd.Process, c.ownGroup())
		defer o.Relay.remove(cmd.Process)
	}
	var stop func() bool
	if c.Timeout > 0 {
		stop = startTimeout(cmd.Process.Pid, c.Timeout, c.KillGrace)
	}
	err = exitError(c.Argv[0], cmd.Wait())
	if stop != nil && stop() {
		return timedOut(cmd.Process.Pid, c.Timeout)
	}
	settle(ctx, o.Relay, err)
	return err
}

// timedOut kills what is left of the process group pgid once its leader,
// stopped at its timeout d, has been waited for. The group's id cannot be
// reused while any member lives.
func timedOut(pgid int, d time.Duration) error {
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	return &TimeoutError{After: d}
}

// startTimeout arranges for process group pgid to get SIGTERM after d and
// SIGKILL grace later if its leader has not ended by then. The returned
// function, called once the leader has been waited for, stops the timer and
// reports whether the time had run out.
func startTimeout(pgid int, d, grace time.Duration) (stop func() bool) {
	if grace <= 0 {
		grace = DefaultKillGrace
	}
	fired := make(chan struct{})
	done := make(chan struct{})
	t := time.AfterFunc(d, func() {
		close(fired)
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(grace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	})
	return func() bool {
		if t.Stop() {
			return false
		}
		<-fired
		close(done)
		return true
	}
}

// pipeWaitDelay is how long, once a process has ended, its output is
// still read from a pipe that something it started keeps open.
const pipeWaitDelay = 2 * time.Second

func (o OS) command(c Cmd) (*exec.Cmd, error) {
	if len(c.Argv) == 0 {
		return nil, errors.New("empty command")
	}
	name := c.Argv[0]
	if o.Paths != nil && !strings.Contains(name, "/") {
		p, err := o.Paths.Look(name)
		if err != nil {
			return nil, fmt.Errorf("start %s: %w", name, err)
		}
		name = p
	}
	cmd := exec.Command(name, c.Argv[1:]...)
	if cmd.Err != nil {
		return nil, fmt.Errorf("start %s: %w", c.Argv[0], cmd.Err)
	}
	cmd.Dir = c.Dir
	cmd.Env = c.Env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	// Output through a pipe (prefixed lines): a child the process left
	// behind holding the pipe (a hook's "daemon &") must not keep the
	// step from ending.
	cmd.WaitDelay = pipeWaitDelay
	if c.ownGroup() {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
	return cmd, nil
}

// exitError turns the error of exec.Cmd.Wait into an *ExitError.
func exitError(argv0 string, err error) error {
	if err == nil {
		return nil
	}
	var xe *exec.ExitError
	if errors.As(err, &xe) {
		if ws, ok := xe.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return &ExitError{Code: 128 + int(ws.Signal()), Signal: ws.Signal()}
		}
		return &ExitError{Code: xe.ExitCode()}
	}
	return fmt.Errorf("wait for %s: %w", argv0, err)
}

// signalGrace is how long a child that ended by an interrupting signal
// waits for kompose's own copy of it.
const signalGrace = 250 * time.Millisecond

// settle waits a moment, when a child ended the way an interrupted
// process does (err), for the relay to cancel ctx. A Ctrl-C reaches every
// process of the terminal's foreground group at once; the child may end
// before kompose's signal goroutine has run, and without this wait the
// next step or stack would start.
func settle(ctx context.Context, relay *Relay, err error) {
	var ee *ExitError
	if relay == nil || ctx.Err() != nil || !errors.As(err, &ee) {
		return
	}
	switch {
	case ee.Signal == syscall.SIGINT, ee.Signal == syscall.SIGTERM, ee.Signal == syscall.SIGHUP:
	case ee.Signal == nil && (ee.Code == 128+int(syscall.SIGINT) || ee.Code == 128+int(syscall.SIGTERM) || ee.Code == 128+int(syscall.SIGHUP)):
	default:
		return
	}
	t := time.NewTimer(signalGrace)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// LastLine is the last non-empty line of s, trimmed: where a program's
// error output says why it failed ("Cannot connect to the Docker daemon
// at ...").
func LastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}

// Output runs argv with the environment environ, no input and at most
// timeout, and returns its standard output (also when it fails: a program
// may print part of its answer before it gives up); its standard error
// is dropped. For the short questions kompose asks programs (versions,
// docker contexts), never for a hook.
func Output(ctx context.Context, r Runner, environ []string, timeout time.Duration, argv ...string) ([]byte, error) {
	var out bytes.Buffer
	err := r.Run(ctx, Cmd{Argv: argv, Env: environ, Stdin: bytes.NewReader(nil), Stdout: &out, Stderr: io.Discard, Timeout: timeout})
	return out.Bytes(), err
}
