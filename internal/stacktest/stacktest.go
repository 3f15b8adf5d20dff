// Package stacktest writes roots of stacks for tests.
package stacktest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kompose-dev/kompose/pkg/stack"
)

// Root writes files (slash-separated path under the root -> content) into a
// new temporary root and returns it with the stacks found there. Files in a
// hooks/ folder are made executable, like hook files; the rest get 0644.
func Root(t testing.TB, files map[string]string) (string, []stack.Stack) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasPrefix(name, "hooks/") || strings.Contains(name, "/hooks/") {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // whatever the umask
			t.Fatal(err)
		}
	}
	stacks, err := stack.Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, stacks
}
