package main

import (
	"sort"
	"testing"

	"github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/run"
)

// TestEnginesFollowTable: a real run checks the engine exactly for the
// commands whose row in the command table reaches one.
func TestEnginesFollowTable(t *testing.T) {
	a := &App{Clock: run.SystemClock{}}
	for _, c := range commands.Table() {
		if got := a.engines(c.Name) != nil; got != c.Engine {
			t.Errorf("%s: engine check %v; the table says %v", c.Name, got, c.Engine)
		}
	}
}

// TestActionsFollowTable: kompose's actions are exactly the rows of kind
// Action, and the views handled before planning are the rows of kind
// View.
func TestActionsFollowTable(t *testing.T) {
	a := &App{Clock: run.SystemClock{}, IO: &output.IOStreams{}}
	b := a.newBuilder(nil)
	var names []string
	for n := range b.Commands {
		names = append(names, n)
	}
	sort.Strings(names)
	if want := commands.OfKind(commands.Action); !equal(names, want) {
		t.Errorf("actions %q; the table has %q", names, want)
	}
	if want := commands.OfKind(commands.View); !equal(b.Own, want) {
		t.Errorf("views %q; the table has %q", b.Own, want)
	}
	// The rows of kind Root are dispatched by name (syncAction).
	if got := commands.OfKind(commands.Root); !equal(got, []string{commands.Sync}) {
		t.Errorf("root commands %q; cmd/kompose dispatches only %q", got, commands.Sync)
	}
	var handled []string
	for n := range a.views() {
		handled = append(handled, n)
	}
	sort.Strings(handled)
	if want := commands.OfKind(commands.View); !equal(handled, want) {
		t.Errorf("view handlers %q; the table has %q", handled, want)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
