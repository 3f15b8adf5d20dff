package db

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// Cleanup is the db:cleanup step of one stack: remove old dumps, keeping
// the newest Keep (at least one) and, with OlderThan, every dump younger
// than that.
type Cleanup struct {
	Cfg         Config
	Keep        int
	OlderThan   time.Duration
	Now         time.Time
	Remove      []Dump // decided when the plan is built: the dry run shows them
	Kept        []Dump
	Foreign     []Dump // named like dumps, refused by the trust rule: left alone ([SplitTrusted])
	LockTimeout time.Duration
	// KeptDB is the database the last import kept (ReadKept), dropped
	// with psql at Loc; "" when there is none.
	KeptDB string
	Loc    Location
	// Offsite, when set, also applies retention rules to the stack's
	// restic snapshots of the database (offsite.go).
	Offsite *Offsite
}

// NewCleanup plans a cleanup of cfg's dumps: those pol's trust rule
// accepts; files of other owners named like dumps are left alone.
func NewCleanup(pol trust.Policy, cfg Config, keep int, olderThan time.Duration, now time.Time) (*Cleanup, error) {
	all, err := List(cfg.DumpDir, cfg.Name)
	if err != nil {
		return nil, err
	}
	dumps, foreign := SplitTrusted(pol, all)
	c := &Cleanup{Cfg: cfg, Keep: keep, OlderThan: olderThan, Now: now, Foreign: foreign}
	for i, d := range dumps {
		if i < keep || (olderThan > 0 && now.Sub(d.Time) < olderThan) {
			c.Kept = append(c.Kept, d)
		} else {
			c.Remove = append(c.Remove, d)
		}
	}
	return c, nil
}

// HookArgs: hook_pre_db_cleanup and hook_post_db_cleanup receive the files
// that are removed.
func (c *Cleanup) HookArgs() []string {
	out := make([]string, len(c.Remove))
	for i, d := range c.Remove {
		out[i] = d.Path
	}
	return out
}

// Describe lists what would go and what stays, for the dry run.
func (c *Cleanup) Describe() []string {
	var lines []string
	rule := fmt.Sprintf("keeping the newest %d", c.Keep)
	if c.OlderThan > 0 {
		rule += " and any younger than " + HumanAge(c.OlderThan)
	}
	lines = append(lines, fmt.Sprintf("%d dump(s) of %s in %s, %s", len(c.Remove)+len(c.Kept), c.Cfg.Name, c.Cfg.DumpDir, rule))
	for _, d := range c.Remove {
		lines = append(lines, fmt.Sprintf("remove: %s (%s, %s old)", d.Name, HumanSize(d.Size), HumanAge(c.Now.Sub(d.Time))))
	}
	for _, d := range c.Kept {
		lines = append(lines, fmt.Sprintf("keep:   %s (%s, %s old)", d.Name, HumanSize(d.Size), HumanAge(c.Now.Sub(d.Time))))
	}
	for _, d := range c.Foreign {
		lines = append(lines, foreignLine(d))
	}
	if c.KeptDB != "" {
		lines = append(lines, fmt.Sprintf("drop:   database %s, the data the last import replaced (no db:import --undo after this), psql on %s", QuoteIdent(c.KeptDB), c.Loc))
	}
	if c.Offsite != nil {
		lines = append(lines, c.Offsite.describeForget())
	}
	return lines
}

// partials mentions the temporary files of exports of the database: they
// are not dumps, and never listed as such.
func (l *Lister) partials(w io.Writer) {
	entries, _ := os.ReadDir(l.Cfg.DumpDir)
	for _, e := range entries {
		if isPartial(l.Cfg.Name, e.Name()) {
			fmt.Fprintf(w, "    not a dump: %s (an export running now, or one that was killed; db:cleanup removes it)\n", e.Name())
		}
	}
}

// Run removes the planned dumps, and the temporary files of exports that
// were killed.
func (c *Cleanup) Run(ctx context.Context, ex *plan.ActionEnv) error {
	lock, err := lockDumps(ctx, ex, c.Cfg, c.Cfg.DumpDir, c.LockTimeout, "db:cleanup of "+c.Cfg.Name)
	if err != nil {
		return err
	}
	defer lock.Release()
	var freed int64
	var errs []string
	removed := 0
	for _, d := range c.Remove {
		if err := os.Remove(d.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err.Error())
			continue
		}
		removed++
		freed += d.Size
	}
	// With the lock held no export of this database is running: any
	// temporary file left is from one that was killed.
	entries, _ := os.ReadDir(c.Cfg.DumpDir)
	partials := 0
	for _, e := range entries {
		if isPartial(c.Cfg.Name, e.Name()) {
			if err := os.Remove(c.Cfg.DumpDir + string(os.PathSeparator) + e.Name()); err == nil {
				partials++
			}
		}
	}
	syncDir(c.Cfg.DumpDir)
	if c.KeptDB != "" {
		if err := c.dropKept(ctx, ex); err != nil {
			errs = append(errs, err.Error())
		}
	}
	msg := fmt.Sprintf("    removed %d dump(s) (%s), kept %d", removed, HumanSize(freed), len(c.Kept))
	if partials > 0 {
		msg += fmt.Sprintf(", and %d unfinished export file(s)", partials)
	}
	fmt.Fprintln(ex.Cmd.Stderr, msg)
	if err := c.Offsite.forget(ctx, ex); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return fmt.Errorf("could not remove: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Lister is the db:list step of one stack.
type Lister struct {
	Cfg Config
	Now func() time.Time
	// Offsite, when set, lists the stack's restic snapshots too.
	Offsite *Offsite
}

// Run prints the stack's dumps, newest first, with size, age and format.
func (l *Lister) Run(ctx context.Context, ex *plan.ActionEnv) error {
	all, err := List(l.Cfg.DumpDir, l.Cfg.Name)
	if err != nil {
		return err
	}
	dumps, foreign := SplitTrusted(policyOf(ex), all)
	w := ex.Cmd.Stdout
	defer l.partials(w)
	defer func() {
		for _, d := range foreign {
			fmt.Fprintf(w, "    %s\n", foreignLine(d))
		}
	}()
	if k := ReadKept(l.Cfg); k != "" {
		defer fmt.Fprintf(w, "    %s\n", keptLine(k))
	}
	if len(dumps) == 0 {
		fmt.Fprintf(w, "    no dumps of %s in %s\n", l.Cfg.Name, l.Cfg.DumpDir)
		return l.listOffsite(ctx, ex)
	}
	var total int64
	width := 0
	for _, d := range dumps {
		total += d.Size
		width = max(width, len(d.Name))
	}
	fmt.Fprintf(w, "    %d dump(s) of %s in %s, %s\n", len(dumps), l.Cfg.Name, l.Cfg.DumpDir, HumanSize(total))
	now := l.Now()
	for _, d := range dumps {
		fmt.Fprintf(w, "    %-*s  %9s  %8s  %s\n", width, d.Name, HumanSize(d.Size), HumanAge(now.Sub(d.Time)), d.Format)
	}
	return l.listOffsite(ctx, ex)
}

// dropKept drops the database the last import kept, as recorded now
// (under the lock), and removes the record.
func (c *Cleanup) dropKept(ctx context.Context, ex *plan.ActionEnv) error {
	name := ReadKept(c.Cfg)
	if name == "" {
		return nil
	}
	x := &Import{Cfg: c.Cfg, Loc: c.Loc}
	if err := x.exec(ctx, ex, dropSQL(name)); err != nil {
		return fmt.Errorf("drop database %s, kept by the last import: %w", QuoteIdent(name), err)
	}
	fmt.Fprintf(ex.Cmd.Stderr, "    dropped database %s, kept by the last import\n", QuoteIdent(name))
	return writeKept(c.Cfg, "")
}
