package db

import (
	"fmt"
	"hash/fnv"
	"strings"
	"unicode/utf8"

	"mvdan.cc/sh/v3/syntax"
)

// QuoteIdent quotes a PostgreSQL identifier (a database name): "a""b".
func QuoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// QuoteLiteral quotes a PostgreSQL string literal (standard conforming
// strings, the default since 9.1): 'a”b'.
func QuoteLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }

// maxIdent is PostgreSQL's longest identifier, in bytes (NAMEDATALEN-1).
const maxIdent = 63

// Suffixes of the databases an import creates beside the live one.
const (
	scratchInfix  = "__kompose_import_"
	oldInfix      = "__kompose_old_"
	previousInfix = "__kompose_previous_"
)

// sideBase is the part of a side database's name that comes from the live
// database's name: the name itself when it is short enough, else a prefix
// and a hash of the whole name, so that the side names of two long names
// never collide.
func sideBase(db string) string {
	const room = maxIdent - len(previousInfix) - len(TimeLayout) // 29 bytes
	if len(db) <= room {
		return db
	}
	h := fnv.New32a()
	h.Write([]byte(db))
	return truncUTF8(db, room-9) + fmt.Sprintf("_%08x", h.Sum32())
}

// sideName is the name of a side database of db: scratch (being loaded),
// old (the previous live one, being dropped) or previous (kept).
func sideName(db, infix, ts string) string { return sideBase(db) + infix + ts }

// isSide reports whether name is a side database of db with that infix.
func isSide(db, infix, name string) bool {
	rest, ok := strings.CutPrefix(name, sideBase(db)+infix)
	return ok && len(rest) == len(TimeLayout)
}

func truncUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// dollarTag quotes PL/pgSQL bodies; database names holding it are refused.
const dollarTag = "$kompose$"

// terminateSQL ends every other session on the databases (a literal list).
func terminateSQL(dbs ...string) string {
	lits := make([]string, len(dbs))
	for i, d := range dbs {
		lits[i] = QuoteLiteral(d)
	}
	return fmt.Sprintf("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname IN (%s) AND pid <> pg_backend_pid();\n", strings.Join(lits, ", "))
}

// dropSQL drops a database after ending its sessions.
func dropSQL(name string) string {
	return terminateSQL(name) + "DROP DATABASE IF EXISTS " + QuoteIdent(name) + ";\n"
}

// swapSQL renames live to old and scratch to live in one transaction,
// ending the sessions on both first. A session that connects in between
// makes the rename fail (object_in_use); it is ended and the rename tried
// again, for about ten seconds. When live does not exist, scratch is
// simply renamed.
func swapSQL(live, scratch, old string, liveExists bool) string {
	rename := ""
	if liveExists {
		rename = fmt.Sprintf("ALTER DATABASE %s RENAME TO %s;\n      ", QuoteIdent(live), QuoteIdent(old))
	}
	rename += fmt.Sprintf("ALTER DATABASE %s RENAME TO %s;", QuoteIdent(scratch), QuoteIdent(live))
	return fmt.Sprintf(`DO %[1]s
DECLARE
  tries int := 0;
BEGIN
  LOOP
    PERFORM pg_stat_clear_snapshot();
    PERFORM pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname IN (%[2]s, %[3]s) AND pid <> pg_backend_pid();
    BEGIN
      %[4]s
      EXIT;
    EXCEPTION WHEN object_in_use THEN
      tries := tries + 1;
      IF tries >= 20 THEN
        RAISE EXCEPTION 'sessions keep connecting to database %%; gave up swapping in the imported data', %[2]s;
      END IF;
      PERFORM pg_sleep(0.5);
    END;
  END LOOP;
END
%[1]s;
`, dollarTag, QuoteLiteral(live), QuoteLiteral(scratch), rename)
}

// shellJoin formats argv as a shell command line, for people.
func shellJoin(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		q, err := syntax.Quote(a, syntax.LangBash)
		if err != nil {
			q = fmt.Sprintf("%q", a)
		}
		out[i] = q
	}
	return strings.Join(out, " ")
}
