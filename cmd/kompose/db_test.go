package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/kompose-dev/kompose/internal/pgtest"
	"github.com/rogpeppe/go-internal/testscript"
)

// dbFixture is the database every db script starts with: 1000 items, a
// table referencing them, a view and a sequence.
const dbFixture = `
CREATE TABLE items (id serial PRIMARY KEY, body text NOT NULL);
CREATE TABLE tags (item int REFERENCES items(id), tag text);
CREATE VIEW item_tags AS SELECT i.id, t.tag FROM items i JOIN tags t ON t.item = i.id;
INSERT INTO items (body) SELECT md5(i::text) || E'\t''quoted''\n' FROM generate_series(1, 1000) i;
INSERT INTO tags SELECT id, 'tag' || (id % 7) FROM items;
`

// TestDBScripts runs the scripts in testdata/dbscripts against the real
// kompose binary, real pg_dump/psql/pg_restore and a real PostgreSQL
// server started for the test. Each script gets its own database (DB_NAME,
// with the fixture loaded) and the server's DB_HOST, DB_PORT, DB_USER,
// DB_PASSWORD in its environment; PGPASSWORD is not set, so only kompose
// can give the tools the password. testdata/dbbin/psqlt queries the
// database.
func TestDBScripts(t *testing.T) {
	if testing.Short() && !pgtest.Required() {
		t.Skip("database scripts skipped in -short mode")
	}
	ctx := context.Background()
	srv, err := pgtest.Start(ctx)
	pgtest.Require(t, err)
	t.Cleanup(srv.Stop)
	fakebin, err := filepath.Abs("testdata/fakebin")
	if err != nil {
		t.Fatal(err)
	}
	dbbin, err := filepath.Abs("testdata/dbbin")
	if err != nil {
		t.Fatal(err)
	}
	var realTools = map[string]string{}
	for _, tool := range []string{"pg_dump", "psql", "pg_restore"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatalf("%s: %v (scripts/install-deps.sh installs it)", tool, err)
		}
		realTools[tool] = p
	}
	var n atomic.Int32
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/dbscripts",
		Condition:           condition,
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			if err := setupFakeDocker(e, fakebin); err != nil {
				return err
			}
			name := fmt.Sprintf("t%d_news", n.Add(1))
			if _, err := srv.PSQL(ctx, "postgres", "CREATE DATABASE "+name); err != nil {
				return err
			}
			if _, err := srv.PSQL(ctx, name, dbFixture); err != nil {
				return err
			}
			e.Defer(func() {
				_, _ = srv.PSQL(ctx, "postgres", "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			})
			e.Setenv("PATH", dbbin+string(os.PathListSeparator)+e.Getenv("PATH"))
			e.Setenv("DB_NAME", name)
			e.Setenv("DB_HOST", srv.Host)
			e.Setenv("DB_PORT", strconv.Itoa(srv.Port))
			e.Setenv("DB_USER", pgtest.User)
			e.Setenv("DB_PASSWORD", pgtest.Password)
			e.Setenv("PGTEST_SECRET", pgtest.Password)
			for tool, p := range realTools {
				e.Setenv("REAL_"+tool, p)
			}
			return nil
		},
	})
}
