package update

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kompose-dev/kompose/pkg/backup"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// historyUse says, in a trust refusal, what kompose does with the history
// file and the stack's folder.
const historyUse = "keep the update history in"

// Update is the update command of one stack (see the package comment).
type Update struct {
	Prune          bool
	IncludeStopped bool
	Now            func() time.Time
	Policy         trust.Policy
	// Pulls, when set, pulls every distinct image of the run's stacks
	// once, before the first stack compares anything.
	Pulls *Pulls
	// Exclude are the services --exclude-service holds back.
	Exclude []string
	args    []string
	// backup, when set, runs before anything is recreated (the stack's
	// backup: db:export, then vol:export); backupNote says why a backup
	// asked for has nothing to do.
	backup     plan.Action
	backupNote string
}

// HookArgs are the arguments of the update hooks: "update" and the
// command's options, as compose commands' hooks get theirs.
func (u *Update) HookArgs() []string { return append([]string{CommandUpdate}, u.args...) }

// Describe says what the update would do, for a dry run.
func (u *Update) Describe() []string {
	out := []string{
		"pull the images of the services that have one: each distinct image once for all the selected stacks of an engine, before any stack is compared or recreated (docker compose pull --quiet <service>, in the first stack naming it; -j pulls side by side)",
		"compare each running container's image with the image its reference names now",
	}
	if u.IncludeStopped {
		out = append(out, "recreate the running services whose image changed (docker compose up -d --no-deps <services>); a stopped stack whose images changed is started (docker compose up -d)")
	} else {
		out = append(out, "recreate the running services whose image changed (docker compose up -d --no-deps <services>); a stopped stack is not started")
	}
	if u.Pulls != nil && u.Pulls.minAge > 0 {
		out = append(out, fmt.Sprintf("hold back (neither pull nor recreate) the images their registry created less than %s ago (--min-age)", u.Pulls.minAge))
	}
	out = append(out, "keep the images they ran as "+KeepRepo+"/<project>:<service>-<id> and record them in "+FileName+" (the last 5 updates)")
	if u.Prune {
		out = append(out, "remove the images this update left unused that no rollback entry keeps")
	}
	switch {
	case u.backup != nil:
		out = append(out, "before recreating anything, run the stack's backup (the database dump, then the volume archives); a failed backup stops the stack; every file it writes is recorded with the update (rollback --restore)")
		if d, ok := u.backup.(interface{ Describe() []string }); ok {
			for _, l := range d.Describe() {
				out = append(out, "  backup: "+l)
			}
		}
	case u.backupNote != "":
		out = append(out, "backup: "+u.backupNote)
	}
	return out
}

// historyPath checks that the stack's folder (and the history file, when
// there is one) may hold the history, and returns the file's path.
func historyPath(pol trust.Policy, s *plan.Stack) (string, error) {
	tree := trust.NewTree(pol)
	if err := tree.CheckDir(historyUse, s.Dir); err != nil {
		return "", err
	}
	p := filepath.Join(s.Dir, FileName)
	if err := tree.CheckFile(historyUse, p); err != nil && !isNotExist(err) {
		return "", err
	}
	return p, nil
}

// Run implements [plan.Action].
func (u *Update) Run(ctx context.Context, ex *plan.ActionEnv) error {
	ss, err := begin(ctx, ex)
	if err != nil {
		return err
	}
	e, w, project := ss.e, ss.w, ss.project
	svcs := exclude(ss.svcs, u.Exclude)
	printHeld(w, svcs)
	names := pulled(svcs)
	if len(names) == 0 {
		fmt.Fprintln(w, "up to date: no service has an image to pull")
		return nil
	}
	// A history kompose cannot read or write stops the update before
	// anything is pulled.
	hpath, err := historyPath(u.Policy, ex.Stack)
	if err != nil {
		return err
	}
	h, err := LoadHistory(hpath, project)
	if err != nil {
		return err
	}
	before, after, held, err := u.pull(ctx, ex, e, svcs, names, w)
	if err != nil {
		return err
	}
	svcs = holdBack(svcs, held, w)
	cts, err := e.containers(ctx)
	if err != nil {
		return err
	}
	cmp := Compare(svcs, cts, before, after)
	rec := cmp.Recreate(u.IncludeStopped)
	// The backup comes before anything is recreated, or said to be.
	var backup Entry
	if len(rec) > 0 {
		if backup, err = u.runBackup(ctx, ex, e, before, w); err != nil {
			return err
		}
	}
	printOutcome(w, &cmp, rec)
	if len(rec) == 0 {
		if u.Prune {
			u.prune(ctx, e, h, before, after, nil, w, mask(ex, ex.Cmd.Stderr))
		}
		return nil
	}

	// Keep what the services ran, and record it with the backup, before
	// recreating.
	entry, err := u.keep(ctx, e, project, rec)
	if err != nil {
		return err
	}
	entry.Backup, entry.Archives = backup.Backup, backup.Archives
	var release []string
	if len(entry.Services) > 0 {
		release = h.Add(entry)
		if err := h.Save(hpath); err != nil {
			return fmt.Errorf("nothing recreated: %w", err)
		}
	}

	recNames := make([]string, 0, len(rec))
	for _, s := range rec {
		recNames = append(recNames, s.Name)
	}
	// The fail hooks learn what was being recreated, the post hooks what
	// was.
	ex.Passed = append(ex.Passed, VarUpdated+"="+strings.Join(recNames, " "))
	up := []string{"up", "-d"}
	if cmp.Running {
		up = append(append(up, "--no-deps"), recNames...)
	}
	if err := e.stream(ctx, e.composeArgv(up...)...); err != nil {
		return fmt.Errorf("recreating %s failed (the previous images are recorded: kompose %s rollback): %w", strings.Join(recNames, ", "), ex.Stack.Name, err)
	}
	if err := e.verify(ctx, rec, func(s ServiceState) string { return s.After }); err != nil {
		return err
	}
	e.release(ctx, release, mask(ex, ex.Cmd.Stderr))
	if u.Prune {
		u.prune(ctx, e, h, before, after, rec, w, mask(ex, ex.Cmd.Stderr))
	}
	return nil
}

// pull returns the image each pulled service's reference named before
// and after the pull: the run's one pull per distinct image (Pulls), or,
// for a stack not planned with the others, its own compose pull.
func (u *Update) pull(ctx context.Context, ex *plan.ActionEnv, e *engine, svcs []Service, names []string, w io.Writer) (before, after, held map[string]string, err error) {
	if u.Pulls != nil {
		u.Pulls.pullAll(ctx, ex, w)
		before, after, held, ok, err := u.Pulls.ids(ex.Stack, svcs)
		if err != nil {
			u.restoreRefs(ctx, e, u.Pulls.restorable(ex.Stack), mask(ex, ex.Cmd.Stderr))
			return nil, nil, nil, fmt.Errorf("pull failed, nothing recreated: %w", err)
		}
		if ok {
			return before, after, held, nil
		}
	}
	if before, err = e.imageIDs(ctx, svcs); err != nil {
		return nil, nil, nil, err
	}
	if err := e.stream(ctx, e.composeArgv(append([]string{"pull"}, names...)...)...); err != nil {
		// What was pulled before the failure is not used: each
		// reference goes back to the image it named, so that a later
		// up does not start half an update.
		u.restoreRefs(ctx, e, before, mask(ex, ex.Cmd.Stderr))
		return nil, nil, nil, fmt.Errorf("pull failed, nothing recreated: %w", err)
	}
	if after, err = e.imageIDs(ctx, svcs); err != nil {
		return nil, nil, nil, err
	}
	return before, after, nil, nil
}

// runBackup runs the stack's backup (--backup: its database dump, then
// its volume archives) before update recreates anything, and returns what
// it wrote as the Backup and Archives of an entry. A failed backup (any
// part of it) stops the stack: nothing is recreated, and the references
// the run moved for it alone go back to what they named.
func (u *Update) runBackup(ctx context.Context, ex *plan.ActionEnv, e *engine, before map[string]string, w io.Writer) (Entry, error) {
	var out Entry
	if u.backup == nil {
		if u.backupNote != "" {
			fmt.Fprintln(w, "backup: "+u.backupNote)
		}
		return out, nil
	}
	fmt.Fprintln(w, "backup: "+backupParts(u.backup)+" before recreating")
	if err := u.backup.Run(ctx, ex); err != nil {
		moved := before
		if u.Pulls != nil && u.Pulls.result != nil {
			moved = u.Pulls.restorable(ex.Stack)
		}
		u.restoreRefs(ctx, e, moved, mask(ex, ex.Cmd.Stderr))
		return out, fmt.Errorf("backup failed, nothing recreated: %w", err)
	}
	if df, ok := u.backup.(plan.DumpFiler); ok {
		out.Backup = df.DumpFile()
	}
	if a, ok := u.backup.(plan.Archiver); ok {
		for _, r := range a.Archives() {
			out.Archives = append(out.Archives, Archive{Volume: r.Volume, File: r.File})
		}
	}
	return out, nil
}

// Archives are the volume archives update --backup wrote
// (plan.Archiver): the report and the metrics count them as any other.
func (u *Update) Archives() []plan.ArchiveResult {
	if a, ok := u.backup.(plan.Archiver); ok {
		return a.Archives()
	}
	return nil
}

// backupParts names the parts of a backup action ("db:export, vol:export").
func backupParts(a plan.Action) string {
	b, ok := a.(*backup.Both)
	if !ok {
		return "backup"
	}
	var names []string
	for _, p := range b.Parts {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

// holdBack leaves out of the comparison the services whose image was
// held back (--min-age), saying so.
func holdBack(svcs []Service, held map[string]string, w io.Writer) []Service {
	if len(held) == 0 {
		return svcs
	}
	var out []Service
	for _, s := range svcs {
		if why, ok := held[s.Image]; ok && s.Pull {
			fmt.Fprintf(w, "%s: %s held back: %s\n", s.Name, s.Image, why)
			continue
		}
		out = append(out, s)
	}
	return out
}

// pulled are the names of the services update pulls.
func pulled(svcs []Service) []string {
	var names []string
	for _, s := range svcs {
		if s.Pull {
			names = append(names, s.Name)
		}
	}
	return names
}

// printOutcome writes one line per service: what the pull changed and
// what update does about it (rec are the services it recreates).
func printOutcome(w io.Writer, cmp *Comparison, rec []ServiceState) {
	recSet := map[string]bool{}
	for _, s := range rec {
		recSet[s.Name] = true
	}
	for _, s := range cmp.Services {
		what := ""
		switch {
		case s.After == "":
			what = "no image after the pull"
		case !s.Changed:
		case recSet[s.Name] && cmp.Running:
			what = "recreated"
		case recSet[s.Name]:
			what = "started: --include-stopped"
		case cmp.Running:
			what = "pulled; its container is not running, not started"
		default:
			what = "pulled; the stack is stopped, not started"
		}
		fmt.Fprintln(w, s.Line(what))
	}
}

// keep tags the image each service of rec ran (or, when none ran, named)
// with its keep tag, so that rollback can go back to it, and returns the
// history entry recording it.
func (u *Update) keep(ctx context.Context, e *engine, project string, rec []ServiceState) (Entry, error) {
	entry := Entry{Kind: KindUpdate, Time: u.Now().UTC().Truncate(time.Second)}
	for _, s := range rec {
		from := s.Runs
		if from == "" {
			from = s.Ran
		}
		if from == "" {
			from = s.Before
		}
		if from == "" {
			continue // nothing ran and nothing was there: nothing to go back to
		}
		tag := KeepTag(project, s.Name, from)
		if err := e.tag(ctx, from, tag); err != nil {
			return entry, fmt.Errorf("keeping the previous image of %s, nothing recreated: %w", s.Name, err)
		}
		entry.Services = append(entry.Services, Change{Service: s.Name, Image: s.Image, From: from, To: s.After, Keep: tag})
	}
	return entry, nil
}

// restoreRefs points each reference that a failed pull moved back at the
// image it named before.
func (u *Update) restoreRefs(ctx context.Context, e *engine, before map[string]string, stderr io.Writer) {
	for _, ref := range sortedKeys(before) {
		id := before[ref]
		if id == "" {
			continue
		}
		now, err := e.imageID(ctx, ref)
		if err != nil || now == id {
			continue
		}
		if err := e.tag(ctx, id, ref); err != nil {
			fmt.Fprintf(stderr, "warning: %s names the newly pulled image; pointing it back at %s failed: %v\n", ref, Short(id), err)
		}
	}
}

// verify checks that each service of want runs the image id(s) now.
func (e *engine) verify(ctx context.Context, want []ServiceState, id func(ServiceState) string) error {
	cts, err := e.containers(ctx)
	if err != nil {
		return err
	}
	for _, s := range want {
		found := false
		for _, c := range cts {
			if c.Service != s.Name || !c.Running {
				continue
			}
			found = true
			if c.ImageID != id(s) {
				return fmt.Errorf("%s runs %s after compose up, not %s", s.Name, Short(c.ImageID), Short(id(s)))
			}
		}
		if !found {
			return fmt.Errorf("%s has no running container after compose up", s.Name)
		}
	}
	return nil
}

// release removes the keep tags no history entry needs any more: docker
// removes the image with the last of its names unless a container uses it.
func (e *engine) release(ctx context.Context, tags []string, stderr io.Writer) {
	for _, t := range tags {
		if err := e.removeImage(ctx, t); err != nil {
			fmt.Fprintf(stderr, "warning: releasing %s (older than the last %d updates): %v\n", t, KeepUpdates, err)
		}
	}
}

// prune removes the images this update left without a name and without
// a container: what the references named before the pull and what the
// recreated services ran, unless a rollback entry keeps it.
func (u *Update) prune(ctx context.Context, e *engine, h *History, before, after map[string]string, rec []ServiceState, w, stderr io.Writer) {
	kept := h.KeptIDs()
	now := map[string]bool{}
	for _, id := range after {
		now[id] = true
	}
	cand := map[string]bool{}
	for _, id := range before {
		cand[id] = true
	}
	for _, s := range rec {
		cand[s.Runs] = true
		cand[s.Ran] = true
	}
	for _, id := range sortedKeys(cand) {
		if id == "" || now[id] || kept[id] {
			continue
		}
		tags, exists, err := e.repoTags(ctx, id)
		if err != nil {
			fmt.Fprintf(stderr, "warning: prune: %v\n", err)
			continue
		}
		if !exists || len(tags) > 0 {
			continue // gone already, or still named: not made unused
		}
		if err := e.removeImage(ctx, id); err != nil {
			fmt.Fprintf(w, "prune: kept %s: %v\n", Short(id), err)
			continue
		}
		fmt.Fprintf(w, "prune: removed %s\n", Short(id))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
