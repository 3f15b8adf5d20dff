package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kompose-dev/kompose/pkg/backup"
	"github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/db"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/fleet"
	"github.com/kompose-dev/kompose/pkg/liblog"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/run"
	"github.com/kompose-dev/kompose/pkg/settings"
	"github.com/kompose-dev/kompose/pkg/stack"
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
	// Detect finds the compose command; nil means compose.Detect.
	Detect func(compose.Lookup) ([]string, error)
	// LibLog holds what compose-go logged (see liblog.Capture), to be
	// printed masked, as warnings of the stack concerned; nil when not
	// captured.
	LibLog *liblog.Log

	// argv is the command line, for --report.
	argv []string
}

// usageError is a mistake in the command line or its inputs: exit 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// exitCode carries an exit status out of the urfave/cli action.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

const usageText = `kompose [global options] <pattern> [--] <command> [args...]

   <pattern>  "*" for every stack, a name, a glob ("b*"), or a comma-separated
              list of them ("blog,news", "*,!legacy"); quote it for the shell.
   <command>  any docker compose subcommand (up, down, logs, ps, exec, ...),
              passed through with its arguments unchanged; or db:export,
              db:import [FILE], db:cleanup, db:list (PostgreSQL dumps,
              see docs/database.md); update [--prune] [--include-stopped],
              rollback [N] (see docs/update.md). An unknown command stops,
              with the nearest name; "--" passes it to compose unchecked.

   Examples:
     kompose sexy up -d
     kompose "*" down --dry-run
     kompose "blog,news" logs -f --tail 50
     kompose -e DB_HOST=10.0.0.5 news up -d
     kompose "*" db:export --compress zstd
     kompose "*" update --prune
     kompose --list
     kompose "*" hooks up      (the hooks "up" would run, in order; runs nothing)
     kompose "*" status        (state, health, engine and last dump of each stack;
                               exit 0 only when all run and are healthy)
     kompose "*" status --json (the same as JSON; see docs/json.md)
     kompose hosts             (each engine the stacks use: answers? version, stacks)`

// Run runs kompose with args (args[0] is the program name) and returns the
// exit status.
func (a *App) Run(ctx context.Context, args []string) int {
	if a.Clock == nil {
		a.Clock = run.SystemClock{}
	}
	status := exitOK
	a.argv = args
	acted := false // the action ran: it writes the report itself
	app := &cli.App{
		Name:                      "kompose",
		Usage:                     "run docker compose, with hooks, over many stacks",
		UsageText:                 usageText,
		HideVersion:               true,
		HideHelp:                  true, // the "help" flag below is kompose's
		DisableSliceFlagSeparator: true,
		Reader:                    a.IO.In,
		Writer:                    a.IO.Out,
		ErrWriter:                 a.IO.ErrOut,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print the plan (hooks and commands, secrets masked) and run nothing; also recognised after the pattern"},
			&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set `KEY=VALUE` for every stack, above every .env (repeatable)"},
			&cli.StringFlag{Name: "network", Usage: "set NETWORK_NAME to `NAME` for every stack"},
			&cli.StringFlag{Name: "context", Usage: "run every selected stack on the docker context `NAME` (sets DOCKER_CONTEXT and clears DOCKER_HOST, above every .env; see docs/hosts.md)"},
			&cli.StringFlag{Name: "root", Usage: "the `DIR` holding the stacks (default: $KOMPOSE_ROOT, else ./stacks if it exists, else .)"},
			&cli.BoolFlag{Name: "list", Aliases: []string{"l"}, Usage: "list the stacks the pattern selects (default: all) with their files, hooks and services"},
			&cli.BoolFlag{Name: "skip-hooks", Usage: "run no hook of any kind (also KOMPOSE_SKIP_HOOKS=1)"},
			&cli.StringSliceFlag{Name: "trust-user", Usage: "also accept hooks, hooks.sh and their folders owned by the account `NAME` (repeatable; also $KOMPOSE_TRUSTED_USERS=a,b from the process environment, never from a .env): that account can then make kompose run anything as you"},
			&cli.StringFlag{Name: "hook-timeout", Usage: "kill a hook, with its whole process group, after `DURATION` (30s, 5m; 0: no limit; default $KOMPOSE_HOOK_TIMEOUT from the environment or a stack's .env)"},
			&cli.BoolFlag{Name: "prefix", Usage: "prefix each line compose and the hooks print with the stack's name (\"blog | \"); default: on when more than one stack is selected and stdout is not a terminal (also KOMPOSE_PREFIX=1/0)"},
			&cli.BoolFlag{Name: "no-prefix", Usage: "never prefix the lines compose and the hooks print"},
			&cli.BoolFlag{Name: "json", Usage: "print --list, hooks, status, hosts, db:list or a --dry-run plan as JSON (docs/json.md); nothing else on stdout"},
			&cli.StringFlag{Name: "report", Usage: "write a JSON report of the run to `FILE` at the end, also after a failure or interrupt (docs/json.md)"},
			&cli.StringFlag{Name: "metrics-file", Usage: "merge the run's results into the Prometheus text file `FILE` (node_exporter textfile collector)"},
			&cli.StringFlag{Name: "parallel", Aliases: []string{"j"}, Usage: "run up to `N` independent stacks at once, within the dependency order; their lines are prefixed with the stack (default 1, one after the other; also $KOMPOSE_PARALLEL)"},
			&cli.BoolFlag{Name: "with-deps", Usage: "also run the stacks the selected ones depend on, transitively (for down, stop, kill, rm, pause: the stacks that depend on them)"},
			&cli.StringFlag{Name: "wait-timeout", Usage: "for up: how long a stack waits for the stacks it depends on to be running and healthy (`DURATION`; default 2m, also $KOMPOSE_WAIT_TIMEOUT; 0: do not wait)"},
			&cli.StringFlag{Name: "lock-timeout", Usage: "how long to wait for a stack's lock, held by another kompose changing it (`DURATION`; default 1m, also $KOMPOSE_LOCK_TIMEOUT; 0: fail at once; the database lock's is db:*'s --db-lock-timeout)"},
			&cli.BoolFlag{Name: "version", Usage: "print the version"},
			&cli.BoolFlag{Name: "help", Aliases: []string{"h"}, Usage: "print this help"},
		},
		ExitErrHandler: func(*cli.Context, error) {},
		Action: func(c *cli.Context) error {
			acted = true
			code, err := a.action(ctx, c)
			status = code
			return err
		},
	}
	// --help is urfave/cli's, printed from this template.
	app.CustomAppHelpTemplate = helpTemplate(app)
	app.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
		return usageError{flagError(err, args, app.Flags)}
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
	pol, err := a.policy(c)
	if err != nil {
		return nil, err
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
		d, err := settings.Setting{Flag: flagOf(c, "--"+f.name)}.Duration(0)
		if err != nil {
			return nil, usageError{err}
		}
		*f.d, *f.set = d, true
	}
	return b, nil
}

// flagOf is the option name as the command line gave it, for
// pkg/settings; name is how messages write it ("--hook-timeout").
func flagOf(c *cli.Context, name string) settings.Flag {
	n := strings.TrimLeft(name, "-")
	return settings.Flag{Name: name, Set: c.IsSet(n), Value: c.String(n)}
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

// trustedUsersVar names the accounts, comma-separated, whose files kompose
// accepts besides root's and the invoking user's. It is read from the
// process environment only: a .env file cannot widen trust.
const trustedUsersVar = "KOMPOSE_TRUSTED_USERS"

// policy is the trust rule of this run: root, the invoking user, and the
// accounts named by --trust-user and $KOMPOSE_TRUSTED_USERS.
func (a *App) policy(c *cli.Context) (trust.Policy, error) {
	pol := trust.Current()
	names := c.StringSlice("trust-user")
	for _, n := range strings.Split(lookupEnv(a.Environ, trustedUsersVar), ",") {
		names = append(names, strings.TrimSpace(n))
	}
	uids, err := trust.LookupUsers(names)
	if err != nil {
		return pol, usagef("--trust-user / %s: %v", trustedUsersVar, err)
	}
	pol.Trusted = uids
	return pol, nil
}

// prefixVar turns prefixing on (1) or off (0) when neither --prefix nor
// --no-prefix is given.
const prefixVar = "KOMPOSE_PREFIX"

// prefix decides whether output lines get their stack's name: --prefix or
// --no-prefix, else KOMPOSE_PREFIX, else on when the lines of several
// stacks end up in one stream that is not a terminal (kompose "*" ps >
// file). On a terminal kompose's own "==> stack" lines tell the stacks
// apart, and compose keeps its terminal (progress, exec -it).
func (a *App) prefix(c *cli.Context, stacks int) (bool, error) {
	on, off := c.Bool("prefix"), c.Bool("no-prefix")
	switch {
	case on && off:
		return false, usagef("--prefix and --no-prefix: give one of them")
	case on || off:
		return on, nil
	}
	v, err := settings.Setting{Var: prefixVar, Lookup: settings.FromEnviron(a.Environ)}.Bool(stacks > 1 && !a.IO.OutTTY)
	if err != nil {
		return false, usageError{err}
	}
	return v, nil
}

// newBuilder returns a plan builder with kompose's actions and the views
// of the command table (pkg/commands), for the trust rule pol (nil: the
// invoking user's).
func (a *App) newBuilder(pol *trust.Policy) *plan.Builder {
	b := &plan.Builder{Commands: a.commands(), Own: commands.OfKind(commands.View), Checks: db.Checks(), Detect: a.Detect,
		Version: a.Version, Now: a.Clock.Now, LibLog: a.LibLog.Take, Policy: pol}
	for name, f := range update.Commands(update.Options{Now: a.Clock.Now, Policy: pol}) {
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
	for _, m := range []map[string]plan.CommandFunc{dbs, vols, backup.Commands(dbs, vols)} {
		for name, f := range m {
			cmds[name] = f
		}
	}
	return cmds
}

// selectStacks returns the root, the stacks pattern selects and every
// stack of the root.
func (a *App) selectStacks(rootFlag, pattern string) (string, []stack.Stack, []stack.Stack, error) {
	envRoot := lookupEnv(a.Environ, "KOMPOSE_ROOT")
	root, err := stack.ResolveRoot(rootFlag, envRoot, a.Cwd)
	if err != nil {
		return "", nil, nil, usageError{err}
	}
	all, err := stack.Discover(root)
	if err != nil {
		return "", nil, nil, usageError{err}
	}
	if len(all) == 0 {
		return "", nil, nil, usagef("no stacks in %s (a stack is a sub-folder with compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml)", root)
	}
	sel, err := stack.Select(all, pattern)
	var unknown *stack.UnknownError
	if errors.As(err, &unknown) {
		if why := stack.NotAStack(root, unknown.Item); why != "" {
			return "", nil, nil, usagef("no stack named %q: %s", unknown.Item, why)
		}
	}
	if err != nil {
		return "", nil, nil, usageError{err}
	}
	return root, sel, all, nil
}

// takeDryRun removes --dry-run from the arguments after the pattern, the way
// kompose.sh accepted it anywhere. Arguments after a "--" are left alone,
// and so is -n, which compose subcommands use (logs -n 20).
func takeDryRun(args []string) ([]string, bool) {
	out := make([]string, 0, len(args))
	found := false
	for i, a := range args {
		if a == "--" {
			out = append(out, args[i:]...)
			break
		}
		if a == "--dry-run" && i > 0 {
			found = true
			continue
		}
		out = append(out, a)
	}
	return out, found
}

// onlyJSON reports whether args hold nothing but --json.
func onlyJSON(args []string) bool {
	rest, _ := takeJSON(args)
	return len(rest) == 0
}

// takeJSON removes --json from the arguments of a read-only view.
func takeJSON(args []string) ([]string, bool) {
	out := make([]string, 0, len(args))
	found := false
	for _, a := range args {
		if a == "--json" {
			found = true
			continue
		}
		out = append(out, a)
	}
	return out, found
}

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

func lookupEnv(environ []string, key string) string {
	v, _ := lookupEnvOK(environ, key)
	return v
}

func lookupEnvOK(environ []string, key string) (string, bool) {
	for i := len(environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(environ[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}
