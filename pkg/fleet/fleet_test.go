package fleet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kompose-dev/kompose/pkg/stack"
)

func writeRoot(t *testing.T, files map[string]string) (string, []stack.Stack) {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	all, err := stack.Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, all
}

// TestLazyAndOneMask: nothing is read before it is asked for; a stack's
// .env is read once; the one mask hides every loaded stack's secrets and
// never masks the public words (the root, a stack's name).
func TestLazyAndOneMask(t *testing.T) {
	dir, all := writeRoot(t, map[string]string{
		".env":           "ROOT_TOKEN=rootsecret1\n",
		"a/compose.yaml": "services: {}\n",
		"a/.env":         "API_TOKEN=alphasecret\nDB_PASSWORD=a\n",
		"b/compose.yaml": "services: {}\n",
		"b/.env":         "broken line without equals\n",
	})
	f := New(Options{Root: dir}, all)
	if len(f.loaded) != 0 || f.baseRead {
		t.Fatal("New read something")
	}
	a := f.Stack(all[0])
	if a.Err != nil || f.Stack(all[0]) != a {
		t.Fatalf("a: %v, or read twice", a.Err)
	}
	if len(f.loaded) != 1 {
		t.Errorf("loaded %d stacks, want only a", len(f.loaded))
	}
	got := f.Mask().String("alphasecret rootsecret1 in " + dir + " stack a")
	if strings.Contains(got, "alphasecret") || strings.Contains(got, "rootsecret1") || !strings.Contains(got, dir+" stack a") {
		t.Errorf("mask: %q", got)
	}
	if b := f.Stack(all[1]); b.Err == nil || !strings.Contains(b.Err.Error(), ".env") {
		t.Errorf("b: %v", b.Err)
	}
}

// TestStacksNotSelected: a stack stack.Open did not select has its .env
// and hooks.sh found when the fleet reads it (a dependency, a root-wide
// check), so that its variables and secrets are never missed.
func TestStacksNotSelected(t *testing.T) {
	dir, _ := writeRoot(t, map[string]string{
		"a/compose.yaml": "services: {}\n",
		"b/compose.yaml": "services: {}\n",
		"b/.env":         "B_PASSWORD=bsecret42\n",
		"b/hooks.sh":     "hook_pre_up() { :; }\n",
	})
	_, sel, all, err := stack.Open(dir, "", "/", "a")
	if err != nil || len(sel) != 1 || len(all) != 2 {
		t.Fatal(sel, all, err)
	}
	f := New(Options{Root: dir}, all)
	b := f.Stack(all[1])
	if v, _ := b.Env.Get("B_PASSWORD"); v != "bsecret42" || b.Stack.EnvFile == "" {
		t.Errorf("b's .env was not read: %q, %+v", v, b.Stack)
	}
	if strings.Contains(f.Mask().String("bsecret42"), "bsecret42") {
		t.Error("b's secret is not masked")
	}
	if h := f.Hooks(all[1]); h.Script == nil || len(h.Script.HookFuncs()) != 1 {
		t.Errorf("b's hooks.sh was not read: %+v", h)
	}
}
