package update

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/db"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/trust"
	"github.com/kompose-dev/kompose/pkg/vol"
)

// Rollback is the rollback command of one stack: it brings back the
// images the services ran N updates back.
type Rollback struct {
	N int
	// Restore also brings back the data recorded with the update undone
	// (update --backup): its database dump and its volume archives,
	// before the images go back.
	Restore bool
	Now     func() time.Time
	Policy  trust.Policy
	args    []string
	stack   *plan.Stack // for Describe
}

// HookArgs are the arguments of the rollback hooks: "rollback" and N when
// given.
func (r *Rollback) HookArgs() []string { return append([]string{CommandRollback}, r.args...) }

// Describe says what the rollback would do, for a dry run: the images it
// would bring back, read from the history file (no process runs).
func (r *Rollback) Describe() []string {
	s := r.stack
	out := []string{fmt.Sprintf("bring back the images the services ran %d update(s) ago, recorded in %s; recreate the running ones on them (docker compose up -d --no-deps --force-recreate <services>)", r.N, FileName)}
	project := compose.ProjectName(s.Dir, s.ComposeFile, s.Env.Lookup)
	h, err := LoadHistory(filepath.Join(s.Dir, FileName), project)
	if err != nil {
		return append(out, "cannot read the history: "+err.Error())
	}
	target, err := h.Target(r.N)
	if err != nil {
		return append(out, err.Error())
	}
	if r.Restore {
		out = append(out, describeRestore(h, r.N)...)
	}
	for _, name := range sortedKeys(target) {
		c := target[name]
		out = append(out, fmt.Sprintf("%s: %s → %s", name, c.Image, Short(c.From)))
	}
	return out
}

// describeRestore lists what rollback --restore N brings back first.
func describeRestore(h *History, n int) []string {
	dump, archives := h.BackupFor(n)
	if dump == "" && len(archives) == 0 {
		return []string{"restore: the update it undoes recorded no backup (update --backup records one): the rollback would fail"}
	}
	out := []string{"first bring back the data recorded with that update, then the images:"}
	if dump != "" {
		out = append(out, "restore: db:import "+dump+" (the data it replaces is kept: db:import --undo)")
	}
	for _, a := range archives {
		out = append(out, "restore: vol:import "+a.File+" into volume "+a.Volume+" (its current contents archived first)")
	}
	return out
}

// Run implements [plan.Action].
func (r *Rollback) Run(ctx context.Context, ex *plan.ActionEnv) error {
	ss, err := begin(ctx, ex)
	if err != nil {
		return err
	}
	e, w := ss.e, ss.w
	hpath, err := historyPath(r.Policy, ex.Stack)
	if err != nil {
		return err
	}
	h, err := LoadHistory(hpath, ss.project)
	if err != nil {
		return err
	}
	target, err := h.Target(r.N)
	if err != nil {
		return err
	}
	// Check everything before changing anything.
	back, err := r.check(ctx, e, w, target, ss.svcs)
	if err != nil {
		return err
	}
	if r.Restore {
		if err := r.restore(ctx, ex, h, w); err != nil {
			return err
		}
	}
	entry, recreate, err := r.retag(ctx, e, w, back)
	if err != nil {
		return err
	}
	if len(recreate) > 0 {
		ex.Passed = append(ex.Passed, VarUpdated+"="+strings.Join(recreate, " "))
		if err := recreateOn(ctx, e, back, recreate); err != nil {
			return err
		}
	}
	if len(entry.Services) > 0 {
		h.Add(entry)
		if err := h.Save(hpath); err != nil {
			return err
		}
	}
	return nil
}

// restore brings back the data recorded with the update the rollback
// undoes last, before any image goes back: the database (db:import FILE,
// which keeps the data it replaces) and each volume (vol:import ARCHIVE
// --volume NAME, which archives the current contents first). Every step
// is planned (files found, archives made for this stack) before the first
// runs; an update with nothing recorded, or a step that fails, fails the
// rollback with no image rolled back.
func (r *Rollback) restore(ctx context.Context, ex *plan.ActionEnv, h *History, w io.Writer) error {
	dump, archives := h.BackupFor(r.N)
	if dump == "" && len(archives) == 0 {
		return fmt.Errorf("rollback --restore: the update it undoes recorded no backup, neither a database dump nor a volume archive (update --backup records them); nothing rolled back")
	}
	type step struct {
		what string
		plan.Step
	}
	var steps []step
	if dump != "" {
		st, err := db.Commands(db.Options{Now: r.Now})["db:import"](ex.Stack, "db:import", []string{dump})
		if err != nil {
			return fmt.Errorf("rollback --restore: %w; nothing rolled back", err)
		}
		steps = append(steps, step{"db:import " + dump, st})
	}
	for _, a := range archives {
		// A fresh vol.Commands for each: vol:import plans one archive
		// into one stack per value.
		st, err := vol.Commands(vol.Options{Now: r.Now})["vol:import"](ex.Stack, "vol:import", []string{"--volume", a.Volume, a.File})
		if err != nil {
			return fmt.Errorf("rollback --restore: volume %s: %w; nothing rolled back", a.Volume, err)
		}
		steps = append(steps, step{"vol:import " + a.File + " (volume " + a.Volume + ")", st})
	}
	for i, st := range steps {
		fmt.Fprintf(w, "restore: %s\n", st.what)
		if err := st.Action.Run(ctx, ex); err != nil {
			done := ""
			if i > 0 {
				done = " (what was restored before it stays restored)"
			}
			return fmt.Errorf("rollback --restore: %s failed, no image rolled back%s: %w", st.what, done, err)
		}
	}
	return nil
}

// check returns, for each service of the rollback's target, where it is
// and where it goes back to; an error when any cannot go back (its image
// changed in the compose file, is pinned by digest, or the previous image
// is gone). A service no longer in the project is skipped.
func (r *Rollback) check(ctx context.Context, e *engine, w io.Writer, target map[string]Change, svcs []Service) ([]ServiceState, error) {
	byName := map[string]Service{}
	for _, s := range svcs {
		byName[s.Name] = s
	}
	cts, err := e.containers(ctx)
	if err != nil {
		return nil, err
	}
	var back []ServiceState
	for _, name := range sortedKeys(target) {
		c := target[name]
		s, ok := byName[name]
		if !ok {
			fmt.Fprintf(w, "%s: no longer a service of the project; skipped\n", name)
			continue
		}
		st, err := checkService(ctx, e, s, c, cts)
		if err != nil {
			return nil, err
		}
		back = append(back, st)
	}
	return back, nil
}

// checkService is service s going back to c.From, given its containers.
func checkService(ctx context.Context, e *engine, s Service, c Change, cts []Container) (ServiceState, error) {
	name := s.Name
	if s.Image != c.Image {
		return ServiceState{}, fmt.Errorf("%s: the compose file names image %s now, and the recorded update was of %s; change the compose file back instead", name, s.Image, c.Image)
	}
	if strings.Contains(s.Image, "@") {
		return ServiceState{}, fmt.Errorf("%s: image %s is pinned by digest; change the compose file instead", name, s.Image)
	}
	id, err := e.imageID(ctx, c.From)
	if err != nil {
		return ServiceState{}, err
	}
	if id != c.From {
		return ServiceState{}, fmt.Errorf("%s: the previous image %s is gone from the engine (was it removed by hand?)", name, Short(c.From))
	}
	// Every container counts, running or not: an update whose new image
	// could not start leaves the container stopped, and that is what a
	// rollback is for.
	st := ServiceState{Service: s}
	for _, ct := range cts {
		if ct.Service == name && (st.Runs == "" || ct.ImageID != c.From || !ct.Running) {
			st.Runs = ct.ImageID
			st.Changed = st.Changed || !ct.Running
		}
	}
	if st.Before, err = e.imageID(ctx, s.Image); err != nil {
		return ServiceState{}, err
	}
	st.After = c.From
	return st, nil
}

// retag points each service's reference back at its previous image and
// says so; it returns the history entry of the rollback and the services
// whose containers must be recreated.
func (r *Rollback) retag(ctx context.Context, e *engine, w io.Writer, back []ServiceState) (Entry, []string, error) {
	entry := Entry{Kind: KindRollback, Time: r.Now().UTC().Truncate(time.Second)}
	var recreate []string
	for _, s := range back {
		from := s.Runs
		if from == "" {
			from = s.Before
		}
		if s.Runs != "" && (s.Runs != s.After || s.Changed) {
			recreate = append(recreate, s.Name)
		}
		if from == s.After && s.Before == s.After && !s.Changed {
			fmt.Fprintf(w, "%s: %s already on %s\n", s.Name, s.Image, Short(s.After))
			continue
		}
		if err := e.tag(ctx, s.After, s.Image); err != nil {
			return entry, nil, err
		}
		what := "recreated"
		if s.Runs == "" {
			what = "no container: the next up starts it on this image"
		}
		fmt.Fprintf(w, "%s: %s %s → %s (%s)\n", s.Name, s.Image, Short(from), Short(s.After), what)
		if from != "" && from != s.After {
			entry.Services = append(entry.Services, Change{Service: s.Name, Image: s.Image, From: from, To: s.After})
		}
	}
	return entry, recreate, nil
}

// recreateOn recreates the named services on their previous images and
// checks that they run them.
func recreateOn(ctx context.Context, e *engine, back []ServiceState, recreate []string) error {
	up := append([]string{"up", "-d", "--no-deps", "--force-recreate"}, recreate...)
	if err := e.stream(ctx, e.composeArgv(up...)...); err != nil {
		return fmt.Errorf("recreating %s failed: %w", strings.Join(recreate, ", "), err)
	}
	var want []ServiceState
	for _, s := range back {
		if slices.Contains(recreate, s.Name) {
			want = append(want, s)
		}
	}
	return e.verify(ctx, want, func(s ServiceState) string { return s.After })
}
