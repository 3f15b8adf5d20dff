package main

import (
	"context"
	"strings"

	"github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/gitsync"
	"github.com/kompose-dev/kompose/pkg/report/jsonout"
	"github.com/kompose-dev/kompose/pkg/run"
	"github.com/kompose-dev/kompose/pkg/settings"
	"github.com/urfave/cli/v2"
)

// syncAction is "kompose sync" (pkg/gitsync, docs/git.md): the git side
// first; then, with --remove, the stacks removed upstream go down from
// the files still in the work tree (a plan of down, before the
// fast-forward takes them away); then the fast-forward; then the changed
// stacks come up (a plan of up -d). Each plan runs like any command's.
func (a *App) syncAction(ctx context.Context, c *cli.Context, in *invocation, fo fleetOpts) (int, error) {
	if in.Pattern != "*" {
		return exitUsage, usagef("sync is a command of the root: it takes no pattern (kompose sync [options]); it brings up the stacks that changed")
	}
	o, err := gitsync.ParseArgs(in.Args, a.Environ)
	if err != nil {
		return exitUsage, usageError{err}
	}
	o.DryRun, o.Policy = in.dryRun, in.req.Fleet.Policy()
	gitTop, _, _ := settings.FromEnviron(a.Environ)("KOMPOSE_GIT_DIR")
	repo, err := gitsync.Open(ctx, in.req.Root, gitTop, a.Environ, o.Policy)
	if err != nil {
		return exitFailed, err
	}
	if !o.DryRun {
		l, err := repo.Lock(ctx, in.b.LockTimeout)
		if err != nil {
			return exitFailed, err
		}
		defer l.Release()
	}
	s, err := gitsync.Prepare(ctx, repo, o)
	if err != nil {
		return exitFailed, err
	}
	asJSON, sub := fo.json, *a // with --json, everything but the document goes to stderr
	if asJSON {
		ios := *a.IO
		ios.Out, ios.OutTTY = a.IO.ErrOut, a.IO.ErrTTY
		sub.IO, fo.json = &ios, false
	}
	mask := in.req.Fleet.BaseMasker().String
	code, err := s.Run(ctx, gitsync.Deps{Root: in.req.Root, Out: sub.IO.Out, ErrOut: a.IO.ErrOut, Mask: mask, Now: a.Clock.Now,
		Plan: func(ctx context.Context, root string, names []string, down bool) (int, map[string]bool, error) {
			return sub.syncPlan(ctx, c, in, fo, root, names, down)
		}})
	if err != nil {
		return code, err
	}
	if asJSON {
		if err := jsonout.Write(a.IO.Out, s.Doc(mask)); err != nil {
			return exitFailed, err
		}
	}
	return code, nil
}

// syncPlan is sync's gitsync.PlanFunc: "kompose --root <root> <names>
// up -d" (or down), run like any command line's; no names is an empty
// run of up -d (its report and pings). The down of removed stacks sends
// no ping and is not in the report: those are the up's.
func (a *App) syncPlan(ctx context.Context, c *cli.Context, in *invocation, fo fleetOpts, root string, names []string, down bool) (int, map[string]bool, error) {
	ok := map[string]bool{}
	fo.onResult = func(res *run.Result) {
		for _, r := range res.Stacks {
			ok[r.Stack.Name] = r.Status == run.Succeeded
		}
	}
	line := commands.Line{Pattern: strings.Join(names, ","), Command: "up", Args: []string{"-d"}}
	if down {
		line.Command, line.Args = "down", nil
		fo.collector, fo.metrics, fo.noPings = nil, "", true
	}
	if len(names) == 0 {
		empty := *in
		empty.Line, empty.stacks = commands.Line{Pattern: in.Pattern, Command: line.Command, Args: line.Args}, nil
		code, err := a.runCommand(ctx, c, &empty, fo)
		return code, ok, err
	}
	sub, err := a.invoke(c, &invocation{Line: line, overrides: in.overrides, dryRun: in.dryRun, root: root})
	if err != nil {
		return exitUsage, ok, err
	}
	code, err := a.runCommand(ctx, c, sub, fo)
	return code, ok, err
}
