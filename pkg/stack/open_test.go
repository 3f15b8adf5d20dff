package stack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpen(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"blog", "news", "notes"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
		if d != "notes" { // notes has no compose file
			for _, f := range []string{"compose.yaml", ".env"} {
				if err := os.WriteFile(filepath.Join(root, d, f), []byte("\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	got, sel, all, err := Open(root, "", "/", "b*")
	if err != nil || got != root || len(sel) != 1 || sel[0].Name != "blog" || len(all) != 2 {
		t.Fatalf("Open = %q, %v, %v, %v", got, sel, all, err)
	}
	// Only the selected stacks have their companions looked up; the
	// others when read.
	if sel[0].EnvFile != filepath.Join(root, "blog", ".env") {
		t.Errorf("blog's .env: %q", sel[0].EnvFile)
	}
	if all[1].Name != "news" || all[1].EnvFile != "" || !all[1].lazy {
		t.Errorf("news was looked up in full: %+v", all[1])
	}
	if c := all[1].Companions(); c.EnvFile != filepath.Join(root, "news", ".env") || c.HooksFile != "" || c.lazy {
		t.Errorf("news, its companions looked up: %+v", c)
	}
	// The environment's root is used when no option is given.
	if got, _, _, err := Open("", root, "/", "*"); err != nil || got != root {
		t.Errorf("Open with $KOMPOSE_ROOT = %q, %v", got, err)
	}
	for pattern, want := range map[string]string{
		"notes": `no stack named "notes": `,
		"zzz":   "zzz",
	} {
		if _, _, _, err := Open(root, "", "/", pattern); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q): %v, want %q", pattern, err, want)
		}
	}
	if _, _, _, err := Open(t.TempDir(), "", "/", "*"); err == nil || !strings.Contains(err.Error(), "no stacks in ") {
		t.Errorf("an empty root: %v", err)
	}
}
