//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitRemote is an upstream bare repository and a developer's clone that
// pushes to it: what kompose sync follows.
type gitRemote struct {
	t         *testing.T
	e         *env
	bare, dev string
	environ   []string
}

func newGitRemote(t *testing.T, e *env, environ []string) *gitRemote {
	t.Helper()
	needProgram(t, "git", "git")
	d := t.TempDir()
	g := &gitRemote{t: t, e: e, bare: filepath.Join(d, "stacks.git"), dev: filepath.Join(d, "dev"),
		environ: append(environ, "GIT_AUTHOR_NAME=Dev", "GIT_AUTHOR_EMAIL=dev@example.com",
			"GIT_COMMITTER_NAME=Dev", "GIT_COMMITTER_EMAIL=dev@example.com", "GIT_CONFIG_NOSYSTEM=1")}
	g.git(d, "init", "-q", "--bare", "-b", "main", g.bare)
	g.git(d, "init", "-q", "-b", "main", g.dev)
	g.git(g.dev, "remote", "add", "origin", g.bare)
	return g
}

func (g *gitRemote) git(dir string, args ...string) string {
	g.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir, cmd.Env = dir, g.environ
	out, err := cmd.CombinedOutput()
	if err != nil {
		g.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// write writes a file of the developer's clone; {{project}} is the
// project of the stack the file is in, {{image}} the test image.
func (g *gitRemote) write(rel, content string) {
	g.t.Helper()
	stack, _, _ := strings.Cut(rel, "/")
	content = strings.ReplaceAll(content, "{{project}}", g.e.project(stack))
	content = strings.ReplaceAll(content, "{{image}}", debianImage)
	p := filepath.Join(g.dev, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		g.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		g.t.Fatal(err)
	}
}

func (g *gitRemote) push(msg string) {
	g.t.Helper()
	g.git(g.dev, "add", "-A")
	g.git(g.dev, "commit", "-q", "-m", msg)
	g.git(g.dev, "push", "-q", "-u", "origin", "main")
}

func (g *gitRemote) stack(name, greeting string) {
	g.write(name+"/compose.yaml", "name: {{project}}\nservices:\n"+idleService("app", greeting, ""))
}

// syncFrom clones url into the test's root and checks that kompose sync
// deploys real containers from what is pushed: a changed stack comes up
// alone, the root .env brings up every stack, a removed one goes down
// with --remove.
func syncFrom(t *testing.T, e *env, g *gitRemote, url string) {
	g.stack("web", "hello from web")
	g.stack("api", "hello from api")
	g.write(".env", "TZ=UTC\n")
	g.push("first")
	g.git(filepath.Dir(e.root), "clone", "-q", url, e.root)
	o := opts{baseEnv: g.environ}

	r := e.komposeWith(o, "sync")
	e.mustExit(r, 0)
	if !strings.Contains(r.stdout, "no stack to bring up") {
		t.Fatalf("first sync:\n%s", r)
	}

	g.stack("web", "hello again from web")
	g.push("web: a new greeting")
	r = e.komposeWith(o, "sync")
	e.mustExit(r, 0)
	if got := e.services("web", "running"); len(got) != 1 {
		t.Fatalf("web after sync: %v\n%s", got, r)
	}
	if got := e.services("api", ""); len(got) != 0 {
		t.Fatalf("api came up though nothing of it changed: %v\n%s", got, r)
	}
	logs, err := dockerOut(e.ctx, "logs", e.container("web", "app").ID)
	if err != nil || !strings.Contains(logs, "hello again from web") {
		t.Fatalf("web runs the pushed compose file? logs %q, %v", logs, err)
	}

	g.write(".env", "TZ=Europe/Paris\n")
	g.push("root env")
	r = e.komposeWith(o, "sync")
	e.mustExit(r, 0)
	if got := e.services("api", "running"); len(got) != 1 {
		t.Fatalf("api after the root .env changed: %v\n%s", got, r)
	}

	g.git(g.dev, "rm", "-q", "-r", "api")
	g.push("api is gone")
	r = e.komposeWith(o, "sync")
	e.mustExit(r, 0)
	if !strings.Contains(r.stdout, "removed upstream: api") || len(e.services("api", "running")) != 1 {
		t.Fatalf("without --remove api must stay up:\n%s", r)
	}
	r = e.komposeWith(o, "sync", "--remove")
	e.mustExit(r, 0)
	if got := e.services("api", ""); len(got) != 0 {
		t.Fatalf("api after sync --remove: %v\n%s", got, r)
	}
	if got := e.services("web", "running"); len(got) != 1 {
		t.Fatalf("web after sync --remove: %v\n%s", got, r)
	}
}

func TestSyncFromFileURL(t *testing.T) {
	e := newEnv(t)
	g := newGitRemote(t, e, hermetic(os.Environ()))
	syncFrom(t, e, g, "file://"+g.bare)
}

// TestSyncOverSSH serves the bare repository over a real sshd on
// loopback (started by the test, stopped after): sync fetches with the
// ssh program on PATH, never one the repository's configuration names.
func TestSyncOverSSH(t *testing.T) {
	e := newEnv(t)
	s := startSSH(t)
	base := append(hermetic(os.Environ()), "PATH="+s.Path)
	g := newGitRemote(t, e, base)
	syncFrom(t, e, g, fmt.Sprintf("%s%s", s.Host, g.bare))
}
