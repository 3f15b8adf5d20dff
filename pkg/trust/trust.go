// Package trust decides which files and folders kompose may take code,
// variables or data from, and write into.
//
// kompose often runs as root from cron over folders that other people
// maintain. Anything it sources, executes or reads variables from, and the
// folders that hold those files up to "/", must be changeable only by
// accounts that could already run code as the invoking user: root, the
// invoking user, and accounts the user names as trusted. A [Policy] refuses
// a file or folder when:
//
//   - anyone may write it (world-writable), except a folder with the sticky
//     bit (/tmp), whose entries only their owners may replace;
//   - a group may write it, unless that group is root's (gid 0) or the
//     invoking user's own primary group (umask 002 set-ups, where every user
//     has a private group, stay usable);
//   - it is owned by an account that is neither root, the invoking user nor
//     a trusted account.
//
// The rule is the one OpenSSH's StrictModes and sudo apply to the files
// they trust. docs/security.md states it for users.
package trust

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Policy is the trust rule for one invoking user. The zero value trusts
// only root.
type Policy struct {
	UID, GID int // the invoking user (effective ids)
	// Trusted are further accounts (uids) whose files are accepted, named
	// by the user explicitly (--trust-user, KOMPOSE_TRUSTED_USERS). Each is
	// a risk: it can make kompose run anything as the invoking user.
	Trusted []int
}

// Current is the policy for the user kompose runs as, trusting no further
// account.
func Current() Policy { return Policy{UID: os.Geteuid(), GID: os.Getegid()} }

// UnsafeError is a file or folder the policy refuses.
type UnsafeError struct {
	Use    string // what kompose would do with it: "run hooks from"
	Path   string
	Reason string // "it is world-writable (mode 0666)"
	Fix    string // "chmod o-w /srv/stacks/blog/hooks.sh"
}

func (e *UnsafeError) Error() string {
	use := e.Use
	if use == "" {
		use = "use"
	}
	return fmt.Sprintf("refusing to %s %s: %s, so another user could make kompose run anything; fix: %s", use, e.Path, e.Reason, e.Fix)
}

// trusts reports whether files owned by uid are accepted.
func (p Policy) trusts(uid int) bool {
	if uid == 0 || uid == p.UID {
		return true
	}
	for _, t := range p.Trusted {
		if uid == t {
			return true
		}
	}
	return false
}

// Check checks one file or folder, whose stat (following symlinks) is fi,
// and returns an *UnsafeError when it is refused. use says what kompose
// would do with it ("run hooks from"), for the message.
func (p Policy) Check(use, path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	mode := fi.Mode()
	perm := mode.Perm()
	uid, gid := int(st.Uid), int(st.Gid)
	sticky := mode.IsDir() && mode&fs.ModeSticky != 0
	switch {
	case perm&0o002 != 0 && !sticky:
		return &UnsafeError{Use: use, Path: path,
			Reason: fmt.Sprintf("it is world-writable (mode %04o)", perm),
			Fix:    "chmod o-w " + path}
	case !p.trusts(uid):
		return &UnsafeError{Use: use, Path: path,
			Reason: fmt.Sprintf("it is owned by %s, who is neither root, the user running kompose nor a trusted account", userName(uid)),
			Fix:    fmt.Sprintf("chown %s %s (or run kompose as its owner, or trust that account with --trust-user)", loginName(p.UID), path)}
	case perm&0o020 != 0 && gid != 0 && gid != p.GID && !sticky:
		return &UnsafeError{Use: use, Path: path,
			Reason: fmt.Sprintf("its group %s may write it (mode %04o)", groupName(gid), perm),
			Fix:    "chmod g-w " + path}
	}
	return nil
}

// Tree checks paths and the folders that hold them, up to "/", with one
// memo of folders already checked, so that many stacks under one root cost
// one stat per folder. It is not safe for concurrent use.
type Tree struct {
	Policy Policy
	done   map[string]error  // folder -> its verdict (nil: trusted)
	real   map[string]string // folder -> the folder with symlinks resolved
}

// NewTree returns a Tree for p.
func NewTree(p Policy) *Tree {
	return &Tree{Policy: p, done: map[string]error{}, real: map[string]string{}}
}

// CheckFile checks the file at path (following symlinks) and every folder
// that leads to it: the folders of the path as written and, when a symlink
// is on the way, those of its target. use names what kompose would do with
// the file. A missing file is an error wrapping fs.ErrNotExist.
func (t *Tree) CheckFile(use, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := t.Policy.Check(use, path, fi); err != nil {
		return err
	}
	if err := t.checkLinks(use, path); err != nil {
		return err
	}
	if err := t.checkHardLink(use, path, fi); err != nil {
		return err
	}
	return t.checkParents(use, path)
}

// checkHardLink refuses a file with more than one name that sits in a
// sticky folder others may create entries in (/tmp, a shared dump
// folder). A hard link has its target's owner and mode, so there the
// owner check proves nothing: another user may have linked a file of
// root's under a name kompose reads (the kernel forbids it only when
// fs.protected_hardlinks is on). In a folder only trusted accounts can
// write, a hard link is theirs (hard-linked backups stay usable).
func (t *Tree) checkHardLink(use, path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Nlink < 2 {
		return nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	real, err := t.resolve(abs)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	di, err := os.Stat(filepath.Dir(real))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if di.Mode()&fs.ModeSticky == 0 || di.Mode().Perm()&0o022 == 0 {
		return nil
	}
	return &UnsafeError{Use: use, Path: path,
		Reason: fmt.Sprintf("it is a hard link (%d names) in %s, a folder others may create entries in, so another user may have made it to someone else's file", st.Nlink, filepath.Dir(real)),
		Fix:    fmt.Sprintf("rm %s (if you made it yourself: keep the file in a folder only trusted accounts can write)", path)}
}

// CheckDir checks the folder at path and every folder leading to it.
func (t *Tree) CheckDir(use, path string) error {
	if err := t.dir(use, path); err != nil {
		return err
	}
	if err := t.checkLinks(use, path); err != nil {
		return err
	}
	return t.checkParents(use, path)
}

// checkParents checks the folders above path, lexically and, when they
// differ, those above its resolved path.
func (t *Tree) checkParents(use, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for d := filepath.Dir(abs); ; d = filepath.Dir(d) {
		if err := t.dir(use, d); err != nil {
			return err
		}
		if d == filepath.Dir(d) {
			break
		}
	}
	real, err := t.resolve(abs)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if real == abs {
		return nil
	}
	for d := filepath.Dir(real); ; d = filepath.Dir(d) {
		if err := t.dir(use, d); err != nil {
			return err
		}
		if d == filepath.Dir(d) {
			break
		}
	}
	return nil
}

// resolve returns abs with every symlink resolved, as
// filepath.EvalSymlinks does, resolving each folder once per Tree: many
// files of many stacks share their folders.
func (t *Tree) resolve(abs string) (string, error) {
	dir, base := filepath.Split(abs)
	dir = filepath.Clean(dir)
	rd, ok := t.real[dir]
	if !ok {
		var err error
		if rd, err = filepath.EvalSymlinks(dir); err != nil {
			return "", err
		}
		if t.real == nil {
			t.real = map[string]string{}
		}
		t.real[dir] = rd
	}
	if base == "" {
		return rd, nil
	}
	fi, err := os.Lstat(filepath.Join(rd, base))
	if err != nil {
		return "", err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return filepath.EvalSymlinks(filepath.Join(rd, base))
	}
	return filepath.Join(rd, base), nil
}

// maxLinks bounds the symbolic links followed for one path (the kernel's
// limit).
const maxLinks = 40

// checkLinks refuses path when a symbolic link on its way is owned by an
// account the policy does not trust: the path as written and every hop
// of every link, followed component by component as the kernel does (..
// after a link goes up from where the link led). Whoever owns a link can
// point it elsewhere at any moment, after kompose checked what it led to;
// in a sticky folder (/tmp, a shared dump folder) anyone may plant one,
// and the kernel refuses to follow it only when fs.protected_symlinks is
// on. A name that does not exist ends the walk: the other checks say so.
func (t *Tree) checkLinks(use, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	rest := strings.Split(abs, "/")
	cur, hops := "/", 0
	for len(rest) > 0 {
		name := rest[0]
		rest = rest[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		p := filepath.Join(cur, name)
		fi, err := os.Lstat(p)
		if err != nil {
			return nil
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = p
			continue
		}
		if err := t.Policy.checkLink(use, p, fi); err != nil {
			return err
		}
		if hops++; hops > maxLinks {
			return fmt.Errorf("%s: too many levels of symbolic links", path)
		}
		to, err := os.Readlink(p)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if filepath.IsAbs(to) {
			cur = "/"
		}
		rest = append(strings.Split(to, "/"), rest...)
	}
	return nil
}

// checkLink checks the owner of a symbolic link (its mode means nothing).
func (p Policy) checkLink(use, path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || p.trusts(int(st.Uid)) {
		return nil
	}
	return &UnsafeError{Use: use, Path: path,
		Reason: fmt.Sprintf("it is a symbolic link owned by %s, who is neither root, the user running kompose nor a trusted account, and can point it anywhere at any moment", userName(int(st.Uid))),
		Fix:    fmt.Sprintf("rm %s (or replace it with a link of your own: ln -sfn TARGET %s)", path, path)}
}

// dir checks one folder, memoised.
func (t *Tree) dir(use, d string) error {
	if err, ok := t.done[d]; ok {
		return withUse(err, use)
	}
	fi, err := os.Stat(d)
	if err == nil && !fi.IsDir() {
		err = fmt.Errorf("%s: not a folder", d)
	}
	if err == nil {
		err = t.Policy.Check(use, d, fi)
	}
	if t.done == nil {
		t.done = map[string]error{}
	}
	t.done[d] = err
	return err
}

// withUse returns err, an UnsafeError found for another use, re-labelled
// for use.
func withUse(err error, use string) error {
	var ue *UnsafeError
	if errors.As(err, &ue) && ue.Use != use {
		c := *ue
		c.Use = use
		return &c
	}
	return err
}

// LookupUsers turns account names or numeric uids into uids, for
// Policy.Trusted. An unknown name is an error naming it.
func LookupUsers(names []string) ([]int, error) {
	var out []int
	for _, n := range names {
		if n == "" {
			continue
		}
		if id, err := strconv.Atoi(n); err == nil && id >= 0 {
			out = append(out, id)
			continue
		}
		u, err := user.Lookup(n)
		if err != nil {
			return nil, fmt.Errorf("trusted account %q: no such user", n)
		}
		id, err := strconv.Atoi(u.Uid)
		if err != nil {
			return nil, fmt.Errorf("trusted account %q: uid %q is not a number", n, u.Uid)
		}
		out = append(out, id)
	}
	return out, nil
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
