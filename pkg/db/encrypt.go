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
	"syscall"
	"time"

	"filippo.io/age"

	"github.com/kompose-dev/kompose/pkg/encrypt"
	"github.com/kompose-dev/kompose/pkg/offsite"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
)

// ageExt ends the name of a dump encrypted with age.
const ageExt = encrypt.Ext

// Encryption is how an export encrypts its dump: with age, to the
// recipients of KOMPOSE_AGE_RECIPIENTS_FILE (read when the plan is made).
type Encryption struct {
	File       string
	Recipients []age.Recipient
}

// encryptionFor plans the encryption of a stack's dumps: nil without
// KOMPOSE_AGE_RECIPIENTS_FILE; an error when the file is refused by the
// trust rule or holds no recipient.
func encryptionFor(s *plan.Stack) (*Encryption, error) {
	path, _ := s.Env.Get(encrypt.VarRecipients)
	if path == "" {
		return nil, nil
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(s.Dir, path)
	}
	rs, err := encrypt.Recipients(s.Policy, path)
	if err != nil {
		return nil, err
	}
	return &Encryption{File: path, Recipients: rs}, nil
}

// freePath is the path of a new dump of x in dir (freeDumpPath), with
// .age when x encrypts.
func (x *Export) freePath(dir string) string {
	p := freeDumpPath(dir, x.Cfg.Name, x.Time, x.Format)
	if x.Encrypt != nil {
		p += ageExt
	}
	return p
}

// describe is the dry run's line for the encryption.
func (e *Encryption) describe() string {
	return fmt.Sprintf("encrypt: with age to the %d recipient(s) of %s (%s) as it is written; the dump is verified complete before the encryption is finished", len(e.Recipients), encrypt.VarRecipients, e.File)
}

// verifyWritten checks the dump written to f: read back (verify) when it
// is not encrypted; when it is, the stream was checked as it went
// (unverified says what was wrong, "" when nothing).
func (x *Export) verifyWritten(ctx context.Context, ex *plan.ActionEnv, f *os.File, unverified string) error {
	if x.Encrypt == nil {
		return x.verify(ctx, ex, f)
	}
	if unverified != "" {
		return fmt.Errorf("%s exited 0 but its output is not a complete dump (%s); no dump written", x.tool(), unverified)
	}
	return nil
}

// encryptRun runs pg_dump into out through the compressor and age, with
// the upload (offsite) beside the file. The plain SQL is checked for
// pg_dump's completion line, and the compressed stream decompressed in
// full, before the age stream is finished: a dump that is not complete
// never becomes a valid age file (nor a snapshot). unverified says why
// the stream is not a complete dump.
func (x *Export) encryptRun(ctx context.Context, pr proc.Runner, cmd proc.Cmd, out *os.File, in *counter, up *offsite.Pending) (runErr, writeErr error, unverified string) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err, ""
	}
	cmd.Stdout = w
	errc := make(chan error, 1)
	go func() {
		err := pr.Run(ctx, cmd)
		w.Close()
		errc <- err
	}()
	bw := bufio.NewWriterSize(out, 1<<20)
	var werr error
	aw, err := encrypt.Writer(errWriter{up.Tee(bw), &werr}, x.Encrypt.Recipients)
	if err != nil {
		r.Close()
		return <-errc, err, ""
	}
	// The compressed stream goes to age and to a decompressing check; a
	// custom archive to age and to pg_restore, which reads it all.
	var sink io.Writer = aw
	check := x.streamCheck(ctx, pr, cmd)
	if check != nil {
		sink = io.MultiWriter(aw, check)
	}
	zw, err := streamWriter(sink, x.Format)
	if err != nil {
		r.Close()
		return <-errc, err, ""
	}
	sql := newTail(1024)
	_, err = io.CopyBuffer(io.MultiWriter(zw, sql), countingReader{r, in}, make([]byte, 256<<10))
	r.Close()
	runErr = <-errc
	if werr != nil {
		err = werr
	}
	if err == nil {
		err = zw.Close()
	}
	if check != nil {
		if cerr := check.finish(); cerr != nil && err == nil && runErr == nil {
			unverified = cerr.Error()
		}
	}
	if err != nil || runErr != nil || unverified != "" {
		return runErr, err, unverified
	}
	if x.Format != Custom && !sql.engineComplete(x.Loc.Engine) {
		return nil, nil, fmt.Sprintf("no %q line at its end", engineMarker(x.Loc.Engine))
	}
	// Complete: only now is the age stream finished.
	if err := aw.Close(); err != nil {
		return nil, err, ""
	}
	if werr != nil {
		return nil, werr, ""
	}
	return nil, bw.Flush(), ""
}

// streamCheck is the check of x's stream as it passes: decompressed in
// full (gzip, zstd), read by pg_restore (custom), none for plain SQL
// (whose end encryptRun checks).
func (x *Export) streamCheck(ctx context.Context, pr proc.Runner, dump proc.Cmd) streamChecker {
	switch x.Format {
	case Gzip, Zstd:
		return newStreamCheck(x.Format)
	case Custom:
		return x.newArchiveCheck(ctx, pr, dump)
	}
	return nil
}

// streamChecker reads what is written to it, as it comes, and says at
// the end whether it was whole.
type streamChecker interface {
	io.Writer
	finish() error
}

// archiveCheck is pg_restore, where pg_dump runs, reading a custom
// archive from its standard input into /dev/null as it is written (the
// check [Export.verifyArchive] makes of an unencrypted file).
type archiveCheck struct {
	pw   *io.PipeWriter
	errb bytes.Buffer
	done chan error
}

func (x *Export) newArchiveCheck(ctx context.Context, pr proc.Runner, dump proc.Cmd) *archiveCheck {
	r, w := io.Pipe()
	c := &archiveCheck{pw: w, done: make(chan error, 1)}
	cmd := proc.Cmd{Argv: x.Loc.Argv("pg_restore", "-f", "/dev/null"), Dir: dump.Dir, Env: dump.Env, Stdin: r, Stdout: io.Discard, Stderr: &c.errb}
	go func() {
		err := pr.Run(ctx, cmd)
		r.CloseWithError(errors.New("pg_restore ended"))
		c.done <- err
	}()
	return c
}

func (c *archiveCheck) Write(p []byte) (int, error) {
	_, _ = c.pw.Write(p) // a pg_restore that stopped is reported by finish
	return len(p), nil
}

func (c *archiveCheck) finish() error {
	c.pw.Close()
	if err := <-c.done; err != nil {
		if msg := errorLine(c.errb.String()); msg != "" {
			return fmt.Errorf("pg_restore cannot read it all: %s", msg)
		}
		return fmt.Errorf("pg_restore cannot read it all: %w", err)
	}
	return nil
}

// streamCheck decompresses what is written to it, in a goroutine, to
// the end.
type streamCheck struct {
	pw   *io.PipeWriter
	done chan error
}

func newStreamCheck(f Format) *streamCheck {
	pr, pw := io.Pipe()
	c := &streamCheck{pw: pw, done: make(chan error, 1)}
	go func() {
		zr, err := decompressor(pr, f)
		if err == nil {
			_, err = io.Copy(io.Discard, zr)
			zr.Close()
		}
		if err != nil {
			err = fmt.Errorf("the compressed stream does not decompress: %w", err)
		}
		pr.CloseWithError(err) // a writer still writing is not held up
		c.done <- err
	}()
	return c
}

func (c *streamCheck) Write(p []byte) (int, error) {
	// A stream that does not decompress is reported by finish; the
	// writes to the file go on.
	_, _ = c.pw.Write(p)
	return len(p), nil
}

func (c *streamCheck) finish() error {
	c.pw.Close()
	return <-c.done
}

// decryptTo decrypts the age file src with the identities of
// KOMPOSE_AGE_IDENTITY_FILE into dir (a private folder), under its name
// without .age; it returns the plain file's path.
func decryptTo(ids []age.Identity, src, dir string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", fmt.Errorf("encrypted dump: %w", err)
	}
	defer in.Close()
	dr, err := encrypt.Reader(bufio.NewReaderSize(in, 1<<20), ids)
	if err != nil {
		return "", fmt.Errorf("decrypt %s: %w", src, err)
	}
	path := filepath.Join(dir, encrypt.Plain(filepath.Base(src)))
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return "", fmt.Errorf("decrypted dump: %w", err)
	}
	_, err = io.CopyBuffer(out, dr, make([]byte, 256<<10))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("decrypt %s: %w", src, err)
	}
	return path, nil
}

// identitiesFor reads the stack's KOMPOSE_AGE_IDENTITY_FILE, needed to
// import file (an encrypted dump).
func identitiesFor(s *plan.Stack, file string) ([]age.Identity, error) {
	path, _ := s.Env.Get(encrypt.VarIdentity)
	if path == "" {
		return nil, fmt.Errorf("%s is encrypted (age): set %s to the file of the key that decrypts it", file, encrypt.VarIdentity)
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(s.Dir, path)
	}
	return encrypt.Identities(s.Policy, path)
}

// DecryptImport is db:import of an encrypted dump: decrypted into a
// private folder inside the dump folder, then imported as any dump is,
// and removed.
type DecryptImport struct {
	Cfg        Config
	Loc        Location
	File       string
	Identities []age.Identity
	Now        time.Time
	// What the import of the decrypted file gets.
	FromOther   bool
	LockTimeout time.Duration
	Progress    Progress
}

// HookArgs: the import's hooks get the encrypted dump's path.
func (x *DecryptImport) HookArgs() []string { return []string{x.File} }

// DumpFile is the dump this import loads (plan.DumpFiler).
func (x *DecryptImport) DumpFile() string { return x.File }

// Describe says what the import does, for the dry run.
func (x *DecryptImport) Describe() []string {
	return []string{
		fmt.Sprintf("decrypts: %s with the key(s) of %s into a private folder in %s", x.File, encrypt.VarIdentity, x.Cfg.DumpDir),
		"then:     imports the decrypted file as db:import FILE does (read in full and checked, loaded into a scratch database, swapped in), and removes it",
	}
}

// Run decrypts and imports.
func (x *DecryptImport) Run(ctx context.Context, ex *plan.ActionEnv) error {
	if err := CheckDumpFile(policyOf(ex), x.File); err != nil {
		return err
	}
	dir, done, err := restoreDir(x.Cfg, ex)
	if err != nil {
		return err
	}
	defer done()
	plain, err := decryptTo(x.Identities, x.File, dir)
	if err != nil {
		return fmt.Errorf("%w; nothing was changed", err)
	}
	return importPlain(ctx, ex, x.Cfg, x.Loc, plain, x.Now, x.FromOther, x.LockTimeout, x.Progress)
}

// importPlain imports the file at path (read back or decrypted) as
// db:import FILE does.
func importPlain(ctx context.Context, ex *plan.ActionEnv, cfg Config, loc Location, path string, now time.Time, fromOther bool, lockWait time.Duration, progress Progress) error {
	imp, err := NewImport(cfg, loc, path, now)
	if err != nil {
		return err
	}
	imp.FromOther, imp.LockTimeout, imp.Progress = fromOther, lockWait, progress
	if err := imp.CheckOrigin(); err != nil {
		return err
	}
	return imp.Run(ctx, ex)
}
