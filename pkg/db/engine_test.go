package db

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/stack"
)

func TestImageEngine(t *testing.T) {
	for image, want := range map[string]Engine{
		"mariadb": MariaDB, "mariadb:10.11": MariaDB, "docker.io/library/mariadb:11@sha256:abc": MariaDB,
		"bitnami/mariadb:11.4": MariaDB, "lscr.io/linuxserver/mariadb:latest": MariaDB, "registry:5000/mariadb": MariaDB,
		"mysql:8.4": MySQL, "percona:8.0": MySQL, "percona/percona-server:8.0": MySQL, "bitnami/mysql": MySQL, "mysql/mysql-server:8.0": MySQL,
		"postgres:16": Postgres, "bitnami/postgresql": Postgres,
	} {
		if got, ok := imageEngine(image); !ok || got != want {
			t.Errorf("imageEngine(%q) = %v, %v; want %v", image, got, ok, want)
		}
	}
	for _, image := range []string{"", "nginx", "phpmyadmin", "mysqld-exporter", "wordpress", "myorg/mariadb-backup:1", "adminer"} {
		if e, ok := imageEngine(image); ok {
			t.Errorf("imageEngine(%q) = %v", image, e)
		}
	}
}

func TestParseEngine(t *testing.T) {
	for in, want := range map[string]Engine{"postgres": Postgres, "PostgreSQL": Postgres, "mariadb": MariaDB, " MySQL ": MySQL} {
		if got, err := ParseEngine(in); err != nil || got != want {
			t.Errorf("ParseEngine(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseEngine("oracle"); err == nil || !strings.Contains(err.Error(), `DB_ENGINE="oracle"`) {
		t.Errorf("ParseEngine(oracle): %v", err)
	}
	e := env.New()
	e.Set("DB_NAME", "shop", env.Source("test"))
	e.Set("DB_ENGINE", "sqlite", env.Source("test"))
	if _, _, err := ConfigFrom(e, t.TempDir()); err == nil {
		t.Error("DB_ENGINE=sqlite accepted")
	}
}

// locateIn writes a compose file and runs Locate with the variables.
func locateIn(t *testing.T, compose string, vars map[string]string) (Location, error) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(file, []byte(compose), 0o600); err != nil {
		t.Fatal(err)
	}
	e := env.New()
	e.Set("DB_NAME", "shop", env.Source("test"))
	for k, v := range vars {
		e.Set(k, v, env.Source("test"))
	}
	cfg, _, err := ConfigFrom(e, dir)
	if err != nil {
		t.Fatal(err)
	}
	st := stack.Stack{Name: "k20shop", Dir: dir, ComposeFile: file}
	return Locate(context.Background(), cfg, st, e, func() ([]string, error) { return []string{"docker", "compose"}, nil })
}

func TestLocateEngine(t *testing.T) {
	const both = "services:\n  app:\n    image: wordpress\n  db:\n    image: mariadb:10.11\n  pg:\n    image: postgres:16\n"
	for _, tc := range []struct {
		name, compose string
		vars          map[string]string
		mode          Mode
		engine        Engine
		service, err  string
	}{
		{"mariadb by image", "services:\n  app:\n    image: nextcloud\n  db:\n    image: mariadb:11\n", nil, Service, MariaDB, "db", ""},
		{"mysql by image", "services:\n  db:\n    image: mysql:8.4\n", nil, Service, MySQL, "db", ""},
		{"postgres by image", "services:\n  db:\n    image: postgres:16\n", nil, Service, Postgres, "db", ""},
		{"two engines ask for DB_SERVICE", both, nil, 0, 0, "", "several database services (db (mariadb:10.11), pg (postgres:16)): set DB_SERVICE"},
		{"DB_SERVICE names the mariadb one", both, map[string]string{"DB_SERVICE": "db"}, Service, MariaDB, "db", ""},
		{"DB_SERVICE names the postgres one", both, map[string]string{"DB_SERVICE": "pg"}, Service, Postgres, "pg", ""},
		{"DB_ENGINE picks among them", both, map[string]string{"DB_ENGINE": "mariadb"}, Service, MariaDB, "db", ""},
		{"DB_ENGINE=mysql on a mariadb image", "services:\n  db:\n    image: mariadb\n", map[string]string{"DB_ENGINE": "mysql"}, Service, MySQL, "db", ""},
		{"no database service: host, PostgreSQL", "services:\n  app:\n    image: nginx\n", nil, Host, Postgres, "", ""},
		{"host with DB_ENGINE", "services:\n  app:\n    image: nginx\n", map[string]string{"DB_ENGINE": "mariadb", "DB_HOST": "10.0.0.5"}, Host, MariaDB, "", ""},
		{"container: DB_ENGINE says", "services:\n  app:\n    image: nginx\n", map[string]string{"DB_CONTAINER": "maria", "DB_ENGINE": "mariadb"}, Container, MariaDB, "", ""},
		{"container without DB_ENGINE: PostgreSQL", "services:\n  app:\n    image: nginx\n", map[string]string{"DB_CONTAINER": "pg"}, Container, Postgres, "", ""},
	} {
		l, err := locateIn(t, tc.compose, tc.vars)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || l.Mode != tc.mode || l.Engine != tc.engine || l.Service != tc.service {
			t.Errorf("%s: %+v, %v", tc.name, l, err)
		}
	}
}

func TestMySQLArgvKeepsPasswordInEnvironment(t *testing.T) {
	cfg := Config{Name: "shop", User: "app", Password: "pa55-word", Host: "db.local", Port: "3307"}
	base := []string{"PATH=/bin", "MYSQL_PWD=stale", "PGPASSWORD=other"}
	for _, l := range []Location{
		{Mode: Host, Engine: MariaDB, cfg: cfg, hostTools: [2]string{"mariadb-dump", "mariadb"}},
		{Mode: Service, Engine: MariaDB, Service: "db", Compose: []string{"docker", "compose"}, cfg: cfg},
		{Mode: Container, Engine: MySQL, Container: "my", cfg: cfg},
	} {
		x := NewExport(cfg, l, Plain, testTime)
		if strings.Contains(strings.Join(x.Argv, " "), "pa55-word") {
			t.Errorf("%v: password in argv %q", l.Mode, x.Argv)
		}
		env := l.Env(base)
		if !slices.Contains(env, "MYSQL_PWD=pa55-word") || slices.Contains(env, "MYSQL_PWD=stale") {
			t.Errorf("%v: env %q", l.Mode, env)
		}
		if l.Mode != Host && !slices.Contains(x.Argv, MySQLPasswordVar) {
			t.Errorf("%v: no -e MYSQL_PWD in %q", l.Mode, x.Argv)
		}
		for _, line := range x.Describe() {
			if strings.Contains(line, "pa55-word") {
				t.Errorf("password in the dry run: %s", line)
			}
		}
	}
	host := NewExport(cfg, Location{Mode: Host, Engine: MariaDB, cfg: cfg, hostTools: [2]string{"mariadb-dump", "mariadb"}}, Zstd, testTime).Argv
	want := []string{"mariadb-dump", "-h", "db.local", "-P", "3307", "-u", "app", "--single-transaction", "--quick", "--routines", "--triggers", "--events", "--hex-blob", "--default-character-set=utf8mb4", "--no-tablespaces", "--", "shop"}
	if !slices.Equal(host, want) {
		t.Errorf("host argv = %q, want %q", host, want)
	}
	if c := (Location{Mode: Container, Engine: MySQL, Container: "my", cfg: cfg}); c.dumpTool() != "mysqldump" || c.clientTool() != "mysql" {
		t.Errorf("MySQL container tools: %s, %s", c.dumpTool(), c.clientTool())
	}
	if c := (Location{Mode: Service, Engine: MariaDB, cfg: cfg}); c.dumpTool() != "mariadb-dump" || c.clientTool() != "mariadb" {
		t.Errorf("MariaDB service tools: %s, %s", c.dumpTool(), c.clientTool())
	}
}

func TestQuoteMy(t *testing.T) {
	if got := QuoteMyIdent("a`b"); got != "`a``b`" {
		t.Errorf("QuoteMyIdent = %s", got)
	}
	if got := QuoteMyLiteral(`it's`); got != `'it''s'` {
		t.Errorf("QuoteMyLiteral = %s", got)
	}
	if got := QuoteMyLiteral(`a\'b`); got != `CONCAT('a', CHAR(92), '''b')` {
		t.Errorf("QuoteMyLiteral = %s", got)
	}
}

func TestMyCompleteLine(t *testing.T) {
	for in, want := range map[string]bool{
		"x;\n-- Dump completed on 2024-01-01 12:00:00\n":                            true,
		"x;\n-- Dump completed on 2026-12-06  4:23:25\n":                            true,
		"x;\n-- Dump completed\n":                                                   true,
		"x;\n-- Dump completed on 2024-01-01 12:00:00":                              false, // cut before the newline
		"x;\n-- Dump completed on 2024-01":                                          false,
		"x;\n-- Dump completed on 2024-01-01 12:00:00\nINSERT INTO t VALUES (1);\n": false,
		"-- PostgreSQL database dump complete\n":                                    false,
	} {
		tk := newTail(1024)
		tk.Write([]byte(in))
		if tk.myComplete() != want {
			t.Errorf("myComplete(%q) = %v", in, !want)
		}
	}
}

func TestMyHeaderDB(t *testing.T) {
	head := "/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB\n--\n-- Host: 127.0.0.1    Database: shop db\n-- ----\n"
	if got := myHeaderDB(bufio.NewReader(strings.NewReader(head)), Plain); got != "shop db" {
		t.Errorf("myHeaderDB = %q", got)
	}
}

var testTime = time.Date(2024, 5, 1, 3, 15, 7, 0, time.Local)
