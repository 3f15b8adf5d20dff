//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/internal/hostclean"
	"github.com/kompose-dev/kompose/internal/swarmtest"
)

// The test set-up of stacks on other engines: a second Docker Engine on
// this machine and an SSH server on a loopback port, both started by the
// test that needs them and stopped, with everything they made, when it
// ends, whether it passes, fails or panics.

// enginePrefix starts the ID of a second engine (internal/swarmtest):
// its folder /tmp/<ID> and its network namespace <ID>-n0.
const enginePrefix = "ke2n-"

// legacyEngineDirPrefix started the folder of a second engine that ran in
// the machine's network namespace (before swarmtest.StartEngine); the
// stale sweep still removes those of killed runs.
const legacyEngineDirPrefix = "/tmp/ke2-"

// sshDirPrefix starts the temporary folder of a test's sshd.
const sshDirPrefix = "kompose-e2e-ssh-"

// needProgram fails the test (KOMPOSE_REQUIRE_ALL=1) or skips it when a
// program the test starts is not installed or the test is not root.
func needProgram(t *testing.T, prog, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(prog)
	if err == nil && os.Geteuid() == 0 {
		return p
	}
	why := fmt.Sprintf("%s is not installed (Debian package %s; scripts/install-deps.sh installs it)", prog, pkg)
	if err == nil {
		why = prog + " needs root"
	}
	if os.Getenv(requireVar) == "1" {
		t.Fatalf("%s; %s=1 makes this test required", why, requireVar)
	}
	t.Skip(why)
	return ""
}

// secondEngine is a Docker Engine of its own (swarmtest.Engine): a dockerd
// in a network namespace of its own, never the machine's (a dockerd
// started there with --bridge=none deletes the machine engine's docker0),
// with its socket, data and state in one short folder, no bridge network
// (network_mode: none only) and its own containerd.
type secondEngine struct {
	t *testing.T
	*swarmtest.Engine
	dir  string // the engine's folder, /tmp/<ID>
	once sync.Once
}

// startSecondEngine starts a second dockerd and loads images into it from
// the system engine.
func startSecondEngine(t *testing.T, images ...string) *secondEngine {
	t.Helper()
	swarmtest.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	e, err := swarmtest.StartEngine(ctx, swarmtest.EngineOptions{Prefix: enginePrefix, Images: images})
	if err != nil {
		t.Fatalf("starting a second engine: %v", err)
	}
	g := &secondEngine{t: t, Engine: e, dir: e.Folder}
	t.Cleanup(g.remove)
	the.started.add(g.dir, g.remove)
	return g
}

// docker runs the docker CLI against the second engine.
func (g *secondEngine) docker(ctx context.Context, args ...string) (string, error) {
	return runOut(ctx, "docker", append([]string{"-H", g.Host}, args...)...)
}

// projects are the compose projects with containers on the second engine.
func (g *secondEngine) projects(ctx context.Context) []string {
	g.t.Helper()
	out, err := g.docker(ctx, "ps", "-a", "--format", `{{.Label "`+projectLabel+`"}}`)
	if err != nil {
		g.t.Fatal(err)
	}
	return uniqueLines(out)
}

// remove stops the engine (a frozen one too) and removes everything it
// made: its dockerd, containerd, shims and containers, their mounts, its
// network namespace and its folder; it fails the test if any of it is
// left.
func (g *secondEngine) remove() {
	g.once.Do(func() {
		if err := g.Stop(); err != nil {
			g.t.Errorf("clean-up of the second engine: %v", err)
		}
		the.started.done(g.dir)
	})
}

// removeEngineDir ends what is left of a legacy second engine (its
// containerd, shims and containers: their command lines name the folder)
// and removes its mounts and folder.
func removeEngineDir(dir string) {
	hostclean.KillMentioning(dir)
	hostclean.UnmountUnder(dir)
	_ = os.RemoveAll(dir)
}

// startedSet is what the tests started outside docker (second engines,
// sshd), for the suite's tear-down after a signal or near its -timeout,
// when the tests' clean-ups do not run.
type startedSet struct {
	mu    sync.Mutex
	stops map[string]func()
}

func (s *startedSet) add(key string, stop func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stops == nil {
		s.stops = map[string]func(){}
	}
	s.stops[key] = stop
}

func (s *startedSet) done(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.stops, key)
}

// stopAll stops everything still running.
func (s *startedSet) stopAll() {
	s.mu.Lock()
	stops := make([]func(), 0, len(s.stops))
	for _, f := range s.stops {
		stops = append(stops, f)
	}
	s.mu.Unlock()
	for _, f := range stops {
		f()
	}
}

// sweepStaleEngines removes the second engines of earlier runs killed
// outright (those whose test process has ended: swarmtest.Sweep, which
// deletes their network namespaces too), and SSH servers and legacy
// engines older than staleAfter.
func sweepStaleEngines(now time.Time) {
	if swarmtest.Missing() == "" {
		if removed, err := swarmtest.Sweep(enginePrefix); err != nil || len(removed) > 0 {
			fmt.Fprintf(os.Stderr, "e2e: removed second engines of killed runs %v: %v\n", removed, err)
		}
	}
	for _, pattern := range []string{legacyEngineDirPrefix + "*", filepath.Join(os.TempDir(), sshDirPrefix+"*")} {
		dirs, _ := filepath.Glob(pattern)
		for _, d := range dirs {
			fi, err := os.Stat(d)
			if err != nil || now.Sub(fi.ModTime()) < staleAfter {
				continue
			}
			fmt.Fprintf(os.Stderr, "e2e: removing stale %s\n", d)
			removeEngineDir(d)
		}
	}
}

// sshServer is an sshd on a loopback port that lets root in with a key
// the test made, and the client set-up docker's ssh:// needs: an ssh
// program first on PATH that uses this server's key and known host.
type sshServer struct {
	t    *testing.T
	dir  string
	Host string // DOCKER_HOST: ssh://root@127.0.0.1:<port>
	// Path is a PATH whose first folder has the ssh wrapper.
	Path string
	cmd  *exec.Cmd
	done chan struct{}
	once sync.Once
}

// startSSH starts sshd. Through it, `docker system dial-stdio` reaches the
// system engine, as on any host docker is installed on.
func startSSH(t *testing.T) *sshServer {
	t.Helper()
	sshd := needProgram(t, "sshd", "openssh-server")
	needProgram(t, "ssh", "openssh-client")
	dir, err := os.MkdirTemp("", sshDirPrefix)
	if err != nil {
		t.Fatal(err)
	}
	s := &sshServer{t: t, dir: dir}
	t.Cleanup(s.stop)
	the.started.add(dir, s.stop)
	keygen := func(name string) string {
		path := filepath.Join(dir, name)
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kompose-e2e", "-f", path).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
		pub, err := os.ReadFile(path + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(pub))
	}
	hostPub, clientPub := keygen("host_key"), keygen("client_key")
	port := freePort(t)
	write := func(name, content string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("authorized_keys", clientPub+"\n", 0o600)
	write("known_hosts", fmt.Sprintf("[127.0.0.1]:%d %s\n", port, hostPub), 0o600)
	write("sshd_config", fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s/host_key
PidFile %s/sshd.pid
AuthorizedKeysFile %s/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel ERROR
`, port, dir, dir, dir), 0o600)
	write("ssh_config", fmt.Sprintf(`Host 127.0.0.1
  IdentityFile %s/client_key
  IdentitiesOnly yes
  UserKnownHostsFile %s/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
`, dir, dir), 0o600)
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	sshPath, _ := exec.LookPath("ssh")
	write("bin/ssh", fmt.Sprintf("#!/bin/sh\nexec %s -F %s/ssh_config \"$@\"\n", sshPath, dir), 0o755)
	s.Path = filepath.Join(dir, "bin") + string(os.PathListSeparator) + os.Getenv("PATH")
	s.Host = fmt.Sprintf("ssh://root@127.0.0.1:%d", port)

	// sshd needs its privilege separation folder (made by the package's
	// service, which may never have run here).
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	s.start(sshd)
	return s
}

func (s *sshServer) start(sshd string) {
	s.t.Helper()
	cmd := exec.Command(sshd, "-D", "-e", "-f", filepath.Join(s.dir, "sshd_config"))
	log, err := os.Create(filepath.Join(s.dir, "sshd.log"))
	if err != nil {
		s.t.Fatal(err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("starting sshd: %v", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(s.done)
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		c := exec.CommandContext(ctx, filepath.Join(s.dir, "bin", "ssh"), "127.0.0.1", "-p", s.port(), "-l", "root", "true")
		c.Env = append(os.Environ(), "PATH="+s.Path)
		out, err := c.CombinedOutput()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(s.dir, "sshd.log"))
			s.t.Fatalf("ssh to the test's sshd: %v\n%s\nsshd:\n%s", err, out, b)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (s *sshServer) port() string { return s.Host[strings.LastIndexByte(s.Host, ':')+1:] }

// Pid is the process id of sshd.
func (s *sshServer) Pid() int { return s.cmd.Process.Pid }

// stop ends sshd and every session it still has, and removes its folder.
func (s *sshServer) stop() { s.once.Do(s.stopOnce) }

func (s *sshServer) stopOnce() {
	if s.cmd != nil {
		// Sessions run in processes sshd forked (each in a session of
		// its own), docker's dial-stdio below them.
		for _, p := range hostclean.Descendants(s.cmd.Process.Pid) {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		select {
		case <-s.done:
		default:
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-s.done:
			case <-time.After(5 * time.Second):
				_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
				<-s.done
			}
		}
	}
	hostclean.KillMentioning(s.dir)
	if err := os.RemoveAll(s.dir); err != nil {
		s.t.Errorf("clean-up of sshd: %v", err)
	}
	the.started.done(s.dir)
}

// freePort returns a loopback TCP port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// uniqueLines are the distinct non-empty lines of s, sorted.
func uniqueLines(s string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

// contains reports whether list holds s.
func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
