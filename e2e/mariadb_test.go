//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// mariadbImage is MariaDB 10.11 from Debian's packages, built by
// scripts/build-images.sh with an entrypoint like the official image's.
const mariadbImage = "kompose-test/mariadb:10.11"

// myService is a MariaDB service of the local image, initialised from
// the stack's DB_* variables (the root password is DB_PASSWORD: imports
// create side databases, which the official images' MARIADB_USER may
// not).
func myService(name, volume string) string {
	return `  ` + name + `:
    image: {{mariadb}}
    pull_policy: never
    network_mode: none
    stop_grace_period: 10s
    environment:
      MARIADB_ROOT_PASSWORD: ${DB_PASSWORD}
      MARIADB_DATABASE: ${DB_NAME}
    volumes: [` + volume + `:/var/lib/mysql]
`
}

const mySeedSQL = `CREATE TABLE items (id INT PRIMARY KEY, title VARCHAR(100) NOT NULL, body TEXT, shout VARCHAR(100)) DEFAULT CHARSET=utf8mb4;
INSERT INTO items (id, title, body) SELECT seq, CONCAT('item ', seq), REPEAT(MD5(seq), 20) FROM seq_1_to_2000;
INSERT INTO items (id, title, body) VALUES (0, 'quotes '' " \\ and ünïcödé 😀', 'tab\there\nnewline');
CREATE VIEW titles AS SELECT id, title FROM items;
CREATE TRIGGER items_shout BEFORE INSERT ON items FOR EACH ROW SET NEW.shout = UPPER(NEW.title);
CREATE FUNCTION answer() RETURNS INT DETERMINISTIC RETURN 42;
`

// myFingerprintSQL sums up the rows and the objects.
const myFingerprintSQL = `SET SESSION group_concat_max_len = 100000000;
SELECT CONCAT(COUNT(*), ':', MD5(GROUP_CONCAT(id, '|', title, '|', IFNULL(body, '') ORDER BY id SEPARATOR ',')), ':',
  (SELECT COUNT(*) FROM titles), ':', answer(),
  ':', (SELECT GROUP_CONCAT(TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE())) FROM items;`

// mysql runs SQL as root in database db of a MariaDB service with docker
// exec (not through kompose); the password travels in MYSQL_PWD.
func (e *env) mysql(stack, service, password, db, sql string) string {
	e.t.Helper()
	c := e.container(stack, service)
	ctx, cancel := context.WithTimeout(e.ctx, dockerTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", "exec", "-i", "-e", "MYSQL_PWD", c.ID, "mariadb", "-uroot", "-N", "--batch", "--default-character-set=utf8mb4", db)
	cmd.Env = append(os.Environ(), "MYSQL_PWD="+password)
	cmd.Stdin = strings.NewReader(sql)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		e.t.Fatalf("mariadb in %s/%s: %v\n%s", stack, service, err, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

// TestMariaDBServiceAndContainer (issue 20): a stack whose database
// service is MariaDB is found by its image; db:export dumps it with
// mariadb-dump in the service, db:import loads it back through a scratch
// database and one RENAME TABLE (view, trigger and function included),
// --undo swaps back; a truncated dump and one with a client command are
// refused with the live rows intact and nothing run in the container;
// the report and the metrics name the engine and a MyISAM table; a
// restore drill (db:verify) passes in the service, recorded in status;
// DB_CONTAINER with DB_ENGINE=mariadb runs the tools in a container of
// another stack.
func TestMariaDBServiceAndContainer(t *testing.T) {
	t.Parallel()
	requireImage(t, mariadbImage)
	e := newEnv(t)
	const password = "m4ria-pa55-w0rd"
	e.write("shop/compose.yaml", "name: {{project}}\nservices:\n"+myService("db", "mydata")+
		idleService("app", "hello from shop", "")+"volumes:\n  mydata:\n")
	e.write("shop/.env", "DB_NAME=shop\nDB_USER=root\nDB_PASSWORD="+password+"\n")
	e.write("shop/hooks.sh", dbHooks)
	e.mustExit(e.kompose("shop", "up", "-d", "--wait"), 0)
	e.mysql("shop", "db", password, "shop", mySeedSQL)
	want := e.mysql("shop", "db", password, "shop", myFingerprintSQL)
	if !strings.HasPrefix(want, "2001:") || !strings.HasSuffix(want, ":2001:42:items_shout") {
		t.Fatalf("seeded %q", want)
	}

	r := e.kompose("shop", "db:export", "--dry-run")
	e.mustExit(r, 0)
	if !strings.Contains(r.stdout, "runs on: mariadb, service db (image "+mariadbImage+")") || !strings.Contains(r.stdout, "passed as MYSQL_PWD in the environment only") {
		t.Errorf("the dry run does not say it runs in the MariaDB service:\n%s", r)
	}
	e.noSecret(r, password)

	r = e.kompose("shop", "db:export", "--compress", "zstd")
	e.mustExit(r, 0)
	e.noSecret(r, password)
	dumps := e.dumps("shop", "shop")
	if len(dumps) != 1 || !regexp.MustCompile(`^shop_\d{8}_\d{6}\.sql\.zst$`).MatchString(filepath.Base(dumps[0])) {
		t.Fatalf("want one dump shop_<date>_<time>.sql.zst, got %v\n%s", dumps, r)
	}
	dump := dumps[0]
	if got := strings.TrimSpace(e.read("shop/post_db_export.arg")); got != dump {
		t.Errorf("hook_post_db_export got %q, want %q", got, dump)
	}

	e.mysql("shop", "db", password, "shop", "DELETE FROM items WHERE id > 1000; DROP VIEW titles; DROP TRIGGER items_shout;")
	changed := e.mysql("shop", "db", password, "shop", "SELECT COUNT(*) FROM items")
	r = e.kompose("shop", "db:import")
	e.mustExit(r, 0)
	e.noSecret(r, password)
	if got := e.mysql("shop", "db", password, "shop", myFingerprintSQL); got != want {
		t.Errorf("after db:import: %q, want %q", got, want)
	}
	e.mysql("shop", "db", password, "shop", "INSERT INTO items (id, title) VALUES (5000, 'quiet')")
	if got := e.mysql("shop", "db", password, "shop", "SELECT shout FROM items WHERE id = 5000"); got != "QUIET" {
		t.Errorf("the trigger does not work after the import: %q", got)
	}

	// Broken dumps: refused, the live rows stay, nothing runs.
	live := e.mysql("shop", "db", password, "shop", myFingerprintSQL)
	zr := exec.Command("zstd", "-dc", dump)
	data, err := zr.Output()
	if err != nil {
		t.Fatalf("zstd -dc %s: %v", dump, err)
	}
	broken := map[string][]byte{
		"shop_20200101_000000.sql": data[:len(data)/2],
		"shop_20200102_000000.sql": bytes.Replace(data, []byte("\n--\n"), []byte("\nSELECT 1; \\! touch /tmp/kompose-my-marker\n--\n"), 1),
		"shop_20200103_000000.sql": bytes.Replace(data, []byte("\n--\n"), []byte("\nUSE mysql;\n--\n"), 1),
		// A USE the line check does not see: the loading account stops it.
		"shop_20200104_000000.sql": bytes.Replace(data, []byte("\n--\n"), []byte("\n/*!40101 USE `shop` */;\nDROP TABLE items;\n--\n"), 1),
	}
	for name, content := range broken {
		path := filepath.Join(e.root, "shop", name)
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		r = e.kompose("shop", "db:import", path)
		if r.code != 1 {
			t.Errorf("db:import of %s: want exit 1, got:\n%s", name, r)
		}
		e.noSecret(r, password)
		if got := e.mysql("shop", "db", password, "shop", myFingerprintSQL); got != live {
			t.Errorf("after a failed db:import of %s: %q, want %q", name, got, live)
		}
		why := map[string]string{"shop_20200101_000000.sql": "is truncated", "shop_20200102_000000.sql": "refused a client command in the dump", "shop_20200103_000000.sql": "switches database", "shop_20200104_000000.sql": "outside the scratch database"}[name]
		if !strings.Contains(r.stderr, why) {
			t.Errorf("db:import of %s: want %q, got:\n%s", name, why, r)
		}
		os.Remove(path)
	}
	if out, err := exec.Command("docker", "exec", e.container("shop", "db").ID, "test", "-e", "/tmp/kompose-my-marker").CombinedOutput(); err == nil {
		t.Errorf("the client command of the dump ran in the container %s", out)
	}
	if got := e.mysql("shop", "db", password, "", "SELECT GROUP_CONCAT(SCHEMA_NAME) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'shop\\_\\_%'"); !regexp.MustCompile(`^shop__kompose_previous_[0-9]{8}_[0-9]{6}$`).MatchString(got) {
		t.Errorf("databases beside shop: %q, want the one kept by the import", got)
	}

	noLoader := func(mode string) {
		t.Helper()
		if got := e.mysql("shop", "db", password, "", `SELECT COUNT(*) FROM mysql.user WHERE User LIKE 'kompose\_load\_%'`); got != "0" {
			t.Errorf("%s: %s loading accounts left", mode, got)
		}
	}
	noLoader("service mode")

	// --undo: the changed data is back.
	r = e.kompose("shop", "db:import", "--undo")
	e.mustExit(r, 0)
	if got := e.mysql("shop", "db", password, "shop", "SELECT COUNT(*) FROM items"); got != changed {
		t.Errorf("after --undo %s rows, want %s", got, changed)
	}

	// The engine and the tables without transactions in the report and
	// the metrics; a restore drill in the service (issue 20's db:verify
	// for MariaDB): it passes, leaves no throwaway, is recorded in
	// status, and never prints the password.
	e.mysql("shop", "db", password, "shop", "CREATE TABLE hits (n INT) ENGINE=MyISAM; INSERT INTO hits VALUES (1), (2);")
	report, prom := filepath.Join(t.TempDir(), "report.json"), filepath.Join(t.TempDir(), "kompose.prom")
	time.Sleep(time.Second) // dump names have one-second resolution
	r = e.kompose("--report", report, "--metrics-file", prom, "shop", "db:export")
	e.mustExit(r, 0)
	if b, _ := os.ReadFile(report); !strings.Contains(string(b), `"database": {`) || !strings.Contains(string(b), `"engine": "mariadb"`) || !strings.Contains(string(b), `"MyISAM: hits"`) {
		t.Errorf("the report does not name the engine and the MyISAM table:\n%s", b)
	}
	r = e.kompose("--metrics-file", prom, "shop", "db:verify")
	e.mustExit(r, 0)
	e.noSecret(r, password)
	if n, _ := strconv.Atoi(changed); !strings.Contains(r.stderr, fmt.Sprintf("it loads into a throwaway database without error; 2 table(s), %d row(s), as the dump declares", n+2)) {
		t.Errorf("db:verify:\n%s", r)
	}
	if got := e.mysql("shop", "db", password, "", "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '%kompose\\_verify%'"); got != "0" {
		t.Errorf("%s throwaway database(s) left", got)
	}
	metrics, _ := os.ReadFile(prom)
	for _, want := range []string{`kompose_db_info{stack="shop",engine="mariadb"} 1`, `kompose_db_not_transactional_tables{stack="shop",command="db:export"} 1`, `kompose_last_verified_timestamp_seconds{stack="shop",command="db:verify"}`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s:\n%s", want, metrics)
		}
	}
	r = e.kompose("shop", "status")
	if !regexp.MustCompile(`mariadb: \S+ ago, .*, verified \S+ ago`).MatchString(r.stdout) {
		t.Errorf("status does not show the engine and the drill:\n%s", r)
	}

	// DB_CONTAINER: another stack whose database is in shop's container.
	db := e.container("shop", "db").Name
	e.simpleStack("reports")
	e.write("reports/.env", "DB_ENGINE=mariadb\nDB_NAME=shop\nDB_USER=root\nDB_PASSWORD="+password+"\nDB_CONTAINER="+db+"\nDB_DUMP_DIR=dumps\n")
	r = e.kompose("reports", "db:export", "--dry-run")
	e.mustExit(r, 0)
	if !strings.Contains(r.stdout, "runs on: mariadb, container "+db+" (DB_CONTAINER)") {
		t.Errorf("the dry run does not say it runs in container %s:\n%s", db, r)
	}
	time.Sleep(time.Second) // dump names have one-second resolution
	r = e.kompose("reports", "db:export", "--compress", "gzip")
	e.mustExit(r, 0)
	e.noSecret(r, password)
	got, _ := filepath.Glob(filepath.Join(e.root, "reports", "dumps", "shop_*.sql.gz"))
	if len(got) != 1 {
		t.Fatalf("want one dump in reports/dumps, got %v\n%s", got, r)
	}
	e.mysql("shop", "db", password, "shop", "DELETE FROM items")
	r = e.kompose("reports", "db:import")
	e.mustExit(r, 0)
	if got := e.mysql("shop", "db", password, "shop", "SELECT COUNT(*) FROM items"); got != changed {
		t.Errorf("after db:import in container mode %s rows, want %s", got, changed)
	}
	noLoader("container mode")
	e.mustExit(e.kompose("reports", "db:cleanup"), 0)
	e.mustExit(e.kompose("shop", "down", "-v"), 0)
}

// requireImage skips (fails under KOMPOSE_REQUIRE_ALL=1) a test whose
// image scripts/build-images.sh has not built.
func requireImage(t *testing.T, image string) {
	t.Helper()
	if _, err := dockerOut(context.Background(), "image", "inspect", "--format", "{{.Id}}", image); err != nil {
		if os.Getenv(requireVar) == "1" {
			t.Fatalf("the image %s is missing (scripts/build-images.sh builds it)", image)
		}
		t.Skipf("the image %s is missing (scripts/build-images.sh builds it)", image)
	}
}
