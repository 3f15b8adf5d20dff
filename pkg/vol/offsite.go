package vol

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/offsite"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
)

// Offsite is where vol:export also stores each archive: the stack's
// restic repository (pkg/offsite), fed the archive's stored bytes as they
// are written to the file (the Pipeline's Tee: one read of the volume,
// none of the file), one snapshot per archive tagged with its volume.
type Offsite struct {
	Stack   string
	Repo    offsite.Repo // its Env is the stack's, set when the step runs
	Disable bool         // --no-offsite
	// Keep are vol:cleanup's retention rules for the repository, as
	// restic's own forget options (--keep-daily 7 …); Prune also removes
	// the data no snapshot needs any more.
	Keep  []string
	Prune bool
	// NoRule: vol:cleanup was given no retention option at all; the
	// repository is left alone (its history is not thinned to the
	// folder's default of one archive).
	NoRule bool
}

// offsiteFor plans the offsite part of a stack's volume commands: nil
// when its environment names no restic repository; an error when it
// names one restic could not open (no password) or
// KOMPOSE_OFFSITE_TIMEOUT is not a duration.
func offsiteFor(s *plan.Stack) (*Offsite, error) {
	get := func(k string) (string, bool) { return s.Env.Get(k) }
	ok, err := offsite.Configured(get)
	if err != nil || !ok {
		return nil, err
	}
	timeout, err := offsite.TimeoutFrom(get)
	if err != nil {
		return nil, err
	}
	return &Offsite{Stack: s.Name, Repo: offsite.Repo{Dir: s.Dir, Timeout: timeout}}, nil
}

// Tags are the tags of the snapshots of one target.
func (o *Offsite) Tags(t Target) offsite.Tags {
	return offsite.Tags{Stack: o.Stack, Kind: offsite.KindVolume, Name: t.Name}
}

// repo is o's repository for a run with the stack's environment environ.
func (o *Offsite) repo(environ []string) *offsite.Repo {
	r := o.Repo
	r.Env = environ
	return &r
}

// describe is the dry run's line for vol:export's offsite step.
func (o *Offsite) describe() string {
	if o.Disable {
		return "offsite: skipped (--no-offsite)"
	}
	return fmt.Sprintf("offsite: restic backup --stdin into %s, one snapshot per archive (streamed as the archive is written; made only once the archive is verified and named), tags kompose stack=%s kind=%s name=<volume>, timeout %s",
		offsite.VarRepository, o.Stack, offsite.KindVolume, o.Repo.Timeout)
}

// describeForget is the dry run's line for vol:cleanup's restic forget
// of the volumes named (none: every volume of the stack).
func (o *Offsite) describeForget(names []string) string {
	switch {
	case o.Disable:
		return "offsite: not thinned (--no-offsite)"
	case o.NoRule:
		return "offsite: not thinned (no retention option given: --keep-last N, --older-than AGE, --keep-daily N …)"
	}
	tags := []string{strings.Join(offsite.StackKind(o.Stack, offsite.KindVolume), ",")}
	if len(names) > 0 {
		tags = nil
		for _, n := range names {
			tags = append(tags, strings.Join(offsite.Tags{Stack: o.Stack, Kind: offsite.KindVolume, Name: n}.List(), ","))
		}
	}
	line := fmt.Sprintf("offsite: restic forget --tag %s --group-by host,tags %s (each volume on its own)", strings.Join(tags, " / "), strings.Join(o.Keep, " "))
	if o.Prune {
		line += " --prune"
	}
	return line
}

// forget applies o's retention rules to the snapshots of the volumes
// named, or of every volume of the stack (nil o: nothing). Grouped by
// host and tags, each volume's snapshots are thinned on their own, as
// its archives in the folder are.
func (o *Offsite) forget(ctx context.Context, ex *plan.ActionEnv, names []string) error {
	if o == nil || o.Disable {
		return nil
	}
	w := ex.Cmd.Stderr
	if o.NoRule {
		fmt.Fprintln(w, "    offsite: restic snapshots not thinned: no retention option given (--keep-last N, --older-than AGE, --keep-daily N …)")
		return nil
	}
	var sets [][]string
	if len(names) == 0 {
		sets = append(sets, offsite.StackKind(o.Stack, offsite.KindVolume))
	}
	for _, n := range names {
		sets = append(sets, offsite.Tags{Stack: o.Stack, Kind: offsite.KindVolume, Name: n}.List())
	}
	removed := 0
	for i, tags := range sets {
		out, err := o.repo(ex.Cmd.Env).ForgetAll(ctx, tags, o.Keep, o.Prune && i == len(sets)-1)
		if err != nil {
			return fmt.Errorf("offsite: %s", stackMasker(ex).String(err.Error()))
		}
		removed += forgotten(out)
	}
	pruned := ""
	if o.Prune {
		pruned = ", unused data pruned"
	}
	fmt.Fprintf(w, "    offsite: restic forget removed %d snapshot(s) (%s)%s\n", removed, strings.Join(o.Keep, " "), pruned)
	return nil
}

// forgotten counts the snapshots restic forget's output says it removed.
func forgotten(out string) int {
	removed := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "remove ") && strings.HasSuffix(line, " snapshots:") {
			n := 0
			fmt.Sscanf(line, "remove %d snapshots:", &n)
			removed += n
		}
	}
	return removed
}

// startOffsite starts storing the archive of t named file, when x has a
// repository (nil: none).
func (x *Export) startOffsite(ctx context.Context, ex *plan.ActionEnv, t Target, file string) *offsite.Pending {
	if x.Offsite == nil || x.Offsite.Disable {
		return nil
	}
	return x.Offsite.repo(ex.Cmd.Env).Start(ctx, file, x.Offsite.Tags(t))
}

// stackMasker is the masker of the stack ex runs for (nil: none).
func stackMasker(ex *plan.ActionEnv) *env.Masker {
	if ex != nil && ex.Stack != nil {
		return ex.Stack.Masker
	}
	return nil
}

// listOffsite prints, after the local archives, the stack's snapshots of
// volumes in its restic repository, by volume, newest first.
func (l *Lister) listOffsite(ctx context.Context, ex *plan.ActionEnv) error {
	if l.Offsite == nil {
		return nil
	}
	w := ex.Cmd.Stdout
	snaps, err := l.Offsite.repo(ex.Cmd.Env).SnapshotsOf(ctx, l.Offsite.Stack, offsite.KindVolume)
	if err != nil {
		return fmt.Errorf("list the restic repository: %s", stackMasker(ex).String(err.Error()))
	}
	if len(snaps) == 0 {
		fmt.Fprintf(w, "    no snapshots of volumes in the restic repository (%s)\n", offsite.VarRepository)
		return nil
	}
	byName := map[string][]offsite.Snapshot{}
	var names []string
	width := 0
	for _, s := range snaps {
		if _, ok := byName[s.Name()]; !ok {
			names = append(names, s.Name())
		}
		byName[s.Name()] = append(byName[s.Name()], s)
		width = max(width, len(s.File()))
	}
	sort.Strings(names)
	now := l.Now()
	for _, n := range names {
		fmt.Fprintf(w, "    %d snapshot(s) of %s in the restic repository (%s); vol:import --from restic:ID\n", len(byName[n]), n, offsite.VarRepository)
		for _, s := range byName[n] {
			fmt.Fprintf(w, "    %-8s  %-*s  %8s  %s\n", s.ShortID, width, s.File(), output.HumanAge(now.Sub(s.Time)), s.Hostname)
		}
	}
	return nil
}

// Snapshots lists the stack's snapshots of volumes, newest first, with
// restic run in the stack's environment environ.
func (o *Offsite) Snapshots(ctx context.Context, environ []string) ([]offsite.Snapshot, error) {
	return o.repo(environ).SnapshotsOf(ctx, o.Stack, offsite.KindVolume)
}
