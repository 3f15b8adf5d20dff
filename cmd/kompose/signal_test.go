package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// signalHooks hang in hook_pre_up when HANG_HOOK is set, recording the
// signal they get; the other hooks only record that they ran.
const signalHooks = `hook_pre_up() {
  trap 'echo "[${PWD##*/}] hook_pre_up got SIGTERM" >>"$FAKE_DOCKER_LOG"; exit 143' TERM
  trap 'echo "[${PWD##*/}] hook_pre_up got SIGINT" >>"$FAKE_DOCKER_LOG"; exit 130' INT
  echo "[${PWD##*/}] hook_pre_up $*" >>"$FAKE_DOCKER_LOG"
  if [[ ${HANG_HOOK-} == ${PWD##*/} ]]; then
    : >"$FAKE_DOCKER_READY"
    for ((i = 0; i < 1000; i++)); do sleep 0.01; done
    echo "[${PWD##*/}] hook_pre_up was never signalled" >>"$FAKE_DOCKER_LOG"
  fi
}
hook_post_up() { echo "[${PWD##*/}] hook_post_up $*" >>"$FAKE_DOCKER_LOG"; }
`

// TestSignals delivers SIGTERM and SIGINT to a running kompose while the
// compose command or a hook runs: the child gets the signal, kompose exits
// 130, no post hook runs and the later stacks do not start.
func TestSignals(t *testing.T) {
	kompose, err := exec.LookPath("kompose") // installed by testscript.Main
	if err != nil {
		t.Fatal(err)
	}
	fakebin, err := filepath.Abs("testdata/fakebin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		sig   syscall.Signal
		group bool   // signal kompose's whole process group, as a terminal's Ctrl-C does
		hang  string // "docker" or "hook"
		want  string
	}{
		{name: "SIGTERM to compose", sig: syscall.SIGTERM, hang: "docker", want: "[a] hook_pre_up up -d\n[a] docker compose up -d\n[a] docker got SIGTERM\n"},
		{name: "SIGINT to compose", sig: syscall.SIGINT, hang: "docker", want: "[a] hook_pre_up up -d\n[a] docker compose up -d\n[a] docker got SIGINT\n"},
		{name: "SIGTERM to a hook", sig: syscall.SIGTERM, hang: "hook", want: "[a] hook_pre_up up -d\n[a] hook_pre_up got SIGTERM\n"},
		{name: "SIGINT to a hook", sig: syscall.SIGINT, hang: "hook", want: "[a] hook_pre_up up -d\n[a] hook_pre_up got SIGINT\n"},
		{name: "Ctrl-C to the process group during compose", sig: syscall.SIGINT, group: true, hang: "docker", want: "[a] hook_pre_up up -d\n[a] docker compose up -d\n[a] docker got SIGINT\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			work := t.TempDir()
			root := filepath.Join(work, "stacks")
			for _, s := range []string{"a", "b"} {
				write(t, filepath.Join(root, s, "compose.yaml"), "services: {web: {image: nginx}}\n")
				write(t, filepath.Join(root, s, "hooks.sh"), signalHooks)
			}
			home := filepath.Join(work, "home")
			write(t, filepath.Join(home, ".docker", "cli-plugins", "docker-compose"), "#!/bin/sh\n")
			if err := os.Chmod(filepath.Join(home, ".docker", "cli-plugins", "docker-compose"), 0o755); err != nil {
				t.Fatal(err)
			}
			log, ready := filepath.Join(work, "docker.log"), filepath.Join(work, "ready")
			cmd := exec.Command(kompose, "--root", root, "*", "up", "-d")
			cmd.Env = append(os.Environ(),
				"PATH="+fakebin+string(os.PathListSeparator)+os.Getenv("PATH"),
				"HOME="+home, "NO_COLOR=1", systemPluginDirsVar+"="+filepath.Join(work, "none"),
				"FAKE_DOCKER_LOG="+log, "FAKE_DOCKER_READY="+ready,
			)
			if tt.hang == "docker" {
				cmd.Env = append(cmd.Env, "FAKE_DOCKER_HANG=a")
			} else {
				cmd.Env = append(cmd.Env, "HANG_HOOK=a")
			}
			// Its own process group: not the terminal's foreground group
			// even when the tests run in one, so kompose itself must pass
			// a SIGINT on.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			defer func() {
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			}()

			waitFor(t, ready, done)
			target := cmd.Process.Pid
			if tt.group {
				target = -target
			}
			if err := syscall.Kill(target, tt.sig); err != nil {
				t.Fatal(err)
			}
			var exitErr error
			select {
			case exitErr = <-done:
			case <-time.After(15 * time.Second):
				t.Fatalf("kompose did not end after %v\nstderr:\n%s", tt.sig, stderr.String())
			}
			var xe *exec.ExitError
			if !errors.As(exitErr, &xe) || xe.ExitCode() != 130 {
				t.Errorf("kompose ended with %v, want exit status 130\nstderr:\n%s", exitErr, stderr.String())
			}
			got, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("calls:\n%s\nwant:\n%s", got, tt.want)
			}
			for _, w := range []string{"<== a INTERRUPTED\n", "0 succeeded, 1 failed out of 2 stacks (failed: a); interrupted\n"} {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
			if strings.Contains(stderr.String(), "==> b") {
				t.Errorf("stack b started:\n%s", stderr.String())
			}
		})
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitFor waits until path exists, failing if the process ends first.
func waitFor(t *testing.T, path string, done <-chan error) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("kompose ended before the child was ready: %v", err)
		case <-deadline:
			t.Fatalf("%s never appeared", path)
		case <-time.After(5 * time.Millisecond):
		}
	}
}
