package db

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// Why gofrs/flock: a maintained, portable flock(2)/LockFileEx wrapper with a
// context-aware TryLockContext. The kernel releases the lock when the
// process dies, however it dies, so a crashed run never leaves a stale lock.

// LockPath is the lock file of database db whose dumps live in dir. Export,
// import and cleanup of that stack's database all take it.
func LockPath(dir, db string) string { return filepath.Join(dir, "."+db+".kompose.lock") }

// Lock is a held lock.
type Lock struct{ fl *flock.Flock }

// AcquireLock takes the lock at path, waiting up to timeout for another
// kompose run to release it. The error of a timeout says who holds it.
// what describes this run for the next one that waits ("db:export").
func AcquireLock(ctx context.Context, path string, timeout time.Duration, what string) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	fl := flock.New(path)
	ok, err := fl.TryLock()
	if err == nil && !ok && timeout > 0 {
		wctx, cancel := context.WithTimeout(ctx, timeout)
		ok, err = fl.TryLockContext(wctx, 100*time.Millisecond)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			err = nil
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		holder, _ := os.ReadFile(path)
		who := strings.TrimSpace(string(holder))
		if who == "" {
			who = "another kompose run"
		}
		return nil, fmt.Errorf("database is busy: %s (lock %s); gave up after waiting %s (--lock-timeout)", who, path, timeout)
	}
	// Say who holds it, for the message of a run that waits.
	if f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0); err == nil {
		fmt.Fprintf(f, "kompose %s, pid %d, since %s\n", what, os.Getpid(), time.Now().Format(time.RFC3339))
		f.Close()
	}
	return &Lock{fl: fl}, nil
}

// Release releases the lock. The lock file stays: removing it would let a
// waiting run and a new one lock two different files.
func (l *Lock) Release() error {
	if l == nil {
		return nil
	}
	return l.fl.Unlock()
}
