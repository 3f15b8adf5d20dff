package db

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kompose-dev/kompose/pkg/plan"
)

// The MariaDB/MySQL restore drill: the dump is checked and loaded as
// db:import checks and loads it (read in full first: it must end with the
// dump tool's completion line and switch no database; the client runs
// with client commands off, --one-database, stopping at the first
// error), into a throwaway database created with the live one's
// character set; the tables and row counts the server then holds are
// compared with what the dump declares (countMyDump); the throwaway is
// dropped in every case. The live database is only read (its character
// set).

// describeMy is the dry run of a MariaDB/MySQL drill.
func (v *Verify) describeMy(src string) []string {
	scratch := sideName(v.Cfg.Name, verifyInfix, v.Now.Format(TimeLayout))
	q := QuoteMyIdent
	m := &myServer{x: &Import{Cfg: v.Cfg, Loc: v.Loc, Scratch: scratch}, noCommands: "--sandbox"}
	return []string{
		"runs on: " + v.Loc.String(),
		"reads:   " + src + "; refused unless it ends with \"" + myCompleteMarker + "\" and switches no database nor holds client commands",
		fmt.Sprintf("creates: database %s, a throwaway with the character set of %s", q(scratch), q(v.Cfg.Name)),
		"loads:   " + shellJoin(m.loadArgv()) + " < dump, as db:import does (client commands off; stops at the first error), then compares the tables and row counts it holds with the dump's CREATE TABLE and INSERT statements",
		"drops:   " + q(scratch) + " in every case; " + q(v.Cfg.Name) + " is never changed",
	}
}

// runMy performs the drill of a MariaDB/MySQL dump at path (a plain,
// gzip or zstd file).
func (v *Verify) runMy(ctx context.Context, ex *plan.ActionEnv, path string) error {
	start := time.Now()
	x, err := NewImport(v.Cfg, v.Loc, path, v.Now)
	if err != nil {
		return err
	}
	x.Scratch, x.Progress = sideName(v.Cfg.Name, verifyInfix, v.Now.Format(TimeLayout)), v.Progress
	m := &myServer{x: x}
	lock, err := lockDumps(ctx, ex, v.Cfg, v.Cfg.DumpDir, v.LockTimeout, "db:verify of "+v.Cfg.Name)
	if err != nil {
		return err
	}
	defer lock.Release()
	if err := x.precheck(ctx); err != nil {
		return fmt.Errorf("verification failed: %w", err)
	}
	if err := m.checkClient(ctx, ex); err != nil {
		return err
	}
	liveExists, err := v.dropMyLeftovers(ctx, ex, m)
	if err != nil {
		return err
	}
	if err := m.create(ctx, ex, x.Scratch, liveExists); err != nil {
		return fmt.Errorf("create database %s: %w", QuoteMyIdent(x.Scratch), err)
	}
	defer func() {
		if err := m.drop(context.WithoutCancel(ctx), ex, x.Scratch); err != nil {
			fmt.Fprintf(ex.Cmd.Stderr, "    could not drop %s (%v); the next db:verify drops it\n", QuoteMyIdent(x.Scratch), err)
		}
	}()
	if err := m.load(ctx, ex); err != nil {
		return fmt.Errorf("verification failed: the dump does not load: %w", err)
	}
	body, err := x.openBody(nil)
	if err != nil {
		return err
	}
	declared, err := countMyDump(body)
	body.Close()
	if err != nil {
		return fmt.Errorf("verification failed: %w", err)
	}
	loaded, err := m.rowCounts(ctx, ex, x.Scratch)
	if err != nil {
		return fmt.Errorf("count the rows of %s: %w", QuoteMyIdent(x.Scratch), err)
	}
	if diffs := compareMy(declared, loaded); len(diffs) > 0 {
		return fmt.Errorf("verification failed: the loaded tables differ from the dump's: %s", strings.Join(diffs, "; "))
	}
	var rows int64
	for _, n := range declared.rows {
		rows += n
	}
	if err := writeVerified(v.Cfg, time.Now()); err != nil {
		fmt.Fprintf(ex.Cmd.Stderr, "    warning: could not record the drill in %s: %v\n", VerifiedPath(v.Cfg.DumpDir, v.Cfg.Name), err)
	}
	fmt.Fprintf(ex.Cmd.Stderr, "    verified %s: it loads into a throwaway database without error; %d table(s), %d row(s), as the dump declares (%.1fs)\n",
		v.name(), len(declared.created), rows, time.Since(start).Seconds())
	return nil
}

// dropMyLeftovers drops the throwaways of drills that were killed, and
// says whether the live database exists.
func (v *Verify) dropMyLeftovers(ctx context.Context, ex *plan.ActionEnv, m *myServer) (liveExists bool, err error) {
	dbs, err := m.databases(ctx, ex)
	if err != nil {
		return false, fmt.Errorf("list databases: %w", err)
	}
	for _, n := range dbs {
		if n == m.x.Scratch || isSide(v.Cfg.Name, verifyInfix, n) {
			fmt.Fprintf(ex.Cmd.Stderr, "    dropping %s, left over by an interrupted db:verify\n", QuoteMyIdent(n))
			if err := m.drop(ctx, ex, n); err != nil {
				return false, fmt.Errorf("drop left-over database %s: %w", QuoteMyIdent(n), err)
			}
		}
	}
	return slices.Contains(dbs, v.Cfg.Name), nil
}

// rowCounts counts the rows of every base table of db exactly (COUNT(*),
// not the estimate information_schema gives); the names come from the
// server, quoted.
func (m *myServer) rowCounts(ctx context.Context, ex *plan.ActionEnv, db string) (map[string]int64, error) {
	rows, err := m.query(ctx, ex, "SELECT HEX(TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "+QuoteMyLiteral(db)+" AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1;\n")
	if err != nil {
		return nil, fmt.Errorf("list the tables: %w", err)
	}
	counts := map[string]int64{}
	if len(rows) == 0 {
		return counts, nil
	}
	var sql strings.Builder
	for i, r := range rows {
		if i > 0 {
			sql.WriteString("\nUNION ALL ")
		}
		fmt.Fprintf(&sql, "SELECT HEX(%s), HEX(CAST(COUNT(*) AS CHAR)) FROM %s.%s", QuoteMyLiteral(r[0]), QuoteMyIdent(db), QuoteMyIdent(r[0]))
	}
	sql.WriteString(";\n")
	out, err := m.query(ctx, ex, sql.String())
	if err != nil {
		return nil, err
	}
	for _, r := range out {
		if len(r) != 2 {
			return nil, fmt.Errorf("unexpected row %q", r)
		}
		n, err := strconv.ParseInt(r[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("row count of %s: %q", QuoteMyIdent(r[0]), r[1])
		}
		counts[r[0]] = n
	}
	return counts, nil
}
