package main

import (
	"context"

	"github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/views"
)

// rootCommand answers the root commands kompose answers without a root:
// completion and version (and --version, r zero).
func (a *App) rootCommand(ctx context.Context, r commands.RootCommand, rest []string, asJSON bool) (int, error) {
	if r.Name == commands.Completion {
		v, err := views.CompletionScript(rest)
		return a.show(v, err, false)
	}
	_, j := commands.TakeJSON(rest)
	return a.show(views.CollectVersion(ctx, a.Build, j || asJSON, a.Proc, a.Environ, a.Detect), nil, j || asJSON)
}
