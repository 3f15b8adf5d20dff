package db

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/kompose-dev/kompose/pkg/plan"
)

// Undo is db:import --undo: the database the last import replaced (kept as
// <db>__kompose_previous_<time>) becomes the live one again, and the live
// one is kept in its place, so a second --undo swaps them back again.
type Undo struct {
	x *Import // Cfg, Loc, Previous (the name the live data gets), LockTimeout
}

// NewUndo plans db:import --undo of cfg's database at loc; ts names the
// database the live data is kept as.
func NewUndo(cfg Config, loc Location, ts time.Time, lockTimeout time.Duration) *Undo {
	return &Undo{x: &Import{Cfg: cfg, Loc: loc, LockTimeout: lockTimeout,
		Previous: sideName(cfg.Name, previousInfix, ts.Format(TimeLayout))}}
}

// Describe says what --undo does, for the dry run.
func (u *Undo) Describe() []string {
	QuoteIdent := u.x.server().quote
	db := QuoteIdent(u.x.Cfg.Name)
	return []string{
		"runs on: " + u.x.Loc.String(),
		fmt.Sprintf("swaps:   the newest database an import kept (%s) back in as %s, in one transaction; fails when there is none", QuoteIdent(sideBase(u.x.Cfg.Name)+previousInfix+"<time>"), db),
		fmt.Sprintf("keeps:   the data %s holds now as %s (db:import --undo again swaps it back)", db, QuoteIdent(u.x.Previous)),
	}
}

// Run swaps the kept database back in.
func (u *Undo) Run(ctx context.Context, ex *plan.ActionEnv) error {
	x := u.x
	lock, err := lockDumps(ctx, ex, x.Cfg, x.Cfg.DumpDir, x.LockTimeout, "db:import --undo of "+x.Cfg.Name)
	if err != nil {
		return err
	}
	defer lock.Release()
	srv := x.server()
	q := srv.quote
	names, err := srv.databases(ctx, ex)
	if err != nil {
		return fmt.Errorf("list databases: %w", err)
	}
	liveExists := slices.Contains(names, x.Cfg.Name)
	kept := keptDatabases(x.Cfg.Name, names)
	if len(kept) == 0 {
		return fmt.Errorf("nothing to undo: no database kept by an earlier import of %s (%s<time>); db:cleanup drops it, and an import into a database that did not exist keeps none", x.Cfg.Name, sideBase(x.Cfg.Name)+previousInfix)
	}
	back := kept[len(kept)-1]
	prev := x.freePrevious(kept)
	if err := srv.swap(ctx, ex, back, prev, liveExists); err != nil {
		return fmt.Errorf("swap back %s: %w; %s is unchanged", q(back), err, q(x.Cfg.Name))
	}
	fmt.Fprintf(ex.Cmd.Stderr, "    %s holds again the data kept as %s\n", q(x.Cfg.Name), q(back))
	record := ""
	if liveExists {
		record = prev
		fmt.Fprintf(ex.Cmd.Stderr, "    the data it held is kept as %s; db:import --undo swaps it back\n", q(prev))
	}
	if err := writeKept(x.Cfg, record); err != nil {
		fmt.Fprintf(ex.Cmd.Stderr, "    warning: could not record the kept database in %s: %v\n", KeptPath(x.Cfg.DumpDir, x.Cfg.Name), err)
	}
	return nil
}

// keptDatabases are the databases imports of db kept (its previous data),
// oldest first.
func keptDatabases(db string, names []string) []string {
	var out []string
	for _, n := range names {
		if isSide(db, previousInfix, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}
