package vol

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kompose-dev/kompose/pkg/lock"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/safefile"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// dirUse is what kompose does with a backup folder, for trust messages.
const dirUse = "write volume archives into"

// Export is the vol:export step of one stack: one archive per target.
type Export struct {
	Stack, Project string
	Dir            string // the stack's backup folder
	Targets        []Target
	// Paths are the archives to create, one per target; decided when the
	// plan is built, so the dry run, the hooks and the run name the same
	// files.
	Paths []string
	Time  time.Time
	Pipe  Pipeline
	// Images are the stack's services' images, the last resort for a
	// helper container (the images of its containers come first).
	Images      []string
	LockTimeout time.Duration
	// Stop are the services (x-kompose.backup.stop) stopped while the
	// archives are made; those that were running are started again,
	// also when an archive fails or kompose is interrupted.
	Stop []string
	// Notes are said in the plan: volumes left out and why.
	Notes []string
	// Offsite, when set, also stores each archive in the stack's restic
	// repository as it is written (offsite.go).
	Offsite *Offsite
	Now     func() time.Time
	// written are the archives Run made ([Export.Archives]).
	written []plan.ArchiveResult
}

// Archives are the archives Run wrote (plan.Archiver).
func (x *Export) Archives() []plan.ArchiveResult { return x.written }

// Drop leaves the target named name out of the export, saying why in the
// plan; it reports whether the export had it.
func (x *Export) Drop(name, why string) bool {
	for i, t := range x.Targets {
		if t.Name == name {
			x.Targets = append(x.Targets[:i:i], x.Targets[i+1:]...)
			x.Paths = append(x.Paths[:i:i], x.Paths[i+1:]...)
			x.Notes = append(x.Notes, why)
			return true
		}
	}
	return false
}

// HookArgs: hook_pre_vol_export and hook_post_vol_export receive the
// archives' paths.
func (x *Export) HookArgs() []string { return x.Paths }

// Describe says what the export does, for the dry run.
func (x *Export) Describe() []string {
	var lines []string
	for i, t := range x.Targets {
		what := fmt.Sprintf("%s %s", t.Kind, t.Name)
		if t.Kind == Volume {
			what += " (" + t.Engine + ")"
		}
		lines = append(lines, fmt.Sprintf("archive: %s -> %s", what, x.Paths[i]))
	}
	lines = append(lines,
		"how:     docker cp from a container of the stack that mounts it (a stopped one first), else from a container created, never started, from an image the stack has (--pull never); nothing is pulled",
		"writes:  a hidden .partial file, read back in full (decompressed, every entry parsed, counts compared), its manifest beside it, then renamed")
	if len(x.Pipe.Exclude) > 0 {
		lines = append(lines, "exclude: "+strings.Join(x.Pipe.Exclude, ", "))
	}
	if len(x.Stop) > 0 {
		lines = append(lines, "stop:    "+strings.Join(x.Stop, ", ")+" (compose stop) while archiving; then start again those that were running, also on failure or interrupt")
	}
	for _, l := range x.Pipe.Layers {
		if a, ok := l.(*ageLayer); ok {
			lines = append(lines, a.describe())
		}
	}
	if x.Offsite != nil {
		lines = append(lines, x.Offsite.describe())
	}
	for _, n := range x.Notes {
		lines = append(lines, "note:    "+n)
	}
	return lines
}

// Run archives every target; one that fails does not stop the others, and
// the step fails naming each.
func (x *Export) Run(ctx context.Context, ex *plan.ActionEnv) (err error) {
	if err := os.MkdirAll(x.Dir, 0o750); err != nil {
		return fmt.Errorf("backup folder: %w", err)
	}
	if err := trust.NewTree(policyOf(ex)).CheckDir(dirUse, x.Dir); err != nil {
		return err
	}
	e := engine{ex: ex}
	e.removeHelpers(ctx, x.Project)
	cs, err := e.containers(ctx, x.Project)
	if err != nil {
		return err
	}
	if stopped := runningOf(cs, x.Stop); len(stopped) > 0 {
		if err := e.compose(ctx, "stop", stopped); err != nil {
			// Some may have stopped: start them all again.
			return errors.Join(err, e.compose(context.WithoutCancel(ctx), "start", stopped))
		}
		defer func() {
			if serr := e.compose(context.WithoutCancel(ctx), "start", stopped); serr != nil {
				err = errors.Join(err, serr)
			}
		}()
		if cs, err = e.containers(ctx, x.Project); err != nil {
			return err
		}
	}
	var images []string
	for _, c := range cs {
		images = append(images, c.Image)
	}
	images = append(images, x.Images...)
	var errs []string
	for i, t := range x.Targets {
		if err := x.one(ctx, e, t, x.Paths[i], cs, images); err != nil {
			if ctx.Err() != nil {
				return err
			}
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// runningOf are the services of list that have a running container in
// cs, sorted.
func runningOf(cs []container, list []string) []string {
	var out []string
	for _, svc := range list {
		for _, c := range cs {
			if c.State.Running && c.Config.Labels["com.docker.compose.service"] == svc {
				out = append(out, svc)
				break
			}
		}
	}
	return out
}

// one archives a target into final.
func (x *Export) one(ctx context.Context, e engine, t Target, final string, cs []container, images []string) error {
	l, err := lockTarget(ctx, policyOf(e.ex), x.Dir, t, x.LockTimeout, "vol:export of "+t.Name)
	if err != nil {
		return err
	}
	defer l.Release()
	src, ok := find(cs, t)
	if !ok {
		if src, err = e.helper(ctx, x.Project, t, images, false); err != nil {
			return fmt.Errorf("%s %s: %w", t.Kind, t.Name, err)
		}
	}
	defer e.remove(ctx, src)
	start := time.Now()
	name, err := x.write(ctx, e, t, final, src, "")
	if name != "" {
		r := plan.ArchiveResult{Volume: t.Name, File: name, Time: x.Time, Seconds: time.Since(start).Seconds()}
		if fi, serr := os.Stat(name); serr == nil {
			r.Size = fi.Size()
		}
		x.written = append(x.written, r)
	}
	return err
}

// write archives what src holds into final (or the next free name), as
// every archive is written: a hidden .partial file, read back in full,
// the manifest beside it, then the name. note is kept in the manifest.
// With an offsite repository, the stored bytes are teed into a restic
// snapshot as they are written, committed only once the archive is
// verified and named. It returns the archive's path ("" when none was
// written; set with the error of a failed offsite copy).
func (x *Export) write(ctx context.Context, e engine, t Target, final string, src source, note string) (string, error) {
	start := time.Now()
	w := e.ex.Cmd.Stderr
	tmp, err := safefile.CreatePartial(final)
	if err != nil {
		return "", err
	}
	published := false
	defer func() {
		if !published {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	up := x.startOffsite(ctx, e.ex, t, filepath.Base(final))
	defer up.Close()
	pipe := x.Pipe
	pipe.Tee = up.Writer()
	var chk *streamCheck
	if len(pipe.Layers) > 0 {
		// The compressed stream is checked as it passes, before the
		// layers (age) finish the file (encrypt.go).
		chk = &streamCheck{codec: pipe.Codec}
		pipe.Layers = append([]Layer{chk}, pipe.Layers...)
	}
	counts, err := x.copy(ctx, e, src, tmp, pipe)
	if err != nil {
		chk.abort()
		return "", fmt.Errorf("%s %s: %w; no archive written", t.Kind, t.Name, err)
	}
	if chk != nil && (chk.counts.Files != counts.Files || chk.counts.Bytes != counts.Bytes) {
		return "", fmt.Errorf("%s %s: the compressed stream holds %d entries and %d bytes, %d and %d were written; no archive written", t.Kind, t.Name, chk.counts.Files, chk.counts.Bytes, counts.Files, counts.Bytes)
	}
	if err := tmp.Sync(); err != nil {
		return "", fmt.Errorf("%s %s: %w; no archive written", t.Kind, t.Name, safefile.WriteFailure(err, x.Dir, "the archive"))
	}
	fi, err := tmp.Stat()
	if err != nil {
		return "", err
	}
	var got Counts
	var sum string
	if x.Pipe.sealed() {
		// Encrypted without the key here: checked as it passed (above);
		// the file is read in full for its sha256.
		got = counts
		sum, err = hashStored(io.NewSectionReader(tmp, 0, fi.Size()))
	} else {
		got, sum, err = x.Pipe.VerifyFile(ctx, e.ex.Proc, e.ex.Cmd.Env, tmp)
	}
	if err != nil || got.Files != counts.Files || got.Bytes != counts.Bytes {
		return "", fmt.Errorf("%s %s: the archive written does not read back whole (%v; %d entries and %d bytes written, %d and %d read); no archive written", t.Kind, t.Name, err, counts.Files, counts.Bytes, got.Files, got.Bytes)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("%s %s: %w; no archive written", t.Kind, t.Name, safefile.WriteFailure(err, x.Dir, "the archive"))
	}
	m := Manifest{Version: 1, Stack: x.Stack, Project: x.Project, Volume: t.Name, Kind: t.Kind, Engine: t.Engine,
		Created: x.Time, Codec: x.Pipe.Codec.String(), Counts: counts, Size: fi.Size(), SHA256: sum,
		Seconds: time.Since(start).Seconds(), Excludes: x.Pipe.Exclude, Note: note}
	next := func() string { return freePath(x.Dir, t.FileBase(), x.Time, x.Pipe.Suffix()) }
	if _, err := os.Lstat(final); err == nil {
		final = next()
	}
	if err := writeManifest(final, m); err != nil {
		return "", err
	}
	name, err := safefile.Publish(tmp.Name(), final, next)
	if err != nil {
		os.Remove(final + ManifestSuffix)
		return "", err
	}
	if name != final {
		if err := os.Rename(final+ManifestSuffix, name+ManifestSuffix); err != nil {
			return "", err
		}
	}
	published = true
	fmt.Fprintf(w, "    wrote %s (%s; %d entries, %s of files) in %.1fs from %s\n", name, output.HumanSize(fi.Size()), counts.Files, output.HumanSize(counts.Bytes), time.Since(start).Seconds(), src.Desc)
	return name, up.Commit(w, name, "archive", stackMasker(e.ex).String)
}

// copy streams the target out of the engine through the pipeline into
// out. A failed write stops docker cp (its pipe closes); docker cp's
// failure with a complete-looking stream still fails the archive.
func (x *Export) copy(ctx context.Context, e engine, src source, out *os.File, pipe Pipeline) (Counts, error) {
	r, pw, err := os.Pipe()
	if err != nil {
		return Counts{}, err
	}
	errc := make(chan error, 1)
	var stderr strings.Builder
	go func() {
		err := e.stream(ctx, src, pw, &stderr)
		pw.Close()
		errc <- err
	}()
	counts, werr := pipe.WriteFile(ctx, e.ex.Proc, e.ex.Cmd.Env, r, out)
	if werr == nil {
		_, _ = io.Copy(io.Discard, r) // docker cp's end after the tar's
	}
	r.Close()
	runErr := <-errc
	switch {
	case ctx.Err() != nil:
		return counts, context.Cause(ctx)
	case errors.Is(werr, syscall.ENOSPC) || errors.Is(werr, syscall.EDQUOT):
		// docker cp's failure (a closed pipe) is the consequence.
		return counts, safefile.WriteFailure(werr, filepath.Dir(out.Name()), "the archive")
	case runErr != nil:
		return counts, runErr
	case werr != nil:
		return counts, werr
	}
	return counts, nil
}

func writeManifest(archive string, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return safefile.WriteFile(archive+ManifestSuffix, append(b, '\n'), 0o600)
}

// lockTarget takes the lock of a target's archives in dir: export, import
// and cleanup of one volume never run at once. A lock file another user
// planted is refused.
func lockTarget(ctx context.Context, pol trust.Policy, dir string, t Target, timeout time.Duration, what string) (*lock.Lock, error) {
	p := filepath.Join(dir, "."+t.FileBase()+".kompose.lock")
	l, err := lock.AcquireChecked(ctx, p, timeout, "kompose "+what, func(f *os.File) error {
		return safefile.CheckOpened(pol, "lock the volume's archives with", p, f)
	})
	var busy *lock.BusyError
	if errors.As(err, &busy) {
		who := busy.Holder
		if who == "" {
			who = "another kompose run"
		}
		return nil, fmt.Errorf("%s %s is busy: %s (lock %s); gave up after waiting %s (--vol-lock-timeout)", t.Kind, t.Name, who, p, timeout)
	}
	return l, err
}

// policyOf is the trust policy of the stack an action runs for.
func policyOf(ex *plan.ActionEnv) trust.Policy {
	if ex != nil && ex.Stack != nil {
		return ex.Stack.Policy
	}
	return trust.Current()
}
