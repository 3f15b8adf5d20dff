package vol

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/kompose-dev/kompose/pkg/encrypt"
	"github.com/kompose-dev/kompose/pkg/offsite"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// FromRestic is vol:import --from restic[:SNAPSHOT]: the archive a
// snapshot of the stack's restic repository holds, read back into a
// private folder inside the backup folder, then restored exactly as a
// local archive is ([Import]: read in full and checked before anything
// changes, safety copy, restore, undo on failure), and removed.
//
// A snapshot is input someone else may have written (anyone with the
// repository's password): its tags only select it. Its file must be
// named as an archive of the target (else --force), decompress and parse
// whole, and, when the backup folder still has the manifest of an
// archive of that name, match it (sha256, entries, bytes).
type FromRestic struct {
	Import   Import // Archive and Codec are set once the snapshot is read
	Offsite  *Offsite
	Snapshot string // a (short) ID; "" for the newest
	// Identities decrypt a snapshot of an encrypted archive; read when
	// the plan is made, when KOMPOSE_AGE_IDENTITY_FILE is set.
	Identities []age.Identity
}

// ParseFrom reads --from ([offsite.ParseFrom]).
func ParseFrom(v string) (snapshot string, err error) { return offsite.ParseFrom(v) }

func (x *FromRestic) which() string { return offsite.Which(x.Snapshot) }

// HookArgs: the import's hooks receive restic:<snapshot> (the file is
// read back only when the step runs).
func (x *FromRestic) HookArgs() []string { return []string{offsite.HookArg(x.Snapshot)} }

// Describe says what the import does, for the dry run.
func (x *FromRestic) Describe() []string {
	t := x.Import.Target
	lines := []string{fmt.Sprintf("reads:   %s of %s %s in the restic repository (%s), tags %s, into a private folder in %s",
		x.which(), t.Kind, t.Name, offsite.VarRepository, strings.Join(x.Offsite.Tags(t).List(), " "), x.Import.Dir),
		"origin:  the snapshot's file must be named as an archive of " + t.Name + " (else --force); with the manifest of that archive still in the folder, it must match it"}
	d := x.Import.Describe()
	return append(append(lines, d[1:]...), "then:    the file read back is removed")
}

// Run reads the snapshot back and restores it.
func (x *FromRestic) Run(ctx context.Context, ex *plan.ActionEnv) error {
	imp := x.Import
	if err := os.MkdirAll(imp.Dir, 0o750); err != nil {
		return fmt.Errorf("backup folder: %w", err)
	}
	if err := trust.NewTree(policyOf(ex)).CheckDir(dirUse, imp.Dir); err != nil {
		return err
	}
	// The target's lock is held from before the restore folder is made
	// until it is removed: vol:cleanup, under the same lock, removes the
	// folders a killed run left (removeRestoreDirs).
	l, err := lockTarget(ctx, policyOf(ex), imp.Dir, imp.Target, imp.LockTimeout, "vol:import into "+imp.Target.Name)
	if err != nil {
		return err
	}
	defer l.Release()
	dir, err := os.MkdirTemp(imp.Dir, restoreDirPrefix(imp.Target.FileBase()))
	if err != nil {
		return fmt.Errorf("restore folder: %w", err)
	}
	defer os.RemoveAll(dir)
	path, err := x.readBack(ctx, ex, dir)
	if err != nil {
		return err
	}
	rp, err := readPipeline(path, x.Identities)
	if err != nil {
		return fmt.Errorf("--from restic: %w; nothing was changed", err)
	}
	if len(rp.Layers) > 0 && len(x.Identities) == 0 {
		return fmt.Errorf("--from restic: %s is encrypted (age): set %s to the file of the key that decrypts it; nothing was changed", filepath.Base(path), encrypt.VarIdentity)
	}
	imp.Codec, imp.Layers = rp.Codec, rp.Layers
	imp.Archive = path
	if m, err := ReadManifest(filepath.Join(imp.Dir, filepath.Base(path))); err == nil && m.Stack == imp.Stack && m.Volume == imp.Target.Name {
		imp.Manifest = m
		fmt.Fprintf(ex.Cmd.Stderr, "    checked against the manifest of %s in %s\n", filepath.Base(path), imp.Dir)
	}
	return imp.runLocked(ctx, ex)
}

// readBack finds x's snapshot and writes the archive it holds into dir
// (a private folder), under the archive's name; it returns the path.
func (x *FromRestic) readBack(ctx context.Context, ex *plan.ActionEnv, dir string) (string, error) {
	t := x.Import.Target
	repo := x.Offsite.repo(ex.Cmd.Env)
	m := stackMasker(ex)
	snap, err := repo.Find(ctx, x.Offsite.Tags(t), x.Snapshot)
	if err != nil {
		return "", fmt.Errorf("--from restic: %s", m.String(err.Error()))
	}
	name := filepath.Base(snap.File())
	base, _, _, _, ok := parse(name)
	switch {
	case name == "." || name == "/" || !ok:
		return "", fmt.Errorf("restic snapshot %s holds %q, not a volume archive; nothing was changed", snap.ShortID, name)
	case base != t.FileBase() && !x.Import.Force:
		return "", fmt.Errorf("restic snapshot %s holds %s, not an archive of %s %s; --force restores it anyway; nothing was changed", snap.ShortID, name, t.Kind, t.Name)
	}
	path := filepath.Join(dir, name)
	start := time.Now()
	size, err := repo.DumpTo(ctx, snap, path)
	if err != nil {
		return "", fmt.Errorf("read back restic snapshot %s: %s; nothing was changed", snap.ShortID, m.String(err.Error()))
	}
	fmt.Fprintf(ex.Cmd.Stderr, "    read restic snapshot %s (%s, %s, taken %s on %s) in %.1fs\n", snap.ShortID, name, output.HumanSize(size), snap.Time.Local().Format("2006-01-02 15:04:05"), snap.Hostname, time.Since(start).Seconds())
	return path, nil
}

// importFrom plans vol:import --from restic[:SNAPSHOT] [--volume NAME]:
// the volume is --volume, else the stack's one volume.
func (c *commands) importFrom(s *plan.Stack, command, from, volume string, force bool, lockWait time.Duration) (plan.Step, error) {
	id, err := ParseFrom(from)
	if err != nil {
		return plan.Step{}, plan.Usagef("%s: %v", command, err)
	}
	o, err := offsiteFor(s)
	if err != nil {
		return plan.Step{}, err
	}
	if o == nil {
		return plan.Step{}, fmt.Errorf("%s --from %s: the stack's environment names no restic repository (%s)", command, from, offsite.VarRepository)
	}
	dir, err := c.dir(s)
	if err != nil {
		return plan.Step{}, err
	}
	all, proj, _, err := Targets(context.Background(), s)
	if err != nil {
		return plan.Step{}, err
	}
	var t Target
	switch {
	case volume != "":
		sel, err := Select(all, []string{volume})
		if err != nil {
			return plan.Step{}, plan.Usagef("%s: %v", command, err)
		}
		t = sel[0]
	case len(all) == 1:
		t = all[0]
	default:
		var names []string
		for _, a := range all {
			names = append(names, a.Name)
		}
		return plan.Step{}, plan.Usagef("%s --from %s: which volume? give --volume NAME (the stack has: %s)", command, from, strings.Join(names, ", "))
	}
	x := &FromRestic{Offsite: o, Snapshot: id, Import: Import{Stack: s.Name, Project: proj.Name, Dir: dir, Target: t,
		Archive: "restic:" + from, Time: c.o.Now(), LockTimeout: lockWait, Force: force}}
	for _, n := range sortedServices(proj) {
		if img := proj.Services[n].Image; img != "" {
			x.Import.Images = append(x.Import.Images, img)
		}
	}
	if x.Identities, err = identitiesFor(s, false); err != nil {
		return plan.Step{}, err
	}
	return plan.Step{Label: command, Args: []string{"--from", from}, Action: x}, nil
}
