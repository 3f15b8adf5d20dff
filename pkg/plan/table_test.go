package plan

import (
	"sort"
	"strings"
	"testing"

	"github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/fleet"
	"github.com/kompose-dev/kompose/pkg/stack"
)

// TestOrderFollowsTable plans every compose subcommand of the command
// table and checks the plan's order takes the row's lock, reverses as the
// row says and is health-gated as the row says.
func TestOrderFollowsTable(t *testing.T) {
	dir, stacks := root(t, map[string]string{"blog/compose.yaml": svc})
	b := Builder{Detect: fixedCompose}
	for _, c := range commands.Table() {
		if c.Kind != commands.Pass {
			continue
		}
		p, err := b.Build(Request{Root: dir, Command: c.Name, Environ: []string{"PATH=/bin"}}, stacks)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		o := p.Order
		if o.Locks != (c.Lock != commands.LockNone) || o.SharedLock != (c.Lock == commands.LockShared) {
			t.Errorf("%s: Locks %v, SharedLock %v; the table says %s", c.Name, o.Locks, o.SharedLock, c.Lock)
		}
		if o.Reverse != c.Reverses {
			t.Errorf("%s: Reverse %v; the table says %v", c.Name, o.Reverse, c.Reverses)
		}
		if (o.WaitTimeout > 0) != c.HealthGated {
			t.Errorf("%s: WaitTimeout %v; the table says health-gated %v", c.Name, o.WaitTimeout, c.HealthGated)
		}
	}
}

// TestBuildReadsOnlyWhatTheOrderNeeds: a command on some stacks reads
// their files and those of the stacks they depend on, transitively, not
// the rest of the root: a broken x-kompose in a stack nobody selected or
// depends on is not even read. --with-deps on a command that reverses the
// order needs every stack's file (dependents).
func TestBuildReadsOnlyWhatTheOrderNeeds(t *testing.T) {
	dir, all := root(t, map[string]string{
		"app/compose.yaml":   svc + "x-kompose: {depends_on: [mid]}\n",
		"mid/compose.yaml":   svc + "x-kompose: {depends_on: [db]}\n",
		"db/compose.yaml":    svc,
		"other/compose.yaml": svc + "x-kompose: {depends_on: [nope]}\n",
		"other/.env":         "X=1\n",
	})
	byName := map[string]stack.Stack{}
	for _, st := range all {
		byName[st.Name] = st
	}
	sel := func(names ...string) []stack.Stack {
		var out []stack.Stack
		for _, n := range names {
			out = append(out, byName[n])
		}
		return out
	}
	b := Builder{Detect: fixedCompose}
	build := func(command string, withDeps bool, names ...string) (*Plan, []string) {
		t.Helper()
		f := fleet.New(fleet.Options{Root: dir}, all)
		p, err := b.Build(Request{Root: dir, Command: command, All: all, WithDeps: withDeps, Fleet: f}, sel(names...))
		if err != nil {
			t.Fatalf("%s %v: %v", command, names, err)
		}
		var read []string
		for _, m := range f.Loaded() {
			read = append(read, m.Name)
		}
		sort.Strings(read)
		return p, read
	}
	p, read := build("up", false, "app", "db")
	var order []string
	for _, s := range p.Stacks {
		order = append(order, s.Name)
		if s.Err != nil {
			t.Errorf("%s: %v", s.Name, s.Err)
		}
	}
	if strings.Join(order, " ") != "db app" {
		t.Errorf("order %q: db first, through mid, which is not selected", order)
	}
	if strings.Join(read, " ") != "app db mid" {
		t.Errorf("up app,db read %q; want app, db and mid only", read)
	}
	if p, _ := build("up", false, "other"); p.Stacks[0].Err == nil || !strings.Contains(p.Stacks[0].Err.Error(), `no stack named "nope"`) {
		t.Errorf("other selected: %v", p.Stacks[0].Err)
	}
	if _, read := build("down", true, "db"); len(read) != 4 {
		t.Errorf("down --with-deps db read %q; want every stack (dependents)", read)
	}
	if _, read := build("up", true, "app"); strings.Join(read, " ") != "app db mid" {
		t.Errorf("up --with-deps app read %q", read)
	}
}
