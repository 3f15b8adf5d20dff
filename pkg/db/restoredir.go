package db

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// restoreDirStart starts the name of the private folders a dump is read
// back (--from restic) or decrypted into.
const restoreDirStart = ".kompose-restore-"

// restoreGrace is how long a restore folder is left alone after it was
// last changed even when no run holds it: the moment between its
// creation and its lock.
const restoreGrace = time.Minute

// restoreDir makes a private folder (0700, a name no dump nor temporary
// file has) in the dump folder, once the trust rule accepts that folder,
// and holds an exclusive flock on it until done is called (done also
// removes it). The flock is how db:cleanup tells the folder of a running
// import or verify from one a killed run left: the kernel drops it with
// the process.
func restoreDir(cfg Config, ex *plan.ActionEnv) (dir string, done func(), err error) {
	if err := os.MkdirAll(cfg.DumpDir, 0o750); err != nil {
		return "", nil, fmt.Errorf("dump folder: %w", err)
	}
	if err := checkDumpDir(cfg, ex); err != nil {
		return "", nil, err
	}
	dir, err = os.MkdirTemp(cfg.DumpDir, restoreDirStart)
	if err != nil {
		return "", nil, fmt.Errorf("restore folder: %w", err)
	}
	f, err := lockDir(dir)
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("restore folder: %w", err)
	}
	return dir, func() {
		os.RemoveAll(dir)
		f.Close() // releases the flock
	}, nil
}

// lockDir opens dir (never through a symlink) and takes an exclusive
// flock on it without waiting.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// removeRestoreDirs removes the restore folders in dir that killed runs
// left: those no run holds (lockDir succeeds), unchanged for
// restoreGrace, and kompose's: real directories (not symlinks) that the
// trust rule pol accepts. It returns how many it removed.
func removeRestoreDirs(pol trust.Policy, dir string, now time.Time) int {
	entries, _ := os.ReadDir(dir)
	n := 0
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), restoreDirStart) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if removeStale(pol, p, now) == nil {
			n++
		}
	}
	return n
}

// removeStale removes the restore folder p when it is stale and ours.
func removeStale(pol trust.Policy, p string, now time.Time) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return errors.New("not a directory")
	}
	if err := pol.Check("remove the restore folder", p, fi); err != nil {
		return err
	}
	if now.Sub(fi.ModTime()) < restoreGrace {
		return errors.New("too new")
	}
	f, err := lockDir(p)
	if err != nil {
		return err // held by a running import or verify
	}
	defer f.Close()
	return os.RemoveAll(p)
}
