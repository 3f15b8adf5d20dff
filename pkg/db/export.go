package db

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
)

// Export is the db:export step of one stack: pg_dump into a new dump file.
type Export struct {
	Cfg    Config
	Loc    Location
	Format Format
	// Path is the dump file to create; decided when the plan is built, so
	// the dry run, the hooks and the real run all name the same file.
	Path string
	// Argv is the pg_dump command (docker compose exec ... pg_dump ... in a
	// container).
	Argv        []string
	LockTimeout time.Duration
	Progress    Progress
}

// NewExport plans an export of cfg's database at loc into a dump taken
// at t.
func NewExport(cfg Config, loc Location, f Format, t time.Time) *Export {
	var args []string
	if f == Custom {
		args = append(args, "-Fc")
	}
	args = append(args, "-d", dbArg(cfg.Name))
	return &Export{
		Cfg: cfg, Loc: loc, Format: f,
		Path: filepath.Join(cfg.DumpDir, FileName(cfg.Name, t, f)),
		Argv: loc.Argv("pg_dump", args...),
	}
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
		fmt.Sprintf("writes:  %s (%s), first as a hidden %s file, renamed when pg_dump succeeded and the dump is complete", x.Path, x.Format, ".partial"),
	}
	if x.Cfg.Password != "" {
		lines = append(lines, "password: "+VarPassword+" passed as "+PasswordVar+" in the environment only")
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
	lock, err := AcquireLock(ctx, LockPath(dir, x.Cfg.Name), x.LockTimeout, "db:export of "+x.Cfg.Name)
	if err != nil {
		return err
	}
	defer lock.Release()
	if _, err := os.Lstat(x.Path); err == nil {
		return fmt.Errorf("%s already exists; not overwriting it", x.Path)
	}
	tmp, err := os.CreateTemp(dir, partialPattern(x.Path))
	if err != nil {
		return fmt.Errorf("create dump: %w", err)
	}
	published := false
	defer func() {
		if !published {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	cmd := proc.Cmd{Argv: x.Argv, Dir: ex.Cmd.Dir, Env: x.Loc.Env(ex.Cmd.Env), Stderr: ex.Cmd.Stderr}
	var size func() int64
	var tail *tailKeeper
	var runErr error
	if x.Format == Plain || x.Format == Custom {
		// pg_dump writes straight into the file: no copy through kompose.
		cmd.Stdout = tmp
		size = func() int64 {
			fi, err := tmp.Stat()
			if err != nil {
				return 0
			}
			return fi.Size()
		}
		pr := x.Progress.start(ex.Cmd.Stderr, "dumped", 0, size)
		runErr = ex.Proc.Run(ctx, cmd)
		pr.Stop()
	} else {
		var in counter
		size = in.Load
		tail = newTail(1024)
		pr := x.Progress.start(ex.Cmd.Stderr, "dumped", 0, size)
		runErr = x.compressRun(ctx, ex.Proc, cmd, tmp, &in, tail)
		pr.Stop()
	}
	if runErr != nil {
		return fmt.Errorf("%w; no dump written", runErr)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w; no dump written", context.Cause(ctx))
	}
	if err := x.verify(tmp, tail); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync dump: %w", err)
	}
	fi, _ := tmp.Stat()
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write dump: %w", err)
	}
	if err := publish(tmp.Name(), x.Path); err != nil {
		return err
	}
	published = true
	syncDir(dir)
	fmt.Fprintf(ex.Cmd.Stderr, "    wrote %s (%s, %s) in %.1fs\n", x.Path, HumanSize(fi.Size()), x.Format, time.Since(start).Seconds())
	return nil
}

// compressRun runs pg_dump with its output going through a pipe into the
// compressor and the file. Memory stays at the size of the buffers
// whatever the size of the database.
func (x *Export) compressRun(ctx context.Context, pr proc.Runner, cmd proc.Cmd, out *os.File, in *counter, tail *tailKeeper) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd.Stdout = w
	errc := make(chan error, 1)
	go func() {
		err := pr.Run(ctx, cmd)
		w.Close() // pg_dump's end of the pipe is closed too: the copy sees EOF
		errc <- err
	}()
	bw := bufio.NewWriterSize(out, 1<<20)
	zw, err := compressor(bw, x.Format)
	if err == nil {
		_, err = io.CopyBuffer(io.MultiWriter(zw, tail), countingReader{r, in}, make([]byte, 256<<10))
		if cerr := zw.Close(); err == nil {
			err = cerr
		}
		if ferr := bw.Flush(); err == nil {
			err = ferr
		}
	}
	r.Close() // if the copy failed, pg_dump gets EPIPE instead of blocking
	runErr := <-errc
	if runErr != nil {
		return runErr
	}
	if err != nil {
		return fmt.Errorf("write dump: %w", err)
	}
	return nil
}

// verify checks that the file holds a whole dump: a plain dump ends with
// pg_dump's completion line, a custom archive starts with its magic.
func (x *Export) verify(f *os.File, tail *tailKeeper) error {
	incomplete := fmt.Errorf("pg_dump succeeded but its output is not a complete dump; no dump written")
	switch x.Format {
	case Custom:
		head := make([]byte, len(customMagic))
		if _, err := f.ReadAt(head, 0); err != nil || sniff(head) != Custom {
			return incomplete
		}
	case Plain:
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		t := newTail(1024)
		off := fi.Size() - 1024
		if off < 0 {
			off = 0
		}
		if _, err := io.Copy(t, io.NewSectionReader(f, off, fi.Size()-off)); err != nil {
			return err
		}
		tail = t
		fallthrough
	default:
		if !tail.complete() {
			return incomplete
		}
	}
	return nil
}

// publish gives the complete temporary file its final name, never
// replacing an existing file.
func publish(tmp, final string) error {
	err := os.Link(tmp, final)
	switch {
	case err == nil:
		return os.Remove(tmp)
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%s already exists; not overwriting it", final)
	}
	// No hard links on this file system: rename, after checking.
	if _, err := os.Lstat(final); err == nil {
		return fmt.Errorf("%s already exists; not overwriting it", final)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("rename dump: %w", err)
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
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
