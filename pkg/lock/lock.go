// Package lock holds kompose's file locks: flock(2) on a file opened
// without following symlinks, with the holder (pid, command, since)
// written into it for the next run that has to wait.
//
// The file is opened with O_NOFOLLOW, so a symlink planted at its name is
// refused, never written through; anything but a regular file is refused
// too. The kernel releases the lock when the process dies, however it
// dies, so a crashed run never leaves a stale lock; the file itself stays
// (removing it would let a waiting run and a new one lock two different
// files). Callers create locks only in folders they trust (a stack's
// folder, checked by pkg/trust).
package lock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Lock is a held lock.
type Lock struct{ f *os.File }

// Poll is how often a waiting run tries the lock again.
const Poll = 100 * time.Millisecond

// BusyError is a lock still held by someone else after the wait.
type BusyError struct {
	Path   string
	Holder string // "kompose up, pid 123, since 2026-…", or "" when unknown
	Waited time.Duration
}

func (e *BusyError) Error() string {
	who := e.Holder
	if who == "" {
		who = "another kompose run"
	}
	return fmt.Sprintf("locked by %s (lock %s); gave up after waiting %s (--lock-timeout)", who, e.Path, e.Waited)
}

// Acquire takes the lock at path, creating the file (mode 0600) when it
// does not exist, and waits up to timeout for the run holding it. what
// describes this run for the next one that waits ("kompose up"). The
// error of a timeout is a *[BusyError] naming the holder; an interrupt
// (ctx) returns its cause.
func Acquire(ctx context.Context, path string, timeout time.Duration, what string) (*Lock, error) {
	return acquire(ctx, path, timeout, what, syscall.LOCK_EX)
}

// AcquireShared is [Acquire] for a shared lock: any number of shared
// holders at once, none while an exclusive one holds it.
func AcquireShared(ctx context.Context, path string, timeout time.Duration, what string) (*Lock, error) {
	return acquire(ctx, path, timeout, what, syscall.LOCK_SH)
}

// AcquireChecked is [Acquire] with check run on the opened file before
// it is locked (the owner of a lock in a folder others share, say); an
// error of check is returned as it is.
func AcquireChecked(ctx context.Context, path string, timeout time.Duration, what string, check func(*os.File) error) (*Lock, error) {
	return acquireChecked(ctx, path, timeout, what, syscall.LOCK_EX, check)
}

func acquire(ctx context.Context, path string, timeout time.Duration, what string, how int) (*Lock, error) {
	return acquireChecked(ctx, path, timeout, what, how, nil)
}

func acquireChecked(ctx context.Context, path string, timeout time.Duration, what string, how int, check func(*os.File) error) (*Lock, error) {
	f, err := open(path)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(f); err != nil {
			f.Close()
			return nil, err
		}
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
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
			holder := Holder(f)
			f.Close()
			return nil, &BusyError{Path: path, Holder: holder, Waited: timeout}
		}
		t := time.NewTimer(min(Poll, max(time.Until(deadline), time.Millisecond)))
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
	// Say who holds it, through the locked descriptor, never by name.
	if err := f.Truncate(0); err == nil {
		line := fmt.Sprintf("%s, pid %d, since %s\n", what, os.Getpid(), time.Now().Format(time.RFC3339))
		_, _ = f.WriteAt([]byte(line), 0)
	}
	return &Lock{f: f}, nil
}

// open opens (or creates) the lock file without following a symlink, and
// refuses one that is not a regular file of its own (a hard link). A
// file kompose may not write (a folder it may only read) is opened for
// reading: flock works on it all the same, only the holder is not
// written.
func open(path string) (*os.File, error) {
	// O_NONBLOCK: a FIFO planted at the name is refused below, not
	// waited on (opening one for reading blocks until a writer comes).
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NONBLOCK|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if errors.Is(err, os.ErrPermission) {
		if g, rerr := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0); rerr == nil {
			f, err = g, nil
		}
	}
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("lock %s is a symbolic link; kompose does not follow it (remove it: rm %s)", path, path)
		}
		return nil, fmt.Errorf("lock: %w", err)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("lock %s is not a regular file; remove it", path)
	}
	// A hard link planted at the lock's name (where the kernel's
	// fs.protected_hardlinks does not forbid it) is another file, maybe
	// root's, that the holder line would overwrite.
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink != 1 {
		f.Close()
		return nil, fmt.Errorf("lock %s is a hard link to another file (%d links); kompose does not write through it (remove it: rm %s)", path, st.Nlink, path)
	}
	return f, nil
}

// Holder returns what the holder of the lock file f wrote about itself,
// on one line, without control characters.
func Holder(f *os.File) string {
	b, _ := io.ReadAll(io.NewSectionReader(f, 0, 512))
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, strings.TrimSpace(line))
}

// Release releases the lock. The lock file stays.
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

// HolderPID returns the process id in a holder line ("kompose up, pid
// 123, since …"), 0 when there is none.
func HolderPID(holder string) int {
	_, rest, ok := strings.Cut(holder, ", pid ")
	if !ok {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(rest, ",", 2)[0]))
	return n
}

// IsAncestor reports whether pid is this process's parent, or its
// parent's, and so on: a kompose run from a hook of the kompose that
// holds a stack's lock.
func IsAncestor(pid int) bool {
	if pid <= 1 {
		return false
	}
	for p := os.Getppid(); p > 1; {
		if p == pid {
			return true
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/stat")
		if err != nil {
			return false
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 2 {
			return false
		}
		if p, err = strconv.Atoi(f[1]); err != nil {
			return false
		}
	}
	return false
}
