package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/db"
	"github.com/kompose-dev/kompose/pkg/engine"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/fleet"
	"github.com/kompose-dev/kompose/pkg/jsonout"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/status"
)

// statusCommand is kompose's view of the fleet:
//
//	kompose <pattern> status [--json]
//
// One row per stack, from one docker ps per engine; exit 0 only when every
// selected stack runs and no container is unhealthy or starting.
const statusCommand = "status"

// status prints the state of each stack. A stack whose .env cannot be
// read is shown as unknown, with the error on stderr.
func (a *App) status(ctx context.Context, f *fleet.Fleet, stacks []stack.Stack, args []string, asJSON, dryRun bool) (int, error) {
	for _, arg := range args {
		if arg == "--json" {
			asJSON = true
			continue
		}
		return exitUsage, usagef("status: unknown argument %q (status takes only --json)", arg)
	}
	if _, err := f.Base(); err != nil {
		return exitUsage, usageError{err}
	}
	targets := make([]status.Target, len(stacks))
	envErrs := make([]error, len(stacks))
	for i, m := range f.Load(stacks) {
		s, e := m.Stack, m.Env
		envErrs[i] = m.Err
		t := status.Target{
			Name:    s.Name,
			Project: compose.ProjectName(s.Dir, s.ComposeFile, e.Lookup),
			Engine:  engine.Of(e.Lookup),
			Environ: e.Environ(),
		}
		if cfg, ok, cerr := db.ConfigFrom(e, s.Dir); ok {
			t.Dumps = func() (*status.Dump, error) {
				if cerr != nil {
					return nil, cerr
				}
				ds, err := db.List(cfg.DumpDir, cfg.Name)
				if err != nil || len(ds) == 0 {
					return nil, err
				}
				return &status.Dump{File: ds[0].Path, Time: ds[0].Time, Size: ds[0].Size}, nil
			}
		}
		targets[i] = t
	}
	a.LibLog.Take() // project names read from compose files: nothing to say here
	mask := f.Mask()
	if dryRun {
		return a.statusPlan(f.Root(), targets, mask), nil
	}
	rows := status.Collect(ctx, a.docker(f.Root()), targets)
	code := exitOK
	est := a.IO.StyleFor(a.IO.ErrTTY)
	for i := range rows {
		r := &rows[i]
		if envErrs[i] != nil {
			r.State, r.Err = status.Unknown, envErrs[i]
		}
		if !r.OK() {
			code = exitFailed
		}
		if r.Err != nil {
			fmt.Fprintf(a.IO.ErrOut, "%s %s: %s\n", est.Red("!!!"), r.Stack, mask.String(r.Err.Error()))
		}
		if r.DumpErr != nil {
			fmt.Fprintf(a.IO.ErrOut, "%s %s: dumps: %s\n", est.Red("!!!"), r.Stack, mask.String(r.DumpErr.Error()))
		}
	}
	now := a.Clock.Now()
	if asJSON {
		return code, jsonout.Write(a.IO.Out, jsonout.StatusDoc(f.Root(), rows, now, mask))
	}
	return code, status.Table(a.IO.Out, a.IO.StyleFor(a.IO.OutTTY), rows, now, db.HumanSize, db.HumanAge)
}

// docker runs the docker CLI in dir through a.Proc, capturing its output;
// its error says what docker printed on stderr (the last lines).
func (a *App) docker(dir string) status.Docker {
	return func(ctx context.Context, environ []string, args []string) ([]byte, error) {
		var out, errb bytes.Buffer
		err := a.Proc.Run(ctx, proc.Cmd{Argv: append([]string{"docker"}, args...), Dir: dir, Env: environ, Stdout: &out, Stderr: &errb})
		if err != nil {
			msg := strings.TrimSpace(errb.String())
			if len(msg) > 500 {
				msg = "..." + msg[len(msg)-500:]
			}
			if msg != "" {
				return nil, fmt.Errorf("docker ps: %w: %s", err, msg)
			}
			return nil, fmt.Errorf("docker ps: %w", err)
		}
		return out.Bytes(), nil
	}
}

// statusPlan prints, for a dry run, the docker command status would run
// for each engine and the stacks it serves; it runs nothing.
func (a *App) statusPlan(root string, targets []status.Target, mask *env.Masker) int {
	var order []string
	byKey := map[string][]status.Target{}
	for _, t := range targets {
		k := t.Engine.Key()
		if byKey[k] == nil {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], t)
	}
	w := a.IO.Out
	fmt.Fprintf(w, "dry run: status of %d stack(s) in %s; nothing is executed\n", len(targets), root)
	for _, k := range order {
		ts := byKey[k]
		var names []string
		for _, t := range ts {
			names = append(names, t.Name+" (project "+mask.String(t.Project)+")")
		}
		fmt.Fprintf(w, "engine %s: %s\n", mask.String(ts[0].Engine.Name()), strings.Join(names, ", "))
		fmt.Fprintf(w, "--> docker %s\n", strings.Join(quoteArgs(status.PsArgs), " "))
	}
	return exitOK
}

// quoteArgs quotes arguments for a shell where they need it.
func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \"'{}()$") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return out
}
