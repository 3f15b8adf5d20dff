package offsite

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// ParseFrom reads the --from of an import or a drill: "restic" or
// "restic:SNAPSHOT" (a hex ID, short or long; "latest" is the newest).
// It returns the snapshot ID, "" for the newest.
func ParseFrom(v string) (snapshot string, err error) {
	src, id, _ := strings.Cut(v, ":")
	if src != "restic" {
		return "", fmt.Errorf("--from %q: the one source is restic (restic or restic:SNAPSHOT)", v)
	}
	if id == "latest" {
		return "", nil
	}
	if id != "" && strings.Trim(strings.ToLower(id), "0123456789abcdef") != "" {
		return "", fmt.Errorf("--from %q: %q is not a snapshot ID", v, id)
	}
	return id, nil
}

// Which names the snapshot ParseFrom returned, for messages and the dry
// run: "snapshot ID", or "the newest snapshot".
func Which(snapshot string) string {
	if snapshot == "" {
		return "the newest snapshot"
	}
	return "snapshot " + snapshot
}

// HookArg is what the hooks of an import from restic receive for the
// file (read back only when the step runs): restic:ID, or restic:latest.
func HookArg(snapshot string) string {
	if snapshot == "" {
		return "restic:latest"
	}
	return "restic:" + snapshot
}

// DumpTo reads snapshot snap's one file back into a new file at path
// (created exclusively, mode 0600, not through a symlink; synced) and
// returns its size. A file that could not be read back whole is left for
// the caller to remove with its private folder.
func (r *Repo) DumpTo(ctx context.Context, snap Snapshot, path string) (int64, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return 0, fmt.Errorf("restore file: %w", err)
	}
	err = r.Dump(ctx, snap, f)
	if serr := f.Sync(); err == nil {
		err = serr
	}
	var size int64
	if fi, serr := f.Stat(); serr == nil {
		size = fi.Size()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return size, err
}
