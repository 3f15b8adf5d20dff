package db

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/internal/pgtest"
)

// testVerify: db:verify loads a good dump (plain, zstd, custom) into a
// throwaway database, finds the tables and row counts the dump declares,
// and drops the throwaway, the live database untouched; a dump whose
// owner role does not exist on the server, and one whose COPY block was
// cut (both end with pg_dump's completion line, so the completeness check
// passes them) fail the drill with the server's reason.
func testVerify(t *testing.T, e *pgEnv) {
	verify := func(file string) (error, string) {
		v := &Verify{Cfg: e.cfg, Loc: e.loc(), File: file, Now: time.Now()}
		return e.run(v, nil)
	}
	throwaways := func() string {
		return e.srv.MustPSQL(t, "postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE '%__kompose_verify_%'")
	}
	if !ReadVerified(e.cfg).IsZero() {
		t.Fatal("a drill is recorded before any ran")
	}
	var plain string
	for i, f := range []Format{Plain, Zstd, Custom} {
		file := e.export(f, time.Date(2024, 8, 1, 3, 0, i, 0, time.Local))
		if f == Plain {
			plain = file
		}
		// The live data changes after the dump: the drill checks the dump.
		e.srv.MustPSQL(t, e.cfg.Name, fmt.Sprintf("INSERT INTO items VALUES (%d, 'later')", 100000+i))
		err, stderr := verify(file)
		if err != nil {
			t.Fatalf("%s: %v\n%s", f, err, stderr)
		}
		if want := fmt.Sprintf("it loads into a throwaway database without error; 1 table(s), %d row(s), as the dump declares", 2002+i); !strings.Contains(stderr, want) {
			t.Errorf("%s: %s", f, stderr)
		}
		if n := throwaways(); n != "0" {
			t.Errorf("%s: %s throwaway database(s) left", f, n)
		}
	}
	if v := ReadVerified(e.cfg); time.Since(v) > time.Minute {
		t.Errorf("the drill's record: %v", v)
	}
	if got := e.srv.MustPSQL(t, e.cfg.Name, "SELECT count(*) FROM items"); got != "2005" {
		t.Errorf("the live database changed: %s rows", got)
	}
	sql, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	owner := "OWNER TO " + pgtest.User + ";"
	if !bytes.Contains(sql, []byte(owner)) {
		t.Fatalf("no %q in the dump", owner)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(e.dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ghost := write(e.cfg.Name+"_20240802_000000.sql", bytes.ReplaceAll(sql, []byte(owner), []byte("OWNER TO k22ghost;")))
	err, stderr := verify(ghost)
	if err == nil || !strings.Contains(err.Error(), "verification failed: the dump does not load") || !strings.Contains(err.Error(), `role "k22ghost" does not exist`) {
		t.Errorf("missing role: %v\n%s", err, stderr)
	}
	// A COPY block cut in the middle of a row, its end marker lost; the
	// rest of the dump (and its completion line) intact.
	start := bytes.Index(sql, []byte("COPY public.items"))
	end := bytes.Index(sql[start:], []byte("\n\\.\n")) + start
	mid := start + (end-start)/2
	cut := append(append([]byte(nil), sql[:mid]...), sql[end+4:]...)
	truncated := write(e.cfg.Name+"_20240803_000000.sql", cut)
	err, stderr = verify(truncated)
	if err == nil || !strings.Contains(err.Error(), "verification failed: the dump does not load") {
		t.Errorf("truncated COPY: %v\n%s", err, stderr)
	}
	if n := throwaways(); n != "0" {
		t.Errorf("%s throwaway database(s) left after failed drills", n)
	}
}

func TestCountCopies(t *testing.T) {
	got, err := countCopies(strings.NewReader("SET x;\nCOPY public.a (id, b) FROM stdin;\n1\tx\n2\ty\n\\.\nCOPY \"odd \"\"name\".\"T\" (id) FROM stdin;\n\\.\nSELECT 1;\n"))
	if err != nil || len(got) != 2 || got["public.a"] != 2 || got[`"odd ""name"."T"`] != 0 {
		t.Errorf("%v %v", got, err)
	}
	if _, err := countCopies(strings.NewReader("COPY public.a (id) FROM stdin;\n1\n")); err == nil {
		t.Error("a COPY block that does not end is no error")
	}
	if d := compareCounts(map[string]int64{"public.a": 2, "public.b": 1}, map[string]int64{"public.a": 1}); len(d) != 2 {
		t.Errorf("diffs: %q", d)
	}
}
