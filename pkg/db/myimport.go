package db

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// newMyImport plans the import of a MariaDB/MySQL dump: plain SQL, also
// gzip- or zstd-compressed.
func newMyImport(cfg Config, loc Location, file string, size int64, format Format, br *bufio.Reader, ts time.Time) (*Import, error) {
	if format == Custom {
		return nil, fmt.Errorf("%s is a pg_dump custom archive; the database of this stack is %s (%s): import a dump of mariadb-dump or mysqldump", file, loc.Engine, loc)
	}
	x := &Import{
		Cfg: cfg, Loc: loc, File: file, Format: format, Size: size,
		Scratch:  sideName(cfg.Name, scratchInfix, ts.Format(TimeLayout)),
		Previous: sideName(cfg.Name, previousInfix, ts.Format(TimeLayout)),
	}
	if db := myHeaderDB(br, format); db != "" {
		x.Origin = Origin{DB: db, Source: "its header"}
	} else if m := dumpNameRE.FindStringSubmatch(shortName(file)); m != nil {
		x.Origin = Origin{DB: m[1], Source: "its file name"}
	}
	return x, nil
}

func shortName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// myHeaderRE is mariadb-dump's (mysqldump's) header line naming the
// database it dumped.
var myHeaderRE = regexp.MustCompile(`^-- Host: .*\sDatabase: (.+?)\s*$`)

// myHeaderDB reads the database name from the dump's header ("" when
// there is none in its first lines).
func myHeaderDB(br *bufio.Reader, format Format) string {
	body, err := decompressor(br, format)
	if err != nil {
		return ""
	}
	defer body.Close()
	sc := bufio.NewScanner(io.LimitReader(body, 64<<10))
	for i := 0; i < 20 && sc.Scan(); i++ {
		if m := myHeaderRE.FindStringSubmatch(sc.Text()); m != nil {
			return m[1]
		}
	}
	return ""
}

// describeMy is the dry run of a MariaDB/MySQL import.
func (x *Import) describeMy() []string {
	q := QuoteMyIdent
	from := ""
	if x.Origin.DB != "" {
		from = fmt.Sprintf(", a dump of %s by %s", x.Origin.DB, x.Origin.Source)
		if x.Origin.DB != x.Cfg.Name {
			from += ", --from-other-db"
		}
	}
	m := &myServer{x: x, noCommands: "--sandbox"}
	return []string{
		"runs on: " + x.Loc.String(),
		fmt.Sprintf("reads:   %s (%s, %s%s); refused before anything changes unless it ends with %q and switches no database (USE, CREATE DATABASE) nor holds client commands", x.File, x.Format, HumanSize(x.Size), from, myCompleteMarker),
		fmt.Sprintf("creates: database %s with the character set and collation of %s", q(x.Scratch), q(x.Cfg.Name)),
		"loads:   " + shellJoin(m.loadArgv()) + " < dump, as a throwaway account " + x.Cfg.User + " creates with ALL on " + q(x.Scratch) + " only (its password in MYSQL_PWD; dropped after the load, whatever happens; a DB_USER that may not create it is refused, checked first) and DEFINER clauses loaded as CURRENT_USER: a statement reaching any other database fails; client commands off (\\! and system never run; a client without --sandbox is refused, checked first); stops at the first error",
		fmt.Sprintf("swaps:   only when the whole dump loaded: one RENAME TABLE moves the tables of %s to %s and those of %s to %s; views, triggers, routines and events are created again from their definitions",
			q(x.Cfg.Name), q(x.Previous), q(x.Scratch), q(x.Cfg.Name)),
		fmt.Sprintf("keeps:   the replaced data as %s (db:import --undo swaps it back) until the next successful import or db:cleanup; then drops what an earlier import kept", q(x.Previous)),
		"on any failure: drops " + q(x.Scratch) + "; " + q(x.Cfg.Name) + " stays as it was",
	}
}

// myRefusedLine matches a line that switches database or is a client
// command: what a dump of one database by mariadb-dump never holds.
// This is an early, friendly refusal of the obvious cases, before
// anything changes; what holds whatever the SQL says is the account the
// dump is loaded as, which may touch the scratch database only
// (myloader.go), and the client's --sandbox for client commands.
var myRefusedLine = regexp.MustCompile(`(?i)^[ \t]*(use[ \t` + "`" + `;]|(create|drop)[ \t]+(database|schema)\b|\\[a-z!.#?]|(system|source|connect|tee|pager|charset|nopager|notee)\b)`)

// precheckMy reads the whole dump before anything changes: it must
// decompress, end with the dump tool's completion line, and hold no line
// that switches database or is a client command.
func (x *Import) precheckMy(ctx context.Context) error {
	body, err := x.openBody(nil)
	if err != nil {
		return err
	}
	defer body.Close()
	br := bufio.NewReaderSize(body, 64<<10)
	tail := newTail(1024)
	lineNo, lineStart := 0, true
	for {
		if lineNo%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return context.Cause(ctx)
			}
		}
		chunk, rerr := br.ReadSlice('\n')
		if len(chunk) > 0 {
			_, _ = tail.Write(chunk)
			if lineStart {
				lineNo++
				if myRefusedLine.Match(chunk[:min(len(chunk), 128)]) {
					what := "holds a client command"
					if l := bytes.ToLower(bytes.TrimLeft(chunk, " \t")); bytes.HasPrefix(l, []byte("use")) || bytes.Contains(l[:min(len(l), 40)], []byte("database")) || bytes.Contains(l[:min(len(l), 40)], []byte("schema")) {
						what = "switches database (a dump of several databases, or of one with --databases)"
					}
					return fmt.Errorf("%s:%d: refusing the dump: it %s: %q; kompose imports dumps of one database, made without --databases (db:export makes them)", x.File, lineNo, what, strings.TrimSpace(string(chunk[:min(len(chunk), 80)])))
				}
			}
			lineStart = chunk[len(chunk)-1] == '\n'
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil && rerr != bufio.ErrBufferFull {
			return fmt.Errorf("%s is corrupt or truncated: %w", x.File, rerr)
		}
	}
	if !tail.myComplete() {
		if tail.complete() {
			return fmt.Errorf("%s is a PostgreSQL dump, and the database of this stack is %s (%s); set %s if that is wrong", x.File, x.Loc.Engine, x.Loc, VarEngine)
		}
		return fmt.Errorf("%s is truncated: it does not end with the %q line of mariadb-dump or mysqldump", x.File, myCompleteMarker)
	}
	return nil
}
