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
	"github.com/kompose-dev/kompose/pkg/retention"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// Cleanup is the db:cleanup step of one stack: remove the dumps its
// retention policy does not keep ([retention.Apply]: the newest N,
// grandfather-father-son rules, and with --older-than every dump younger
// than that); the newest dump is always kept.
type Cleanup struct {
	Cfg    Config
	Policy retention.Policy
	Now    time.Time
	Remove []Dump // decided when the plan is built: the dry run shows them
	Kept   []Dump
	// Why says, for each kept dump (by path), why it is kept ("keep
	// daily 2026-12-04, weekly 2026-W49").
	Why         map[string]string
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

// NewCleanup plans a cleanup of cfg's dumps by the retention policy
// keep: those pol's trust rule accepts; files of other owners named like
// dumps are left alone. A policy that keeps nothing is refused.
func NewCleanup(pol trust.Policy, cfg Config, keep retention.Policy, now time.Time) (*Cleanup, error) {
	if err := keep.Check(); err != nil {
		return nil, err
	}
	all, err := List(cfg.DumpDir, cfg.Name)
	if err != nil {
		return nil, err
	}
	dumps, foreign := SplitTrusted(pol, all)
	c := &Cleanup{Cfg: cfg, Policy: keep, Now: now, Foreign: foreign, Why: map[string]string{}}
	times := make([]time.Time, len(dumps))
	for i, d := range dumps {
		times[i] = d.Time // newest first, as List sorts them
	}
	for _, dec := range retention.Apply(keep, times, now) {
		d := dumps[dec.Index]
		if dec.Keep {
			c.Kept = append(c.Kept, d)
			c.Why[d.Path] = dec.Reason()
		} else {
			c.Remove = append(c.Remove, d)
		}
	}
	if len(dumps) > 0 && len(c.Kept) == 0 {
		return nil, fmt.Errorf("db:cleanup of %s: %w", cfg.Name, retention.ErrKeepsNothing)
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
	lines = append(lines, fmt.Sprintf("%d dump(s) of %s in %s, keeping %s", len(c.Remove)+len(c.Kept), c.Cfg.Name, c.Cfg.DumpDir, c.Policy))
	for _, d := range c.Remove {
		lines = append(lines, fmt.Sprintf("remove: %s (%s, %s old)", d.Name, HumanSize(d.Size), HumanAge(c.Now.Sub(d.Time))))
	}
	for _, d := range c.Kept {
		lines = append(lines, fmt.Sprintf("keep:   %s (%s, %s old): %s", d.Name, HumanSize(d.Size), HumanAge(c.Now.Sub(d.Time)), c.Why[d.Path]))
	}
	for _, d := range c.Foreign {
		lines = append(lines, foreignLine(d))
	}
	if c.KeptDB != "" {
		lines = append(lines, fmt.Sprintf("drop:   database %s, the data the last import replaced (no db:import --undo after this), %s on %s", QuoteIdent(c.KeptDB), c.Loc.clientTool(), c.Loc))
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
	restores := removeRestoreDirs(policyOf(ex), c.Cfg.DumpDir, time.Now())
	// The folder is not synced: a removal lost in a crash leaves a backup
	// that the next cleanup removes again, and a sync per stack (a
	// millisecond or more each) was half of a 500-stack prune's time
	// (docs/performance.md).
	if c.KeptDB != "" {
		if err := c.dropKept(ctx, ex); err != nil {
			errs = append(errs, err.Error())
		}
	}
	msg := fmt.Sprintf("    removed %d dump(s) (%s), kept %d", removed, HumanSize(freed), len(c.Kept))
	if partials > 0 {
		msg += fmt.Sprintf(", and %d unfinished export file(s)", partials)
	}
	if restores > 0 {
		msg += fmt.Sprintf(", and %d restore folder(s) of killed runs", restores)
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
	// Engine is the database's engine, as Locate decides it (DB_ENGINE
	// when Locate fails: db:list reads files, not the server).
	Engine Engine
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
	engine := ""
	if l.Engine != Postgres {
		engine = " (" + l.Engine.String() + ")"
	}
	fmt.Fprintf(w, "    %d dump(s) of %s%s in %s, %s\n", len(dumps), l.Cfg.Name, engine, l.Cfg.DumpDir, HumanSize(total))
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
	srv := (&Import{Cfg: c.Cfg, Loc: c.Loc}).server()
	if err := srv.drop(ctx, ex, name); err != nil {
		return fmt.Errorf("drop database %s, kept by the last import: %w", srv.quote(name), err)
	}
	fmt.Fprintf(ex.Cmd.Stderr, "    dropped database %s, kept by the last import\n", srv.quote(name))
	return writeKept(c.Cfg, "")
}
