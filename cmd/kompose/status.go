package main

import (
	"context"

	"github.com/kompose-dev/kompose/pkg/fleet"
	"github.com/kompose-dev/kompose/pkg/report/jsonout"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/views"
)

// statusCommand is kompose's view of the fleet:
//
//	kompose <pattern> status [--json]
//
// One row per stack, from one docker ps per engine; exit 0 only when every
// selected stack runs and no container is unhealthy or starting.
const statusCommand = "status"

// status prints the state of each stack (pkg/views). A stack whose .env
// cannot be read is shown as unknown, with the error on stderr.
func (a *App) status(ctx context.Context, f *fleet.Fleet, stacks []stack.Stack, args []string, asJSON, dryRun bool) (int, error) {
	for _, arg := range args {
		if arg == "--json" {
			asJSON = true
			continue
		}
		return exitUsage, usagef("status: unknown argument %q (status takes only --json)", arg)
	}
	s, err := views.CollectStatus(ctx, f, stacks, views.DockerCLI(a.Proc, f.Root()), a.Clock.Now(), dryRun)
	if err != nil {
		return exitUsage, usageError{err}
	}
	a.LibLog.Take() // project names read from compose files: nothing to say here
	code := exitOK
	if !s.OK() {
		code = exitFailed
	}
	est := a.IO.StyleFor(a.IO.ErrTTY)
	if asJSON && !dryRun {
		return code, jsonout.Write(a.IO.Out, s.JSON(a.IO.ErrOut, est))
	}
	return code, s.Text(a.IO.Out, a.IO.ErrOut, a.IO.StyleFor(a.IO.OutTTY), est)
}
