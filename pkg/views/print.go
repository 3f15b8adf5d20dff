package views

import (
	"fmt"
	"strings"

	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/report/jsonout"
	"github.com/kompose-dev/kompose/pkg/stack"
)

// A View is a collected model: whether every stack (or engine) in it is
// well (the exit status is 1 when not), and how it prints, as text for
// people or as its JSON document on ios.Out (warnings on ios.ErrOut).
type View interface {
	OK() bool
	Print(ios *output.IOStreams, asJSON bool) error
}

// Print implements [View].
func (h *Hooks) Print(ios *output.IOStreams, asJSON bool) error {
	if asJSON {
		return jsonout.Write(ios.Out, h.JSON(ios.ErrOut))
	}
	h.Text(ios.Out, ios.StyleFor(ios.OutTTY))
	return nil
}

// Print implements [View].
func (h *Hosts) Print(ios *output.IOStreams, asJSON bool) error {
	est := ios.StyleFor(ios.ErrTTY)
	if asJSON {
		return jsonout.Write(ios.Out, h.JSON(ios.ErrOut, est))
	}
	h.Text(ios.Out, ios.ErrOut, ios.StyleFor(ios.OutTTY), est)
	return nil
}

// Print implements [View].
func (l *List) Print(ios *output.IOStreams, asJSON bool) error {
	if asJSON {
		return jsonout.Write(ios.Out, l.JSON(ios.ErrOut))
	}
	l.Text(ios.Out, ios.ErrOut, ios.StyleFor(ios.OutTTY), ios.StyleFor(ios.ErrTTY))
	return nil
}

// Print implements [View]. A dry run's status is always text: it says
// what would be asked, not what is.
func (s *Status) Print(ios *output.IOStreams, asJSON bool) error {
	est := ios.StyleFor(ios.ErrTTY)
	if asJSON && !s.DryRun {
		return jsonout.Write(ios.Out, s.JSON(ios.ErrOut, est))
	}
	return s.Text(ios.Out, ios.ErrOut, ios.StyleFor(ios.OutTTY), est)
}

// HooksFor is the hooks view of `kompose <pattern> hooks [command
// [args...]]`: with a command, the steps of the very plan a run of it
// would execute (b builds it from req); without, the hooks of every
// command each stack has hooks for. Its errors are the user's.
func HooksFor(b *plan.Builder, req plan.Request, stacks []stack.Stack, args []string) (*Hooks, error) {
	if len(args) == 0 {
		return CollectHooks(req.Fleet, stacks)
	}
	req.Command, req.Args = args[0], args[1:]
	if strings.HasPrefix(req.Command, "-") {
		return nil, fmt.Errorf("hooks: %q is not a command", req.Command)
	}
	p, err := b.Build(req, stacks)
	if err != nil {
		return nil, err
	}
	return &Hooks{Root: req.Root, Command: req.Command, Plan: p}, nil
}
