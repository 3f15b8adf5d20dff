package db

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/offsite"
	"github.com/kompose-dev/kompose/pkg/plan"
)

// Offsite is where an export also stores its dump: the stack's restic
// repository (pkg/offsite), fed the dump's bytes as they are written to
// the file (one read of pg_dump's output, no second read of the file).
type Offsite struct {
	Tags    offsite.Tags
	Repo    offsite.Repo // its Env is the stack's, set when the step runs
	Disable bool         // --no-offsite
	// Keep are the retention rules of db:cleanup for the repository:
	// restic's own forget options (--keep-daily 7 …); Prune removes the
	// data no snapshot needs any more.
	Keep  []string
	Prune bool
	// NoRule: db:cleanup was given no retention option at all; the
	// repository is left alone (its history is not thinned to the dump
	// folder's default of one dump).
	NoRule bool
}

// offsiteFor plans the offsite step of a stack's database: nil when its
// environment names no restic repository; an error when it names one
// restic could not open (no password) or KOMPOSE_OFFSITE_TIMEOUT is not a
// duration.
func offsiteFor(s *plan.Stack, cfg Config) (*Offsite, error) {
	get := func(k string) (string, bool) { return s.Env.Get(k) }
	ok, err := offsite.Configured(get)
	if err != nil || !ok {
		return nil, err
	}
	timeout, err := offsite.TimeoutFrom(get)
	if err != nil {
		return nil, err
	}
	return &Offsite{
		Tags: offsite.Tags{Stack: s.Name, Kind: offsite.KindDB, Name: cfg.Name},
		Repo: offsite.Repo{Dir: s.Dir, Timeout: timeout},
	}, nil
}

// repo is o's repository for a run with the stack's environment environ.
func (o *Offsite) repo(environ []string) *offsite.Repo {
	r := o.Repo
	r.Env = environ
	return &r
}

// describe is the dry run's line for the offsite step.
func (o *Offsite) describe() string {
	if o.Disable {
		return "offsite: skipped (--no-offsite)"
	}
	return fmt.Sprintf("offsite: restic backup --stdin into %s (streamed as the file is written; the snapshot is made only once the dump is verified), tags %s, timeout %s",
		offsite.VarRepository, strings.Join(o.Tags.List(), " "), o.Repo.Timeout)
}

// describeForget is the dry run's line for db:cleanup's restic forget.
func (o *Offsite) describeForget() string {
	if o.Disable {
		return "offsite: not thinned (--no-offsite)"
	}
	if o.NoRule {
		return "offsite: not thinned (no retention option given: --keep N, --older-than AGE or restic's --keep-daily N …)"
	}
	line := fmt.Sprintf("offsite: restic forget --tag %s --group-by host,tags %s", strings.Join(o.Tags.List(), ","), strings.Join(o.Keep, " "))
	if o.Prune {
		line += " --prune"
	}
	return line
}

// forget applies o's retention rules to its snapshots (nil o: nothing).
func (o *Offsite) forget(ctx context.Context, ex *plan.ActionEnv) error {
	if o == nil || o.Disable {
		return nil
	}
	if o.NoRule {
		fmt.Fprintln(ex.Cmd.Stderr, "    offsite: restic snapshots not thinned: no retention option given (--keep N, --older-than AGE, --keep-daily N …)")
		return nil
	}
	out, err := o.repo(ex.Cmd.Env).Forget(ctx, o.Tags, o.Keep, o.Prune)
	m := stackMasker(ex)
	if err != nil {
		return fmt.Errorf("offsite: %s", m.String(err.Error()))
	}
	removed := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "remove ") && strings.HasSuffix(line, " snapshots:") {
			n := 0
			fmt.Sscanf(line, "remove %d snapshots:", &n)
			removed += n
		}
	}
	pruned := ""
	if o.Prune {
		pruned = ", unused data pruned"
	}
	fmt.Fprintf(ex.Cmd.Stderr, "    offsite: restic forget removed %d snapshot(s) (%s)%s\n", removed, strings.Join(o.Keep, " "), pruned)
	return nil
}

// startOffsite starts storing the dump named file, when x has a
// repository (nil: none).
func (x *Export) startOffsite(ctx context.Context, ex *plan.ActionEnv, file string) *offsite.Pending {
	if x.Offsite == nil || x.Offsite.Disable {
		return nil
	}
	return x.Offsite.repo(ex.Cmd.Env).Start(ctx, file, x.Offsite.Tags)
}

// listOffsite prints the snapshots of l's database in the stack's
// restic repository, newest first, after the local dumps.
func (l *Lister) listOffsite(ctx context.Context, ex *plan.ActionEnv) error {
	if l.Offsite == nil {
		return nil
	}
	w := ex.Cmd.Stdout
	snaps, err := l.Offsite.Snapshots(ctx, ex.Cmd.Env)
	if err != nil {
		return fmt.Errorf("list the restic repository: %s", stackMasker(ex).String(err.Error()))
	}
	if len(snaps) == 0 {
		fmt.Fprintf(w, "    no snapshots of %s in the restic repository (%s)\n", l.Cfg.Name, offsite.VarRepository)
		return nil
	}
	fmt.Fprintf(w, "    %d snapshot(s) of %s in the restic repository (%s); db:import --from restic:ID\n", len(snaps), l.Cfg.Name, offsite.VarRepository)
	width := 0
	for _, s := range snaps {
		width = max(width, len(s.File()))
	}
	now := l.Now()
	for _, s := range snaps {
		fmt.Fprintf(w, "    %-8s  %-*s  %8s  %s\n", s.ShortID, width, s.File(), HumanAge(now.Sub(s.Time)), s.Hostname)
	}
	return nil
}

// Snapshots lists o's snapshots, newest first, with restic run in the
// stack's environment environ.
func (o *Offsite) Snapshots(ctx context.Context, environ []string) ([]offsite.Snapshot, error) {
	return o.repo(environ).Snapshots(ctx, o.Tags)
}

// streamWriter is what an export writes pg_dump's output through: the
// compressor of f, or w itself for plain and custom dumps. Closing it
// ends the compressed stream; it does not close w.
func streamWriter(w io.Writer, f Format) (io.WriteCloser, error) {
	return f.codec().Writer(w)
}

// stackMasker is the masker of the stack ex runs for (nil: none).
func stackMasker(ex *plan.ActionEnv) *env.Masker {
	if ex != nil && ex.Stack != nil {
		return ex.Stack.Masker
	}
	return nil
}
