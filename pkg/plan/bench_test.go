package plan_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/stack"
)

// benchRoot writes n stacks shaped like scripts/bench-core.sh's: a compose
// file, a .env and a hooks.sh with three hooks each.
func benchRoot(b *testing.B, n int) string {
	b.Helper()
	root := b.TempDir()
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	write(filepath.Join(root, ".env"), "NETWORK_NAME=proxy\nTZ=UTC\n")
	for i := 1; i <= n; i++ {
		dir := filepath.Join(root, fmt.Sprintf("stack%03d", i))
		if err := os.Mkdir(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		write(filepath.Join(dir, "compose.yaml"), "services:\n  app:\n    image: nginx:${TAG:-1.27}\n")
		write(filepath.Join(dir, ".env"), fmt.Sprintf("TAG=1.27\nDB_NAME=s%d\nDB_PASSWORD=secret-%d\n", i, i))
		write(filepath.Join(dir, "hooks.sh"), "hook_pre_up() {\n  :\n}\nhook_post_up() {\n  :\n}\nhook_pre_down() {\n  :\n}\n")
	}
	return root
}

// BenchmarkBuild100 measures planning `up -d` over 100 stacks: discovery,
// pattern selection, two .env files and one hooks.sh parse per stack. This
// is all a dry run does besides printing.
func BenchmarkBuild100(b *testing.B) {
	root := benchRoot(b, 100)
	environ := os.Environ()
	b.ReportAllocs()
	for b.Loop() {
		all, err := stack.Discover(root)
		if err != nil {
			b.Fatal(err)
		}
		sel, err := stack.Select(all, "*")
		if err != nil {
			b.Fatal(err)
		}
		bl := plan.Builder{}
		p, err := bl.Build(plan.Request{Root: root, Command: "up", Args: []string{"-d"}, Environ: environ}, sel)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Stacks) != 100 || len(p.Stacks[0].Steps) != 3 {
			b.Fatalf("unexpected plan: %d stacks, %d steps", len(p.Stacks), len(p.Stacks[0].Steps))
		}
	}
}
