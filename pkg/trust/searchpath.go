package trust

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// FolderError is a folder of a search path (PATH) that kompose refuses: a
// relative or empty entry (Problem set), or a folder the policy refuses
// (Unsafe set).
type FolderError struct {
	Dir     string
	Problem string       // "" when Unsafe says it
	Unsafe  *UnsafeError // the folder, or the one above it, that is refused
}

func (e *FolderError) Error() string {
	if e.Unsafe == nil {
		return e.Problem
	}
	if e.Unsafe.Path == e.Dir {
		return e.Dir + ": " + e.Unsafe.Reason
	}
	return fmt.Sprintf("%s; %s holds it: %s", e.Dir, e.Unsafe.Path, e.Unsafe.Reason)
}

// CheckSearchFolder checks one entry of a search path such as PATH, from
// which programs run as the invoking user are taken. The entry must be an
// absolute folder that the policy trusts, with every folder above it, and
// that no one else may create entries in: a sticky folder such as /tmp is
// refused too, since anyone may add a program of a new name to it. One
// that does not exist yet must be such that only a trusted account could
// create it: the nearest folder above it that exists is checked that way.
// The error is a *FolderError.
func (t *Tree) CheckSearchFolder(use, dir string) error {
	switch {
	case dir == "":
		return &FolderError{Dir: dir, Problem: "an empty entry (a leading, trailing or doubled ':'), which means the current folder: programs would also be taken from the folder each hook or compose runs in"}
	case !filepath.IsAbs(dir):
		return &FolderError{Dir: dir, Problem: fmt.Sprintf("the relative folder %q, which is looked up from the folder each hook or compose runs in", dir)}
	case slices.ContainsFunc(strings.Split(dir, "/"), func(c string) bool { return c == "." || c == ".." }):
		// The kernel takes .. after resolving symlinks, where a check
		// of the cleaned path would not: both may be other folders.
		return &FolderError{Dir: dir, Problem: fmt.Sprintf("the folder %q, with . or .. in it, which may not be the folder it seems once symlinks are resolved; write it as a plain absolute path", dir)}
	}
	dir = filepath.Clean(dir)
	existing := dir
	for {
		_, err := os.Stat(existing)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || existing == filepath.Dir(existing) {
			return fmt.Errorf("%s: %w", dir, err)
		}
		existing = filepath.Dir(existing)
	}
	// Whoever may create an entry in the folder may add a program to it:
	// a sticky bit does not help here.
	fi, err := os.Stat(existing)
	if err != nil {
		return fmt.Errorf("%s: %w", existing, err)
	}
	if err := t.Policy.checkCreate(use, existing, fi); err != nil {
		return folderError(dir, err)
	}
	return folderError(dir, t.CheckDir(use, existing))
}

// folderError wraps an *UnsafeError about dir (or a folder above it) as a
// *FolderError.
func folderError(dir string, err error) error {
	var ue *UnsafeError
	if errors.As(err, &ue) {
		return &FolderError{Dir: dir, Unsafe: ue}
	}
	return err
}

// checkCreate refuses a folder in which another account could create an
// entry: writable by others, the sticky bit notwithstanding.
func (p Policy) checkCreate(use, path string, fi fs.FileInfo) error {
	if err := p.Check(use, path, fi); err != nil {
		return err
	}
	perm := fi.Mode().Perm()
	if fi.Mode()&fs.ModeSticky != 0 && perm&0o022 != 0 {
		return &UnsafeError{Use: use, Path: path,
			Reason: fmt.Sprintf("others may create entries in it (mode %04o, sticky)", perm|0o1000),
			Fix:    "chmod o-w,g-w " + path + ", or name a folder only trusted accounts can change"}
	}
	return nil
}

// CheckCreatable checks a file that does not exist (yet) but that kompose
// would read once it does, such as a file hooks.sh sources only if it is
// there ([ -f X ] && . X): only an account the policy trusts may be able
// to create it. The nearest entry of its path that exists must be a folder
// that passes the rule, with every folder above it, and that no other
// account may create entries in: a sticky folder such as /tmp is refused,
// since anyone may create the file there. A dangling symlink on the way is
// refused: whoever can create its target decides what is read.
func (t *Tree) CheckCreatable(use, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	existing := abs
	var fi fs.FileInfo
	for {
		fi, err = os.Lstat(existing)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || existing == filepath.Dir(existing) {
			return fmt.Errorf("%s: %w", existing, err)
		}
		existing = filepath.Dir(existing)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		if fi, err = os.Stat(existing); err != nil {
			return &UnsafeError{Use: use, Path: existing,
				Reason: "it is a symbolic link to something that does not exist, which whoever may create its target would decide",
				Fix:    "rm " + existing + ", or create what it points to"}
		}
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s: not a folder", existing)
	}
	if err := t.Policy.checkCreate(use, existing, fi); err != nil {
		return err
	}
	return t.CheckDir(use, existing)
}
