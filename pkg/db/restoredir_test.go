package db

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/retention"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// TestCleanupRemovesRestoreDirs: db:cleanup removes the restore folders
// (.kompose-restore-*) killed imports and verifies left, and only those:
// not one a running run holds, not one just made, not a symlink (nor
// what it points to), not another name.
func TestCleanupRemovesRestoreDirs(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	keep := filepath.Join(outside, "keep.sql")
	if err := os.WriteFile(keep, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	mk := func(name string, mtime time.Time) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p, "app_20260101_000000.sql"), []byte("plain"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	killed := mk(".kompose-restore-111", old)
	held := mk(".kompose-restore-222", old)
	fresh := mk(".kompose-restore-333", time.Now())
	other := mk(".not-kompose-restore-444", old)
	link := filepath.Join(dir, ".kompose-restore-555")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	f, err := lockDir(held)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	cfg := Config{Name: "app", DumpDir: dir}
	c, err := NewCleanup(trust.Current(), cfg, retention.Policy{Last: 1}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	ex := &plan.ActionEnv{Stack: &plan.Stack{Policy: trust.Current()}}
	ex.Cmd.Stderr = &errb
	if err := c.Run(context.Background(), ex); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(killed); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the killed run's folder is still there: %v", err)
	}
	if !strings.Contains(errb.String(), "1 restore folder(s)") {
		t.Errorf("output: %s", errb.String())
	}
	for _, p := range []string{held, fresh, other, link, keep} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
}

// TestRestoreDirHeld: the folder restoreDir makes is held until done,
// which removes it.
func TestRestoreDirHeld(t *testing.T) {
	cfg := Config{Name: "app", DumpDir: t.TempDir()}
	ex := &plan.ActionEnv{Stack: &plan.Stack{Policy: trust.Current()}}
	d, done, err := restoreDir(cfg, ex)
	if err != nil {
		t.Fatal(err)
	}
	if err := removeStale(trust.Current(), d, time.Now().Add(time.Hour)); err == nil {
		t.Error("a held restore folder was removed")
	}
	done()
	if _, err := os.Lstat(d); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("done left %s: %v", d, err)
	}
}
