package main

import (
	"context"
	"io"

	"github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/complete"
	"github.com/kompose-dev/kompose/pkg/views"
)

// rootCommand answers the root commands kompose answers without a root:
// completion and version (and --version, r zero).
func (a *App) rootCommand(ctx context.Context, r commands.RootCommand, rest []string, asJSON bool) (int, error) {
	if r.Name == commands.Completion {
		s, err := complete.ScriptFor(rest)
		if err != nil {
			return exitUsage, usageError{err}
		}
		_, err = io.WriteString(a.IO.Out, s)
		return exitOK, err
	}
	_, j := commands.TakeJSON(rest)
	return a.show(views.CollectVersion(ctx, a.Build, j || asJSON, a.Proc, a.Environ, a.Detect), nil, j || asJSON)
}
