package main

import (
	"context"
	"fmt"

	"github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/engine"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/report/text"
	"github.com/kompose-dev/kompose/pkg/run"
	"github.com/kompose-dev/kompose/pkg/settings"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/update"
	"github.com/kompose-dev/kompose/pkg/views"
	"github.com/urfave/cli/v2"
)

// invocation is a command line with its stacks, plan builder and fleet.
type invocation struct {
	commands.Line
	overrides   []env.Var
	dryRun      bool
	stacks, all []stack.Stack
	b           *plan.Builder
	req         plan.Request
	// root, when set, is the root instead of --root's (sync's removed
	// stacks, from the files they were deployed with).
	root string
}

// viewFunc collects a view of the command table (kind View) from the
// fleet; its errors are the user's.
type viewFunc func(ctx context.Context, in *invocation) (views.View, error)

// views are the handlers of the command table's views (pkg/views).
func (a *App) views() map[string]viewFunc {
	return map[string]viewFunc{
		"hooks": func(_ context.Context, in *invocation) (views.View, error) {
			return views.HooksFor(in.b, in.req, in.stacks, in.Args)
		},
		commands.Hosts: func(ctx context.Context, in *invocation) (views.View, error) {
			if len(in.Args) > 0 {
				return nil, fmt.Errorf("hosts takes no arguments (got %q)", in.Args[0])
			}
			return views.CollectHosts(ctx, in.req.Fleet, in.stacks, &engine.Checker{Proc: a.Proc}, in.dryRun)
		},
		"status": func(ctx context.Context, in *invocation) (views.View, error) {
			if len(in.Args) > 0 {
				return nil, fmt.Errorf("status: unknown argument %q (status takes only --json)", in.Args[0])
			}
			defer a.LibLog.Take() // project names read from compose files: nothing to say here
			return views.CollectStatus(ctx, in.req.Fleet, in.stacks, views.DockerCLI(a.Proc, in.req.Root), a.Clock.Now(), in.dryRun)
		},
	}
}

// show prints v; the status is 1 when v is not OK.
func (a *App) show(v views.View, err error, asJSON bool) (int, error) {
	if err != nil {
		return exitUsage, usageError{err}
	}
	code := exitOK
	if !v.OK() {
		code = exitFailed
	}
	return code, v.Print(a.IO, asJSON)
}

// action parses the words after the global options, looks the command up
// in the command table and dispatches: --list, a view, or a plan to run.
func (a *App) action(ctx context.Context, c *cli.Context) (code int, err error) {
	if r, ok := commands.RootLine(c.Args().Slice()); ok && !r.Stacks || c.Bool("version") {
		return a.rootCommand(ctx, r, c.Args().Slice()[min(1, c.NArg()):], c.Bool("json")) // --version: r is zero
	}
	fo := a.fleetOpts(c, a.argv)
	defer func() { a.writeReport(fo, code, err) }()
	overrides, err := parseOverrides(c.StringSlice("env"))
	if err != nil {
		return exitUsage, err
	}
	if err := plan.CheckContext(c.String("context"), overrides); err != nil {
		return exitUsage, usageError{err}
	}
	args, dryRun := commands.Words(c.Args().Slice())
	dryRun = dryRun || c.Bool("dry-run")
	if c.Bool("list") {
		return a.listAction(ctx, c, args, overrides, fo.json)
	}
	line, err := commands.ParseLine(args)
	if err != nil {
		return exitUsage, usageError{err}
	}
	in, err := a.invoke(c, &invocation{Line: line, overrides: overrides, dryRun: dryRun})
	if err != nil {
		return exitUsage, err
	}
	if in.Command == commands.Sync && !in.Passthrough { // the one command of kind Root
		var found bool
		in.Args, found = commands.TakeJSON(in.Args)
		fo.json = fo.json || found
		return a.syncAction(ctx, c, in, fo)
	}
	if row := commands.Lookup(in.Command); row.ReadOnly && row.Owner == commands.Kompose && !in.Passthrough {
		// kompose's read-only views also take --json after the command.
		var found bool
		if in.Args, found = commands.TakeJSON(in.Args); found {
			fo.json = true
		}
		if view := a.views()[in.Command]; view != nil {
			v, err := view(ctx, in)
			return a.show(v, err, fo.json)
		}
	}
	return a.runCommand(ctx, c, in, fo)
}

// invoke selects the stacks of in and makes its builder and fleet.
func (a *App) invoke(c *cli.Context, in *invocation) (*invocation, error) {
	envRoot, _, _ := settings.FromEnviron(a.Environ)("KOMPOSE_ROOT")
	rootFlag := c.String("root")
	if in.root != "" {
		rootFlag = in.root
	}
	root, stacks, all, err := stack.Open(rootFlag, envRoot, a.Cwd, in.Pattern)
	if err != nil {
		return nil, usageError{err}
	}
	if in.b, err = a.builder(c); err != nil {
		return nil, err
	}
	in.stacks, in.all, in.req = stacks, all, a.request(c, root, in.overrides)
	in.req.Fleet = a.fleet(c, root, in.overrides, all, in.b)
	return in, nil
}

// listAction is --list: the stacks the pattern selects (default all).
func (a *App) listAction(ctx context.Context, c *cli.Context, args []string, overrides []env.Var, asJSON bool) (int, error) {
	pattern := "*"
	if len(args) > 0 {
		pattern = args[0]
	}
	if len(args) > 1 {
		return exitUsage, usagef("--list takes a pattern, not a command (got %q)", args[1])
	}
	in, err := a.invoke(c, &invocation{Line: commands.Line{Pattern: pattern}, overrides: overrides})
	if err != nil {
		return exitUsage, err
	}
	l, err := views.CollectList(ctx, in.req.Fleet, in.stacks, a.LibLog.Take)
	return a.show(l, err, asJSON)
}

// runCommand plans the command for the stacks and runs the plan (or, for
// a dry run, prints it).
func (a *App) runCommand(ctx context.Context, c *cli.Context, in *invocation, fo fleetOpts) (int, error) {
	// update --check --json: the run's document (with each stack's
	// updates) on stdout, what the run says on stderr.
	checkJSON := fo.json && !in.dryRun && update.IsCheck(in.Command, in.Args)
	if fo.json && !in.dryRun && in.Command != "db:list" && in.Command != "vol:list" && !checkJSON {
		return exitUsage, usagef("--json prints --list, hooks, status, hosts, db:list, vol:list, update --check and --dry-run plans; for a run, use --report FILE")
	}
	req := in.req
	req.Command, req.Args, req.Passthrough, req.All, req.WithDeps = in.Command, in.Args, in.Passthrough, in.all, c.Bool("with-deps")
	fo.policy = in.b.Policy
	p, err := in.b.Build(req, in.stacks)
	if err != nil {
		return exitUsage, usageError{err}
	}
	defer a.leftoverLibWarnings(p)
	if fo.json && !in.dryRun {
		if v := views.PlanJSON(p, a.Clock.Now()); v != nil {
			return a.show(v, nil, true)
		}
	}
	ios := a.IO
	if checkJSON {
		c := *a.IO
		c.Out, c.OutTTY = a.IO.ErrOut, a.IO.ErrTTY
		ios, fo.jsonOut = &c, a.IO.Out
	}
	if in.dryRun {
		// A dry run prints hundreds of lines and starts nothing that could
		// interleave with them: write them in a few large writes.
		var flush func() error
		ios, flush = ios.Buffered()
		defer flush()
	}
	r, err := a.runner(c, p, ios, in.dryRun)
	if err != nil {
		return exitUsage, err
	}
	return a.runPlan(ctx, r, p, fo, r.IO), nil
}

// runner is the runner of p: how many stacks at once, prefixed or not.
func (a *App) runner(c *cli.Context, p *plan.Plan, ios *output.IOStreams, dryRun bool) (*run.Runner, error) {
	parallel, err := settings.Parallel(c, a.Environ, p.Global)
	if err != nil {
		return nil, usageError{err}
	}
	prefix, err := settings.Prefix(c, a.Environ, len(p.Stacks), a.IO.OutTTY)
	if err != nil {
		return nil, usageError{err}
	}
	if a.pulls != nil {
		a.pulls.SetParallel(parallel) // update's pulls, one per distinct image
	}
	if len(p.Stacks) < 2 || dryRun {
		parallel = 1 // nothing to run side by side
	}
	if parallel > 1 {
		// Stacks print at once: every line carries its stack.
		if c.Bool("no-prefix") {
			return nil, usagef("--no-prefix and -j %d: the lines of stacks running at once are always prefixed", parallel)
		}
		prefix = true
		ios = run.SyncIO(ios)
	}
	return &run.Runner{Proc: a.Proc, IO: ios, Reporter: text.New(ios, dryRun), Clock: a.Clock, DryRun: dryRun, Lookahead: lookahead,
		Prefix: prefix, Parallel: parallel, Engines: a.engines(p.Command)}, nil
}

// engines is the engine check of a real run of command: a command whose
// row in the command table (pkg/commands) reaches an engine checks it
// first; the others (db:cleanup and db:list read and delete local dump
// files, config and version read local files) never wait for a host that
// is down.
func (a *App) engines(command string) run.EngineChecker {
	if !commands.Lookup(command).Engine {
		return nil
	}
	return &run.Engines{Checker: &engine.Checker{Proc: a.Proc}}
}
