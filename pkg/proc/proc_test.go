package proc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestOSRun(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		argv     []string
		env      []string
		wantOut  string
		wantCode int
		wantSig  os.Signal
		wantErr  string
	}{
		{name: "success", argv: []string{"bash", "-c", `printf '%s|' "$PWD" "$FOO" "$#" "$1"`, "x", "a b"}, env: []string{"FOO=bar"}, wantOut: dir + "|bar|1|a b|"},
		{name: "environment is exactly Env", argv: []string{"bash", "-c", `echo "${HOME-unset}"`}, env: []string{"A=1"}, wantOut: "unset\n"},
		{name: "exit status", argv: []string{"bash", "-c", "exit 3"}, wantCode: 3},
		{name: "killed by a signal", argv: []string{"bash", "-c", "kill -TERM $$"}, wantCode: 128 + 15, wantSig: syscall.SIGTERM},
		{name: "killed by SIGKILL", argv: []string{"bash", "-c", "kill -KILL $$"}, wantCode: 137, wantSig: syscall.SIGKILL},
		{name: "missing program", argv: []string{"/nonexistent/kompose-test"}, wantErr: "start /nonexistent/kompose-test"},
		{name: "empty command", argv: nil, wantErr: "empty command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			env := append([]string{"PATH=" + os.Getenv("PATH")}, tt.env...)
			err := OS{}.Run(context.Background(), Cmd{Argv: tt.argv, Dir: dir, Env: env, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if got := ExitCode(err); got != tt.wantCode {
				t.Errorf("ExitCode = %d (%v), want %d", got, err, tt.wantCode)
			}
			var ee *ExitError
			if tt.wantCode != 0 && (!errors.As(err, &ee) || ee.Signal != tt.wantSig) {
				t.Errorf("err = %#v, want signal %v", err, tt.wantSig)
			}
			if out.String() != tt.wantOut {
				t.Errorf("output = %q, want %q", out.String(), tt.wantOut)
			}
		})
	}
}

func TestOSRunCancelledContextStartsNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	marker := filepath.Join(t.TempDir(), "ran")
	err := OS{}.Run(ctx, Cmd{Argv: []string{"touch", marker}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a process started after the context was cancelled")
	}
}

func TestExitError(t *testing.T) {
	for _, tt := range []struct {
		err  error
		code int
		msg  string
	}{
		{nil, 0, ""},
		{&ExitError{Code: 2}, 2, "exit status 2"},
		{fmt.Errorf("wrapped: %w", &ExitError{Code: 130, Signal: syscall.SIGINT}), 130, "wrapped: killed by interrupt"},
		{errors.New("other"), 1, "other"},
	} {
		if got := ExitCode(tt.err); got != tt.code {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.code)
		}
		if tt.err != nil && tt.err.Error() != tt.msg {
			t.Errorf("Error() = %q, want %q", tt.err.Error(), tt.msg)
		}
	}
}

// trapScript writes "<signal>" to $1 when it gets SIGTERM or SIGINT, and
// tells it is ready by creating $2. It exits 0 when $3 appears, 9 after
// ten seconds.
const trapScript = `
trap 'echo TERM >>"$1"; exit 143' TERM
trap 'echo INT >>"$1"; exit 130' INT
: >"$2"
for ((i = 0; i < 1000; i++)); do
  [[ -e $3 ]] && exit 0
  sleep 0.01
done
exit 9`

// runTrapped starts trapScript through the relay and returns a function
// that waits for its end.
func runTrapped(t *testing.T, ctx context.Context, r *Relay) (got, stop string, wait func() error) {
	t.Helper()
	dir := t.TempDir()
	got, ready, stop := filepath.Join(dir, "got"), filepath.Join(dir, "ready"), filepath.Join(dir, "stop")
	done := make(chan error, 1)
	go func() {
		done <- OS{Relay: r}.Run(ctx, Cmd{Argv: []string{"bash", "-c", trapScript, "trap", got, ready, stop}, Env: []string{"PATH=" + os.Getenv("PATH")}})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the child never got ready")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return got, stop, func() error {
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("the child did not end")
			return nil
		}
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}

// TestRelay sends real signals to the test process while a child runs.
func TestRelay(t *testing.T) {
	tests := []struct {
		name       string
		sig        syscall.Signal
		foreground bool
		wantGot    string // what the child records
		wantCode   int
	}{
		{name: "SIGTERM is passed on", sig: syscall.SIGTERM, wantGot: "TERM\n", wantCode: 143},
		{name: "SIGTERM is passed on in the foreground too", sig: syscall.SIGTERM, foreground: true, wantGot: "TERM\n", wantCode: 143},
		{name: "SIGHUP is passed on", sig: syscall.SIGHUP, wantCode: 128 + int(syscall.SIGHUP)},
		{name: "SIGINT is passed on without a terminal", sig: syscall.SIGINT, wantGot: "INT\n", wantCode: 130},
		{name: "SIGINT is not repeated to a foreground child", sig: syscall.SIGINT, foreground: true, wantGot: "", wantCode: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, r := notifyContext(context.Background(), func() bool { return tt.foreground })
			defer r.Stop()
			got, stop, wait := runTrapped(t, ctx, r)
			if err := syscall.Kill(os.Getpid(), tt.sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("the context was not cancelled")
			}
			var ie *InterruptedError
			if cause := context.Cause(ctx); !errors.As(cause, &ie) || ie.Signal != tt.sig {
				t.Errorf("cause = %v, want an InterruptedError for %v", cause, tt.sig)
			}
			if tt.wantCode == 0 {
				// Give a wrongly relayed signal time to arrive, then let
				// the child end by itself.
				time.Sleep(100 * time.Millisecond)
				if err := os.WriteFile(stop, nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := wait()
			if code := ExitCode(err); code != tt.wantCode {
				t.Errorf("child exit = %d (%v), want %d", code, err, tt.wantCode)
			}
			if s := readFile(t, got); s != tt.wantGot {
				t.Errorf("child recorded %q, want %q", s, tt.wantGot)
			}
			r.mu.Lock()
			n := len(r.procs)
			r.mu.Unlock()
			if n != 0 {
				t.Errorf("%d processes still registered", n)
			}
		})
	}
}

// TestRelayLateChild: a child registered after the signal still gets it,
// so no child outlives an interrupted kompose.
func TestRelayLateChild(t *testing.T) {
	ctx, r := notifyContext(context.Background(), func() bool { return false })
	defer r.Stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-ctx.Done()
	cmd := exec.Command("sleep", "10")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.add(ctx, cmd.Process, false)
	defer r.remove(cmd.Process)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var xe *exec.ExitError
		if !errors.As(err, &xe) || xe.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
			t.Errorf("late child ended with %v, want SIGTERM", err)
		}
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the late child did not get the signal")
	}
}

func TestRelayStop(t *testing.T) {
	ctx, r := notifyContext(context.Background(), func() bool { return false })
	r.Stop()
	if ctx.Err() == nil {
		t.Error("Stop did not cancel the context")
	}
	var ie *InterruptedError
	if errors.As(context.Cause(ctx), &ie) {
		t.Error("Stop looks like an interrupt")
	}
}

// TestSettle: a child that ends as an interrupted process does (here exit
// 130) makes Run wait a moment for kompose's own copy of the signal, so
// the caller sees the context cancelled; any other failure returns at
// once.
func TestSettle(t *testing.T) {
	ctx, r := notifyContext(context.Background(), func() bool { return false })
	defer r.Stop()
	go func() {
		time.Sleep(30 * time.Millisecond)
		r.stop(&InterruptedError{Signal: syscall.SIGINT}) // as the relay loop does
	}()
	err := OS{Relay: r}.Run(ctx, Cmd{Argv: []string{"bash", "-c", "exit 130"}})
	if ExitCode(err) != 130 {
		t.Fatalf("err = %v", err)
	}
	if ctx.Err() == nil {
		t.Error("Run returned before the interrupt was seen")
	}

	ctx2, r2 := notifyContext(context.Background(), func() bool { return false })
	defer r2.Stop()
	start := time.Now()
	err = OS{Relay: r2}.Run(ctx2, Cmd{Argv: []string{"bash", "-c", "exit 1"}})
	if ExitCode(err) != 1 || time.Since(start) >= signalGrace {
		t.Errorf("an ordinary failure waited: %v after %v", err, time.Since(start))
	}
}

func TestLastLine(t *testing.T) {
	for in, want := range map[string]string{
		"":                             "",
		"one":                          "one",
		"first\nwhy it failed\n\n  \n": "why it failed",
		"  padded  \n":                 "padded",
		"a\r\nCannot connect to x\r\n": "Cannot connect to x",
	} {
		if got := LastLine(in); got != want {
			t.Errorf("LastLine(%q) = %q, want %q", in, got, want)
		}
	}
}
