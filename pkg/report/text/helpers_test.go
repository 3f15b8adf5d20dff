package text

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/internal/stacktest"
	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/run"
)

const svc = "services: {web: {image: nginx}}\n"

// fakeProc starts nothing; it fails the steps named "<stack folder>
// <hook function or compose subcommand>".
type fakeProc struct{ fail map[string]int }

func (f *fakeProc) Run(ctx context.Context, c proc.Cmd) error {
	if c.Report != nil { // a hooks.sh hook: its function exists and is called
		_, _ = io.WriteString(c.Report, "called\n")
	}
	what := c.Argv[2] // docker compose <sub>
	if c.Argv[0] == "bash" {
		what = c.Argv[5] // bash -c script hooks.sh <file> <func>
	}
	if code, ok := f.fail[filepath.Base(c.Dir)+" "+what]; ok {
		return &proc.ExitError{Code: code}
	}
	return nil
}

// tick is a clock that advances a second each time it is read.
type tick struct{ t time.Time }

func (c *tick) Now() time.Time { c.t = c.t.Add(time.Second); return c.t }

func build(t *testing.T, files map[string]string, command string, args ...string) *plan.Plan {
	t.Helper()
	dir, stacks := stacktest.Root(t, files)
	b := plan.Builder{Detect: func(compose.Lookup) ([]string, error) { return []string{"docker", "compose"}, nil }}
	p, err := b.Build(plan.Request{Root: dir, Command: command, Args: args, Environ: []string{"PATH=/bin"}}, stacks)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// runPlan runs p with the text reporter and returns what it printed.
func runPlan(t *testing.T, p *plan.Plan, f *fakeProc, dry bool) (*run.Result, string, string) {
	t.Helper()
	ios, _, out, errOut := output.Test()
	r := &run.Runner{Proc: f, IO: ios, Reporter: New(ios, dry), Clock: &tick{}, DryRun: dry}
	res := r.Run(context.Background(), p)
	return res, out.String(), errOut.String()
}
