//go:build e2e

package e2e

import (
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
