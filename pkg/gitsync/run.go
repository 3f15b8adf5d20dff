package gitsync

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/kompose-dev/kompose/pkg/stack"
)

// PlanFunc runs one plan of a sync, as "kompose --root <root> <names>
// up -d" (or "down" when down) would, hooks, order, locks and reporters
// and all; names are stacks of root. It returns the exit status and
// which stacks succeeded. An empty names asks for an empty run of up -d
// (the report and the pings of a sync with nothing to bring up).
type PlanFunc func(ctx context.Context, root string, names []string, down bool) (code int, ok map[string]bool, err error)

// Deps are what [Sync.Run] needs from the command line.
type Deps struct {
	Root        string // the root (the work tree or a folder of it)
	Out, ErrOut io.Writer
	Mask        func(string) string // hides secret values in what is printed
	Plan        PlanFunc
	Now         func() time.Time
}

// Run carries s out: prints it; with --remove, takes the removed stacks
// down from the files they were deployed with (before the fast-forward);
// moves the work tree (not in a dry run); brings the changed stacks up
// (a dry run plans them from the new commit's files); records the
// outcome (not in a dry run). It returns the worst exit status of the
// plans.
func (s *Sync) Run(ctx context.Context, d Deps) (int, error) {
	s.Print(d.Out, d.Mask)
	code, down := 0, map[string]bool{}
	if s.Options.Remove && len(s.Removed) > 0 {
		code, down = s.down(ctx, d)
	}
	if !s.Options.DryRun {
		if err := s.Apply(ctx); err != nil {
			return 1, err
		}
	}
	upCode, ok, err := s.up(ctx, d)
	if err != nil {
		return max(upCode, 1), err
	}
	if !s.Options.DryRun {
		all, err := stack.Discover(d.Root)
		if err != nil {
			return 1, err
		}
		if err := s.Record(d.Now(), stack.Names(all), ok, down); err != nil {
			return 1, err
		}
	}
	return max(code, upCode), nil
}

// up brings up the stacks s changed. A dry run plans them from the files
// of the commit the fast-forward would bring, written into a private
// temporary folder, since the work tree still holds the old ones.
func (s *Sync) up(ctx context.Context, d Deps) (int, map[string]bool, error) {
	root := d.Root
	if s.Options.DryRun && s.To != s.From && len(s.Up) > 0 {
		tmp, err := os.MkdirTemp("", "kompose-sync-plan-")
		if err != nil {
			return 1, nil, err
		}
		defer os.RemoveAll(tmp)
		if err := s.Repo.ExtractRoot(ctx, s.To, tmp); err != nil {
			return 1, nil, err
		}
		fmt.Fprintf(d.Out, "the plan below is made from the files of %s (in %s)\n", short(s.To), tmp)
		root = tmp
	}
	if len(s.Up) == 0 && s.Options.DryRun {
		return 0, map[string]bool{}, nil
	}
	names, err := inRoot(root, s.UpNames())
	if err != nil {
		return 1, nil, err
	}
	names, bad := selectable(names)
	for _, n := range bad {
		fmt.Fprintf(d.ErrOut, "kompose: sync: stack folder %s: its name is not one a pattern selects by name "+
			"(a glob character, a comma, a leading '!', blanks or control characters): not brought up; rename the folder\n", strconv.Quote(n))
	}
	code, ok, err := d.Plan(ctx, root, names, false)
	if len(bad) > 0 {
		code = max(code, 1)
	}
	return code, ok, err
}

// selectable splits names into those a command line's pattern selects
// as themselves and the others: the plan gets the names as a pattern,
// where a folder named "*" would be every stack, "!blog" every stack
// but blog, "a,b" two stacks.
func selectable(names []string) (ok, bad []string) {
	for _, n := range names {
		if strings.ContainsAny(n, "*?[]\\,") || strings.HasPrefix(n, "!") || strings.TrimSpace(n) != n ||
			strings.IndexFunc(n, unicode.IsControl) >= 0 {
			bad = append(bad, n)
			continue
		}
		ok = append(ok, n)
	}
	return ok, bad
}

// inRoot returns the names of names that are stacks of root (a compose
// file git lists may not make a stack on disk: a symlink to nowhere).
func inRoot(root string, names []string) ([]string, error) {
	all, err := stack.Discover(root)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, n := range stack.Names(all) {
		have[n] = true
	}
	var out []string
	for _, n := range names {
		if have[n] {
			out = append(out, n)
		}
	}
	return out, nil
}

// down takes the stacks removed upstream down from the files they were
// deployed with: each stack's folder, and the root's .env and hooks/, of
// its deployed commit ([Repo.Extract]), in a private folder of its own
// that is a root for one plan of down.
func (s *Sync) down(ctx context.Context, d Deps) (int, map[string]bool) {
	code, down := 0, map[string]bool{}
	for _, rm := range s.Removed {
		st, ok, err := s.downOne(ctx, d, rm)
		if err != nil {
			fmt.Fprintf(d.ErrOut, "kompose: %s: %v\n", rm.Name, err)
			st = max(st, 1)
		}
		code, down[rm.Name] = max(code, st), ok[rm.Name]
	}
	return code, down
}

func (s *Sync) downOne(ctx context.Context, d Deps, rm StackChange) (int, map[string]bool, error) {
	tmp, err := os.MkdirTemp("", "kompose-sync-down-")
	if err != nil {
		return 1, nil, err
	}
	defer os.RemoveAll(tmp)
	if err := s.Repo.Extract(ctx, rm.From, rm.Name, tmp); err != nil {
		return 1, nil, err
	}
	if names, err := inRoot(tmp, []string{rm.Name}); err != nil || len(names) == 0 {
		return 1, nil, fmt.Errorf("not a stack in its files of %s (%v): take it down by hand (docker compose -p <project> down)", short(rm.From), err)
	}
	return d.Plan(ctx, tmp, []string{rm.Name}, true)
}
