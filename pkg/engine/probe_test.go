package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeDocker writes a docker program that answers by DOCKER_HOST: "up"
// prints a version, "down" fails as docker does, "frozen" hangs (with a
// child, as the ssh client docker starts), "pass" fails echoing the
// address. It counts its calls in a file.
func fakeDocker(t *testing.T) (environ []string, calls string) {
	t.Helper()
	dir := t.TempDir()
	calls = filepath.Join(dir, "calls")
	script := `#!/bin/sh
echo "$DOCKER_HOST" >> "` + calls + `"
case "$DOCKER_HOST" in
*up*) echo 25.0.3 ;;
*frozen*) sleep 60 & sleep 60 ;;
*down*) echo "Cannot connect to the Docker daemon at $DOCKER_HOST. Is the docker daemon running?" >&2; exit 1 ;;
esac
case "$DOCKER_CONTEXT" in
nas) echo 24.0.7 ;;
gone) echo 'context "gone": context not found: open /root/.docker/contexts/meta/x/meta.json: no such file or directory' >&2; exit 1 ;;
esac
`
	if err := os.WriteFile(filepath.Join(dir, "docker"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{"PATH=" + dir + ":/usr/bin:/bin"}, calls
}

func TestCheck(t *testing.T) {
	base, calls := fakeDocker(t)
	var c Checker
	ctx := context.Background()
	with := func(kv ...string) []string { return append(append([]string{}, base...), kv...) }

	st := c.Check(ctx, with("DOCKER_HOST=tcp://up:2375"), time.Second)
	if !st.Answers() || st.Version != "25.0.3" {
		t.Fatalf("up: %+v", st)
	}
	st = c.Check(ctx, with("DOCKER_CONTEXT=nas"), time.Second)
	if !st.Answers() || st.Version != "24.0.7" || st.Engine.Name() != "nas" {
		t.Fatalf("context nas: %+v", st)
	}
	st = c.Check(ctx, with("DOCKER_HOST=tcp://admin:s3cret@down:2376"), time.Second)
	var de *DownError
	if !errors.As(st.Err, &de) {
		t.Fatalf("down: %+v", st)
	}
	msg := st.Err.Error()
	if strings.Contains(msg, "s3cret") || !strings.Contains(msg, "engine tcp://admin:****@down:2376 does not answer: Cannot connect") {
		t.Errorf("down: %q", msg)
	}
	st = c.Check(ctx, with("DOCKER_CONTEXT=gone"), time.Second)
	if st.Answers() || !strings.Contains(st.Err.Error(), `engine gone (docker context) does not answer: context "gone": context not found`) {
		t.Errorf("gone: %v", st.Err)
	}

	// A frozen engine costs the timeout, its probe and the probe's
	// children are killed, and the message names the engine.
	start := time.Now()
	st = c.Check(ctx, with("DOCKER_HOST=ssh://root@frozen"), 300*time.Millisecond)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("frozen: took %v", took)
	}
	if st.Answers() || !strings.Contains(st.Err.Error(), "engine ssh://root@frozen did not answer within 300ms (KOMPOSE_ENGINE_TIMEOUT)") {
		t.Errorf("frozen: %v", st.Err)
	}

	// Each engine is probed once per run, whoever asks, however many at once.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if st := c.Check(ctx, with("DOCKER_HOST=tcp://up:2375", "OTHER=1"), time.Second); !st.Answers() {
				t.Errorf("again: %+v", st)
			}
		}()
	}
	wg.Wait()
	b, _ := os.ReadFile(calls)
	if got := strings.Count(string(b), "tcp://up:2375"); got != 1 {
		t.Errorf("tcp://up:2375 probed %d times, want 1:\n%s", got, b)
	}
}

// Probes of different engines run at the same time: a frozen engine does
// not hold up the probe of another.
func TestCheckEnginesInParallel(t *testing.T) {
	base, _ := fakeDocker(t)
	var c Checker
	ctx := context.Background()
	done := make(chan Status)
	go func() { done <- c.Check(ctx, append(base, "DOCKER_HOST=ssh://frozen"), 1500*time.Millisecond) }()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	if st := c.Check(ctx, append(base, "DOCKER_HOST=tcp://up"), 5*time.Second); !st.Answers() {
		t.Fatalf("up: %+v", st)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("the probe of a second engine waited %v for the frozen one", took)
	}
	if st := <-done; st.Answers() {
		t.Errorf("frozen answered: %+v", st)
	}
}

func TestParseTimeout(t *testing.T) {
	for in, want := range map[string]time.Duration{"": DefaultTimeout, "5": 5 * time.Second, "1.5s": 1500 * time.Millisecond, "2m": 2 * time.Minute} {
		if got, err := ParseTimeout(in); err != nil || got != want {
			t.Errorf("ParseTimeout(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"0", "-1s", "soon"} {
		if _, err := ParseTimeout(in); err == nil || !strings.Contains(err.Error(), TimeoutVar) {
			t.Errorf("ParseTimeout(%q): %v", in, err)
		}
	}
}

// Without a docker CLI (podman's socket in DOCKER_HOST, compose from
// KOMPOSE_COMPOSE) the engine is not asked, and that is no failure.
func TestCheckWithoutDockerCLI(t *testing.T) {
	var c Checker
	st := c.Check(context.Background(), []string{"PATH=" + t.TempDir(), "DOCKER_HOST=unix:///run/user/1000/podman/podman.sock"}, time.Second)
	if st.Err != nil || st.Unchecked != "no docker CLI on PATH" {
		t.Errorf("%+v", st)
	}
}
