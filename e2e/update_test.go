//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// registryService is a service running image from a registry: no
// pull_policy, so that update pulls it.
func registryService(image string) string {
	return fmt.Sprintf(`services:
  app:
    image: %s
    network_mode: none
    stop_grace_period: 1s
    command: ["bash", "-c", "cat /version; trap 'exit 0' TERM; sleep infinity & wait"]
`, image)
}

// runningImage returns the ID of the image stack's app container runs and
// the container's ID.
func (e *env) runningImage(stack string) (image, id string) {
	e.t.Helper()
	c := e.container(stack, "app")
	out, err := dockerOut(e.ctx, "container", "inspect", "--format", "{{.Image}}", c.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return strings.TrimSpace(out), c.ID
}

func short(id string) string { return strings.TrimPrefix(id, "sha256:")[:12] }

type historyFile struct {
	Version int
	Project string
	Entries []struct {
		Kind     string
		Time     time.Time
		Services []struct{ Service, Image, From, To, Keep string }
		Archives []struct{ Volume, File string }
	}
}

func (e *env) history(stack string) historyFile {
	e.t.Helper()
	var h historyFile
	b := e.read(stack + "/.kompose-updates.json")
	if b == "" {
		e.t.Fatalf("%s has no update history", stack)
	}
	if err := json.Unmarshal([]byte(b), &h); err != nil {
		e.t.Fatalf("%s/.kompose-updates.json: %v\n%s", stack, err, b)
	}
	return h
}

// update, rollback and --prune against a real registry: images pushed as
// one tag, then a new build pushed under the same tag.
func TestUpdateRollback(t *testing.T) {
	prog := needRegistry(t)
	e := newEnv(t)
	storage := t.TempDir()
	reg := startRegistry(t, prog, storage)
	im := newImages(t, e)
	repo := reg.addr + "/" + strings.TrimSuffix(e.prefix, "-")
	im.prefixes = []string{reg.addr + "/", "kompose-rollback/" + e.prefix}

	// web changes, same does not, idle changes but is stopped.
	refs := map[string]string{}
	v1 := map[string]string{}
	v2 := map[string]string{}
	for _, s := range []string{"web", "same", "idle"} {
		refs[s] = repo + "/" + s + ":latest"
		v1[s] = im.build(refs[s], s+" 1")
		im.push(refs[s])
		e.write(s+"/compose.yaml", "name: {{project}}\n"+registryService(refs[s]))
	}
	e.write("web/hooks.sh", `hook_post_update() { printf '%s|%s\n' "$*" "$KOMPOSE_UPDATED_SERVICES" >> "$SCRIPT_DIR/web-post"; }
hook_post_rollback() { printf '%s|%s\n' "$*" "$KOMPOSE_UPDATED_SERVICES" >> "$SCRIPT_DIR/web-post"; }
`)
	e.mustExit(e.kompose("*", "up", "-d"), 0)
	e.mustExit(e.kompose("idle", "stop"), 0)
	for _, s := range []string{"web", "idle"} {
		v2[s] = im.build(refs[s], s+" 2")
		im.push(refs[s])
		// Locally the tag still names the first build, as on a server
		// that pulled it back then.
		im.docker("image", "tag", v1[s], refs[s])
	}
	_, webID := e.runningImage("web")
	_, sameID := e.runningImage("same")
	idleC := e.container("idle", "app")

	// A dry run runs nothing, not even a pull.
	r := e.kompose("*", "update", "--dry-run")
	e.mustExit(r, 0)
	if got := im.id(refs["web"]); got != v1["web"] {
		t.Fatalf("a dry run pulled: %s names %s", refs["web"], got)
	}
	if !strings.Contains(r.stdout, "--> update") {
		t.Errorf("the dry run does not show the update step:\n%s", r)
	}

	r = e.kompose("*", "update")
	t.Logf("%s", r)
	e.mustExit(r, 0)
	img, id := e.runningImage("web")
	if img != v2["web"] || id == webID {
		t.Errorf("web: runs %s in container %s, want the new image %s in a new container\n%s", img, id, v2["web"], r)
	}
	want := fmt.Sprintf("app: %s sha256:%s… → sha256:%s… (recreated)", refs["web"], short(v1["web"]), short(v2["web"]))
	if !strings.Contains(r.stdout, want) {
		t.Errorf("output lacks %q:\n%s", want, r)
	}
	if _, id := e.runningImage("same"); id != sameID {
		t.Errorf("same: its container was recreated although its image did not change\n%s", r)
	}
	if !strings.Contains(r.stdout, "app: "+refs["same"]+" up to date") {
		t.Errorf("same is not reported up to date:\n%s", r)
	}
	if c := e.container("idle", "app"); c.ID != idleC.ID || c.State != "exited" {
		t.Errorf("idle: the stopped stack was touched: %+v, was %+v", c, idleC)
	}
	if got := im.id(refs["idle"]); got != v2["idle"] {
		t.Errorf("idle: its image was not pulled: %s names %s", refs["idle"], got)
	}
	if e.read("idle/.kompose-updates.json") != "" {
		t.Error("idle: an update history was written for a stack that was not recreated")
	}
	if got := e.read("web-post"); got != "update|app\n" {
		t.Errorf("web's post hook got %q, want the arguments and KOMPOSE_UPDATED_SERVICES=app", got)
	}
	h := e.history("web")
	if len(h.Entries) != 1 || h.Entries[0].Kind != "update" || len(h.Entries[0].Services) != 1 {
		t.Fatalf("history: %+v", h)
	}
	ch := h.Entries[0].Services[0]
	if ch.From != v1["web"] || ch.To != v2["web"] || ch.Image != refs["web"] {
		t.Errorf("history entry %+v, want %s → %s", ch, v1["web"], v2["web"])
	}
	// The previous image is kept under a name: no prune takes it.
	if ch.Keep == "" || im.id(ch.Keep) != v1["web"] {
		t.Errorf("the previous image is not kept: %q names %q", ch.Keep, im.id(ch.Keep))
	}
	im.docker("image", "prune", "-f")
	if im.id(v1["web"]) != v1["web"] {
		t.Fatal("docker image prune took the previous image")
	}

	// --include-stopped starts a stopped stack whose image changed, on
	// the new image, and records what its container had.
	r = e.kompose("idle", "update", "--include-stopped")
	e.mustExit(r, 0)
	if img, _ := e.runningImage("idle"); img != v2["idle"] || e.container("idle", "app").State != "running" {
		t.Errorf("idle with --include-stopped: runs %s (%s), want %s running\n%s", img, e.container("idle", "app").State, v2["idle"], r)
	}
	if h := e.history("idle"); len(h.Entries) != 1 || h.Entries[0].Services[0].From != v1["idle"] {
		t.Errorf("idle history: %+v", h)
	}

	// rollback brings back the previous image ID.
	r = e.kompose("web", "rollback")
	e.mustExit(r, 0)
	if img, _ := e.runningImage("web"); img != v1["web"] {
		t.Fatalf("after rollback web runs %s, want %s\n%s", img, v1["web"], r)
	}
	if h := e.history("web"); len(h.Entries) != 2 || h.Entries[1].Kind != "rollback" {
		t.Errorf("the rollback is not recorded: %+v", h)
	}
	if got := e.read("web-post"); !strings.HasSuffix(got, "rollback|app\n") {
		t.Errorf("web's post-rollback hook got %q", got)
	}
	// A rollback with nothing recorded fails that stack, clearly.
	r = e.kompose("same", "rollback")
	e.mustExit(r, 1)
	if !strings.Contains(r.stderr, "no update recorded") {
		t.Errorf("rollback without history:\n%s", r)
	}

	// update --prune goes forward again and leaves the rollback images;
	// it removes an image the reference named (pulled, never run) that
	// the update left without a name.
	unused := im.build(refs["web"], "web 1b")
	r = e.kompose("web", "update", "--prune")
	e.mustExit(r, 0)
	if im.id(unused) != "" || !strings.Contains(r.stdout, "prune: removed sha256:"+short(unused)+"…") {
		t.Errorf("--prune left the unused image %s\n%s", unused, r)
	}
	if img, _ := e.runningImage("web"); img != v2["web"] {
		t.Fatalf("after update --prune web runs %s, want %s\n%s", img, v2["web"], r)
	}
	if im.id(ch.Keep) != v1["web"] {
		t.Errorf("--prune removed the rollback image %s\n%s", ch.Keep, r)
	}
	if n := len(e.history("web").Entries); n != 3 {
		t.Errorf("history holds %d entries, want 3", n)
	}
	// An update whose new image cannot start fails the stack, runs its
	// fail hooks, and leaves the way back recorded.
	im.buildFrom(refs["web"], "web 3", "USER nosuchuser\n")
	im.push(refs["web"])
	im.docker("image", "tag", v2["web"], refs["web"])
	e.write("web/hooks.sh", `hook_fail_update() { printf 'fail|%s|%s\n' "$KOMPOSE_EXIT_CODE" "$KOMPOSE_UPDATED_SERVICES" >> "$SCRIPT_DIR/web-post"; }
`)
	r = e.kompose("web", "update")
	e.mustExit(r, 1)
	if !strings.Contains(r.stderr, "recreating app failed") {
		t.Errorf("the failed recreate is not named:\n%s", r)
	}
	if got := e.read("web-post"); !strings.HasSuffix(got, "fail|1|app\n") {
		t.Errorf("web's fail hook: %q\n%s", got, r)
	}
	r = e.kompose("web", "rollback", "1")
	e.mustExit(r, 0)
	if img, _ := e.runningImage("web"); img != v2["web"] || e.container("web", "app").State != "running" {
		t.Fatalf("rollback after a failed update: web runs %s, want %s\n%s", img, v2["web"], r)
	}
	// rollback 2 goes back two updates, past the rollbacks in between.
	r = e.kompose("web", "rollback", "2")
	e.mustExit(r, 0)
	if img, _ := e.runningImage("web"); img != v1["web"] {
		t.Fatalf("rollback 2: web runs %s, want %s\n%s", img, v1["web"], r)
	}
}

// The registry stopped in the middle of a run (by the first stack's pre
// hook, before the run's pulls) fails only the stacks it serves; their
// running containers are untouched, what the run pulled for them alone is
// pointed back, and their fail hooks run.
func TestUpdateRegistryDown(t *testing.T) {
	prog := needRegistry(t)
	e := newEnv(t)
	storage := t.TempDir()
	down := startRegistry(t, prog, storage)
	up := startRegistry(t, prog, storage)
	im := newImages(t, e)
	base := strings.TrimSuffix(e.prefix, "-")
	im.prefixes = []string{down.addr + "/", up.addr + "/", "kompose-rollback/" + e.prefix}

	// p3 pulls from the registry that stops, p1 and p2 from the other;
	// p1's pre hook, which runs before the run's pulls, stops it.
	serve := map[string]*registry{"p1": up, "p2": up, "p3": down}
	refs, v1, v2 := map[string]string{}, map[string]string{}, map[string]string{}
	for _, s := range []string{"p1", "p2", "p3"} {
		refs[s] = serve[s].addr + "/" + base + "/" + s + ":latest"
		v1[s] = im.build(refs[s], s+" 1")
		im.push(refs[s])
		e.write(s+"/compose.yaml", "name: {{project}}\n"+registryService(refs[s]))
	}
	// p3 has a second service from the registry that stays up: its pull
	// succeeds, the other one's fails.
	side := up.addr + "/" + base + "/p3side:latest"
	sideV1 := im.build(side, "side 1")
	im.push(side)
	e.write("p3/compose.yaml", "name: {{project}}\n"+registryService(refs["p3"])+strings.ReplaceAll(strings.TrimPrefix(registryService(side), "services:\n"), "  app:", "  side:"))
	e.write("p1/hooks.sh", fmt.Sprintf("hook_pre_update() { kill %d; }\n", down.pid()))
	e.write("p3/hooks.sh", `hook_fail_update() { echo "failed: $KOMPOSE_EXIT_CODE" > "$SCRIPT_DIR/p3-fail"; }
hook_post_update() { echo ran > "$SCRIPT_DIR/p3-post"; }
`)
	e.mustExit(e.kompose("*", "up", "-d"), 0)
	for _, s := range []string{"p1", "p2", "p3"} {
		v2[s] = im.build(refs[s], s+" 2")
		im.push(refs[s])
		im.docker("image", "tag", v1[s], refs[s])
	}
	sideV2 := im.build(side, "side 2")
	im.push(side)
	im.docker("image", "tag", sideV1, side)
	_, p3ID := e.runningImage("p3")
	// p4's engine (DOCKER_HOST in its .env) is down: only p4 fails.
	e.write("p4/compose.yaml", "name: {{project}}\n"+registryService(refs["p2"]))
	e.write("p4/.env", "DOCKER_HOST=unix:///nonexistent/kompose-e2e.sock\n")

	r := e.kompose("*", "update")
	t.Logf("%s", r)
	e.mustExit(r, 1)
	if img, _ := e.runningImage("p1"); img != v2["p1"] {
		t.Errorf("p1 (its registry up) runs %s\n%s", img, r)
	}
	if img, _ := e.runningImage("p2"); img != v2["p2"] {
		t.Errorf("p2 (another registry) runs %s, want %s\n%s", img, v2["p2"], r)
	}
	img, id := e.runningImage("p3")
	if img != v1["p3"] || id != p3ID || e.container("p3", "app").State != "running" {
		t.Errorf("p3: its running container was touched: %s in %s (was %s in %s)\n%s", img, id, v1["p3"], p3ID, r)
	}
	if got := im.id(refs["p3"]); got != v1["p3"] {
		t.Errorf("p3: after the failed pull %s names %s, want the image it named before", refs["p3"], got)
	}
	// What the failed update pulled is not left for the next up to use.
	if got := im.id(side); got != sideV1 {
		t.Errorf("p3: after the failed pull %s names %s (the new pull %s), want %s as before", side, got, sideV2, sideV1)
	}
	if c := e.container("p3", "side"); c.State != "running" {
		t.Errorf("p3: side is %s", c.State)
	}
	if !strings.Contains(r.stderr, "p3") || !strings.Contains(r.stderr, "pull failed") {
		t.Errorf("the failure does not name p3 and the pull:\n%s", r)
	}
	if got := e.read("p3-fail"); !strings.HasPrefix(got, "failed: ") {
		t.Errorf("p3's fail hook did not run: %q\n%s", got, r)
	}
	// The engine is probed before the stack's first step (docs/hosts.md):
	// p4 fails before its update starts, naming the engine.
	if !strings.Contains(r.stderr, "p4: engine unix:///nonexistent/kompose-e2e.sock does not answer") {
		t.Errorf("p4 (its engine down) does not fail with the reason:\n%s", r)
	}
	if !strings.Contains(r.stderr, "2 succeeded, 2 failed") {
		t.Errorf("want p1 and p2 to succeed, p3 and p4 to fail:\n%s", r)
	}
	if e.read("p3-post") != "" {
		t.Error("p3's post hook ran after a failed update")
	}
	if _, err := os.Stat(filepath.Join(e.root, "p3", ".kompose-updates.json")); err == nil {
		t.Error("p3: a history was recorded for a failed pull")
	}
}
