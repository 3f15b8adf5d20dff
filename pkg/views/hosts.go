package views

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/kompose-dev/kompose/pkg/engine"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/fleet"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/report/jsonout"
	"github.com/kompose-dev/kompose/pkg/stack"
)

// HostGroup is one engine and the stacks that use it.
type HostGroup struct {
	Engine engine.Engine
	Stacks []string
	// Status is the answer to the probe; zero in a dry run.
	Status  engine.Status
	environ []string // the environment of its first stack: the probe's
	timeout string   // KOMPOSE_ENGINE_TIMEOUT of its first stack
}

// Hosts is the model of `kompose hosts`: each engine the selected stacks
// use, whether it answers, its version and its stacks.
type Hosts struct {
	Root   string
	DryRun bool
	// Groups are the engines, the default one first, then by name.
	Groups []*HostGroup
	// Problems are the stacks whose environment could not be read.
	Problems []Problem
	mask     *env.Masker
}

// CollectHosts reads the stacks' environments from f, groups the stacks
// by engine and, unless dryRun, asks each engine with checker, all at
// once.
func CollectHosts(ctx context.Context, f *fleet.Fleet, stacks []stack.Stack, checker *engine.Checker, dryRun bool) (*Hosts, error) {
	if _, err := f.Base(); err != nil {
		return nil, err
	}
	h := &Hosts{Root: f.Root(), DryRun: dryRun}
	byKey := map[string]*HostGroup{}
	for _, m := range f.Load(stacks) {
		if m.Err != nil {
			h.Problems = append(h.Problems, Problem{m.Name, f.MaskFor(m).String(m.Err.Error())})
			continue
		}
		eng := engine.Of(m.Env.Lookup)
		g := byKey[eng.Key()]
		if g == nil {
			to, _ := m.Env.Get(engine.TimeoutVar)
			g = &HostGroup{Engine: eng, environ: m.Env.Environ(), timeout: to}
			byKey[eng.Key()] = g
			h.Groups = append(h.Groups, g)
		}
		g.Stacks = append(g.Stacks, m.Name)
	}
	h.mask = f.Mask()
	if !dryRun {
		probe(ctx, h.Groups, checker)
	}
	sort.SliceStable(h.Groups, func(i, j int) bool {
		// The default engine first, then by name.
		di, dj := h.Groups[i].Engine.Default(), h.Groups[j].Engine.Default()
		if di != dj {
			return di
		}
		return h.Groups[i].Engine.Name() < h.Groups[j].Engine.Name()
	})
	return h, nil
}

// probe asks every engine at once.
func probe(ctx context.Context, groups []*HostGroup, checker *engine.Checker) {
	var wg sync.WaitGroup
	for _, g := range groups {
		d, err := engine.ParseTimeout(g.timeout)
		if err != nil {
			g.Status = engine.Status{Engine: g.Engine, Err: err}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.Status = checker.Check(ctx, g.environ, d)
		}()
	}
	wg.Wait()
}

// OK reports whether every stack's environment was read and every engine
// asked answers (exit status 0).
func (h *Hosts) OK() bool {
	if len(h.Problems) > 0 {
		return false
	}
	for _, g := range h.Groups {
		if !h.DryRun && g.Status.Unchecked == "" && !g.Status.Answers() {
			return false
		}
	}
	return true
}

// kind says how the stacks chose the engine.
func (g *HostGroup) kind() string {
	switch {
	case g.Engine.Host != "":
		return "DOCKER_HOST"
	case g.Engine.Context != "":
		return "docker context"
	}
	return "the docker CLI's current context"
}

// Text prints the model for people; the problems go to errw.
func (h *Hosts) Text(w, errw io.Writer, st, est output.Style) {
	printProblems(errw, est, h.Problems)
	for _, g := range h.Groups {
		fmt.Fprintln(w, st.Bold(g.Engine.Name()+" ("+g.kind()+")"))
		switch {
		case h.DryRun:
			fmt.Fprintf(w, "  answers:  %s\n", st.Dim("not asked (dry run)"))
		case g.Status.Unchecked != "":
			fmt.Fprintf(w, "  answers:  %s\n", st.Dim("not asked ("+g.Status.Unchecked+")"))
		case g.Status.Answers():
			fmt.Fprintf(w, "  answers:  %s, Docker Engine %s %s\n", st.Green("yes"), h.mask.String(g.Status.Version), st.Dim(fmt.Sprintf("(%.2fs)", g.Status.Took.Seconds())))
		default:
			fmt.Fprintf(w, "  answers:  %s: %s\n", st.Red("NO"), h.mask.String(g.Status.Err.Error()))
		}
		fmt.Fprintf(w, "  stacks:   %s\n", strings.Join(g.Stacks, ", "))
	}
}

// JSON is the model as the "hosts" document (docs/json.md); the problems
// go to errw, as in Text.
func (h *Hosts) JSON(errw io.Writer, est output.Style) jsonout.Hosts {
	printProblems(errw, est, h.Problems)
	doc := jsonout.Hosts{Header: jsonout.NewHeader(jsonout.KindHosts), Root: h.Root, DryRun: h.DryRun, Hosts: []jsonout.Host{}, Errors: []jsonout.StackError{}}
	for _, p := range h.Problems {
		doc.Errors = append(doc.Errors, jsonout.StackError{Stack: p.Stack, Error: p.Err})
	}
	for _, g := range h.Groups {
		hj := jsonout.Host{Engine: h.mask.String(g.Engine.Name()), Via: g.kind(), Stacks: g.Stacks}
		switch {
		case h.DryRun:
		case g.Status.Unchecked != "":
			hj.NotAsked = g.Status.Unchecked
		case g.Status.Answers():
			yes := true
			hj.Answers, hj.Version, hj.Seconds = &yes, h.mask.String(g.Status.Version), g.Status.Took.Seconds()
		default:
			no, msg := false, h.mask.String(g.Status.Err.Error())
			hj.Answers, hj.Error = &no, &msg
		}
		doc.Hosts = append(doc.Hosts, hj)
	}
	return doc
}
