package db

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/offsite"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// countMyDump reads rows as the server does: strings holding "),(",
// quotes, newlines followed by what looks like another INSERT, comments
// and the completion line are one value each; rows in a version comment
// count; extended inserts over several lines count per row; the
// placeholder table of a view, dropped again, is no table.
func TestCountMyDump(t *testing.T) {
	dump := "/*M!999999\\- enable the sandbox mode */ \n" +
		"-- MariaDB dump 10.19\n" +
		"--\n-- Table structure for table `a``b`\n--\n" +
		"DROP TABLE IF EXISTS `a``b`;\n" +
		"CREATE TABLE `a``b` (`x` text) ENGINE=InnoDB;\n" +
		"--\n-- Dumping data for table `a``b`\n--\n" +
		"INSERT INTO `a``b` VALUES\n('),('),\n('it''s \\' ),( -- not a comment'),\n('line\nINSERT INTO `a``b` VALUES (9),(9);\n-- Dump completed'),\n(\"dq ),( \\\" \"),\n(CONCAT('(', ')')),\n(0x28),(-1--1);\n" +
		"/*!40000 INSERT INTO `a``b` VALUES ('hidden') */;\n" +
		"# a comment ;\n" +
		"/* a block ; comment */\n" +
		"CREATE TABLE v (x int);\nDROP TABLE IF EXISTS `v`;\n/*!50001 CREATE VIEW `v` AS SELECT 1 */;\n" +
		"--\n-- Table structure for table `e`\n--\nCREATE TABLE IF NOT EXISTS e (n int);\n--\n-- Dumping data for table `e`\n--\n" +
		"DELIMITER ;;\nCREATE TRIGGER t BEFORE INSERT ON e FOR EACH ROW BEGIN INSERT INTO `a``b` VALUES (1),(2); END;;\nDELIMITER ;\n" +
		"INSERT INTO e (n) VALUES (1) ON DUPLICATE KEY UPDATE n = VALUES(n);\n" +
		"-- Dump completed on 2024-01-01\n"
	d, err := countMyDump(strings.NewReader(dump))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int64{"a`b": 8, "e": 1}; !reflect.DeepEqual(d.rows, want) {
		t.Errorf("rows %v, want %v", d.rows, want)
	}
	if want := map[string]bool{"a`b": true, "e": true}; !reflect.DeepEqual(d.created, want) {
		t.Errorf("created %v, want %v", d.created, want)
	}
	if diffs := compareMy(d, map[string]int64{"a`b": 8, "e": 1}); len(diffs) != 0 {
		t.Errorf("diffs %v", diffs)
	}
	for _, c := range []struct {
		loaded map[string]int64
		want   string
	}{
		{map[string]int64{"a`b": 7, "e": 1}, "table `a``b` has 7 rows loaded, the dump holds 8"},
		{map[string]int64{"a`b": 8}, "table `e` (1 rows in the dump) is not in the loaded database"},
		{map[string]int64{"a`b": 8, "e": 1, "x": 0}, "table `x` is in the loaded database, and the dump does not create it"},
	} {
		if got := strings.Join(compareMy(d, c.loaded), "; "); got != c.want {
			t.Errorf("loaded %v: %q, want %q", c.loaded, got, c.want)
		}
	}
	// Sections without their parts: a dump cut in the middle.
	cut, err := countMyDump(strings.NewReader("-- Table structure for table `gone`\n-- Table structure for table `e`\nCREATE TABLE e (n int);\n-- Dumping data for table `x`\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(compareMy(cut, map[string]int64{"e": 0}), "; ")
	for _, want := range []string{"section for table `gone` but does not create it", "no data section for table `e`", "data section for table `x` but does not create it"} {
		if !strings.Contains(got, want) {
			t.Errorf("cut dump: %q lacks %q", got, want)
		}
	}
	for _, bad := range []string{"INSERT INTO t VALUES ('open", "/* open", "/*!40000 INSERT INTO t VALUES (1)", "SELECT `open"} {
		if _, err := countMyDump(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// testMyVerify: an export tells the reporters its engine and its tables
// without transactions, and its dump names its engine; db:verify of
// MariaDB dumps (plain, zstd) loads them into
// a throwaway database, finds every table and row the dump declares,
// drops the throwaway and records the drill, the live database
// untouched; a dump cut so that it still ends well (a table's data
// section gone, a table's creation gone) and a dump whose load errors
// (a duplicate key, which the server finds at COMMIT) fail, the throwaway dropped each time.
func testMyVerify(t *testing.T, e *myEnv) {
	verify := func(file string) (error, string) {
		v := &Verify{Cfg: e.cfg, Loc: e.loc(), File: file, Now: time.Now()}
		return e.run(v, nil)
	}
	throwaways := func() []string {
		var out []string
		for _, d := range e.databases() {
			if strings.Contains(d, verifyInfix) {
				out = append(out, d)
			}
		}
		return out
	}
	before := e.state()
	if !ReadVerified(e.cfg).IsZero() {
		t.Fatal("a drill is recorded before any ran")
	}
	var plain string
	for i, f := range []Format{Plain, Zstd} {
		x := NewExport(e.cfg, e.loc(), f, time.Date(2024, 8, 1, 3, 0, i, 0, time.Local))
		if err, stderr := e.run(x, nil); err != nil {
			t.Fatalf("export: %v\n%s", err, stderr)
		}
		file := x.Path
		if f == Plain {
			plain = file
		}
		// The reporters learn the engine and the tables without
		// transactions; status reads the engine from the real dump.
		if r := x.DBResult(); r.Engine != "mariadb" || r.Name != e.cfg.Name || !r.NotTransactionalChecked || strings.Join(r.NotTransactional, ",") != "Aria: notes,MyISAM: counters" {
			t.Errorf("%s: export result %+v", f, r)
		}
		if got := EngineOf(Config{}, file, nil); got != "mariadb" {
			t.Errorf("%s: engine of the dump: %q", f, got)
		}
		err, stderr := verify(file)
		if err != nil {
			t.Fatalf("%s: %v\n%s", f, err, stderr)
		}
		// parent 2, items 2, counters 1, notes 0; the views are no tables.
		if want := "it loads into a throwaway database without error; 4 table(s), 5 row(s), as the dump declares"; !strings.Contains(stderr, want) {
			t.Errorf("%s: %s", f, stderr)
		}
		if left := throwaways(); len(left) != 0 {
			t.Errorf("%s: throwaways left: %v", f, left)
		}
	}
	if v := ReadVerified(e.cfg); time.Since(v) > time.Minute {
		t.Errorf("the drill's record: %v", v)
	}
	if got := e.state(); got != before {
		t.Errorf("the live database changed:\n got %s\nwant %s", got, before)
	}
	sql, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	write := func(b []byte) string {
		n++
		p := filepath.Join(e.dir, e.cfg.Name+"_20240802_00000"+string(rune('0'+n))+".sql")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cutOut := func(from, to string) []byte {
		i := bytes.Index(sql, []byte(from))
		j := bytes.Index(sql[i:], []byte(to))
		if i < 0 || j < 0 {
			t.Fatalf("no %q ... %q in the dump", from, to)
		}
		return append(append([]byte{}, sql[:i]...), sql[i+j+len(to):]...)
	}
	for _, c := range []struct {
		name string
		dump []byte
		want string
	}{
		{"data section cut", cutOut("-- Dumping data for table `parent`", "UNLOCK TABLES;\n"), "the loaded tables differ from the dump's: the dump has no data section for table `parent`"},
		{"table cut", cutOut("CREATE TABLE `counters`", "UNLOCK TABLES;\n"), "the dump has a section for table `counters` but does not create it"},
		{"load error", bytes.Replace(sql, []byte("(1),\n(2);"), []byte("(1),\n(1);"), 1), "verification failed: the dump does not load: "},
	} {
		if !bytes.Contains(c.dump, []byte(myCompleteMarker)) || bytes.Equal(c.dump, sql) {
			t.Fatalf("%s: the dump was not changed as meant", c.name)
		}
		err, stderr := verify(write(c.dump))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q\n%s", c.name, err, c.want, stderr)
		}
		if c.name == "load error" && !strings.Contains(err.Error(), "ERROR 1") {
			t.Errorf("%s: the server's reason is not said: %v", c.name, err)
		}
		if left := throwaways(); len(left) != 0 {
			t.Errorf("%s: throwaways left: %v", c.name, left)
		}
	}
	if got := e.state(); got != before {
		t.Errorf("the live database changed:\n got %s\nwant %s", got, before)
	}
	// A throwaway left by a killed drill is dropped by the next one.
	stamp := time.Date(2020, 1, 1, 0, 0, 0, 0, time.Local).Format(TimeLayout)
	e.srv.MustSQL(t, "", "CREATE DATABASE `"+sideName(e.cfg.Name, verifyInfix, stamp)+"`")
	if err, stderr := verify(plain); err != nil || !strings.Contains(stderr, "left over by an interrupted db:verify") {
		t.Errorf("left-over throwaway: %v\n%s", err, stderr)
	}
	if left := throwaways(); len(left) != 0 {
		t.Errorf("throwaways left: %v", left)
	}
}

// TestCountMyDumpMemory: a hostile dump's 16 MB comment line, word and
// quoted name do not become 16 MB of memory each (the lexer keeps at
// most maxKept bytes of them).
func TestCountMyDumpMemory(t *testing.T) {
	big := strings.Repeat("x", 16<<20)
	dump := "-- " + big + "\nSELECT " + big + ";\nSELECT `" + big + "`;\nCREATE TABLE t (n int);\nINSERT INTO t VALUES (1);\n"
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d, err := countMyDump(strings.NewReader(dump))
	runtime.ReadMemStats(&after)
	if err != nil || d.rows["t"] != 1 {
		t.Fatalf("%v %v", d, err)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 4<<20 {
		t.Errorf("counting allocated %d MB", grown>>20)
	}
}

// testMyVerifyFromRestic: a MariaDB dump stored offsite by db:export
// passes db:verify --from restic, read back into a private folder that is
// removed after.
func testMyVerifyFromRestic(t *testing.T, e *myEnv) {
	if _, err := exec.LookPath(offsite.Program); err != nil {
		if os.Getenv("KOMPOSE_REQUIRE_ALL") == "1" {
			t.Fatal("restic not installed (KOMPOSE_REQUIRE_ALL=1)")
		}
		t.Skip("restic not installed")
	}
	repoDir := filepath.Join(t.TempDir(), "repo")
	extra := []string{offsite.VarRepository + "=" + repoDir, "RESTIC_PASSWORD=k20b-db-pw", "XDG_CACHE_HOME=" + t.TempDir()}
	init := exec.Command(offsite.Program, "init")
	init.Env = append(os.Environ(), extra...)
	if out, err := init.CombinedOutput(); err != nil {
		t.Fatalf("restic init: %v\n%s", err, out)
	}
	run := func(a plan.Action) (error, string) {
		var errb bytes.Buffer
		var environ []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "MYSQL_PWD=") && !strings.HasPrefix(kv, "RESTIC_") {
				environ = append(environ, kv)
			}
		}
		ex := &plan.ActionEnv{Proc: proc.OS{}, Stack: &plan.Stack{Policy: trust.Current()},
			Cmd: proc.Cmd{Dir: e.dir, Env: append(environ, extra...), Stdout: &bytes.Buffer{}, Stderr: &errb}}
		return a.Run(context.Background(), ex), errb.String()
	}
	tags := offsite.Tags{Stack: "k20bshop", Kind: offsite.KindDB, Name: e.cfg.Name}
	x := NewExport(e.cfg, e.loc(), Zstd, time.Now())
	x.Offsite = &Offsite{Tags: tags, Repo: offsite.Repo{Timeout: time.Minute}}
	if err, stderr := run(x); err != nil || !strings.Contains(stderr, "stored offsite: restic snapshot ") {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	v := &Verify{Cfg: e.cfg, Loc: e.loc(), Now: time.Now().Add(time.Second),
		FromRestic: &FromRestic{Cfg: e.cfg, Loc: e.loc(), Offsite: &Offsite{Tags: tags, Repo: offsite.Repo{Timeout: time.Minute}}, Now: time.Now().Add(time.Second)}}
	err, stderr := run(v)
	if err != nil || !strings.Contains(stderr, "4 table(s), 5 row(s), as the dump declares") {
		t.Fatalf("verify --from restic: %v\n%s", err, stderr)
	}
	entries, _ := os.ReadDir(e.dir)
	for _, en := range entries {
		if en.IsDir() {
			t.Errorf("left in the dump folder: %s", en.Name())
		}
	}
}
