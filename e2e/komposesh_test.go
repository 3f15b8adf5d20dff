//go:build e2e

package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

// TestKomposeShHooksAgainstContainers: a hooks.sh written for kompose.sh
// (strict mode at the top, a false test as its last line, a helper in a
// sourced file) runs unchanged around real containers, and a pre hook
// passes the image to compose through $KOMPOSE_ENV: compose interpolates
// it, and the post hook sees the container running.
func TestKomposeShHooksAgainstContainers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("web/compose.yaml", `name: {{project}}
services:
  app:
    image: ${APP_IMAGE:?the pre hook sets APP_IMAGE}
    pull_policy: never
    network_mode: none
    stop_grace_period: 1s
    command: ["bash", "-c", "trap 'exit 0' TERM; sleep infinity & wait"]
`)
	e.write("web/lib/common.sh", `running() { docker compose ps --status running --services; }
`)
	e.write("web/hooks.sh", `#!/usr/bin/env bash
set -euo pipefail
source "${SCRIPT_DIR}/${stack}/lib/common.sh"

hook_pre_up() {
    ./backup.sh                       # not there: errexit is suspended, as under kompose.sh
    echo "APP_IMAGE={{image}}" >>"$KOMPOSE_ENV"
    return 0
}

hook_post_up() {
    running >post_up.services
}
[[ -n "${DEBUG:-}" ]] && set -x
`)
	r := e.kompose("web", "up", "-d")
	e.mustExit(r, 0)
	if !strings.Contains(r.stderr, "env APP_IMAGE={{image}}") && !strings.Contains(r.stderr, "env APP_IMAGE="+debianImage) {
		t.Errorf("the run does not show the variable passed on:\n%s", r)
	}
	if got := strings.TrimSpace(e.read("web/post_up.services")); got != "app" {
		t.Errorf("post-up saw running services %q, want app\n%s", got, r)
	}
	if c := e.container("web", "app"); c.State != "running" {
		t.Errorf("app is %s, want running", c.State)
	}
	// Without the hook nothing sets APP_IMAGE: compose refuses the file.
	r = e.kompose("--skip-hooks", "web", "up", "-d")
	e.mustExit(r, 1)
	if !strings.Contains(r.stderr, "the pre hook sets APP_IMAGE") {
		t.Errorf("without the hook compose should miss APP_IMAGE:\n%s", r)
	}
}

// TestUnreadableHooksGuardDownV: a hooks.sh whose pre-down hook guards the
// volumes, but that bash cannot read (CRLF line endings), or reads
// otherwise than kompose's parser (an alias renames the guard), never lets
// `down -v` run: the first is refused before anything starts, the second
// fails its hook. The containers and the volume stay.
func TestUnreadableHooksGuardDownV(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("web/compose.yaml", "name: {{project}}\nservices:\n"+idleService("app", "hello", "    volumes: [data:/data]\n")+"volumes:\n  data: {}\n")
	e.mustExit(e.kompose("web", "up", "-d"), 0)
	volume := e.project("web") + "_data"
	stays := func(r result) {
		t.Helper()
		if c := e.container("web", "app"); c.State != "running" {
			t.Errorf("app is %s after a refused down -v, want running\n%s", c.State, r)
		}
		if out, err := exec.Command("docker", "volume", "inspect", volume).CombinedOutput(); err != nil {
			t.Errorf("volume %s is gone after a refused down -v: %v %s\n%s", volume, err, out, r)
		}
	}
	guard := "hook_pre_down() {\n  echo guard refuses\n  return 1\n}\n"

	e.write("web/hooks.sh", strings.ReplaceAll("helper() { :; }\n"+guard, "\n", "\r\n"))
	r := e.kompose("web", "down", "-v")
	e.mustExit(r, 1)
	if !strings.Contains(r.stderr, "hooks.sh:1: hooks.sh has Windows (CRLF) line endings") {
		t.Errorf("no CRLF refusal with file and line:\n%s", r)
	}
	stays(r)

	e.write("web/hooks.sh", "shopt -s expand_aliases\nalias hook_pre_down=guard\n"+guard)
	r = e.kompose("web", "down", "-v")
	e.mustExit(r, 1)
	if !strings.Contains(r.stderr, "hook_pre_down (hooks.sh:3) is defined unconditionally but bash did not define it") {
		t.Errorf("the hook bash did not define did not fail:\n%s", r)
	}
	stays(r)

	// The guard itself, read as written, refuses too; without hooks.sh
	// down -v goes through.
	e.write("web/hooks.sh", guard)
	r = e.kompose("web", "down", "-v")
	e.mustExit(r, 1)
	if !strings.Contains(r.stdout, "guard refuses") {
		t.Errorf("the guard did not run:\n%s", r)
	}
	stays(r)
	e.mustExit(e.kompose("--skip-hooks", "web", "down", "-v"), 0)
}
