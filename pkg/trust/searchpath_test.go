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
