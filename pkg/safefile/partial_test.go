package safefile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPartialAndPublish(t *testing.T) {
	dir := t.TempDir()
	final := filepath.Join(dir, "data_20261206_031500.tar.zst")
	// A symlink planted at a likely temporary name is never followed:
	// the name is random and O_EXCL|O_NOFOLLOW.
	f, err := CreatePartial(final)
	if err != nil {
		t.Fatal(err)
	}
	if got := PartialFinal(filepath.Base(f.Name())); got != filepath.Base(final) {
		t.Errorf("PartialFinal(%s) = %q", f.Name(), got)
	}
	if fi, _ := f.Stat(); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	if _, err := f.WriteString("archive"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// The final name is taken: the next one is used, nothing replaced.
	if err := os.WriteFile(final, []byte("older"), 0o600); err != nil {
		t.Fatal(err)
	}
	next := filepath.Join(dir, "data_20261206_031500_2.tar.zst")
	got, err := Publish(f.Name(), final, func() string { return next })
	if err != nil || got != next {
		t.Fatalf("Publish = %q, %v", got, err)
	}
	if b, _ := os.ReadFile(final); string(b) != "older" {
		t.Errorf("the existing file was replaced: %q", b)
	}
	if b, _ := os.ReadFile(next); string(b) != "archive" {
		t.Errorf("published %q", b)
	}
	if _, err := os.Stat(f.Name()); !os.IsNotExist(err) {
		t.Errorf("the temporary file is still there: %v", err)
	}
	for _, n := range []string{"x.partial", ".x.partial", ".x.abc.partial", "x.1.partial"} {
		if PartialFinal(n) != "" {
			t.Errorf("PartialFinal(%q) = %q, want none", n, PartialFinal(n))
		}
	}
}
