package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/gitsync"
	"github.com/kompose-dev/kompose/pkg/report/jsonout"
	"github.com/kompose-dev/kompose/pkg/run"
	"github.com/kompose-dev/kompose/pkg/settings"
	"github.com/kompose-dev/kompose/pkg/stack"
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
	s.Print(sub.IO.Out, mask)
	code, down := exitOK, map[string]bool{}
	if o.Remove && len(s.Removed) > 0 {
		code, down = sub.syncDown(ctx, c, in, s, fo)
	}
	if !o.DryRun {
		if err := s.Apply(ctx); err != nil {
			return exitFailed, err
		}
	}
	upCode, ok, present, err := sub.syncUp(ctx, c, in, s, fo)
	if err != nil {
		return upCode, err
	}
	if !o.DryRun {
		if err := s.Record(a.Clock.Now(), present, ok, down); err != nil {
			return exitFailed, err
		}
	}
	if asJSON {
		if err := jsonout.Write(a.IO.Out, s.Doc(mask)); err != nil {
			return exitFailed, err
		}
	}
	return max(code, upCode), nil
}

// syncStacks runs command on the stacks of names that are in root now,
// as "kompose --root <root> <names> <command> <args>" would; it returns
// the exit status, which stacks succeeded, and the names of every stack
// in root.
func (a *App) syncStacks(ctx context.Context, c *cli.Context, in *invocation, root string, names []string, fo fleetOpts, command string, args ...string) (int, map[string]bool, []string, error) {
	ok := map[string]bool{}
	all, err := stack.Discover(root)
	if err != nil {
		return exitFailed, ok, nil, err
	}
	onDisk := stack.Names(all)
	var sel []string
	for _, n := range names {
		if contains(onDisk, n) {
			sel = append(sel, n)
		}
	}
	if len(sel) == 0 && (command != "up" || in.dryRun) {
		return exitOK, ok, onDisk, nil
	}
	if len(sel) == 0 { // nothing to bring up: an empty run still reports and pings
		empty := *in
		empty.Line, empty.stacks = commands.Line{Pattern: in.Pattern, Command: command, Args: args}, nil
		code, err := a.runCommand(ctx, c, &empty, fo)
		return code, ok, onDisk, err
	}
	line, err := a.invoke(c, &invocation{Line: commands.Line{Pattern: strings.Join(sel, ","), Command: command, Args: args},
		overrides: in.overrides, dryRun: in.dryRun, root: root})
	if err != nil {
		return exitUsage, ok, onDisk, err
	}
	fo.onResult = func(res *run.Result) {
		for _, r := range res.Stacks {
			ok[r.Stack.Name] = r.Status == run.Succeeded
		}
	}
	code, err := a.runCommand(ctx, c, line, fo)
	return code, ok, onDisk, err
}

// syncUp brings up the stacks s changed (after the fast-forward). A dry
// run plans them from the files of the commit the fast-forward would
// bring, written into a private temporary folder, since the work tree
// still holds the old ones.
func (a *App) syncUp(ctx context.Context, c *cli.Context, in *invocation, s *gitsync.Sync, fo fleetOpts) (int, map[string]bool, []string, error) {
	root := in.req.Root
	if in.dryRun && s.To != s.From && len(s.Up) > 0 {
		tmp, err := os.MkdirTemp("", "kompose-sync-plan-")
		if err != nil {
			return exitFailed, nil, nil, err
		}
		defer os.RemoveAll(tmp)
		if err := s.Repo.ExtractRoot(ctx, s.To, tmp); err != nil {
			return exitFailed, nil, nil, err
		}
		fmt.Fprintf(a.IO.Out, "the plan below is made from the files of %.12s (in %s)\n", s.To, tmp)
		root = tmp
	}
	code, ok, _, err := a.syncStacks(ctx, c, in, root, s.UpNames(), fo, "up", "-d")
	onDisk := []string{}
	if all, derr := stack.Discover(in.req.Root); derr == nil {
		onDisk = stack.Names(all)
	}
	return code, ok, onDisk, err
}

// syncDown takes the stacks removed upstream down from the files they
// were deployed with: each stack's folder, and the root's .env and
// hooks/, of its deployed commit, written into a private folder of its
// own (the work tree may no longer hold them), a root for one run of
// down with its hooks.
func (a *App) syncDown(ctx context.Context, c *cli.Context, in *invocation, s *gitsync.Sync, fo fleetOpts) (int, map[string]bool) {
	fo.collector, fo.metrics, fo.noPings = nil, "", true // the sync's report and pings are the up's
	code, down := exitOK, map[string]bool{}
	for _, rm := range s.Removed {
		tmp, err := os.MkdirTemp("", "kompose-sync-down-")
		if err == nil {
			defer os.RemoveAll(tmp)
			err = s.Repo.Extract(ctx, rm.From, rm.Name, tmp)
		}
		var st int
		var ok map[string]bool
		if err == nil {
			st, ok, _, err = a.syncStacks(ctx, c, in, tmp, []string{rm.Name}, fo, "down")
		}
		if err != nil {
			fmt.Fprintf(a.IO.ErrOut, "kompose: %s: %v\n", rm.Name, err)
			st = exitFailed
		}
		code, down[rm.Name] = max(code, st), ok[rm.Name]
	}
	return code, down
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
