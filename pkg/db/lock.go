package db

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kompose-dev/kompose/pkg/lock"
	"github.com/kompose-dev/kompose/pkg/safefile"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// The lock is pkg/lock's: flock(2) on a file opened without following
// symlinks (O_NOFOLLOW), so a symlink planted at the lock's name is
// refused, never written through. The kernel releases the lock when the
// process dies, however it dies, so a crashed run never leaves a stale
// lock.

// LockPath is the lock file of database db whose dumps live in dir. Export,
// import and cleanup of that stack's database all take it.
func LockPath(dir, db string) string { return filepath.Join(dir, "."+db+".kompose.lock") }

// Lock is a held lock (see [lock.Lock]).
type Lock = lock.Lock

// AcquireLock takes the lock at path, waiting up to timeout for another
// kompose run to release it. The error of a timeout says who holds it.
// what describes this run for the next one that waits ("db:export").
//
// The lock file lives in the dump folder, which may be a sticky shared
// one: a lock file another user created there (and could hold for ever,
// with a "holder" line of their own) is refused, as every file kompose
// reads back is ([safefile.CheckOpened]): a regular file with one name,
// owned by an account pol trusts.
func AcquireLock(ctx context.Context, pol trust.Policy, path string, timeout time.Duration, what string) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	l, err := lock.AcquireChecked(ctx, path, timeout, "kompose "+what, func(f *os.File) error {
		return safefile.CheckOpened(pol, "lock the database with", path, f)
	})
	var busy *lock.BusyError
	if errors.As(err, &busy) {
		who := busy.Holder
		if who == "" {
			who = "another kompose run"
		}
		return nil, fmt.Errorf("database is busy: %s (lock %s); gave up after waiting %s (--db-lock-timeout)", who, path, timeout)
	}
	return l, err
}
