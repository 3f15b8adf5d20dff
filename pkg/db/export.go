package db

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kompose-dev/kompose/pkg/codec"
	"github.com/kompose-dev/kompose/pkg/offsite"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/safefile"
)

// Export is the db:export step of one stack: pg_dump into a new dump file.
type Export struct {
	Cfg    Config
	Loc    Location
	Format Format
	// Path is the dump file to create; decided when the plan is built, so
	// the dry run, the hooks and the real run all name the same file.
	Path string
	Time time.Time // when the dump was taken (its name's timestamp)
	// Argv is the pg_dump command (docker compose exec ... pg_dump ... in a
	// container).
	Argv        []string
	LockTimeout time.Duration
	Progress    Progress
	// Offsite, when set, also stores the dump in the stack's restic
	// repository as it is written (offsite.go).
	Offsite *Offsite
	// Encrypt, when set, encrypts the dump with age as it is written
	// (encrypt.go); Path then ends in .age.
	Encrypt *Encryption
	// notTx is what warnNotTransactional found (result.go).
	notTx notTransactional
}

// NewExport plans an export of cfg's database at loc into a dump taken
// at t.
func NewExport(cfg Config, loc Location, f Format, t time.Time) *Export {
	var args []string
	if loc.Engine.isMySQLFamily() {
		args = mysqlDumpArgs(cfg.Name)
	} else {
		if f == Custom {
			args = append(args, "-Fc")
		}
		args = append(args, "-d", dbArg(cfg.Name))
	}
	return &Export{
		Cfg: cfg, Loc: loc, Format: f,
		Path: freeDumpPath(cfg.DumpDir, cfg.Name, t, f),
		Time: t,
		Argv: loc.Argv(loc.dumpTool(), args...),
	}
}

// mysqlDumpArgs are mariadb-dump's (mysqldump's) options for a dump of
// one database that loads back into any database: a consistent snapshot
// of transactional tables (--single-transaction), rows streamed
// (--quick), routines, triggers and events, binary columns as hex
// (nothing depends on the client's character set), utf8mb4 (nothing
// lost), no tablespaces (they need the PROCESS privilege and are not
// the database's), and the name as the only database: no CREATE
// DATABASE or USE in the dump.
func mysqlDumpArgs(name string) []string {
	return []string{"--single-transaction", "--quick", "--routines", "--triggers", "--events", "--hex-blob",
		"--default-character-set=utf8mb4", "--no-tablespaces", "--", name}
}

// HookArgs implements the plan's hook arguments: hook_pre_db_export and
// hook_post_db_export receive the dump file's path.
func (x *Export) HookArgs() []string { return []string{x.Path} }

// DumpFile is the dump this export writes (plan.DumpFiler).
func (x *Export) DumpFile() string { return x.Path }

// Describe says what the export does, for the dry run.
func (x *Export) Describe() []string {
	lines := []string{
		"runs on: " + x.Loc.String(),
		fmt.Sprintf("writes:  %s (%s), first as a hidden %s file, renamed when %s succeeded and the dump is verified complete", x.Path, x.Format, ".partial", x.Loc.dumpTool()),
		"verify:  " + x.verifyRule(),
	}
	if x.Loc.Engine.isMySQLFamily() {
		lines = append(lines, "warns:   once, when tables of "+x.Cfg.Name+" are not transactional (MyISAM, Aria, ...): --single-transaction cannot make them consistent")
	}
	if x.Cfg.Password != "" {
		lines = append(lines, "password: "+VarPassword+" passed as "+x.Loc.passwordVar()+" in the environment only")
	}
	if x.Encrypt != nil {
		lines = append(lines, x.Encrypt.describe())
	}
	if x.Offsite != nil {
		lines = append(lines, x.Offsite.describe())
	}
	return lines
}

// Run performs the export.
func (x *Export) Run(ctx context.Context, ex *plan.ActionEnv) (err error) {
	start := time.Now()
	dir := filepath.Dir(x.Path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("dump folder: %w", err)
	}
	lock, err := lockDumps(ctx, ex, x.Cfg, dir, x.LockTimeout, "db:export of "+x.Cfg.Name)
	if err != nil {
		return err
	}
	defer lock.Release()
	final := x.Path
	if _, seq, _, ok := parseName(x.Cfg.Name, filepath.Base(final)); !ok || takenSeqs(dir, x.Cfg.Name, x.Time)[seq] {
		// Another export of the same second got this name (in some
		// format) between the plan and the lock: take the next one.
		final = x.freePath(dir)
	}
	tmp, err := safefile.CreatePartial(final)
	if err != nil {
		return err
	}
	published := false
	defer func() {
		if !published {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	up := x.startOffsite(ctx, ex, filepath.Base(final))
	defer up.Close()

	runErr, writeErr, unverified := x.dump(ctx, ex, tmp, up)
	if writeErr != nil {
		// The file could not be written (a full disk): pg_dump was stopped
		// by it, so its own failure is only the consequence.
		return fmt.Errorf("%w; no dump written", safefile.WriteFailure(writeErr, dir, "the dump"))
	}
	if runErr != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w; no dump written", runErr)
		}
		if safefile.DiskFull(dir) {
			// pg_dump (or docker) wrote the file itself and failed on it.
			return fmt.Errorf("%s failed: %w: no space left on device in %s (writing the dump); no dump written", x.tool(), runErr, dir)
		}
		return fmt.Errorf("%s failed: %w; no dump written", x.tool(), runErr)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w; no dump written", context.Cause(ctx))
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("%w; no dump written", safefile.WriteFailure(err, dir, "the dump"))
	}
	if err := x.verifyWritten(ctx, ex, tmp, unverified); err != nil {
		return err
	}
	fi, _ := tmp.Stat()
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%w; no dump written", safefile.WriteFailure(err, dir, "the dump"))
	}
	if final, err = safefile.Publish(tmp.Name(), final, func() string { return x.freePath(dir) }); err != nil {
		return err
	}
	published = true
	fmt.Fprintf(ex.Cmd.Stderr, "    wrote %s (%s, %s) in %.1fs\n", final, HumanSize(fi.Size()), x.Format, time.Since(start).Seconds())
	if final != x.Path {
		fmt.Fprintf(ex.Cmd.Stderr, "    note: another export of the same second took %s; the hooks of this run were told that name\n", filepath.Base(x.Path))
	}
	return up.Commit(ex.Cmd.Stderr, final, "dump", stackMasker(ex).String)
}

// dump runs the dump tool into tmp: straight into the file for plain SQL
// and custom archives, through the zstd program for zstd when it is
// installed, else through kompose (compressed, teed offsite, encrypted).
// It returns the tool's error, the error writing the file, and, for an
// encrypted dump, why the stream was not a complete dump ("" when it
// was).
func (x *Export) dump(ctx context.Context, ex *plan.ActionEnv, tmp *os.File, up *offsite.Pending) (runErr, writeErr error, unverified string) {
	if x.Loc.Engine.isMySQLFamily() {
		x.warnNotTransactional(ctx, ex)
	}
	cmd := proc.Cmd{Argv: x.Argv, Dir: ex.Cmd.Dir, Env: x.Loc.Env(ex.Cmd.Env), Stderr: ex.Cmd.Stderr}
	fileSize := func() int64 {
		fi, err := tmp.Stat()
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	// Offsite and encryption need the bytes to pass through kompose.
	direct := up == nil && x.Encrypt == nil
	if direct && (x.Format == Plain || x.Format == Custom) {
		// The tool writes straight into the file: no copy through kompose.
		cmd.Stdout = tmp
		pr := x.Progress.start(ex.Cmd.Stderr, "dumped", 0, fileSize)
		defer pr.Stop()
		return ex.Proc.Run(ctx, cmd), nil, ""
	}
	if prog, ok := x.Format.codec().Program(); ok && direct {
		// Progress counts the compressed bytes written.
		pr := x.Progress.start(ex.Cmd.Stderr, "written", 0, fileSize)
		defer pr.Stop()
		runErr, writeErr = x.zstdRun(ctx, ex.Proc, cmd, tmp, prog, ex.Cmd.Env)
		return runErr, writeErr, ""
	}
	var in counter
	pr := x.Progress.start(ex.Cmd.Stderr, "dumped", 0, in.Load)
	defer pr.Stop()
	if x.Encrypt != nil {
		return x.encryptRun(ctx, ex.Proc, cmd, tmp, &in, up)
	}
	runErr, writeErr = x.compressRun(ctx, ex.Proc, cmd, tmp, &in, up)
	return runErr, writeErr, ""
}

// verifyRule says, for the dry run, how each format is verified complete.
var verifyRule = [...]string{
	Plain:  "the file ends with pg_dump's completion line",
	Gzip:   "the written file decompresses in full and the SQL ends with pg_dump's completion line",
	Zstd:   "the written file decompresses in full and the SQL ends with pg_dump's completion line",
	Custom: "pg_restore, where pg_dump runs, reads the whole archive into /dev/null",
}

// warnNotTransactional says, once per export, which tables of the
// database are in engines without transactions (MyISAM, Aria, MEMORY,
// ...): --single-transaction cannot give them a consistent snapshot, so
// the dump is consistent for the others only. A failed check is said
// too, and does not stop the export.
func (x *Export) warnNotTransactional(ctx context.Context, ex *plan.ActionEnv) {
	m := &myServer{x: &Import{Cfg: x.Cfg, Loc: x.Loc}}
	rows, err := m.query(ctx, ex, "SELECT HEX(t.ENGINE), HEX(t.TABLE_NAME) FROM information_schema.TABLES t JOIN information_schema.ENGINES e ON e.ENGINE = t.ENGINE WHERE t.TABLE_SCHEMA = "+QuoteMyLiteral(x.Cfg.Name)+" AND t.TABLE_TYPE = 'BASE TABLE' AND e.TRANSACTIONS = 'NO' ORDER BY 1, 2;\n")
	if err != nil {
		fmt.Fprintf(ex.Cmd.Stderr, "    warning: could not check %s for tables without transactions: %v\n", x.Cfg.Name, err)
		return
	}
	x.notTx.record(rows)
	if len(rows) == 0 {
		return
	}
	by := map[string][]string{}
	var engines []string
	for _, r := range rows {
		if _, ok := by[r[0]]; !ok {
			engines = append(engines, r[0])
		}
		by[r[0]] = append(by[r[0]], r[1])
	}
	var parts []string
	for _, e := range engines {
		parts = append(parts, e+": "+strings.Join(by[e], ", "))
	}
	fmt.Fprintf(ex.Cmd.Stderr, "    warning: the dump of %s is not consistent: %d table(s) have no transactions (%s); --single-transaction makes only the others a consistent snapshot (convert them to InnoDB, or stop writes in hook_pre_db_export)\n", x.Cfg.Name, len(rows), strings.Join(parts, "; "))
}

// verifyRule says how this export's file is verified complete.
func (x *Export) verifyRule() string {
	if x.Loc.Engine.isMySQLFamily() {
		r := strings.ReplaceAll(verifyRule[x.Format], "pg_dump's completion line", x.Loc.dumpTool()+"'s \""+myCompleteMarker+" on ...\" line")
		return r
	}
	return verifyRule[x.Format]
}

// tool names the dump program and where it ran, for messages.
func (x *Export) tool() string {
	t := x.Loc.dumpTool()
	switch x.Loc.Mode {
	case Service:
		return t + " (in service " + x.Loc.Service + ")"
	case Container:
		return t + " (in container " + x.Loc.Container + ")"
	}
	return t
}

// compressRun runs pg_dump with its output going through a pipe into the
// compressor and the file. Memory stays at the size of the buffers
// whatever the size of the database. It returns pg_dump's error and the
// error writing the file, apart.
//
// With an upload (offsite), the bytes written to the file also go to it,
// and plain and custom dumps take this way too, uncompressed.
func (x *Export) compressRun(ctx context.Context, pr proc.Runner, cmd proc.Cmd, out *os.File, in *counter, up *offsite.Pending) (runErr, writeErr error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = w
	errc := make(chan error, 1)
	go func() {
		err := pr.Run(ctx, cmd)
		w.Close() // pg_dump's end of the pipe is closed too: the copy sees EOF
		errc <- err
	}()
	bw := bufio.NewWriterSize(out, 1<<20)
	zw, err := streamWriter(up.Tee(bw), x.Format)
	if err == nil {
		var werr error
		_, err = io.CopyBuffer(errWriter{zw, &werr}, countingReader{r, in}, make([]byte, 256<<10))
		if werr != nil {
			err = werr
		}
		if cerr := zw.Close(); err == nil {
			err = cerr
		}
		if ferr := bw.Flush(); err == nil {
			err = ferr
		}
	}
	r.Close() // if the copy failed, pg_dump gets EPIPE instead of blocking
	runErr = <-errc
	return runErr, err
}

// zstdRun is compressRun with the zstd program (when installed) as the
// compressor: the C encoder needs about 1.3 times less CPU than the Go
// one for the same ratio, which is the wall time on a small machine
// shared with the database server and its dump tool. The stream goes
// from the dump tool through a pipe straight into zstd (no copy through
// kompose) and into the file; the file is verified afterwards as any
// other (decompressed in full). A zstd that fails on a full disk is
// reported as that. zstd gets the stack's environment env, without the
// password the dump tool gets.
func (x *Export) zstdRun(ctx context.Context, pr proc.Runner, cmd proc.Cmd, out *os.File, prog codec.Program, env []string) (runErr, writeErr error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = w
	errc := make(chan error, 1)
	go func() {
		err := pr.Run(ctx, cmd)
		w.Close() // the tool's end of the pipe is closed too: zstd sees EOF
		errc <- err
	}()
	err = prog.Compress(ctx, pr, r, out, env)
	// zstd has ended: with kompose's copy of the read end closed, a tool
	// still writing gets EPIPE instead of blocking.
	r.Close()
	runErr = <-errc
	if err != nil && ctx.Err() == nil { // (interrupted: the caller says so)
		if safefile.DiskFull(filepath.Dir(out.Name())) {
			return runErr, fmt.Errorf("zstd: %w", syscall.ENOSPC)
		}
		return runErr, err
	}
	return runErr, nil
}

// errWriter remembers the error of its writer, to tell a failed write
// from a failed read.
type errWriter struct {
	w   io.Writer
	err *error
}

func (e errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil && *e.err == nil {
		*e.err = err
	}
	return n, err
}

// verify checks that the file holds a whole dump before it gets its name:
//   - plain SQL ends with pg_dump's completion line;
//   - gzip and zstd are decompressed in full from the file as written, and
//     the SQL inside ends with that line;
//   - a custom archive is read in full (table of contents and every data
//     block) by pg_restore, where pg_dump ran, into /dev/null.
func (x *Export) verify(ctx context.Context, ex *plan.ActionEnv, f *os.File) error {
	incomplete := func(why string) error {
		return fmt.Errorf("%s exited 0 but its output is not a complete dump (%s); no dump written", x.tool(), why)
	}
	switch x.Format {
	case Custom:
		if err := x.verifyArchive(ctx, ex, f); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%w; no dump written", context.Cause(ctx))
			}
			return incomplete(err.Error())
		}
		return nil
	case Plain:
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		t := newTail(1024)
		off := max(fi.Size()-1024, 0)
		if _, err := io.Copy(t, io.NewSectionReader(f, off, fi.Size()-off)); err != nil {
			return fmt.Errorf("read back %s: %w", f.Name(), err)
		}
		if !t.engineComplete(x.Loc.Engine) {
			return incomplete(fmt.Sprintf("no %q line at its end", engineMarker(x.Loc.Engine)))
		}
		return nil
	}
	t := newTail(1024)
	if err := x.decompressInto(ctx, ex, f, t); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w; no dump written", context.Cause(ctx))
		}
		return incomplete("the file does not decompress: " + err.Error())
	}
	if !t.engineComplete(x.Loc.Engine) {
		return incomplete(fmt.Sprintf("no %q line at the end of the SQL inside", engineMarker(x.Loc.Engine)))
	}
	return nil
}

// verifyArchive reads the whole custom archive f with pg_restore, run
// where pg_dump ran (the same version, which can read what it wrote),
// with the file on its standard input and its script output discarded.
func (x *Export) verifyArchive(ctx context.Context, ex *plan.ActionEnv, f *os.File) error {
	head := make([]byte, len(customMagic))
	if _, err := f.ReadAt(head, 0); err != nil || sniff(head) != Custom {
		return errors.New("it does not start like a pg_dump custom archive")
	}
	var errb bytes.Buffer
	cmd := proc.Cmd{
		Argv: x.Loc.Argv("pg_restore", "-f", "/dev/null"), Dir: ex.Cmd.Dir, Env: x.Loc.Env(ex.Cmd.Env),
		Stdin: io.NewSectionReader(f, 0, 1<<62), Stdout: io.Discard, Stderr: &errb,
	}
	if err := ex.Proc.Run(ctx, cmd); err != nil {
		if msg := errorLine(errb.String()); msg != "" {
			return fmt.Errorf("pg_restore cannot read it all: %s", msg)
		}
		return fmt.Errorf("pg_restore cannot read it all: %w", err)
	}
	return nil
}

// decompressInto decompresses the whole file f, as written, into w: with
// the zstd program for zstd when it is installed (its decoder is about
// three times faster than the Go one, and verifying is a second pass
// over the dump), else in kompose.
func (x *Export) decompressInto(ctx context.Context, ex *plan.ActionEnv, f *os.File, w io.Writer) error {
	if prog, ok := x.Format.codec().Program(); ok {
		return prog.Decompress(ctx, ex.Proc, io.NewSectionReader(f, 0, 1<<62), w, ex.Cmd.Env)
	}
	zr, err := decompressor(io.NewSectionReader(f, 0, 1<<62), x.Format)
	if err != nil {
		return err
	}
	defer zr.Close()
	_, err = io.CopyBuffer(w, zr, make([]byte, 256<<10))
	return err
}

// Progress says whether to show progress.
type Progress struct {
	// Show is true to show it; TTY says whether the stream is a terminal.
	Show, TTY bool
}

func (p Progress) start(w io.Writer, label string, total int64, bytes func() int64) *progress {
	if !p.Show {
		return nil
	}
	return startProgress(w, p.TTY, label, total, bytes)
}
