//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// dbUser is the DB_USER of every database fixture.
const dbUser = "kompose"

// The database fixtures: a PostgreSQL service of the local image, its
// cluster initialised from POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB,
// which compose interpolates from the stack's DB_* variables.
func pgService(name, volume string) string {
	return `  ` + name + `:
    image: {{postgres}}
    pull_policy: never
    network_mode: none
    stop_grace_period: 5s
    environment:
      POSTGRES_USER: ${DB_USER}
      POSTGRES_PASSWORD: ${DB_PASSWORD}
      POSTGRES_DB: ${DB_NAME}
    volumes: [` + volume + `:/var/lib/postgresql/data]
`
}

// dbHooks record the dump path the database hooks receive.
const dbHooks = `hook_pre_db_export() { echo "$*" > pre_db_export.arg; }
hook_post_db_export() { echo "$*" > post_db_export.arg; test -s "$1"; }
hook_pre_db_import() { echo "$*" > pre_db_import.arg; }
hook_post_db_import() { echo "$*" > post_db_import.arg; }
`

// seedSQL creates the rows the round trips compare.
const seedSQL = `CREATE TABLE items (id int PRIMARY KEY, title text NOT NULL, body text);
INSERT INTO items SELECT i, 'item ' || i, repeat(md5(i::text), 20) FROM generate_series(1, 2000) i;
INSERT INTO items VALUES (0, 'quotes '' " \ and ünïcödé', E'tab\there\nnewline');
`

// fingerprintSQL sums up the rows: equal fingerprints, equal rows.
const fingerprintSQL = `SELECT count(*) || ':' || md5(string_agg(id || '|' || title || '|' || coalesce(body, ''), ',' ORDER BY id)) FROM items;`

// psql runs SQL in the database of a service of stack with docker exec
// (not through kompose), as the stack's DB_USER, and returns the output.
func (e *env) psql(stack, service, db, sql string) string {
	e.t.Helper()
	c := e.container(stack, service)
	ctx, cancel := context.WithTimeout(e.ctx, dockerTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", "exec", "-i", c.ID, "psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-U", dbUser, "-d", db)
	cmd.Stdin = strings.NewReader(sql)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		e.t.Fatalf("psql in %s/%s: %v\n%s", stack, service, err, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

// dumps returns the dump files in a stack's folder.
func (e *env) dumps(stack, db string) []string {
	e.t.Helper()
	all, err := filepath.Glob(filepath.Join(e.root, stack, db+"_*"))
	if err != nil {
		e.t.Fatal(err)
	}
	return all
}

// noSecret fails when the password shows in a kompose run's output.
func (e *env) noSecret(r result, secret string) {
	e.t.Helper()
	if strings.Contains(r.stdout+r.stderr, secret) {
		e.t.Errorf("the password appears in kompose's output:\n%s", r)
	}
}

var dumpName = regexp.MustCompile(`^news_\d{8}_\d{6}\.sql$`)

// TestDatabaseFoundByImage: with DB_NAME and no DB_SERVICE, kompose finds
// the stack's PostgreSQL service by its image and runs pg_dump and psql in
// it (docker compose exec -T). Data round-trips through db:export and
// db:import; a truncated dump and a dump with a failing statement are
// refused, leaving the live rows intact and no scratch database behind.
func TestDatabaseFoundByImage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const password = "n3ws-pa55-w0rd"
	e.write("news/compose.yaml", "name: {{project}}\nservices:\n"+pgService("db", "pgdata")+
		idleService("app", "hello from news", "")+"volumes:\n  pgdata:\n")
	e.write("news/.env", "DB_NAME=news\nDB_USER=kompose\nDB_PASSWORD="+password+"\n")
	e.write("news/hooks.sh", dbHooks)

	r := e.kompose("news", "up", "-d", "--wait")
	e.mustExit(r, 0)
	e.psql("news", "db", "news", seedSQL)
	want := e.psql("news", "db", "news", fingerprintSQL)
	if !strings.HasPrefix(want, "2001:") {
		t.Fatalf("seeded %q, want 2001 rows", want)
	}

	r = e.kompose("news", "db:export", "--dry-run")
	e.mustExit(r, 0)
	if !strings.Contains(r.stdout, "runs on: service db (image "+postgresImage+")") {
		t.Errorf("the dry run does not say it runs in service db:\n%s", r)
	}
	e.noSecret(r, password)
	if got := e.dumps("news", "news"); len(got) != 0 {
		t.Fatalf("the dry run wrote %v", got)
	}

	r = e.kompose("news", "db:export")
	e.mustExit(r, 0)
	e.noSecret(r, password)
	dumps := e.dumps("news", "news")
	if len(dumps) != 1 || !dumpName.MatchString(filepath.Base(dumps[0])) {
		t.Fatalf("want one dump news_<date>_<time>.sql, got %v\n%s", dumps, r)
	}
	dump := dumps[0]
	if got := strings.TrimSpace(e.read("news/post_db_export.arg")); got != dump {
		t.Errorf("hook_post_db_export got %q, want %q", got, dump)
	}
	data, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("-- PostgreSQL database dump complete")) || bytes.Contains(data, []byte(password)) {
		t.Fatalf("%s is not a complete dump without the password (%d bytes)", dump, len(data))
	}

	// Change the live data, then import the dump: the rows are back.
	e.psql("news", "db", "news", "DELETE FROM items WHERE id > 1000; INSERT INTO items VALUES (99999, 'after the export', NULL);")
	changed := e.psql("news", "db", "news", fingerprintSQL)
	if changed == want {
		t.Fatal("the change did not change the fingerprint")
	}
	r = e.kompose("news", "db:import")
	e.mustExit(r, 0)
	e.noSecret(r, password)
	if got := e.psql("news", "db", "news", fingerprintSQL); got != want {
		t.Errorf("after db:import the rows are %q, want %q", got, want)
	}
	if got := strings.TrimSpace(e.read("news/pre_db_import.arg")); got != dump {
		t.Errorf("hook_pre_db_import got %q, want the newest dump %q", got, dump)
	}

	// Broken dumps: each is refused and the live rows stay as they are.
	e.psql("news", "db", "news", "INSERT INTO items VALUES (77777, 'live only', NULL);")
	live := e.psql("news", "db", "news", fingerprintSQL)
	broken := map[string][]byte{
		"truncated.sql": data[:len(data)/2],
		"failing.sql": bytes.Replace(data, []byte("COPY public.items"),
			[]byte("SELECT no_such_function();\nCOPY public.items"), 1),
		"garbage.sql.gz": append([]byte{0x1f, 0x8b, 8, 0}, bytes.Repeat([]byte("not gzip"), 100)...),
		// issue 17: a meta-command kompose's old scanner missed; psql in
		// the container refuses it under \restrict
		"news_20200101_000000.sql": bytes.Replace(data, []byte("COPY public.items"),
			[]byte("SELECT 1.E'\\'\n\\! touch /tmp/kompose-meta-marker\n;\nCOPY public.items"), 1),
	}
	for name, content := range broken {
		path := filepath.Join(e.root, "news", name)
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		r = e.kompose("news", "db:import", path)
		if r.code != 1 {
			t.Errorf("db:import of %s: want exit 1, got:\n%s", name, r)
		}
		e.noSecret(r, password)
		if got := e.psql("news", "db", "news", fingerprintSQL); got != live {
			t.Errorf("after a failed db:import of %s the live rows are %q, want %q", name, got, live)
		}
		if strings.Contains(e.read("news/post_db_import.arg"), name) {
			t.Errorf("hook_post_db_import ran for the failed import of %s", name)
		}
		if strings.HasPrefix(name, "news_") && (!strings.Contains(r.stderr, path+":") || !strings.Contains(r.stderr, "psql refused a meta-command")) {
			t.Errorf("db:import of %s: want psql's refusal naming the file, got:\n%s", name, r)
		}
	}
	if out, err := exec.Command("docker", "exec", e.container("news", "db").ID, "test", "-e", "/tmp/kompose-meta-marker").CombinedOutput(); err == nil {
		t.Errorf("the meta-command of the dump ran in the container %s", out)
	}
	// Only the data the successful import replaced is left beside news,
	// for db:import --undo.
	if got := e.psql("news", "db", "postgres", "SELECT string_agg(datname, ',') FROM pg_database WHERE datname LIKE 'news\\_\\_%';"); !regexp.MustCompile(`^news__kompose_previous_[0-9]{8}_[0-9]{6}$`).MatchString(got) {
		t.Errorf("databases beside news: %q, want the one kept by the import", got)
	}
	e.mustExit(e.kompose("news", "down", "-v"), 0)
}

// TestDatabaseServiceAndContainer: DB_SERVICE chooses one of two
// PostgreSQL services (without it kompose refuses to guess), and
// DB_CONTAINER runs the tools in a container of another project
// (docker exec -i); compressed and custom-format dumps round-trip.
func TestDatabaseServiceAndContainer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const password = "sh0p-pa55-w0rd"
	e.write("shop/compose.yaml", "name: {{project}}\nservices:\n"+pgService("primary", "primary")+pgService("analytics", "analytics")+
		"volumes:\n  primary:\n  analytics:\n")
	e.write("shop/.env", "DB_NAME=shop\nDB_USER=kompose\nDB_PASSWORD="+password+"\nDB_SERVICE=primary\n")
	e.write("shop/hooks.sh", dbHooks)
	r := e.kompose("shop", "up", "-d", "--wait")
	e.mustExit(r, 0)
	e.psql("shop", "primary", "shop", seedSQL)
	e.psql("shop", "analytics", "shop", "CREATE TABLE items (id int PRIMARY KEY, title text NOT NULL, body text);")
	want := e.psql("shop", "primary", "shop", fingerprintSQL)

	// Two PostgreSQL services and no DB_SERVICE: refused, nothing written.
	r = e.kompose("-e", "DB_SERVICE=", "shop", "db:export")
	if r.code == 0 || !strings.Contains(r.stderr, "DB_SERVICE") {
		t.Errorf("without DB_SERVICE: want a failure that names DB_SERVICE, got:\n%s", r)
	}
	if got := e.dumps("shop", "shop"); len(got) != 0 {
		t.Fatalf("a refused export wrote %v", got)
	}

	r = e.kompose("shop", "db:export", "--compress", "zstd")
	e.mustExit(r, 0)
	e.noSecret(r, password)
	dumps := e.dumps("shop", "shop")
	if len(dumps) != 1 || !strings.HasSuffix(dumps[0], ".sql.zst") {
		t.Fatalf("want one .sql.zst dump, got %v\n%s", dumps, r)
	}
	if zstd, err := exec.LookPath("zstd"); err == nil {
		if out, err := exec.Command(zstd, "-t", dumps[0]).CombinedOutput(); err != nil {
			t.Errorf("zstd -t %s: %v\n%s", dumps[0], err, out)
		}
	}
	e.psql("shop", "primary", "shop", "UPDATE items SET title = 'changed';")
	r = e.kompose("shop", "db:import", dumps[0])
	e.mustExit(r, 0)
	if got := e.psql("shop", "primary", "shop", fingerprintSQL); got != want {
		t.Errorf("after db:import of the zstd dump the rows are %q, want %q", got, want)
	}
	if got := e.psql("shop", "analytics", "shop", "SELECT count(*) FROM items;"); got != "0" {
		t.Errorf("the import touched the other PostgreSQL service: %s rows there", got)
	}

	// DB_CONTAINER: a stack of its own, with no PostgreSQL service, whose
	// database lives in the shop's analytics container.
	analytics := e.container("shop", "analytics").Name
	e.simpleStack("reports")
	e.write("reports/.env", "DB_NAME=shop\nDB_USER=kompose\nDB_PASSWORD="+password+"\nDB_CONTAINER="+analytics+"\nDB_DUMP_DIR=dumps\n")
	e.mustExit(e.kompose("reports", "up", "-d"), 0)
	dir := filepath.Join(e.root, "shop")
	before, _ := filepath.Glob(filepath.Join(dir, "shop_*"))
	time.Sleep(time.Second) // dump names have one-second resolution
	r = e.kompose("shop", "db:export", "--format", "custom")
	e.mustExit(r, 0)
	after, _ := filepath.Glob(filepath.Join(dir, "shop_*.dump"))
	if len(after) != 1 || len(before) != 1 {
		t.Fatalf("want one custom dump beside the zstd one, got %v (before: %v)", after, before)
	}
	r = e.kompose("reports", "db:import", after[0], "--dry-run")
	e.mustExit(r, 0)
	if !strings.Contains(r.stdout, "runs on: container "+analytics+" (DB_CONTAINER)") {
		t.Errorf("the dry run does not say it runs in container %s:\n%s", analytics, r)
	}
	r = e.kompose("reports", "db:import", after[0])
	e.mustExit(r, 0)
	e.noSecret(r, password)
	if got := e.psql("shop", "analytics", "shop", fingerprintSQL); got != want {
		t.Errorf("after db:import into the analytics container the rows are %q, want %q", got, want)
	}
	r = e.kompose("reports", "db:export")
	e.mustExit(r, 0)
	if got, _ := filepath.Glob(filepath.Join(e.root, "reports", "dumps", "shop_*.sql")); len(got) != 1 {
		t.Errorf("want one dump in reports/dumps (DB_DUMP_DIR), got %v", got)
	}
	e.mustExit(e.kompose("reports,shop", "down", "-v"), 0)
}

// TestTruncatedCustomDumpInContainer (issue 8, defect 1): a container-mode
// pg_dump -Fc whose stream stops halfway while docker exec exits 0 is not
// renamed into place nor reported ok, and the next db:cleanup --keep 1
// keeps the last good dump. The archive is read in full by pg_restore in
// the same container.
func TestTruncatedCustomDumpInContainer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const password = "v4ult-pa55-w0rd"
	e.write("vault/compose.yaml", `name: {{project}}
services:
  db:
    image: {{postgres}}
    pull_policy: never
    network_mode: none
    stop_grace_period: 5s
    environment:
      POSTGRES_USER: ${DB_USER}
      POSTGRES_PASSWORD: ${DB_PASSWORD}
      POSTGRES_DB: ${DB_NAME}
      PATH: /wrap:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/postgresql/15/bin
    volumes: ["./wrap:/wrap:ro"]
`)
	// pg_dump in the container: the real one, or, once /tmp/cut exists,
	// half of its output and exit status 0.
	wrapper := e.write("vault/wrap/pg_dump", `#!/bin/bash
real=$(ls /usr/lib/postgresql/*/bin/pg_dump | head -1)
if [ ! -e /tmp/cut ]; then exec "$real" "$@"; fi
"$real" "$@" > /tmp/full.dump || exit 0
head -c $(( $(stat -c %s /tmp/full.dump) / 2 )) /tmp/full.dump
exit 0
`)
	if err := os.Chmod(wrapper, 0o755); err != nil {
		t.Fatal(err)
	}
	e.write("vault/.env", "DB_NAME=vault\nDB_USER=kompose\nDB_PASSWORD="+password+"\n")
	e.mustExit(e.kompose("vault", "up", "-d", "--wait"), 0)
	e.psql("vault", "db", "vault", seedSQL)
	want := e.psql("vault", "db", "vault", fingerprintSQL)
	c := e.container("vault", "db")
	e.write("vault/.env", "DB_NAME=vault\nDB_USER=kompose\nDB_PASSWORD="+password+"\nDB_CONTAINER="+c.Name+"\n")

	r := e.kompose("vault", "db:export", "--format", "custom")
	e.mustExit(r, 0)
	good := e.dumps("vault", "vault")
	if len(good) != 1 || !strings.HasSuffix(good[0], ".dump") {
		t.Fatalf("want one custom dump, got %v\n%s", good, r)
	}
	goodData, err := os.ReadFile(good[0])
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(e.ctx, dockerTimeout)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "docker", "exec", c.ID, "touch", "/tmp/cut").CombinedOutput(); err != nil {
		t.Fatalf("docker exec touch: %v\n%s", err, out)
	}
	time.Sleep(time.Second) // a dump name of its own
	r = e.kompose("vault", "db:export", "--format", "custom")
	if r.code != 1 || !strings.Contains(r.stderr, "pg_dump (in container "+c.Name+") exited 0 but its output is not a complete dump") ||
		strings.Contains(r.stderr, "    wrote ") {
		t.Errorf("a half archive: want exit 1 saying it is incomplete, got:\n%s", r)
	}
	e.noSecret(r, password)
	entries, _ := os.ReadDir(filepath.Join(e.root, "vault"))
	for _, en := range entries {
		if strings.HasSuffix(en.Name(), ".partial") {
			t.Errorf("left %s", en.Name())
		}
	}
	if got := e.dumps("vault", "vault"); len(got) != 1 || got[0] != good[0] {
		t.Fatalf("after the half export the dumps are %v, want only %s", got, good[0])
	}

	e.mustExit(e.kompose("vault", "db:cleanup", "--keep", "1"), 0)
	data, err := os.ReadFile(good[0])
	if err != nil || !bytes.Equal(data, goodData) {
		t.Fatalf("db:cleanup --keep 1 lost the last good dump: %v", err)
	}
	e.psql("vault", "db", "vault", "DELETE FROM items WHERE id > 100;")
	e.mustExit(e.kompose("vault", "db:import"), 0)
	if got := e.psql("vault", "db", "vault", fingerprintSQL); got != want {
		t.Errorf("after importing the good dump the rows are %q, want %q", got, want)
	}
	e.mustExit(e.kompose("vault", "down", "-v"), 0)
}
