//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// registryProgram is Debian's docker-registry (distribution 2.x);
// scripts/install-deps.sh installs it.
const registryProgram = "docker-registry"

// registry is a Docker registry the test started on 127.0.0.1 (which the
// Docker Engine lets anyone use without TLS), with its storage in a
// folder of the test.
type registry struct {
	t    *testing.T
	addr string // 127.0.0.1:<port>
	cmd  *exec.Cmd
	done chan struct{}
	log  string // its log file (with the access log when asked for)
}

// registryOpts are the options of startRegistryWith.
type registryOpts struct {
	// accessLog writes a line per request to the log.
	accessLog bool
	// htpasswd, when set, is the path of an htpasswd file (bcrypt): the
	// registry asks for basic auth.
	htpasswd string
}

// needRegistry returns the docker-registry program, skipping the test
// when it is missing (a failure with KOMPOSE_REQUIRE_ALL=1).
func needRegistry(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath(registryProgram)
	if err != nil {
		if os.Getenv(requireVar) == "1" {
			t.Fatalf("%s is not installed (scripts/install-deps.sh installs it); %s=1 makes it required", registryProgram, requireVar)
		}
		t.Skipf("%s is not installed (scripts/install-deps.sh installs it)", registryProgram)
	}
	return p
}

// startRegistry starts a registry keeping its images in storage (several
// registries may share one) on a free port, and stops it when the test
// ends, however it ends.
func startRegistry(t *testing.T, prog, storage string) *registry {
	t.Helper()
	return startRegistryWith(t, prog, storage, registryOpts{})
}

// startRegistryWith is startRegistry with options.
func startRegistryWith(t *testing.T, prog, storage string, o registryOpts) *registry {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yml")
	content := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: %v\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n", !o.accessLog, storage, addr)
	if o.htpasswd != "" {
		content += fmt.Sprintf("auth:\n  htpasswd:\n    realm: kompose-test\n    path: %s\n", o.htpasswd)
	}
	if err := os.WriteFile(cfg, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(prog, "serve", cfg)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", prog, err)
	}
	r := &registry{t: t, addr: addr, cmd: cmd, done: make(chan struct{}), log: filepath.Join(dir, "log")}
	go func() { _ = cmd.Wait(); _ = log.Close(); close(r.done) }()
	t.Cleanup(r.stop)
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || o.htpasswd != "" && resp.StatusCode == http.StatusUnauthorized {
				return r
			}
		}
		select {
		case <-r.done:
			b, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Fatalf("%s exited at start: %s", prog, b)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer on %s within 15s: %v", prog, addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// requests counts the lines of the access log (startRegistryWith's
// accessLog) holding every one of parts, e.g. "HEAD /v2/" and
// "/manifests/".
func (r *registry) requests(parts ...string) int {
	r.t.Helper()
	b, err := os.ReadFile(r.log)
	if err != nil {
		r.t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		all := line != ""
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}

// pid is the registry's process ID.
func (r *registry) pid() int { return r.cmd.Process.Pid }

// stop stops the registry and waits for it to end.
func (r *registry) stop() {
	select {
	case <-r.done:
		return
	default:
	}
	_ = r.cmd.Process.Kill()
	<-r.done
}

// images builds, tags and pushes test images and removes every one of
// them, and every tag a test names, when the test ends.
type images struct {
	t     *testing.T
	ctx   context.Context
	built []string // image IDs
	// prefixes are repository prefixes whose tags are removed at the end.
	prefixes []string
}

func newImages(t *testing.T, e *env) *images {
	im := &images{t: t, ctx: context.Background()}
	t.Cleanup(func() {
		// The containers go first, so that no image is still in use.
		if err := removeProjects(im.ctx, e.prefix); err != nil {
			t.Errorf("clean-up: %v", err)
		}
		im.removeAll()
	})
	return im
}

// build builds an image from the test image with the file /version
// holding version, tags it ref, and returns its ID.
func (im *images) build(ref, version string) string {
	im.t.Helper()
	return im.buildFrom(ref, version, "")
}

// buildFrom is build with more Dockerfile lines.
func (im *images) buildFrom(ref, version, more string) string {
	im.t.Helper()
	dir := im.t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM "+debianImage+"\nCOPY version /version\n"+more), 0o644); err != nil {
		im.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "version"), []byte(version+"\n"), 0o644); err != nil {
		im.t.Fatal(err)
	}
	out, err := runOut(im.ctx, "docker", "build", "-q", "-t", ref, dir)
	if err != nil {
		im.t.Fatal(err)
	}
	id := strings.TrimSpace(out)
	im.built = append(im.built, id)
	return id
}

func (im *images) docker(args ...string) string {
	im.t.Helper()
	out, err := dockerOut(im.ctx, args...)
	if err != nil {
		im.t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// push pushes ref (the first push into a fresh storage carries the test
// image's layers: some seconds).
func (im *images) push(ref string) {
	im.t.Helper()
	ctx, cancel := context.WithTimeout(im.ctx, 3*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "docker", "push", "-q", ref).CombinedOutput(); err != nil {
		im.t.Fatalf("docker push %s: %v: %s", ref, err, out)
	}
}

// id returns the ID of the local image ref, "" when there is none.
func (im *images) id(ref string) string {
	out, err := dockerOut(im.ctx, "image", "inspect", "--format", "{{.Id}}", ref)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

// tags returns the local tags starting with prefix.
func (im *images) tags(prefix string) []string {
	out, err := dockerOut(im.ctx, "image", "ls", "--format", "{{.Repository}}:{{.Tag}}")
	if err != nil {
		im.t.Errorf("listing images: %v", err)
		return nil
	}
	var tags []string
	for _, l := range strings.Fields(out) {
		if strings.HasPrefix(l, prefix) {
			tags = append(tags, l)
		}
	}
	return tags
}

// removeAll removes every tag under the prefixes and every image built,
// then checks that none is left.
func (im *images) removeAll() {
	var refs []string
	for _, p := range im.prefixes {
		refs = append(refs, im.tags(p)...)
	}
	for _, r := range refs {
		_, _ = dockerOut(im.ctx, "image", "rm", "-f", r)
	}
	for _, id := range im.built {
		_, _ = dockerOut(im.ctx, "image", "rm", "-f", id)
	}
	for _, p := range im.prefixes {
		if left := im.tags(p); len(left) > 0 {
			im.t.Errorf("clean-up: images left: %v", left)
		}
	}
	for _, id := range im.built {
		if im.id(id) != "" {
			im.t.Errorf("clean-up: image %s left", id)
		}
	}
}
