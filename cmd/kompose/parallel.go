package main

import (
	"strconv"
	"strings"

	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/urfave/cli/v2"
)

// parallelVar sets -j when it is not given: from the process environment,
// the root .env or -e.
const parallelVar = "KOMPOSE_PARALLEL"

// parallel is how many stacks run at once: -j/--parallel, else
// KOMPOSE_PARALLEL (-e, root .env, process environment), else 1.
func (a *App) parallel(c *cli.Context, p *plan.Plan) (int, error) {
	v, what := c.String("parallel"), "-j/--parallel"
	if !c.IsSet("parallel") {
		v, what = "", parallelVar
		if s, ok := lookupEnvOK(a.Environ, parallelVar); ok {
			v = s
		}
		for _, g := range p.Global {
			if g.Name == parallelVar {
				v = g.Value
			}
		}
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, usagef("%s %q: expected a number of stacks, 1 or more", what, v)
	}
	return n, nil
}
