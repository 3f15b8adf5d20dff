package main

import (
	"strings"

	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/report/jsonout"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/views"
)

// hooksCommand is kompose's read-only view of hooks:
//
//	kompose <pattern> hooks [command [args...]]
//
// docker compose has no "hooks" subcommand, so the name is free; it never
// starts a process.
const hooksCommand = "hooks"

// hooks prints, for each stack, the hooks a command would run, in order,
// with where each comes from: the steps of the very plan a run would
// execute. Without a command it lists the hooks of every command the
// stack has hooks for (pkg/views). The status is 1 when a stack could not
// run.
func (a *App) hooks(b *plan.Builder, req plan.Request, stacks []stack.Stack, rest []string, asJSON bool) (int, error) {
	var h *views.Hooks
	if len(rest) > 0 {
		req.Command, req.Args = rest[0], rest[1:]
		if strings.HasPrefix(req.Command, "-") {
			return exitUsage, usagef("hooks: %q is not a command", req.Command)
		}
		p, err := b.Build(req, stacks)
		if err != nil {
			return exitUsage, usageError{err}
		}
		h = &views.Hooks{Root: req.Root, Command: req.Command, Plan: p}
	} else {
		var err error
		if h, err = views.CollectHooks(req.Fleet, stacks); err != nil {
			return exitUsage, usageError{err}
		}
	}
	code := exitOK
	if !h.OK() {
		code = exitFailed
	}
	if asJSON {
		return code, jsonout.Write(a.IO.Out, h.JSON(a.IO.ErrOut))
	}
	h.Text(a.IO.Out, a.IO.StyleFor(a.IO.OutTTY))
	return code, nil
}
