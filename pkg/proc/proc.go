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
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", c.Argv[0], err)
	}
	if o.Relay != nil {
		o.Relay.add(ctx, cmd.Process)
		defer o.Relay.remove(cmd.Process)
	}
	err := cmd.Wait()
	if err == nil {
		return nil
	}
	var xe *exec.ExitError
	if errors.As(err, &xe) {
		ee := &ExitError{Code: xe.ExitCode()}
		if ws, ok := xe.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			ee = &ExitError{Code: 128 + int(ws.Signal()), Signal: ws.Signal()}
		}
		o.settle(ctx, ee)
		return ee
	}
	return fmt.Errorf("wait for %s: %w", c.Argv[0], err)
}

// signalGrace is how long a child that ended by an interrupting signal
// waits for kompose's own copy of it.
const signalGrace = 250 * time.Millisecond

// settle waits a moment, when the child ended the way an interrupted
// process does, for the relay to cancel ctx. A Ctrl-C reaches every
// process of the terminal's foreground group at once; the child may end
// before kompose's signal goroutine has run, and without this wait the
// next step or stack would start.
func (o OS) settle(ctx context.Context, ee *ExitError) {
	if o.Relay == nil || ctx.Err() != nil {
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
