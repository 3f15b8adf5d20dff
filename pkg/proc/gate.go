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
	"time"

	"golang.org/x/sys/unix"
)

// A gated process is started ahead of its turn and waits, before doing any
// work, for a start message on file descriptor 3. This lets kompose pay a
// hook's process start-up (exec, dynamic linking, bash initialisation: most
// of a hook's cost) while the previous step still runs, without running any
// of the hook early.
//
// The start message is a short POSIX shell snippet, one line per variable:
// `export KEY='value'` for the values only known when the process's turn
// comes (such as how long the command took), then GateStartVar=1. A process
// whose gate closes without that line must exit without doing anything: it
// was not its turn after all. [GateShell] is the shell prologue that waits
// at the gate; a shell reads the snippet with `source`, which takes a pipe
// in one read where `read` would take one system call per byte.
const GateStartVar = "KOMPOSE_GATE_START"

// GateShell is a bash prologue that waits at the gate: it runs the start
// message (from /dev/fd/3, or through cat where the system has no /dev/fd),
// closes fd 3, and exits 125 having done nothing when the gate closed
// without a start. What follows it runs only when released.
const GateShell = `source /dev/fd/3 2>/dev/null || eval "$(cat <&3)"; exec 3<&-
[[ ${KOMPOSE_GATE_START-} == 1 ]] || exit 125; unset KOMPOSE_GATE_START
`

// Started is a gated process that has been started and is waiting at its
// gate. Call exactly one of Release or Abort, then Wait.
type Started struct {
	ctx   context.Context // for settle: the run's interrupt
	cmd   *exec.Cmd
	gate  *os.File
	relay *Relay
	argv0 string
	// timeout, when positive, runs from Release; stop ends its timer.
	timeout, grace time.Duration
	stop           func() bool
	// report is fd 4 of the process, copied to reportTo by Wait.
	report   *os.File
	reportTo io.Writer
}

// Start starts c, which must have Gate set, and leaves it waiting at its
// gate.
func (o OS) Start(ctx context.Context, c Cmd) (*Started, error) {
	if !c.Gate {
		return nil, errors.New("proc: Start needs a gated command")
	}
	cmd, err := o.command(c)
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("gate pipe: %w", err)
	}
	cmd.ExtraFiles = []*os.File{r} // fd 3 in the child
	var report *os.File
	if c.Report != nil {
		if report, err = reportFile(); err != nil {
			r.Close()
			w.Close()
			return nil, err
		}
		cmd.ExtraFiles = append(cmd.ExtraFiles, report) // fd 4
	}
	err = cmd.Start()
	r.Close()
	if err != nil {
		w.Close()
		if report != nil {
			report.Close()
		}
		return nil, fmt.Errorf("start %s: %w", c.Argv[0], err)
	}
	s := &Started{ctx: ctx, cmd: cmd, gate: w, relay: o.Relay, argv0: c.Argv[0], timeout: c.Timeout, grace: c.KillGrace,
		report: report, reportTo: c.Report}
	if o.Relay != nil {
		o.Relay.add(ctx, cmd.Process, c.ownGroup())
	}
	return s, nil
}

// Release lets the process run, adding env (KEY=VALUE) to its environment.
func (s *Started) Release(env []string) error {
	msg, err := gateMessage(env)
	if err != nil {
		return err
	}
	// A write error means the process is gone already: Wait reports how
	// it ended.
	if s.timeout > 0 {
		s.stop = startTimeout(s.cmd.Process.Pid, s.timeout, s.grace)
	}
	_, _ = s.gate.Write(msg)
	s.gate.Close()
	return nil
}

// gateMessage formats the start message for env (KEY=VALUE entries).
func gateMessage(env []string) ([]byte, error) {
	var b bytes.Buffer
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !validName(k) {
			return nil, fmt.Errorf("gate: %q is not a KEY=VALUE entry", k)
		}
		if strings.IndexByte(v, 0) >= 0 {
			return nil, fmt.Errorf("gate: the value of %s holds a NUL byte", k)
		}
		b.WriteString("export " + k + "='" + strings.ReplaceAll(v, "'", `'\''`) + "'\n")
	}
	b.WriteString(GateStartVar + "=1\n")
	return b.Bytes(), nil
}

// reportFile creates the anonymous file a gated process reports on: a
// memfd, which has no name in any folder (nothing to clean up, nothing
// another user could replace).
func reportFile() (*os.File, error) {
	fd, err := unix.MemfdCreate("kompose-report", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("report file: %w", err)
	}
	return os.NewFile(uintptr(fd), "kompose-report"), nil
}

func validName(k string) bool {
	for i, r := range k {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return k != ""
}

// Abort closes the gate without a start message: the process exits without
// doing anything. Wait must still be called.
func (s *Started) Abort() { s.gate.Close() }

// Wait waits for the process and reports how it ended, like [OS.Run].
func (s *Started) Wait() error {
	err := s.cmd.Wait()
	if s.relay != nil {
		s.relay.remove(s.cmd.Process)
	}
	err = exitError(s.argv0, err)
	if s.report != nil {
		if _, rerr := io.Copy(s.reportTo, io.NewSectionReader(s.report, 0, 1<<16)); rerr != nil && err == nil {
			err = fmt.Errorf("read the report of %s: %w", s.argv0, rerr)
		}
		s.report.Close()
	}
	if s.stop != nil && s.stop() {
		return timedOut(s.cmd.Process.Pid, s.timeout)
	}
	settle(s.ctx, s.relay, err)
	return err
}
