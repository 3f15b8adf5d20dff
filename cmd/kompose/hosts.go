package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/engine"
	"github.com/kompose-dev/kompose/pkg/fleet"
	"github.com/kompose-dev/kompose/pkg/run"
	"github.com/kompose-dev/kompose/pkg/stack"
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

// hostGroup is one engine and the stacks that use it.
type hostGroup struct {
	eng     engine.Engine
	environ []string // the environment of its first stack: the probe's
	timeout string   // KOMPOSE_ENGINE_TIMEOUT of its first stack
	stacks  []string
	status  engine.Status
}

// hosts prints each engine the selected stacks use, whether it answers,
// its version and its stacks. The status is 1 when an engine does not
// answer or a stack's environment cannot be read. A dry run asks no
// engine: it shows which engines the stacks use.
func (a *App) hosts(ctx context.Context, f *fleet.Fleet, stacks []stack.Stack, rest []string, dryRun bool) (int, error) {
	if len(rest) > 0 {
		return exitUsage, usagef("hosts takes no arguments (got %q)", rest[0])
	}
	if _, err := f.Base(); err != nil {
		return exitUsage, usageError{err}
	}
	status := exitOK
	est := a.IO.StyleFor(a.IO.ErrTTY)
	var groups []*hostGroup
	byKey := map[string]*hostGroup{}
	members := f.Load(stacks)
	for _, m := range members {
		if m.Err != nil {
			fmt.Fprintf(a.IO.ErrOut, "%s %s: %s\n", est.Red("!!!"), m.Name, f.MaskFor(m).String(m.Err.Error()))
			status = exitFailed
			continue
		}
		eng := engine.Of(m.Env.Lookup)
		g := byKey[eng.Key()]
		if g == nil {
			to, _ := m.Env.Get(engine.TimeoutVar)
			g = &hostGroup{eng: eng, environ: m.Env.Environ(), timeout: to}
			byKey[eng.Key()] = g
			groups = append(groups, g)
		}
		g.stacks = append(g.stacks, m.Name)
	}
	mask := f.Mask()
	checker := &engine.Checker{Proc: a.Proc}
	var wg sync.WaitGroup
	for _, g := range groups {
		if dryRun {
			continue
		}
		d, err := engine.ParseTimeout(g.timeout)
		if err != nil {
			g.status = engine.Status{Engine: g.eng, Err: err}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.status = checker.Check(ctx, g.environ, d)
		}()
	}
	wg.Wait()
	sort.SliceStable(groups, func(i, j int) bool {
		// The default engine first, then by name.
		di, dj := groups[i].eng.Default(), groups[j].eng.Default()
		if di != dj {
			return di
		}
		return groups[i].eng.Name() < groups[j].eng.Name()
	})
	st := a.IO.StyleFor(a.IO.OutTTY)
	w := a.IO.Out
	for _, g := range groups {
		name := g.eng.Name()
		switch {
		case g.eng.Host != "":
			name += " (DOCKER_HOST)"
		case g.eng.Context != "":
			name += " (docker context)"
		default:
			name += " (the docker CLI's current context)"
		}
		fmt.Fprintln(w, st.Bold(name))
		switch {
		case dryRun:
			fmt.Fprintf(w, "  answers:  %s\n", st.Dim("not asked (dry run)"))
		case g.status.Unchecked != "":
			fmt.Fprintf(w, "  answers:  %s\n", st.Dim("not asked ("+g.status.Unchecked+")"))
		case g.status.Answers():
			fmt.Fprintf(w, "  answers:  %s, Docker Engine %s %s\n", st.Green("yes"), mask.String(g.status.Version), st.Dim(fmt.Sprintf("(%.2fs)", g.status.Took.Seconds())))
		default:
			fmt.Fprintf(w, "  answers:  %s: %s\n", st.Red("NO"), mask.String(g.status.Err.Error()))
			status = exitFailed
		}
		fmt.Fprintf(w, "  stacks:   %s\n", strings.Join(g.stacks, ", "))
	}
	return status, nil
}
