package main

import (
	"context"

	"github.com/kompose-dev/kompose/pkg/fleet"
	"github.com/kompose-dev/kompose/pkg/report/jsonout"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/views"
)

// list prints each stack with its files, hook functions and services
// (pkg/views), as text or JSON (docs/json.md, kind "list"). A stack whose
// files do not load is shown with the error, and the exit status is 1.
//
// Nothing a .env or compose-go says is printed unmasked: problems are
// masked with the stack's secrets, and what compose-go logs is taken after
// each stack and printed as that stack's warnings.
func (a *App) list(ctx context.Context, f *fleet.Fleet, stacks []stack.Stack, asJSON bool) (int, error) {
	l, err := views.CollectList(ctx, f, stacks, a.LibLog.Take)
	if err != nil {
		return exitUsage, usageError{err}
	}
	code := exitOK
	if !l.OK() {
		code = exitFailed
	}
	if asJSON {
		return code, jsonout.Write(a.IO.Out, l.JSON(a.IO.ErrOut))
	}
	l.Text(a.IO.Out, a.IO.ErrOut, a.IO.StyleFor(a.IO.OutTTY), a.IO.StyleFor(a.IO.ErrTTY))
	return code, nil
}
