package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/report/jsonout"
)

// TestReportSignal: a run stopped by SIGTERM while compose runs still
// writes its --report: interrupted, exit status 130, the stack that ran
// interrupted and the next one not run.
func TestReportSignal(t *testing.T) {
	kompose, err := exec.LookPath("kompose") // installed by testscript.Main
	if err != nil {
		t.Fatal(err)
	}
	fakebin, err := filepath.Abs("testdata/fakebin")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	root := filepath.Join(work, "stacks")
	for _, s := range []string{"a", "b"} {
		write(t, filepath.Join(root, s, "compose.yaml"), "services: {web: {image: nginx}}\n")
	}
	home := filepath.Join(work, "home")
	plugin := filepath.Join(home, ".docker", "cli-plugins", "docker-compose")
	write(t, plugin, "#!/bin/sh\n")
	if err := os.Chmod(plugin, 0o755); err != nil {
		t.Fatal(err)
	}
	report, ready := filepath.Join(work, "report.json"), filepath.Join(work, "ready")
	cmd := exec.Command(kompose, "--root", root, "--report", report, "*", "up", "-d")
	cmd.Env = append(os.Environ(),
		"PATH="+fakebin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+home, "NO_COLOR=1", systemPluginDirsVar+"="+filepath.Join(work, "none"),
		"FAKE_DOCKER_LOG="+filepath.Join(work, "docker.log"), "FAKE_DOCKER_READY="+ready, "FAKE_DOCKER_HANG=a",
	)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }()
	waitFor(t, ready, done)
	if _, err := os.Stat(report); err == nil {
		t.Fatal("the report exists before the run ended")
	}
	if err := syscall.Kill(cmd.Process.Pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err = <-done:
	case <-time.After(15 * time.Second):
		t.Fatalf("kompose did not end\n%s", stderr.String())
	}
	var xe *exec.ExitError
	if !errors.As(err, &xe) || xe.ExitCode() != 130 {
		t.Fatalf("exit: %v, want 130\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var doc jsonout.Run
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Kind != jsonout.KindReport || !doc.Interrupted || doc.ExitCode == nil || *doc.ExitCode != 130 {
		t.Errorf("report: kind %q interrupted %v exit %v\n%s", doc.Kind, doc.Interrupted, doc.ExitCode, b)
	}
	if len(doc.Stacks) != 2 || doc.Stacks[0].Status != "interrupted" || doc.Stacks[1].Status != "not run" {
		t.Errorf("stacks:\n%s", b)
	}
	if len(doc.Stacks) > 0 && (len(doc.Stacks[0].Steps) != 1 || doc.Stacks[0].Steps[0].ExitCode == nil || *doc.Stacks[0].Steps[0].ExitCode != 143) {
		t.Errorf("the compose step of a should have exit status 143:\n%s", b)
	}
}
