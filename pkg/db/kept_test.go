package db

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The record of the kept database lives in the dump folder, which may be
// a sticky shared folder (trust accepts those): another user may plant a
// record there before kompose writes one. A record kompose did not write
// (another owner, a second name for another file, a FIFO) names nothing:
// never a database to drop or swap in, and reading it never blocks.
func TestReadKeptOnlyOwnRecord(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make files of other owners") // CI runs as root
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Name: "app", DumpDir: dir}
	name := sideName("app", previousInfix, "20250101_000000")
	path := KeptPath(dir, "app")
	write := func(uid int) {
		t.Helper()
		_ = os.Remove(path)
		if err := os.WriteFile(path, []byte(name+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(path, uid, uid); err != nil {
			t.Fatal(err)
		}
	}
	write(0)
	if got := ReadKept(cfg); got != name {
		t.Fatalf("kompose's own record: %q, want %q", got, name)
	}
	write(65534)
	if got := ReadKept(cfg); got != "" {
		t.Errorf("a record owned by nobody: %q, want none", got)
	}
	write(0)
	other := filepath.Join(dir, "other")
	if err := os.Link(path, other); err != nil {
		t.Fatal(err)
	}
	if got := ReadKept(cfg); got != "" {
		t.Errorf("a record with a second name: %q, want none", got)
	}
	_ = os.Remove(other)
	_ = os.Remove(path)
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan string, 1)
	go func() { done <- ReadKept(cfg) }()
	select {
	case got := <-done:
		if got != "" {
			t.Errorf("a FIFO: %q, want none", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadKept blocked on a FIFO")
	}
}
