package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/run"
	"github.com/kompose-dev/kompose/pkg/stack"
)

// hooksCommand is kompose's read-only view of hooks:
//
//	kompose <pattern> hooks [command [args...]]
//
// docker compose has no "hooks" subcommand, so the name is free; it never
// starts a process.
const hooksCommand = "hooks"

// hooks prints, for each stack, the hooks a command would run, in order,
// with where each comes from: the steps of the very plan a run would
// execute. Without a command it lists the hooks of every command the
// stack has hooks for. The status is 1 when a stack could not run.
func (a *App) hooks(b *plan.Builder, req plan.Request, stacks []stack.Stack, rest []string) (int, error) {
	st := a.IO.StyleFor(a.IO.OutTTY)
	w := a.IO.Out
	if len(rest) > 0 {
		req.Command, req.Args = rest[0], rest[1:]
		if strings.HasPrefix(req.Command, "-") {
			return exitUsage, usagef("hooks: %q is not a command", req.Command)
		}
		p, err := b.Build(req, stacks)
		if err != nil {
			return exitUsage, usageError{err}
		}
		status := exitOK
		for _, s := range p.Stacks {
			fmt.Fprintln(w, st.Bold(s.Name))
			if !printStackPlanHooks(w, st, s) {
				status = exitFailed
			}
		}
		return status, nil
	}

	// Every command: discovery only, in the order the plan would use.
	tree := req.Fleet.Tree()
	rootDir, err := req.Fleet.RootHooks()
	if err != nil {
		return exitUsage, usageError{err}
	}
	status := exitOK
	for _, s := range stacks {
		fmt.Fprintln(w, st.Bold(s.Name))
		set := hooks.Set{Root: rootDir}
		sh := req.Fleet.Hooks(s)
		set.Script, set.Stack = sh.Script, sh.Dir
		for _, err := range []error{sh.ScriptErr, sh.DirErr} {
			if err != nil {
				fmt.Fprintf(w, "  %s\n", st.Red(err.Error()))
				status = exitFailed
			}
		}
		if set.Script != nil {
			printNotes(w, st, set.Script.Notes)
		}
		cmds := set.Commands()
		if len(cmds) == 0 {
			fmt.Fprintln(w, "  no hooks")
			continue
		}
		dirErr := tree.CheckDir(hooks.UseHooks, s.Dir)
		for _, cmd := range cmds {
			fmt.Fprintf(w, "  %s:\n", commandName(b, cmd))
			for _, ph := range hooks.Phases {
				for _, h := range set.For(ph, cmd) {
					note := h.NotRun
					if note == "" {
						err := dirErr
						if err == nil {
							err = hooks.CheckTree(tree, hooks.Set{Root: set.Root, Stack: set.Stack, Script: set.Script}, []hooks.Hook{h})
						}
						if err != nil {
							note = err.Error()
							status = exitFailed
						}
					}
					printHookRow(w, st, h, note)
				}
			}
		}
	}
	return status, nil
}

// printStackPlanHooks prints the steps of one stack's plan, hooks first
// class and the command in between; it reports whether the stack can run.
func printStackPlanHooks(w io.Writer, st output.Style, s *plan.Stack) bool {
	for _, line := range env.Summary(s.Notes) {
		fmt.Fprintf(w, "  %s\n", st.Yellow("warning: "+s.Masker.String(line)))
	}
	for _, msg := range s.Warnings {
		fmt.Fprintf(w, "  %s\n", st.Yellow("warning: "+filepath.Base(s.ComposeFile)+": "+s.Masker.String(msg)))
	}
	if s.Err != nil {
		fmt.Fprintf(w, "  %s\n", st.Red("cannot run: "+s.Masker.String(s.Err.Error())))
		return false
	}
	if s.Skip != "" {
		fmt.Fprintf(w, "  %s\n", st.Dim("skipped: "+s.Masker.String(s.Skip)+"; no hook would run"))
		return true
	}
	printNotes(w, st, s.HookNotes)
	n := 0
	for i := range s.Steps {
		step := &s.Steps[i]
		if step.Hook == nil {
			fmt.Fprintf(w, "  %-5s %s\n", "cmd", run.CommandLine(s, step))
			continue
		}
		n++
		var notes []string
		notes = append(notes, where(step.Hook.Hook))
		if step.When == plan.OnFailure {
			notes = append(notes, step.When.String())
		}
		if step.Skip != "" {
			notes = append(notes, "skipped: "+step.Skip)
		}
		if step.Hook.Conditional {
			notes = append(notes, "defined conditionally")
		}
		if step.Cmd.Timeout > 0 {
			notes = append(notes, "timeout "+step.Cmd.Timeout.String())
		}
		fmt.Fprintf(w, "  %-5s %s  %s\n", step.Phase, run.CommandLine(s, step), st.Dim("("+strings.Join(notes, ", ")+")"))
	}
	for _, h := range s.NotRun {
		fmt.Fprintf(w, "  %-5s %s  %s\n", h.Phase, h.Source, st.Yellow("(not run: "+h.NotRun+")"))
	}
	if n == 0 && len(s.NotRun) == 0 {
		fmt.Fprintln(w, "  no hooks")
	}
	return true
}

// printNotes warns where hooks.sh discovery cannot see (eval, a computed
// source, unset -f).
func printNotes(w io.Writer, st output.Style, notes []hooks.Note) {
	for _, n := range notes {
		fmt.Fprintf(w, "  %s %s\n", st.Yellow("warning:"), n)
	}
}

func printHookRow(w io.Writer, st output.Style, h hooks.Hook, note string) {
	w2 := where(h)
	if h.Conditional {
		w2 += ", defined conditionally"
	}
	line := fmt.Sprintf("    %-5s %s  %s", h.Phase, h.Label(), st.Dim("("+w2+")"))
	if note != "" {
		line += "  " + st.Yellow("not run: "+note)
	}
	fmt.Fprintln(w, line)
}

// where says where a hook comes from: "hooks.sh:3", "root hooks/".
func where(h hooks.Hook) string {
	if h.Func != "" {
		return h.Source
	}
	return h.Origin.String()
}

// commandName is the command a hook group of the listing is for: a key in
// hook-file form ("db-export") names kompose's command (db:export) when it
// stands for one, else the compose subcommand of that name.
func commandName(b *plan.Builder, key string) string {
	for name := range b.Commands {
		if hooks.CommandKey(name) == key {
			return name
		}
	}
	return key
}
