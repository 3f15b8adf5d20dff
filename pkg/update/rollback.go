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
)

// Rollback is the rollback command of one stack: it brings back the
// images the services ran N updates back.
type Rollback struct {
	N int
	// Restore also imports the database backup recorded with the update
	// undone (update --backup), before the images go back.
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
	if r.Restore {
		out = append(out, "first import the database backup recorded with that update (db:import FILE)")
	}
	project := compose.ProjectName(s.Dir, s.ComposeFile, s.Env.Lookup)
	h, err := LoadHistory(filepath.Join(s.Dir, FileName), project)
	if err != nil {
		return append(out, "cannot read the history: "+err.Error())
	}
	target, err := h.Target(r.N)
	if err != nil {
		return append(out, err.Error())
	}
	for _, name := range sortedKeys(target) {
		c := target[name]
		out = append(out, fmt.Sprintf("%s: %s → %s", name, c.Image, Short(c.From)))
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

// restore imports the backup recorded with the update the rollback
// undoes last (db:import FILE, which keeps the data it replaces), before
// any image goes back; it fails the rollback when there is none.
func (r *Rollback) restore(ctx context.Context, ex *plan.ActionEnv, h *History, w io.Writer) error {
	file := h.BackupFor(r.N)
	if file == "" {
		return fmt.Errorf("rollback --restore: the update it undoes recorded no backup (update --backup records one); nothing rolled back")
	}
	st, err := db.Commands(db.Options{Now: r.Now})["db:import"](ex.Stack, "db:import", []string{file})
	if err != nil {
		return fmt.Errorf("rollback --restore: %w; nothing rolled back", err)
	}
	fmt.Fprintf(w, "restore: db:import %s\n", file)
	if err := st.Action.Run(ctx, ex); err != nil {
		return fmt.Errorf("rollback --restore: importing %s failed, no image rolled back: %w", file, err)
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
