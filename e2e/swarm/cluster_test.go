//go:build e2e

package swarm

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/internal/swarmtest"
)

// stackLabel is the label docker stack deploy puts on a stack's
// services, networks, tasks and containers.
const stackLabel = "com.docker.stack.namespace"

// versionLabel tells the test's second image (v2) from the first.
const versionLabel = "org.kompose.test.version"

// clusterCompose is the stack of the cluster test: three replicas of an
// idle service that is healthy at its first health check, a second after
// it starts. An update rolls one task at a time; a rollback replaces all
// three at once (parallelism 0), to save time: each replacement on a node
// also removes and recreates the stack's overlay network there (several
// seconds on a loaded machine). stop-first, so that the new task takes
// the old one's node and the spread stays one per node. No published
// port, dnsrr: the kernel here has no IPVS for the routing mesh's virtual
// IPs.
const clusterCompose = `x-kompose:
  deploy: swarm
services:
  app:
    image: ${APP_IMAGE}
    command: ["bash", "-c", "touch /tmp/ready; trap 'exit 0' TERM; sleep infinity & wait"]
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD", "test", "-e", "/tmp/ready"]
      interval: 1s
      timeout: 2s
      retries: 30
    deploy:
      replicas: 3
      endpoint_mode: dnsrr
      update_config: {parallelism: 1, delay: 0s, monitor: 1s, order: stop-first}
      rollback_config: {parallelism: 0, delay: 0s, monitor: 1s, order: stop-first}
`

// clusterHooks records, after up and down, how many of the stack's tasks
// the manager runs, as the hook sees it with its own DOCKER_HOST.
const clusterHooks = `hook_post_up() {
  echo "post_up $(docker service ps "${COMPOSE_PROJECT_NAME}_app" --filter desired-state=running --format '{{.CurrentState}}' | grep -c '^Running')" >> "$HOOK_LOG"
}
hook_post_down() {
  echo "post_down $(docker service ls --filter label=com.docker.stack.namespace="${COMPOSE_PROJECT_NAME}" -q | wc -l)" >> "$HOOK_LOG"
}
`

// TestClusterStack drives one stack on the three-node cluster with the
// kompose binary, each step checked with the docker CLI on the manager
// and on each node: a dry run changes nothing; up spreads three replicas
// over the three nodes; up with a new image tag rolls them to it;
// rollback brings the old one back; update with no newer image replaces
// no task, and rolls them to the new digest once the tag moves (images
// from the cluster's registry); a killed worker makes status say degraded, then running 3/3
// once the manager has rescheduled its task; down returns when the stack
// is gone.
func TestClusterStack(t *testing.T) {
	t.Parallel() // beside the tests of the single-node swarm
	c := sharedCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	m := c.Manager()
	const stack = "web" // the folder's name: the project's, the Swarm stack's

	// The images come from the cluster's registry (on the manager), so
	// that a tag has a digest: v1 (debianImage) as app:stable, v2 (with
	// versionLabel=v2) as app:v2; update later moves app:stable to v2.
	begin := time.Now()
	v2local := buildV2(t, ctx, "kompose-test/swarm-app:"+c.ID+"-v2")
	if err := c.Load(ctx, v2local); err != nil {
		t.Fatal(err)
	}
	v1, err := c.Push(ctx, debianImage, "app:stable")
	if err != nil {
		t.Fatal(err)
	}
	v2, err := c.Push(ctx, v2local, "app:v2")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("v2 built, loaded and both pushed in %v", time.Since(begin).Round(time.Millisecond))

	r := newRoot(t)
	hookLog := filepath.Join(r.dir, "hooks.log")
	r.write(stack+"/compose.yaml", clusterCompose)
	r.write(stack+"/hooks.sh", clusterHooks)
	setEnv := func(image string) {
		r.write(stack+"/.env", fmt.Sprintf("DOCKER_HOST=%s\nAPP_IMAGE=%s\nHOOK_LOG=%s\n", m.Host, image, hookLog))
	}
	setEnv(v1)
	t.Cleanup(func() { removeStack(t, c, stack) })

	if !t.Run("dry run", func(t *testing.T) {
		r := r.on(t)
		res := r.kompose(stack, "up", "--dry-run")
		if res.code != 0 {
			t.Fatalf("exit %d\n%s", res.code, res.all())
		}
		if !strings.Contains(res.all(), "stack deploy") {
			t.Errorf("the plan does not say docker stack deploy:\n%s", res.all())
		}
		if ids := dockerLines(t, ctx, m, "service", "ls", "-q"); len(ids) > 0 {
			t.Errorf("the dry run created services %v", ids)
		}
	}) {
		return
	}

	if !t.Run("up spreads three replicas", func(t *testing.T) {
		r := r.on(t)
		res := r.kompose(stack, "up")
		if res.code != 0 {
			t.Fatalf("exit %d\n%s", res.code, res.all())
		}
		// up returns once the services have converged: no waiting here.
		checkTasks(t, ctx, c, stack, v1, 3)
		checkVersionOnNodes(t, ctx, c, stack, "")
		if got := readFile(t, hookLog); got != "post_up 3\n" {
			t.Errorf("hook log %q, want post_up seeing 3 running tasks", got)
		}
	}) {
		return
	}
	t.Run("status running", func(t *testing.T) {
		r := r.on(t)
		row := status(r, stack)
		if row.State != "running" || row.Running != 3 || row.Containers != 3 || !row.OK {
			t.Errorf("status: %+v, want running 3/3", row)
		}
	})

	if !t.Run("up with a new image tag rolls the tasks", func(t *testing.T) {
		r := r.on(t)
		setEnv(v2)
		res := r.kompose(stack, "up")
		if res.code != 0 {
			t.Fatalf("exit %d\n%s", res.code, res.all())
		}
		checkTasks(t, ctx, c, stack, v2, 3)
		checkVersionOnNodes(t, ctx, c, stack, "v2")
	}) {
		return
	}

	t.Run("rollback", func(t *testing.T) {
		r := r.on(t)
		res := r.kompose(stack, "rollback")
		if res.code != 0 {
			t.Fatalf("exit %d\n%s", res.code, res.all())
		}
		checkTasks(t, ctx, c, stack, v1, 3)
		checkVersionOnNodes(t, ctx, c, stack, "")
		st, err := m.Docker(ctx, "service", "inspect", stack+"_app", "--format", "{{.UpdateStatus.State}}")
		if err != nil || strings.TrimSpace(st) != "rollback_completed" {
			t.Errorf("update state %q (%v), want rollback_completed", st, err)
		}
	})
	setEnv(v1) // what runs now

	t.Run("update without a new image replaces no task", func(t *testing.T) {
		r := r.on(t)
		before := dockerLines(t, ctx, m, "service", "ps", "-q", "--filter", "desired-state=running", stack+"_app")
		res := r.kompose(stack, "update")
		if res.code != 0 {
			t.Fatalf("exit %d\n%s", res.code, res.all())
		}
		after := dockerLines(t, ctx, m, "service", "ps", "-q", "--filter", "desired-state=running", stack+"_app")
		if strings.Join(before, " ") != strings.Join(after, " ") {
			t.Errorf("update replaced tasks of an unchanged image: before %v, after %v", before, after)
		}
		checkTasks(t, ctx, c, stack, v1, 3)
	})

	t.Run("update rolls to the tag's new digest", func(t *testing.T) {
		r := r.on(t)
		// app:stable now names v2's content.
		if _, err := c.Push(ctx, v2local, "app:stable"); err != nil {
			t.Fatal(err)
		}
		digest, err := m.Docker(ctx, "image", "inspect", "--format", "{{index .RepoDigests 0}}", v2)
		if err != nil {
			t.Fatal(err)
		}
		res := r.kompose(stack, "update")
		if res.code != 0 {
			t.Fatalf("exit %d\n%s", res.code, res.all())
		}
		checkTasks(t, ctx, c, stack, v1, 3) // the same tag
		checkVersionOnNodes(t, ctx, c, stack, "v2")
		spec, err := m.Docker(ctx, "service", "inspect", stack+"_app", "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}")
		_, wantDigest, _ := strings.Cut(strings.TrimSpace(digest), "@")
		if err != nil || !strings.HasSuffix(strings.TrimSpace(spec), "@"+wantDigest) {
			t.Errorf("the service's image %q (%v), want %s@%s", spec, err, v1, wantDigest)
		}
	})

	t.Run("a killed worker: degraded, then converged", func(t *testing.T) {
		r := r.on(t)
		w := c.Workers()[1]
		begin := time.Now()
		if err := c.Kill(w); err != nil {
			t.Fatal(err)
		}
		// Restarted at the end, however the test ends, so that down
		// runs on a whole cluster.
		defer func() {
			if err := c.Restart(ctx, w); err != nil {
				t.Errorf("restarting %s: %v", w.Name, err)
			}
		}()
		row := waitStatus(r, stack, 90*time.Second, func(r statusRow) bool { return r.State == "degraded" })
		t.Logf("degraded %v after the kill: %+v", time.Since(begin).Round(time.Millisecond), row)
		if row.Running != 2 || row.Containers != 3 || row.OK {
			t.Errorf("degraded row: %+v, want 2 of 3 running, not ok", row)
		}
		if res := r.kompose(stack, "status"); res.code != 1 || !strings.Contains(res.stdout, "degraded 2/3") {
			t.Errorf("status of a degraded stack: exit %d, want 1 and degraded 2/3\n%s", res.code, res.all())
		}
		row = waitStatus(r, stack, 120*time.Second, func(r statusRow) bool { return r.State == "running" && r.OK })
		t.Logf("converged again %v after the kill: %+v", time.Since(begin).Round(time.Millisecond), row)
		if row.Running != 3 || row.Containers != 3 {
			t.Errorf("converged row: %+v, want running 3/3", row)
		}
		// The manager's view: three tasks on the two nodes left.
		for _, tk := range runningTasks(t, ctx, m, stack+"_app") {
			if tk.node == w.Name {
				t.Errorf("a task runs on the killed node: %+v", tk)
			}
		}
		if res := r.kompose(stack, "status"); res.code != 0 {
			t.Errorf("status of the converged stack: exit %d\n%s", res.code, res.all())
		}
	})

	t.Run("down waits until the stack is gone", func(t *testing.T) {
		r := r.on(t)
		res := r.kompose(stack, "down")
		if res.code != 0 {
			t.Fatalf("exit %d\n%s", res.code, res.all())
		}
		// Right after down: nothing of the stack on the manager, and no
		// task's container left on any node, not even a stopped one.
		filter := "label=" + stackLabel + "=" + stack
		if ids := dockerLines(t, ctx, m, "service", "ls", "-q", "--filter", filter); len(ids) > 0 {
			t.Errorf("services left after down: %v", ids)
		}
		if ids := dockerLines(t, ctx, m, "network", "ls", "-q", "--filter", filter); len(ids) > 0 {
			t.Errorf("networks left after down: %v", ids)
		}
		for _, n := range c.Nodes {
			if ids := dockerLines(t, ctx, n, "ps", "-a", "-q", "--filter", filter); len(ids) > 0 {
				t.Errorf("containers left on %s after down: %v", n.Name, ids)
			}
		}
		if got := readFile(t, hookLog); !strings.HasSuffix(got, "post_down 0\n") {
			t.Errorf("hook log %q, want post_down seeing no service", got)
		}
		row := status(r, stack)
		if row.State != "not created" {
			t.Errorf("status after down: %+v, want not created", row)
		}
	})
}

// on is r for the subtest t.
func (r *root) on(t *testing.T) *root {
	c := *r
	c.t = t
	return &c
}

// buildV2 builds, on the machine's engine, an image from debianImage
// with versionLabel=v2 and a /version file, and removes it when the test
// ends.
func buildV2(t *testing.T, ctx context.Context, tag string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"version":    "v2\n",
		"Dockerfile": fmt.Sprintf("FROM %s\nLABEL %s=v2\nCOPY version /version\n", debianImage, versionLabel),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if out, err := exec.Command("docker", "rmi", tag).CombinedOutput(); err != nil {
			t.Errorf("removing %s: %v\n%s", tag, err, out)
		}
	})
	cmd := exec.CommandContext(ctx, "docker", "build", "-q", "-t", tag, dir)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker build %s: %v\n%s", tag, err, out)
	}
	return tag
}

// task is a task of a service, as the manager lists it.
type task struct{ node, state, image string }

// runningTasks are the tasks of service that should run.
func runningTasks(t *testing.T, ctx context.Context, m *swarmtest.Node, service string) []task {
	t.Helper()
	var out []task
	for _, l := range dockerLines(t, ctx, m, "service", "ps", service, "--filter", "desired-state=running", "--format", "{{.Node}}\t{{.CurrentState}}\t{{.Image}}") {
		f := strings.Split(l, "\t")
		if len(f) != 3 {
			t.Fatalf("docker service ps: %q", l)
		}
		out = append(out, task{node: f[0], state: strings.Fields(f[1] + " ?")[0], image: f[2]})
	}
	return out
}

// checkTasks checks that the manager runs want tasks of the stack's app
// service, all Running the image, one on each node.
func checkTasks(t *testing.T, ctx context.Context, c *swarmtest.Cluster, stack, image string, want int) {
	t.Helper()
	tasks := runningTasks(t, ctx, c.Manager(), stack+"_app")
	nodes := map[string]int{}
	for _, tk := range tasks {
		if tk.state != "Running" || strings.Split(tk.image, "@")[0] != image {
			t.Errorf("task %+v, want Running %s", tk, image)
		}
		nodes[tk.node]++
	}
	if len(tasks) != want || len(nodes) != len(c.Nodes) {
		t.Errorf("%d tasks on nodes %v, want %d, one on each of the %d nodes", len(tasks), nodes, want, len(c.Nodes))
	}
}

// checkVersionOnNodes checks, with each node's own engine, that it runs
// exactly one container of the stack, with versionLabel = version ("":
// the first image, which has no such label).
func checkVersionOnNodes(t *testing.T, ctx context.Context, c *swarmtest.Cluster, stack, version string) {
	t.Helper()
	for _, n := range c.Nodes {
		got := dockerLines(t, ctx, n, "ps", "--filter", "label="+stackLabel+"="+stack, "--format", `v={{.Label "`+versionLabel+`"}}`)
		if len(got) != 1 || got[0] != "v="+version {
			t.Errorf("%s runs %q, want one container of version %q", n.Name, got, version)
		}
	}
}

// statusRow is a row of `status --json`.
type statusRow struct {
	Name       string  `json:"name"`
	State      string  `json:"state"`
	Running    int     `json:"running"`
	Containers int     `json:"containers"`
	OK         bool    `json:"ok"`
	Error      *string `json:"error"`
}

// status is the stack's row of `kompose <stack> status --json`.
func status(r *root, stack string) statusRow {
	t := r.t
	t.Helper()
	row, err := statusOnce(r, stack)
	if err != nil {
		t.Fatal(err)
	}
	return row
}

func statusOnce(r *root, stack string) (statusRow, error) {
	res := r.kompose(stack, "status", "--json")
	var doc struct {
		Kind   string      `json:"kind"`
		Stacks []statusRow `json:"stacks"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil || doc.Kind != "status" || len(doc.Stacks) != 1 {
		return statusRow{}, fmt.Errorf("status --json: %v\n%s", err, res.all())
	}
	return doc.Stacks[0], nil
}

// waitStatus polls status until ok says so, and fails t after timeout
// with the rows seen.
func waitStatus(r *root, stack string, timeout time.Duration, ok func(statusRow) bool) statusRow {
	t := r.t
	t.Helper()
	deadline := time.Now().Add(timeout)
	var seen []string
	for {
		row, err := statusOnce(r, stack)
		if err != nil {
			t.Fatal(err)
		}
		if ok(row) {
			return row
		}
		if s := fmt.Sprintf("%s %d/%d", row.State, row.Running, row.Containers); len(seen) == 0 || seen[len(seen)-1] != s {
			seen = append(seen, s)
		}
		if time.Now().After(deadline) {
			t.Fatalf("status after %v: %v", timeout, seen)
		}
		time.Sleep(time.Second)
	}
}

// removeStack removes what is left of the stack on the cluster, however
// the test ended, so that the next test of the shared cluster starts
// clean.
func removeStack(t *testing.T, c *swarmtest.Cluster, stack string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m := c.Manager()
	if m.Pid() == 0 {
		return
	}
	if out, err := m.Docker(ctx, "stack", "ls", "--format", "{{.Name}}"); err != nil || !strings.Contains("\n"+out, "\n"+stack+"\n") {
		return
	}
	if _, err := m.Docker(ctx, "stack", "rm", stack); err != nil {
		t.Errorf("clean-up: %v", err)
		return
	}
	for ctx.Err() == nil {
		out, _ := m.Docker(ctx, "network", "ls", "-q", "--filter", "label="+stackLabel+"="+stack)
		if strings.TrimSpace(out) == "" {
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Errorf("clean-up: the stack %s is still there after docker stack rm", stack)
}

// dockerLines runs docker on node n and returns its non-empty output
// lines, sorted; t fails on an error.
func dockerLines(t *testing.T, ctx context.Context, n *swarmtest.Node, args ...string) []string {
	t.Helper()
	out, err := n.Docker(ctx, args...)
	if err != nil {
		t.Fatalf("on %s: %v", n.Name, err)
	}
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	sort.Strings(lines)
	return lines
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}
