package hostclean

import (
	"context"
	"strings"
	"testing"
)

func TestLink(t *testing.T) {
	lo := Link("lo")
	if !strings.HasPrefix(lo, "lo: index ") || !strings.Contains(lo, "127.0.0.1/8") {
		t.Errorf("Link(lo) = %q", lo)
	}
	if err := LinkUnchanged("lo", lo); err != nil {
		t.Error(err)
	}
	const none = "kompose-nope0"
	if got := Link(none); got != none+": absent" {
		t.Errorf("Link(%s) = %q", none, got)
	}
	err := LinkUnchanged("lo", none+": absent")
	if err == nil || !strings.Contains(err.Error(), `before "kompose-nope0: absent", after "lo: index`) {
		t.Errorf("a changed link: %v", err)
	}
}

func TestMachineEngine(t *testing.T) {
	ctx := context.Background()
	before := MachineEngine(ctx)
	if !strings.HasPrefix(before, DefaultBridge+": ") {
		t.Errorf("MachineEngine does not start with %s:\n%s", DefaultBridge, before)
	}
	if err := CheckMachineEngine(ctx, before); err != nil {
		t.Error(err)
	}
	changed := strings.Replace(before, DefaultBridge+": ", DefaultBridge+": absent, was ", 1)
	if err := CheckMachineEngine(ctx, changed); err == nil || !strings.Contains(err.Error(), "before:\n    "+DefaultBridge+": absent, was") {
		t.Errorf("a changed engine: %v", err)
	}
}
