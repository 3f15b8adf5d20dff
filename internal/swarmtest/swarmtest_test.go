//go:build e2e

package swarmtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/internal/hostclean"
)

// testPrefix names the clusters of this package's own tests, apart from
// those of e2e/swarm.
const testPrefix = "kswt-"

const debianImage = "kompose-test/debian:bookworm"

func TestMain(m *testing.M) {
	if Missing() == "" {
		if removed, err := Sweep(testPrefix); err != nil || len(removed) > 0 {
			fmt.Fprintf(os.Stderr, "swarmtest: removed leftovers of killed runs %v: %v\n", removed, err)
		}
	}
	// The machine's engine (its docker0, its built-in networks) must come
	// out of the run as it went in.
	ctx := context.Background()
	before := hostclean.MachineEngine(ctx)
	code := m.Run()
	if err := hostclean.CheckMachineEngine(ctx, before); err != nil {
		fmt.Fprintf(os.Stderr, "swarmtest: FAIL: %v\n", err)
		code = 1
	}
	os.Exit(code)
}

// needImage skips or fails (KOMPOSE_REQUIRE_ALL=1) without the image.
func needImage(t *testing.T, image string) {
	t.Helper()
	if err := exec.Command("docker", "image", "inspect", image).Run(); err == nil {
		return
	}
	why := image + " is not on the machine's engine (scripts/build-images.sh builds it)"
	if os.Getenv(requireVar) == "1" {
		t.Fatalf("%s; %s=1 makes this test required", why, requireVar)
	}
	t.Skip(why)
}

// hostLinks are the machine's own network interfaces.
func hostLinks(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("ip", "-o", "link", "show").Output()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(l); len(f) > 1 {
			names = append(names, strings.TrimSuffix(strings.SplitN(f[1], "@", 2)[0], ":"))
		}
	}
	sort.Strings(names)
	return names
}

// checkGone fails t if anything of cluster c is left, or if any network
// interface of a cluster shows in the machine's own namespace: a swarm
// dockerd there would leave docker_gwbridge behind; the cluster's own
// links (br0, p<i>) live in its namespaces only. Other users of the
// machine's engine may add and remove interfaces meanwhile, so the
// machine's links are not compared as a whole.
func checkGone(t *testing.T, c *Cluster) {
	t.Helper()
	if err := Leftovers(c.ID); err != nil {
		t.Error(err)
	}
	if p := hostclean.Mentioning(c.Dir + "/"); len(p) > 0 {
		t.Errorf("processes of %s left: %v", c.ID, p)
	}
	checkHostLinks(t, c)
	if ns, _ := filepath.Glob("/run/netns/" + c.ID + "*"); len(ns) > 0 {
		t.Errorf("network namespaces left: %v", ns)
	}
}

// checkHostLinks fails t if an interface of a swarm shows in the
// machine's own network namespace.
func checkHostLinks(t *testing.T, c *Cluster) {
	t.Helper()
	ours := regexp.MustCompile(`^(docker_gwbridge|br0|p[0-9])$`)
	for _, l := range hostLinks(t) {
		if ours.MatchString(l) || strings.Contains(l, c.ID) {
			t.Errorf("a network interface of a swarm in the machine's namespace: %s", l)
		}
	}
}

func TestSingleNode(t *testing.T) {
	Require(t)
	needImage(t, debianImage)
	c := StartT(t, Options{Prefix: testPrefix, Images: []string{debianImage}})
	t.Logf("single-node swarm %s ready in %v", c.ID, c.Setup.Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	m := c.Manager()
	if got, err := m.Docker(ctx, "info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} {{.Name}}"); err != nil || strings.TrimSpace(got) != "active true "+m.Name {
		t.Fatalf("docker info on the manager: %q, %v", got, err)
	}
	// The machine's own engine stays out of swarm mode.
	if out, err := exec.Command("docker", "info", "--format", "{{.Swarm.LocalNodeState}}").Output(); err != nil || strings.TrimSpace(string(out)) != "inactive" {
		t.Errorf("the machine's engine: swarm state %q, %v", out, err)
	}
	if _, err := m.Docker(ctx, "service", "create", "--detach=false", "-q", "--name", "one",
		"--stop-grace-period", "1s", debianImage, "bash", "-c", "trap 'exit 0' TERM; sleep infinity & wait"); err != nil {
		t.Fatalf("%v\n%s", err, m.LogTail())
	}
	if ids, err := m.Docker(ctx, "ps", "-q", "--filter", "label=com.docker.swarm.service.name=one"); err != nil || len(strings.Fields(ids)) != 1 {
		t.Fatalf("containers of the service: %q, %v", ids, err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	checkGone(t, c)
}

func TestThreeNodes(t *testing.T) {
	Require(t)
	needImage(t, debianImage)
	c := StartT(t, Options{Prefix: testPrefix, Workers: 2, Images: []string{debianImage}})
	t.Logf("3-node swarm %s ready in %v", c.ID, c.Setup.Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	m := c.Manager()

	out, err := m.Docker(ctx, "node", "ls", "--format", "{{.Hostname}} {{.Status}} {{.ManagerStatus}}")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{c.Nodes[0].Name + " Ready Leader", c.Nodes[1].Name + " Ready ", c.Nodes[2].Name + " Ready "}
	got := strings.Split(strings.TrimRight(out, "\n"), "\n")
	sort.Strings(got)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("docker node ls:\n%s\nwant %q", out, want)
	}

	// Three replicas, one per node, on an overlay network.
	if _, err := m.Docker(ctx, "network", "create", "-d", "overlay", "net"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Docker(ctx, "service", "create", "--detach=false", "-q", "--name", "web",
		"--replicas", "3", "--replicas-max-per-node", "1", "--network", "net",
		"--endpoint-mode", "dnsrr", "--stop-grace-period", "1s",
		debianImage, "bash", "-c", "trap 'exit 0' TERM; sleep infinity & wait"); err != nil {
		t.Fatalf("%v\n%s", err, m.LogTail())
	}
	tasks, err := m.Docker(ctx, "service", "ps", "web", "--filter", "desired-state=running", "--format", "{{.Node}} {{.CurrentState}}")
	if err != nil {
		t.Fatal(err)
	}
	nodes := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(tasks), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || f[1] != "Running" {
			t.Errorf("task not running: %q", l)
			continue
		}
		nodes[f[0]] = true
	}
	if len(nodes) != 3 {
		t.Fatalf("tasks on %d nodes, want 3:\n%s", len(nodes), tasks)
	}
	// The overlay network and the swarm's docker_gwbridge live in the
	// nodes' namespaces, not the machine's.
	checkHostLinks(t, c)
	for _, n := range c.Nodes {
		if out, err := run(ctx, nil, "ip", "-n", n.Netns(), "link", "show", "docker_gwbridge"); err != nil {
			t.Errorf("no docker_gwbridge in %s: %v %s", n.Netns(), err, out)
		}
	}
	// Each node's own engine runs its task's container.
	for _, n := range c.Nodes {
		ids, err := n.Docker(ctx, "ps", "-q", "--filter", "label=com.docker.swarm.service.name=web")
		if err != nil || len(strings.Fields(ids)) != 1 {
			t.Errorf("%s runs %q (%v), want one container of web", n.Name, ids, err)
		}
	}

	// A killed worker is seen down; restarted, it is ready again.
	w := c.Workers()[0]
	if err := c.Kill(w); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitDown(ctx, w); err != nil {
		t.Fatal(err)
	}
	if err := c.Restart(ctx, w); err != nil {
		t.Fatal(err)
	}

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	checkGone(t, c)
}

// TestSweep: a cluster whose owner has ended is removed by Sweep; one
// whose owner runs is not.
func TestSweep(t *testing.T) {
	Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Prefix: testPrefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	if removed, err := Sweep(testPrefix); err != nil || len(removed) != 0 {
		t.Fatalf("Sweep removed %v (%v) of a running test", removed, err)
	}
	// As if the test process had been killed: another owner, ended.
	if err := os.WriteFile(filepath.Join(c.Dir, ownerFile), []byte("999999 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Names of the prefix that are not the folders of a cluster: a
	// symlink another user could plant in /tmp, a folder of another
	// user's. Sweep leaves both, and what they point to, alone.
	target := t.TempDir()
	keep := filepath.Join(target, "keep")
	if err := os.WriteFile(keep, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join("/tmp", testPrefix+"zzlink")
	other := filepath.Join("/tmp", testPrefix+"zzother")
	t.Cleanup(func() { _ = os.Remove(link); _ = os.RemoveAll(other) })
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(other, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(other, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	// Both look like the folders of killed runs: a dead owner, old.
	old := time.Now().Add(-2 * time.Hour)
	for _, d := range []string{target, other} {
		if err := os.WriteFile(filepath.Join(d, ownerFile), []byte("999999 1\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(d, old, old); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := Sweep(testPrefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != c.ID {
		t.Fatalf("Sweep removed %v, want [%s]", removed, c.ID)
	}
	checkGone(t, c)
	for _, p := range []string{link, other, keep} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("Sweep removed %s: %v", p, err)
		}
	}
}

// TestEngine: a single engine of its own runs a container, in a network
// namespace that is not the machine's; the machine's docker0 is as
// before it started; killed, then stopped, nothing of it is left and no
// interface of it is in the machine's namespace.
func TestEngine(t *testing.T) {
	Require(t)
	needImage(t, debianImage)
	bridge := hostclean.Link(hostclean.DefaultBridge)
	e := StartEngineT(t, EngineOptions{Prefix: testPrefix, Images: []string{debianImage}})
	if got := hostclean.Link(hostclean.DefaultBridge); got != bridge {
		t.Errorf("the machine's %s after the engine started: %q, before %q", hostclean.DefaultBridge, got, bridge)
	}
	mine, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	if theirs, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", e.Pid())); err != nil || theirs == mine {
		t.Errorf("the engine's dockerd is in network namespace %q (%v), the test in %q", theirs, err, mine)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := e.Docker(ctx, "run", "--rm", "--network", "none", debianImage, "echo", "hello"); err != nil || strings.TrimSpace(out) != "hello" {
		t.Fatalf("a container on the engine: %q, %v\n%s", out, err, e.LogTail())
	}
	if out, err := e.Docker(ctx, "run", "-d", "--network", "none", debianImage, "sleep", "infinity"); err != nil {
		t.Fatalf("a lasting container: %q, %v", out, err)
	}
	if err := e.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	checkGone(t, e.c)
	if _, err := StartEngine(ctx, EngineOptions{Prefix: "Not/OK"}); err == nil || !strings.Contains(err.Error(), `prefix "Not/OK"`) {
		t.Errorf("a bad prefix: %v", err)
	}
}

// TestEngineCleanUp: an engine that fails to start (an image the
// machine's engine does not have) leaves nothing, and one whose test
// process was killed is removed by Sweep, its network namespace with it.
func TestEngineCleanUp(t *testing.T) {
	Require(t)
	ours := func() []string {
		dirs, _ := filepath.Glob("/tmp/" + testPrefix + "*")
		return append(dirs, netnsWithPrefix(testPrefix)...)
	}
	before := ours()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := StartEngine(ctx, EngineOptions{Prefix: testPrefix, Images: []string{"kompose-test/no-such-image:i24d"}})
	if err == nil || !strings.Contains(err.Error(), "saving kompose-test/no-such-image:i24d") {
		t.Errorf("starting with a missing image: %v", err)
	}
	if after := ours(); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Errorf("a failed start left: before %v, after %v", before, after)
	}

	e, err := StartEngine(ctx, EngineOptions{Prefix: testPrefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop() })
	if removed, err := Sweep(testPrefix); err != nil || len(removed) != 0 {
		t.Fatalf("Sweep removed %v (%v) of a running test", removed, err)
	}
	if err := os.WriteFile(filepath.Join(e.Folder, ownerFile), []byte("999999 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if removed, err := Sweep(testPrefix); err != nil || strings.Join(removed, " ") != e.ID {
		t.Fatalf("Sweep removed %v (%v), want [%s]", removed, err, e.ID)
	}
	checkGone(t, e.c)
}
