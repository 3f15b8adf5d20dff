package gitsync

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kompose-dev/kompose/pkg/trust"
)

// gitEnv is the environment of the tests' own git commands (not sync's).
func gitEnv() []string {
	return append(os.Environ(), "GIT_AUTHOR_NAME=Dev", "GIT_AUTHOR_EMAIL=dev@example.com",
		"GIT_COMMITTER_NAME=Dev", "GIT_COMMITTER_EMAIL=dev@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+os.Getenv("HOME"))
}

func needGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("KOMPOSE_REQUIRE_ALL") == "1" {
			t.Fatal("git not found (KOMPOSE_REQUIRE_ALL=1)")
		}
		t.Skip("git not found")
	}
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = gitEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return strings.TrimSpace(string(out))
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fixture is an upstream bare repository, a developer's clone that
// pushes to it, and the server's work tree that syncs from it.
type fixture struct {
	t                 *testing.T
	bare, dev, server string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	needGit(t)
	d := t.TempDir()
	f := &fixture{t: t, bare: filepath.Join(d, "origin.git"), dev: filepath.Join(d, "dev"), server: filepath.Join(d, "server")}
	git(t, d, "init", "-q", "--bare", "-b", "main", f.bare)
	git(t, d, "clone", "-q", f.bare, f.dev)
	git(t, f.dev, "checkout", "-q", "-b", "main")
	write(t, filepath.Join(f.dev, ".env"), "TZ=UTC\n")
	write(t, filepath.Join(f.dev, "blog/compose.yaml"), "services: {web: {image: x}}\n")
	write(t, filepath.Join(f.dev, "news/compose.yaml"), "services: {web: {image: x}}\n")
	write(t, filepath.Join(f.dev, "old/compose.yaml"), "services: {web: {image: x}}\n")
	write(t, filepath.Join(f.dev, "README.md"), "stacks\n")
	f.commit("first")
	git(t, d, "clone", "-q", "file://"+f.bare, f.server)
	return f
}

// commit commits everything in the developer's clone and pushes it.
func (f *fixture) commit(msg string, extra ...string) string {
	f.t.Helper()
	git(f.t, f.dev, "add", "-A")
	git(f.t, f.dev, append([]string{"commit", "-q", "-m", msg}, extra...)...)
	git(f.t, f.dev, "push", "-q", "origin", "main")
	return git(f.t, f.dev, "rev-parse", "HEAD")
}

func (f *fixture) open() *Repo {
	f.t.Helper()
	r, err := Open(context.Background(), f.server, "", os.Environ(), trust.Current())
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func (f *fixture) prepare(o Options) (*Sync, error) {
	f.t.Helper()
	o.Policy = trust.Current()
	return Prepare(context.Background(), f.open(), o)
}

func names(cs []StackChange) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name+":"+c.Why)
	}
	return strings.Join(out, ",")
}

func currentPolicy() trust.Policy { return trust.Current() }
