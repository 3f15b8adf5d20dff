package db

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/kompose-dev/kompose/pkg/encrypt"
	"github.com/kompose-dev/kompose/pkg/offsite"
	"github.com/kompose-dev/kompose/pkg/plan"
)

// FromRestic is db:import --from restic[:SNAPSHOT]: the dump a snapshot
// of the stack's restic repository holds, read back into a private
// folder inside the dump folder, then imported exactly as a local dump is
// (trust check, complete read, \restrict, scratch database, swap), and
// removed.
type FromRestic struct {
	Cfg      Config
	Loc      Location
	Offsite  *Offsite
	Snapshot string // a (short) ID; "" for the newest
	Now      time.Time
	// Identities decrypt a snapshot of an encrypted dump; read when the
	// plan is made, when KOMPOSE_AGE_IDENTITY_FILE is set.
	Identities []age.Identity
	// What the import of the file read back gets.
	FromOther   bool
	LockTimeout time.Duration
	Progress    Progress
}

// ParseFrom reads --from ([offsite.ParseFrom]).
func ParseFrom(v string) (snapshot string, err error) { return offsite.ParseFrom(v) }

func (x *FromRestic) which() string { return offsite.Which(x.Snapshot) }

// HookArgs: the import's hooks receive restic:<snapshot> (the file is
// read back only when the step runs).
func (x *FromRestic) HookArgs() []string { return []string{offsite.HookArg(x.Snapshot)} }

// Describe says what the import does, for the dry run.
func (x *FromRestic) Describe() []string {
	return []string{
		fmt.Sprintf("reads:   %s of %s in the restic repository (%s), tags %s, into a private folder in %s", x.which(), x.Cfg.Name, offsite.VarRepository, strings.Join(x.Offsite.Tags.List(), " "), x.Cfg.DumpDir),
		"then:    imports that file as db:import FILE does (read in full and checked, loaded into a scratch database, swapped in), and removes it",
	}
}

// Run reads the snapshot back and imports it.
func (x *FromRestic) Run(ctx context.Context, ex *plan.ActionEnv) error {
	dir, done, err := restoreDir(x.Cfg, ex)
	if err != nil {
		return err
	}
	defer done()
	path, err := x.readBack(ctx, ex, dir)
	if err != nil {
		return err
	}
	if strings.HasSuffix(path, ageExt) {
		if path, err = decryptTo(x.Identities, path, dir); err != nil {
			return fmt.Errorf("%w; nothing was changed", err)
		}
	}
	return importPlain(ctx, ex, x.Cfg, x.Loc, path, x.Now, x.FromOther, x.LockTimeout, x.Progress)
}

// readBack finds x's snapshot and writes the dump it holds into dir (a
// private folder), under the dump's name; it returns the file's path.
func (x *FromRestic) readBack(ctx context.Context, ex *plan.ActionEnv, dir string) (string, error) {
	repo := x.Offsite.repo(ex.Cmd.Env)
	snap, err := repo.Find(ctx, x.Offsite.Tags, x.Snapshot)
	if err != nil {
		return "", fmt.Errorf("--from restic: %s", stackMasker(ex).String(err.Error()))
	}
	name := filepath.Base(snap.File())
	if _, _, ok := ParseName(x.Cfg.Name, name); !ok && !x.FromOther {
		return "", fmt.Errorf("restic snapshot %s holds %q, not a dump of %s; give --from-other-db to load it anyway", snap.ShortID, name, x.Cfg.Name)
	}
	if strings.HasSuffix(name, ageExt) && x.Identities == nil {
		return "", fmt.Errorf("restic snapshot %s holds %s, encrypted (age): set %s to the file of the key that decrypts it; nothing was changed", snap.ShortID, name, encrypt.VarIdentity)
	}
	path := filepath.Join(dir, name)
	start := time.Now()
	size, err := repo.DumpTo(ctx, snap, path)
	if err != nil {
		return "", fmt.Errorf("read back restic snapshot %s: %s; nothing was changed", snap.ShortID, stackMasker(ex).String(err.Error()))
	}
	fmt.Fprintf(ex.Cmd.Stderr, "    read restic snapshot %s (%s, %s, taken %s on %s) in %.1fs\n", snap.ShortID, name, HumanSize(size), snap.Time.Local().Format("2006-01-02 15:04:05"), snap.Hostname, time.Since(start).Seconds())
	return path, nil
}

// importFrom plans db:import --from restic[:SNAPSHOT].
func (c *commands) importFrom(s *plan.Stack, command, from string, pos []string, undo, fromOther bool, lockWait time.Duration, progress Progress) (plan.Step, error) {
	if undo || len(pos) > 0 {
		return plan.Step{}, usagef("%s --from %s reads the dump from the repository: it takes no FILE and no --undo", command, from)
	}
	cfg, err := c.stackConfig(s, command)
	if err != nil {
		return plan.Step{}, err
	}
	loc, err := Locate(context.Background(), cfg, s.Stack, s.Env, s.ExecCommand)
	if err != nil {
		return plan.Step{}, err
	}
	x, err := c.fromRestic(s, command, from, cfg, loc, fromOther, lockWait, progress)
	if err != nil {
		return plan.Step{}, err
	}
	if v, _ := s.Env.Get(encrypt.VarIdentity); v != "" {
		if x.Identities, err = identitiesFor(s, "the snapshot"); err != nil {
			return plan.Step{}, err
		}
	}
	return plan.Step{Label: command, Args: []string{"--from", from}, Action: x}, nil
}

// fromRestic plans reading a dump back from the stack's restic
// repository (--from restic[:SNAPSHOT]).
func (c *commands) fromRestic(s *plan.Stack, command, from string, cfg Config, loc Location, fromOther bool, lockWait time.Duration, progress Progress) (*FromRestic, error) {
	id, err := ParseFrom(from)
	if err != nil {
		return nil, usagef("%s: %v", command, err)
	}
	o, err := offsiteFor(s, cfg)
	if err != nil {
		return nil, err
	}
	if o == nil {
		return nil, fmt.Errorf("%s --from %s: the stack's environment names no restic repository (%s)", command, from, offsite.VarRepository)
	}
	return &FromRestic{Cfg: cfg, Loc: loc, Offsite: o, Snapshot: id, Now: c.o.Now(), FromOther: fromOther, LockTimeout: lockWait, Progress: progress}, nil
}
