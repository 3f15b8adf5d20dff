//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// seenHooks are hooks that record, with the docker CLI, which services of
// their own project ($COMPOSE_PROJECT_NAME, as kompose gives it) are
// running when they run.
const seenHooks = `running() {
  docker ps --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" --filter status=running \
    --format '{{.Label "com.docker.compose.service"}}' | sort
}
hook_post_up() { { echo "args: $*"; running; } > post_up.seen; }
hook_pre_down() { { echo "args: $*"; running; } > pre_down.seen; }
hook_post_down() {
  { echo "args: $*"; docker ps -a --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" --format '{{.Names}}'; } > post_down.seen
}
`

// TestUpHooksDown: `kompose "a,b" up -d` starts the containers of a and b
// (not c); hook_post_up sees them running; hook_pre_down sees them still
// running before `down`, hook_post_down sees them gone; down -v removes
// the projects' networks and volumes.
func TestUpHooksDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("a/compose.yaml", `name: {{project}}
services:
`+idleService("app", "hello from a", "")+`  worker:
    image: {{image}}
    pull_policy: never
    stop_grace_period: 1s
    networks: [back]
    volumes: [data:/data]
    command: ["bash", "-c", "trap 'exit 0' TERM; sleep infinity & wait"]
networks:
  back:
    ipam:
      config:
        - subnet: {{subnet}}
volumes:
  data:
`)
	e.write("a/hooks.sh", seenHooks)
	e.simpleStack("b")
	e.write("b/hooks.sh", seenHooks)
	e.simpleStack("c")

	r := e.kompose("a,b", "up", "-d")
	e.mustExit(r, 0)
	if got := e.services("a", "running"); !slices.Equal(got, []string{"app", "worker"}) {
		t.Errorf("a: running services %v, want [app worker]", got)
	}
	if got := e.services("b", "running"); !slices.Equal(got, []string{"app"}) {
		t.Errorf("b: running services %v, want [app]", got)
	}
	if got := e.services("c", ""); len(got) != 0 {
		t.Errorf("c was not selected but has containers %v", got)
	}
	if got, want := e.read("a/post_up.seen"), "args: up -d\napp\nworker\n"; got != want {
		t.Errorf("a: hook_post_up saw %q, want %q", got, want)
	}
	if got, want := e.read("b/post_up.seen"), "args: up -d\napp\n"; got != want {
		t.Errorf("b: hook_post_up saw %q, want %q", got, want)
	}
	before, err := listResources(e.ctx, e.project("a"))
	if err != nil {
		t.Fatal(err)
	}
	if !hasKind(before, "network") || !hasKind(before, "volume") {
		t.Fatalf("a: want a network and a volume after up, got %v", before)
	}

	r = e.kompose("a,b", "down", "-v")
	e.mustExit(r, 0)
	if got, want := e.read("a/pre_down.seen"), "args: down -v\napp\nworker\n"; got != want {
		t.Errorf("a: hook_pre_down saw %q, want %q", got, want)
	}
	if got, want := e.read("b/pre_down.seen"), "args: down -v\napp\n"; got != want {
		t.Errorf("b: hook_pre_down saw %q, want %q", got, want)
	}
	for _, s := range []string{"a", "b"} {
		if got, want := e.read(s+"/post_down.seen"), "args: down -v\n"; got != want {
			t.Errorf("%s: hook_post_down saw %q, want %q (no containers left)", s, got, want)
		}
	}
	left, err := listResources(e.ctx, e.prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("down -v left %v", left)
	}
}

func hasKind(rs []resource, kind string) bool {
	return slices.ContainsFunc(rs, func(r resource) bool { return r.Kind == kind })
}

// TestEnvironmentOrder: variables of the process, the root .env, the
// stack's .env, --network and -e reach the containers through compose's
// interpolation of compose.yaml, each layer above the one before; a
// stack's .env reaches no other stack; secrets never appear in kompose's
// output.
func TestEnvironmentOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	vars := []string{"L_PROC", "L_ROOT", "L_STACK", "L_NET", "L_CLI", "NETWORK_NAME", "DERIVED", "ONLY_A", "API_TOKEN"}
	var envYAML strings.Builder
	envYAML.WriteString("    environment:\n")
	for _, v := range vars {
		fmt.Fprintf(&envYAML, "      %s: ${%s:-unset}\n", v, v)
	}
	for _, s := range []string{"a", "b"} {
		e.write(s+"/compose.yaml", "name: {{project}}\nservices:\n"+idleService("app", "hello", envYAML.String()))
	}
	e.write(".env", `L_ROOT=root
L_STACK=root
L_NET=root
L_CLI=root
API_TOKEN=tok-5ecret-value
`)
	e.write("a/.env", `L_STACK=stack
L_CLI=stack
NETWORK_NAME=stack
DERIVED="${L_ROOT}+${L_CLI}"
ONLY_A=a
`)
	procEnv := []string{"L_PROC=proc", "L_ROOT=proc", "L_STACK=proc", "L_CLI=proc"}
	r := e.komposeWith(opts{env: procEnv}, "-e", "L_CLI=cli", "--network", "net-from-flag", "*", "up", "-d")
	e.mustExit(r, 0)

	want := map[string]map[string]string{
		"a": {
			"L_PROC":       "proc",
			"L_ROOT":       "root",
			"L_STACK":      "stack",
			"L_NET":        "root",
			"L_CLI":        "cli",
			"NETWORK_NAME": "net-from-flag",
			"DERIVED":      "root+cli",
			"ONLY_A":       "a",
			"API_TOKEN":    "tok-5ecret-value",
		},
		"b": {
			"L_PROC":       "proc",
			"L_ROOT":       "root",
			"L_STACK":      "root",
			"L_NET":        "root",
			"L_CLI":        "cli",
			"NETWORK_NAME": "net-from-flag",
			"DERIVED":      "unset",
			"ONLY_A":       "unset",
			"API_TOKEN":    "tok-5ecret-value",
		},
	}
	for _, s := range []string{"a", "b"} {
		got, err := containerEnv(e.ctx, e.container(s, "app").ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vars {
			if got[v] != want[s][v] {
				t.Errorf("%s: container has %s=%q, want %q", s, v, got[v], want[s][v])
			}
		}
	}
	// The dry run shows the layers, with the secret masked.
	r = e.komposeWith(opts{env: procEnv}, "-e", "L_CLI=cli", "--network", "net-from-flag", "-n", "*", "up", "-d")
	e.mustExit(r, 0)
	for _, line := range []string{"env L_CLI=cli  (-e", "env L_STACK=stack  (stack .env", "env API_TOKEN=****"} {
		if !strings.Contains(r.stdout, line) {
			t.Errorf("dry run does not show %q:\n%s", line, r)
		}
	}
	if strings.Contains(r.stdout+r.stderr, "5ecret") {
		t.Errorf("the secret API_TOKEN appears in kompose's output:\n%s", r)
	}
	e.mustExit(e.kompose("*", "down"), 0)
}

// TestDryRunDownChangesNothing: `kompose "*" down --dry-run` (and -n before
// the pattern) plans every stack's hooks and down, and changes nothing:
// the containers (state, start time), networks and volumes are the same
// before and after, and no hook runs. A real down then does change them.
func TestDryRunDownChangesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("a/compose.yaml", `name: {{project}}
services:
`+idleService("app", "hello from a", "    volumes: [data:/data]\n")+`  net:
    image: {{image}}
    pull_policy: never
    stop_grace_period: 1s
    networks: [back]
    command: ["bash", "-c", "trap 'exit 0' TERM; sleep infinity & wait"]
networks:
  back:
    ipam:
      config:
        - subnet: {{subnet}}
volumes:
  data:
`)
	marker := `hook_pre_down() { touch pre_down.ran; }
hook_post_down() { touch post_down.ran; }
`
	e.write("a/hooks.sh", marker)
	e.simpleStack("b")
	e.write("b/hooks.sh", marker)
	e.simpleStack("c") // never started: down has nothing to do there
	e.mustExit(e.kompose("a,b", "up", "-d"), 0)

	before, err := snapshot(e.ctx, e.prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != 5 { // a: app and net, b: app; a's network and volume
		t.Fatalf("want 3 containers, a network and a volume, got:\n%s", strings.Join(before, "\n"))
	}
	for _, args := range [][]string{
		{"*", "down", "--dry-run"},
		{"*", "down", "-v", "--remove-orphans", "--dry-run"},
		{"-n", "*", "down", "-v"},
	} {
		r := e.kompose(args...)
		e.mustExit(r, 0)
		for _, s := range []string{"a", "b", "c"} {
			if !strings.Contains(r.stdout, "==> "+s+" [") {
				t.Errorf("kompose %v: the plan lacks stack %s:\n%s", args, s, r)
			}
		}
		if n := strings.Count(r.stdout, "--> docker compose down"); n != 3 {
			t.Errorf("kompose %v: want 3 planned downs, got %d:\n%s", args, n, r)
		}
		if n := strings.Count(r.stdout, "--> hook_pre_down down"); n != 2 {
			t.Errorf("kompose %v: want 2 planned pre-down hooks, got %d:\n%s", args, n, r)
		}
	}
	after, err := snapshot(e.ctx, e.prefix)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, after) {
		t.Errorf("the dry runs changed docker's state:\nbefore:\n%s\nafter:\n%s", strings.Join(before, "\n"), strings.Join(after, "\n"))
	}
	for _, f := range []string{"a/pre_down.ran", "a/post_down.ran", "b/pre_down.ran", "b/post_down.ran"} {
		if fileExists(e.root, f) {
			t.Errorf("a dry run ran a hook: %s exists", f)
		}
	}

	// The same command without --dry-run does change them.
	e.mustExit(e.kompose("*", "down", "-v"), 0)
	if after, _ := snapshot(e.ctx, e.prefix); len(after) != 0 {
		t.Errorf("a real down -v left:\n%s", strings.Join(after, "\n"))
	}
	if !fileExists(e.root, "a/post_down.ran") {
		t.Errorf("a real down did not run hook_post_down")
	}
}

// TestFailedUpStopsOnlyItsStack: a stack whose up fails (an image that does
// not exist, pull_policy: never) makes kompose exit 1, runs no post hook
// for it, and neither stops the stack before it nor keeps the stack after
// it from starting.
func TestFailedUpStopsOnlyItsStack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hooks := `hook_pre_up() { touch pre_up.ran; }
hook_post_up() { touch post_up.ran; }
`
	e.simpleStack("a")
	e.write("b/compose.yaml", `name: {{project}}
services:
  app:
    image: kompose-e2e-missing/nothing:never
    pull_policy: never
    network_mode: none
`)
	e.simpleStack("c")
	for _, s := range []string{"a", "b", "c"} {
		e.write(s+"/hooks.sh", hooks)
	}
	r := e.kompose("*", "up", "-d")
	e.mustExit(r, 1)
	for _, want := range []string{"<== a ok", "<== c ok", "1 failed"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r)
		}
	}
	if !strings.Contains(r.stderr, "kompose-e2e-missing/nothing") {
		t.Errorf("compose's error about the missing image does not reach stderr:\n%s", r)
	}
	for _, s := range []string{"a", "c"} {
		if got := e.services(s, "running"); !slices.Equal(got, []string{"app"}) {
			t.Errorf("%s: running services %v, want [app]", s, got)
		}
		if !fileExists(e.root, s+"/post_up.ran") {
			t.Errorf("%s: hook_post_up did not run", s)
		}
	}
	if got := e.services("b", "running"); len(got) != 0 {
		t.Errorf("b: running services %v, want none", got)
	}
	if !fileExists(e.root, "b/pre_up.ran") {
		t.Errorf("b: hook_pre_up did not run")
	}
	if fileExists(e.root, "b/post_up.ran") {
		t.Errorf("b: hook_post_up ran although up failed")
	}
	e.mustExit(e.kompose("a,c", "down"), 0)
}

// TestPassthrough: logs, ps and exec -T reach compose with their arguments
// unchanged, and their output (and exec's input) pass through: standard
// output carries exactly what compose prints.
func TestPassthrough(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, s := range []string{"a", "b"} {
		e.write(s+"/compose.yaml", "name: {{project}}\nservices:\n"+
			idleService("app", "first line of "+s+"; echo hello from "+s, "    environment:\n      GREETING: hi-"+s+"\n"))
	}
	e.mustExit(e.kompose("a,b", "up", "-d"), 0)

	// logs of two stacks; -n after the command is compose's --tail.
	e.eventually(10*time.Second, func() (bool, string) {
		r := e.kompose("a,b", "logs", "--no-color")
		ok := r.code == 0 && strings.Contains(r.stdout, "hello from a") && strings.Contains(r.stdout, "hello from b") &&
			strings.Contains(r.stdout, "first line of a")
		return ok, r.String()
	})
	r := e.kompose("a", "logs", "--no-color", "-n", "1", "app")
	e.mustExit(r, 0)
	if !strings.Contains(r.stdout, "hello from a") || strings.Contains(r.stdout, "first line") {
		t.Errorf("logs -n 1: want only the last line:\n%s", r)
	}
	if strings.Contains(r.stdout, "==>") || strings.Contains(r.stdout, "-->") {
		t.Errorf("kompose's own lines reached standard output:\n%s", r)
	}

	r = e.kompose("a", "ps")
	e.mustExit(r, 0)
	name := e.container("a", "app").Name
	if !strings.Contains(r.stdout, name) || !strings.Contains(r.stdout, "Up") {
		t.Errorf("ps does not list %s as up:\n%s", name, r)
	}
	r = e.kompose("a", "ps", "--format", "{{.Service}} {{.State}}")
	e.mustExit(r, 0)
	if r.stdout != "app running\n" {
		t.Errorf("ps --format: stdout %q, want %q", r.stdout, "app running\n")
	}

	r = e.komposeWith(opts{stdin: "from stdin\n"}, "a", "exec", "-T", "app", "bash", "-c", `printf '%s|%s|' "$1" "$GREETING"; cat`, "_", "an arg")
	e.mustExit(r, 0)
	if want := "an arg|hi-a|from stdin\n"; r.stdout != want {
		t.Errorf("exec -T: stdout %q, want %q\n%s", r.stdout, want, r)
	}
	r = e.kompose("a", "exec", "-T", "app", "bash", "-c", "echo to-stderr >&2; exit 3")
	e.mustExit(r, 1)
	if !strings.Contains(r.stderr, "to-stderr") {
		t.Errorf("exec's standard error does not pass through:\n%s", r)
	}
	e.mustExit(e.kompose("a,b", "down"), 0)
}

func fileExists(root, rel string) bool {
	_, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel)))
	return err == nil
}
