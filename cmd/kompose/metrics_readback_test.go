package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMetricsFileRefusals: --metrics-file at a FIFO another user planted
// no longer hangs kompose after the run (issue 17, item 10): it ends
// promptly, the run's own status unchanged, with a warning naming the
// file and why; likewise a forged file of another user's, kept as it
// was, and a folder anyone may write.
func TestMetricsFileRefusals(t *testing.T) {
	kompose, err := exec.LookPath("kompose")
	if err != nil {
		t.Fatal(err)
	}
	fakebin, err := filepath.Abs("testdata/fakebin")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	root := filepath.Join(work, "stacks")
	write(t, filepath.Join(root, "blog", "compose.yaml"), "services: {web: {image: nginx}}\n")
	home := filepath.Join(work, "home")
	plugin := filepath.Join(home, ".docker", "cli-plugins", "docker-compose")
	write(t, plugin, "#!/bin/sh\n")
	if err := os.Chmod(plugin, 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(metrics string) string {
		t.Helper()
		cmd := exec.Command(kompose, "--root", root, "--metrics-file", metrics, "blog", "up", "-d")
		cmd.Env = append(os.Environ(),
			"PATH="+fakebin+string(os.PathListSeparator)+os.Getenv("PATH"),
			"HOME="+home, "NO_COLOR=1", systemPluginDirsVar+"="+filepath.Join(work, "none"),
			"FAKE_DOCKER_LOG="+filepath.Join(work, "docker.log"))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("kompose: %v (the run itself succeeded)\n%s", err, out.String())
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("kompose still running after 20s:\n%s", out.String())
		}
		return out.String()
	}

	shared := filepath.Join(work, "shared")
	if err := os.Mkdir(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o777|os.ModeSticky); err != nil { // /tmp-like
		t.Fatal(err)
	}
	fifo := filepath.Join(shared, "fifo.prom")
	if err := syscall.Mkfifo(fifo, 0o666); err != nil {
		t.Fatal(err)
	}
	out := run(fifo)
	if !strings.Contains(out, "warning: metrics file "+fifo) || !strings.Contains(out, "not a regular file") {
		t.Errorf("no refusal of the FIFO:\n%s", out)
	}

	open := filepath.Join(work, "open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	out = run(filepath.Join(open, "kompose.prom"))
	if !strings.Contains(out, "warning: metrics file "+filepath.Join(open, "kompose.prom")) || !strings.Contains(out, "world-writable") {
		t.Errorf("no refusal of the folder:\n%s", out)
	}

	if os.Geteuid() == 0 {
		forgedPath := filepath.Join(shared, "forged.prom")
		forged := `kompose_last_success_timestamp_seconds{stack="blog",command="up"} 9999999999` + "\n"
		write(t, forgedPath, forged)
		if err := os.Chown(forgedPath, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		out = run(forgedPath)
		if !strings.Contains(out, "warning: metrics file "+forgedPath) || !strings.Contains(out, "owned by") {
			t.Errorf("no refusal of another user's file:\n%s", out)
		}
		if b, _ := os.ReadFile(forgedPath); string(b) != forged {
			t.Errorf("the forged file was rewritten:\n%s", b)
		}
	}
}
