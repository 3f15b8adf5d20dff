package plan

import (
	"testing"

	"github.com/kompose-dev/kompose/pkg/commands"
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
