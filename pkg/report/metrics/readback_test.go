package metrics

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/trust"
)

// merge runs Merge with the invoking user's policy and fails the test
// when it does not return within 5 seconds (a FIFO at the name hung
// kompose for ever).
func merge(t *testing.T, path string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		pol := trust.Current()
		done <- Merge(context.Background(), path, Series{LastRun: {{Stack: "blog", Command: "up"}: 1}}, time.Second, &pol)
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("Merge(%s) still running after 5s", path)
		return nil
	}
}

// privateDir is a folder only its owner may write, unlike t.TempDir's
// parent on some systems.
func privateDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "metrics")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestMergeRefusesFIFO(t *testing.T) {
	for _, name := range []string{"kompose.prom", "kompose.prom.lock"} {
		t.Run(name, func(t *testing.T) {
			dir := privateDir(t)
			path := filepath.Join(dir, "kompose.prom")
			if err := syscall.Mkfifo(filepath.Join(dir, name), 0o644); err != nil {
				t.Fatal(err)
			}
			err := merge(t, path)
			if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, name)) || !strings.Contains(err.Error(), "not a regular file") {
				t.Fatalf("Merge: %v, want a refusal naming %s", err, name)
			}
		})
	}
}

// A metrics file another user wrote (a forged last_success that would
// blind the alert) is refused, not merged; so is one anyone may write.
func TestMergeRefusesAnotherUsersFile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file to nobody")
	}
	dir := privateDir(t)
	path := filepath.Join(dir, "kompose.prom")
	forged := `kompose_last_success_timestamp_seconds{stack="blog",command="up"} 9999999999` + "\n"
	if err := os.WriteFile(path, []byte(forged), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	err := merge(t, path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "owned by") {
		t.Fatalf("Merge: %v, want a refusal naming the owner", err)
	}
	if b, _ := os.ReadFile(path); string(b) != forged {
		t.Errorf("the refused file was changed:\n%s", b)
	}

	if err := os.Chown(path, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := merge(t, path); err == nil || !strings.Contains(err.Error(), "world-writable") {
		t.Fatalf("Merge of a world-writable file: %v", err)
	}
}

func TestMergeRefusesWorldWritableFolder(t *testing.T) {
	dir := privateDir(t)
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "kompose.prom")
	err := merge(t, path)
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "world-writable") {
		t.Fatalf("Merge: %v, want a refusal naming the folder", err)
	}
	for _, p := range []string{path, path + ".lock"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s was created in a folder others may write", p)
		}
	}
}

// /tmp-like folders (sticky, world-writable) are accepted: only an
// entry's owner may replace it there; what another user planted is
// refused by its owner.
func TestMergeInStickyFolder(t *testing.T) {
	dir := privateDir(t)
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "kompose.prom")
	if err := merge(t, path); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || !strings.Contains(string(b), LastRun) {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
}
