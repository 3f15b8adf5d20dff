package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kompose-dev/kompose/pkg/backup"
	"github.com/kompose-dev/kompose/pkg/buildinfo"
	"github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/complete"
	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/db"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/envcrypt"
	"github.com/kompose-dev/kompose/pkg/fleet"
	"github.com/kompose-dev/kompose/pkg/liblog"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/run"
	"github.com/kompose-dev/kompose/pkg/settings"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/swarm"
	"github.com/kompose-dev/kompose/pkg/trust"
	"github.com/kompose-dev/kompose/pkg/update"
	"github.com/kompose-dev/kompose/pkg/vol"
	"github.com/urfave/cli/v2"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// App is kompose's command line with everything it touches outside itself.
type App struct {
	IO      *output.IOStreams
	Environ []string
	Cwd     string
	Proc    proc.Runner
	Clock   run.Clock
	Version string
	Build   buildinfo.Info // version, commit, date (--version)
	// Detect finds the compose command; nil means compose.Detect.
	Detect func(compose.Lookup) ([]string, error)
	// LibLog holds what compose-go logged (see liblog.Capture), to be
	// printed masked, as warnings of the stack concerned; nil when not
	// captured.
	LibLog *liblog.Log

	// argv is the command line, for --report.
	argv []string
	// pulls is update's one pull per distinct image; -j sets how many
	// run at once.
	pulls *update.Pulls
}

// usageError is a mistake in the command line or its inputs: exit 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// exitCode carries an exit status out of the urfave/cli action.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// Run runs kompose with args (args[0] is the program name) and returns the
// exit status.
func (a *App) Run(ctx context.Context, args []string) int {
	if a.Clock == nil {
		a.Clock = run.SystemClock{}
	}
	if len(args) > 1 && args[1] == complete.Entry { // before the options: they are words to complete
		return complete.Answer(ctx, a.IO.Out, complete.Request{Words: args[2:], Cwd: a.Cwd, Environ: a.Environ, Proc: a.Proc})
	}
	status := exitOK
	a.argv = args
	acted := false // the action ran: it writes the report itself
	app := &cli.App{
		Name:                      "kompose",
		Usage:                     settings.Usage,
		UsageText:                 settings.UsageText,
		HideVersion:               true,
		HideHelp:                  true, // the "help" flag below is kompose's
		DisableSliceFlagSeparator: true,
		Reader:                    a.IO.In,
		Writer:                    a.IO.Out,
		ErrWriter:                 a.IO.ErrOut,
		Flags:                     settings.GlobalFlags(),
		ExitErrHandler:            func(*cli.Context, error) {},
		Action: func(c *cli.Context) error {
			acted = true
			code, err := a.action(ctx, c)
			status = code
			return err
		},
	}
	// --help is urfave/cli's, printed from this template.
	app.CustomAppHelpTemplate = settings.HelpTemplate(app)
	app.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
		return usageError{settings.FlagError(err, args, app.Flags, plan.Nearest)}
	}
	err := app.RunContext(ctx, args)
	var ue usageError
	if err != nil && !acted {
		// The options did not parse: the action, which writes the report,
		// never ran. The report still tells cron what went wrong.
		a.earlyReport(app.Flags, err)
	}
	switch {
	case err == nil:
		return status
	case errors.As(err, &ue):
		fmt.Fprintf(a.IO.ErrOut, "kompose: %v\nRun 'kompose --help' for usage.\n", err)
		return exitUsage
	default:
		fmt.Fprintf(a.IO.ErrOut, "kompose: %v\n", err)
		if status == exitOK {
			status = exitFailed
		}
		return status
	}
}

// request is the part of a plan request every command shares: the root,
// and the variables the command line sets for every stack.
func (a *App) request(c *cli.Context, root string, overrides []env.Var) plan.Request {
	return plan.Request{Root: root, Network: c.String("network"), Overrides: overrides,
		Environ: a.Environ, Context: c.String("context")}
}

// fleet is the root of this run, loaded lazily (pkg/fleet): every view
// and the plan read the stacks' environments and maskers from it.
func (a *App) fleet(c *cli.Context, root string, overrides []env.Var, all []stack.Stack, b *plan.Builder) *fleet.Fleet {
	return fleet.New(fleet.Options{Root: root, Environ: a.Environ, Network: c.String("network"), Overrides: overrides,
		Context: c.String("context"), Policy: b.Policy}, all)
}

// builder returns the plan builder for the command line's options.
func (a *App) builder(c *cli.Context) (*plan.Builder, error) {
	pol, err := settings.Policy(c, a.Environ)
	if err != nil {
		return nil, usageError{err}
	}
	b := a.newBuilder(&pol)
	b.SkipHooks = c.Bool("skip-hooks")
	// The options win; the variables behind them are read from each
	// stack's or the base environment when the plan is made (pkg/plan,
	// through pkg/settings).
	for _, f := range []struct {
		name string
		d    *time.Duration
		set  *bool
	}{{"hook-timeout", &b.HookTimeout, &b.HookTimeoutSet}, {"wait-timeout", &b.WaitTimeout, &b.WaitTimeoutSet}, {"lock-timeout", &b.LockTimeout, &b.LockTimeoutSet}} {
		if !c.IsSet(f.name) {
			continue
		}
		d, err := settings.Setting{Flag: settings.FlagOf(c, "--"+f.name)}.Duration(0)
		if err != nil {
			return nil, usageError{err}
		}
		*f.d, *f.set = d, true
	}
	return b, nil
}

// leftoverLibWarnings prints, masked with every stack's secrets, what
// compose-go logged outside planning (while a stack ran).
func (a *App) leftoverLibWarnings(p *plan.Plan) {
	msgs := a.LibLog.Take()
	if len(msgs) == 0 {
		return
	}
	est := a.IO.StyleFor(a.IO.ErrTTY)
	for _, msg := range msgs {
		msg = p.Masker.String(msg) // every stack's secrets (plan.Build)
		fmt.Fprintf(a.IO.ErrOut, "%s compose-go: %s\n", est.Yellow("warning:"), msg)
	}
}

// newBuilder returns a plan builder with kompose's actions and the views
// of the command table (pkg/commands), for the trust rule pol (nil: the
// invoking user's).
func (a *App) newBuilder(pol *trust.Policy) *plan.Builder {
	b := &plan.Builder{Commands: a.commands(), Own: commands.OfKind(commands.View), Checks: db.Checks(), Detect: a.Detect,
		Version: a.Version, Now: a.Clock.Now, LibLog: a.LibLog.Take, Policy: pol, Swarm: swarm.Plan}
	a.pulls = update.NewPulls()
	for name, f := range update.Commands(update.Options{Now: a.Clock.Now, Policy: pol, Pulls: a.pulls}) {
		b.Commands[name] = f
	}
	return b
}

// lookahead is how many steps ahead hooks are started, gated, so that their
// start-up overlaps the step before them (see run.Runner.Lookahead).
const lookahead = 3

// commands are kompose's own name:verb commands.
func (a *App) commands() map[string]plan.CommandFunc {
	cmds := map[string]plan.CommandFunc{}
	dbs := db.Commands(db.Options{Cwd: a.Cwd, Now: a.Clock.Now, TTY: a.IO.ErrTTY})
	vols := vol.Commands(vol.Options{Cwd: a.Cwd, Now: a.Clock.Now})
	for _, m := range []map[string]plan.CommandFunc{dbs, vols, backup.Commands(dbs, vols), envcrypt.Commands()} {
		for name, f := range m {
			cmds[name] = f
		}
	}
	return cmds
}

// parseOverrides parses the -e options.
func parseOverrides(vals []string) ([]env.Var, error) {
	var out []env.Var
	for _, s := range vals {
		v, err := env.ParseAssignment(s)
		if err != nil {
			return nil, usageError{err}
		}
		out = append(out, v)
	}
	return out, nil
}
