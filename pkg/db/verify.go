package db

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/kompose-dev/kompose/pkg/encrypt"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/safefile"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// verifyInfix names the throwaway database of a restore drill.
const verifyInfix = "__kompose_verify_"

// Verify is the db:verify step of one stack (a restore drill): the dump
// (a file, the newest dump, or a restic snapshot) is loaded into a
// throwaway database on the stack's server, exactly as db:import loads it
// (read in full and checked, \restrict, ON_ERROR_STOP, one transaction);
// the tables and their row counts are compared with the COPY blocks the
// dump holds; the throwaway is dropped. The live database is never
// touched. A MariaDB/MySQL dump is drilled the same way on its server
// (myverify.go), its rows counted from its INSERT statements.
type Verify struct {
	Cfg  Config
	Loc  Location
	File string // the dump; "" with FromRestic
	// FromRestic reads the dump from the stack's restic repository.
	FromRestic *FromRestic
	// Identities decrypt an encrypted dump (KOMPOSE_AGE_IDENTITY_FILE).
	Identities  []age.Identity
	Now         time.Time
	LockTimeout time.Duration
	Progress    Progress
}

// HookArgs: hook_pre_db_verify and hook_post_db_verify get the dump.
func (v *Verify) HookArgs() []string {
	if v.FromRestic != nil {
		return v.FromRestic.HookArgs()
	}
	return []string{v.File}
}

// DumpFile is the dump the drill loads (plan.DumpFiler: the hooks'
// KOMPOSE_DUMP_FILE); "" for a restic snapshot, read only when it runs.
func (v *Verify) DumpFile() string {
	if v.FromRestic != nil {
		return ""
	}
	return v.File
}

// Describe says what the drill does, for the dry run.
func (v *Verify) Describe() []string {
	src := v.File
	if v.FromRestic != nil {
		src = v.FromRestic.which() + " of " + v.Cfg.Name + " in the restic repository (" + "RESTIC_REPOSITORY" + "), read into a private folder"
	} else if strings.HasSuffix(v.File, ageExt) {
		src += ", decrypted with " + encrypt.VarIdentity + " into a private folder"
	}
	if v.Loc.Engine.isMySQLFamily() {
		return v.describeMy(src)
	}
	scratch := sideName(v.Cfg.Name, verifyInfix, v.Now.Format(TimeLayout))
	return []string{
		"runs on: " + v.Loc.String(),
		"reads:   " + src,
		fmt.Sprintf("creates: database %s, a throwaway (psql on %s)", QuoteIdent(scratch), maintenanceDB),
		"loads:   the dump into it as db:import does (stops at the first error), then compares its tables' row counts with the dump's COPY blocks",
		"drops:   " + QuoteIdent(scratch) + " in every case; " + QuoteIdent(v.Cfg.Name) + " is never touched",
	}
}

// Run performs the drill.
func (v *Verify) Run(ctx context.Context, ex *plan.ActionEnv) error {
	start := time.Now()
	path, cleanup, err := v.plainFile(ctx, ex)
	if err != nil {
		return err
	}
	defer cleanup()
	if v.Loc.Engine.isMySQLFamily() {
		return v.runMy(ctx, ex, path)
	}
	x, err := NewImport(v.Cfg, v.Loc, path, v.Now)
	if err != nil {
		return err
	}
	x.Scratch, x.Progress = sideName(v.Cfg.Name, verifyInfix, v.Now.Format(TimeLayout)), v.Progress
	lock, err := lockDumps(ctx, ex, v.Cfg, v.Cfg.DumpDir, v.LockTimeout, "db:verify of "+v.Cfg.Name)
	if err != nil {
		return err
	}
	defer lock.Release()
	if err := x.precheck(ctx); err != nil {
		return fmt.Errorf("verification failed: %w", err)
	}
	if err := x.checkRestrict(ctx, ex); err != nil {
		return err
	}
	if err := v.dropLeftovers(ctx, ex, x); err != nil {
		return err
	}
	if err := x.exec(ctx, ex, "CREATE DATABASE "+QuoteIdent(x.Scratch)+" TEMPLATE template0;\n"); err != nil {
		return fmt.Errorf("create database %s: %w", QuoteIdent(x.Scratch), err)
	}
	defer func() {
		if err := x.exec(context.WithoutCancel(ctx), ex, dropSQL(x.Scratch)); err != nil {
			fmt.Fprintf(ex.Cmd.Stderr, "    could not drop %s (%v); the next db:verify drops it\n", QuoteIdent(x.Scratch), err)
		}
	}()
	if err := x.load(ctx, ex); err != nil {
		return fmt.Errorf("verification failed: the dump does not load: %w", err)
	}
	declared, err := v.declared(ctx, ex, x)
	if err != nil {
		return fmt.Errorf("verification failed: %w", err)
	}
	loaded, err := v.loaded(ctx, ex, x)
	if err != nil {
		return fmt.Errorf("count the rows of %s: %w", QuoteIdent(x.Scratch), err)
	}
	if diffs := compareCounts(declared, loaded); len(diffs) > 0 {
		return fmt.Errorf("verification failed: the loaded tables differ from the dump's: %s", strings.Join(diffs, "; "))
	}
	var rows int64
	for _, n := range declared {
		rows += n
	}
	if err := writeVerified(v.Cfg, time.Now()); err != nil {
		fmt.Fprintf(ex.Cmd.Stderr, "    warning: could not record the drill in %s: %v\n", VerifiedPath(v.Cfg.DumpDir, v.Cfg.Name), err)
	}
	fmt.Fprintf(ex.Cmd.Stderr, "    verified %s: it loads into a throwaway database without error; %d table(s), %d row(s), as the dump declares (%.1fs)\n",
		v.name(), len(declared), rows, time.Since(start).Seconds())
	return nil
}

func (v *Verify) name() string {
	if v.FromRestic != nil {
		return "restic " + v.FromRestic.which()
	}
	return v.File
}

// plainFile is the dump to load: the file itself, or a file in a private
// folder (read back from restic, decrypted) removed by cleanup.
func (v *Verify) plainFile(ctx context.Context, ex *plan.ActionEnv) (path string, cleanup func(), err error) {
	cleanup = func() {}
	if v.FromRestic == nil && !strings.HasSuffix(v.File, ageExt) {
		return v.File, cleanup, CheckDumpFile(policyOf(ex), v.File)
	}
	dir, cleanup, err := restoreDir(v.Cfg, ex)
	if err != nil {
		return "", func() {}, err
	}
	path = v.File
	if v.FromRestic != nil {
		if path, err = v.FromRestic.readBack(ctx, ex, dir); err != nil {
			return "", cleanup, err
		}
	} else if err := CheckDumpFile(policyOf(ex), v.File); err != nil {
		return "", cleanup, err
	}
	if strings.HasSuffix(path, ageExt) {
		if v.Identities == nil {
			return "", cleanup, fmt.Errorf("%s is encrypted (age): set %s to the file of the key that decrypts it", path, encrypt.VarIdentity)
		}
		if path, err = decryptTo(v.Identities, path, dir); err != nil {
			return "", cleanup, err
		}
	}
	return path, cleanup, nil
}

// dropLeftovers drops the throwaways of drills that were killed.
func (v *Verify) dropLeftovers(ctx context.Context, ex *plan.ActionEnv, x *Import) error {
	names, err := x.query(ctx, ex, "SELECT datname FROM pg_database;\n")
	if err != nil {
		return fmt.Errorf("list databases: %w", err)
	}
	for _, n := range names {
		if n == x.Scratch || isSide(v.Cfg.Name, verifyInfix, n) {
			fmt.Fprintf(ex.Cmd.Stderr, "    dropping %s, left over by an interrupted db:verify\n", QuoteIdent(n))
			if err := x.exec(ctx, ex, dropSQL(n)); err != nil {
				return fmt.Errorf("drop left-over database %s: %w", QuoteIdent(n), err)
			}
		}
	}
	return nil
}

// copyTable is the table of a line that starts a COPY block of a plain
// dump ("COPY public.items (id, body) FROM stdin;"), as pg_dump wrote its
// name (quoted parts may hold spaces); ok is false for any other line.
func copyTable(line []byte) (string, bool) {
	rest, ok := bytes.CutPrefix(line, []byte("COPY "))
	if !ok || !bytes.HasSuffix(rest, []byte(" FROM stdin;")) {
		return "", false
	}
	i := 0
	for i < len(rest) && rest[i] != ' ' {
		if rest[i] == '"' {
			j := i + 1
			for j < len(rest) {
				if rest[j] == '"' {
					if j+1 < len(rest) && rest[j+1] == '"' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			i = j + 1
			continue
		}
		i++
	}
	if i == 0 || i > len(rest) {
		return "", false
	}
	return string(rest[:i]), true
}

// declared are the row counts of the dump's COPY blocks, by table (as
// pg_dump writes its name). A custom archive is turned into SQL by
// pg_restore where pg_dump runs.
func (v *Verify) declared(ctx context.Context, ex *plan.ActionEnv, x *Import) (map[string]int64, error) {
	body, err := x.openBody(nil)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	if !x.Archive {
		return countCopies(body)
	}
	pr, pw := io.Pipe()
	var errb bytes.Buffer
	cmd := proc.Cmd{Argv: x.Loc.Argv("pg_restore", "--data-only", "-f", "-"), Dir: ex.Cmd.Dir, Env: x.Loc.Env(ex.Cmd.Env), Stdin: body, Stdout: pw, Stderr: &errb}
	errc := make(chan error, 1)
	go func() {
		err := ex.Proc.Run(ctx, cmd)
		pw.CloseWithError(err)
		errc <- err
	}()
	counts, cerr := countCopies(pr)
	pr.Close()
	if err := <-errc; err != nil {
		return nil, fmt.Errorf("pg_restore cannot read the archive: %s", errorLine(errb.String()+"\n"+err.Error()))
	}
	return counts, cerr
}

// countCopies counts the data lines of every COPY block of SQL r.
func countCopies(r io.Reader) (map[string]int64, error) {
	counts := map[string]int64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	table := ""
	for sc.Scan() {
		line := sc.Bytes()
		if table != "" {
			if string(line) == `\.` {
				table = ""
				continue
			}
			counts[table]++
			continue
		}
		if name, ok := copyTable(line); ok {
			table = name
			counts[table] += 0
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read the dump's data: %w", err)
	}
	if table != "" {
		return nil, fmt.Errorf("the COPY block of %s does not end", table)
	}
	return counts, nil
}

// countSQL counts the rows of every table of the database it runs in,
// exactly, without a table name from the dump in the SQL: each name is
// quoted by PostgreSQL as pg_dump quotes it.
const countSQL = `SELECT format('%I.%I', schemaname, relname) || '|' ||
  (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', schemaname, relname), false, true, '')))[1]::text
FROM pg_stat_user_tables ORDER BY 1;
`

// loaded are the row counts of the throwaway database's tables.
func (v *Verify) loaded(ctx context.Context, ex *plan.ActionEnv, x *Import) (map[string]int64, error) {
	var out, errb bytes.Buffer
	cmd := proc.Cmd{
		Argv: x.Loc.Argv("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-d", dbArg(x.Scratch), "-f", "-"),
		Dir:  ex.Cmd.Dir, Env: x.Loc.Env(ex.Cmd.Env),
		Stdin: strings.NewReader(quietSQL + countSQL), Stdout: &out, Stderr: &errb,
	}
	if err := psqlErr(ex.Proc.Run(ctx, cmd), &errb); err != nil {
		return nil, err
	}
	counts := map[string]int64{}
	for _, l := range strings.Split(out.String(), "\n") {
		name, n, ok := strings.Cut(l, "|")
		if !ok {
			continue
		}
		c, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("row count of %s: %q", name, n)
		}
		counts[name] = c
	}
	return counts, nil
}

// compareCounts says where the loaded tables differ from the declared
// ones: a table of the dump missing, or with another number of rows.
// Tables the dump has no COPY for (partitioned parents, tables filled by
// INSERT statements) are not compared.
func compareCounts(declared, loaded map[string]int64) []string {
	var names []string
	for n := range declared {
		names = append(names, n)
	}
	sort.Strings(names)
	var diffs []string
	for _, n := range names {
		got, ok := loaded[n]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("table %s (%d rows in the dump) is not in the loaded database", n, declared[n]))
		case got != declared[n]:
			diffs = append(diffs, fmt.Sprintf("table %s has %d rows loaded, the dump holds %d", n, got, declared[n]))
		}
	}
	return diffs
}

// verify plans db:verify [FILE | --from restic[:SNAPSHOT]].
func (c *commands) verify(s *plan.Stack, command string, args []string) (plan.Step, error) {
	const help = "[FILE], --from restic[:SNAPSHOT], --db-lock-timeout DURATION, --progress, --no-progress"
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	from := fs.String("from", "", "")
	lockTimeout := lockTimeoutFlag(fs)
	progress := c.progressFlags(fs)
	pos, err := plan.ParseArgs(command, fs, args, 1, help)
	if err != nil {
		return plan.Step{}, err
	}
	lockWait, err := lockTimeout(command)
	if err != nil {
		return plan.Step{}, err
	}
	if isSet(fs, "from") && len(pos) > 0 {
		return plan.Step{}, usagef("%s: give FILE or --from, not both", command)
	}
	cfg, err := c.stackConfig(s, command)
	if err != nil {
		return plan.Step{}, err
	}
	loc, err := Locate(context.Background(), cfg, s.Stack, s.Env, s.ExecCommand)
	if err != nil {
		return plan.Step{}, err
	}
	v := &Verify{Cfg: cfg, Loc: loc, Now: c.o.Now(), LockTimeout: lockWait, Progress: progress()}
	if id, _ := s.Env.Get(encrypt.VarIdentity); id != "" {
		if v.Identities, err = identitiesFor(s, "the dump"); err != nil {
			return plan.Step{}, err
		}
	}
	if isSet(fs, "from") {
		fr, err := c.fromRestic(s, command, *from, cfg, loc, false, lockWait, v.Progress)
		if err != nil {
			return plan.Step{}, err
		}
		fr.Identities, v.FromRestic = v.Identities, fr
		return plan.Step{Label: command, Args: []string{"--from", *from}, Action: v}, nil
	}
	file := ""
	if len(pos) == 1 {
		file = pos[0]
	}
	if v.File, err = ResolveFile(cfg, c.o.Cwd, file); err != nil {
		return plan.Step{}, err
	}
	if err := CheckDumpFile(s.Policy, v.File); err != nil {
		return plan.Step{}, err
	}
	if strings.HasSuffix(v.File, ageExt) && v.Identities == nil {
		if _, err := identitiesFor(s, v.File); err != nil {
			return plan.Step{}, err
		}
	}
	return plan.Step{Label: command, Args: []string{v.File}, Action: v}, nil
}

// VerifiedPath is the record of the last restore drill that passed.
func VerifiedPath(dir, db string) string { return filepath.Join(dir, "."+db+".kompose.verified") }

// writeVerified records t as the time of cfg's last drill that passed.
func writeVerified(cfg Config, t time.Time) error {
	return safefile.WriteFile(VerifiedPath(cfg.DumpDir, cfg.Name), []byte(strconv.FormatInt(t.Unix(), 10)+"\n"), 0o600)
}

// ReadVerified returns when a dump of cfg's database last passed
// db:verify; zero when never (or the record is not kompose's: it is read
// as every file kompose reads back, [safefile.OpenReadBack]).
func ReadVerified(cfg Config) time.Time {
	f, err := safefile.OpenReadBack(trust.NewTree(trust.Current()), "read the record of the last db:verify", VerifiedPath(cfg.DumpDir, cfg.Name))
	if err != nil || f == nil {
		return time.Time{}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64))
	if err != nil {
		return time.Time{}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0)
}
