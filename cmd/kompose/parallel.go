package main

import (
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/settings"
	"github.com/urfave/cli/v2"
)

// parallelVar sets -j when it is not given: from the process environment,
// the root .env or -e.
const parallelVar = "KOMPOSE_PARALLEL"

// parallel is how many stacks run at once: -j/--parallel, else
// KOMPOSE_PARALLEL (-e, root .env, process environment), else 1.
func (a *App) parallel(c *cli.Context, p *plan.Plan) (int, error) {
	base := env.FromEnviron(a.Environ)
	for _, g := range p.Global {
		base.Override(g.Name, g.Value, g.Source)
	}
	f := flagOf(c, "--parallel")
	f.Name = "-j/--parallel"
	n, err := settings.Setting{Flag: f, Var: parallelVar, Lookup: settings.FromEnv(base)}.Int(1, 1, "a number of stacks")
	if err != nil {
		return 0, usageError{err}
	}
	return n, nil
}
