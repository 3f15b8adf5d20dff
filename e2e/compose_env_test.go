//go:build e2e

package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// projectHook records, in the stack's folder, the project name and folder
// the hooks are given.
const projectHook = `hook_post_up() { printf '%s\n%s\n' "$COMPOSE_PROJECT_NAME" "$PWD" > hook_project.txt; }
`

// services returns the services of project's containers that are running.
func (e *env) runningServices(project string) []string {
	e.t.Helper()
	cs, err := containers(e.ctx, project)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		if c.State == "running" {
			out = append(out, c.Service)
		}
	}
	return out
}

// TestComposeFileFromStackEnv: COMPOSE_FILE in the stack's .env names two
// files, the PostgreSQL service in the second, which also names the
// project. kompose reads the stack as compose does: --list shows both
// files' services, db:export finds the db service of the second file and
// dumps it, and the hooks' COMPOSE_PROJECT_NAME is the project compose
// labels the containers with. A service of a profile COMPOSE_PROFILES
// does not activate is not listed, as compose does not start it.
func TestComposeFileFromStackEnv(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("shop/compose.yaml", "services:\n"+idleService("app", "hello from shop", "")+
		idleService("tools", "tools", "    profiles: [debug]\n"))
	e.write("shop/db/compose.db.yaml", "name: {{project}}\nservices:\n"+pgService("db", "pgdata")+"volumes:\n  pgdata:\n")
	e.write("shop/.env", "COMPOSE_FILE=compose.yaml:db/compose.db.yaml\nDB_NAME=shop\nDB_USER=kompose\nDB_PASSWORD=sh0p-secret\n")
	e.write("shop/hooks.sh", projectHook)

	r := e.kompose("--list", "shop")
	e.mustExit(r, 0)
	for _, want := range []string{
		"  services: app (" + debianImage + "), db (" + postgresImage + ")\n",
		"  project:  " + e.project("shop") + "\n",
		"  files:    compose.yaml, db/compose.db.yaml (COMPOSE_FILE)\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--list lacks %q:\n%s", want, r)
		}
	}

	e.mustExit(e.kompose("shop", "up", "-d", "--wait"), 0)
	if got := e.runningServices(e.project("shop")); strings.Join(got, ",") != "app,db" {
		t.Fatalf("running services of %s: %v, want app and db", e.project("shop"), got)
	}
	if got := strings.SplitN(e.read("shop/hook_project.txt"), "\n", 2)[0]; got != e.project("shop") {
		t.Errorf("the hooks' COMPOSE_PROJECT_NAME is %q, compose's project %q", got, e.project("shop"))
	}

	r = e.kompose("shop", "db:export", "--dry-run")
	e.mustExit(r, 0)
	if !strings.Contains(r.stdout, "runs on: service db (image "+postgresImage+")") {
		t.Errorf("db:export does not find the db service of the second file:\n%s", r)
	}
	r = e.kompose("shop", "db:export")
	e.mustExit(r, 0)
	e.noSecret(r, "sh0p-secret")
	dumps := e.dumps("shop", "shop")
	if len(dumps) != 1 {
		t.Fatalf("want one dump, got %v\n%s", dumps, r)
	}
	if data, err := os.ReadFile(dumps[0]); err != nil || !bytes.Contains(data, []byte("PostgreSQL database dump complete")) {
		t.Errorf("%s is not a complete dump (%v)", dumps[0], err)
	}
}

// TestProjectNameFromStackEnv: COMPOSE_PROJECT_NAME in the stack's .env
// names the project; the hooks get that name, and compose uses it.
func TestProjectNameFromStackEnv(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("blog/compose.yaml", "services:\n"+idleService("app", "hello from blog", ""))
	e.write("blog/.env", "COMPOSE_PROJECT_NAME={{project}}\n")
	e.write("blog/hooks.sh", projectHook)
	e.mustExit(e.kompose("blog", "up", "-d"), 0)
	if got := e.runningServices(e.project("blog")); len(got) != 1 {
		t.Fatalf("no running container labelled %s", e.project("blog"))
	}
	if got := strings.SplitN(e.read("blog/hook_project.txt"), "\n", 2)[0]; got != e.project("blog") {
		t.Errorf("the hooks' COMPOSE_PROJECT_NAME is %q, compose's project %q", got, e.project("blog"))
	}
}

// TestSymlinkedStack: a stack folder that is a symlink to a folder
// elsewhere. compose and the hooks run with PWD set to the stack's folder
// as kompose names it, so compose names the project after the link, as
// the hooks' COMPOSE_PROJECT_NAME says, not after the link's target.
func TestSymlinkedStack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	link := e.project("link") // the stack's name, and so the project's
	target := filepath.Join(t.TempDir(), e.project("target"))
	if err := os.MkdirAll(target, 0o755); err != nil {
		t.Fatal(err)
	}
	compose := strings.ReplaceAll("services:\n"+idleService("app", "hello from a link", ""), "{{image}}", debianImage)
	for name, content := range map[string]string{"compose.yaml": compose, "hooks.sh": projectHook} {
		if err := os.WriteFile(filepath.Join(target, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(target, filepath.Join(e.root, link)); err != nil {
		t.Fatal(err)
	}

	r := e.kompose(link, "up", "-d")
	e.mustExit(r, 0)
	if got := e.runningServices(link); len(got) != 1 {
		t.Errorf("no running container labelled %s (the link's name)\n%s", link, r)
	}
	if got := e.runningServices(e.project("target")); len(got) != 0 {
		t.Errorf("compose named the project after the link's target\n%s", r)
	}
	got := strings.Split(strings.TrimSpace(e.read(link+"/hook_project.txt")), "\n")
	if len(got) != 2 || got[0] != link || got[1] != filepath.Join(e.root, link) {
		t.Errorf("the hooks got COMPOSE_PROJECT_NAME and PWD %q, want %q and %q", got, link, filepath.Join(e.root, link))
	}
	e.mustExit(e.kompose(link, "down"), 0)
	if got := e.runningServices(link); len(got) != 0 {
		t.Errorf("down left %v running", got)
	}
}
