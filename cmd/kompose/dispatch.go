package main

import (
	"context"
	"fmt"
	"runtime"
	"strings"

	"github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/report/text"
	"github.com/kompose-dev/kompose/pkg/run"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/urfave/cli/v2"
)

// commandLine is what the words after the global options ask for.
type commandLine struct {
	overrides   []env.Var
	dryRun      bool
	pattern     string
	command     string
	rest        []string
	passthrough bool // the command followed "--"
}

// invocation is a command line with its stacks, plan builder and fleet.
type invocation struct {
	commandLine
	stacks, all []stack.Stack
	b           *plan.Builder
	req         plan.Request
}

// viewFunc answers a view of the command table (kind View).
type viewFunc func(ctx context.Context, in *invocation, fo *fleetOpts) (int, error)

// views are the handlers of the command table's views.
func (a *App) views() map[string]viewFunc {
	return map[string]viewFunc{
		hooksCommand: func(_ context.Context, in *invocation, fo *fleetOpts) (int, error) {
			return a.hooks(in.b, in.req, in.stacks, in.rest, fo.json)
		},
		hostsCommand: func(ctx context.Context, in *invocation, fo *fleetOpts) (int, error) {
			return a.hosts(ctx, in.req.Fleet, in.stacks, in.rest, fo.json, in.dryRun)
		},
		statusCommand: func(ctx context.Context, in *invocation, fo *fleetOpts) (int, error) {
			return a.status(ctx, in.req.Fleet, in.stacks, in.rest, fo.json, in.dryRun)
		},
	}
}

// action parses the words after the global options, looks the command up
// in the command table and dispatches: --list, a view, or a plan to run.
func (a *App) action(ctx context.Context, c *cli.Context) (code int, err error) {
	if c.Bool("version") {
		fmt.Fprintf(a.IO.Out, "kompose version %s (%s, %s/%s)\n", a.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return exitOK, nil
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
	args, dryRun := argsAndDryRun(c)
	if c.Bool("list") {
		return a.listAction(ctx, c, args, overrides, fo.json)
	}
	cl, err := parseCommand(args)
	if err != nil {
		return exitUsage, err
	}
	cl.overrides, cl.dryRun = overrides, dryRun
	in, err := a.invoke(c, cl)
	if err != nil {
		return exitUsage, err
	}
	if row := commands.Lookup(cl.command); row.ReadOnly && row.Owner == commands.Kompose && !cl.passthrough {
		// kompose's read-only views also take --json after the command.
		var found bool
		if in.rest, found = takeJSON(in.rest); found {
			fo.json = true
		}
		if view := a.views()[cl.command]; view != nil {
			return view(ctx, in, &fo)
		}
	}
	return a.runCommand(ctx, c, in, fo)
}

// argsAndDryRun returns the words after the global options and whether
// this is a dry run (--dry-run before the pattern, or anywhere after it).
func argsAndDryRun(c *cli.Context) ([]string, bool) {
	args := c.Args().Slice()
	dryRun := c.Bool("dry-run")
	if len(args) > 1 {
		var found bool
		args, found = takeDryRun(args)
		dryRun = dryRun || found
	}
	if len(args) > 0 && args[0] == hostsCommand && onlyJSON(args[1:]) {
		args = append([]string{"*"}, args...) // kompose hosts [--json]: every stack
	}
	return args, dryRun
}

// parseCommand splits args into pattern, command and its arguments.
func parseCommand(args []string) (commandLine, error) {
	switch len(args) {
	case 0:
		return commandLine{}, usagef("missing <pattern> and <command>: kompose [global options] <pattern> <command> [args...]")
	case 1:
		return commandLine{}, usagef("missing <command> after pattern %q", args[0])
	}
	cl := commandLine{pattern: args[0], command: args[1], rest: args[2:]}
	// "--" before the command passes it to compose as it is (a subcommand
	// of a newer compose that looks like a typo to kompose).
	cl.passthrough = cl.command == "--"
	if cl.passthrough {
		if len(cl.rest) == 0 {
			return cl, usagef("missing <command> after \"--\"")
		}
		cl.command, cl.rest = cl.rest[0], cl.rest[1:]
	}
	if strings.HasPrefix(cl.command, "-") && !cl.passthrough {
		return cl, usagef("%q after the pattern is not a command; global options go before the pattern", cl.command)
	}
	return cl, nil
}

// invoke selects the stacks and makes the builder and the fleet.
func (a *App) invoke(c *cli.Context, cl commandLine) (*invocation, error) {
	root, stacks, all, err := a.selectStacks(c.String("root"), cl.pattern)
	if err != nil {
		return nil, err
	}
	b, err := a.builder(c)
	if err != nil {
		return nil, err
	}
	in := &invocation{commandLine: cl, stacks: stacks, all: all, b: b, req: a.request(c, root, cl.overrides)}
	in.req.Fleet = a.fleet(c, root, cl.overrides, all, b)
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
	in, err := a.invoke(c, commandLine{pattern: pattern, overrides: overrides})
	if err != nil {
		return exitUsage, err
	}
	return a.list(ctx, in.req.Fleet, in.stacks, asJSON)
}

// runCommand plans the command for the stacks and runs the plan (or, for
// a dry run, prints it).
func (a *App) runCommand(ctx context.Context, c *cli.Context, in *invocation, fo fleetOpts) (int, error) {
	if fo.json && !in.dryRun && in.command != "db:list" {
		return exitUsage, usagef("--json prints --list, hooks, status, hosts, db:list and --dry-run plans; for a run, use --report FILE")
	}
	req := in.req
	req.Command, req.Args, req.Passthrough, req.All, req.WithDeps = in.command, in.rest, in.passthrough, in.all, c.Bool("with-deps")
	fo.policy = in.b.Policy
	p, err := in.b.Build(req, in.stacks)
	if err != nil {
		return exitUsage, usageError{err}
	}
	defer a.leftoverLibWarnings(p)
	if fo.json && in.command == "db:list" && !in.dryRun {
		return a.dbListJSON(p), nil
	}
	ios := a.IO
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
	parallel, err := a.parallel(c, p)
	if err != nil {
		return nil, err
	}
	prefix, err := a.prefix(c, len(p.Stacks))
	if err != nil {
		return nil, err
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
