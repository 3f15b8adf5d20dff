package main

import (
	"context"

	"github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/engine"
	"github.com/kompose-dev/kompose/pkg/fleet"
	"github.com/kompose-dev/kompose/pkg/report/jsonout"
	"github.com/kompose-dev/kompose/pkg/run"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/views"
)

// hostsCommand is kompose's view of the engines the selected stacks use:
//
//	kompose [pattern] hosts
//
// docker compose has no "hosts" subcommand, so the name is free. It starts
// one `docker version` per engine, all at once, and nothing else.
const hostsCommand = "hosts"

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

// hosts prints each engine the selected stacks use, whether it answers,
// its version and its stacks (pkg/views), as text or JSON. The status is 1
// when an engine does not answer or a stack's environment cannot be read.
// A dry run asks no engine: it shows which engines the stacks use.
func (a *App) hosts(ctx context.Context, f *fleet.Fleet, stacks []stack.Stack, rest []string, asJSON, dryRun bool) (int, error) {
	if len(rest) > 0 {
		return exitUsage, usagef("hosts takes no arguments (got %q)", rest[0])
	}
	h, err := views.CollectHosts(ctx, f, stacks, &engine.Checker{Proc: a.Proc}, dryRun)
	if err != nil {
		return exitUsage, usageError{err}
	}
	code := exitOK
	if !h.OK() {
		code = exitFailed
	}
	est := a.IO.StyleFor(a.IO.ErrTTY)
	if asJSON {
		return code, jsonout.Write(a.IO.Out, h.JSON(a.IO.ErrOut, est))
	}
	h.Text(a.IO.Out, a.IO.ErrOut, a.IO.StyleFor(a.IO.OutTTY), est)
	return code, nil
}
