package compose

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// ProjectName reads only name: lines; it must say what loading the
// project as compose does says, whatever the environment.
func TestProjectNameAgreesWithLoad(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"plain/compose.yaml":                    "services: {web: {image: nginx}}\n",
		"over/compose.yaml":                     "services: {web: {image: nginx}}\n",
		"over/docker-compose.override.yml":      "name: from-override\nservices: {db: {image: postgres}}\n",
		"split/compose.yaml":                    "name: first\nservices: {web: {image: nginx}}\n",
		"split/sub/db.yaml":                     "name: ${SECOND:-second}\nservices: {db: {image: postgres}}\n",
		"away/compose.yaml":                     "services: {web: {image: nginx}}\n",
		"elsewhere/My Files/compose.other.yaml": "services: {db: {image: postgres}}\n",
		"target/compose.yaml":                   "services: {web: {image: nginx}}\n",
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("target", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	cache := NewFiles()
	for _, tc := range []struct {
		dir      string
		env      map[string]string
		name     string
		services []string
	}{
		{"plain", nil, "plain", []string{"web"}},
		{"over", nil, "from-override", []string{"db", "web"}},
		{"split", map[string]string{"COMPOSE_FILE": "compose.yaml:sub/db.yaml"}, "second", []string{"db", "web"}},
		{"split", map[string]string{"COMPOSE_FILE": "compose.yaml,sub/db.yaml", "COMPOSE_PATH_SEPARATOR": ",", "SECOND": "Third"}, "third", []string{"db", "web"}},
		{"split", map[string]string{"COMPOSE_FILE": "compose.yaml"}, "first", []string{"web"}},
		{"split", map[string]string{"COMPOSE_FILE": "sub/db.yaml", "COMPOSE_PROJECT_NAME": "env-name"}, "env-name", []string{"db"}},
		// the project folder is the first file's: its name names the project
		{"away", map[string]string{"COMPOSE_FILE": "../elsewhere/My Files/compose.other.yaml:compose.yaml"}, "myfiles", []string{"db", "web"}},
		// a symlinked stack is named after the link
		{"link", nil, "link", []string{"web"}},
	} {
		dir := filepath.Join(root, tc.dir)
		file := filepath.Join(dir, "compose.yaml")
		got := ProjectName(dir, file, mapLookup(tc.env))
		// Through one Files for every case, as a run does: what one
		// stack's files gave is never another's.
		if viaFiles := cache.ProjectName(dir, file, mapLookup(tc.env)); viaFiles != got {
			t.Errorf("%s %v: Files.ProjectName = %q, ProjectName = %q", tc.dir, tc.env, viaFiles, got)
		}
		p, err := NewProject(dir, file, tc.env).Load(context.Background())
		if err != nil {
			t.Errorf("%s %v: %v", tc.dir, tc.env, err)
			continue
		}
		if got != tc.name || p.Name != tc.name {
			t.Errorf("%s %v: ProjectName = %q, loaded project's name = %q, want %q", tc.dir, tc.env, got, p.Name, tc.name)
		}
		var svcs []string
		for _, s := range p.ServiceNames() {
			svcs = append(svcs, s)
		}
		if !reflect.DeepEqual(svcs, tc.services) {
			t.Errorf("%s %v: services %v, want %v", tc.dir, tc.env, svcs, tc.services)
		}
	}
}

// A profile that COMPOSE_PROFILES does not activate leaves its services
// out, as compose does.
func TestProjectProfiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("services:\n  web: {image: nginx}\n  adminer: {image: adminer, profiles: [tools]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		profiles string
		want     []Service
	}{
		{"", []Service{{"web", "nginx"}}},
		{"tools", []Service{{"adminer", "adminer"}, {"web", "nginx"}}},
	} {
		got, err := Services(context.Background(), dir, filepath.Join(dir, "compose.yaml"), map[string]string{"COMPOSE_PROFILES": tc.profiles})
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("COMPOSE_PROFILES=%q: %v, %v; want %v", tc.profiles, got, err, tc.want)
		}
	}
}
