package db

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/internal/mytest"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/retention"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// myFixture is what every MariaDB database of these tests starts with:
// columns of every family, a foreign key, a table without transactions,
// a view on a view, a trigger, a function, a procedure and an event.
const myFixture = `
CREATE TABLE parent (id INT PRIMARY KEY) ENGINE=InnoDB;
CREATE TABLE items (
  id INT PRIMARY KEY, pid INT NULL, body TEXT NOT NULL,
  t TINYINT, si SMALLINT, mi MEDIUMINT, bi BIGINT UNSIGNED, d DECIMAL(20,6), f FLOAT, db DOUBLE, bt BIT(12),
  dt DATE, tm TIME(3), dtm DATETIME(6), ts TIMESTAMP NULL, y YEAR,
  c CHAR(3), vc VARCHAR(100), bin BINARY(4), vb VARBINARY(64), bl BLOB, lt LONGTEXT,
  e ENUM('a','b'), st SET('x','y'), js JSON, g POINT NULL, u UUID NULL, i6 INET6 NULL,
  shout VARCHAR(200),
  FOREIGN KEY (pid) REFERENCES parent(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE counters (n INT) ENGINE=MyISAM;
CREATE TABLE notes (n INT) ENGINE=Aria;
INSERT INTO parent VALUES (1), (2);
INSERT INTO items (id, pid, body, t, si, mi, bi, d, f, db, bt, dt, tm, dtm, ts, y, c, vc, bin, vb, bl, lt, e, st, js, g, u, i6) VALUES
 (1, 1, 'plain', -1, 300, 70000, 18446744073709551615, 12345678901234.123456, 1.5, 2.25, b'101010101010', '2024-02-29', '12:34:56.789', '2024-01-01 00:00:00.123456', '2024-06-01 12:00:00', 2024,
  'abc', 'émoji 😀 ünïcode', 0x00FF10AB, 0x000102FEFF, 0x00010203FFFE, REPEAT('x', 70000), 'b', 'x,y', '{"k": [1, 2]}', POINT(1, 2), 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6', '::1'),
 (2, NULL, 'line1\nline2\ttab\\\\ back ''quote'' \\\\! touch MARKER', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, '\\\\connect other', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO counters VALUES (7);
CREATE VIEW item_ids AS SELECT id, body FROM items;
CREATE VIEW item_count AS SELECT COUNT(*) AS n FROM item_ids;
CREATE TRIGGER items_shout BEFORE INSERT ON items FOR EACH ROW SET NEW.shout = UPPER(NEW.body);
CREATE FUNCTION answer() RETURNS INT DETERMINISTIC RETURN 42;
DELIMITER ;;
CREATE PROCEDURE bump(IN k INT)
BEGIN
  UPDATE counters SET n = n + k;
  SELECT n FROM counters;
END;;
DELIMITER ;
CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY DO DELETE FROM items WHERE id < 0;
`

// myEnv is one test's database on the shared MariaDB server.
type myEnv struct {
	t   *testing.T
	srv *mytest.Server
	cfg Config
	dir string
}

func (e *myEnv) loc() Location { return Location{Mode: Host, Engine: MariaDB, cfg: e.cfg} }

func (e *myEnv) run(a plan.Action, rewrite func([]string) []string) (error, string) {
	return e.runCtx(context.Background(), a, rewrite)
}

func (e *myEnv) runCtx(ctx context.Context, a plan.Action, rewrite func([]string) []string) (error, string) {
	var out, errb bytes.Buffer
	var environ []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MYSQL_PWD=") {
			environ = append(environ, kv)
		}
	}
	ex := &plan.ActionEnv{
		Proc:  rewriteRunner{proc.OS{}, rewrite},
		Stack: &plan.Stack{Policy: trust.Current()},
		Cmd:   proc.Cmd{Dir: e.dir, Env: environ, Stdout: &out, Stderr: &errb},
	}
	err := a.Run(ctx, ex)
	return err, errb.String()
}

// state is a fingerprint of the data and of every object of the live
// database.
func (e *myEnv) state() string {
	return e.srv.MustSQL(e.t, e.cfg.Name, `SELECT CONCAT_WS('|',
 (SELECT MD5(GROUP_CONCAT(CONCAT_WS(',', id, pid, body, t, si, mi, bi, d, f, db, HEX(bt), dt, tm, dtm, ts, y, c, vc, HEX(bin), HEX(vb), HEX(bl), MD5(lt), e, st, js, ST_AsText(g), u, i6, shout) ORDER BY id SEPARATOR ';')) FROM items),
 (SELECT COUNT(*) FROM items), (SELECT n FROM counters), answer(),
 (SELECT GROUP_CONCAT(TABLE_NAME, ':', TABLE_TYPE ORDER BY TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()),
 (SELECT GROUP_CONCAT(TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()),
 (SELECT GROUP_CONCAT(ROUTINE_NAME ORDER BY ROUTINE_NAME) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()),
 (SELECT GROUP_CONCAT(EVENT_NAME) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()))`)
}

func (e *myEnv) export(f Format, at time.Time) (string, string) {
	e.t.Helper()
	x := NewExport(e.cfg, e.loc(), f, at)
	err, stderr := e.run(x, nil)
	if err != nil {
		e.t.Fatalf("export: %v\n%s", err, stderr)
	}
	return x.Path, stderr
}

func (e *myEnv) newImport(file string) *Import {
	e.t.Helper()
	x, err := NewImport(e.cfg, e.loc(), file, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return x
}

func (e *myEnv) databases() []string {
	out := e.srv.MustSQL(e.t, "", "SHOW DATABASES")
	return strings.Split(out, "\n")
}

// sideDBs are the databases beside the live one that imports made.
func (e *myEnv) sideDBs() []string {
	var out []string
	for _, d := range e.databases() {
		if strings.HasPrefix(d, e.cfg.Name+"__kompose_") {
			out = append(out, d)
		}
	}
	return out
}

// TestWithMariaDB runs the MariaDB tests of issue 20 against one real
// server (Debian's mariadb-server, started by the test) and the real
// mariadb-dump and mariadb client.
func TestWithMariaDB(t *testing.T) {
	if testing.Short() && !mytest.Required() {
		t.Skip("needs MariaDB; skipped in -short mode")
	}
	srv, err := mytest.Start(context.Background())
	mytest.Require(t, err)
	t.Cleanup(srv.Stop)
	n := 0
	setup := func(t *testing.T) *myEnv {
		n++
		name := fmt.Sprintf("m%d_shop", n)
		srv.MustSQL(t, "", "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
		srv.MustSQL(t, name, myFixture)
		t.Cleanup(func() {
			_, _ = srv.SQL(context.Background(), "", "DROP DATABASE IF EXISTS "+name)
		})
		dir := t.TempDir()
		return &myEnv{t: t, srv: srv, dir: dir, cfg: Config{Name: name, User: mytest.User, Password: mytest.Password,
			Host: srv.Host, Port: strconv.Itoa(srv.Port), DumpDir: dir, Engine: MariaDB, EngineSet: true}}
	}
	t.Run("RoundTripUndoCleanup", func(t *testing.T) { testMyRoundTrip(t, setup(t)) })
	t.Run("Compressed", func(t *testing.T) { testMyCompressed(t, setup(t)) })
	t.Run("Truncated", func(t *testing.T) { testMyTruncated(t, setup(t)) })
	t.Run("OtherDatabase", func(t *testing.T) { testMyOtherDatabase(t, setup(t)) })
	t.Run("ClientCommands", func(t *testing.T) { testMyClientCommands(t, setup(t)) })
	t.Run("NoSandbox", func(t *testing.T) { testMyNoSandbox(t, setup(t)) })
	t.Run("KilledLoad", func(t *testing.T) { testMyKilledLoad(t, setup(t)) })
	t.Run("FailedLoad", func(t *testing.T) { testMyFailedLoad(t, setup(t)) })
	t.Run("PasswordOnlyInEnvironment", func(t *testing.T) { testMyPassword(t, setup(t)) })
	t.Run("SwapLockedOut", func(t *testing.T) { testMySwapLockedOut(t, setup(t)) })
	t.Run("DiskFull", func(t *testing.T) { testMyDiskFull(t, setup(t)) })
	t.Run("LocalInfile", func(t *testing.T) { testMyLocalInfile(t, setup(t)) })
	t.Run("Verify", func(t *testing.T) { testMyVerify(t, setup(t)) })
	t.Run("VerifyFromRestic", func(t *testing.T) { testMyVerifyFromRestic(t, setup(t)) })
	for i := 0; i < 4; i++ {
		t.Run(fmt.Sprintf("HiddenUse%d", i), func(t *testing.T) { testMyHiddenUse(t, setup(t), i) })
	}
	t.Run("LoaderAccount", func(t *testing.T) { testMyLoaderAccount(t, setup(t)) })
	t.Run("LoaderRefused", func(t *testing.T) { testMyLoaderRefused(t, setup(t)) })
	t.Run("LoaderLimitedAdmin", func(t *testing.T) { testMyLoaderLimitedAdmin(t, setup(t)) })
}

// A dump with every column type, a view on a view, a trigger, a
// function, a procedure and an event loads back into the live database
// whole; the replaced data is kept, --undo swaps it back, db:cleanup
// drops it.
func testMyRoundTrip(t *testing.T, e *myEnv) {
	before := e.state()
	file, stderr := e.export(Plain, time.Now())
	if !strings.Contains(stderr, "not consistent: 2 table(s) have no transactions (Aria: notes; MyISAM: counters)") || strings.Count(stderr, "not consistent") != 1 {
		t.Errorf("export did not warn once about MyISAM and Aria:\n%s", stderr)
	}
	body, _ := os.ReadFile(file)
	if !bytes.Contains(body, []byte(myCompleteMarker)) || bytes.Contains(body, []byte("CREATE DATABASE")) || bytes.Contains(body, []byte("\nUSE ")) {
		t.Fatalf("dump:\n%s", body[:min(len(body), 2000)])
	}
	// The live data changes after the dump: the import brings it back.
	e.srv.MustSQL(t, e.cfg.Name, "DELETE FROM items WHERE id = 2; UPDATE counters SET n = 99; DROP VIEW item_count; DROP TRIGGER items_shout; CREATE TABLE extra (x INT); CREATE FUNCTION later() RETURNS INT RETURN 1;")
	changed := e.state()
	if changed == before {
		t.Fatal("the change changed nothing")
	}
	x := e.newImport(file)
	if x.Origin.DB != e.cfg.Name || x.Origin.Source != "its header" {
		t.Errorf("origin %+v", x.Origin)
	}
	if err, stderr := e.run(x, nil); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	if got := e.state(); got != before {
		t.Errorf("after import:\n got %s\nwant %s", got, before)
	}
	if got := e.srv.MustSQL(t, e.cfg.Name, "SELECT n FROM item_count"); got != "2" {
		t.Errorf("view on a view after import: %q", got)
	}
	// The trigger works on the live table again, and the procedure runs.
	e.srv.MustSQL(t, e.cfg.Name, "INSERT INTO items (id, body) VALUES (3, 'quiet')")
	if got := e.srv.MustSQL(t, e.cfg.Name, "SELECT shout FROM items WHERE id = 3"); got != "QUIET" {
		t.Errorf("trigger after import: %q", got)
	}
	if got := e.srv.MustSQL(t, e.cfg.Name, "CALL bump(1)"); got != "8" {
		t.Errorf("procedure after import: %q", got)
	}
	// The replaced data is kept whole, objects included, and recorded.
	side := e.sideDBs()
	if len(side) != 1 || !strings.Contains(side[0], previousInfix) || ReadKept(e.cfg) != side[0] {
		t.Fatalf("side databases %v, record %q", side, ReadKept(e.cfg))
	}
	kept := e.srv.MustSQL(t, side[0], "SELECT (SELECT n FROM counters), (SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()), later()")
	if kept != "99\tcounters,extra,items,item_ids,notes,parent\t1" {
		t.Errorf("kept database: %q", kept)
	}
	// --undo: the changed data is live again, the imported one kept.
	if err, stderr := e.run(NewUndo(e.cfg, e.loc(), time.Now().Add(time.Second), time.Minute), nil); err != nil {
		t.Fatalf("undo: %v\n%s", err, stderr)
	}
	if got := e.state(); got != changed {
		t.Errorf("after undo:\n got %s\nwant %s", got, changed)
	}
	if side := e.sideDBs(); len(side) != 1 || ReadKept(e.cfg) != side[0] {
		t.Fatalf("after undo: side databases %v, record %q", side, ReadKept(e.cfg))
	}
	// db:cleanup drops the kept database.
	c, err := NewCleanup(trust.Current(), e.cfg, retention.Policy{Last: 1}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c.KeptDB, c.Loc = ReadKept(e.cfg), e.loc()
	if err, stderr := e.run(c, nil); err != nil {
		t.Fatalf("cleanup: %v\n%s", err, stderr)
	}
	if side := e.sideDBs(); len(side) != 0 || ReadKept(e.cfg) != "" {
		t.Errorf("after cleanup: side databases %v, record %q", side, ReadKept(e.cfg))
	}
	// An import into a database that does not exist yet creates it.
	e.srv.MustSQL(t, "", "DROP DATABASE "+e.cfg.Name)
	if err, stderr := e.run(e.newImport(file), nil); err != nil {
		t.Fatalf("import into a missing database: %v\n%s", err, stderr)
	}
	if got := e.state(); got != before {
		t.Errorf("after import into a missing database:\n got %s\nwant %s", got, before)
	}
}

func testMyCompressed(t *testing.T, e *myEnv) {
	before := e.state()
	for i, f := range []Format{Gzip, Zstd} {
		file, _ := e.export(f, time.Now().Add(time.Duration(i)*time.Second))
		if !strings.HasSuffix(file, f.Ext()) {
			t.Fatalf("%s: %s", f, file)
		}
		e.srv.MustSQL(t, e.cfg.Name, "DELETE FROM items")
		if err, stderr := e.run(e.newImport(file), nil); err != nil {
			t.Fatalf("%s: import: %v\n%s", f, err, stderr)
		}
		if got := e.state(); got != before {
			t.Errorf("%s: after import:\n got %s\nwant %s", f, got, before)
		}
	}
}

// A dump cut anywhere, by a mariadb-dump (or docker exec) that still exits
// 0, never gets a dump's name; a truncated file is refused by the import
// before anything changes.
func testMyTruncated(t *testing.T, e *myEnv) {
	good, _ := e.export(Plain, time.Date(2024, 1, 1, 0, 0, 0, 0, time.Local))
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []Format{Plain, Gzip, Zstd} {
		for _, cut := range []int{len(data) / 2, len(data) - 20} {
			x := NewExport(e.cfg, e.loc(), f, time.Date(2024, 1, 2, 0, 0, 0, 0, time.Local))
			err, stderr := e.run(x, func(argv []string) []string {
				if argv[0] == "mariadb-dump" {
					return []string{"head", "-c", strconv.Itoa(cut), good}
				}
				return argv
			})
			if err == nil || !strings.Contains(err.Error(), "exited 0 but its output is not a complete dump") {
				t.Errorf("%s cut at %d: %v\n%s", f, cut, err, stderr)
			}
			if _, err := os.Stat(x.Path); err == nil {
				t.Errorf("%s cut at %d: wrote %s", f, cut, x.Path)
			}
			if entries, _ := os.ReadDir(filepath.Dir(x.Path)); len(entries) != 2 { // the good dump and the lock
				t.Errorf("%s cut at %d: left %v", f, cut, entries)
			}
		}
	}
	// A dump tool killed half-way (or a docker exec whose stream is cut
	// by a signal): no dump either, in any format.
	for _, f := range []Format{Plain, Zstd} {
		x := NewExport(e.cfg, e.loc(), f, time.Date(2024, 1, 2, 0, 0, 0, 0, time.Local))
		err, stderr := e.run(x, func(argv []string) []string {
			if argv[0] == "mariadb-dump" {
				return []string{"sh", "-c", `head -c 30000 "$0"; kill -KILL $$`, good}
			}
			return argv
		})
		if err == nil || !strings.Contains(err.Error(), "no dump written") {
			t.Errorf("%s killed: %v\n%s", f, err, stderr)
		}
		if _, err := os.Stat(x.Path); err == nil {
			t.Errorf("%s killed: wrote %s", f, x.Path)
		}
	}
	if entries, _ := os.ReadDir(e.dir); len(entries) != 2 {
		t.Errorf("killed exports left %v", entries)
	}
	before := e.state()
	cut := filepath.Join(e.dir, e.cfg.Name+"_20240103_000000.sql")
	if err := os.WriteFile(cut, data[:len(data)-20], 0o600); err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(e.dir, e.cfg.Name+"_20240104_000000.sql.gz")
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	if err := os.WriteFile(gz, b.Bytes()[:b.Len()-100], 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{cut, gz} {
		err, stderr := e.run(e.newImport(f), nil)
		if err == nil || !strings.Contains(err.Error(), "truncated") || !strings.Contains(err.Error(), "nothing was changed") {
			t.Errorf("%s: %v\n%s", f, err, stderr)
		}
	}
	if got := e.state(); got != before || len(e.sideDBs()) != 0 {
		t.Errorf("live data changed or side databases left: %v", e.sideDBs())
	}
}

// A dump that switches database (mariadb-dump --databases, or a USE
// added by hand) is refused before anything changes; a dump of another
// database is refused without --from-other-db.
func testMyOtherDatabase(t *testing.T, e *myEnv) {
	before := e.state()
	other := e.cfg.Name + "_other"
	e.srv.MustSQL(t, "", "CREATE DATABASE "+other)
	t.Cleanup(func() { _, _ = e.srv.SQL(context.Background(), "", "DROP DATABASE IF EXISTS "+other) })
	e.srv.MustSQL(t, other, "CREATE TABLE victim (x INT); INSERT INTO victim VALUES (1)")
	dump := func(args ...string) []byte {
		cmd := exec.Command("mariadb-dump", append([]string{"-h", e.srv.Host, "-P", strconv.Itoa(e.srv.Port), "-u", mytest.User}, args...)...)
		cmd.Env = append(os.Environ(), "MYSQL_PWD="+mytest.Password)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	withDatabases := filepath.Join(e.dir, "x_20240101_000000.sql")
	os.WriteFile(withDatabases, dump("--databases", other), 0o600)
	plain := dump(other)
	addedUse := filepath.Join(e.dir, "y_20240101_000000.sql")
	os.WriteFile(addedUse, bytes.Replace(plain, []byte("\n--\n"), []byte("\nUSE `"+other+"`;\nDROP TABLE victim;\n--\n"), 1), 0o600)
	for _, f := range []string{withDatabases, addedUse} {
		x := e.newImport(f)
		x.FromOther = true
		err, stderr := e.run(x, nil)
		if err == nil || !strings.Contains(err.Error(), "switches database") || !strings.Contains(err.Error(), "nothing was changed") {
			t.Errorf("%s: %v\n%s", filepath.Base(f), err, stderr)
		}
	}
	otherFile := filepath.Join(e.dir, e.cfg.Name+"_20240101_000000.sql") // named like ours, header says other
	os.WriteFile(otherFile, plain, 0o600)
	x := e.newImport(otherFile)
	if err := x.CheckOrigin(); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("a dump of database %q (its header)", other)) {
		t.Errorf("CheckOrigin: %v", err)
	}
	if got := e.state(); got != before || e.srv.MustSQL(t, other, "SELECT COUNT(*) FROM victim") != "1" || len(e.sideDBs()) != 0 {
		t.Errorf("something changed")
	}
}

// No client command in a dump runs: one at the start of a line is
// refused before anything changes; one inside a line reaches the client,
// which refuses it under --sandbox; the live data stays.
func testMyClientCommands(t *testing.T, e *myEnv) {
	before := e.state()
	good, _ := e.export(Plain, time.Date(2024, 1, 1, 0, 0, 0, 0, time.Local))
	data, _ := os.ReadFile(good)
	marker := filepath.Join(t.TempDir(), "MARKER")
	for i, inject := range []string{
		"\\! id > " + marker + "\n",
		"system touch " + marker + "\n",
		"SELECT 1; \\! touch " + marker + "\n",
		"SELECT 1; \\. /etc/passwd\n",
	} {
		f := filepath.Join(e.dir, fmt.Sprintf("%s_2024010%d_000000.sql", e.cfg.Name, i+2))
		os.WriteFile(f, bytes.Replace(data, []byte("\n--\n"), []byte("\n"+inject+"--\n"), 1), 0o600)
		err, stderr := e.run(e.newImport(f), nil)
		if err == nil || !(strings.Contains(err.Error(), "holds a client command") || strings.Contains(err.Error(), "refused a client command")) {
			t.Errorf("%q: %v\n%s", inject, err, stderr)
		}
		if _, serr := os.Stat(marker); serr == nil {
			t.Fatalf("%q ran", inject)
		}
		if got := e.state(); got != before || len(e.sideDBs()) != 0 {
			t.Fatalf("%q: live data changed, or side databases left: %v", inject, e.sideDBs())
		}
	}
}

// A client without --sandbox is refused before anything changes: it
// would obey \! in a dump.
func testMyNoSandbox(t *testing.T, e *myEnv) {
	before := e.state()
	file, _ := e.export(Plain, time.Now())
	old := `for a; do if [ "$a" = --sandbox ]; then echo "mariadb: unknown option '--sandbox'" >&2; exit 7; fi; done; exec mariadb "$@"`
	err, stderr := e.run(e.newImport(file), func(argv []string) []string {
		if argv[0] == "mariadb" {
			return append([]string{"sh", "-c", old, "sh"}, argv[1:]...)
		}
		return argv
	})
	var ns *NoSandboxError
	if err == nil || !strings.Contains(err.Error(), "it has no --sandbox") || !strings.Contains(err.Error(), "nothing was changed") {
		t.Errorf("%v (%T)\n%s", err, ns, stderr)
	}
	if got := e.state(); got != before || len(e.sideDBs()) != 0 {
		t.Errorf("live data changed, or side databases left: %v", e.sideDBs())
	}
}

// An import killed while it loads leaves the live database as it was and
// no scratch database.
func testMyKilledLoad(t *testing.T, e *myEnv) {
	e.srv.MustSQL(t, e.cfg.Name, "INSERT INTO items (id, body) SELECT seq + 10, REPEAT(MD5(seq), 5) FROM seq_1_to_5000")
	before := e.state()
	file, _ := e.export(Plain, time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The client gets the first 300 kB of the dump (some tables
	// loaded), then is killed, while kompose is interrupted (^C: the
	// runner's relay passes the signal to the client, which dies).
	partial := `head -c 300000 | "$@"; kill -KILL $$`
	err, stderr := e.runCtx(ctx, e.newImport(file), func(argv []string) []string {
		if slices.Contains(argv, "--local-infile=0") {
			cancel()
			return append([]string{"sh", "-c", partial, "sh"}, argv...)
		}
		return argv
	})
	if err == nil {
		t.Fatalf("a killed import succeeded:\n%s", stderr)
	}
	if got := e.state(); got != before {
		t.Errorf("live data changed by a killed import")
	}
	if got := e.loaderAccounts(); got != "NULL" {
		t.Errorf("a killed import left its loading account: %s", got)
	}
	if side := e.sideDBs(); len(side) != 0 {
		t.Errorf("left %v", side)
	}
}

// A dump that fails half-way through (an error in its SQL) leaves the
// live database as it was.
func testMyFailedLoad(t *testing.T, e *myEnv) {
	before := e.state()
	good, _ := e.export(Plain, time.Date(2024, 1, 1, 0, 0, 0, 0, time.Local))
	data, _ := os.ReadFile(good)
	i := bytes.Index(data, []byte("INSERT INTO `items`"))
	bad := slices.Concat(data[:i], []byte("DROP TABLE `parent`;\nINSERT INTO nowhere VALUES (1);\n"), data[i:])
	f := filepath.Join(e.dir, e.cfg.Name+"_20240105_000000.sql")
	os.WriteFile(f, bad, 0o600)
	err, stderr := e.run(e.newImport(f), nil)
	if err == nil || !strings.Contains(err.Error(), "mariadb stopped") || !strings.Contains(err.Error(), ":116: ERROR") && !strings.Contains(err.Error(), "at line 116") || !strings.Contains(err.Error(), "is unchanged") {
		t.Errorf("%v\n%s", err, stderr)
	}
	if got := e.state(); got != before || len(e.sideDBs()) != 0 {
		t.Errorf("live data changed, or side databases left: %v", e.sideDBs())
	}
}

// The password reaches the tools only in MYSQL_PWD: never in a process's
// arguments (checked in /proc/PID/cmdline of the running dump) nor in
// the output.
func testMyPassword(t *testing.T, e *myEnv) {
	var seen []string
	cmdlines := filepath.Join(t.TempDir(), "cmdline")
	file, _ := e.export(Plain, time.Now())
	// The database tools get MYSQL_PWD; zstd (compressing, verifying)
	// must not.
	spy := `cat /proc/$$/cmdline >> ` + cmdlines + `; echo >> ` + cmdlines + `; case "$1" in
*zstd) [ -z "$MYSQL_PWD" ] || { echo MYSQL_PWD given to zstd >&2; exit 8; } ;;
*) [ -n "$MYSQL_PWD" ] || { echo no MYSQL_PWD >&2; exit 9; } ;;
esac; exec "$@"`
	rewrite := func(argv []string) []string {
		seen = append(seen, strings.Join(argv, " "))
		return append([]string{"sh", "-c", spy + ` # "$@"`, "sh"}, argv...)
	}
	x := NewExport(e.cfg, e.loc(), Zstd, time.Now().Add(time.Second))
	err, stderr := e.run(x, rewrite)
	if err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	err, stderr2 := e.run(e.newImport(file), rewrite)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, stderr2)
	}
	procs, _ := os.ReadFile(cmdlines)
	if len(seen) < 5 || len(procs) == 0 {
		t.Fatalf("saw %d commands: %v", len(seen), seen)
	}
	for _, s := range append(seen, string(procs), stderr, stderr2, strings.Join(x.Describe(), "\n")) {
		if strings.Contains(s, mytest.Password) {
			t.Errorf("password in %q", s)
		}
	}
}

func testMyDiskFull(t *testing.T, e *myEnv) {
	if os.Geteuid() != 0 {
		if mytest.Required() {
			t.Fatal("mounting a small tmpfs needs root")
		}
		t.Skip("mounting a small tmpfs needs root")
	}
	dir := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount: %v %s", err, out)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, 0) })
	e.srv.MustSQL(t, e.cfg.Name, "INSERT INTO items (id, body) SELECT seq + 10, CONCAT(MD5(RAND()), MD5(RAND()), MD5(RAND()), MD5(RAND())) FROM seq_1_to_8000")
	e.cfg.DumpDir = dir
	for _, f := range []Format{Gzip, Zstd, Plain} {
		x := NewExport(e.cfg, e.loc(), f, time.Now())
		err, stderr := e.run(x, nil)
		want := "no space left on device in " + dir
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q\n%s", f, err, want, stderr)
		}
		entries, _ := os.ReadDir(dir)
		for _, en := range entries {
			if !strings.HasSuffix(en.Name(), ".lock") {
				t.Errorf("%s: left %s", f, en.Name())
			}
		}
	}
}

// A swap that cannot get the tables' locks (a transaction of the
// application holds them) gives up after lock_wait_timeout with the live
// database as it was: its triggers, views and data, and no side database.
func testMySwapLockedOut(t *testing.T, e *myEnv) {
	before := e.state()
	file, _ := e.export(Plain, time.Now())
	for _, hold := range []string{
		"SELECT COUNT(*) FROM items",    // blocks DROP TRIGGER on items
		"SELECT COUNT(*) FROM counters", // blocks only the RENAME (counters has no trigger)
	} {
		cmd := exec.Command("mariadb", "--no-defaults", "-S", e.srv.Socket, "-uroot", "--batch", "--unbuffered", "-N", e.cfg.Name)
		in, _ := cmd.StdinPipe()
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(in, "START TRANSACTION;\n%s;\n", hold)
		read := make(chan error, 1)
		go func() { _, err := out.Read(make([]byte, 64)); read <- err }()
		select { // the count is printed: the transaction holds its lock now
		case err := <-read:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatal("the session holding the lock did not answer")
		}
		x := e.newImport(file)
		x.SwapLockWait = time.Second
		err, stderr := e.run(x, nil)
		in.Close()
		_ = cmd.Wait()
		t.Logf("%s: %v", hold, err)
		if err == nil || !strings.Contains(err.Error(), "Lock wait timeout") || !strings.Contains(err.Error(), "is unchanged") || strings.Contains(err.Error(), "failed too") {
			t.Errorf("%s: %v\n%s", hold, err, stderr)
		}
		if got := e.state(); got != before {
			t.Errorf("%s: live database changed:\n got %s\nwant %s", hold, got, before)
		}
		if side := e.sideDBs(); len(side) != 0 {
			t.Errorf("%s: left %v", hold, side)
		}
	}
}

// A dump cannot make the client read a file of the machine it runs on
// (root's, in host mode) into the database: LOAD DATA LOCAL INFILE reads
// on the client's side, where kompose runs as root.
func testMyLocalInfile(t *testing.T, e *myEnv) {
	good, _ := e.export(Plain, time.Date(2024, 1, 1, 0, 0, 0, 0, time.Local))
	data, _ := os.ReadFile(good)
	secret := filepath.Join(t.TempDir(), "root-only")
	if err := os.WriteFile(secret, []byte("root-secret-line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inject := "CREATE TABLE leak (l TEXT);\nLOAD DATA LOCAL INFILE " + QuoteMyLiteral(secret) + " INTO TABLE leak;\n"
	f := filepath.Join(e.dir, e.cfg.Name+"_20240301_000000.sql")
	os.WriteFile(f, bytes.Replace(data, []byte("\n--\n"), []byte("\n"+inject+"--\n"), 1), 0o600)
	err, stderr := e.run(e.newImport(f), nil)
	for _, db := range append([]string{e.cfg.Name}, e.sideDBs()...) {
		got, _ := e.srv.SQL(context.Background(), db, "SELECT l FROM leak")
		if strings.Contains(got, "root-secret-line") {
			t.Errorf("the dump read %s into %s.leak (import: %v)\n%s", secret, db, err, stderr)
		}
	}
}

// A dump of one database cannot reach another one, not even the live
// database being replaced: a USE the client does not see as its own
// command (inside a line, in an executable comment, after a comment)
// still reaches the server, and --one-database only follows the client's
// own use command. Nothing may change outside the scratch database before
// the swap.
func testMyHiddenUse(t *testing.T, e *myEnv, only int) {
	good, _ := e.export(Plain, time.Date(2024, 1, 1, 0, 0, 0, 0, time.Local))
	data, _ := os.ReadFile(good)
	live := QuoteMyIdent(e.cfg.Name)
	for i, inject := range []string{
		"SELECT 1; USE " + live + ";\nDROP TABLE counters;\n",
		"/*!40101 USE " + live + " */;\nDROP TABLE counters;\n",
		"/* x */ USE " + live + ";\nDROP TABLE counters;\n",
		"DROP TABLE " + live + ".counters;\n",
	} {
		if i != only {
			continue
		}
		before := e.state()
		f := filepath.Join(e.dir, fmt.Sprintf("%s_2024020%d_000000.sql", e.cfg.Name, i+2))
		os.WriteFile(f, bytes.Replace(data, []byte("\n--\n"), []byte("\n"+inject+"--\n"), 1), 0o600)
		err, stderr := e.run(e.newImport(f), nil)
		if err == nil {
			t.Errorf("%q: imported\n%s", inject, stderr)
		}
		if got := e.srv.MustSQL(t, "", "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "+QuoteMyLiteral(e.cfg.Name)+" AND TABLE_NAME = 'counters'"); got != "1" {
			t.Errorf("%q: the live database lost its table counters before any swap (err %v)", inject, err)
		}
		if err != nil && e.state() != before {
			t.Errorf("%q: failed import changed the live data", inject)
		}
		if err != nil && !strings.Contains(err.Error(), "outside the scratch database") {
			t.Errorf("%q: the message does not say why: %v", inject, err)
		}
		if got := e.loaderAccounts(); got != "NULL" {
			t.Errorf("%q: loading accounts left: %s", inject, got)
		}
	}
}
