package db

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// maintenanceDB is the database psql connects to for CREATE, ALTER and
// DROP DATABASE.
const maintenanceDB = "postgres"

// Import is the db:import step of one stack: load a dump into a scratch
// database, then swap it with the live one.
type Import struct {
	Cfg    Config
	Loc    Location
	File   string // absolute path of the dump
	Format Format // from the file's first bytes
	// Archive is true when the dump is a custom archive (read by
	// pg_restore), also inside gzip or zstd.
	Archive bool
	Size    int64
	// Scratch is the database the dump is loaded into; Previous the name
	// the live database gets when it is swapped out: it is kept, for
	// db:import --undo, until the next successful import or db:cleanup.
	Scratch, Previous string
	// Origin is the database the dump says it was made from; FromOther
	// allows one that is not Cfg.Name (--from-other-db).
	Origin      Origin
	FromOther   bool
	LockTimeout time.Duration
	Progress    Progress
	// SwapLockWait bounds a MariaDB/MySQL swap's wait for the tables'
	// locks (lock_wait_timeout); 0 is 60 seconds.
	SwapLockWait time.Duration
}

// NewImport plans the import of file (already checked to exist) into
// cfg's database at loc; ts names the side databases.
func NewImport(cfg Config, loc Location, file string, ts time.Time) (*Import, error) {
	if strings.Contains(cfg.Name, dollarTag) {
		return nil, fmt.Errorf("%s=%q: kompose cannot import into a database with %q in its name", VarName, cfg.Name, dollarTag)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("dump: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("dump: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("dump %s is not a regular file", file)
	}
	format, br, err := sniffReader(f)
	if err != nil {
		return nil, fmt.Errorf("read dump %s: %w", file, err)
	}
	if loc.Engine.isMySQLFamily() {
		return newMyImport(cfg, loc, file, fi.Size(), format, br, ts)
	}
	archive := format == Custom
	if format == Gzip || format == Zstd {
		// A compressed custom archive (gzip -k x.dump) goes to pg_restore.
		if zr, err := decompressor(br, format); err == nil {
			head := make([]byte, len(customMagic))
			n, _ := io.ReadFull(zr, head)
			archive = sniff(head[:n]) == Custom && n == len(customMagic)
			zr.Close()
		}
	}
	origin, err := DumpOrigin(file, format, archive)
	if err != nil {
		return nil, err
	}
	stamp := ts.Format(TimeLayout)
	return &Import{
		Cfg: cfg, Loc: loc, File: file, Format: format, Archive: archive, Size: fi.Size(),
		Scratch:  sideName(cfg.Name, scratchInfix, stamp),
		Previous: sideName(cfg.Name, previousInfix, stamp),
		Origin:   origin,
	}, nil
}

// CheckOrigin refuses a dump made from another database than the stack's
// own, unless FromOther: kompose news db:import blog/blog_….dump would
// replace news's data with blog's.
func (x *Import) CheckOrigin() error {
	if x.Origin.DB == "" || x.Origin.DB == x.Cfg.Name || x.FromOther {
		return nil
	}
	return fmt.Errorf("refusing to import %s into %s: it is a dump of database %q (%s), not of %s; give --from-other-db to load another database's dump", x.File, x.server().quote(x.Cfg.Name), x.Origin.DB, x.Origin.Source, x.Cfg.Name)
}

// HookArgs: hook_pre_db_import and hook_post_db_import receive the dump's
// path.
func (x *Import) HookArgs() []string { return []string{x.File} }

// DumpFile is the dump this import loads (plan.DumpFiler).
func (x *Import) DumpFile() string { return x.File }

// loadArgv is the command that loads the dump into the scratch database,
// reading it on standard input.
func (x *Import) loadArgv() []string {
	if x.Archive {
		return x.Loc.Argv("pg_restore", "--exit-on-error", "--single-transaction", "-d", dbArg(x.Scratch))
	}
	return x.Loc.Argv("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-d", dbArg(x.Scratch), "-f", "-")
}

func (x *Import) psqlArgv(tuples bool) []string {
	args := []string{"-X", "-q", "-v", "ON_ERROR_STOP=1"}
	if tuples {
		args = append(args, "-At")
	}
	return x.Loc.Argv("psql", append(args, "-d", maintenanceDB, "-f", "-")...)
}

// Describe says what the import does, for the dry run.
func (x *Import) Describe() []string {
	if x.Loc.Engine.isMySQLFamily() {
		return x.describeMy()
	}
	from := ""
	if x.Origin.DB != "" {
		from = fmt.Sprintf(", a dump of %s by %s", x.Origin.DB, x.Origin.Source)
		if x.Origin.DB != x.Cfg.Name {
			from += ", --from-other-db"
		}
	}
	return []string{
		"runs on: " + x.Loc.String(),
		fmt.Sprintf("reads:   %s (%s, %s%s)", x.File, x.Format, HumanSize(x.Size), from),
		fmt.Sprintf("creates: database %s (psql on %s)", QuoteIdent(x.Scratch), maintenanceDB),
		x.loadLine(),
		fmt.Sprintf("swaps:   only when the whole dump loaded: ends sessions on %s, renames it to %s and %s to %s in one transaction",
			QuoteIdent(x.Cfg.Name), QuoteIdent(x.Previous), QuoteIdent(x.Scratch), QuoteIdent(x.Cfg.Name)),
		fmt.Sprintf("keeps:   the replaced data as %s (db:import --undo swaps it back) until the next successful import or db:cleanup; then drops what an earlier import kept", QuoteIdent(x.Previous)),
		"on any failure: drops " + QuoteIdent(x.Scratch) + "; " + QuoteIdent(x.Cfg.Name) + " stays as it was",
	}
}

// loadLine is the dry run's "loads:" line.
func (x *Import) loadLine() string {
	if x.Archive {
		return "loads:   " + shellJoin(x.loadArgv()) + " < dump; stops at the first error"
	}
	return "loads:   " + shellJoin(x.loadArgv()) + ` < dump, after a line "\restrict <secret random key>": psql refuses every meta-command in the dump (needs psql 17.6, 16.10, 15.14, 14.19, 13.22 or later; checked first); stops at the first error`
}

// Run performs the import: the steps every engine shares, over the
// engine's [server].
func (x *Import) Run(ctx context.Context, ex *plan.ActionEnv) error {
	start := time.Now()
	if err := CheckDumpFile(policyOf(ex), x.File); err != nil {
		return err
	}
	lock, err := lockDumps(ctx, ex, x.Cfg, x.Cfg.DumpDir, x.LockTimeout, "db:import into "+x.Cfg.Name)
	if err != nil {
		return err
	}
	defer lock.Release()
	srv := x.server()
	q := srv.quote
	// The whole dump is read and checked before anything changes: it
	// decompresses and ends as the dump tool ends a dump; and the client
	// must be one that refuses client commands.
	if err := x.precheck(ctx); err != nil {
		return fmt.Errorf("%w; nothing was changed, %s is unchanged", err, q(x.Cfg.Name))
	}
	if err := srv.checkClient(ctx, ex); err != nil {
		return fmt.Errorf("%w; nothing was changed, %s is unchanged", err, q(x.Cfg.Name))
	}

	liveExists, kept, err := x.sideDatabases(ctx, ex, srv)
	if err != nil {
		return err
	}
	if err := srv.create(ctx, ex, x.Scratch, liveExists); err != nil {
		return fmt.Errorf("create database %s: %w", q(x.Scratch), err)
	}
	swapped := false
	defer func() {
		if swapped {
			return
		}
		// Whatever went wrong, the scratch database goes, even when
		// interrupted.
		if err := srv.drop(context.WithoutCancel(ctx), ex, x.Scratch); err != nil {
			fmt.Fprintf(ex.Cmd.Stderr, "    could not drop %s (%v); the next db:import drops it\n", q(x.Scratch), err)
		}
	}()

	if err := srv.load(ctx, ex); err != nil {
		return fmt.Errorf("%w; %s is unchanged", err, q(x.Cfg.Name))
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w; %s is unchanged", context.Cause(ctx), q(x.Cfg.Name))
	}
	prev := x.freePrevious(kept)
	if err := srv.swap(ctx, ex, x.Scratch, prev, liveExists); err != nil {
		var partial *PartialSwapError
		if !errors.As(err, &partial) {
			return fmt.Errorf("swap in the imported database: %w; %s is unchanged", err, q(x.Cfg.Name))
		}
		// The data is swapped: keep the scratch database (it holds the
		// definitions not created yet) and record the kept one.
		swapped = true
		if liveExists {
			_ = writeKept(x.Cfg, prev)
		}
		return fmt.Errorf("swap in the imported database: %w", err)
	}
	swapped = true
	x.afterSwap(ctx, ex, srv, kept, prev, liveExists, start)
	return nil
}

// createSQL is PostgreSQL's CREATE DATABASE of the scratch database;
// when the live one exists, with its owner, encoding and locale.
func (x *Import) createSQL(ctx context.Context, ex *plan.ActionEnv, liveExists bool) (string, error) {
	create := "CREATE DATABASE " + QuoteIdent(x.Scratch) + " TEMPLATE template0"
	if !liveExists {
		return create + ";\n", nil
	}
	rows, err := x.query(ctx, ex, fmt.Sprintf("SELECT pg_encoding_to_char(encoding) || '|' || datcollate || '|' || datctype || '|' || pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s;\n", QuoteLiteral(x.Cfg.Name)))
	if err != nil {
		return "", fmt.Errorf("read settings of %s: %w", QuoteIdent(x.Cfg.Name), err)
	}
	if len(rows) == 1 {
		if p := strings.Split(rows[0], "|"); len(p) == 4 {
			create += fmt.Sprintf(" ENCODING %s LC_COLLATE %s LC_CTYPE %s OWNER %s", QuoteLiteral(p[0]), QuoteLiteral(p[1]), QuoteLiteral(p[2]), QuoteIdent(p[3]))
		}
	}
	return create + ";\n", nil
}

// afterSwap drops the data earlier imports kept, now that this one
// succeeded, says so, and records what this one keeps (prev, the replaced
// data, when there was any).
func (x *Import) afterSwap(ctx context.Context, ex *plan.ActionEnv, srv server, kept []string, prev string, liveExists bool, start time.Time) {
	q := srv.quote
	for _, k := range kept {
		if err := srv.drop(context.WithoutCancel(ctx), ex, k); err != nil {
			fmt.Fprintf(ex.Cmd.Stderr, "    warning: imported, but could not drop %s, kept by an earlier import: %v\n", q(k), err)
		}
	}
	fmt.Fprintf(ex.Cmd.Stderr, "    imported %s (%s, %s) into %s in %.1fs\n", x.File, HumanSize(x.Size), x.Format, q(x.Cfg.Name), time.Since(start).Seconds())
	kept = nil
	if liveExists {
		kept = []string{prev}
		fmt.Fprintf(ex.Cmd.Stderr, "    the replaced data is kept as database %s until the next import or db:cleanup; db:import --undo swaps it back\n", q(prev))
	}
	if err := writeKept(x.Cfg, strings.Join(kept, "")); err != nil {
		fmt.Fprintf(ex.Cmd.Stderr, "    warning: could not record the kept database in %s: %v\n", KeptPath(x.Cfg.DumpDir, x.Cfg.Name), err)
	}
}

// sideDatabases looks at the server's databases: whether the live one
// exists, which ones earlier imports kept, and drops the scratch ones an
// import that was killed left over.
func (x *Import) sideDatabases(ctx context.Context, ex *plan.ActionEnv, srv server) (liveExists bool, kept []string, err error) {
	names, err := srv.databases(ctx, ex)
	if err != nil {
		return false, nil, fmt.Errorf("list databases: %w", err)
	}
	for _, n := range names {
		switch {
		case n == x.Cfg.Name:
			liveExists = true
		case isSide(x.Cfg.Name, previousInfix, n):
			kept = append(kept, n)
		case n == x.Scratch || isSide(x.Cfg.Name, scratchInfix, n) || isSide(x.Cfg.Name, oldInfix, n):
			fmt.Fprintf(ex.Cmd.Stderr, "    dropping %s, left over by an interrupted import\n", srv.quote(n))
			if err := srv.drop(ctx, ex, n); err != nil {
				return false, nil, fmt.Errorf("drop left-over database %s: %w", srv.quote(n), err)
			}
		}
	}
	return liveExists, kept, nil
}

// freePrevious is the name the replaced database gets: x.Previous, or,
// when an import of the same second kept data under that name, the next
// second's.
func (x *Import) freePrevious(kept []string) string {
	name := x.Previous
	ts, err := time.ParseInLocation(TimeLayout, name[len(name)-len(TimeLayout):], time.Local)
	for err == nil && slices.Contains(kept, name) {
		ts = ts.Add(time.Second)
		name = sideName(x.Cfg.Name, previousInfix, ts.Format(TimeLayout))
	}
	return name
}

// load streams the dump into the scratch database. psql reads a plain
// dump under \restrict with a fresh key ([restrictingReader]): it refuses
// every meta-command in it.
func (x *Import) load(ctx context.Context, ex *plan.ActionEnv) error {
	var raw counter
	body, err := x.openBody(&raw)
	if err != nil {
		return err
	}
	defer body.Close()
	tail := newTail(1024)
	src := &recordingReader{r: io.TeeReader(body, tail)}
	var stdin io.Reader = src
	var errb bytes.Buffer
	var stderr io.Writer = io.MultiWriter(ex.Cmd.Stderr, &errb)
	if !x.Archive {
		key, err := restrictKey()
		if err != nil {
			return err
		}
		stdin = newRestrictingReader(src, key)
		namer := &stdinNamer{w: stderr, file: x.File, offset: 1, key: key}
		defer namer.Flush()
		stderr = namer
	}
	cmd := proc.Cmd{
		Argv: x.loadArgv(), Dir: ex.Cmd.Dir, Env: x.Loc.Env(ex.Cmd.Env),
		Stdin: stdin, Stdout: io.Discard, Stderr: stderr,
	}
	pr := x.Progress.start(ex.Cmd.Stderr, "loaded", x.Size, raw.Load)
	runErr := ex.Proc.Run(ctx, cmd)
	pr.Stop()
	if n, ok := stderr.(*stdinNamer); ok {
		n.Flush()
	}
	if rerr := src.Err(); rerr != nil {
		return fmt.Errorf("%s is corrupt or truncated: %w", x.File, rerr)
	}
	if runErr != nil {
		return x.loadErr(runErr, errb.String())
	}
	if !x.Archive && !tail.complete() {
		return fmt.Errorf("%s is truncated: it does not end with pg_dump's %q line", x.File, completeMarker)
	}
	return nil
}

// loadErr says why psql or pg_restore stopped, from its error output
// (already naming the dump file, not <stdin>).
func (x *Import) loadErr(runErr error, stderr string) error {
	msg := errorLine(stderr)
	switch {
	case errors.As(runErr, new(*proc.InterruptedError)):
	case !x.Archive && strings.Contains(stderr, psqlRestricted):
		where, _, _ := strings.Cut(msg, " error:")
		return fmt.Errorf("%s psql refused a meta-command (a backslash command) in the dump: kompose loads plain SQL under psql's \\restrict, so no meta-command in a dump runs; nothing was changed", where)
	case !x.Archive && strings.Contains(stderr, psqlNoRestrict):
		return &OldPsqlError{File: x.File, Where: x.Loc.String()}
	case msg != "":
		return fmt.Errorf("%s stopped: %w (%s)", x.tool(), runErr, msg)
	}
	return fmt.Errorf("%s stopped: %w", x.tool(), runErr)
}

// tool is the program that loads the dump.
func (x *Import) tool() string {
	if x.Archive {
		return "pg_restore"
	}
	return "psql"
}

// checkRestrict refuses, before anything changes, a plain SQL import with
// a psql that has no \restrict: it would obey meta-commands in the dump.
func (x *Import) checkRestrict(ctx context.Context, ex *plan.ActionEnv) error {
	if x.Archive {
		return nil
	}
	key, err := restrictKey()
	if err != nil {
		return err
	}
	var out, errb bytes.Buffer
	cmd := proc.Cmd{Argv: x.psqlArgv(true), Dir: ex.Cmd.Dir, Env: x.Loc.Env(ex.Cmd.Env),
		Stdin:  strings.NewReader("\\echo :VERSION_NAME\n\\restrict " + key + "\n\\unrestrict " + key + "\n"),
		Stdout: &out, Stderr: &errb}
	err = ex.Proc.Run(ctx, cmd)
	if strings.Contains(errb.String(), psqlNoRestrict) {
		v := strings.TrimSpace(out.String())
		if v != "" {
			v = "psql " + v
		}
		return &OldPsqlError{File: x.File, Where: x.Loc.String(), Version: v}
	}
	if err != nil {
		return fmt.Errorf("psql on %s: %w", x.Loc, psqlErr(err, &errb))
	}
	return nil
}

// openBody opens the dump and returns its content, decompressed; raw,
// when not nil, counts the bytes read from the file (for progress). A dump
// whose format is no longer the one planned is refused.
func (x *Import) openBody(raw *counter) (io.ReadCloser, error) {
	f, err := os.Open(x.File)
	if err != nil {
		return nil, fmt.Errorf("dump: %w", err)
	}
	var r io.Reader = f
	if raw != nil {
		r = countingReader{f, raw}
	}
	format, br, err := sniffReader(r)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read %s: %w", x.File, err)
	}
	if format != x.Format {
		f.Close()
		return nil, fmt.Errorf("%s changed since the plan was made", x.File)
	}
	body, err := decompressor(br, format)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", x.File, err)
	}
	return closeBoth{body, f}, nil
}

// closeBoth is a decompressed stream that closes its file too.
type closeBoth struct {
	io.ReadCloser
	f *os.File
}

func (c closeBoth) Close() error {
	err := c.ReadCloser.Close()
	if ferr := c.f.Close(); err == nil {
		err = ferr
	}
	return err
}

// precheck reads the whole dump before the import changes anything: a
// compressed dump must decompress, plain SQL must end with pg_dump's
// completion line. Meta-commands are psql's to refuse ([restrictingReader]).
func (x *Import) precheck(ctx context.Context) error {
	if x.Format == Custom {
		return nil
	}
	if x.Loc.Engine.isMySQLFamily() {
		return x.precheckMy(ctx)
	}
	body, err := x.openBody(nil)
	if err != nil {
		return err
	}
	defer body.Close()
	var w io.Writer = io.Discard
	tail := newTail(1024)
	if !x.Archive {
		w = tail
	}
	buf := make([]byte, 256<<10)
	for {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		n, rerr := body.Read(buf)
		if n > 0 {
			_, _ = w.Write(buf[:n])
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("%s is corrupt or truncated: %w", x.File, rerr)
		}
	}
	if !x.Archive && !tail.complete() {
		return fmt.Errorf("%s is truncated: it does not end with pg_dump's %q line", x.File, completeMarker)
	}
	return nil
}

// quietSQL keeps NOTICEs (DROP DATABASE IF EXISTS ... skipping) out of
// the output.
const quietSQL = "SET client_min_messages = warning;\n"

// exec runs SQL with psql on the maintenance database.
func (x *Import) exec(ctx context.Context, ex *plan.ActionEnv, sql string) error {
	var errb bytes.Buffer
	cmd := proc.Cmd{Argv: x.psqlArgv(false), Dir: ex.Cmd.Dir, Env: x.Loc.Env(ex.Cmd.Env),
		Stdin: strings.NewReader(quietSQL + sql), Stdout: io.Discard, Stderr: io.MultiWriter(ex.Cmd.Stderr, &errb)}
	return psqlErr(ex.Proc.Run(ctx, cmd), &errb)
}

// query runs SQL with psql on the maintenance database and returns its
// output lines.
func (x *Import) query(ctx context.Context, ex *plan.ActionEnv, sql string) ([]string, error) {
	var out, errb bytes.Buffer
	cmd := proc.Cmd{Argv: x.psqlArgv(true), Dir: ex.Cmd.Dir, Env: x.Loc.Env(ex.Cmd.Env),
		Stdin: strings.NewReader(quietSQL + sql), Stdout: &out, Stderr: io.MultiWriter(ex.Cmd.Stderr, &errb)}
	if err := psqlErr(ex.Proc.Run(ctx, cmd), &errb); err != nil {
		return nil, err
	}
	var lines []string
	for _, l := range strings.Split(out.String(), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

func psqlErr(err error, stderr *bytes.Buffer) error {
	if err == nil {
		return nil
	}
	if msg := errorLine(stderr.String()); msg != "" {
		return fmt.Errorf("%w (%s)", err, msg)
	}
	return err
}

// recordingReader remembers the first error other than io.EOF that its
// reader returned: a truncated or corrupt compressed dump.
type recordingReader struct {
	r   io.Reader
	mu  sync.Mutex
	err error
}

func (r *recordingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		r.mu.Lock()
		if r.err == nil {
			r.err = err
		}
		r.mu.Unlock()
	}
	return n, err
}

func (r *recordingReader) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// ResolveFile finds the dump a db:import argument names: an absolute path;
// a path starting with "./" or "../", relative to cwd; any other relative
// path, in the stack's dump folder only (never the current folder, where
// another user may have planted a file of that name). Without an argument
// it is the newest dump of the stack.
func ResolveFile(cfg Config, cwd, arg string) (string, error) {
	if arg == "" {
		dumps, err := List(cfg.DumpDir, cfg.Name)
		if err != nil {
			return "", err
		}
		if len(dumps) == 0 {
			return "", fmt.Errorf("no dump of %s in %s (names like %s)", cfg.Name, cfg.DumpDir, FileName(cfg.Name, time.Date(2006, 1, 2, 15, 4, 5, 0, time.Local), Plain))
		}
		return dumps[0].Path, nil
	}
	path := arg
	switch {
	case filepath.IsAbs(arg):
	case arg == "." || arg == ".." || strings.HasPrefix(arg, "./") || strings.HasPrefix(arg, "../"):
		path = filepath.Join(cwd, arg)
	default:
		path = filepath.Join(cfg.DumpDir, arg)
	}
	if _, err := os.Stat(path); err != nil {
		hint := ""
		if !filepath.IsAbs(arg) && !strings.HasPrefix(arg, ".") {
			hint = fmt.Sprintf(" (a relative name is looked up in the dump folder only; write ./%s for the current folder)", arg)
		}
		return "", fmt.Errorf("dump %s not found in %s%s", arg, filepath.Dir(path), hint)
	}
	return path, nil
}

// dumpFileUse is what kompose does with a dump file, for trust messages.
const dumpFileUse = "import the dump"

// CheckDumpFile refuses a dump to import that another user may have
// written or may change: the file (after symlinks) and every folder
// leading to it must pass the trust rule of hooks ([trust.Policy]). A
// dump's SQL runs with DB_USER's rights and replaces the database.
func CheckDumpFile(p trust.Policy, path string) error {
	return trust.NewTree(p).CheckFile(dumpFileUse, path)
}
