package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/kompose-dev/kompose/pkg/trust"
)

// CheckFolder checks, with tree's rule (pkg/trust), the folder that holds
// path and every folder above it: a file kompose reads back and rewrites
// (the metrics file, its lock) must live where no other user can plant
// or replace it. use says what kompose keeps there ("keep the metrics
// file in"), for the message.
func CheckFolder(tree *trust.Tree, use, path string) error {
	dir := filepath.Dir(path)
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return readBackError(tree.CheckDir(use, abs))
}

// readBackError says, for a file kompose reads back, what another user
// could do with the file or folder trust refused: plant or forge it (not
// make kompose run code, as for hooks).
func readBackError(err error) error {
	var ue *trust.UnsafeError
	if !errors.As(err, &ue) {
		return err
	}
	return fmt.Errorf("refusing to %s %s: %s, so another user could plant or forge what kompose reads back; fix: %s", ue.Use, ue.Path, ue.Reason, ue.Fix)
}

// OpenReadBack opens path, a file kompose wrote and now reads back, for
// reading: without following a symlink and without blocking (a FIFO
// planted at the name would otherwise hang kompose until someone writes
// to it), and only when it is a regular file that tree's policy accepts
// (owned by root, the invoking user or a trusted account, writable by no
// one else). A missing file is (nil, nil). Check its folder first with
// [CheckFolder].
func OpenReadBack(tree *trust.Tree, use, path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%s is a symbolic link; kompose does not follow it (remove it: rm %s)", path, path)
		}
		return nil, err
	}
	if err := CheckOpened(tree.Policy, use, path, f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// CheckOpened checks a file kompose opened without following symlinks:
// it must be a regular file, with one name (a hard link planted at the
// name is someone else's file), that pol accepts.
func CheckOpened(pol trust.Policy, use, path string, f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("refusing to %s %s: it is not a regular file (%s); remove it: rm %s", use, path, fi.Mode().Type(), path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink != 1 {
		return fmt.Errorf("refusing to %s %s: it is a hard link to another file (%d links); remove it: rm %s", use, path, st.Nlink, path)
	}
	return readBackError(pol.Check(use, path, fi))
}
