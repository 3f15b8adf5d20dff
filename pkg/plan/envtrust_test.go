package plan

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// TestBuildEnvTrust: .env files fall under the trust rule. A refused stack
// .env fails that stack; a refused root .env fails the build; a .env the
// another user owns is refused by the same rule (env_trust.txtar, with a
// real chown).
func TestBuildEnvTrust(t *testing.T) {
	dir, _ := root(t, map[string]string{
		".env":           "A=1\n",
		"a/compose.yaml": svc,
		"a/.env":         "KOMPOSE_COMPOSE=/tmp/evil\n",
		"b/compose.yaml": svc,
		"b/.env":         "B=1\n",
	})
	stacks, err := stack.Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "a", ".env"), 0o666); err != nil {
		t.Fatal(err)
	}
	p, err := (&Builder{Detect: fixedCompose}).Build(Request{Root: dir, Command: "up"}, stacks)
	if err != nil {
		t.Fatal(err)
	}
	var ue *trust.UnsafeError
	if s := p.Stacks[0]; !errors.As(s.Err, &ue) || ue.Path != filepath.Join(dir, "a", ".env") || ue.Use != EnvUse || len(s.Steps) != 0 {
		t.Errorf("a: err %v, steps %v", s.Err, s.Steps)
	}
	if _, ok := p.Stacks[0].Env.Get("KOMPOSE_COMPOSE"); ok {
		t.Error("a refused .env was read")
	}
	if s := p.Stacks[1]; s.Err != nil {
		t.Errorf("b: %v", s.Err)
	}

	// The root .env: nothing is planned.
	if err := os.Chmod(filepath.Join(dir, ".env"), 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := (&Builder{Detect: fixedCompose}).Build(Request{Root: dir, Command: "up"}, stacks); !errors.As(err, &ue) || !strings.HasSuffix(ue.Path, "/.env") {
		t.Errorf("root .env: %v", err)
	}
}
