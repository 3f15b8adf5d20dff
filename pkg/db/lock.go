package db

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// The lock is flock(2) on a file opened without following symlinks
// (O_NOFOLLOW): a symlink planted at the lock's name is refused, never
// written through. The kernel releases the lock when the process dies,
// however it dies, so a crashed run never leaves a stale lock.

// LockPath is the lock file of database db whose dumps live in dir. Export,
// import and cleanup of that stack's database all take it.
func LockPath(dir, db string) string { return filepath.Join(dir, "."+db+".kompose.lock") }

// Lock is a held lock.
type Lock struct{ f *os.File }

// lockPoll is how often a waiting run tries the lock again.
const lockPoll = 100 * time.Millisecond

// AcquireLock takes the lock at path, waiting up to timeout for another
// kompose run to release it. The error of a timeout says who holds it.
// what describes this run for the next one that waits ("db:export").
func AcquireLock(ctx context.Context, path string, timeout time.Duration, what string) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("lock %s is a symbolic link; kompose does not follow it (remove it: rm %s)", path, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("lock %s is not a regular file; remove it", path)
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if ctx.Err() != nil {
			f.Close()
			return nil, context.Cause(ctx)
		}
		if !time.Now().Before(deadline) {
			holder, _ := io.ReadAll(io.LimitReader(f, 512))
			f.Close()
			who := strings.TrimSpace(string(holder))
			if who == "" {
				who = "another kompose run"
			}
			return nil, fmt.Errorf("database is busy: %s (lock %s); gave up after waiting %s (--lock-timeout)", who, path, timeout)
		}
		select {
		case <-ctx.Done():
		case <-time.After(min(lockPoll, max(time.Until(deadline), time.Millisecond))):
		}
	}
	// Say who holds it, for the message of a run that waits: written
	// through the locked descriptor, never by name.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(fmt.Sprintf("kompose %s, pid %d, since %s\n", what, os.Getpid(), time.Now().Format(time.RFC3339))), 0)
	}
	return &Lock{f: f}, nil
}

// Release releases the lock. The lock file stays: removing it would let a
// waiting run and a new one lock two different files.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
