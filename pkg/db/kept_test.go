package db

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/retention"
	"github.com/kompose-dev/kompose/pkg/trust"
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

// A dump folder may be a sticky shared folder (trust accepts it): another
// user may create files there named like dumps, with later times than
// every real one. They are not kompose's dumps: db:cleanup --keep N must
// keep the newest N of the dumps the trust rule accepts (never count the
// planted ones, which would make it remove every real dump), and removes
// none of the planted files either.
func TestCleanupCountsOnlyTrustedDumps(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make files of other owners") // CI runs as root
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	mk := func(name string, uid int) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, uid, uid); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"app_20250101_000000.sql", "app_20250102_000000.sql", "app_20250103_000000.sql"} {
		mk(n, 0)
	}
	for _, n := range []string{"app_20991230_000000.sql", "app_20991231_000000.sql"} {
		mk(n, 65534)
	}
	cfg := Config{Name: "app", DumpDir: dir}
	c, err := NewCleanup(trust.Current(), cfg, retention.Policy{Last: 2}, time.Date(2025, 2, 1, 0, 0, 0, 0, time.Local))
	if err != nil {
		t.Fatal(err)
	}
	names := func(ds []Dump) (out []string) {
		for _, d := range ds {
			out = append(out, d.Name)
		}
		return out
	}
	if got, want := names(c.Kept), []string{"app_20250103_000000.sql", "app_20250102_000000.sql"}; !slices.Equal(got, want) {
		t.Errorf("kept %v, want %v", got, want)
	}
	if got, want := names(c.Remove), []string{"app_20250101_000000.sql"}; !slices.Equal(got, want) {
		t.Errorf("removes %v, want %v", got, want)
	}
	if got, want := names(c.Foreign), []string{"app_20991231_000000.sql", "app_20991230_000000.sql"}; !slices.Equal(got, want) {
		t.Errorf("left alone %v, want %v", got, want)
	}
	if d := strings.Join(c.Describe(), "\n"); !strings.Contains(d, "not a dump of yours: app_20991231_000000.sql (it is owned by uid 65534 (nobody)") {
		t.Errorf("the dry run does not say why the planted files stay:\n%s", d)
	}
}

// The database lock lives in the dump folder, which may be a sticky
// shared one: another user could create the lock file first and hold it
// (every export, import and cleanup of that database then waits and
// fails naming a "holder" that user wrote). A lock file kompose did not
// make is refused, naming its owner and the fix, before it is used.
func TestLockRefusesAnotherUsersFile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make files of other owners") // CI runs as root
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	path := LockPath(dir, "app")
	if err := os.WriteFile(path, []byte("kompose db:export of app, pid 1, since forever\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	l, err := AcquireLock(context.Background(), trust.Current(), path, 0, "db:export of app")
	if err == nil {
		l.Release()
		t.Fatal("another user's lock file was used")
	}
	if !strings.Contains(err.Error(), "owned by uid 65534 (nobody)") || !strings.Contains(err.Error(), path) {
		t.Errorf("refusal: %v", err)
	}
	if err := os.Chown(path, 0, 0); err != nil {
		t.Fatal(err)
	}
	l, err = AcquireLock(context.Background(), trust.Current(), path, 0, "db:export of app")
	if err != nil {
		t.Fatalf("root's own lock file: %v", err)
	}
	l.Release()
}
