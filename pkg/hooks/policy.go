package hooks

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/kompose-dev/kompose/pkg/trust"
)

// What kompose does with a hook file or folder, for [trust.UnsafeError]
// messages.
const (
	UseHooks  = "run hooks from"
	UseSource = "source"
)

// CheckTree checks, under t's policy, what s would run and every folder
// leading to it, up to "/": the hooks/ folders, hooks.sh and each file it
// sources with a literal path, and those of hooks that are files that would
// run. Each file is checked as it was read (the stat taken when hooks.sh
// was parsed or the folder scanned) and must still be that file. It
// returns the first refusal.
func CheckTree(t *trust.Tree, s Set, hooks []Hook) error {
	for _, d := range []*Dir{s.Root, s.Stack} {
		if d != nil {
			if err := t.CheckDir(UseHooks, d.Path); err != nil {
				return err
			}
		}
	}
	if s.Script != nil && s.Script.Info != nil {
		for _, f := range s.Script.Files {
			if err := checkFile(t, f); err != nil {
				return err
			}
		}
		for _, f := range s.Script.Missing {
			if err := checkMissing(t, f); err != nil {
				return err
			}
		}
	}
	for _, h := range hooks {
		if h.Executable() && h.NotRun == "" && h.Info != nil {
			if err := checkFile(t, File{Path: h.Path, Info: h.Info}); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkFile checks one file: as it was read, then by path with its
// folders, and that the path still names it.
func checkFile(t *trust.Tree, f File) error {
	use := UseHooks
	if f.From != "" {
		use = UseSource
	}
	err := t.Policy.Check(use, f.Path, f.Info)
	if err == nil {
		err = t.CheckFile(use, f.Path)
	}
	if err == nil {
		err = Unchanged(f)
	}
	if err != nil && f.From != "" {
		return fmt.Errorf("%s (sourced at %s): %w", filepath.Base(f.Path), f.From, err)
	}
	return err
}

// checkMissing checks a file hooks.sh sources that did not exist when it
// was parsed: bash reads it if it appears, so only a trusted account may
// be able to create it ([trust.Tree.CheckCreatable]); if it is there now,
// it is checked as a file.
func checkMissing(t *trust.Tree, f File) error {
	if _, err := os.Lstat(f.Path); err == nil {
		if err := t.CheckFile(UseSource, f.Path); err != nil {
			return fmt.Errorf("%s (sourced at %s): %w", filepath.Base(f.Path), f.From, err)
		}
		return nil
	}
	if err := t.CheckCreatable(UseSource, f.Path); err != nil {
		return fmt.Errorf("%s (sourced at %s), which does not exist yet: %w", filepath.Base(f.Path), f.From, err)
	}
	return nil
}

// ChangedError is a file kompose checked that was replaced or changed
// afterwards, before it ran.
type ChangedError struct {
	Path string
	Why  string
}

func (e *ChangedError) Error() string {
	return fmt.Sprintf("%s changed after kompose checked it (%s); nothing of it was run, run kompose again once it has settled", e.Path, e.Why)
}

// Unchanged returns a *ChangedError unless f.Path still names the very
// file f.Info describes, unmodified: same device and inode, size,
// modification and change time. kompose calls it right before a hook
// starts, so that the file that runs is the file that was checked; the
// trusted folders around it mean that only a trusted account could swap it
// in the moment between.
func Unchanged(f File) error {
	fi, err := os.Stat(f.Path)
	if err != nil {
		return &ChangedError{Path: f.Path, Why: "it cannot be read now: " + errText(err)}
	}
	if why := differs(f.Info, fi); why != "" {
		return &ChangedError{Path: f.Path, Why: why}
	}
	return nil
}

// UnchangedFiles calls Unchanged for each file.
func UnchangedFiles(files []File) error {
	for _, f := range files {
		if err := Unchanged(f); err != nil {
			return err
		}
	}
	return nil
}

func errText(err error) string {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// differs says how b differs from a, "" when it is the same file unchanged.
func differs(a, b fs.FileInfo) string {
	sa, ok1 := a.Sys().(*syscall.Stat_t)
	sb, ok2 := b.Sys().(*syscall.Stat_t)
	if !ok1 || !ok2 {
		if !os.SameFile(a, b) {
			return "it is another file now"
		}
		return ""
	}
	switch {
	case sa.Dev != sb.Dev || sa.Ino != sb.Ino:
		return "it was replaced by another file"
	case sa.Size != sb.Size || sa.Mtim != sb.Mtim:
		return "its content was modified"
	case sa.Ctim != sb.Ctim:
		return "its owner or mode was changed"
	}
	return ""
}
