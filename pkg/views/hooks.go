package views

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/fleet"
	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/report/jsonout"
	"github.com/kompose-dev/kompose/pkg/report/text"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// Hooks is the model of `kompose <pattern> hooks [command [args...]]`.
// With a command it is the very plan a run would execute (Plan); without
// one, every command each stack has hooks for (Stacks), found without
// running anything, in the order the plan would use.
type Hooks struct {
	Root    string
	Command string
	Plan    *plan.Plan
	Stacks  []HookStack
}

// HookStack is one stack's hooks, by command.
type HookStack struct {
	Name string
	// Errs are why its hooks.sh or hooks/ could not be read.
	Errs     []error
	Notes    []hooks.Note
	Commands []HookCommand
}

// HookCommand is the hooks of one command, in run order.
type HookCommand struct {
	// Name is the command ("db:export", not the file-name form).
	Name  string
	Hooks []HookRow
}

// HookRow is one hook and, when it would not run, why (not executable,
// or refused by the trust rule).
type HookRow struct {
	hooks.Hook
	NotRun string
	// Refused: the trust rule refuses it (the stack could not run).
	Refused bool
}

// CollectHooks lists, without a command, the hooks of every command each
// stack has hooks for, checked against the trust rule as a run would.
func CollectHooks(f *fleet.Fleet, stacks []stack.Stack) (*Hooks, error) {
	rootDir, err := f.RootHooks()
	if err != nil {
		return nil, err
	}
	h := &Hooks{Root: f.Root()}
	for _, s := range stacks {
		h.Stacks = append(h.Stacks, collectStackHooks(f, rootDir, s))
	}
	return h, nil
}

func collectStackHooks(f *fleet.Fleet, rootDir *hooks.Dir, s stack.Stack) HookStack {
	hs := HookStack{Name: s.Name}
	sh := f.Hooks(s)
	set := hooks.Set{Root: rootDir, Script: sh.Script, Stack: sh.Dir}
	for _, err := range []error{sh.ScriptErr, sh.DirErr} {
		if err != nil {
			hs.Errs = append(hs.Errs, err)
		}
	}
	if set.Script != nil {
		hs.Notes = set.Script.Notes
	}
	cmds := set.Commands()
	if len(cmds) == 0 {
		return hs
	}
	tree := f.Tree()
	dirErr := tree.CheckDir(hooks.UseHooks, s.Dir)
	for _, cmd := range cmds {
		hc := HookCommand{Name: commandName(cmd)}
		for _, ph := range hooks.Phases {
			for _, h := range set.For(ph, cmd) {
				hc.Hooks = append(hc.Hooks, hookRow(tree, set, h, dirErr))
			}
		}
		hs.Commands = append(hs.Commands, hc)
	}
	return hs
}

// hookRow says whether h would run: not when it is not executable, nor
// when the trust rule refuses it or its stack's folder.
func hookRow(tree *trust.Tree, set hooks.Set, h hooks.Hook, dirErr error) HookRow {
	r := HookRow{Hook: h, NotRun: h.NotRun}
	if r.NotRun != "" {
		return r
	}
	err := dirErr
	if err == nil {
		err = hooks.CheckTree(tree, set, []hooks.Hook{h})
	}
	if err != nil {
		r.NotRun, r.Refused = err.Error(), true
	}
	return r
}

// commandName is the command a hook group is for: a key in hook-file form
// ("db-export") names kompose's command (db:export) when it stands for
// one (the command table), else the compose subcommand of that name.
func commandName(key string) string {
	for _, c := range commands.Table() {
		if c.Owner == commands.Kompose && hooks.CommandKey(c.Name) == key {
			return c.Name
		}
	}
	return key
}

// OK reports whether every stack could run (exit status 0).
func (h *Hooks) OK() bool {
	if h.Plan != nil {
		for _, s := range h.Plan.Stacks {
			if s.Err != nil {
				return false
			}
		}
		return true
	}
	for _, s := range h.Stacks {
		if len(s.Errs) > 0 {
			return false
		}
		for _, c := range s.Commands {
			for _, r := range c.Hooks {
				if r.Refused {
					return false
				}
			}
		}
	}
	return true
}

// Text prints the model for people.
func (h *Hooks) Text(w io.Writer, st output.Style) {
	if h.Plan != nil {
		for _, s := range h.Plan.Stacks {
			fmt.Fprintln(w, st.Bold(s.Name))
			printStackPlanHooks(w, st, s)
		}
		return
	}
	for _, s := range h.Stacks {
		fmt.Fprintln(w, st.Bold(s.Name))
		for _, err := range s.Errs {
			fmt.Fprintf(w, "  %s\n", st.Red(err.Error()))
		}
		printNotes(w, st, s.Notes)
		if len(s.Commands) == 0 {
			fmt.Fprintln(w, "  no hooks")
			continue
		}
		for _, c := range s.Commands {
			fmt.Fprintf(w, "  %s:\n", c.Name)
			for _, r := range c.Hooks {
				printHookRow(w, st, r.Hook, r.NotRun)
			}
		}
	}
}

// printStackPlanHooks prints the steps of one stack's plan, hooks first
// class and the command in between.
func printStackPlanHooks(w io.Writer, st output.Style, s *plan.Stack) {
	for _, line := range env.Summary(s.Notes) {
		fmt.Fprintf(w, "  %s\n", st.Yellow("warning: "+s.Masker.String(line)))
	}
	for _, msg := range s.Warnings {
		fmt.Fprintf(w, "  %s\n", st.Yellow("warning: "+filepath.Base(s.ComposeFile)+": "+s.Masker.String(msg)))
	}
	if s.Err != nil {
		fmt.Fprintf(w, "  %s\n", st.Red("cannot run: "+s.Masker.String(s.Err.Error())))
		return
	}
	if s.Skip != "" {
		fmt.Fprintf(w, "  %s\n", st.Dim("skipped: "+s.Masker.String(s.Skip)+"; no hook would run"))
		return
	}
	printNotes(w, st, s.HookNotes)
	n := 0
	for i := range s.Steps {
		step := &s.Steps[i]
		if step.Hook == nil {
			fmt.Fprintf(w, "  %-5s %s\n", "cmd", text.CommandLine(s, step))
			continue
		}
		n++
		fmt.Fprintf(w, "  %-5s %s  %s\n", step.Phase, text.CommandLine(s, step), st.Dim("("+strings.Join(stepNotes(step), ", ")+")"))
	}
	for _, h := range s.NotRun {
		fmt.Fprintf(w, "  %-5s %s  %s\n", h.Phase, h.Source, st.Yellow("(not run: "+h.NotRun+")"))
	}
	if n == 0 && len(s.NotRun) == 0 {
		fmt.Fprintln(w, "  no hooks")
	}
}

// stepNotes are what the listing says after a hook step: where it comes
// from, when it runs, why it is skipped.
func stepNotes(step *plan.Step) []string {
	notes := []string{where(step.Hook.Hook)}
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
	return notes
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

// JSON is the model as the "hooks" document; a stack that cannot run is
// also said on errw ("!!! stack: why").
func (h *Hooks) JSON(errw io.Writer) jsonout.Hooks {
	doc := jsonout.Hooks{Header: jsonout.NewHeader(jsonout.KindHooks), Root: h.Root, Command: h.Command, Stacks: []jsonout.HookStack{}}
	if h.Plan != nil {
		for _, s := range h.Plan.Stacks {
			doc.Stacks = append(doc.Stacks, planHookStack(errw, s))
		}
		return doc
	}
	for _, s := range h.Stacks {
		hs := jsonout.HookStack{Name: s.Name, Commands: map[string][]jsonout.HookInfo{}}
		if len(s.Errs) > 0 {
			var errs []string
			for _, err := range s.Errs {
				errs = append(errs, err.Error())
			}
			msg := strings.Join(errs, "; ")
			hs.Error = &msg
			fmt.Fprintf(errw, "!!! %s: %s\n", s.Name, msg)
		}
		for _, n := range s.Notes {
			hs.Warnings = append(hs.Warnings, n.String())
		}
		for _, c := range s.Commands {
			list := []jsonout.HookInfo{}
			for _, r := range c.Hooks {
				list = append(list, jsonout.HookInfo{Phase: string(r.Phase), Label: r.Label(), Source: where(r.Hook), Conditional: r.Conditional, NotRun: r.NotRun})
			}
			hs.Commands[c.Name] = list
		}
		doc.Stacks = append(doc.Stacks, hs)
	}
	return doc
}

// planHookStack is one stack of a plan as the "hooks" document has it.
func planHookStack(errw io.Writer, s *plan.Stack) jsonout.HookStack {
	hs := jsonout.HookStack{Name: s.Name, Skip: s.Masker.String(s.Skip), Steps: []jsonout.Step{}}
	if s.Err != nil {
		msg := s.Masker.String(s.Err.Error())
		hs.Error = &msg
		fmt.Fprintf(errw, "!!! %s: %s\n", s.Name, msg)
	}
	for _, line := range env.Summary(s.Notes) {
		hs.Warnings = append(hs.Warnings, s.Masker.String(line))
	}
	for _, msg := range s.Warnings {
		hs.Warnings = append(hs.Warnings, filepath.Base(s.ComposeFile)+": "+s.Masker.String(msg))
	}
	for _, n := range s.HookNotes {
		hs.Warnings = append(hs.Warnings, n.String())
	}
	for i := range s.Steps {
		hs.Steps = append(hs.Steps, jsonout.PlanStep(s, &s.Steps[i]))
	}
	for _, h := range s.NotRun {
		hs.NotRun = append(hs.NotRun, jsonout.NotRun{Phase: string(h.Phase), Source: h.Source, Reason: h.NotRun})
	}
	return hs
}
