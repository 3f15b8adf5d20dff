package db

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/internal/pgtest"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/retention"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// pgFixture is what every database of these tests starts with.
const pgFixture = `
CREATE TABLE items (id int PRIMARY KEY, body text NOT NULL);
INSERT INTO items SELECT i, md5(i::text) FROM generate_series(1, 2000) i;
INSERT INTO items VALUES (0, E'\\! touch MARKER'), (-1, E'\\\\connect postgres');
CREATE FUNCTION shout() RETURNS text LANGUAGE sql AS $body$
SELECT '
\! touch MARKER
'::text
$body$;
`

// pgEnv is one test's database on the shared server.
type pgEnv struct {
	t   *testing.T
	srv *pgtest.Server
	cfg Config
	dir string
}

func (e *pgEnv) loc() Location { return Location{Mode: Host, cfg: e.cfg} }

// run runs an action as the runner would, with argv rewritten by rewrite
// (nil: unchanged); it returns the action's error and its stderr.
func (e *pgEnv) run(a plan.Action, rewrite func([]string) []string) (error, string) {
	var out, errb bytes.Buffer
	var environ []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PGPASSWORD=") {
			environ = append(environ, kv)
		}
	}
	ex := &plan.ActionEnv{
		Proc:  rewriteRunner{proc.OS{}, rewrite},
		Stack: &plan.Stack{Policy: trust.Current()},
		Cmd:   proc.Cmd{Dir: e.dir, Env: environ, Stdout: &out, Stderr: &errb},
	}
	err := a.Run(context.Background(), ex)
	return err, errb.String()
}

type rewriteRunner struct {
	proc.OS
	rewrite func([]string) []string
}

func (r rewriteRunner) Run(ctx context.Context, c proc.Cmd) error {
	if r.rewrite != nil {
		c.Argv = r.rewrite(c.Argv)
	}
	return r.OS.Run(ctx, c)
}

func (e *pgEnv) count() string {
	return e.srv.MustPSQL(e.t, e.cfg.Name, "SELECT count(*) || ':' || md5(string_agg(body, ',' ORDER BY id)) FROM items")
}

func (e *pgEnv) export(f Format, at time.Time) string {
	e.t.Helper()
	x := NewExport(e.cfg, e.loc(), f, at)
	if err, stderr := e.run(x, nil); err != nil {
		e.t.Fatalf("export: %v\n%s", err, stderr)
	}
	return x.Path
}

func (e *pgEnv) importFile(file string) (error, string) {
	x, err := NewImport(e.cfg, e.loc(), file, time.Now())
	if err != nil {
		return err, ""
	}
	return e.run(x, nil)
}

// TestWithPostgres runs the database tests of issue 8 against a real
// server and the real pg_dump, psql and pg_restore.
func TestWithPostgres(t *testing.T) {
	if testing.Short() && !pgtest.Required() {
		t.Skip("needs PostgreSQL; skipped in -short mode")
	}
	srv, err := pgtest.Start(context.Background())
	pgtest.Require(t, err)
	t.Cleanup(srv.Stop)
	n := 0
	setup := func(t *testing.T) *pgEnv {
		n++
		name := fmt.Sprintf("d%d_news", n)
		srv.MustPSQL(t, "postgres", "CREATE DATABASE "+name)
		srv.MustPSQL(t, name, pgFixture)
		t.Cleanup(func() {
			_, _ = srv.PSQL(context.Background(), "postgres", "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		})
		dir := t.TempDir()
		return &pgEnv{t: t, srv: srv, dir: dir, cfg: Config{Name: name, User: pgtest.User, Password: pgtest.Password,
			Host: srv.Host, Port: strconv.Itoa(srv.Port), DumpDir: dir}}
	}
	t.Run("SameSecond", func(t *testing.T) { testSameSecond(t, setup(t)) })
	t.Run("TruncatedCustomArchive", func(t *testing.T) { testTruncatedCustom(t, setup(t)) })
	t.Run("MetaCommands", func(t *testing.T) { testMetaCommands(t, setup(t)) })
	t.Run("MetaAttacks", func(t *testing.T) { testMetaAttacks(t, setup(t)) })
	t.Run("OldPsql", func(t *testing.T) { testOldPsql(t, setup(t)) })
	t.Run("OtherDBAndUndo", func(t *testing.T) { testOtherDBAndUndo(t, setup(t)) })
	t.Run("CompressedCustomArchive", func(t *testing.T) { testCompressedCustom(t, setup(t)) })
	t.Run("DiskFull", func(t *testing.T) { testDiskFull(t, setup(t)) })
	t.Run("Offsite", func(t *testing.T) { testOffsite(t, setup(t)) })
	t.Run("Age", func(t *testing.T) { testAge(t, setup(t)) })
	t.Run("Verify", func(t *testing.T) { testVerify(t, setup(t)) })
}

// Issue 8, defect 6: two exports in the same second both succeed, with
// distinct names; the newest is the suffixed one for db:import and
// db:cleanup.
func testSameSecond(t *testing.T, e *pgEnv) {
	at := time.Date(2024, 5, 1, 3, 15, 7, 0, time.Local)
	first := e.export(Plain, at)
	second := e.export(Zstd, at) // a manual export right after the cron one
	if filepath.Base(first) != e.cfg.Name+"_20240501_031507.sql" || filepath.Base(second) != e.cfg.Name+"_20240501_031507_2.sql.zst" {
		t.Fatalf("names %s and %s", first, second)
	}
	// Two runs planned in the same second before either ran: the second
	// to run takes the next name instead of failing.
	x3 := NewExport(e.cfg, e.loc(), Plain, at)
	x4 := NewExport(e.cfg, e.loc(), Custom, at)
	if err, stderr := e.run(x3, nil); err != nil {
		t.Fatalf("third: %v\n%s", err, stderr)
	}
	err, stderr := e.run(x4, nil)
	if err != nil {
		t.Fatalf("fourth: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "_20240501_031507_4.dump") {
		t.Errorf("fourth export: %s", stderr)
	}
	newest, err := ResolveFile(e.cfg, "", "")
	if err != nil || filepath.Base(newest) != e.cfg.Name+"_20240501_031507_4.dump" {
		t.Errorf("newest = %s, %v", newest, err)
	}
	c, err := NewCleanup(trust.Current(), e.cfg, retention.Policy{Last: 1}, at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Kept) != 1 || c.Kept[0].Path != newest || len(c.Remove) != 3 {
		t.Errorf("cleanup keeps %v, removes %v", c.Kept, c.Remove)
	}
	for _, f := range []string{first, second} {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
}

// Issue 8, defect 1: a custom archive cut anywhere, by a pg_dump (or a
// docker exec) that still exits 0, never gets a dump's name.
func testTruncatedCustom(t *testing.T, e *pgEnv) {
	good := e.export(Custom, time.Date(2024, 1, 1, 0, 0, 0, 0, time.Local))
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	size := len(data)
	cuts := []int{size / 10, size / 3, size / 2, size - 4096, size - 200}
	for i := 1; i <= 40; i++ {
		cuts = append(cuts, size-i)
	}
	for _, cut := range cuts {
		if cut <= 5 {
			continue
		}
		at := time.Date(2024, 1, 2, 0, 0, 0, 0, time.Local)
		x := NewExport(e.cfg, e.loc(), Custom, at)
		err, stderr := e.run(x, func(argv []string) []string {
			if argv[0] == "pg_dump" {
				return []string{"head", "-c", strconv.Itoa(cut), good}
			}
			return argv
		})
		if err == nil || !strings.Contains(err.Error(), "exited 0 but its output is not a complete dump") {
			t.Errorf("cut at %d of %d: %v\n%s", cut, size, err, stderr)
		}
		if _, serr := os.Stat(x.Path); serr == nil {
			t.Fatalf("cut at %d of %d: %s was written", cut, size, x.Path)
		}
	}
	dumps, _ := List(e.dir, e.cfg.Name)
	if len(dumps) != 1 || dumps[0].Path != good {
		t.Errorf("dumps: %v", dumps)
	}
	entries, _ := os.ReadDir(e.dir)
	for _, en := range entries {
		if strings.HasSuffix(en.Name(), ".partial") {
			t.Errorf("left %s", en.Name())
		}
	}
}

// Issue 8, defect 5: a plain dump with psql meta-commands is refused,
// naming the line, before anything changes; the same data in real dumps
// (backslashes in COPY data and in a function body) imports.
func testMetaCommands(t *testing.T, e *pgEnv) {
	before := e.count()
	marker := filepath.Join(e.dir, "MARKER")
	plain := e.export(Plain, time.Date(2024, 1, 1, 0, 0, 0, 0, time.Local))
	gz := e.export(Gzip, time.Date(2024, 1, 1, 0, 0, 1, 0, time.Local))
	custom := e.export(Custom, time.Date(2024, 1, 1, 0, 0, 2, 0, time.Local))
	for _, f := range []string{plain, gz, custom} {
		e.srv.MustPSQL(t, e.cfg.Name, "DELETE FROM items WHERE id > 1000")
		if err, stderr := e.importFile(f); err != nil {
			t.Fatalf("import %s: %v\n%s", f, err, stderr)
		}
		if got := e.count(); got != before {
			t.Errorf("after importing %s: %s, want %s", f, got, before)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("importing %s ran a command from its data", f)
		}
	}
	sql, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	// Without pg_dump's \restrict line (an older pg_dump, or a hand-made
	// file), psql itself would obey every meta-command.
	var lines []string
	for _, l := range strings.SplitAfter(string(sql), "\n") {
		if !strings.HasPrefix(l, `\restrict `) && !strings.HasPrefix(l, `\unrestrict `) {
			lines = append(lines, l)
		}
	}
	end := len(lines) - 6 // before the completion line
	for _, evil := range []string{
		`\connect ` + e.cfg.Name + "\nDELETE FROM items;\n",
		`\! touch ` + marker + "\n",
		"SELECT 1; \\o " + marker + "\n",
		`\set ON_ERROR_STOP off` + "\n",
	} {
		mixed := strings.Join(lines[:end], "") + evil + strings.Join(lines[end:], "")
		line := strings.Count(strings.Join(lines[:end], ""), "\n") + 1
		for _, name := range []string{"evil.sql", "evil.sql.gz"} {
			file := filepath.Join(e.dir, name)
			content := []byte(mixed)
			if strings.HasSuffix(name, ".gz") {
				var b bytes.Buffer
				zw := gzip.NewWriter(&b)
				zw.Write(content)
				zw.Close()
				content = b.Bytes()
			}
			if err := os.WriteFile(file, content, 0o600); err != nil {
				t.Fatal(err)
			}
			e.srv.MustPSQL(t, e.cfg.Name, "UPDATE items SET body = 'live' WHERE id = 5")
			live := e.count()
			err, stderr := e.importFile(file)
			want := fmt.Sprintf("%s:%d: ", file, line)
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "nothing was changed") {
				t.Errorf("%s with %q: %v, want %q\n%s", name, evil, err, want, stderr)
			}
			if got := e.count(); got != live {
				t.Errorf("%s with %q changed the live database", name, evil)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Fatalf("%s with %q ran its command", name, evil)
			}
			side := e.srv.MustPSQL(t, "postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE '"+e.cfg.Name+"\\_\\_kompose\\_import%'")
			if side != "0" {
				t.Errorf("%s: %s scratch databases left", name, side)
			}
		}
	}
}

// Issue 8, defect 8: a gzip- or zstd-compressed custom archive imports
// (with pg_restore), instead of failing with a bare "exit status 1".
func testCompressedCustom(t *testing.T, e *pgEnv) {
	want := e.count()
	custom := e.export(Custom, time.Date(2024, 1, 1, 0, 0, 0, 0, time.Local))
	// a FILE from elsewhere into a stack whose dump folder does not exist yet
	e.cfg.DumpDir = filepath.Join(e.dir, "not", "yet")
	for _, tool := range [][]string{{"gzip", "-k"}, {"zstd", "-q", "-k"}} {
		if _, err := exec.LookPath(tool[0]); err != nil {
			t.Fatalf("%s: %v", tool[0], err)
		}
		out, err := exec.Command(tool[0], append(tool[1:], "-f", custom)...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v %s", tool[0], err, out)
		}
		file := custom + map[string]string{"gzip": ".gz", "zstd": ".zst"}[tool[0]]
		e.srv.MustPSQL(t, e.cfg.Name, "DELETE FROM items WHERE id > 10")
		if err, stderr := e.importFile(file); err != nil {
			t.Errorf("import %s: %v\n%s", file, err, stderr)
		}
		if got := e.count(); got != want {
			t.Errorf("after %s: %s, want %s", file, got, want)
		}
	}
}

// Issue 8, defect 8: a full disk during a compressed export says so, and
// where; nothing is left behind.
func testDiskFull(t *testing.T, e *pgEnv) {
	if os.Geteuid() != 0 {
		if pgtest.Required() {
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
	// random rows that do not compress to less than 256 kB
	e.srv.MustPSQL(t, e.cfg.Name, "INSERT INTO items SELECT i, string_agg(md5(random()::text), '') FROM generate_series(10001, 12000) i, generate_series(1, 8) GROUP BY i")
	e.cfg.DumpDir = dir
	for _, f := range []Format{Gzip, Zstd, Plain, Custom} {
		x := NewExport(e.cfg, e.loc(), f, time.Now())
		err, stderr := e.run(x, nil)
		want := "no space left on device in " + dir
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "broken pipe") {
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
