package db

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Issue 17, item 1: kompose's own lexer (the meta-command scanner)
// disagreed with psql's; each of these dumps hid a \! that then ran. psql
// itself must refuse every meta-command of a plain dump (\restrict with a
// key kompose keeps), so none of them runs, the import fails naming the
// dump file, and the live data stays.
func testMetaAttacks(t *testing.T, e *pgEnv) {
	marker := filepath.Join(e.dir, "MARKER")
	plain := e.export(Plain, time.Date(2024, 2, 1, 0, 0, 0, 0, time.Local))
	sql, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	dumpKey := ""
	var lines []string
	for _, l := range strings.SplitAfter(string(sql), "\n") {
		if k, ok := strings.CutPrefix(l, `\restrict `); ok {
			dumpKey = strings.TrimSpace(k)
		}
		lines = append(lines, l)
	}
	if dumpKey == "" {
		t.Fatalf("pg_dump wrote no \\restrict line; this psql is too old for these tests")
	}
	// The attacks go in the middle of a real dump (with pg_dump's own
	// \restrict and \unrestrict lines) and of the same dump without them.
	mid := len(lines) / 2
	for strings.HasPrefix(lines[mid-1], "COPY ") || !strings.HasSuffix(lines[mid-1], ";\n") && lines[mid-1] != "\n" {
		mid++
	}
	touch := `\! touch ` + marker + "\n"
	attacks := map[string]string{
		// A meta-command inside a statement runs when psql reads it,
		// before the statement is sent: a statement the server rejects
		// does not stop it.
		"nul":             "SELECT 'a\x00b'\n" + touch + ";\n",
		"table stdin":     "CREATE TABLE stdin (x int);\nCOPY (SELECT 1) TO STDOUT;\n" + touch,
		"1.E":             "SELECT 1.E'\\'\n" + touch + ";\n",
		"sjis":            "SET client_encoding = 'SJIS';\nSELECT E'\x95\\'\n" + touch + ";\n",
		"plain":           touch,
		"crlf":            strings.TrimSuffix(touch, "\n") + "\r\n",
		"after statement": "SELECT 1; " + touch,
		"dump key":        `\unrestrict ` + dumpKey + "\n" + touch,
		"new key":         `\unrestrict ` + dumpKey + "\n" + `\restrict abc` + "\n" + `\unrestrict abc` + "\n" + touch,
		"if":              "\\if true\n" + touch + "\\endif\n",
		"gexec":           "SELECT 'x' \\gexec\n" + touch,
		"connect":         `\connect ` + e.cfg.Name + "\nDELETE FROM items;\n",
		"copy program":    `\copy items to program 'touch ` + marker + "'\n",
	}
	for name, evil := range attacks {
		for _, keep := range []bool{true, false} {
			var b strings.Builder
			for i, l := range lines {
				if i == mid {
					b.WriteString(evil)
				}
				if !keep && (strings.HasPrefix(l, `\restrict `) || strings.HasPrefix(l, `\unrestrict `)) {
					continue
				}
				b.WriteString(l)
			}
			file := filepath.Join(e.dir, fmt.Sprintf("%s_attack.sql", e.cfg.Name))
			if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			e.srv.MustPSQL(t, e.cfg.Name, fmt.Sprintf("UPDATE items SET body = 'live %s' WHERE id = 5", name))
			live := e.count()
			err, stderr := e.importFile(file)
			what := fmt.Sprintf("%s (pg_dump's \\restrict kept: %v)", name, keep)
			if _, serr := os.Stat(marker); serr == nil {
				os.Remove(marker)
				t.Errorf("%s: the meta-command ran\n%v\n%s", what, err, stderr)
			}
			if err == nil {
				t.Errorf("%s: imported\n%s", what, stderr)
				continue
			}
			if !strings.Contains(err.Error(), file+":") || strings.Contains(err.Error()+stderr, "<stdin>") {
				t.Errorf("%s: %v, want it to name %s (not <stdin>)\n%s", what, err, file, stderr)
			}
			if got := e.count(); got != live {
				t.Errorf("%s: the live database changed", what)
			}
		}
	}
	// The real dump, with pg_dump's \restrict lines, imports.
	if err, stderr := e.importFile(plain); err != nil {
		t.Errorf("import of pg_dump's own dump: %v\n%s", err, stderr)
	}
}

// oldPsql is a psql without \restrict (before 15.14): the real psql for
// everything else.
const oldPsql = `#!/bin/bash
in=$(mktemp)
trap 'rm -f "$in"' EXIT
cat > "$in"
if grep -q '^\\restrict ' "$in"; then
	grep -q '^\\echo :VERSION_NAME' "$in" && echo "15.13 (fake)"
	echo 'psql:<stdin>:2: error: invalid command \restrict' >&2
	exit 3
fi
psql "$@" < "$in"
`

// Issue 17, item 1: with a psql that lacks \restrict, a plain dump is
// refused before anything changes (never loaded with a scanner of
// kompose's own); a custom archive still imports.
func testOldPsql(t *testing.T, e *pgEnv) {
	bin := t.TempDir()
	fake := filepath.Join(bin, "psql")
	if err := os.WriteFile(fake, []byte(oldPsql), 0o755); err != nil {
		t.Fatal(err)
	}
	rewrite := func(argv []string) []string {
		if argv[0] == "psql" {
			argv = append([]string{fake}, argv[1:]...)
		}
		return argv
	}
	marker := filepath.Join(e.dir, "MARKER")
	plain := e.export(Plain, time.Date(2024, 3, 1, 0, 0, 0, 0, time.Local))
	custom := e.export(Custom, time.Date(2024, 3, 1, 0, 0, 1, 0, time.Local))
	sql, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	evil := strings.Replace(string(sql), "\nCREATE TABLE", "\n\\! touch "+marker+"\nCREATE TABLE", 1)
	file := filepath.Join(e.dir, e.cfg.Name+"_old.sql")
	if err := os.WriteFile(file, []byte(evil), 0o600); err != nil {
		t.Fatal(err)
	}
	live := e.count()
	for _, f := range []string{plain, file} {
		x, err := NewImport(e.cfg, e.loc(), f, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		err, stderr := e.run(x, rewrite)
		if err == nil || !strings.Contains(err.Error(), f+": refusing to import a plain SQL dump") || !strings.Contains(err.Error(), "15.13") || !strings.Contains(err.Error(), "nothing was changed") {
			t.Errorf("old psql, %s: %v\n%s", f, err, stderr)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("old psql ran the meta-command of %s", f)
		}
		if got := e.count(); got != live {
			t.Errorf("old psql, %s: the live database changed", f)
		}
		side := e.srv.MustPSQL(t, "postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE '"+e.cfg.Name+"\\_\\_kompose\\_import%'")
		if side != "0" {
			t.Errorf("old psql, %s: %s side databases", f, side)
		}
	}
	x, err := NewImport(e.cfg, e.loc(), custom, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err, stderr := e.run(x, rewrite); err != nil {
		t.Errorf("old psql, custom archive: %v\n%s", err, stderr)
	}
}
