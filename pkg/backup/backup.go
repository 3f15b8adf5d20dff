// Package backup holds the commands that combine the database and volume
// actions of a stack: backup (db:export, then vol:export), prune
// (db:cleanup and vol:cleanup) and verify (db:verify, then vol:verify),
// each one step of the stack's plan: one stack lock, one report entry,
// one ping, hooks hook_pre_backup, hook_pre_prune and hook_pre_verify.
package backup

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	table "github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/db"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/retention"
	"github.com/kompose-dev/kompose/pkg/vol"
)

// Commands returns backup and prune, made of the database commands dbs
// (pkg/db's) and the volume commands vols (pkg/vol's).
func Commands(dbs, vols map[string]plan.CommandFunc) map[string]plan.CommandFunc {
	c := &commands{db: dbs, vol: vols}
	return map[string]plan.CommandFunc{"backup": c.backup, "prune": c.prune, "verify": c.verify}
}

type commands struct{ db, vol map[string]plan.CommandFunc }

// part plans one of the commands; a skip is (nil, reason, nil).
func part(f plan.CommandFunc, s *plan.Stack, name string, args []string) (*plan.Step, string, error) {
	st, err := f(s, name, args)
	var skip *plan.SkipError
	if errors.As(err, &skip) {
		return nil, skip.Reason, nil
	}
	if err != nil {
		return nil, "", err
	}
	return &st, "", nil
}

func (c *commands) backup(s *plan.Stack, command string, args []string) (plan.Step, error) {
	const help = "[VOLUME...], --compress zstd|gzip|none (both the dump and the archives; default: none for the dump, zstd for the archives), --no-offsite"
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	compress := fs.String("compress", "", "")
	noOffsite := fs.Bool("no-offsite", false, "")
	names, err := plan.ParseArgs(command, fs, args, 1<<16, help)
	if err != nil {
		return plan.Step{}, err
	}
	var dbArgs, volArgs []string
	if *compress != "" {
		dbArgs = []string{"--compress", *compress}
		volArgs = []string{"--compress", *compress}
	}
	if *noOffsite {
		dbArgs = append(dbArgs, "--no-offsite")
		volArgs = append(volArgs, "--no-offsite")
	}
	dump, dbSkip, err := part(c.db["db:export"], s, "db:export", dbArgs)
	if err != nil {
		return plan.Step{}, err
	}
	arch, volSkip, err := c.volumes(s, append(volArgs, names...))
	if err != nil {
		return plan.Step{}, err
	}
	if dump != nil && arch != nil {
		skipDataVolume(dump, arch, names)
	}
	b := &Both{}
	if dump != nil {
		b.Parts = append(b.Parts, Part{"db:export", dump.Action})
	} else {
		b.Notes = append(b.Notes, "db:export skipped: "+dbSkip)
	}
	if arch != nil {
		if x, ok := arch.Action.(*vol.Export); !ok || len(x.Targets) > 0 {
			b.Parts = append(b.Parts, Part{"vol:export", arch.Action})
		} else {
			b.Notes = append(b.Notes, x.Notes...)
		}
	} else {
		b.Notes = append(b.Notes, "vol:export skipped: "+volSkip)
	}
	if len(b.Parts) == 0 {
		return plan.Step{}, &plan.SkipError{Reason: "no database (" + dbSkip + ") and no volumes (" + volSkip + ")"}
	}
	return plan.Step{Label: command, Args: args, Action: b}, nil
}

// volumes plans the vol:export part of backup; a Swarm stack's volumes
// live on the nodes: skipped, saying so (its database is still dumped).
func (c *commands) volumes(s *plan.Stack, args []string) (*plan.Step, string, error) {
	if s.Swarm() {
		return nil, table.HintSwarmVolume, nil
	}
	return part(c.vol["vol:export"], s, "vol:export", args)
}

// skipDataVolume leaves out of the archives the volumes of the service
// db:export dumps: an archive of a live database's files is not a
// backup. A volume named on the command line stays.
func skipDataVolume(dump, arch *plan.Step, names []string) {
	x, ok := dump.Action.(*db.Export)
	a, ok2 := arch.Action.(*vol.Export)
	if !ok || !ok2 || x.Loc.Mode != db.Service || x.Loc.Service == "" {
		return
	}
	for _, t := range append([]vol.Target(nil), a.Targets...) {
		named := false
		for _, n := range names {
			named = named || n == t.Name || n == t.Engine
		}
		for _, svc := range t.Services {
			if svc == x.Loc.Service && !named {
				a.Drop(t.Name, fmt.Sprintf("%s %s skipped: it holds the live files of the database db:export dumps (service %s); an archive of them is not a backup; name it to archive it anyway", t.Kind, t.Name, svc))
				break
			}
		}
	}
}

func (c *commands) prune(s *plan.Stack, command string, args []string) (plan.Step, error) {
	help := retention.FlagsHelp + ", --older-than AGE (30d, 12h): for the dumps and the archives alike"
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	retention.AddFlags(fs)
	fs.String("older-than", "", "")
	if _, err := plan.ParseArgs(command, fs, args, 0, help); err != nil {
		return plan.Step{}, err
	}
	dumps, dbSkip, err := part(c.db["db:cleanup"], s, "db:cleanup", args)
	if err != nil {
		return plan.Step{}, err
	}
	archives, _, err := part(c.vol["vol:cleanup"], s, "vol:cleanup", args)
	if err != nil {
		return plan.Step{}, err
	}
	b := &Both{}
	if dumps != nil {
		b.Parts = append(b.Parts, Part{"db:cleanup", dumps.Action})
	} else {
		b.Notes = append(b.Notes, "db:cleanup skipped: "+dbSkip)
	}
	if archives != nil {
		b.Parts = append(b.Parts, Part{"vol:cleanup", archives.Action})
	}
	return plan.Step{Label: command, Args: args, Action: b}, nil
}

// verify is db:verify (the newest dump) then vol:verify (the newest
// archive of each volume): every backup kind of the stack, one step.
func (c *commands) verify(s *plan.Stack, command string, args []string) (plan.Step, error) {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	if _, err := plan.ParseArgs(command, fs, args, 0, "none (db:verify FILE and vol:verify ARCHIVE take one)"); err != nil {
		return plan.Step{}, err
	}
	dump, dbSkip, err := part(c.db["db:verify"], s, "db:verify", nil)
	if err != nil {
		return plan.Step{}, err
	}
	arch, volSkip, err := part(c.vol["vol:verify"], s, "vol:verify", nil)
	if err != nil {
		return plan.Step{}, err
	}
	b := &Both{}
	if dump != nil {
		b.Parts = append(b.Parts, Part{"db:verify", dump.Action})
	} else {
		b.Notes = append(b.Notes, "db:verify skipped: "+dbSkip)
	}
	if arch != nil {
		b.Parts = append(b.Parts, Part{"vol:verify", arch.Action})
	} else {
		b.Notes = append(b.Notes, "vol:verify skipped: "+volSkip)
	}
	if len(b.Parts) == 0 {
		return plan.Step{}, &plan.SkipError{Reason: "no dump to verify (" + dbSkip + ") and no volume archives (" + volSkip + ")"}
	}
	return plan.Step{Label: command, Args: args, Action: b}, nil
}

// Part is one action of a combined step.
type Part struct {
	Name   string
	Action plan.Action
}

// Both runs its parts in order, all of them even when one fails; it fails
// when any failed.
type Both struct {
	Parts []Part
	Notes []string
}

// Run runs every part, then says what was left out (the notes); an
// interrupt stops at once.
func (b *Both) Run(ctx context.Context, ex *plan.ActionEnv) error {
	var errs []error
	for _, p := range b.Parts {
		fmt.Fprintf(ex.Cmd.Stderr, "    %s\n", p.Name)
		if err := p.Action.Run(ctx, ex); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.Name, err))
			if ctx.Err() != nil {
				break
			}
		}
	}
	for _, n := range b.Notes {
		fmt.Fprintf(ex.Cmd.Stderr, "    note: %s\n", strings.TrimPrefix(n, "note: "))
	}
	return errors.Join(errs...)
}

// HookArgs are the parts' (the dump's path, the archives' paths).
func (b *Both) HookArgs() []string {
	var out []string
	for _, p := range b.Parts {
		if h, ok := p.Action.(interface{ HookArgs() []string }); ok {
			out = append(out, h.HookArgs()...)
		}
	}
	return out
}

// Archives are the archives the vol:export part wrote (plan.Archiver).
func (b *Both) Archives() []plan.ArchiveResult {
	var out []plan.ArchiveResult
	for _, p := range b.Parts {
		if a, ok := p.Action.(plan.Archiver); ok {
			out = append(out, a.Archives()...)
		}
	}
	return out
}

// DumpFile is the dump of the db:export part, for KOMPOSE_DUMP_FILE.
func (b *Both) DumpFile() string {
	for _, p := range b.Parts {
		if d, ok := p.Action.(plan.DumpFiler); ok {
			return d.DumpFile()
		}
	}
	return ""
}

// DBResult is the db:export part's database (plan.DBReporter); the zero
// value, which the reporters skip, when there is none.
func (b *Both) DBResult() plan.DBResult {
	for _, p := range b.Parts {
		if d, ok := p.Action.(plan.DBReporter); ok {
			return d.DBResult()
		}
	}
	return plan.DBResult{}
}

// Describe lists each part's plan under its name, then the notes.
func (b *Both) Describe() []string {
	var lines []string
	for _, p := range b.Parts {
		lines = append(lines, p.Name+":")
		if d, ok := p.Action.(interface{ Describe() []string }); ok {
			for _, l := range d.Describe() {
				lines = append(lines, "  "+l)
			}
		}
	}
	for _, n := range b.Notes {
		lines = append(lines, "note: "+strings.TrimPrefix(n, "note: "))
	}
	return lines
}
