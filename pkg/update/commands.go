package update

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kompose-dev/kompose/pkg/backup"
	"github.com/kompose-dev/kompose/pkg/db"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/trust"
	"github.com/kompose-dev/kompose/pkg/vol"
)

// The commands.
const (
	CommandUpdate   = "update"
	CommandRollback = "rollback"
)

// VarUpdated names the services an update or rollback recreated,
// space-separated, for the post and fail hooks ("" when none).
const VarUpdated = "KOMPOSE_UPDATED_SERVICES"

// Options are what update and rollback need from the command line around
// them.
type Options struct {
	Now func() time.Time
	// Policy decides whether kompose may read and write the history file
	// in a stack's folder; the invoking user's when nil.
	Policy *trust.Policy
	// Registries answers update --check's registry questions, once per
	// distinct question for the whole run; a new one when nil.
	Registries *Registries
	// Pulls pulls each distinct image of the run's updates once; a new
	// one (one pull at a time) when nil.
	Pulls *Pulls
}

// Commands returns the update and rollback commands for a
// [plan.Builder].
func Commands(o Options) map[string]plan.CommandFunc {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Registries == nil {
		o.Registries = NewRegistries()
	}
	if o.Pulls == nil {
		o.Pulls = NewPulls()
	}
	return map[string]plan.CommandFunc{
		CommandUpdate:   o.update,
		CommandRollback: o.rollback,
	}
}

// IsCheck reports whether command and args are update --check (which
// takes --json: cmd/kompose).
func IsCheck(command string, args []string) bool {
	return command == CommandUpdate && slices.Contains(args, "--check")
}

// usagef is a mistake in the options: exit status 2 (plan.ErrUsage).
func usagef(format string, a ...any) error { return plan.Usagef(format, a...) }

func (o Options) policy() trust.Policy {
	if o.Policy != nil {
		return *o.Policy
	}
	return trust.Current()
}

func (o Options) update(s *plan.Stack, command string, args []string) (plan.Step, error) {
	const help = "--check, --prune, --include-stopped, --min-age DURATION, --exclude-service SERVICE, --backup"
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	backup := fs.Bool("backup", false, "")
	var excluded []string
	fs.Func("exclude-service", "", func(v string) error {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			if !serviceName.MatchString(name) {
				return fmt.Errorf("%q is not a service name", name)
			}
			excluded = append(excluded, name)
		}
		return nil
	})
	prune := fs.Bool("prune", false, "")
	stopped := fs.Bool("include-stopped", false, "")
	check := fs.Bool("check", false, "")
	minAgeArg := fs.String("min-age", "", "")
	if _, err := plan.ParseArgs(command, fs, args, 0, help); err != nil {
		return plan.Step{}, err
	}
	var minAge time.Duration
	if *minAgeArg != "" {
		var err error
		if minAge, err = db.ParseAge(*minAgeArg); err != nil {
			return plan.Step{}, usagef("%s --min-age %s: %v", command, *minAgeArg, err)
		}
	}
	if *check {
		if *prune || *stopped || *backup {
			return plan.Step{}, usagef("%s --check changes nothing: --prune, --include-stopped and --backup do not go with it", command)
		}
		return plan.Step{Label: command, Args: args, Action: &Check{Regs: o.Registries, MinAge: minAge, Exclude: excluded, Now: o.Now, args: args}}, nil
	}
	o.Pulls.configure(minAge, excluded, o.Registries, o.Now)
	u := &Update{Prune: *prune, IncludeStopped: *stopped, Now: o.Now, Policy: o.policy(), Pulls: o.Pulls, Exclude: excluded, args: args}
	if err := o.planBackup(s, u, *backup); err != nil {
		return plan.Step{}, err
	}
	o.Pulls.add(s)
	return plan.Step{Label: command, Args: args, Action: u}, nil
}

// VarBackup is the stack variable that turns update --backup on.
const VarBackup = "KOMPOSE_UPDATE_BACKUP"

// planBackup plans update's backup (--backup or KOMPOSE_UPDATE_BACKUP=1
// in the stack's environment): the stack's backup command (pkg/backup:
// db:export, then vol:export), planned as `kompose <stack> backup` is. A
// stack with neither a database nor a volume has nothing to back up; a
// configuration backup refuses fails the stack now.
func (o Options) planBackup(s *plan.Stack, u *Update, flag bool) error {
	on := flag
	if v, ok := s.Env.Lookup(VarBackup); ok && !flag {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "1", "true", "yes", "on":
			on = true
		case "", "0", "false", "no", "off":
		default:
			return fmt.Errorf("%s=%q: expected 1 or 0", VarBackup, v)
		}
	}
	if !on {
		return nil
	}
	// Fresh command values: each stack's plan is its own.
	dbs := db.Commands(db.Options{Now: o.Now})
	vols := vol.Commands(vol.Options{Now: o.Now})
	st, err := backup.Commands(dbs, vols)["backup"](s, "backup", nil)
	var skip *plan.SkipError
	switch {
	case errors.As(err, &skip):
		u.backupNote = "nothing to back up: " + skip.Reason
		return nil
	case err != nil:
		return fmt.Errorf("update --backup: %w", err)
	}
	u.backup = st.Action
	return nil
}

func (o Options) rollback(s *plan.Stack, command string, args []string) (plan.Step, error) {
	const help = "[N]: the number of updates to go back, 1 by default; --restore"
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	restore := fs.Bool("restore", false, "")
	pos, err := plan.ParseArgs(command, fs, args, 1, help)
	if err != nil {
		return plan.Step{}, err
	}
	n := 1
	if len(pos) == 1 {
		if n, err = strconv.Atoi(pos[0]); err != nil || n < 1 {
			return plan.Step{}, usagef("%s %s: expected a number of updates to go back (1, 2, ...)", command, pos[0])
		}
	}
	r := &Rollback{N: n, Restore: *restore, Now: o.Now, Policy: o.policy(), args: args, stack: s}
	return plan.Step{Label: command, Args: args, Action: r}, nil
}
