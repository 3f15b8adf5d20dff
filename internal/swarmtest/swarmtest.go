// Package swarmtest starts real Docker Swarm clusters for kompose's tests:
// one Docker Engine (dockerd) per node, each in a network namespace of its
// own with its own host name, the nodes joined by veth pairs to a bridge
// in one more namespace (the cluster's switch), so that nothing of the
// cluster touches the machine's own network namespace or its Docker
// Engine (which is never put in swarm mode). The first node is the
// manager (`docker swarm init`), the others join it as workers; images of
// the machine's engine are loaded into every node. [StartEngine] starts
// one such engine alone, not in a swarm, for tests that need a second
// engine: never in the machine's namespace, where a dockerd started with
// --bridge=none deletes the machine engine's docker0.
//
// Everything a cluster makes is named after its ID, <prefix><6 hex>: the
// folder /tmp/<ID> (sockets, data and exec roots, logs; short, because a
// unix socket's path may not be longer than about 100 bytes), the
// namespaces <ID>-sw and <ID>-n<i>, and the containerd namespaces of its
// engines. [Cluster.Stop] removes all of it, also after a failed start;
// [Sweep] removes what a killed test run left behind.
//
// It needs root, dockerd, ip (iproute2), nsenter and unshare (util-linux):
// [Missing] says what is missing, [Require] skips or fails a test for it.
// Used only by tests.
package swarmtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/internal/hostclean"
)

// DefaultPrefix starts the ID of a cluster when [Options.Prefix] is empty.
const DefaultPrefix = "ksw-"

// requireVar makes a missing dependency a failure instead of a skip.
const requireVar = "KOMPOSE_REQUIRE_ALL"

// ownerFile, in a cluster's folder, names the process that started the
// cluster: "<pid> <start time>". [Sweep] leaves a cluster alone while
// that process lives.
const ownerFile = "owner"

// Options shape a cluster.
type Options struct {
	// Prefix starts the cluster's ID and so the name of everything it
	// makes; DefaultPrefix when empty. At most 8 bytes of [a-z0-9-].
	Prefix string
	// Workers is the number of worker nodes beside the manager (0: a
	// single-node swarm).
	Workers int
	// Images are loaded from the machine's engine into every node.
	Images []string
	// Heartbeat is the swarm's dispatcher heartbeat period: a node that
	// stops answering is marked down after a few of them. 2s when zero
	// (Docker's default is 5s).
	Heartbeat time.Duration
	// Registry starts a registry (Debian's docker-registry) in the
	// manager's namespace on <manager's address>:5000, which every node
	// trusts over plain HTTP: [Cluster.Registry], [Cluster.Push].
	Registry bool
}

// registryProgram is the registry Options.Registry starts.
const registryProgram = "docker-registry"

// Cluster is a running swarm. Its methods may be called from several
// goroutines.
type Cluster struct {
	// ID names the cluster: <prefix><6 hex digits>.
	ID string
	// Dir is the cluster's folder, /tmp/<ID>.
	Dir string
	// Nodes are the nodes, the manager first.
	Nodes []*Node
	// Setup is how long Start took.
	Setup time.Duration
	// Registry is the address of the cluster's registry as the nodes
	// reach it (<manager's address>:5000), "" without Options.Registry.
	Registry string

	switchNS string
	stopOnce sync.Once
	stopErr  error
}

// Node is one dockerd of the cluster.
type Node struct {
	// Name is the node's host name, and so its name in the swarm.
	Name string
	// Addr is its IPv4 address on the cluster's network.
	Addr string
	// Host is its DOCKER_HOST: unix://<dir>/d.sock.
	Host string
	// Manager is true for the swarm's manager.
	Manager bool

	index int
	dir   string
	netns string
	args  []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has ended
}

// Env is the node's DOCKER_HOST as an environment entry.
func (n *Node) Env() string { return "DOCKER_HOST=" + n.Host }

// Dir is the node's folder (data and exec roots, socket, dockerd.log).
func (n *Node) Dir() string { return n.dir }

// Netns is the name of the node's network namespace (/run/netns/<name>).
func (n *Node) Netns() string { return n.netns }

// Pid is the process id of the node's dockerd, 0 when it is not running.
func (n *Node) Pid() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil || !n.running() {
		return 0
	}
	return n.cmd.Process.Pid
}

// running reports whether dockerd runs; n.mu held.
func (n *Node) running() bool {
	if n.done == nil {
		return false
	}
	select {
	case <-n.done:
		return false
	default:
		return true
	}
}

// Docker runs the docker CLI against the node and returns its standard
// output; the error carries its standard error.
func (n *Node) Docker(ctx context.Context, args ...string) (string, error) {
	return run(ctx, nil, "docker", append([]string{"-H", n.Host}, args...)...)
}

// LogTail is the end of the node's dockerd log, for failure messages.
func (n *Node) LogTail() string {
	b, _ := os.ReadFile(filepath.Join(n.dir, "dockerd.log"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}

// Manager is the swarm's manager node.
func (c *Cluster) Manager() *Node { return c.Nodes[0] }

// Workers are the worker nodes.
func (c *Cluster) Workers() []*Node { return c.Nodes[1:] }

// Missing says why no cluster can start here ("" when one can): not root,
// or a program missing.
func Missing() string {
	for _, p := range []struct{ prog, pkg string }{
		{"dockerd", "docker.io"}, {"docker", "docker.io"},
		{"ip", "iproute2"}, {"nsenter", "util-linux"}, {"unshare", "util-linux"},
	} {
		if _, err := exec.LookPath(p.prog); err != nil {
			return fmt.Sprintf("%s is not installed (Debian package %s; scripts/install-deps.sh installs it)", p.prog, p.pkg)
		}
	}
	if os.Geteuid() != 0 {
		return "test engines need root (network namespaces, dockerd)"
	}
	return ""
}

// Require skips t when [Missing] reports something, or fails it when
// KOMPOSE_REQUIRE_ALL=1.
func Require(t testing.TB) {
	t.Helper()
	why := Missing()
	if why == "" {
		return
	}
	if os.Getenv(requireVar) == "1" {
		t.Fatalf("%s; %s=1 makes this test required", why, requireVar)
	}
	t.Skip(why)
}

// StartT starts a cluster for test t ([Require] first) and stops it when
// the test ends; t fails when the cluster does not start.
func StartT(t testing.TB, opts Options) *Cluster {
	t.Helper()
	Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	return c
}

// Start starts a cluster of 1+opts.Workers nodes and returns when every
// node is Ready in the swarm and holds the images. When it fails, it has
// removed everything it made.
func Start(ctx context.Context, opts Options) (c *Cluster, err error) {
	begin := time.Now()
	if why := Missing(); why != "" {
		return nil, errors.New(why)
	}
	prefix := opts.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if !validPrefix(prefix) {
		return nil, fmt.Errorf("swarmtest: prefix %q: at most 8 bytes of a-z, 0-9 and -", prefix)
	}
	if opts.Workers < 0 || opts.Workers > 8 {
		return nil, fmt.Errorf("swarmtest: %d workers: 0 to 8", opts.Workers)
	}
	if opts.Registry {
		if _, err := exec.LookPath(registryProgram); err != nil {
			return nil, fmt.Errorf("swarmtest: %s is not installed (Debian package docker-registry; scripts/install-deps.sh installs it)", registryProgram)
		}
	}
	c, err = newCluster(prefix, opts.Workers, opts.Registry)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			if serr := c.Stop(); serr != nil {
				err = fmt.Errorf("%w (and cleaning up: %v)", err, serr)
			}
			c = nil
		}
	}()
	if err := c.makeNetwork(ctx); err != nil {
		return c, err
	}
	if err := c.each(func(n *Node) error { return n.start(ctx) }); err != nil {
		return c, err
	}
	if opts.Registry {
		if err := c.startRegistry(ctx); err != nil {
			return c, err
		}
	}
	if err := c.Load(ctx, opts.Images...); err != nil {
		return c, err
	}
	if err := c.formSwarm(ctx, opts.Heartbeat); err != nil {
		return c, err
	}
	c.Setup = time.Since(begin)
	return c, nil
}

func validPrefix(p string) bool {
	if len(p) > 8 {
		return false
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// newCluster makes the cluster's folder with its owner file and the
// nodes' folders, and names everything.
func newCluster(prefix string, workers int, registry bool) (*Cluster, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	id := prefix + hex.EncodeToString(b[:3])
	dir := filepath.Join("/tmp", id)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("swarmtest: %w", err)
	}
	c := &Cluster{ID: id, Dir: dir, switchNS: id + "-sw"}
	start, _ := hostclean.StartTime(os.Getpid())
	owner := fmt.Sprintf("%d %d\n", os.Getpid(), start)
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner), 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("swarmtest: %w", err)
	}
	// A /24 of 198.18.0.0/15 (the range set aside for network tests),
	// chosen at random per cluster.
	subnet := fmt.Sprintf("198.%d.%d", 18+int(b[2]&1), b[3])
	if registry {
		c.Registry = subnet + ".10:5000" // the manager's address
	}
	for i := 0; i <= workers; i++ {
		n := &Node{
			index:   i,
			Name:    fmt.Sprintf("%s-n%d", id, i),
			Addr:    fmt.Sprintf("%s.%d", subnet, 10+i),
			Manager: i == 0,
			dir:     filepath.Join(dir, "n"+strconv.Itoa(i)),
			netns:   fmt.Sprintf("%s-n%d", id, i),
		}
		n.Host = "unix://" + filepath.Join(n.dir, "d.sock")
		if err := n.prepare(id, c.Registry); err != nil {
			c.Nodes = append(c.Nodes, n)
			return c, errors.Join(err, c.Stop())
		}
		c.Nodes = append(c.Nodes, n)
	}
	return c, nil
}

// prepare makes the node's folders and its dockerd's arguments.
func (n *Node) prepare(id, registry string) error {
	for _, sub := range []string{"data", "exec"} {
		if err := os.MkdirAll(filepath.Join(n.dir, sub), 0o700); err != nil {
			return fmt.Errorf("swarmtest: %w", err)
		}
	}
	// A configuration of its own: the machine's daemon.json may set a
	// data-root, a storage driver or address pools.
	config := "{}\n"
	if registry != "" {
		config = fmt.Sprintf("{\"insecure-registries\": [%q]}\n", registry)
	}
	if err := os.WriteFile(filepath.Join(n.dir, "daemon.json"), []byte(config), 0o600); err != nil {
		return fmt.Errorf("swarmtest: %w", err)
	}
	n.args = []string{
		"--config-file", filepath.Join(n.dir, "daemon.json"),
		"--host", n.Host,
		"--data-root", filepath.Join(n.dir, "data"),
		"--exec-root", filepath.Join(n.dir, "exec"),
		"--pidfile", filepath.Join(n.dir, "dockerd.pid"),
		"--bridge=none", "--iptables=false", "--ip-masq=false",
		"--containerd-namespace", fmt.Sprintf("%s-n%d", id, n.index),
		"--containerd-plugins-namespace", fmt.Sprintf("%s-n%dp", id, n.index),
	}
	return nil
}

// makeNetwork makes the switch namespace with its bridge, and each node's
// namespace with a veth pair to the bridge and the node's address.
func (c *Cluster) makeNetwork(ctx context.Context) error {
	prefixLen := "/24"
	cmds := [][]string{
		{"netns", "add", c.switchNS},
		{"-n", c.switchNS, "link", "add", "br0", "type", "bridge"},
		{"-n", c.switchNS, "link", "set", "br0", "up"},
	}
	for _, n := range c.Nodes {
		port := "p" + strconv.Itoa(n.index)
		cmds = append(cmds,
			[]string{"netns", "add", n.netns},
			[]string{"-n", c.switchNS, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", n.netns},
			[]string{"-n", c.switchNS, "link", "set", port, "master", "br0", "up"},
			[]string{"-n", n.netns, "addr", "add", n.Addr + prefixLen, "dev", "eth0"},
			[]string{"-n", n.netns, "link", "set", "eth0", "up"},
			[]string{"-n", n.netns, "link", "set", "lo", "up"},
		)
	}
	for _, args := range cmds {
		if _, err := run(ctx, nil, "ip", args...); err != nil {
			return fmt.Errorf("swarmtest: network of %s: %w", c.ID, err)
		}
	}
	return nil
}

// each runs f for every node at once and joins their errors.
func (c *Cluster) each(f func(*Node) error) error {
	errs := make([]error, len(c.Nodes))
	var wg sync.WaitGroup
	for i, n := range c.Nodes {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = f(n) }()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// start starts the node's dockerd in its namespace with its host name,
// and waits until it answers.
func (n *Node) start(ctx context.Context) error {
	log, err := os.OpenFile(filepath.Join(n.dir, "dockerd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("swarmtest: %w", err)
	}
	defer log.Close()
	// nsenter (no --fork) and unshare exec what follows, so the process
	// started is dockerd itself. `ip netns exec` would remount /sys,
	// which dockerd does not survive.
	args := append([]string{
		"--net=/run/netns/" + n.netns, "--",
		"unshare", "--uts", "--",
		"sh", "-c", `hostname "$0" && exec "$@"`, n.Name,
		"dockerd"}, n.args...)
	cmd := exec.Command("nsenter", args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Dir = n.dir
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("swarmtest: starting dockerd of %s: %w", n.Name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	n.mu.Lock()
	n.cmd, n.done = cmd, done
	n.mu.Unlock()
	for {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := n.Docker(qctx, "version", "--format", "{{.Server.Version}}")
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("swarmtest: dockerd of %s ended at start:\n%s", n.Name, n.LogTail())
		case <-ctx.Done():
			return fmt.Errorf("swarmtest: dockerd of %s does not answer: %w\n%s", n.Name, ctx.Err(), n.LogTail())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// startRegistry starts the registry in the manager's namespace, its
// storage and log in the cluster's folder, and waits until it answers.
// It ends with the cluster (Stop kills what names the folder).
func (c *Cluster) startRegistry(ctx context.Context) error {
	dir := filepath.Join(c.Dir, "registry")
	if err := os.MkdirAll(filepath.Join(dir, "storage"), 0o700); err != nil {
		return fmt.Errorf("swarmtest: %w", err)
	}
	config := filepath.Join(dir, "config.yml")
	content := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n", filepath.Join(dir, "storage"), c.Registry)
	if err := os.WriteFile(config, []byte(content), 0o600); err != nil {
		return fmt.Errorf("swarmtest: %w", err)
	}
	log, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		return fmt.Errorf("swarmtest: %w", err)
	}
	defer log.Close()
	cmd := exec.Command("nsenter", "--net=/run/netns/"+c.Manager().netns, "--", registryProgram, "serve", config)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("swarmtest: starting the registry: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	for {
		// Asked from the manager's namespace, as the nodes ask.
		if _, err := run(ctx, nil, "nsenter", "--net=/run/netns/"+c.Manager().netns, "--",
			"bash", "-c", `exec 3<>"/dev/tcp/${1%:*}/${1#*:}"`, "bash", c.Registry); err == nil {
			return nil
		}
		select {
		case <-done:
			b, _ := os.ReadFile(filepath.Join(dir, "log"))
			return fmt.Errorf("swarmtest: the registry ended at start:\n%s", b)
		case <-ctx.Done():
			return fmt.Errorf("swarmtest: the registry does not answer on %s: %w", c.Registry, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Push tags image (on the manager's engine, which must have it: see
// [Cluster.Load]) as <Registry>/<name> and pushes it to the cluster's
// registry; it returns that reference. The nodes pull it from there.
func (c *Cluster) Push(ctx context.Context, image, name string) (string, error) {
	if c.Registry == "" {
		return "", errors.New("swarmtest: Push: the cluster has no registry (Options.Registry)")
	}
	ref := c.Registry + "/" + name
	m := c.Manager()
	if _, err := m.Docker(ctx, "tag", image, ref); err != nil {
		return "", fmt.Errorf("swarmtest: %w", err)
	}
	if _, err := m.Docker(ctx, "push", "-q", ref); err != nil {
		return "", fmt.Errorf("swarmtest: pushing %s: %w", ref, err)
	}
	return ref, nil
}

// Load copies images of the machine's engine into every node: one
// `docker save` into the cluster's folder, then `docker load` on each
// node at once.
func (c *Cluster) Load(ctx context.Context, images ...string) error {
	if len(images) == 0 {
		return nil
	}
	f, err := os.CreateTemp(c.Dir, "images-*.tar")
	if err != nil {
		return fmt.Errorf("swarmtest: %w", err)
	}
	tar := f.Name()
	_ = f.Close()
	defer os.Remove(tar)
	if _, err := run(ctx, nil, "docker", append([]string{"save", "-o", tar}, images...)...); err != nil {
		return fmt.Errorf("swarmtest: saving %s: %w", strings.Join(images, " "), err)
	}
	return c.each(func(n *Node) error {
		if _, err := n.Docker(ctx, "load", "-q", "-i", tar); err != nil {
			return fmt.Errorf("swarmtest: loading %s into %s: %w", strings.Join(images, " "), n.Name, err)
		}
		return nil
	})
}

// formSwarm initialises the swarm on the manager and joins the workers.
func (c *Cluster) formSwarm(ctx context.Context, heartbeat time.Duration) error {
	if heartbeat <= 0 {
		heartbeat = 2 * time.Second
	}
	m := c.Manager()
	if _, err := m.Docker(ctx, "swarm", "init", "--advertise-addr", m.Addr,
		"--dispatcher-heartbeat", heartbeat.String()); err != nil {
		return fmt.Errorf("swarmtest: swarm init on %s: %w\n%s", m.Name, err, m.LogTail())
	}
	token, err := m.Docker(ctx, "swarm", "join-token", "-q", "worker")
	if err != nil {
		return fmt.Errorf("swarmtest: %w", err)
	}
	token = strings.TrimSpace(token)
	err = c.each(func(n *Node) error {
		if n.Manager {
			return nil
		}
		// The token is a secret of this throwaway swarm only.
		if _, err := n.Docker(ctx, "swarm", "join", "--token", token,
			"--advertise-addr", n.Addr, m.Addr+":2377"); err != nil {
			return fmt.Errorf("swarmtest: %s joining the swarm: %w\n%s", n.Name, err, n.LogTail())
		}
		return nil
	})
	if err != nil {
		return err
	}
	return c.WaitReady(ctx)
}

// NodeStates maps each node's host name to its status in the swarm as
// the manager sees it (ready, down, unknown).
func (c *Cluster) NodeStates(ctx context.Context) (map[string]string, error) {
	out, err := c.Manager().Docker(ctx, "node", "ls", "--format", "{{.Hostname}} {{.Status}}")
	if err != nil {
		return nil, err
	}
	states := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if name, st, ok := strings.Cut(strings.TrimSpace(l), " "); ok {
			states[name] = strings.ToLower(st)
		}
	}
	return states, nil
}

// WaitReady waits until the manager sees every node Ready.
func (c *Cluster) WaitReady(ctx context.Context) error {
	return c.waitState(ctx, "ready", c.Nodes...)
}

// WaitDown waits until the manager sees the nodes down.
func (c *Cluster) WaitDown(ctx context.Context, nodes ...*Node) error {
	return c.waitState(ctx, "down", nodes...)
}

func (c *Cluster) waitState(ctx context.Context, state string, nodes ...*Node) error {
	var last map[string]string
	for {
		states, err := c.NodeStates(ctx)
		if err == nil {
			last = states
			all := true
			for _, n := range nodes {
				all = all && states[n.Name] == state
			}
			if all {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("swarmtest: waiting for %s nodes: %w (last seen: %v)", state, ctx.Err(), last)
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// Kill kills the node outright (SIGKILL): its dockerd, containerd, shims
// and containers, as a power cut would. Its data stay for [Cluster.Restart].
func (c *Cluster) Kill(n *Node) error {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if cmd != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	hostclean.KillMentioning(n.dir + "/")
	if done != nil {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			return fmt.Errorf("swarmtest: dockerd of %s does not end after SIGKILL", n.Name)
		}
	}
	// Its containers' mounts and network namespaces stay behind a kill.
	hostclean.UnmountUnder(n.dir)
	if left := hostclean.Mentioning(n.dir + "/"); len(left) > 0 {
		return fmt.Errorf("swarmtest: processes of %s still running after SIGKILL: %v", n.Name, left)
	}
	return nil
}

// Restart starts a killed node again on the same data: it rejoins the
// swarm by itself. Restart returns when its engine answers and the
// manager sees it Ready.
func (c *Cluster) Restart(ctx context.Context, n *Node) error {
	if n.Pid() != 0 {
		if err := c.Kill(n); err != nil {
			return err
		}
	}
	_ = os.Remove(filepath.Join(n.dir, "dockerd.pid"))
	if err := n.start(ctx); err != nil {
		return err
	}
	return c.waitState(ctx, "ready", n)
}

// Stop removes everything the cluster made: it kills every node (dockerd,
// containerd, shims, containers), unmounts what they mounted, deletes
// the namespaces (and with them the bridge and veth pairs) and the
// folder, then checks that none of it is left. It is safe to call more
// than once and from several goroutines; later calls return the first
// one's error.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() { c.stopErr = c.remove() })
	return c.stopErr
}

func (c *Cluster) remove() error {
	for _, n := range c.Nodes {
		n.mu.Lock()
		if n.cmd != nil && n.running() {
			_ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
		}
		n.mu.Unlock()
	}
	return removeRun(c.Dir)
}

// removeRun removes what the cluster in dir made, and reports what it
// could not remove.
func removeRun(dir string) error {
	id := filepath.Base(dir)
	hostclean.KillMentioning(dir + "/")
	hostclean.UnmountUnder(dir)
	var errs []error
	for _, ns := range netnsWithPrefix(id + "-") {
		if _, err := run(context.Background(), nil, "ip", "netns", "del", ns); err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		errs = append(errs, fmt.Errorf("swarmtest: %w", err))
	}
	errs = append(errs, Leftovers(id))
	return errors.Join(errs...)
}

// Leftovers reports what is left of the cluster with this ID: processes
// naming its folder, mounts below it, the folder, its namespaces. nil
// when nothing is.
func Leftovers(id string) error {
	dir := filepath.Join("/tmp", id)
	var left []string
	if p := hostclean.Mentioning(dir + "/"); len(p) > 0 {
		left = append(left, fmt.Sprintf("processes %v", p))
	}
	if m := hostclean.MountsUnder(dir); len(m) > 0 {
		left = append(left, fmt.Sprintf("mounts %v", m))
	}
	if _, err := os.Lstat(dir); err == nil {
		left = append(left, "folder "+dir)
	}
	if ns := netnsWithPrefix(id + "-"); len(ns) > 0 {
		left = append(left, fmt.Sprintf("network namespaces %v", ns))
	}
	if len(left) == 0 {
		return nil
	}
	return fmt.Errorf("swarmtest: left of cluster %s: %s", id, strings.Join(left, "; "))
}

// netnsWithPrefix lists the named network namespaces (/run/netns) whose
// name starts with prefix.
func netnsWithPrefix(prefix string) []string {
	ents, _ := os.ReadDir("/run/netns")
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// Sweep removes the clusters of earlier runs that were killed before
// they could stop them: every cluster whose ID starts with prefix
// (DefaultPrefix when empty) and whose owner process has ended, and
// namespaces of that prefix whose folder is gone. The clusters of runs
// still going are left alone. It reports what it removed.
func Sweep(prefix string) ([]string, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	dirs, _ := filepath.Glob(filepath.Join("/tmp", prefix+"*"))
	var removed []string
	var errs []error
	for _, d := range dirs {
		if !ours(d) || ownerAlive(d) {
			continue
		}
		removed = append(removed, filepath.Base(d))
		errs = append(errs, removeRun(d))
	}
	for _, ns := range netnsWithPrefix(prefix) {
		id, _, _ := strings.Cut(strings.TrimPrefix(ns, prefix), "-")
		if _, err := os.Lstat(filepath.Join("/tmp", prefix+id)); err == nil {
			continue // a cluster still running
		}
		removed = append(removed, ns)
		if _, err := run(context.Background(), nil, "ip", "netns", "del", ns); err != nil {
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}

// ours reports whether path can be a cluster's folder: a directory (not
// a symlink) of root's, closed to others, as newCluster makes them. /tmp
// is open to every user: a name of the prefix made by someone else is
// never swept.
func ours(path string) bool {
	fi, err := os.Lstat(path)
	if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o077 != 0 {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Uid == 0
}

// ownerAlive reports whether the process that made the cluster folder dir
// still runs. A folder without an owner file is taken as being made right
// now for a minute.
func ownerAlive(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if err != nil {
		fi, serr := os.Stat(dir)
		return serr == nil && time.Since(fi.ModTime()) < time.Minute
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return false
	}
	pid, err1 := strconv.Atoi(f[0])
	start, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return false
	}
	now, ok := hostclean.StartTime(pid)
	return ok && now == start
}

// run runs a program and returns its standard output; the error carries
// its standard error.
func run(ctx context.Context, env []string, prog string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = "/"
	if env != nil {
		cmd.Env = env
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w: %s", prog, redact(args), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// redact hides the value after --token in an error message.
func redact(args []string) string {
	out := make([]string, len(args))
	copy(out, args)
	for i := 1; i < len(out); i++ {
		if out[i-1] == "--token" {
			out[i] = "<token>"
		}
	}
	return strings.Join(out, " ")
}
