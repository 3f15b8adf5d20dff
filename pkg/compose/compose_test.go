package compose

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func exe(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

func mapLookup(m map[string]string) Lookup {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDetect(t *testing.T) {
	tmp := t.TempDir()
	homeWithPlugin := filepath.Join(tmp, "home-plugin")
	exe(t, filepath.Join(homeWithPlugin, ".docker", "cli-plugins", "docker-compose"))
	homeEmpty := filepath.Join(tmp, "home-empty")
	if err := os.MkdirAll(filepath.Join(homeEmpty, ".docker", "cli-plugins"), 0o755); err != nil {
		t.Fatal(err)
	}
	homeNotExec := filepath.Join(tmp, "home-notexec")
	exe(t, filepath.Join(homeNotExec, ".docker", "cli-plugins", "docker-compose"))
	if err := os.Chmod(filepath.Join(homeNotExec, ".docker", "cli-plugins", "docker-compose"), 0o644); err != nil {
		t.Fatal(err)
	}
	dockerConfig := filepath.Join(tmp, "dockercfg")
	exe(t, filepath.Join(dockerConfig, "cli-plugins", "docker-compose"))
	systemDir := filepath.Join(tmp, "system-plugins")
	exe(t, filepath.Join(systemDir, "docker-compose"))
	noSystem := filepath.Join(tmp, "no-system-plugins")
	v1bin := filepath.Join(tmp, "v1bin")
	exe(t, filepath.Join(v1bin, "docker-compose"))
	emptyBin := filepath.Join(tmp, "emptybin")
	if err := os.MkdirAll(filepath.Join(emptyBin, "docker-compose"), 0o755); err != nil { // a folder is no program
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		env        map[string]string
		pluginDirs []string
		want       []string
		wantErr    string
	}{
		{name: "v2 plugin in HOME", env: map[string]string{"HOME": homeWithPlugin, "PATH": v1bin}, pluginDirs: []string{noSystem}, want: []string{"docker", "compose"}},
		{name: "v2 plugin in DOCKER_CONFIG", env: map[string]string{"HOME": homeEmpty, "DOCKER_CONFIG": dockerConfig, "PATH": v1bin}, pluginDirs: []string{noSystem}, want: []string{"docker", "compose"}},
		{name: "DOCKER_CONFIG replaces HOME/.docker", env: map[string]string{"HOME": homeWithPlugin, "DOCKER_CONFIG": filepath.Join(tmp, "nocfg"), "PATH": v1bin}, pluginDirs: []string{noSystem}, want: []string{"docker-compose"}},
		{name: "v2 plugin in a system folder", env: map[string]string{"HOME": homeEmpty, "PATH": v1bin}, pluginDirs: []string{noSystem, systemDir}, want: []string{"docker", "compose"}},
		{name: "no plugin: v1 on PATH", env: map[string]string{"HOME": homeEmpty, "PATH": emptyBin + ":" + v1bin}, pluginDirs: []string{noSystem}, want: []string{"docker-compose"}},
		{name: "plugin not executable", env: map[string]string{"HOME": homeNotExec, "PATH": v1bin}, pluginDirs: []string{noSystem}, want: []string{"docker-compose"}},
		{name: "nothing found: docker compose reports it", env: map[string]string{"HOME": homeEmpty, "PATH": emptyBin}, pluginDirs: []string{noSystem}, want: []string{"docker", "compose"}},
		{name: "no HOME, no PATH", env: map[string]string{}, pluginDirs: []string{noSystem}, want: []string{"docker", "compose"}},
		{name: "KOMPOSE_COMPOSE beats the plugin", env: map[string]string{"HOME": homeWithPlugin, "KOMPOSE_COMPOSE": "podman compose"}, pluginDirs: []string{noSystem}, want: []string{"podman", "compose"}},
		{name: "KOMPOSE_COMPOSE with quotes and variables", env: map[string]string{"KOMPOSE_COMPOSE": `"$TOOLS/my compose" --ansi never`, "TOOLS": "/opt/t"}, pluginDirs: []string{noSystem}, want: []string{"/opt/t/my compose", "--ansi", "never"}},
		{name: "empty KOMPOSE_COMPOSE is ignored", env: map[string]string{"HOME": homeEmpty, "PATH": v1bin, "KOMPOSE_COMPOSE": ""}, pluginDirs: []string{noSystem}, want: []string{"docker-compose"}},
		{name: "blank KOMPOSE_COMPOSE", env: map[string]string{"KOMPOSE_COMPOSE": "   "}, pluginDirs: []string{noSystem}, wantErr: `KOMPOSE_COMPOSE="   ": not a command`},
		{name: "unbalanced KOMPOSE_COMPOSE", env: map[string]string{"KOMPOSE_COMPOSE": `"podman compose`}, pluginDirs: []string{noSystem}, wantErr: "not a command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Detector{PluginDirs: tt.pluginDirs}.Detect(mapLookup(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Detect() = %q, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Detect() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestDetectUsesSystemDirsByDefault(t *testing.T) {
	if got := (Detector{}).PluginDirs; got != nil {
		t.Fatal(got)
	}
	dirs := SystemPluginDirs()
	if len(dirs) != 4 || dirs[3] != "/usr/libexec/docker/cli-plugins" {
		t.Fatalf("SystemPluginDirs() = %v", dirs)
	}
	dirs[0] = "changed"
	if SystemPluginDirs()[0] == "changed" {
		t.Fatal("SystemPluginDirs shares its slice")
	}
	// KOMPOSE_COMPOSE needs no file system at all.
	got, err := Detect(mapLookup(map[string]string{"KOMPOSE_COMPOSE": "nerdctl compose"}))
	if err != nil || !reflect.DeepEqual(got, []string{"nerdctl", "compose"}) {
		t.Fatalf("Detect() = %q, %v", got, err)
	}
}

func TestProjectName(t *testing.T) {
	tests := []struct {
		name    string
		folder  string
		compose string
		env     map[string]string
		want    string
	}{
		{name: "folder name", folder: "blog", compose: "services: {}\n", want: "blog"},
		{name: "folder name normalised", folder: "My.Blog 2", compose: "services: {}\n", want: "myblog2"},
		{name: "name: in the file", folder: "blog", compose: "name: website\nservices: {}\n", want: "website"},
		{name: "name: interpolated", folder: "blog", compose: "name: ${PREFIX}-blog\n", env: map[string]string{"PREFIX": "prod"}, want: "prod-blog"},
		{name: "name: with a default", folder: "blog", compose: "name: ${PREFIX:-dev}_blog\n", want: "dev_blog"},
		{name: "name: normalised", folder: "blog", compose: "name: My Site\n", want: "mysite"},
		{name: "COMPOSE_PROJECT_NAME wins", folder: "blog", compose: "name: website\n", env: map[string]string{"COMPOSE_PROJECT_NAME": "override"}, want: "override"},
		{name: "empty COMPOSE_PROJECT_NAME ignored", folder: "blog", compose: "name: website\n", env: map[string]string{"COMPOSE_PROJECT_NAME": ""}, want: "website"},
		{name: "broken yaml falls back to the folder", folder: "blog", compose: "name: [unclosed\n", want: "blog"},
		{name: "bad interpolation falls back to the folder", folder: "blog", compose: "name: ${X:?required}\n", want: "blog"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), tt.folder)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, "compose.yaml")
			if err := os.WriteFile(file, []byte(tt.compose), 0o644); err != nil {
				t.Fatal(err)
			}
			if got := ProjectName(dir, file, mapLookup(tt.env)); got != tt.want {
				t.Errorf("ProjectName() = %q, want %q", got, tt.want)
			}
		})
	}
	if got := ProjectName("/x/missing", "/x/missing/compose.yaml", mapLookup(nil)); got != "missing" {
		t.Errorf("ProjectName(no file) = %q", got)
	}
}

func TestServices(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("compose.yaml", `services:
  web:
    image: nginx:${NGINX_TAG:-latest}
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: ${DB_PASSWORD}
`)
	write("compose.override.yaml", "services:\n  worker:\n    build: .\n")
	got, err := Services(context.Background(), dir, filepath.Join(dir, "compose.yaml"), map[string]string{"NGINX_TAG": "1.27"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Service{{"db", "postgres:16"}, {"web", "nginx:1.27"}, {"worker", ""}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Services() = %v, want %v", got, want)
	}

	write("compose.yaml", "services:\n  web:\n    image: [\n")
	if _, err := Services(context.Background(), dir, filepath.Join(dir, "compose.yaml"), nil); err == nil || !strings.Contains(err.Error(), "compose.yaml") {
		t.Errorf("Services(broken) error = %v", err)
	}
}

func TestMayNameProject(t *testing.T) {
	yes := []string{
		"name: shop\nservices: {}\n",
		"services:\n  a: {image: x}\nname: late\n",
		"# comment\n\"name\" : q\n",
		"{\"name\": \"json\", \"services\": {}}",
		"---\n{name: flow}\n",
	}
	no := []string{
		"services:\n  a:\n    container_name: x\n    image: y\n",
		"services:\n  name:\n    image: y\n", // a service called name is not top level
		"  name: indented\n",
		"",
	}
	for _, s := range yes {
		if !mayNameProject([]byte(s)) {
			t.Errorf("mayNameProject(%q) = false, want true", s)
		}
	}
	for _, s := range no {
		if mayNameProject([]byte(s)) {
			t.Errorf("mayNameProject(%q) = true, want false", s)
		}
	}
}
