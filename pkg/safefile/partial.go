package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// PartialSuffix ends the name of a backup being written: a file with it is
// never a backup, and a cleanup under the backup's lock removes it (the
// write that made it was killed).
const PartialSuffix = ".partial"

// CreatePartial creates the hidden temporary file of a backup that will be
// named final (".<base>.<random>.partial" in the same folder), with
// O_EXCL|O_NOFOLLOW so that nothing planted at its name is followed or
// reused, readable and writable by kompose only.
func CreatePartial(final string) (*os.File, error) {
	dir, base := filepath.Split(final)
	for try := 0; ; try++ {
		name := filepath.Join(dir, "."+base+"."+strconv.FormatUint(uint64(rand.Uint32()), 10)+PartialSuffix)
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrExist) || try == 100 {
			return nil, fmt.Errorf("create temporary file in %s: %w", dir, err)
		}
	}
}

// PartialFinal is the final name a temporary file of [CreatePartial]
// stands for, "" when name is not one.
func PartialFinal(name string) string {
	rest, ok := strings.CutSuffix(name, PartialSuffix)
	if !ok || !strings.HasPrefix(rest, ".") {
		return ""
	}
	i := strings.LastIndexByte(rest, '.')
	if i <= 1 {
		return ""
	}
	if _, err := strconv.ParseUint(rest[i+1:], 10, 32); err != nil {
		return ""
	}
	return rest[1:i]
}

// Publish gives the complete temporary file tmp its final name, never
// replacing an existing file: when final is taken, next gives another
// name. It returns the name used. The folder is synced.
func Publish(tmp, final string, next func() string) (string, error) {
	for try := 0; try < 10; try++ {
		err := os.Link(tmp, final)
		switch {
		case err == nil:
			err = os.Remove(tmp)
			SyncDir(filepath.Dir(final))
			return final, err
		case errors.Is(err, fs.ErrExist):
			final = next()
			continue
		}
		// No hard links on this file system: rename, after checking.
		if _, err := os.Lstat(final); err == nil {
			final = next()
			continue
		}
		if err := os.Rename(tmp, final); err != nil {
			return "", fmt.Errorf("rename %s to %s: %w", tmp, final, err)
		}
		SyncDir(filepath.Dir(final))
		return final, nil
	}
	return "", fmt.Errorf("%s and the next names already exist; not overwriting them", final)
}

// SyncDir makes a rename in dir durable.
func SyncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// WriteFailure describes an error writing a file into dir, saying "no
// space left on device" and where when that is the cause; what names the
// file ("the archive").
func WriteFailure(err error, dir, what string) error {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return fmt.Errorf("no space left on device in %s (writing %s)", dir, what)
	case errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("disk quota exceeded in %s (writing %s)", dir, what)
	}
	return fmt.Errorf("write %s in %s: %w", what, dir, err)
}

// DiskFull reports whether the file system of dir has no space left for
// kompose: said instead of a program's own failure when a program (the
// dump tool, zstd) wrote a file there and failed on it.
func DiskFull(dir string) bool {
	var st syscall.Statfs_t
	return syscall.Statfs(dir, &st) == nil && st.Bavail == 0
}
