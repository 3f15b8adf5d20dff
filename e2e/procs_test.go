//go:build e2e

package e2e

import (
	"errors"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// errStopping refuses new processes once the suite is being torn down.
var errStopping = errors.New("the suite is stopping (interrupted, or its -timeout is near): no new process")

// procs tracks the processes the tests start that can create containers
// (kompose, and the copies of the test binary), so that an interrupted
// suite can stop them before it removes what they made: a kompose still
// running `up` would otherwise create containers after the removal.
type procs struct {
	mu       sync.Mutex
	stopping bool
	running  map[*exec.Cmd]bool
}

// start starts cmd in a process group of its own and tracks it until
// [procs.wait].
func (p *procs) start(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopping {
		return errStopping
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	if p.running == nil {
		p.running = map[*exec.Cmd]bool{}
	}
	p.running[cmd] = true
	return nil
}

// wait waits for a process started by [procs.start].
func (p *procs) wait(cmd *exec.Cmd) error {
	err := cmd.Wait()
	p.mu.Lock()
	delete(p.running, cmd)
	p.mu.Unlock()
	return err
}

// stopAll refuses new processes, sends SIGTERM to every tracked one (kompose
// passes it on to compose, which stops what it is doing), and after grace
// kills the process groups of those still running.
func (p *procs) stopAll(grace time.Duration) {
	p.mu.Lock()
	p.stopping = true
	for cmd := range p.running {
		_ = cmd.Process.Signal(syscall.SIGTERM)
	}
	p.mu.Unlock()
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		n := len(p.running)
		p.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for cmd := range p.running {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
