package vol

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kompose-dev/kompose/pkg/codec"
	"github.com/kompose-dev/kompose/pkg/encrypt"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/safefile"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// Import is the vol:import step: one archive into one target of one
// stack, never losing what is there.
type Import struct {
	Stack, Project string
	Dir            string // the stack's backup folder: the safety copy goes there
	Target         Target
	Archive        string
	Codec          codec.Codec
	// Layers unwrap an encrypted archive (age, with the identities of
	// KOMPOSE_AGE_IDENTITY_FILE).
	Layers []Layer
	// Seal encrypts the safety copy as vol:export encrypts the stack's
	// archives (KOMPOSE_AGE_RECIPIENTS_FILE); it holds the identities
	// that read it back when the restore fails (sealFor).
	Seal *ageLayer
	// Manifest is the archive's, when it has one (Manifest.Version > 0).
	Manifest    Manifest
	Images      []string
	Time        time.Time
	LockTimeout time.Duration
	Force       bool
}

// HookArgs: hook_pre_vol_import and hook_post_vol_import receive the
// archive's path.
func (x *Import) HookArgs() []string { return []string{x.Archive} }

// Describe says what the import does, for the dry run.
func (x *Import) Describe() []string {
	d := []string{
		fmt.Sprintf("restore: %s into %s %s (%s)", x.Archive, x.Target.Kind, x.Target.Name, x.Target.Engine),
		"check:   the whole archive decompresses and parses (and matches its manifest) before anything changes",
		"stop:    the stack's running containers that mount it (compose stop), started again afterwards, also on failure",
		"safety:  the current contents archived first into " + x.Dir + " (listed by vol:list), then the contents replaced through a container of the stack's image (needs /bin/sh in it)",
		"undo:    if the restore fails, the old contents are put back from that safety copy",
	}
	if x.Seal != nil {
		d = append(d, "seal:    the safety copy is encrypted with age to the recipients of "+encrypt.VarRecipients+" (.tar.zst.age), read back with "+encrypt.VarIdentity)
	}
	return d
}

// Run performs the restore.
func (x *Import) Run(ctx context.Context, ex *plan.ActionEnv) error {
	if err := os.MkdirAll(x.Dir, 0o750); err != nil {
		return fmt.Errorf("backup folder: %w", err)
	}
	if err := trust.NewTree(policyOf(ex)).CheckDir(dirUse, x.Dir); err != nil {
		return err
	}
	l, err := lockTarget(ctx, policyOf(ex), x.Dir, x.Target, x.LockTimeout, "vol:import into "+x.Target.Name)
	if err != nil {
		return err
	}
	defer l.Release()
	return x.runLocked(ctx, ex)
}

// runLocked is Run once the backup folder is checked and the target's
// lock held.
func (x *Import) runLocked(ctx context.Context, ex *plan.ActionEnv) (err error) {
	w := ex.Cmd.Stderr
	want, err := x.check(ctx, ex)
	if err != nil {
		return err
	}
	e := engine{ex: ex}
	e.removeHelpers(ctx, x.Project)
	cs, err := e.containers(ctx, x.Project)
	if err != nil {
		return err
	}
	if users := usersOf(cs, x.Target); len(users) > 0 {
		if err := e.compose(ctx, "stop", users); err != nil {
			return errors.Join(err, e.compose(context.WithoutCancel(ctx), "start", users))
		}
		defer func() {
			if serr := e.compose(context.WithoutCancel(ctx), "start", users); serr != nil {
				err = errors.Join(err, serr)
			}
		}()
	}
	var images []string
	for _, c := range cs {
		images = append(images, c.Image)
	}
	src, err := e.helper(ctx, x.Project, x.Target, append(images, x.Images...), true)
	if err != nil {
		return err
	}
	defer e.remove(ctx, src)
	safety := &Export{Stack: x.Stack, Project: x.Project, Dir: x.Dir, Time: x.Time, Pipe: x.safetyPipeline()}
	saved, err := safety.write(ctx, e, x.Target, freePath(x.Dir, x.Target.FileBase(), x.Time, safety.Pipe.Suffix()), src,
		"safety copy before vol:import of "+filepath.Base(x.Archive))
	if err != nil {
		return fmt.Errorf("the safety copy of the current contents failed, nothing was changed: %w", err)
	}
	fmt.Fprintf(w, "    safety copy of the current contents: %s\n", saved)
	rerr := x.restore(ctx, e, src, x.Archive, Pipeline{Codec: x.Codec, Layers: x.Layers}, want)
	if rerr == nil {
		fmt.Fprintf(w, "    restored %s into %s %s (%d entries, %s of files)\n", x.Archive, x.Target.Kind, x.Target.Name, want.Files, output.HumanSize(want.Bytes))
		return nil
	}
	if ctx.Err() != nil {
		rerr = fmt.Errorf("%w (interrupted)", rerr)
	}
	fmt.Fprintf(w, "    restore failed: %v; putting the old contents back from %s\n", rerr, saved)
	m, _ := ReadManifest(saved)
	if uerr := x.restore(context.WithoutCancel(ctx), e, src, saved, x.safetyPipeline(), m.Counts); uerr != nil {
		return fmt.Errorf("restore failed: %v; putting the old contents back failed too: %v; they are in %s", rerr, uerr, saved)
	}
	return fmt.Errorf("restore failed: %v; the old contents were put back (from %s)", rerr, saved)
}

// safetyPipeline writes the safety copy and reads it back for the undo:
// zstd, and age when the stack encrypts its archives.
func (x *Import) safetyPipeline() Pipeline {
	p := Pipeline{Codec: codec.Zstd}
	if x.Seal != nil {
		p.Layers = []Layer{x.Seal}
	}
	return p
}

// sealFor plans the encryption of vol:import's safety copy: nil when the
// stack does not encrypt its archives; refused when it does without
// KOMPOSE_AGE_IDENTITY_FILE, since the undo could not read the copy
// back (nothing is changed then).
func sealFor(s *plan.Stack) (*ageLayer, error) {
	enc, err := encryptionFor(s)
	if err != nil || enc == nil {
		return nil, err
	}
	if len(enc.ids) == 0 {
		return nil, fmt.Errorf("the stack encrypts its archives (%s), so the safety copy of the current contents is encrypted too, and putting it back if the restore fails needs the key: set %s; nothing was changed", encrypt.VarRecipients, encrypt.VarIdentity)
	}
	return enc, nil
}

// check reads the whole archive before anything changes: it must
// decompress and parse, and agree with its manifest. It returns what the
// archive holds.
func (x *Import) check(ctx context.Context, ex *plan.ActionEnv) (Counts, error) {
	f, err := safefile.OpenReadBack(trust.NewTree(policyOf(ex)), "restore the archive", x.Archive)
	if err == nil && f == nil {
		err = fmt.Errorf("archive %s not found", x.Archive)
	}
	if err != nil {
		return Counts{}, err
	}
	defer f.Close()
	got, sum, err := Pipeline{Codec: x.Codec, Layers: x.Layers, Screen: screen(x.Target)}.VerifyFile(ctx, ex.Proc, ex.Cmd.Env, f)
	var he *HostileEntryError
	if errors.As(err, &he) {
		return got, fmt.Errorf("archive %s: refusing it: %w; nothing was changed", x.Archive, he)
	}
	if err != nil {
		return got, fmt.Errorf("archive %s is not whole (%v); nothing was changed", x.Archive, err)
	}
	if m := x.Manifest; m.Version > 0 && (m.SHA256 != sum || m.Counts.Files != got.Files || m.Counts.Bytes != got.Bytes) {
		return got, fmt.Errorf("archive %s does not match its manifest (sha256 %s, %d entries, %d bytes; the manifest says %s, %d, %d); nothing was changed", x.Archive, sum, got.Files, got.Bytes, m.SHA256, m.Counts.Files, m.Counts.Bytes)
	}
	return got, nil
}

// restore replaces the contents of the helper's mount with the archive:
// empties it (a throwaway container of the helper's image running
// /bin/sh), extracts the tar with docker cp -a (owners kept), and reads
// the result back to compare the counts.
func (x *Import) restore(ctx context.Context, e engine, src source, archive string, p Pipeline, want Counts) error {
	if err := e.clear(ctx, x.Target, src.Image); err != nil {
		return err
	}
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	var in io.Reader = bufio.NewReaderSize(f, 1<<20)
	for _, l := range p.Layers {
		if in, err = l.Unwrap(in); err != nil {
			return err
		}
	}
	zr, err := p.Codec.Reader(in)
	if err != nil {
		return err
	}
	defer zr.Close()
	args := []string{"cp", "-a", "-", src.Container + ":" + src.Path}
	var tail bytes.Buffer
	cmd := e.cmd(append([]string{"docker"}, args...), io.Discard, &tail)
	cmd.Stdin = zr
	if err := e.ex.Proc.Run(ctx, cmd); err != nil {
		return dockerError(args, err, tail.String())
	}
	r, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		err := e.stream(ctx, src, pw, io.Discard)
		pw.CloseWithError(err)
		errc <- err
	}()
	got, werr := Pipeline{}.Write(r, io.Discard)
	r.Close()
	if err := <-errc; err != nil {
		return fmt.Errorf("read back: %w", err)
	}
	if werr != nil {
		return fmt.Errorf("read back: %w", werr)
	}
	if got.Files != want.Files || got.Bytes != want.Bytes {
		return fmt.Errorf("read back %d entries and %d bytes, the archive holds %d and %d", got.Files, got.Bytes, want.Files, want.Bytes)
	}
	return nil
}

// clear empties the target through a throwaway container of image.
func (e engine) clear(ctx context.Context, t Target, image string) error {
	if err := e.checkBind(t); err != nil {
		return err
	}
	spec := "type=volume,src=" + t.Engine + ",dst=" + helperMount + ",volume-nocopy"
	if t.Kind == Bind {
		spec = "type=bind,src=" + t.Engine + ",dst=" + helperMount
	}
	_, err := e.out(ctx, "run", "--rm", "--pull", "never", "--network", "none", "--label", helperLabel+"=clear",
		"--user", "0:0", "--entrypoint", "/bin/sh", "--mount", spec, image, "-c", `find "$0" -mindepth 1 -delete`, helperMount)
	if err != nil {
		return fmt.Errorf("empty %s %s (with /bin/sh and find of image %s): %w", t.Kind, t.Name, shortImage(image), err)
	}
	return nil
}

// HostileEntryError is an archive entry vol:import refuses.
type HostileEntryError struct {
	Name, Why string
}

func (e *HostileEntryError) Error() string { return fmt.Sprintf("entry %q %s", e.Name, e.Why) }

// screen refuses, in any target, an entry whose name is absolute or
// climbs out with ".." (docker cp refuses those only after the target was
// emptied), and, in a bind target, a device node or a set-user/group-ID
// file: docker cp -a creates them as root in a folder of the host, where
// any local user who reaches it could use them. A named volume lives in
// the engine's own folder, out of other users' reach.
func screen(t Target) func(*tar.Header) error {
	return func(h *tar.Header) error {
		name := h.Name
		if strings.HasPrefix(name, "/") || slices.Contains(strings.Split(name, "/"), "..") {
			return &HostileEntryError{Name: name, Why: "would land outside the " + string(t.Kind)}
		}
		if t.Kind != Bind {
			return nil
		}
		switch {
		case h.Typeflag == tar.TypeChar || h.Typeflag == tar.TypeBlock:
			return &HostileEntryError{Name: name, Why: "is a device node, which would be created as root in the host folder " + t.Name + " (extract it by hand if you mean it)"}
		case h.Typeflag != tar.TypeDir && h.Mode&(cISUID|cISGID) != 0:
			return &HostileEntryError{Name: name, Why: fmt.Sprintf("is set-user/group-ID (mode %o), which would be created in the host folder %s (extract it by hand if you mean it)", h.Mode, t.Name)}
		}
		return nil
	}
}

// The set-ID bits of a tar header's mode.
const cISUID, cISGID = 0o4000, 0o2000

// usersOf are the services with a running container that mounts t.
func usersOf(cs []container, t Target) []string {
	var out []string
	for _, c := range cs {
		if !c.State.Running {
			continue
		}
		for _, m := range c.Mounts {
			if mounts(m, t) {
				out = appendOnce(out, c.Config.Labels["com.docker.compose.service"])
			}
		}
	}
	return out
}

// archiveCodec is the compression an archive's name says.
func archiveCodec(name string) (codec.Codec, error) {
	switch {
	case strings.HasSuffix(name, ".tar.zst"):
		return codec.Zstd, nil
	case strings.HasSuffix(name, ".tar.gz"), strings.HasSuffix(name, ".tgz"):
		return codec.Gzip, nil
	case strings.HasSuffix(name, ".tar"):
		return codec.None, nil
	}
	return codec.None, fmt.Errorf("%s: not a .tar, .tar.gz or .tar.zst archive", name)
}
