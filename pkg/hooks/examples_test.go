package hooks_test

import (
	"path/filepath"
	"testing"

	"github.com/kompose-dev/kompose/pkg/hooks"
)

// TestExamplesParse keeps the cookbook and the demo stacks' hooks valid:
// each must parse and define at least one hook function.
func TestExamplesParse(t *testing.T) {
	var files []string
	for _, glob := range []string{"../../examples/cookbook/*.sh", "../../stacks/*/hooks.sh"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 6 {
		t.Fatalf("found only %d example hook files: %v", len(files), files)
	}
	for _, f := range files {
		s, err := hooks.ParseFile(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if len(s.HookFuncs()) == 0 {
			t.Errorf("%s defines no hook_* function", f)
		}
	}
}
