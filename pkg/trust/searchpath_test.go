package trust

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckSearchFolder(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open")
	sticky := filepath.Join(dir, "sticky")
	for _, d := range []string{open, sticky, filepath.Join(dir, "good")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sticky, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	tree := NewTree(Current())
	for _, tc := range []struct{ dir, want string }{
		{"", "an empty entry"},
		{"bin", `the relative folder "bin"`},
		{"./bin", `the relative folder "./bin"`},
		{dir + "/x/../good", `with . or .. in it`},
		{open, open + ": it is world-writable (mode 0777)"},
		{filepath.Join(open, "bin"), filepath.Join(open, "bin") + "; " + open + " holds it: it is world-writable"},
		{sticky, sticky + ": others may create entries in it (mode 1777, sticky)"}, // a new program
		{filepath.Join(sticky, "bin"), filepath.Join(sticky, "bin") + "; " + sticky + " holds it: others may create entries in it"},
		{filepath.Join(dir, "good"), ""},
		{filepath.Join(dir, "good", "not", "yet"), ""},
	} {
		err := tree.CheckSearchFolder("take programs from", tc.dir)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.dir, err)
			}
			continue
		}
		var fe *FolderError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want a *FolderError with %q", tc.dir, err, tc.want)
		}
	}
}

// A file that does not exist yet is accepted only where no untrusted
// account could create it.
func TestCheckCreatable(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make folders of other owners") // CI runs as root
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mk := func(name string, mode os.FileMode, uid int) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, uid, 0); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mine := mk("mine", 0o755, 0)
	sticky := mk("sticky", 0o777|os.ModeSticky, 0)
	theirs := mk("theirs", 0o755, 65534)
	dangling := filepath.Join(mine, "dangling")
	if err := os.Symlink(filepath.Join(sticky, "later"), dangling); err != nil {
		t.Fatal(err)
	}
	tr := NewTree(Policy{})
	for _, ok := range []string{filepath.Join(mine, "lib.sh"), filepath.Join(mine, "new", "deeper", "lib.sh")} {
		if err := tr.CheckCreatable("source", ok); err != nil {
			t.Errorf("CheckCreatable(%s): %v", ok, err)
		}
	}
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(sticky, "lib.sh"), "others may create entries in it"},
		{filepath.Join(sticky, "new", "lib.sh"), "others may create entries in it"},
		{filepath.Join(theirs, "lib.sh"), "owned by uid 65534"},
		{filepath.Join(dangling, "lib.sh"), "symbolic link to something that does not exist"},
		{dangling, "symbolic link to something that does not exist"},
	} {
		if err := tr.CheckCreatable("source", tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckCreatable(%s) = %v, want %q", tc.path, err, tc.want)
		}
	}
}
