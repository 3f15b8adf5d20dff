//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestCleanupAfterFailure runs a copy of this test binary whose only test
// starts real containers and then fails (t.Fatal), or panics while a
// parallel test also has containers up, and checks that the copy removed
// every container, network and volume of its run before it exited.
func TestCleanupAfterFailure(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode    string
		started int    // projects the helper announces
		output  string // what its output must show
	}{
		{"fail", 1, "failing on purpose"},
		{"panic", 2, "panic: panicking on purpose"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			// The helper's projects start with this test's prefix, so this
			// test's own clean-up is the backstop if the helper's fails.
			e := newEnv(t)
			run := e.prefix + "helper"
			ctx, cancel := context.WithTimeout(e.ctx, 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCleanupHelper$", "-test.v", "-test.count=1", "-test.parallel=4")
			cmd.Env = append(os.Environ(), helperModeVar+"="+tc.mode, helperRunVar+"="+run, helperBinVar+"="+the.kompose)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := the.procs.start(cmd)
			if err == nil {
				err = the.procs.wait(cmd)
			}
			output := out.String()
			if err == nil {
				t.Fatalf("the helper passed, want it to fail:\n%s", output)
			}
			if n := strings.Count(output, "E2E-HELPER started "+run); n != tc.started {
				t.Fatalf("the helper started %d projects, want %d:\n%s", n, tc.started, output)
			}
			if !strings.Contains(output, tc.output) {
				t.Errorf("the helper's output lacks %q:\n%s", tc.output, output)
			}
			if strings.Contains(output, "left behind") {
				t.Errorf("the tests' own clean-ups missed something (the helper's TestMain found it):\n%s", output)
			}
			left, err := listResources(context.Background(), run+"-")
			if err != nil {
				t.Fatal(err)
			}
			if len(left) > 0 {
				t.Errorf("the helper left %v\n%s", left, output)
			}
		})
	}
}

// TestCleanupHelper is the test TestCleanupAfterFailure runs in a copy of
// the test binary; a normal run skips it.
func TestCleanupHelper(t *testing.T) {
	mode := os.Getenv(helperModeVar)
	if mode == "" {
		t.Skip("not a test of its own: TestCleanupAfterFailure runs it in a copy of the test binary")
	}
	start := func(t *testing.T) {
		e := newEnv(t)
		e.simpleStack("a")
		e.mustExit(e.kompose("a", "up", "-d"), 0)
		if got := e.services("a", "running"); len(got) != 1 {
			t.Fatalf("want one running container, got %v", got)
		}
		fmt.Printf("E2E-HELPER started %s\n", e.project("a"))
	}
	switch mode {
	case "fail":
		start(t)
		t.Fatal("failing on purpose")
	case "panic":
		ready := make(chan struct{})
		t.Run("sibling", func(t *testing.T) {
			t.Parallel()
			start(t)
			close(ready)
			time.Sleep(time.Minute) // the panic ends the process first
		})
		t.Run("panicker", func(t *testing.T) {
			t.Parallel()
			<-ready
			start(t)
			panic("panicking on purpose")
		})
	default:
		t.Fatalf("%s=%q: unknown mode", helperModeVar, mode)
	}
}
