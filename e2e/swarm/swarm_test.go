//go:build e2e

package swarm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/internal/swarmtest"
)

// root is a kompose root of stacks for one test: kompose runs on it with
// the machine's environment minus kompose's and compose's variables.
type root struct {
	t      *testing.T
	dir    string
	secret string
}

func newRoot(t *testing.T) *root {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &root{t: t, dir: t.TempDir(), secret: "i24-s3cret-" + hex.EncodeToString(b[:])}
}

func (r *root) write(rel, content string) {
	r.t.Helper()
	p := filepath.Join(r.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

func (r result) all() string { return r.stdout + r.stderr }

// kompose runs kompose on the root; a run that does not end in five
// minutes fails the test.
func (r *root) kompose(args ...string) result {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, the.kompose, append([]string{"--root", r.dir}, args...)...)
	cmd.Dir = r.dir
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "KOMPOSE_") || strings.HasPrefix(name, "COMPOSE_") || strings.HasPrefix(name, "DOCKER_") || strings.HasPrefix(name, "DB_") {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, "NO_COLOR=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	res := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		res.code = ee.ExitCode()
	default:
		r.t.Fatalf("kompose %s: %v\n%s%s", strings.Join(args, " "), err, res.stdout, res.stderr)
	}
	r.t.Logf("kompose %s: exit %d in %v", strings.Join(args, " "), res.code, res.took.Round(time.Millisecond))
	if strings.Contains(res.all(), r.secret) {
		r.t.Errorf("kompose %s printed the secret:\n%s", strings.Join(args, " "), res.all())
	}
	return res
}

// must fails the test unless res exited with code.
func (r *root) must(res result, code int, what string) {
	r.t.Helper()
	if res.code != code {
		r.t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", what, res.code, code, res.stdout, res.stderr)
	}
}

// manager runs docker on the swarm's manager.
func manager(t *testing.T, c *swarmtest.Cluster, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := c.Manager().Docker(ctx, args...)
	if err != nil {
		t.Fatalf("docker %s on the manager: %v", strings.Join(args, " "), err)
	}
	return out
}

// swarmStack is a Swarm stack of two services (web: two replicas with a
// health check, worker: one) that depends on the stack local.
func swarmStack(project, host string) string {
	return `name: ` + project + `
x-kompose:
  deploy: swarm
  depends_on: [local]
services:
  web:
    image: ` + debianImage + `
    command: ["sh", "-c", "trap 'exit 0' TERM; echo hello-from-task; while :; do sleep 1; done"]
    environment:
      APP_SECRET: ${APP_SECRET}
    restart: always
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
    deploy:
      replicas: 2
  worker:
    image: ` + debianImage + `
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
    container_name: not-on-swarm
    depends_on:
      web:
        condition: service_healthy
`
}

// tempLeftovers are the resolved files left in the temporary folder that
// hold secret (other tests' runs, in parallel, have their own secrets).
func tempLeftovers(t *testing.T, secret string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(os.TempDir(), "kompose-swarm-*", "*"))
	var out []string
	for _, f := range m {
		if b, err := os.ReadFile(f); err == nil && strings.Contains(string(b), secret) {
			out = append(out, f)
		}
	}
	return out
}

// TestSwarmStackLifecycle deploys a Swarm stack that depends on a local
// compose stack, on the shared single-node swarm: the dry run shows the
// deploy and runs nothing; up deploys after the local stack and returns
// converged; status, ps, logs, config, restart, update and rollback
// answer from the Swarm; exec is refused; down returns when services,
// networks, tasks and containers are gone. No output holds the stack's
// secret, and no resolved file is left behind.
func TestSwarmStackLifecycle(t *testing.T) {
	t.Parallel() // beside the three-node cluster test
	c := needSwarm(t)
	r := newRoot(t)
	var b [3]byte
	_, _ = rand.Read(b[:])
	project := "i24app" + hex.EncodeToString(b[:])
	local := "i24-local-" + hex.EncodeToString(b[:])
	r.write("local/compose.yaml", "name: "+local+"\nservices:\n  db:\n    image: "+debianImage+"\n    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while :; do sleep 1; done\"]\n    healthcheck: {test: [\"CMD\", \"true\"], interval: 1s}\n")
	r.write("app/compose.yaml", swarmStack(project, c.Manager().Host))
	// after depends on the Swarm stack: it starts once app's services
	// have converged (app's health gate, read from the manager)
	r.write("after/compose.yaml", "name: "+local+"-after\nx-kompose: {depends_on: [app]}\nservices:\n  web:\n    image: "+debianImage+"\n    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while :; do sleep 1; done\"]\n")
	r.write("app/.env", "DOCKER_HOST="+c.Manager().Host+"\nAPP_SECRET="+r.secret+"\n")
	t.Cleanup(func() {
		_ = exec.Command("docker", "compose", "-p", local, "down", "--timeout", "1").Run()
		_ = exec.Command("docker", "compose", "-p", local+"-after", "down", "--timeout", "1").Run()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, _ = c.Manager().Docker(ctx, "stack", "rm", project)
	})

	// the dry run: the deploy command and the warnings; nothing deployed
	res := r.kompose("-n", "*", "up", "-d")
	r.must(res, 0, "dry run")
	for _, want := range []string{"docker stack deploy --compose-file TMPDIR/kompose-swarm-XXXXXX/stack.yaml --with-registry-auth --prune '--detach=false' --quiet " + project, "depends on: local", "wave 3: after"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("dry run: no %q in\n%s", want, res.stdout)
		}
	}
	for _, want := range []string{"services.worker.container_name", "services.web.restart", "services.worker.depends_on.web.condition"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("dry run: no warning about %s in\n%s", want, res.stderr)
		}
	}
	if out := manager(t, c, "service", "ls", "--quiet"); strings.TrimSpace(out) != "" {
		t.Fatalf("the dry run deployed: %s", out)
	}

	// up: the local stack first, then docker stack deploy, converged
	res = r.kompose("*", "up", "-d")
	r.must(res, 0, "up")
	t.Logf("up of a local stack and a Swarm stack of 3 tasks: %v", res.took.Round(time.Millisecond))
	// --quiet: stack deploy's progress display, rewritten in place on a
	// terminal, would be hundreds of lines in a cron log
	if n := strings.Count(res.all(), "overall progress"); n > 0 {
		t.Errorf("up printed stack deploy's progress %d times:\n%s", n, res.all())
	}
	tasks := manager(t, c, "service", "ls", "--filter", "label=com.docker.stack.namespace="+project, "--format", "{{.Name}} {{.Replicas}}")
	if !strings.Contains(tasks, project+"_web 2/2") || !strings.Contains(tasks, project+"_worker 1/1") {
		t.Errorf("after up, the manager has:\n%s", tasks)
	}
	if out, _ := exec.Command("docker", "compose", "-p", local, "ps", "--format", "{{.Service}} {{.State}}").Output(); !strings.Contains(string(out), "db running") {
		t.Errorf("the local stack does not run: %s", out)
	}
	// after started only once app had converged: its container was
	// created after app's last task started running
	created, _ := exec.Command("docker", "compose", "-p", local+"-after", "ps", "--format", "{{.CreatedAt}}").Output()
	if i, j := strings.Index(res.all(), "==> app"), strings.Index(res.all(), "==> after"); i < 0 || j < i || !strings.Contains(res.all(), "3 succeeded") {
		t.Errorf("up: app (Swarm) not before after, or not all succeeded:\n%s", res.all())
	}
	if strings.TrimSpace(string(created)) == "" {
		t.Errorf("the stack depending on the Swarm stack does not run:\n%s%s", res.stdout, res.stderr)
	}

	// status: desired and running tasks, exit 0
	res = r.kompose("app", "status")
	r.must(res, 0, "status")
	if !strings.Contains(res.stdout, "running 3/3") || !strings.Contains(res.stdout, "(swarm)") {
		t.Errorf("status:\n%s", res.stdout)
	}
	res = r.kompose("--json", "app", "status")
	if res.code == 0 {
		var doc struct {
			Stacks []struct {
				Deploy   string
				State    string
				Services []struct {
					Name             string
					Desired, Running int
				}
			}
		}
		if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil || len(doc.Stacks) != 1 || doc.Stacks[0].Deploy != "swarm" || len(doc.Stacks[0].Services) != 2 {
			t.Errorf("status --json: %v\n%s", err, res.stdout)
		}
	}

	// ps and logs from the Swarm
	res = r.kompose("app", "ps")
	r.must(res, 0, "ps")
	if !strings.Contains(res.stdout, project+"_web.1") || !strings.Contains(res.stdout, project+"_worker.1") {
		t.Errorf("ps:\n%s", res.stdout)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res = r.kompose("app", "logs", "web")
		r.must(res, 0, "logs")
		if strings.Count(res.stdout, "hello-from-task") >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	if strings.Count(res.stdout, "hello-from-task") < 2 {
		t.Errorf("logs web: not both replicas' greeting:\n%s", res.stdout)
	}

	// config: the normalised file, the secret masked
	res = r.kompose("app", "config")
	r.must(res, 0, "config")
	if !strings.Contains(res.stdout, "APP_SECRET: '****'") && !strings.Contains(res.stdout, "APP_SECRET: ****") {
		t.Errorf("config does not show APP_SECRET masked:\n%s", res.stdout)
	}
	if strings.Contains(res.stdout, "container_name") || strings.HasPrefix(res.stdout, "name:") {
		t.Errorf("config is not normalised:\n%s", res.stdout)
	}

	// exec has no Swarm meaning
	res = r.kompose("app", "exec", "web", "true")
	r.must(res, 1, "exec")
	if !strings.Contains(res.all(), "exec has no meaning for a stack deployed on Docker Swarm") {
		t.Errorf("exec:\n%s", res.all())
	}

	// restart: every service's tasks replaced, converged again
	before1 := manager(t, c, "service", "ps", "--quiet", "--filter", "desired-state=running", project+"_web")
	res = r.kompose("app", "restart")
	r.must(res, 0, "restart")
	after1 := manager(t, c, "service", "ps", "--quiet", "--filter", "desired-state=running", project+"_web")
	if strings.TrimSpace(before1) == strings.TrimSpace(after1) {
		t.Errorf("restart left the same tasks running: %s", after1)
	}
	res = r.kompose("app", "status")
	r.must(res, 0, "status after restart")

	// update (same image: nothing rolls) and rollback (to the spec before
	// the restart)
	res = r.kompose("app", "update")
	r.must(res, 0, "update")
	res = r.kompose("app", "rollback")
	r.must(res, 0, "rollback")

	// down: returns when everything of the stack is gone
	res = r.kompose("*", "down")
	r.must(res, 0, "down")
	t.Logf("down of the Swarm stack and the local one: %v", res.took.Round(time.Millisecond))
	filter := "label=com.docker.stack.namespace=" + project
	for _, args := range [][]string{
		{"service", "ls", "--quiet", "--filter", filter},
		{"network", "ls", "--quiet", "--filter", filter},
		{"container", "ls", "--all", "--quiet", "--filter", filter},
	} {
		if out := manager(t, c, args...); strings.TrimSpace(out) != "" {
			t.Errorf("after down, docker %s: %s", strings.Join(args, " "), out)
		}
	}
	res = r.kompose("app", "status")
	if res.code == 0 || !strings.Contains(res.stdout, "not created") {
		t.Errorf("status after down: exit %d\n%s", res.code, res.stdout)
	}

	// no resolved file (it held the secret) is left behind
	if left := tempLeftovers(t, r.secret); len(left) > 0 {
		t.Errorf("resolved files left behind: %v", left)
	}
}
