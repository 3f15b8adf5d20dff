package swarm

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kompose-dev/kompose/pkg/compose"
	"go.yaml.in/yaml/v4"
)

// needDocker returns the docker CLI, skipping (failing with
// KOMPOSE_REQUIRE_ALL=1) without it. docker stack config needs no engine.
func needDocker(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("docker")
	if err != nil {
		if os.Getenv("KOMPOSE_REQUIRE_ALL") == "1" {
			t.Fatal("docker CLI required (KOMPOSE_REQUIRE_ALL=1): not installed")
		}
		t.Skip("docker CLI not installed: docker stack config cannot check the normalised file")
	}
	return p
}

// stackOf copies testdata/<name>.yaml (and <name>.env as the stack's
// .env) into a stack folder and returns it with its environment.
func stackOf(t *testing.T, name string) (dir string, vars map[string]string) {
	t.Helper()
	dir = t.TempDir()
	b, err := os.ReadFile(filepath.Join("testdata", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	vars = map[string]string{}
	if e, err := os.ReadFile(filepath.Join("testdata", name+".env")); err == nil {
		if err := os.WriteFile(filepath.Join(dir, ".env"), e, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(e), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				vars[k] = v
			}
		}
	}
	for _, f := range []string{"dynamic.yaml", "token.txt"} {
		if b, err := os.ReadFile(filepath.Join("testdata", f)); err == nil {
			_ = os.WriteFile(filepath.Join(dir, f), b, 0o600)
		}
	}
	_ = os.Mkdir(filepath.Join(dir, "traefik"), 0o755)
	return dir, vars
}

// TestNormaliseRealWorld normalises compose files shaped like popular
// projects' and has the real docker CLI (docker stack config, the loader
// of docker stack deploy) accept each; the warnings name file and key.
func TestNormaliseRealWorld(t *testing.T) {
	docker := needDocker(t)
	cases := []struct {
		name  string
		warns []string // keys that must be warned about
		no    []string // strings the deployed file must not hold
	}{
		{"immich", []string{"services.database.container_name", "services.immich-server.restart"}, []string{"name: immich\n", "env_file"}},
		{"gitea", []string{"services.server.depends_on.db.condition", "services.server.ports[1].host_ip", "services.server.container_name"}, []string{"host_ip", "condition"}},
		{"traefik", []string{"services.proxy.build", "services.proxy.pull_policy", "services.proxy.mem_swappiness", "services.proxy.privileged"}, []string{"entrypoint:", "build:", "_dyn"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, vars := stackOf(t, c.name)
			p, err := compose.NewResolvedProject(dir, "compose.yaml", vars).Load(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			where := filepath.Join(dir, "compose.yaml")
			n, err := Normalise(p, where)
			if err != nil {
				t.Fatal(err)
			}
			all := strings.Join(n.Warnings, "\n")
			for _, w := range c.warns {
				if !strings.Contains(all, where+": "+w+": ") {
					t.Errorf("no warning for %s in:\n%s", w, all)
				}
			}
			for _, s := range c.no {
				if bytes.Contains(n.YAML, []byte(s)) {
					t.Errorf("the deployed file holds %q:\n%s", s, n.YAML)
				}
			}
			var doc map[string]any
			if err := yaml.Unmarshal(n.YAML, &doc); err != nil {
				t.Fatal(err)
			}
			if _, ok := doc["name"]; ok {
				t.Errorf("top-level name left in")
			}
			f := filepath.Join(t.TempDir(), "stack.yaml")
			if err := os.WriteFile(f, n.YAML, 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(docker, "stack", "config", "--compose-file", f)
			cmd.Dir = t.TempDir() // relative paths must not depend on where it runs
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("docker stack config rejects the normalised file: %v\n%s\n--- file:\n%s", err, out, n.YAML)
			}
			if strings.Contains(string(out), "Ignoring unsupported options") {
				t.Errorf("stack deploy would ignore keys kompose left in: %s", out)
			}
		})
	}
}

// TestNormaliseRejectsPortRange: a published range is named, not passed.
func TestNormaliseRejectsPortRange(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("services:\n  web:\n    image: nginx\n    ports: [\"8000-8001:80\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := compose.NewResolvedProject(dir, "compose.yaml", map[string]string{}).Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Normalise(p, "compose.yaml"); err == nil || !strings.Contains(err.Error(), "services.web.ports[0].published 8000-8001") {
		t.Fatalf("err = %v", err)
	}
}

// TestWriteTemp: the resolved file is private (0600 in a 0700 folder of
// its own) and gone, folder and all, after remove.
func TestWriteTemp(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	path, remove, err := WriteTemp([]byte("APP_SECRET: s3cret\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode().Perm() != 0o600 || !fi.Mode().IsRegular() {
		t.Fatalf("the file: %v %v", fi.Mode(), err)
	}
	di, err := os.Lstat(filepath.Dir(path))
	if err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("its folder: %v %v", di.Mode(), err)
	}
	remove()
	if _, err := os.Lstat(filepath.Dir(path)); !os.IsNotExist(err) {
		t.Fatalf("left behind: %v", err)
	}
}

// TestNormaliseDollarReachesSwarmUnchanged: docker stack deploy
// interpolates the file it reads again, from kompose's own environment.
// Values compose already resolved (a password holding $HOME or ${USER},
// a literal $$ escape, a command for the container's shell) must reach
// the Swarm as compose resolved them: not re-interpolated from root's
// environment, not rejected ("cost $5").
func TestNormaliseDollarReachesSwarmUnchanged(t *testing.T) {
	docker := needDocker(t)
	dir := t.TempDir()
	file := `services:
  web:
    image: nginx
    command: ["sh", "-c", "echo $$HOME"]
    environment:
      DB_PASSWORD: ${DB_PASSWORD}
      PRICE: "cost $$5"
      ESCAPED: ${ESCAPED}
    labels:
      traefik.http.middlewares.auth.basicauth.users: "admin:$$apr1$$xyz$$abc"
`
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"DB_PASSWORD": "a$HOMEb${USER}c", "ESCAPED": "x$$y"}
	p, err := compose.NewResolvedProject(dir, "compose.yaml", vars).Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n, err := Normalise(p, "compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "stack.yaml")
	if err := os.WriteFile(f, n.YAML, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(docker, "stack", "config", "--compose-file", f)
	cmd.Env = append(os.Environ(), "HOME=/root-of-kompose", "USER=kompose-user")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker stack config rejects the normalised file: %v\n%s\n--- file:\n%s", err, out, n.YAML)
	}
	var got struct {
		Services map[string]struct {
			Command     []string
			Environment map[string]string
			Labels      map[string]string
		}
	}
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	web := got.Services["web"]
	want := map[string]string{"DB_PASSWORD": "a$HOMEb${USER}c", "PRICE": "cost $5", "ESCAPED": "x$$y"}
	for k, v := range want {
		if web.Environment[k] != v {
			t.Errorf("environment %s reaches the Swarm as %q, want %q", k, web.Environment[k], v)
		}
	}
	if c := strings.Join(web.Command, " "); c != "sh -c echo $HOME" {
		t.Errorf("command reaches the Swarm as %q", c)
	}
	if l := web.Labels["traefik.http.middlewares.auth.basicauth.users"]; l != "admin:$apr1$xyz$abc" {
		t.Errorf("label reaches the Swarm as %q", l)
	}
	if strings.Contains(string(out), "root-of-kompose") || strings.Contains(string(out), "kompose-user") {
		t.Errorf("kompose's own environment leaked into the deployed stack:\n%s", out)
	}
}

// TestNormaliseInlineSecretsAndConfigs: compose's secrets from the
// environment and configs with inline content are rejected by docker
// stack deploy ("Additional property environment is not allowed"); they
// reach it as private files next to the resolved file, never in it.
func TestNormaliseInlineSecretsAndConfigs(t *testing.T) {
	docker := needDocker(t)
	t.Setenv("TMPDIR", t.TempDir())
	dir := t.TempDir()
	file := `services:
  web:
    image: nginx
    secrets: [tok]
    configs: [cfg, envcfg]
secrets:
  tok:
    environment: API_TOKEN
configs:
  cfg:
    content: |
      password=${API_TOKEN}
  envcfg:
    environment: MODE
`
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"API_TOKEN": "tok-secret-9$x", "MODE": "fast"}
	p, err := compose.NewResolvedProject(dir, "compose.yaml", vars).Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n, err := Normalise(p, "compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(n.YAML, []byte("tok-secret-9")) {
		t.Errorf("the secret is in the resolved file:\n%s", n.YAML)
	}
	path, remove, err := WriteTemp(n.YAML, n.Files)
	if err != nil {
		t.Fatal(err)
	}
	defer remove()
	cmd := exec.Command(docker, "stack", "config", "--compose-file", path)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker stack config rejects the normalised file: %v\n%s\n--- file:\n%s", err, out, n.YAML)
	}
	var got struct {
		Secrets, Configs map[string]struct{ File string }
	}
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		got.Secrets["tok"].File:    "tok-secret-9$x",
		got.Configs["cfg"].File:    "password=tok-secret-9$x\n",
		got.Configs["envcfg"].File: "fast",
	}
	for f, content := range want {
		if filepath.Dir(filepath.Dir(f)) != filepath.Dir(path) {
			t.Errorf("%s is not in the resolved file's private folder %s", f, filepath.Dir(path))
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil || string(b) != content {
			t.Errorf("%s holds %q (%v), want %q", f, b, err, content)
		}
		if fi, err := os.Lstat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want 0600", f, fi.Mode(), err)
		}
	}
	remove()
	if _, err := os.Lstat(filepath.Dir(path)); !os.IsNotExist(err) {
		t.Fatalf("left behind: %v", err)
	}
}
