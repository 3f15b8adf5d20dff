package plan

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/settings"
	"github.com/kompose-dev/kompose/pkg/stack"
)

// Order is the order stacks run in: dependencies before their dependents
// (x-kompose: {depends_on: [...]} in a stack's compose file), reversed for
// the commands that take stacks down ([Reverses]). Stacks with no order
// between them run in name order, or at the same time with -j.
type Order struct {
	// Reverse is set for a command that takes stacks down: dependents
	// run first.
	Reverse bool
	// Waves are the stacks that may run together, in run order: every
	// stack of a wave waits only for stacks of earlier waves. Plan.Stacks
	// holds the same stacks wave after wave, each wave in name order.
	Waves [][]*Stack
	// After are, for each stack, the stacks of this run that must have
	// succeeded before it starts (its dependencies, or with Reverse its
	// dependents), through stacks that are not in the run.
	After map[*Stack][]*Stack
	// DependsOn are the dependencies each stack declares.
	DependsOn map[*Stack][]string
	// Added are the stacks added by --with-deps, not by the pattern.
	Added map[*Stack]bool
	// WaitTimeout, when positive, is how long a dependent waits, for
	// `up`, until every service of its dependencies is running and
	// healthy (health gating); 0 for commands that are not gated.
	WaitTimeout time.Duration
	// Locks is set for commands that can change a stack (all but the
	// read-only ones, [ReadOnly]): each stack's lock is held while it
	// runs, waiting up to LockTimeout for another kompose holding it.
	Locks       bool
	LockTimeout time.Duration
	// SharedLock is set for commands that hold a finer lock of their own
	// (the database commands): they take the stack's lock shared, so they
	// run beside each other but never beside a command that changes the
	// stack.
	SharedLock bool
}

// SharesLock reports whether command takes the stacks' locks shared
// ([Order.SharedLock]): the command table's row says so.
func SharesLock(command string) bool {
	return commands.Lookup(command).Lock == commands.LockShared
}

// LockFile is the name of a stack's lock file, in the stack's folder.
const LockFile = ".kompose.lock"

// ReadOnly reports whether command takes no stack lock (the command
// table's row, pkg/commands): it only reads a stack, or works inside
// running containers, often for a long interactive session that must not
// hold the nightly up or backup back (exec, attach).
func ReadOnly(command string) bool {
	return commands.Lookup(command).Lock == commands.LockNone
}

// Gated reports whether the run waits, after s succeeded, until its
// services are up and healthy before its dependents start.
func (o *Order) Gated(s *Stack) bool {
	if o == nil || o.WaitTimeout <= 0 {
		return false
	}
	for _, after := range o.After {
		for _, a := range after {
			if a == s {
				return true
			}
		}
	}
	return false
}

// Reverses reports whether command takes stacks down, so that dependents
// go first (the command table's row).
func Reverses(command string) bool { return commands.Lookup(command).Reverses }

// Gates reports whether command is health-gated: its dependents wait until
// the dependency's services run and are healthy (the command table's row).
func Gates(command string) bool { return commands.Lookup(command).HealthGated }

// Variables for the order, read from the environment every stack starts
// from (process environment, root .env, -e).
const (
	WaitTimeoutVar = "KOMPOSE_WAIT_TIMEOUT"
	// DefaultWaitTimeout is how long a dependent waits by default.
	DefaultWaitTimeout = 2 * time.Minute
	LockTimeoutVar     = "KOMPOSE_LOCK_TIMEOUT"
	// DefaultLockTimeout is how long a run waits for a stack's lock by
	// default (--lock-timeout; the database lock's wait is db's
	// --db-lock-timeout, db.DefaultLockTimeout).
	DefaultLockTimeout = time.Minute
)

// graph is what the root declares: every stack's dependencies by name.
type graph struct {
	byName map[string]stack.Stack
	deps   map[string][]string
	where  map[string]string // the compose files that declare them
	// swarm are the stacks deployed on Docker Swarm (x-kompose.deploy,
	// KOMPOSE_DEPLOY), read with their dependencies.
	swarm map[string]bool
	// broken are the stacks whose dependencies cannot be known: their
	// .env or compose files do not load, they name a stack that does not
	// exist, or they are on a dependency cycle. Each fails on its own,
	// and so does every stack that depends on one of them, directly or
	// through others; the rest of the root is not concerned.
	broken map[string]error
}

// FailedToLoadError is the error of a stack that is not run because a
// stack it depends on, directly or through others, failed to load.
type FailedToLoadError struct{ On string }

func (e *FailedToLoadError) Error() string {
	return fmt.Sprintf("not run: depends on %s, which failed to load", e.On)
}

// readGraph reads the dependencies the order of the stacks start needs:
// theirs, and transitively those of the stacks they depend on (every
// stack of the root, all, when everything is set: --with-deps on a
// command that reverses the order adds dependents, which only a stack's
// own file names). A dependency through a stack that is not selected
// still orders the run. Only those stacks' files are read, so a command
// on one stack costs what its stacks cost, not what the root costs.
// files reads their compose files (once per run); envs are the stacks'
// merged environments. A stack whose files do not load, whose
// dependencies name no stack, or that is on a cycle is recorded in
// g.broken with the reason: that fails it and its dependents
// ([graph.failure]), never the whole run.
func readGraph(all, start []stack.Stack, everything bool, files *compose.Files, envs func(stack.Stack) (*env.Env, error)) *graph {
	g := &graph{byName: map[string]stack.Stack{}, deps: map[string][]string{}, where: map[string]string{}, broken: map[string]error{}, swarm: map[string]bool{}}
	names := make([]string, 0, len(all))
	for _, st := range all {
		g.byName[st.Name] = st
		names = append(names, st.Name)
	}
	if everything {
		start = all
	}
	queue := append([]stack.Stack{}, start...)
	seen := map[string]bool{}
	for _, st := range start {
		seen[st.Name] = true
	}
	var read []string
	for len(queue) > 0 {
		st := queue[0]
		queue = queue[1:]
		read = append(read, st.Name)
		e, err := envs(st)
		if err != nil {
			// Its own error (the .env refused or broken) is reported
			// when it is planned; what it declares is unknown.
			g.broken[st.Name] = err
			continue
		}
		deps, where, err := g.declared(st, files, e, names)
		if err != nil {
			g.broken[st.Name] = err
			continue
		}
		g.deps[st.Name], g.where[st.Name] = deps, where
		for _, d := range deps {
			if !seen[d] {
				seen[d] = true
				queue = append(queue, g.byName[d])
			}
		}
	}
	sort.Strings(read)
	g.breakCycles(read)
	return g
}

// declared reads the dependencies st declares and checks that each names
// another stack of the root.
func (g *graph) declared(st stack.Stack, files *compose.Files, e *env.Env, names []string) ([]string, string, error) {
	set, err := files.Settings(context.Background(), st.Dir, st.ComposeFile, e.Map())
	deps, where := set.DependsOn, set.Where
	if err != nil {
		// compose-go may quote values: the stack's secrets are masked.
		m := env.NewMasker(e).WithPublic(PublicWords(filepath.Dir(st.Dir), st)...)
		if errors.Is(err, compose.ErrDeployMode) {
			return nil, where, Usagef("%s: %s", st.Name, m.String(err.Error()))
		}
		return nil, where, errors.New(m.String(err.Error()))
	}
	g.swarm[st.Name] = set.Swarm()
	for _, d := range deps {
		if d == st.Name {
			return nil, where, fmt.Errorf("%s: %s.depends_on: %s depends on itself", where, compose.Extension, d)
		}
		if _, ok := g.byName[d]; !ok {
			msg := fmt.Sprintf("%s: %s.depends_on: no stack named %q in %s", where, compose.Extension, d, filepath.Dir(st.Dir))
			if n, ok := nearest(d, names, -1); ok {
				msg += fmt.Sprintf(" (did you mean %s?)", n)
			}
			return nil, where, errors.New(msg)
		}
	}
	return deps, where, nil
}

// breakCycles marks the stacks of every dependency cycle broken, naming
// the cycle and its files, and forgets what they declare, so that the
// graph that remains has no cycle.
func (g *graph) breakCycles(names []string) {
	for {
		c := g.cycle(names)
		if c == nil {
			return
		}
		var files []string
		for _, n := range c[:len(c)-1] {
			files = append(files, g.where[n])
		}
		err := fmt.Errorf("dependency cycle: %s (x-kompose.depends_on in %s)", strings.Join(c, " -> "), strings.Join(files, "; "))
		for _, n := range c[:len(c)-1] {
			g.broken[n] = err
			delete(g.deps, n)
		}
	}
}

// failure is why the stack named name cannot run because of the graph:
// its own load error, or a [*FailedToLoadError] naming the first broken
// stack it depends on (depth first, in declaration order); nil when
// neither.
func (g *graph) failure(name string) error {
	if err := g.broken[name]; err != nil {
		return err
	}
	seen := map[string]bool{name: true}
	var walk func(n string) string
	walk = func(n string) string {
		for _, d := range g.deps[n] {
			if seen[d] {
				continue
			}
			seen[d] = true
			if g.broken[d] != nil {
				return d
			}
			if b := walk(d); b != "" {
				return b
			}
		}
		return ""
	}
	if b := walk(name); b != "" {
		return &FailedToLoadError{On: b}
	}
	return nil
}

// cycle returns a dependency cycle ("a", "b", "a"), or nil.
func (g *graph) cycle(names []string) []string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var path []string
	var found []string
	var visit func(n string) bool
	visit = func(n string) bool {
		color[n] = grey
		path = append(path, n)
		for _, d := range g.deps[n] {
			switch color[d] {
			case grey:
				i := len(path) - 1
				for path[i] != d {
					i--
				}
				found = append(append([]string{}, path[i:]...), d)
				return true
			case white:
				if visit(d) {
					return true
				}
			}
		}
		path = path[:len(path)-1]
		color[n] = black
		return false
	}
	for _, n := range names {
		if color[n] == white && visit(n) {
			return found
		}
	}
	return nil
}

// closure adds to sel, with --with-deps, the dependencies of the selected
// stacks, transitively (reverse: their dependents), and returns the stacks
// to plan and which of them were added.
func (g *graph) closure(sel []stack.Stack, reverse bool) ([]stack.Stack, map[string]bool) {
	next := g.deps
	if reverse {
		next = map[string][]string{}
		for n, ds := range g.deps {
			for _, d := range ds {
				next[d] = append(next[d], n)
			}
		}
	}
	in := map[string]bool{}
	for _, st := range sel {
		in[st.Name] = true
	}
	added := map[string]bool{}
	queue := make([]string, 0, len(sel))
	for _, st := range sel {
		queue = append(queue, st.Name)
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, d := range next[n] {
			if !in[d] {
				in[d], added[d] = true, true
				queue = append(queue, d)
			}
		}
	}
	out := append([]stack.Stack{}, sel...)
	for n := range added {
		out = append(out, g.byName[n])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, added
}

// order puts p.Stacks in run order and records it in p.Order.
func (g *graph) order(p *Plan, reverse bool, added map[string]bool, wait time.Duration) *Order {
	o := &Order{Reverse: reverse, After: map[*Stack][]*Stack{}, DependsOn: map[*Stack][]string{}, Added: map[*Stack]bool{}, WaitTimeout: wait}
	byName := map[string]*Stack{}
	for _, s := range p.Stacks {
		byName[s.Name] = s
		o.DependsOn[s] = g.deps[s.Name]
		if added[s.Name] {
			o.Added[s] = true
		}
	}
	// The planned dependencies of each stack, through stacks not planned.
	deps := map[*Stack][]*Stack{}
	for _, s := range p.Stacks {
		seen := map[string]bool{}
		var walk func(n string)
		walk = func(n string) {
			for _, d := range g.deps[n] {
				if seen[d] {
					continue
				}
				seen[d] = true
				if ds := byName[d]; ds != nil {
					deps[s] = append(deps[s], ds)
				} else {
					walk(d)
				}
			}
		}
		walk(s.Name)
	}
	if reverse {
		for s, ds := range deps {
			for _, d := range ds {
				o.After[d] = append(o.After[d], s)
			}
		}
	} else {
		o.After = deps
	}
	for _, as := range o.After {
		sort.Slice(as, func(i, j int) bool { return as[i].Name < as[j].Name })
	}
	// Waves: a stack's wave is one more than the latest of what it waits
	// for (the graph has no cycle).
	wave := map[*Stack]int{}
	var level func(s *Stack) int
	level = func(s *Stack) int {
		if w, ok := wave[s]; ok {
			return w
		}
		w := 0
		for _, a := range o.After[s] {
			w = max(w, level(a)+1)
		}
		wave[s] = w
		return w
	}
	for _, s := range p.Stacks {
		w := level(s)
		for len(o.Waves) <= w {
			o.Waves = append(o.Waves, nil)
		}
		o.Waves[w] = append(o.Waves[w], s)
	}
	p.Stacks = p.Stacks[:0]
	for _, w := range o.Waves {
		sort.Slice(w, func(i, j int) bool { return w[i].Name < w[j].Name })
		p.Stacks = append(p.Stacks, w...)
	}
	p.Order = o
	return o
}

// waitTimeout is the health-gating timeout: the builder's (--wait-timeout)
// when set, else KOMPOSE_WAIT_TIMEOUT from base, else the default
// (pkg/settings).
func (b *Builder) waitTimeout(base *env.Env) (time.Duration, error) {
	if b.WaitTimeoutSet {
		return b.WaitTimeout, nil
	}
	return settings.Setting{Var: WaitTimeoutVar, Lookup: settings.FromEnv(base)}.Duration(DefaultWaitTimeout)
}

// lockTimeout is how long a run waits for a stack's lock: the builder's
// (--lock-timeout) when set, else KOMPOSE_LOCK_TIMEOUT from base, else the
// default (pkg/settings).
func (b *Builder) lockTimeout(base *env.Env) (time.Duration, error) {
	if b.LockTimeoutSet {
		return b.LockTimeout, nil
	}
	return settings.Setting{Var: LockTimeoutVar, Lookup: settings.FromEnv(base)}.Duration(DefaultLockTimeout)
}
