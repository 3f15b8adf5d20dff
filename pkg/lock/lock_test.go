package lock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAcquireWaitsAndNamesHolder(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".kompose.lock")
	l, err := Acquire(context.Background(), p, 0, "kompose up")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	_, err = Acquire(context.Background(), p, 300*time.Millisecond, "kompose down")
	var be *BusyError
	if !errors.As(err, &be) {
		t.Fatalf("second lock: %v, want a BusyError", err)
	}
	if time.Since(t0) < 300*time.Millisecond {
		t.Errorf("gave up after %s, before the timeout", time.Since(t0))
	}
	if !strings.HasPrefix(be.Holder, "kompose up, pid ") || !strings.Contains(be.Holder, "since ") {
		t.Errorf("holder %q does not name the command, pid and since", be.Holder)
	}
	// Released while another waits: the waiter gets it.
	go func() { time.Sleep(150 * time.Millisecond); _ = l.Release() }()
	l2, err := Acquire(context.Background(), p, 5*time.Second, "kompose down")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	_ = l2.Release()
}

func TestAcquireRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("keep\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, ".kompose.lock")
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(context.Background(), p, 0, "kompose up"); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("err = %v, want a refusal of the symlink", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep\n" {
		t.Errorf("the symlink's target was written: %q", b)
	}
	// A dangling symlink is not created through either.
	p2 := filepath.Join(dir, "dangling.lock")
	if err := os.Symlink(filepath.Join(dir, "new"), p2); err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(context.Background(), p2, 0, "x"); err == nil {
		t.Fatal("a dangling symlink was followed")
	}
	if _, err := os.Lstat(filepath.Join(dir, "new")); err == nil {
		t.Error("the symlink's target was created")
	}
}

func TestAcquireInterrupted(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".kompose.lock")
	l, err := Acquire(context.Background(), p, 0, "a")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("interrupted")
	time.AfterFunc(100*time.Millisecond, func() { cancel(stop) })
	if _, err := Acquire(ctx, p, time.Minute, "b"); !errors.Is(err, stop) {
		t.Fatalf("err = %v, want the interrupt", err)
	}
}

func TestHolderStripsControlCharacters(t *testing.T) {
	p := filepath.Join(t.TempDir(), "l")
	if err := os.WriteFile(p, []byte("evil\x1b[2Jname\nsecond line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if h := Holder(f); h != "evil[2Jname" {
		t.Errorf("Holder = %q", h)
	}
}

func TestShared(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".kompose.lock")
	a, err := AcquireShared(context.Background(), p, 0, "kompose db:export")
	if err != nil {
		t.Fatal(err)
	}
	b, err := AcquireShared(context.Background(), p, 0, "kompose db:export")
	if err != nil {
		t.Fatalf("a second shared lock: %v", err)
	}
	if _, err := Acquire(context.Background(), p, 0, "kompose up"); err == nil {
		t.Fatal("an exclusive lock beside shared ones")
	}
	_ = a.Release()
	_ = b.Release()
	l, err := Acquire(context.Background(), p, 0, "kompose up")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AcquireShared(context.Background(), p, 0, "x"); err == nil {
		t.Fatal("a shared lock beside an exclusive one")
	}
	_ = l.Release()
}

func TestAncestor(t *testing.T) {
	if !IsAncestor(os.Getppid()) {
		t.Error("the parent is not an ancestor")
	}
	if IsAncestor(os.Getpid()) {
		t.Error("this process is its own ancestor")
	}
	if got := HolderPID("kompose up, pid 123, since 2026"); got != 123 {
		t.Errorf("HolderPID = %d", got)
	}
}

// A hard link planted at the lock's name (where fs.protected_hardlinks
// does not forbid it) names a file elsewhere, maybe root's: it is refused,
// never truncated nor written.
func TestAcquireRefusesHardLink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "shadow")
	if err := os.WriteFile(target, []byte("root:secret:1:0:99999:7:::\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, ".kompose.lock")
	if err := os.Link(target, p); err != nil {
		t.Fatal(err)
	}
	_, err := Acquire(context.Background(), p, 0, "kompose up")
	if err == nil || !strings.Contains(err.Error(), "hard link") || !strings.Contains(err.Error(), p) {
		t.Fatalf("err = %v, want a refusal of the hard link naming it", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "root:secret:1:0:99999:7:::\n" {
		t.Errorf("the linked file was changed: %q", b)
	}
}
