package proc

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// alive reports whether pid is a live process (a zombie is dead: pid 1 of
// a container may not reap what it inherits).
func alive(t *testing.T, pid int) bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

func TestTimeoutKillsTheWholeGroup(t *testing.T) {
	for _, tc := range []struct {
		name, script string
	}{
		// bash waits for sleep; SIGTERM to the group ends both.
		{"term", `sleep 300 & echo $! >"$1"; sleep 300`},
		// The hook ignores SIGTERM: SIGKILL after the grace.
		{"kill", `trap '' TERM; sleep 300 & echo $! >"$1"; while :; do sleep 0.05; done`},
		// The leader exits at SIGTERM but its child ignores it.
		{"straggler", `(trap '' TERM; sleep 300) & echo $! >"$1"; sleep 300`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "pid")
			start := time.Now()
			err := OS{}.Run(context.Background(), Cmd{
				Argv:      []string{"bash", "-c", tc.script, "hook", pidFile},
				Timeout:   300 * time.Millisecond,
				KillGrace: 300 * time.Millisecond,
			})
			var te *TimeoutError
			if !errors.As(err, &te) {
				t.Fatalf("Run = %v, want a *TimeoutError", err)
			}
			if ExitCode(err) != TimeoutExitCode {
				t.Errorf("ExitCode = %d, want %d", ExitCode(err), TimeoutExitCode)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Run took %s", d)
			}
			b, err := os.ReadFile(pidFile)
			if err != nil {
				t.Fatal(err)
			}
			wantGone(t, b)
		})
	}
}

func TestNoTimeoutWhenFast(t *testing.T) {
	err := OS{}.Run(context.Background(), Cmd{Argv: []string{"bash", "-c", "exit 3"}, Timeout: 5 * time.Second})
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 3 {
		t.Fatalf("Run = %v, want exit status 3", err)
	}
	if err := (OS{}).Run(context.Background(), Cmd{Argv: []string{"true"}, Timeout: time.Second}); err != nil {
		t.Fatalf("Run = %v", err)
	}
}

// A gated process's time runs from its release: waiting at the gate does
// not count, and a timed-out one is killed like any other.
func TestTimeoutOfAGatedProcess(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	script := GateShell + `sleep 300 & echo $! >"$1"; sleep 300`
	st, err := OS{}.Start(context.Background(), Cmd{
		Argv: []string{"bash", "-c", script, "hook", pidFile}, Gate: true,
		Timeout: 300 * time.Millisecond, KillGrace: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // longer than the timeout, at the gate
	if err := st.Release(nil); err != nil {
		t.Fatal(err)
	}
	err = st.Wait()
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("Wait = %v, want a *TimeoutError", err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the hook did not run after its release: %v", err)
	}
	wantGone(t, b)
}

// The relay passes every signal, SIGINT included, to the whole group of a
// process that has one, even when kompose is in the terminal's foreground
// group (a Ctrl-C typed there does not reach another group).
func TestRelaySignalsTheGroup(t *testing.T) {
	ctx, r := notifyContext(context.Background(), func() bool { return true })
	defer r.Stop()
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	done := make(chan error, 1)
	go func() {
		done <- OS{Relay: r}.Run(ctx, Cmd{
			Argv:     []string{"bash", "-c", `sleep 300 & echo $! >"$1"; wait`, "hook", pidFile},
			OwnGroup: true,
		})
	}()
	deadline := time.Now().Add(5 * time.Second)
	var pid int
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(pidFile); err == nil && strings.HasSuffix(string(b), "\n") {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if pid == 0 {
		t.Fatal("the child did not start")
	}
	r.sigs <- syscall.SIGTERM // as if kompose received it
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Run = nil, want the group killed")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the group did not get the signal")
	}
	for alive(t, pid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if alive(t, pid) {
		t.Errorf("the group's other member %d did not get the signal", pid)
	}
}

// wantGone fails the test unless the process whose pid pidText holds is
// gone within two seconds.
func wantGone(t *testing.T, pidText []byte) {
	t.Helper()
	pid, _ := strconv.Atoi(strings.TrimSpace(string(pidText)))
	deadline := time.Now().Add(2 * time.Second)
	for alive(t, pid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if alive(t, pid) {
		t.Errorf("background child %d outlived the timeout", pid)
	}
}
