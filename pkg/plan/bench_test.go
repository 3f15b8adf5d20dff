package plan

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kompose-dev/kompose/pkg/stack"
)

// BenchmarkBuild100 plans "up -d" over 100 stacks, each with a .env and a
// hooks.sh of three hooks: the dry run's work apart from printing.
func BenchmarkBuild100(b *testing.B) {
	root := b.TempDir()
	for i := range 100 {
		d := filepath.Join(root, fmt.Sprintf("s%03d", i))
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
		for name, text := range map[string]string{
			"compose.yaml": "services: {web: {image: nginx}}\n",
			".env":         "A=1\nB=${A}2\nDB_PASSWORD=secret\n",
			"hooks.sh":     "hook_pre_up() { :; }\nhook_post_up() { :; }\nhook_pre_down() { :; }\n",
		} {
			if err := os.WriteFile(filepath.Join(d, name), []byte(text), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	req := Request{Root: root, Command: "up", Args: []string{"-d"}, Environ: os.Environ()}
	b.ResetTimer()
	for range b.N {
		stacks, err := stack.Discover(root)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := (&Builder{}).Build(req, stacks); err != nil {
			b.Fatal(err)
		}
	}
}
