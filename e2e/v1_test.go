//go:build e2e

package e2e

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/kompose-dev/kompose/pkg/compose"
)

// TestComposeV1Fallback: without the Compose v2 plugin where kompose looks
// for it, kompose runs the v1 docker-compose program from PATH, and it
// works end to end: environment, hooks, ps, down. Skipped only when v1 is
// not installed (also in required mode: v1 is optional, see
// docs/testing.md).
func TestComposeV1Fallback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if the.v1 == "" {
		t.Skip("docker-compose (v1) is not installed: nothing to fall back to (Debian: apt-get install docker-compose)")
	}
	version, err := runOut(e.ctx, the.v1, "version", "--short")
	if err != nil {
		t.Fatal(err)
	}
	version = strings.TrimSpace(version)

	// A DOCKER_CONFIG without cli-plugins hides the plugin in ~/.docker.
	environ := append(hermetic(os.Environ()), "DOCKER_CONFIG="+t.TempDir())
	lookup := func(name string) (string, bool) {
		for i := len(environ) - 1; i >= 0; i-- {
			if k, v, ok := strings.Cut(environ[i], "="); ok && k == name {
				return v, true
			}
		}
		return "", false
	}
	if argv, _ := compose.Detect(lookup); !slices.Equal(argv, []string{"docker-compose"}) {
		// The plugin is installed system-wide: DOCKER_CONFIG cannot hide
		// it, so choose v1 the documented way.
		t.Logf("the compose plugin is in a system folder (detected %v): choosing v1 with %s=docker-compose", argv, compose.OverrideVar)
		environ = append(environ, compose.OverrideVar+"=docker-compose")
	}

	// v1 knows no top-level name: the project name comes from the stack's
	// .env, which compose reads and kompose passes on.
	e.write("old/docker-compose.yml", `services:
  app:
    image: {{image}}
    pull_policy: never
    network_mode: none
    stop_grace_period: 1s
    environment:
      GREETING: ${GREETING}
    volumes: [data:/data]
    command: ["bash", "-c", "echo hello from v1; trap 'exit 0' TERM; sleep infinity & wait"]
volumes:
  data:
`)
	e.write("old/.env", "COMPOSE_PROJECT_NAME={{project}}\nGREETING=from-stack\n")
	e.write("old/hooks.sh", seenHooks)

	r := e.komposeWith(opts{baseEnv: environ}, "-e", "GREETING=from-cli", "old", "up", "-d")
	e.mustExit(r, 0)
	if !strings.Contains(r.stderr, "--> docker-compose up -d") {
		t.Errorf("kompose did not run docker-compose:\n%s", r)
	}
	c := e.container("old", "app")
	if c.State != "running" {
		t.Fatalf("app is %s, want running", c.State)
	}
	labels, err := dockerOut(e.ctx, "inspect", "--format", `{{index .Config.Labels "com.docker.compose.version"}}`, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(labels); got != version {
		t.Errorf("the container was made by compose %s, want docker-compose %s", got, version)
	}
	env, err := containerEnv(e.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if env["GREETING"] != "from-cli" {
		t.Errorf("GREETING=%q in the container, want from-cli (-e above the stack .env)", env["GREETING"])
	}
	if got, want := e.read("old/post_up.seen"), "args: up -d\napp\n"; got != want {
		t.Errorf("hook_post_up saw %q, want %q", got, want)
	}

	r = e.komposeWith(opts{baseEnv: environ}, "old", "ps")
	e.mustExit(r, 0)
	if !strings.Contains(r.stdout, c.Name) {
		t.Errorf("ps does not list %s:\n%s", c.Name, r)
	}
	r = e.komposeWith(opts{baseEnv: environ}, "old", "down", "-v")
	e.mustExit(r, 0)
	if got, want := e.read("old/pre_down.seen"), "args: down -v\napp\n"; got != want {
		t.Errorf("hook_pre_down saw %q, want %q", got, want)
	}
	left, err := listResources(e.ctx, e.prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("docker-compose down -v left %v", left)
	}
}
