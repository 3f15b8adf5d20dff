//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// engineHooks record what a stack's hooks see of their engine: the
// projects with running containers, and the stack's own services before
// down.
const engineHooks = `hook_post_up() {
  docker ps --format '{{.Label "com.docker.compose.project"}}' | sort -u > projects.txt
}
hook_pre_down() {
  docker ps --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" --format '{{.Label "com.docker.compose.service"}}' > before-down.txt
}
`

// TestStacksOnThreeEngines: one `"*" up -d` starts a stack on the local
// engine, one on a second engine (DOCKER_HOST=unix://… in its .env) and
// one over SSH (DOCKER_HOST=ssh://root@127.0.0.1:PORT); each stack's
// containers are on its engine only, its hooks see that engine, `kompose
// hosts` and --list show the three, and `"*" down` takes each down where
// it runs. Then --context with a real docker context puts the local stack
// and the SSH one (whose DOCKER_HOST it overrides) on the second engine.
func TestStacksOnThreeEngines(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	far := startSecondEngine(t, debianImage)
	ssh := startSSH(t)
	for _, s := range []string{"loc", "far", "ssh"} {
		e.simpleStack(s)
		e.write(s+"/hooks.sh", engineHooks)
	}
	e.write("far/.env", "DOCKER_HOST="+far.Host+"\n")
	e.write("ssh/.env", "DOCKER_HOST="+ssh.Host+"\n")
	o := opts{env: []string{"PATH=" + ssh.Path}}

	r := e.komposeWith(o, "*", "up", "-d")
	e.mustExit(r, 0)
	for _, want := range []string{"==> far [1/3] " + e.root + "/far, engine " + far.Host, "==> ssh [3/3] " + e.root + "/ssh, engine " + ssh.Host} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the run does not show %q:\n%s", want, r)
		}
	}
	// Where the containers are, asked of each engine directly.
	onFar := far.projects(e.ctx)
	if !contains(onFar, e.project("far")) || contains(onFar, e.project("loc")) || contains(onFar, e.project("ssh")) {
		t.Errorf("projects on the second engine: %v; want %s only", onFar, e.project("far"))
	}
	if got := e.services("far", ""); len(got) != 0 {
		t.Errorf("far's containers on the local engine: %v", got)
	}
	for _, s := range []string{"loc", "ssh"} { // ssh reaches this machine's engine
		if got := e.services(s, "running"); len(got) != 1 {
			t.Errorf("%s's running services on the local engine: %v", s, got)
		}
	}
	// What the hooks saw: their own engine.
	farSaw := uniqueLines(e.read("far/projects.txt"))
	if !contains(farSaw, e.project("far")) || contains(farSaw, e.project("loc")) {
		t.Errorf("far's hook saw %v", farSaw)
	}
	locSaw := uniqueLines(e.read("loc/projects.txt"))
	if !contains(locSaw, e.project("loc")) || contains(locSaw, e.project("far")) {
		t.Errorf("loc's hook saw %v", locSaw)
	}
	if sshSaw := uniqueLines(e.read("ssh/projects.txt")); !contains(sshSaw, e.project("ssh")) {
		t.Errorf("ssh's hook saw %v", sshSaw)
	}

	r = e.komposeWith(o, "hosts")
	e.mustExit(r, 0)
	for _, want := range []string{
		"default (the docker CLI's current context)\n  answers:  yes, Docker Engine ",
		"\n  stacks:   loc\n",
		far.Host + " (DOCKER_HOST)\n  answers:  yes, Docker Engine ",
		"\n  stacks:   far\n",
		ssh.Host + " (DOCKER_HOST)\n  answers:  yes, Docker Engine ",
		"\n  stacks:   ssh\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("kompose hosts lacks %q:\n%s", want, r)
		}
	}
	r = e.komposeWith(o, "--list")
	e.mustExit(r, 0)
	if !strings.Contains(r.stdout, "far\n  compose:  compose.yaml\n  env:      .env\n  engine:   "+far.Host+"\n") {
		t.Errorf("--list does not show far's engine:\n%s", r)
	}

	r = e.komposeWith(o, "*", "down")
	e.mustExit(r, 0)
	if got := e.read("far/before-down.txt"); strings.TrimSpace(got) != "app" {
		t.Errorf("far's pre-down hook saw services %q, want app", got)
	}
	if got := far.projects(e.ctx); len(got) != 0 {
		t.Errorf("projects left on the second engine after down: %v", got)
	}
	for _, s := range []string{"loc", "ssh"} {
		if got := e.services(s, ""); len(got) != 0 {
			t.Errorf("%s's containers after down: %v", s, got)
		}
	}

	// --context: a real docker context naming the second engine, in a
	// docker configuration folder of the test's own; it wins over ssh's
	// DOCKER_HOST, so every selected stack runs there.
	cfg := t.TempDir()
	if home, err := os.UserHomeDir(); err == nil {
		if _, err := os.Stat(home + "/.docker/cli-plugins"); err == nil {
			if err := os.Symlink(home+"/.docker/cli-plugins", cfg+"/cli-plugins"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if out, err := runOut(e.ctx, "docker", "--config", cfg, "context", "create", "far", "--docker", "host="+far.Host); err != nil {
		t.Fatalf("docker context create: %v\n%s", err, out)
	}
	oc := opts{env: []string{"PATH=" + ssh.Path, "DOCKER_CONFIG=" + cfg}}
	r = e.komposeWith(oc, "--context", "far", "loc,ssh", "up", "-d")
	e.mustExit(r, 0)
	onFar = far.projects(e.ctx)
	if !contains(onFar, e.project("loc")) || !contains(onFar, e.project("ssh")) {
		t.Errorf("with --context far, projects on the second engine: %v; want loc's and ssh's", onFar)
	}
	for _, s := range []string{"loc", "ssh"} {
		if got := e.services(s, ""); len(got) != 0 {
			t.Errorf("with --context far, %s's containers on the local engine: %v", s, got)
		}
	}
	if sshSaw := uniqueLines(e.read("ssh/projects.txt")); !contains(sshSaw, e.project("loc")) {
		t.Errorf("with --context far, ssh's hook saw %v; want the second engine's projects", sshSaw)
	}
	e.mustExit(e.komposeWith(oc, "--context", "far", "loc,ssh", "down"), 0)
	if got := far.projects(e.ctx); len(got) != 0 {
		t.Errorf("projects left on the second engine after down: %v", got)
	}
}

// farPsql runs SQL in a container of the second engine.
func farPsql(t *testing.T, far *secondEngine, container, sql string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), dockerTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", "-H", far.Host, "exec", "-i", container, "psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-U", dbUser, "-d", "news")
	cmd.Stdin = strings.NewReader(sql)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("psql on the second engine: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

// TestDatabaseOnSecondEngine: db:export and db:import of a PostgreSQL
// service on a second engine (found by its image, run with compose exec
// there), and db:export through DB_CONTAINER (docker exec there): the dumps
// stream back into the local stack folders, the import streams the local
// file to the remote database.
func TestDatabaseOnSecondEngine(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	far := startSecondEngine(t, postgresImage)
	const password = "f4r-pa55-w0rd"
	dbEnv := "DOCKER_HOST=" + far.Host + "\nDB_NAME=news\nDB_USER=kompose\nDB_PASSWORD=" + password + "\n"
	e.write("news/compose.yaml", "name: {{project}}\nservices:\n"+pgService("db", "pgdata")+"volumes:\n  pgdata:\n")
	e.write("news/.env", dbEnv)
	e.write("news/hooks.sh", dbHooks)

	e.mustExit(e.kompose("news", "up", "-d", "--wait"), 0)
	out, err := far.docker(e.ctx, "ps", "-q", "--filter", "label="+projectLabel+"="+e.project("news"))
	if err != nil || len(strings.Fields(out)) != 1 {
		t.Fatalf("the database container on the second engine: %q %v", out, err)
	}
	db := strings.TrimSpace(out)
	farPsql(t, far, db, seedSQL)
	want := farPsql(t, far, db, fingerprintSQL)
	if !strings.HasPrefix(want, "2001:") {
		t.Fatalf("seeded %q", want)
	}

	r := e.kompose("news", "db:export")
	e.mustExit(r, 0)
	e.noSecret(r, password)
	dumps := e.dumps("news", "news")
	if len(dumps) != 1 {
		t.Fatalf("dumps after db:export: %v\n%s", dumps, r)
	}
	body, err := os.ReadFile(dumps[0])
	if err != nil || !bytes.Contains(body, []byte("CREATE TABLE public.items")) {
		t.Fatalf("the dump %s is not a dump of items (%v):\n%.300s", dumps[0], err, body)
	}

	farPsql(t, far, db, "DELETE FROM items WHERE id > 1000;")
	r = e.kompose("news", "db:import")
	e.mustExit(r, 0)
	e.noSecret(r, password)
	if got := farPsql(t, far, db, fingerprintSQL); got != want {
		t.Errorf("after db:import: %s, want %s", got, want)
	}

	// DB_CONTAINER: a container of another stack on the same engine.
	e.simpleStack("report")
	e.write("report/.env", dbEnv+"DB_CONTAINER="+db+"\n")
	r = e.kompose("report", "db:export", "--compress", "gzip")
	e.mustExit(r, 0)
	if got := e.dumps("report", "news"); len(got) != 1 || !strings.HasSuffix(got[0], ".sql.gz") {
		t.Errorf("DB_CONTAINER dump: %v\n%s", got, r)
	}
	e.mustExit(e.kompose("news", "down", "-v"), 0)
	if got := far.projects(e.ctx); len(got) != 0 {
		t.Errorf("left on the second engine: %v", got)
	}
}

// TestEngineDownDuringRun: in one `"*" up -d`, the first stack's hook
// freezes (SIGSTOP) the second engine, then, in a second run, kills it and
// the SSH server: the stacks on those engines fail within the engine
// timeout with a message naming the host, the others succeed, exit 1,
// nothing hangs.
func TestEngineDownDuringRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	far := startSecondEngine(t, debianImage)
	ssh := startSSH(t)
	e.simpleStack("a")
	e.write("a/hooks.sh", `hook_post_up() { kill -"$KILL_SIGNAL" $KILL_PIDS; }`+"\n")
	e.simpleStack("b")
	// A short limit for the second engine only: the SSH handshake of c's
	// probe may take seconds on a busy machine (the default is 10s).
	e.write("b/.env", "DOCKER_HOST="+far.Host+"\nKOMPOSE_ENGINE_TIMEOUT=3\n")
	e.simpleStack("c")
	e.write("c/.env", "DOCKER_HOST="+ssh.Host+"\n")
	e.simpleStack("d")
	o := opts{env: []string{"PATH=" + ssh.Path}}
	// b runs on the second engine when it is killed: the clean-up must end
	// its container all the same.
	e.mustExit(e.kompose("b", "up", "-d"), 0)
	out, err := far.docker(e.ctx, "ps", "-q", "--filter", "label="+projectLabel+"="+e.project("b"))
	if err != nil || len(strings.Fields(out)) != 1 {
		t.Fatalf("b's container on the second engine: %q %v", out, err)
	}
	out, err = far.docker(e.ctx, "inspect", "--format", "{{.State.Pid}}", strings.TrimSpace(out))
	bPid, _ := strconv.Atoi(strings.TrimSpace(out))
	if err != nil || bPid <= 0 {
		t.Fatalf("b's container's process: %q %v", out, err)
	}

	// Frozen: the probe of b's engine runs out of time.
	start := time.Now()
	r := e.komposeWith(o, "-e", "KILL_SIGNAL=STOP", "-e", "KILL_PIDS="+strconv.Itoa(far.Pid()), "*", "up", "-d")
	took := time.Since(start)
	_ = syscall.Kill(far.Pid(), syscall.SIGCONT)
	e.mustExit(r, 1)
	if !strings.Contains(r.stderr, "<== b FAILED, nothing run: engine "+far.Host+" did not answer within 3s (KOMPOSE_ENGINE_TIMEOUT)") {
		t.Errorf("b's failure does not name its engine and the timeout:\n%s", r)
	}
	if !strings.Contains(r.stderr, "3 succeeded, 1 failed out of 4 stacks (failed: b)") {
		t.Errorf("want a, c, d to succeed:\n%s", r)
	}
	if took > 45*time.Second {
		t.Errorf("the run with a frozen engine took %v", took)
	}
	for _, s := range []string{"a", "c", "d"} {
		if got := e.services(s, "running"); len(got) != 1 {
			t.Errorf("%s's running services: %v", s, got)
		}
	}

	// Killed: dockerd and sshd are gone; their stacks fail at once.
	start = time.Now()
	r = e.komposeWith(o, "-e", "KILL_SIGNAL=KILL", "-e", "KILL_PIDS="+strconv.Itoa(far.Pid())+" "+strconv.Itoa(ssh.Pid()), "*", "up", "-d")
	took = time.Since(start)
	e.mustExit(r, 1)
	for _, want := range []string{
		"<== b FAILED, nothing run: engine " + far.Host + " does not answer: ",
		"<== c FAILED, nothing run: engine " + ssh.Host + " does not answer: ",
		"2 succeeded, 2 failed out of 4 stacks (failed: b, c)",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the run lacks %q:\n%s", want, r)
		}
	}
	if took > 30*time.Second {
		t.Errorf("the run with a killed engine took %v", took)
	}
	r = e.komposeWith(o, "hosts")
	e.mustExit(r, 1)
	if !strings.Contains(r.stdout, far.Host+" (DOCKER_HOST)\n  answers:  NO: engine "+far.Host+" does not answer") {
		t.Errorf("kompose hosts after the kill:\n%s", r)
	}

	// The clean-up (run here, and again, doing nothing, at the test's
	// end) leaves nothing of the killed engine: not b's container.
	far.remove()
	if running(bPid) {
		t.Errorf("b's container (process %d) still runs after the clean-up of its killed engine", bPid)
	}
	if _, err := os.Stat(far.dir); err == nil {
		t.Errorf("%s is still there", far.dir)
	}
}

// running reports whether process pid runs (a zombie does not: nothing
// may be left to reap it).
func running(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) == 0 || f[0] != "Z"
}
