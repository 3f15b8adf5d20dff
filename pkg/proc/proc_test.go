package proc

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			deadline := time.Now().Add(2 * time.Second)
			for alive(t, pid) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if alive(t, pid) {
				t.Errorf("background child %d outlived the timeout", pid)
			}
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
