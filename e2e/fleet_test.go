//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// orderHooks record, in the root's order.log, when each hook of a stack
// runs, and what the docker CLI says about the project named by
// $DEP_PROJECT (a dependency) when pre_up runs.
const orderHooks = `hook_pre_up() {
  echo "pre_up $stack" >> "$SCRIPT_DIR/order.log"
  if [[ -n ${DEP_PROJECT-} ]]; then
    docker ps -a --filter "label=com.docker.compose.project=$DEP_PROJECT" \
      --format '{{.Label "com.docker.compose.service"}} {{.State}} {{.Status}}' | sort > dep.seen
  fi
}
hook_pre_down() { echo "pre_down $stack" >> "$SCRIPT_DIR/order.log"; }
hook_post_down() { echo "post_down $stack" >> "$SCRIPT_DIR/order.log"; }
`

// startedAt returns when the container id started.
func startedAt(t *testing.T, id string) time.Time {
	t.Helper()
	out, err := dockerOut(context.Background(), "inspect", "--format", "{{.State.StartedAt}}", id)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestFleetOrderAndHealth: app depends on db and proxy; db's service has
// a healthcheck that passes only after a few seconds, and a one-off
// migration that exits 0. `up -d` starts db and proxy first, waits until
// db is healthy, then app: app's pre_up hook sees db's service healthy
// and its migration done, and app's container starts after theirs.
// `down` takes app down before db and proxy.
func TestFleetOrderAndHealth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("db/compose.yaml", `name: {{project}}
services:
`+idleService("pg", "db starting", `    healthcheck:
      test: ["CMD", "test", "-e", "/tmp/ready"]
      interval: 1s
      timeout: 2s
      retries: 60
`)+`  migrate:
    image: {{image}}
    pull_policy: never
    network_mode: none
    command: ["bash", "-c", "sleep 1; echo migrated"]
`)
	// The health check passes 4 s after the container started.
	e.write("db/compose.override.yaml", `services:
  pg:
    command: ["bash", "-c", "trap 'exit 0' TERM; (sleep 4; touch /tmp/ready) & sleep infinity & wait"]
`)
	e.write("db/hooks.sh", orderHooks)
	e.simpleStack("proxy")
	e.write("proxy/hooks.sh", orderHooks)
	e.write("app/compose.yaml", "name: {{project}}\nservices:\n"+idleService("app", "hello from app", "")+"x-kompose:\n  depends_on: [db, proxy]\n")
	e.write("app/hooks.sh", orderHooks)
	e.write("app/.env", "DEP_PROJECT="+e.project("db")+"\n")

	r := e.kompose("--dry-run", "*", "up", "-d")
	e.mustExit(r, 0)
	if !strings.Contains(r.stdout, "    wave 1: db, proxy\n    wave 2: app\n") {
		t.Fatalf("dry run does not show the waves:\n%s", r)
	}

	t0 := time.Now()
	r = e.kompose("*", "up", "-d")
	e.mustExit(r, 0)
	if d := time.Since(t0); d < 3*time.Second {
		t.Errorf("up took %v: it cannot have waited for db's health check", d)
	}
	if !strings.Contains(r.stderr, "waiting up to 2m0s for db to be running and healthy") {
		t.Errorf("kompose did not say what it waits for:\n%s", r)
	}
	seen := e.read("app/dep.seen")
	if !strings.Contains(seen, "pg running Up") || !strings.Contains(seen, "(healthy)") {
		t.Errorf("app's pre_up hook saw db's pg not healthy:\n%s", seen)
	}
	if !strings.Contains(seen, "migrate exited Exited (0)") {
		t.Errorf("app's pre_up hook saw db's migration not done:\n%s", seen)
	}
	app := startedAt(t, e.container("app", "app").ID)
	for _, dep := range [][2]string{{"db", "pg"}, {"proxy", "app"}} {
		if s := startedAt(t, e.container(dep[0], dep[1]).ID); !s.Before(app) {
			t.Errorf("%s/%s started at %v, not before app at %v", dep[0], dep[1], s, app)
		}
	}
	lines := strings.Split(strings.TrimSpace(e.read("order.log")), "\n")
	if want := []string{"pre_up db", "pre_up proxy", "pre_up app"}; !slices.Equal(lines, want) {
		t.Errorf("hooks ran in the order %q, want %q", lines, want)
	}

	e.write("order.log", "")
	r = e.kompose("*", "down")
	e.mustExit(r, 0)
	lines = strings.Split(strings.TrimSpace(e.read("order.log")), "\n")
	if want := []string{"pre_down app", "post_down app", "pre_down db", "post_down db", "pre_down proxy", "post_down proxy"}; !slices.Equal(lines, want) {
		t.Errorf("down ran in the order %q, want %q", lines, want)
	}
	for _, s := range []string{"app", "db", "proxy"} {
		if got := e.services(s, ""); len(got) != 0 {
			t.Errorf("%s still has containers after down: %v", s, got)
		}
	}
}

// TestFleetFailingDependency: db's health check never passes; with
// --wait-timeout 4s db fails and app, which depends on it, is not run:
// no container of app exists. other, independent, still runs.
func TestFleetFailingDependency(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("db/compose.yaml", "name: {{project}}\nservices:\n"+idleService("pg", "db", `    healthcheck:
      test: ["CMD", "false"]
      interval: 1s
      retries: 1
`))
	e.write("app/compose.yaml", "name: {{project}}\nservices:\n"+idleService("app", "hello", "")+"x-kompose: {depends_on: [db]}\n")
	e.write("app/hooks.sh", orderHooks)
	e.simpleStack("other")

	r := e.kompose("--wait-timeout", "4s", "*", "up", "-d")
	e.mustExit(r, 1)
	for _, want := range []string{
		"<== app not run: depends on db, which failed",
		"  db: not running and healthy after 4s (--wait-timeout): pg: unhealthy",
		"1 succeeded, 2 failed out of 3 stacks",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r)
		}
	}
	if got := e.services("app", ""); len(got) != 0 {
		t.Errorf("app was started: %v", got)
	}
	if e.read("order.log") != "" {
		t.Errorf("app's pre_up hook ran: %s", e.read("order.log"))
	}
	if got := e.services("other", "running"); !slices.Equal(got, []string{"app"}) {
		t.Errorf("other is not running: %v", got)
	}
}

// TestFleetParallel: -j 4 over a dozen real stacks; every line of
// compose's output carries its stack, all of them run, and down -j 4
// removes them all.
func TestFleetParallel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var names []string
	for i := 1; i <= 12; i++ {
		n := fmt.Sprintf("s%02d", i)
		names = append(names, n)
		e.simpleStack(n)
	}
	r := e.kompose("-j", "4", "*", "up", "-d")
	e.mustExit(r, 0)
	if !strings.Contains(r.stderr, "12 succeeded, 0 failed out of 12 stacks") {
		t.Fatalf("summary:\n%s", r)
	}
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		if strings.HasPrefix(line, "12 succeeded") {
			continue
		}
		name, _, ok := strings.Cut(line, " | ")
		if !ok || !slices.Contains(names, name) {
			t.Errorf("line without its stack: %q", line)
		}
	}
	for _, n := range names {
		if got := e.services(n, "running"); !slices.Equal(got, []string{"app"}) {
			t.Errorf("%s: running %v", n, got)
		}
	}
	r = e.kompose("-j", "4", "*", "down")
	e.mustExit(r, 0)
	for _, n := range names {
		if got := e.services(n, ""); len(got) != 0 {
			t.Errorf("%s: containers left %v", n, got)
		}
	}
}
