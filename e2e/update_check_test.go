//go:build e2e

package e2e

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// update --check against real registries: new digests pushed for some
// images, three stacks sharing one image (one manifest request for it,
// counted in the registry's access log, and no blob fetched), a registry
// with basic auth whose credentials are in the docker config the stack's
// .env names, the same image checked by a stack without those
// credentials, and a registry that is gone. Nothing is pulled or
// recreated, the hooks do not run, no password is printed, and only the
// stacks whose images could not be checked fail.
func TestUpdateCheck(t *testing.T) {
	prog := needRegistry(t)
	e := newEnv(t)
	im := newImages(t, e)
	pub := startRegistryWith(t, prog, t.TempDir(), registryOpts{accessLog: true})

	const user, pass = "k23user", "k23-S3cret-pass"
	hash, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	htpasswd := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(htpasswd, []byte(user+":"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	priv := startRegistryWith(t, prog, t.TempDir(), registryOpts{htpasswd: htpasswd})
	gone := startRegistry(t, prog, t.TempDir())
	im.prefixes = []string{pub.addr + "/", priv.addr + "/", gone.addr + "/"}

	// The docker config with the private registry's credentials, for
	// docker push here and for the stack that names it.
	cfgDir := filepath.Join(e.root, "creds", "docker")
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	e.write("creds/docker/config.json", `{"auths":{"`+priv.addr+`":{"auth":"`+auth+`"}}}`)
	// The docker CLI looks for its plugins (compose) under DOCKER_CONFIG
	// too: this machine has them in the user's ~/.docker only.
	if home, err := os.UserHomeDir(); err == nil {
		if _, err := os.Stat(filepath.Join(home, ".docker", "cli-plugins")); err == nil {
			if err := os.Symlink(filepath.Join(home, ".docker", "cli-plugins"), filepath.Join(cfgDir, "cli-plugins")); err != nil {
				t.Fatal(err)
			}
		}
	}

	repo := strings.TrimSuffix(e.prefix, "-")
	shared := pub.addr + "/" + repo + "/shared:1"
	same := pub.addr + "/" + repo + "/same:1"
	private := priv.addr + "/" + repo + "/private:1"
	down := gone.addr + "/" + repo + "/down:1"
	v1 := map[string]string{}
	for _, ref := range []string{shared, same, private, down} {
		v1[ref] = im.build(ref, ref+" 1")
		if ref == private {
			im.docker("--config", cfgDir, "push", "-q", ref)
		} else {
			im.push(ref)
		}
	}
	stacks := map[string]string{"s1": shared, "s2": shared, "s3": shared, "s4": same, "s5": private, "xnoauth": private, "xdown": down}
	for s, ref := range stacks {
		e.write(s+"/compose.yaml", "name: {{project}}\n"+registryService(ref))
		e.write(s+"/hooks.sh", "hook_pre_update() { touch \"$SCRIPT_DIR/hook-ran\"; }\n")
	}
	e.write("s5/.env", "DOCKER_CONFIG="+cfgDir+"\n")
	e.mustExit(e.kompose("*", "up", "-d"), 0)
	gone.stop()

	// New digests for shared and private; locally the tags still name the
	// first builds, as on a server that pulled them back then.
	v2 := map[string]string{}
	for _, ref := range []string{shared, private} {
		v2[ref] = im.build(ref, ref+" 2")
		if ref == private {
			im.docker("--config", cfgDir, "push", "-q", ref)
		} else {
			im.push(ref)
		}
		im.docker("image", "tag", v1[ref], ref)
	}
	digest := func(ref string) string {
		out := im.docker("image", "inspect", "--format", "{{range .RepoDigests}}{{.}} {{end}}", v2[ref])
		for _, rd := range strings.Fields(out) {
			if _, d, ok := strings.Cut(rd, "@"); ok {
				return strings.TrimPrefix(d, "sha256:")[:12]
			}
		}
		t.Fatalf("%s has no repo digest after its push: %q", ref, out)
		return ""
	}
	newShared, newPrivate := digest(shared), digest(private)
	containers := map[string]string{}
	for s := range stacks {
		_, containers[s] = e.runningImage(s)
	}
	beforeAll := pub.requests()
	beforeHeads := pub.requests("HEAD /v2/", "/manifests/")
	beforeBlobs := pub.requests("/blobs/")
	beforeGets := pub.requests("GET /v2/", "/manifests/")

	r := e.kompose("*", "update", "--check")
	t.Logf("%s", r)
	e.mustExit(r, 1)
	for s, want := range map[string]string{
		"s1":      "app: " + shared + " update available (sha256:",
		"s2":      "app: " + shared + " update available (sha256:",
		"s3":      "app: " + shared + " update available (sha256:",
		"s4":      "app: " + same + " up to date",
		"s5":      "app: " + private + " update available (sha256:",
		"xnoauth": "app: " + private + " check failed: ",
		"xdown":   "app: " + down + " check failed: ",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("%s: output lacks %q", s, want)
		}
	}
	if !strings.Contains(r.stdout, "→ sha256:"+newShared+"…)") || !strings.Contains(r.stdout, "→ sha256:"+newPrivate+"…)") {
		t.Errorf("the new digests %s and %s are not shown", newShared, newPrivate)
	}
	if !strings.Contains(strings.ToUpper(r.stdout+r.stderr), "UNAUTHORIZED") {
		t.Errorf("xnoauth's refusal is not named")
	}
	if !strings.Contains(r.stdout+r.stderr, "refused") {
		t.Errorf("xdown's unreachable registry is not named")
	}
	for _, failed := range []string{"xnoauth", "xdown"} {
		if !strings.Contains(r.stderr, failed) {
			t.Errorf("the failed stack %s is not named on stderr", failed)
		}
	}
	if strings.Contains(r.stdout+r.stderr, pass) || strings.Contains(r.stdout+r.stderr, auth) {
		t.Error("the registry password is in the output")
	}

	// One manifest request per distinct reference (shared: 3 stacks),
	// nothing fetched, nothing pulled, nothing recreated, no hook ran.
	all := pub.requests() - beforeAll
	heads := pub.requests("HEAD /v2/", "/manifests/") - beforeHeads
	if heads != 2 {
		t.Errorf("%d HEAD manifest requests for 2 distinct references (4 stacks)", heads)
	}
	if blobs := pub.requests("/blobs/") - beforeBlobs; blobs > 0 {
		t.Errorf("%d blob requests during the check: something was pulled", blobs)
	}
	if gets := pub.requests("GET /v2/", "/manifests/") - beforeGets; gets > 0 {
		t.Errorf("%d manifest GETs during the check", gets)
	}
	t.Logf("registry requests during the check: %d (of which %d manifest HEADs)", all, heads)
	for _, ref := range []string{shared, private} {
		if got := im.id(ref); got != v1[ref] {
			t.Errorf("%s names %s after the check, want %s: it pulled", ref, got, v1[ref])
		}
	}
	for s := range stacks {
		if _, id := e.runningImage(s); id != containers[s] {
			t.Errorf("%s: its container was recreated by the check", s)
		}
		if e.read(s+"/hook-ran") != "" {
			t.Errorf("%s: a hook ran for update --check", s)
		}
		if e.read(s+"/.kompose-updates.json") != "" {
			t.Errorf("%s: the check wrote an update history", s)
		}
	}

	// status shows what the last check found, asking no registry.
	heads = pub.requests("HEAD /v2/", "/manifests/")
	r = e.kompose("s1,s4,xdown", "status")
	for stack, want := range map[string]string{"s1": "1 available (", "s4": "up to date (", "xdown": "1 not checked ("} {
		if !regexp.MustCompile(`(?m)^` + stack + ` .*` + regexp.QuoteMeta(want)).MatchString(r.stdout) {
			t.Errorf("status: %s lacks %q\n%s", stack, want, r)
		}
	}
	if n := pub.requests("HEAD /v2/", "/manifests/"); n != heads {
		t.Errorf("status asked the registry")
	}

	// Updates available and every image checked: exit 0. --json prints
	// the run's document with each stack's updates (the lines go to
	// stderr); the metrics file counts them per stack.
	metricsFile := filepath.Join(t.TempDir(), "kompose.prom")
	r = e.kompose("--json", "--metrics-file", metricsFile, "s*", "update", "--check")
	e.mustExit(r, 0)
	var doc struct {
		Kind   string
		Stacks []struct {
			Name    string
			Status  string
			Updates []struct {
				Service, Image, State string
				Local                 string `json:"local_digest"`
				Remote                string `json:"remote_digest"`
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("--json: %v\n%s", err, r)
	}
	states := map[string]string{}
	for _, st := range doc.Stacks {
		if len(st.Updates) != 1 {
			t.Errorf("%s: updates %+v", st.Name, st.Updates)
			continue
		}
		u := st.Updates[0]
		states[st.Name] = u.State
		if u.State == "update available" && (!strings.HasPrefix(u.Remote, "sha256:") || !strings.HasPrefix(u.Local, "sha256:") || u.Local == u.Remote) {
			t.Errorf("%s: digests %+v", st.Name, u)
		}
	}
	want := map[string]string{"s1": "update available", "s2": "update available", "s3": "update available", "s4": "up to date", "s5": "update available"}
	if !reflect.DeepEqual(states, want) {
		t.Errorf("--json states %v, want %v\n%s", states, want, r)
	}
	if !strings.Contains(r.stderr, "app: "+same+" up to date") {
		t.Errorf("with --json the lines are not on stderr:\n%s", r)
	}
	prom, err := os.ReadFile(metricsFile)
	if err != nil {
		t.Fatal(err)
	}
	for s, n := range map[string]string{"s1": "1", "s4": "0", "s5": "1"} {
		line := `kompose_update_available{stack="` + s + `",command="update --check"} ` + n + "\n"
		if !strings.Contains(string(prom), line) {
			t.Errorf("metrics lack %q:\n%s", line, prom)
		}
	}
	if strings.Contains(string(prom), pass) || strings.Contains(r.stdout, pass) {
		t.Error("the password is in the metrics or the JSON")
	}

	// --min-age 1d: the images were built minutes ago, so the check calls
	// the update too new, and update holds it back (no pull, no
	// recreate).
	r = e.kompose("s1", "update", "--check", "--min-age", "1d")
	e.mustExit(r, 0)
	if !strings.Contains(r.stdout, "app: "+shared+" update too new (sha256:") || !strings.Contains(r.stdout, "younger than --min-age 24h0m0s") {
		t.Errorf("--check --min-age:\n%s", r)
	}
	r = e.kompose("s1", "update", "--min-age", "1d")
	e.mustExit(r, 0)
	if !strings.Contains(r.stdout, "held back "+shared+" (for 1 stack(s)): created ") || !strings.Contains(r.stdout, "app: "+shared+" held back: ") {
		t.Errorf("update --min-age:\n%s", r)
	}
	if _, id := e.runningImage("s1"); id != containers["s1"] || im.id(shared) != v1[shared] {
		t.Errorf("update --min-age pulled or recreated s1:\n%s", r)
	}

	// Held back: --exclude-service in a check, a pin in x-kompose.
	r = e.kompose("s2", "update", "--check", "--exclude-service", "app")
	e.mustExit(r, 0)
	if !strings.Contains(r.stdout, "app: "+shared+" held back: --exclude-service") {
		t.Errorf("--exclude-service:\n%s", r)
	}
	e.write("s4/compose.yaml", "name: {{project}}\n"+registryService(same)+"x-kompose:\n  update:\n    pin: [app]\n")

	// update pulls each distinct image once for all the stacks (shared:
	// three stacks, one pull), before any stack recreates, -j 2 pulls
	// side by side; then each stack recreates on the new image.
	// A pull is the engine's HEAD of the tag's manifest (docker 20.10
	// then GETs only a manifest it does not have).
	manifestGets := func(image string) int {
		return pub.requests("HEAD /v2/"+repo+"/"+image+"/manifests/1 ", `"docker/`)
	}
	sharedGets, sameGets := manifestGets("shared"), manifestGets("same")
	r = e.kompose("-j", "2", "s1,s2,s3,s4", "update")
	t.Logf("%s", r)
	e.mustExit(r, 0)
	if n := manifestGets("shared") - sharedGets; n != 1 {
		t.Errorf("%s pulled %d times for 3 stacks, want once", shared, n)
	}
	if n := manifestGets("same") - sameGets; n != 0 {
		t.Errorf("%s (pinned in s4) pulled %d times", same, n)
	}
	if !strings.Contains(r.stdout, "app: "+same+" held back: pinned") {
		t.Errorf("s4's pin is not said:\n%s", r)
	}
	if !strings.Contains(r.stdout, "pulling 1 distinct image(s) for 4 stack(s), 2 at a time") {
		t.Errorf("the pull phase is not said:\n%s", r)
	}
	for _, s := range []string{"s1", "s2", "s3"} {
		if img, _ := e.runningImage(s); img != v2[shared] {
			t.Errorf("%s runs %s after update, want %s", s, img, v2[shared])
		}
	}
}
