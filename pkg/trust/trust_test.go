package trust

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// statInfo is a FileInfo with the owner and mode a test needs.
type statInfo struct {
	mode     fs.FileMode
	uid, gid uint32
}

func (s statInfo) Name() string       { return "f" }
func (s statInfo) Size() int64        { return 0 }
func (s statInfo) Mode() fs.FileMode  { return s.mode }
func (s statInfo) ModTime() time.Time { return time.Time{} }
func (s statInfo) IsDir() bool        { return s.mode.IsDir() }
func (s statInfo) Sys() any           { return &syscall.Stat_t{Uid: s.uid, Gid: s.gid} }

func TestPolicy(t *testing.T) {
	alice := Policy{UID: 1000, GID: 1000}
	root := Policy{UID: 0, GID: 0}
	for _, tc := range []struct {
		name   string
		pol    Policy
		info   statInfo
		refuse string // part of the reason; "" when accepted
		fix    string
	}{
		{"own file", alice, statInfo{0o755, 1000, 1000}, "", ""},
		{"root's file", alice, statInfo{0o755, 0, 0}, "", ""},
		{"root runs root's", root, statInfo{0o700, 0, 0}, "", ""},
		{"own private group writable", alice, statInfo{0o775, 1000, 1000}, "", ""},
		{"root group writable", root, statInfo{0o775, 0, 0}, "", ""},
		{"world-writable", alice, statInfo{0o757, 1000, 1000}, "world-writable (mode 0757)", "chmod o-w /s/hooks.sh"},
		{"world-writable root's", root, statInfo{0o666, 0, 0}, "world-writable", "chmod o-w"},
		{"world-writable folder", root, statInfo{fs.ModeDir | 0o777, 0, 0}, "world-writable (mode 0777)", "chmod o-w"},
		{"another user's", root, statInfo{0o755, 1000, 1000}, "owned by uid 1000", "chown root /s/hooks.sh"},
		{"another user's for alice", alice, statInfo{0o755, 1001, 1001}, "owned by uid 1001", "chown "},
		{"other group writable", root, statInfo{0o775, 0, 33}, "its group gid 33", "chmod g-w /s/hooks.sh"},
		{"other group read-only", root, statInfo{0o755, 0, 33}, "", ""},
		{"sticky world-writable folder", root, statInfo{fs.ModeDir | fs.ModeSticky | 0o777, 0, 0}, "", ""},
		{"sticky file is no exception", root, statInfo{fs.ModeSticky | 0o666, 0, 0}, "world-writable", "chmod o-w"},
		{"trusted account's", Policy{Trusted: []int{1000}}, statInfo{0o755, 1000, 1000}, "", ""},
		{"untrusted beside a trusted one", Policy{Trusted: []int{1000}}, statInfo{0o755, 1001, 1001}, "owned by uid 1001", "--trust-user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.pol.Check("run hooks from", "/s/hooks.sh", tc.info)
			if tc.refuse == "" {
				if err != nil {
					t.Fatalf("Check = %v, want accepted", err)
				}
				return
			}
			var ue *UnsafeError
			if !errors.As(err, &ue) {
				t.Fatalf("Check = %v, want an *UnsafeError", err)
			}
			if !strings.Contains(ue.Reason, tc.refuse) || !strings.Contains(ue.Fix, tc.fix) || ue.Path != "/s/hooks.sh" {
				t.Errorf("Check = %+v, want reason with %q and fix with %q", ue, tc.refuse, tc.fix)
			}
			if !strings.Contains(err.Error(), "refusing to run hooks from /s/hooks.sh") {
				t.Errorf("message %q does not name the file", err)
			}
		})
	}
}

func TestTree(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make files of other owners") // CI runs as root
	}
	nobody := 65534
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mk := func(rel string, mode fs.FileMode, uid int, isDir bool) string {
		t.Helper()
		p := filepath.Join(dir, rel)
		var err error
		if isDir {
			err = os.Mkdir(p, mode)
		} else {
			err = os.WriteFile(p, nil, mode)
		}
		if err == nil {
			err = os.Chmod(p, mode)
		}
		if err == nil {
			err = os.Chown(p, uid, 0)
		}
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := mk("good", 0o755, 0, true)
	goodFile := mk("good/hooks.sh", 0o644, 0, false)
	bad := mk("bad", 0o755, nobody, true)
	badFile := mk("bad/hooks.sh", 0o644, 0, false)
	open := mk("open", 0o777, 0, true)
	openFile := mk("open/hooks.sh", 0o644, 0, false)
	link := filepath.Join(good, "link")
	if err := os.Symlink(badFile, link); err != nil {
		t.Fatal(err)
	}
	dirLink := filepath.Join(good, "dirlink")
	if err := os.Symlink(bad, dirLink); err != nil {
		t.Fatal(err)
	}
	tr := NewTree(Policy{})
	if err := tr.CheckFile("run hooks from", goodFile); err != nil {
		t.Errorf("trusted file in trusted folders: %v", err)
	}
	for _, tc := range []struct{ path, blame string }{
		{badFile, bad},
		{openFile, open},
		{link, bad}, // a trusted link to a file in a folder nobody owns
		{filepath.Join(dirLink, "hooks.sh"), dirLink}, // through a linked folder: named as written
	} {
		err := tr.CheckFile("read variables from", tc.path)
		var ue *UnsafeError
		if !errors.As(err, &ue) || ue.Path != tc.blame || ue.Use != "read variables from" {
			t.Errorf("CheckFile(%s) = %v, want a refusal of %s", tc.path, err, tc.blame)
		}
	}
	// The memo answers with the use of the new question.
	err := tr.CheckDir("write dumps into", bad)
	if err == nil || !strings.HasPrefix(err.Error(), "refusing to write dumps into "+bad) {
		t.Errorf("CheckDir(bad) = %v", err)
	}
	if err := NewTree(Policy{Trusted: []int{nobody}}).CheckFile("run hooks from", badFile); err != nil {
		t.Errorf("with nobody trusted: %v", err)
	}
	if err := tr.CheckFile("run hooks from", filepath.Join(good, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
}

func TestLookupUsers(t *testing.T) {
	ids, err := LookupUsers([]string{"root", "65534", ""})
	if err != nil || len(ids) != 2 || ids[0] != 0 || ids[1] != 65534 {
		t.Errorf("LookupUsers = %v, %v", ids, err)
	}
	if _, err := LookupUsers([]string{"no-such-user-x"}); err == nil || !strings.Contains(err.Error(), `"no-such-user-x"`) {
		t.Errorf("unknown user: %v", err)
	}
}

// A symlink is part of the path: whoever owns it decides where it leads.
// In a sticky world-writable folder (/tmp, a shared dump folder) any user
// may plant one, and its owner can point it elsewhere at any moment; the
// kernel refuses to follow such links only when fs.protected_symlinks is
// on. kompose refuses a symlink owned by an untrusted account wherever it
// is met: the final name, a folder on the way, or a hop of a chain.
func TestTreeSymlinkOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make links of other owners") // CI runs as root
	}
	nobody := 65534
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good")
	shared := filepath.Join(dir, "shared")
	for _, d := range []string{good, shared} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(shared, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(good, "blog_20250101_000000.sql")
	if err := os.WriteFile(target, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	link := func(name, to string, uid int) string {
		t.Helper()
		p := filepath.Join(filepath.Dir(name), filepath.Base(name))
		if err := os.Symlink(to, p); err != nil {
			t.Fatal(err)
		}
		if err := os.Lchown(p, uid, uid); err != nil {
			t.Fatal(err)
		}
		return p
	}
	planted := link(filepath.Join(shared, "news_20991231_000000.sql"), target, nobody)
	plantedDir := link(filepath.Join(shared, "dumps"), good, nobody)
	chain := link(filepath.Join(good, "chain.sql"), planted, 0)
	rootLink := link(filepath.Join(shared, "root.sql"), target, 0)

	tr := NewTree(Policy{})
	for _, tc := range []struct{ path, blame string }{
		{planted, planted},
		{filepath.Join(plantedDir, "blog_20250101_000000.sql"), plantedDir},
		{chain, planted},
	} {
		err := tr.CheckFile("import dumps from", tc.path)
		var ue *UnsafeError
		if !errors.As(err, &ue) || ue.Path != tc.blame || !strings.Contains(ue.Reason, "symbolic link owned by uid 65534") {
			t.Errorf("CheckFile(%s) = %v, want a refusal of the link %s", tc.path, err, tc.blame)
		}
	}
	if err := tr.CheckDir("write dumps into", plantedDir); err == nil {
		t.Errorf("CheckDir(%s) through nobody's link: accepted", plantedDir)
	}
	if err := tr.CheckFile("import dumps from", rootLink); err != nil {
		t.Errorf("root's link in a sticky folder: %v", err)
	}
	if err := NewTree(Policy{Trusted: []int{nobody}}).CheckFile("import dumps from", planted); err != nil {
		t.Errorf("with nobody trusted: %v", err)
	}
}

// A hard link carries its target's owner: in a folder where others may
// create entries (sticky, world- or group-writable), another user may
// have made it to a file of root's (when fs.protected_hardlinks is off),
// so a file there with more than one name is refused. Elsewhere only
// trusted accounts could have made it: accepted (hard-linked backups).
func TestTreeHardLinkInSharedFolder(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root") // CI runs as root
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good")
	shared := filepath.Join(dir, "shared")
	for _, d := range []string{good, shared} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(shared, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(good, "other_20250101_000000.sql")
	if err := os.WriteFile(target, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	planted := filepath.Join(shared, "news_20991231_000000.sql")
	kept := filepath.Join(good, "news_20250101_000000.sql")
	for _, l := range []string{planted, kept} {
		if err := os.Link(target, l); err != nil {
			t.Fatal(err)
		}
	}
	tr := NewTree(Policy{})
	err := tr.CheckFile("import dumps from", planted)
	var ue *UnsafeError
	if !errors.As(err, &ue) || ue.Path != planted || !strings.Contains(ue.Reason, "hard link") {
		t.Errorf("CheckFile(hard link in a sticky folder) = %v, want a refusal", err)
	}
	if err := tr.CheckFile("import dumps from", kept); err != nil {
		t.Errorf("a hard link in root's folder: %v", err)
	}
}
