// Package proc starts the processes kompose runs (docker compose, hooks)
// and relays signals to them.
//
// Everything that starts a process goes through the [Runner] interface, so
// tests can see which commands would run, in which folder, with which
// environment, without starting any.
package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
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

	// OwnGroup starts the process as the leader of a process group of its
	// own. The [Relay] then passes every signal it receives, SIGINT
	// included, to the whole group (a Ctrl-C typed at the terminal no
	// longer reaches it by itself). A process outside the terminal's
	// foreground group is stopped (SIGTTIN) if it reads the terminal, so
	// callers should not give it a terminal as Stdin.
	OwnGroup bool
	// Timeout, when positive, limits how long the process may run. It
	// implies OwnGroup. When the time is up the group gets SIGTERM, then
	// SIGKILL after KillGrace; once the process has ended, what is left of
	// its group is killed too, and Run returns a *TimeoutError.
	Timeout time.Duration
	// KillGrace is how long a timed-out group has between SIGTERM and
	// SIGKILL; DefaultKillGrace when zero.
	KillGrace time.Duration
}

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

// ExitCode returns the exit status err reports: 0 for nil, the status of an
// *ExitError, else 1.
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
}

// Run implements [Runner].
func (o OS) Run(ctx context.Context, c Cmd) error {
	if len(c.Argv) == 0 {
		return errors.New("empty command")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = c.Env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	group := c.OwnGroup || c.Timeout > 0
	if group {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", c.Argv[0], err)
	}
	if o.Relay != nil {
		o.Relay.add(ctx, cmd.Process, group)
		defer o.Relay.remove(cmd.Process)
	}
	var stopTimer func() bool
	if c.Timeout > 0 {
		stopTimer = startTimeout(cmd.Process.Pid, c.Timeout, c.KillGrace)
	}
	err := cmd.Wait()
	if stopTimer != nil && stopTimer() {
		// The group leader is gone; kill what it left behind. The
		// group's id cannot be reused while any member lives.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		return &TimeoutError{After: c.Timeout}
	}
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
	return fmt.Errorf("wait for %s: %w", c.Argv[0], err)
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
