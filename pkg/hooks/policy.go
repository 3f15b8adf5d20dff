package hooks

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// Policy decides which hook files kompose agrees to run. kompose is often
// run as root (from cron), so a hook that another user can change is a way
// to run anything as root. A hook file, a hooks.sh or a hooks/ folder is
// refused when:
//
//   - anyone may write it (world-writable);
//   - a group may write it, unless that group is root's (gid 0) or the
//     invoking user's own primary group (umask 002 setups, where every
//     user has a private group, stay usable);
//   - it is owned by another ordinary user: not root, not the invoking
//     user.
type Policy struct {
	UID, GID int // the invoking user (effective ids)
}

// CurrentPolicy is the policy for the user kompose runs as.
func CurrentPolicy() Policy { return Policy{UID: os.Geteuid(), GID: os.Getegid()} }

// UnsafeError is a hook file or folder that the policy refuses.
type UnsafeError struct {
	Path   string
	Reason string // "it is world-writable (mode 0666)"
	Fix    string // "chmod o-w /srv/stacks/blog/hooks.sh"
}

func (e *UnsafeError) Error() string {
	return fmt.Sprintf("refusing to run hooks from %s: %s, so another user could make kompose run anything; fix: %s", e.Path, e.Reason, e.Fix)
}

// Check checks the file or folder at path whose stat is fi (following
// symlinks) and returns an *UnsafeError when it is refused.
func (p Policy) Check(path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	mode := fi.Mode().Perm()
	uid, gid := int(st.Uid), int(st.Gid)
	switch {
	case mode&0o002 != 0:
		return &UnsafeError{Path: path,
			Reason: fmt.Sprintf("it is world-writable (mode %04o)", mode),
			Fix:    "chmod o-w " + path}
	case uid != 0 && uid != p.UID:
		return &UnsafeError{Path: path,
			Reason: fmt.Sprintf("it is owned by %s, who is neither root nor the user running kompose", userName(uid)),
			Fix:    fmt.Sprintf("chown %s %s (or run kompose as its owner)", loginName(p.UID), path)}
	case mode&0o020 != 0 && gid != 0 && gid != p.GID:
		return &UnsafeError{Path: path,
			Reason: fmt.Sprintf("its group %s may write it (mode %04o)", groupName(gid), mode),
			Fix:    "chmod g-w " + path}
	}
	return nil
}

// userName is "uid 1000 (alice)"; the lookup happens only to explain a
// refusal.
func userName(uid int) string {
	s := "uid " + strconv.Itoa(uid)
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		s += " (" + u.Username + ")"
	}
	return s
}

// loginName is the name of uid for chown, else the number.
func loginName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return strconv.Itoa(uid)
}

func groupName(gid int) string {
	s := "gid " + strconv.Itoa(gid)
	if g, err := user.LookupGroupId(strconv.Itoa(gid)); err == nil {
		s += " (" + g.Name + ")"
	}
	return s
}

// CheckSet checks what s would run: the hooks/ folders, hooks.sh when
// there is one, and those of hooks that are files that would run. It
// returns the first refusal.
func (p Policy) CheckSet(s Set, hooks []Hook) error {
	for _, d := range []*Dir{s.Root, s.Stack} {
		if d != nil {
			if err := p.Check(d.Path, d.Info); err != nil {
				return err
			}
		}
	}
	if s.Script != nil && s.Script.Info != nil {
		if err := p.Check(s.Script.Path, s.Script.Info); err != nil {
			return err
		}
	}
	for _, h := range hooks {
		if h.Executable() && h.NotRun == "" && h.Info != nil {
			if err := p.Check(h.Path, h.Info); err != nil {
				return err
			}
		}
	}
	return nil
}
