package hooks

import "github.com/kompose-dev/kompose/pkg/trust"

// UseHooks is what kompose does with a hook file or folder, for
// [trust.UnsafeError] messages.
const UseHooks = "run hooks from"

// CheckSet checks, under policy p, what s would run: the hooks/ folders,
// hooks.sh when there is one, and those of hooks that are files that would
// run. It returns the first refusal.
func CheckSet(p trust.Policy, s Set, hooks []Hook) error {
	for _, d := range []*Dir{s.Root, s.Stack} {
		if d != nil {
			if err := p.Check(UseHooks, d.Path, d.Info); err != nil {
				return err
			}
		}
	}
	if s.Script != nil && s.Script.Info != nil {
		if err := p.Check(UseHooks, s.Script.Path, s.Script.Info); err != nil {
			return err
		}
	}
	for _, h := range hooks {
		if h.Executable() && h.NotRun == "" && h.Info != nil {
			if err := p.Check(UseHooks, h.Path, h.Info); err != nil {
				return err
			}
		}
	}
	return nil
}
