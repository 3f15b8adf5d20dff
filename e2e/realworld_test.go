//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// realWorld are stacks in the shapes public compose files take (docker's
// awesome-compose samples, self-hosting guides): a PostgreSQL service next
// to an admin tool with credentials from the .env, build contexts and
// networks, an override file, profiles, COMPOSE_FILE with its own
// separator, include:, extends:, a project name from a variable, an image
// tag from a variable, anchors and x- fields, the legacy file name with
// `version:`, and a .env with export, quotes and comments. The files are
// written here in those shapes, not copied.
var realWorld = map[string]map[string]string{
	"pgadmin": {
		"compose.yaml": `services:
  postgres:
    container_name: ${CONTAINER_PREFIX:-rw}-postgres
    image: postgres:latest
    environment:
      - POSTGRES_USER=${POSTGRES_USER}
      - POSTGRES_PASSWORD=${POSTGRES_PW}
      - POSTGRES_DB=${POSTGRES_DB} # the default database
    ports:
      - "5432:5432"
    restart: always
  pgadmin:
    image: dpage/pgadmin4:latest
    environment:
      - PGADMIN_DEFAULT_EMAIL=${PGADMIN_MAIL}
      - PGADMIN_DEFAULT_PASSWORD=${PGADMIN_PW}
    ports: ["5050:80"]
`,
		".env": "POSTGRES_USER=app\nPOSTGRES_PW='p@ss$word'\nPOSTGRES_DB=app\nPGADMIN_MAIL=admin@example.org\nPGADMIN_PW=\"x y\"\nDB_NAME=app\nDB_USER=app\n",
	},
	"rustapp": {
		"compose.yaml": `services:
  frontend:
    build:
      context: frontend
      target: development
    networks: [client-side]
    volumes:
      - ./frontend/src:/code/src:ro
  backend:
    build: {context: backend, target: development}
    environment:
      - PG_HOST=db
    networks: [client-side, server-side]
    depends_on: [db]
  db:
    image: postgres:12-alpine
    networks: [server-side]
    volumes:
      - db-data:/var/lib/postgresql/data
networks:
  client-side: {}
  server-side: {}
volumes:
  db-data: {}
`,
		".env": "DB_NAME=postgres\n",
	},
	"override": {
		"compose.yaml":          "services:\n  web:\n    image: nginx:1.27\n",
		"compose.override.yaml": "services:\n  web:\n    ports: [\"8080:80\"]\n  debugger:\n    image: busybox\n",
	},
	"profiles": {
		"compose.yaml": `services:
  app:
    image: ghost:5
  mail:
    image: mailhog/mailhog
    profiles: [dev]
  backup:
    image: restic/restic
    profiles: [ops, nightly]
`,
		".env": "COMPOSE_PROFILES=nightly\n",
	},
	"composefile": {
		"base.yml":     "services:\n  app:\n    image: nextcloud:apache\n",
		"db/pg.yml":    "services:\n  database:\n    image: docker.io/library/postgres:16\n",
		"compose.yaml": "services:\n  ignored:\n    image: busybox\n",
		".env":         "COMPOSE_PATH_SEPARATOR=,\nCOMPOSE_FILE=base.yml,db/pg.yml\nDB_NAME=nextcloud\n",
	},
	"include": {
		"compose.yaml":  "include:\n  - path: parts/db.yaml\nservices:\n  api:\n    image: node:20\n    depends_on: [pg]\n",
		"parts/db.yaml": "services:\n  pg:\n    image: postgres:15\n",
		".env":          "DB_NAME=api\n",
	},
	"extends": {
		"compose.yaml": "services:\n  worker:\n    extends:\n      file: common.yaml\n      service: base\n    command: [\"work\"]\n  web:\n    extends: {file: common.yaml, service: base}\n",
		"common.yaml":  "services:\n  base:\n    image: python:3.12-slim\n    environment: [TZ=UTC]\n",
	},
	"named": {
		"compose.yaml": "name: ${SITE:-blog}-prod\nservices:\n  wordpress:\n    image: wordpress:6\n  db:\n    image: mariadb:11\n",
		".env":         "# the site\nexport SITE=\"myblog\"\n",
	},
	"pgversion": {
		"compose.yaml": "x-common: &common\n  restart: unless-stopped\n  logging: {driver: json-file}\nservices:\n  gitea:\n    <<: *common\n    image: gitea/gitea:${GITEA_VERSION:-1.22}\n  store:\n    <<: *common\n    image: postgres:${PG_VERSION}\n",
		".env":         "PG_VERSION=14-alpine # pinned\nDB_NAME=gitea\nGITEA_VERSION='1.21'\n",
	},
	"legacy": {
		"docker-compose.yml": "version: \"3.8\"\nservices:\n  redis:\n    image: redis:7\n  app:\n    image: ${REGISTRY:-docker.io}/library/httpd:2.4\n",
	},
	"envproject": {
		"compose.yaml": "services:\n  app:\n    image: traefik:v3\n",
		".env":         "COMPOSE_PROJECT_NAME=edge_proxy\n",
	},
}

// composeView is what `docker compose config` says of a stack.
type composeView struct {
	Name     string `json:"name"`
	Services map[string]struct {
		Image string `json:"image"`
	} `json:"services"`
}

// TestReadsStacksAsComposeDoes: for every stack of realWorld, the services
// (with their images) and the project name kompose shows in --list, and
// the service db:export would run pg_dump in, are what docker compose
// itself loads from the same folder and .env. Nothing is started and no
// image is pulled: compose only reads the files.
func TestReadsStacksAsComposeDoes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	names := make([]string, 0, len(realWorld))
	for name, files := range realWorld {
		names = append(names, name)
		for rel, content := range files {
			e.write(name+"/"+rel, content)
		}
	}
	slices.Sort(names)
	list := e.kompose("--list")
	e.mustExit(list, 0)
	got := parseList(list.stdout)

	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			cmd := exec.CommandContext(e.ctx, "docker", "compose", "config", "--format", "json")
			cmd.Dir = filepath.Join(e.root, name)
			cmd.Env = hermetic(os.Environ())
			out, err := cmd.Output()
			if err != nil {
				var stderr string
				if ee, ok := err.(*exec.ExitError); ok {
					stderr = string(ee.Stderr)
				}
				t.Fatalf("docker compose config: %v\n%s", err, stderr)
			}
			var want composeView
			if err := json.Unmarshal(out, &want); err != nil {
				t.Fatal(err)
			}
			var wantServices []string
			pg := ""
			for svc, s := range want.Services {
				img := s.Image
				if img == "" {
					img = "build" // kompose's --list names a service built from source so
				}
				wantServices = append(wantServices, svc+" ("+img+")")
				if isPostgresImage(s.Image) {
					pg = svc
				}
			}
			slices.Sort(wantServices)
			g := got[name]
			if strings.Join(g.services, ", ") != strings.Join(wantServices, ", ") {
				t.Errorf("services:\n kompose: %v\n compose: %v", g.services, wantServices)
			}
			if g.project != want.Name {
				t.Errorf("project: kompose %q, compose %q", g.project, want.Name)
			}
			if _, ok := realWorld[name][".env"]; !ok || !strings.Contains(realWorld[name][".env"], "DB_NAME=") {
				return
			}
			dry := e.kompose("--dry-run", name, "db:export")
			e.mustExit(dry, 0)
			runsOn := "runs on: host"
			if pg != "" {
				runsOn = "runs on: service " + pg + " "
			}
			if !strings.Contains(dry.stdout, runsOn) {
				t.Errorf("db:export: want %q (compose's PostgreSQL service %q):\n%s", runsOn, pg, dry)
			}
			if strings.Contains(dry.stdout+dry.stderr, "p@ss$word") {
				t.Errorf("the dry run shows a password:\n%s", dry)
			}
		})
	}
}

// listed is one stack of kompose --list.
type listed struct {
	services []string // "name (image)", sorted
	project  string
}

// parseList reads kompose --list's text.
func parseList(out string) map[string]listed {
	m := map[string]listed{}
	var cur string
	for _, line := range strings.Split(out, "\n") {
		switch {
		case line != "" && !strings.HasPrefix(line, " ") && !strings.Contains(line, " stack(s) in "):
			cur = line
		case strings.HasPrefix(line, "  services: "):
			l := m[cur]
			l.services = splitServices(strings.TrimPrefix(line, "  services: "))
			m[cur] = l
		case strings.HasPrefix(line, "  project:  "):
			l := m[cur]
			l.project = strings.TrimPrefix(line, "  project:  ")
			m[cur] = l
		}
	}
	return m
}

// splitServices splits "a (img), b (img:tag)" at the commas between
// entries (an image holds no ", ").
func splitServices(s string) []string {
	out := strings.Split(s, ", ")
	slices.Sort(out)
	return out
}

// isPostgresImage is compose's view of "a PostgreSQL image", as kompose's
// docs state it: the image's repository name is postgres (any registry,
// any tag).
func isPostgresImage(image string) bool {
	repo := image
	if i := strings.LastIndex(repo, "/"); i >= 0 {
		repo = repo[i+1:]
	}
	repo, _, _ = strings.Cut(repo, "@")
	repo, _, _ = strings.Cut(repo, ":")
	return repo == "postgres"
}
