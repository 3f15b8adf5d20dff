//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// executable writes an executable hook file under the root.
func (e *env) executable(rel, content string) {
	e.t.Helper()
	if err := os.Chmod(e.write(rel, content), 0o755); err != nil {
		e.t.Fatal(err)
	}
}

// TestExecutableHooks: hooks in any language around real containers.
// A python3 post-up hook in the stack's hooks/ reads the JSON on its
// standard input and sees its project's container running; the order
// across root hooks/, stack hooks/ and hooks.sh holds; a stack whose up
// fails runs its fail hook with KOMPOSE_EXIT_CODE and no post hook, and
// the other stack is not affected.
func TestExecutableHooks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	order := filepath.Join(e.root, "order.log")

	// Root hooks/: for every stack.
	e.executable("hooks/pre-up", `#!/usr/bin/env bash
echo "root pre-up $KOMPOSE_STACK $*" >>`+order+`
`)
	e.executable("hooks/post-up", `#!/usr/bin/env bash
echo "root post-up $KOMPOSE_STACK" >>`+order+`
`)

	// Stack a: runs, with hooks from all three sources.
	e.simpleStack("a")
	e.write("a/hooks.sh", `hook_pre_up() { echo "hooks.sh pre $stack" >>`+order+`; }
hook_post_up() { echo "hooks.sh post $stack" >>`+order+`; }
`)
	e.executable("a/hooks/post-up", `#!/usr/bin/env python3
import json, os, subprocess, sys
facts = json.load(sys.stdin)
running = subprocess.run(
    ["docker", "ps", "--filter", "label=com.docker.compose.project=" + os.environ["COMPOSE_PROJECT_NAME"],
     "--filter", "status=running", "--format", "{{.Label \"com.docker.compose.service\"}}"],
    check=True, capture_output=True, text=True).stdout.split()
with open("post_up.json", "w") as f:
    json.dump({"facts": facts, "running": running,
               "env": {k: v for k, v in os.environ.items() if k.startswith("KOMPOSE_")}}, f)
with open(`+strconv.Quote(order)+`, "a") as f:
    f.write("stack post-up a\n")
`)

	// Stack b: its image does not exist, so up fails; fail hooks run.
	e.write("b/compose.yaml", `name: {{project}}
services:
  app:
    image: kompose-e2e/no-such-image:never
    pull_policy: never
    network_mode: none
`)
	e.executable("b/hooks/fail-up", `#!/usr/bin/env bash
{ echo "code=$KOMPOSE_EXIT_CODE hook=$KOMPOSE_HOOK"; cat; } > fail_up.seen
`)
	e.executable("b/hooks/post-up", `#!/usr/bin/env bash
touch post_up.ran
`)

	r := e.kompose("a,b", "up", "-d")
	e.mustExit(r, 1)

	wantOrder := []string{
		"root pre-up a up -d", "hooks.sh pre a",
		"hooks.sh post a", "stack post-up a", "root post-up a",
		"root pre-up b up -d",
	}
	if got := strings.Split(strings.TrimSpace(e.read("order.log")), "\n"); !slices.Equal(got, wantOrder) {
		t.Errorf("hook order:\n got %q\nwant %q\n%s", got, wantOrder, r)
	}

	var seen struct {
		Facts   map[string]any    `json:"facts"`
		Running []string          `json:"running"`
		Env     map[string]string `json:"env"`
	}
	if err := json.Unmarshal([]byte(e.read("a/post_up.json")), &seen); err != nil {
		t.Fatalf("the python hook's record: %v\n%s", err, r)
	}
	if !slices.Equal(seen.Running, []string{"app"}) {
		t.Errorf("post-up saw running services %v, want [app]", seen.Running)
	}
	for k, want := range map[string]any{"stack": "a", "command": "up", "hook": "post-up", "root": e.root} {
		if seen.Facts[k] != want {
			t.Errorf("JSON %s = %v, want %v", k, seen.Facts[k], want)
		}
	}
	if args, _ := seen.Facts["args"].([]any); len(args) != 1 || args[0] != "-d" {
		t.Errorf("JSON args = %v, want [-d]", seen.Facts["args"])
	}
	if rt, ok := seen.Facts["runtime"].(float64); !ok || rt < 0 || rt != float64(int64(rt)) {
		t.Errorf("JSON runtime = %v, want whole seconds", seen.Facts["runtime"])
	}
	for _, k := range []string{"KOMPOSE_STACK", "KOMPOSE_COMMAND", "KOMPOSE_HOOK", "KOMPOSE_RUNTIME", "KOMPOSE_RECORDED_AT", "KOMPOSE_PERFORMER", "KOMPOSE_VERSION", "KOMPOSE_ROOT"} {
		if seen.Env[k] == "" {
			t.Errorf("the post-up hook did not get %s (got %v)", k, seen.Env)
		}
	}

	fail := e.read("b/fail_up.seen")
	if !strings.HasPrefix(fail, "code=1 hook=fail-up\n") || !strings.Contains(fail, `"exit_code":1`) {
		t.Errorf("b's fail hook saw:\n%s", fail)
	}
	if fileExists(e.root, "b/post_up.ran") {
		t.Errorf("b's post-up hook ran after a failed up")
	}
	if got := e.services("a", "running"); !slices.Equal(got, []string{"app"}) {
		t.Errorf("a's services after the run: %v", got)
	}
}
