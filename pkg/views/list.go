package views

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/engine"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/fleet"
	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/report/jsonout"
	"github.com/kompose-dev/kompose/pkg/stack"
)

// List is the model of `kompose --list`: each selected stack with its
// files, hooks, services and project.
type List struct {
	Root string
	// Notes are the root .env's warnings, masked.
	Notes        []string
	RootHooks    *hooks.Dir
	RootHooksErr error
	Stacks       []ListStack
	mask         *env.Masker
}

// ListStack is one stack of the listing; every string that may hold a
// value is masked when printed, with Mask.
type ListStack struct {
	stack.Stack
	Env    *env.Env
	EnvErr error
	Mask   *env.Masker
	// Notes are the stack's .env warnings, masked.
	Notes  []string
	Hooks  *fleet.StackHooks
	Engine engine.Engine
	// ComposeFiles are the files compose reads, in its order; FilesWhy
	// says why they are not just the compose file kompose found (the one
	// kompose.sh passed with -f): "COMPOSE_FILE", "with the override
	// file"; "" when they are.
	ComposeFiles []string
	FilesWhy     string
	// Clash is set when compose would give the stack the project of
	// another stack of the root.
	Clash error
	// Weak are the secrets too weak to hide: their value also occurs in
	// an image name.
	Weak     []string
	Services []compose.Service
	SvcErr   error
	Project  string
	LibWarns []string // what compose-go logged reading the stack, masked
}

// CollectList reads the selected stacks from f: every stack's secrets are
// masked in every line, so all their .env files are read first. takeLog
// returns what compose-go logged since it was last called (nil: nothing).
func CollectList(ctx context.Context, f *fleet.Fleet, stacks []stack.Stack, takeLog func() []string) (*List, error) {
	base, err := f.Base()
	if err != nil {
		return nil, err
	}
	members := f.Load(stacks)
	l := &List{Root: f.Root(), mask: f.Mask()}
	l.Notes = maskAll(l.mask, env.Summary(base.Notes()))
	l.RootHooks, l.RootHooksErr = f.RootHooks()
	// Stacks compose would give one project name, against every stack of
	// the root, selected or not: --list reads them all.
	clashes := plan.ProjectClashes(f.All(), plan.FleetProjectNames(f, f.All(), stacks, compose.NewFiles()))
	if takeLog != nil {
		takeLog() // what compose-go said reading the names is said again below, for each stack listed
	}
	for _, m := range members {
		ls := collectListStack(ctx, f, m, takeLog)
		ls.Clash = clashes[m.Name]
		l.Stacks = append(l.Stacks, ls)
	}
	return l, nil
}

func collectListStack(ctx context.Context, f *fleet.Fleet, m *fleet.Member, takeLog func() []string) ListStack {
	s, e := m.Stack, m.Env
	ls := ListStack{Stack: s, Env: e, EnvErr: m.Err, Mask: f.MaskFor(m), Hooks: f.Hooks(s), Engine: engine.Of(e.Lookup)}
	ls.Notes = maskAll(ls.Mask, env.Summary(e.Notes()))
	ls.ComposeFiles, ls.FilesWhy = composeFiles(s, e)
	ls.Services, ls.SvcErr = compose.Services(ctx, s.Dir, s.ComposeFile, e.Map())
	var images []string
	for _, sv := range ls.Services {
		images = append(images, sv.Image)
	}
	ls.Weak = env.WeakIn(e, images...)
	ls.Project = compose.ProjectName(s.Dir, s.ComposeFile, e.Lookup)
	if takeLog != nil {
		ls.LibWarns = maskAll(ls.Mask, takeLog())
	}
	return ls
}

func maskAll(m *env.Masker, lines []string) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, m.String(l))
	}
	return out
}

// OK reports whether every stack's files loaded (exit status 0).
func (l *List) OK() bool {
	if l.RootHooksErr != nil {
		return false
	}
	for _, s := range l.Stacks {
		if len(s.problems()) > 0 {
			return false
		}
	}
	return true
}

// problem is one part of a stack that did not load.
type problem struct {
	what string
	err  error
}

func (s *ListStack) problems() []problem {
	var ps []problem
	if s.EnvErr != nil {
		ps = append(ps, problem{"env", s.EnvErr})
	}
	if s.HooksFile != "" && s.Hooks.ScriptErr != nil {
		ps = append(ps, problem{"hooks", s.Hooks.ScriptErr})
	}
	if s.Hooks.DirErr != nil {
		ps = append(ps, problem{"hooks/", s.Hooks.DirErr})
	}
	if s.SvcErr != nil {
		ps = append(ps, problem{"services", s.SvcErr})
	}
	if s.Clash != nil {
		ps = append(ps, problem{"project", s.Clash})
	}
	return ps
}

// Text prints the listing; warnings and what did not load go to errw.
func (l *List) Text(w, errw io.Writer, st, est output.Style) {
	for _, line := range l.Notes {
		fmt.Fprintf(errw, "warning: %s\n", line)
	}
	fmt.Fprintf(w, "%d stack(s) in %s\n", len(l.Stacks), l.Root)
	if l.RootHooksErr != nil {
		fmt.Fprintf(w, "hooks/ for every stack: %s\n", st.Red("error (see stderr)"))
		fmt.Fprintf(errw, "%s %s\n", est.Red("!!!"), l.mask.String(l.RootHooksErr.Error()))
	} else if line := hookFiles(l.RootHooks); line != "" {
		fmt.Fprintf(w, "hooks/ for every stack: %s\n", line)
	}
	for i := range l.Stacks {
		l.Stacks[i].text(w, errw, st, est)
	}
}

func (s *ListStack) text(w, errw io.Writer, st, est output.Style) {
	problem := func(what string, err error) {
		fmt.Fprintf(w, "  %-9s %s\n", what+":", st.Red("error (see stderr)"))
		fmt.Fprintf(errw, "%s %s: %s\n", est.Red("!!!"), s.Name, s.Mask.String(err.Error()))
	}
	fmt.Fprintf(w, "%s\n", st.Bold(s.Name))
	fmt.Fprintf(w, "  compose:  %s\n", filepath.Base(s.ComposeFile))
	for _, line := range s.Notes {
		fmt.Fprintf(errw, "%s %s: %s\n", est.Yellow("warning:"), s.Name, line)
	}
	if s.EnvErr != nil {
		problem("env", s.EnvErr)
	} else if name := envName(s.Stack); name != "" {
		fmt.Fprintf(w, "  env:      %s\n", name)
	}
	if !s.Engine.Default() {
		// Only a stack on another engine says so: the others run where
		// the docker CLI does (kompose hosts shows them all).
		fmt.Fprintf(w, "  engine:   %s\n", s.Mask.String(s.Engine.Name()))
	}
	if s.FilesWhy != "" {
		files := make([]string, len(s.ComposeFiles))
		for i, f := range s.ComposeFiles {
			files[i] = f
			if r, err := filepath.Rel(s.Dir, f); err == nil {
				files[i] = r
			}
		}
		name := filepath.Base(s.ComposeFile)
		fmt.Fprintf(w, "  files:    %s (%s)\n", s.Mask.String(strings.Join(files, ", ")), s.FilesWhy)
		fmt.Fprintf(w, "  note:     kompose.sh read %s only (docker compose -f %s); kompose, as compose, reads the files above\n", name, name)
	}
	if s.HooksFile != "" {
		if err := s.Hooks.ScriptErr; err != nil {
			problem("hooks", err)
		} else {
			var fns []string
			for _, f := range s.Hooks.Script.HookFuncs() {
				fns = append(fns, fmt.Sprintf("%s (line %d)", f.Name, f.Line))
			}
			if len(fns) == 0 {
				fns = []string{"no hook_* functions"}
			}
			fmt.Fprintf(w, "  hooks:    %s: %s\n", stack.HooksFileName, strings.Join(fns, ", "))
		}
	}
	if s.Hooks.DirErr != nil {
		problem("hooks/", s.Hooks.DirErr)
	} else if line := hookFiles(s.Hooks.Dir); line != "" {
		fmt.Fprintf(w, "  hooks/:   %s\n", line)
	}
	for _, msg := range s.LibWarns {
		fmt.Fprintf(errw, "%s %s: %s: %s\n", est.Yellow("warning:"), s.Name, filepath.Base(s.ComposeFile), msg)
	}
	if s.SvcErr != nil {
		problem("services", s.SvcErr)
		return
	}
	var names []string
	for _, sv := range s.Services {
		if sv.Image != "" {
			names = append(names, fmt.Sprintf("%s (%s)", sv.Name, sv.Image))
		} else {
			names = append(names, sv.Name+" (build)")
		}
	}
	for _, k := range s.Weak {
		// a secret the **** in an image name gives away (docs/security.md)
		fmt.Fprintf(errw, "%s %s: %s: %s is too weak to hide: its value also occurs in an image name, so the **** kompose prints in its place shows what it is; use a longer, random value\n",
			est.Yellow("warning:"), s.Name, filepath.Base(s.ComposeFile), k)
	}
	fmt.Fprintf(w, "  services: %s\n", s.Mask.String(strings.Join(names, ", ")))
	if s.Clash != nil {
		fmt.Fprintf(w, "  project:  %s %s\n", s.Mask.String(s.Project), st.Red("(shared: see stderr)"))
		fmt.Fprintf(errw, "%s %s: %s\n", est.Red("!!!"), s.Name, s.Mask.String(s.Clash.Error()))
		return
	}
	fmt.Fprintf(w, "  project:  %s\n", s.Mask.String(s.Project))
}

// composeFiles returns the files compose reads for s, in compose's order,
// and, when they are not just the compose file kompose found (the one
// kompose.sh passed with -f), why: "COMPOSE_FILE" or "with the override
// file"; why is "" otherwise.
func composeFiles(s stack.Stack, e *env.Env) (files []string, why string) {
	files, _ = compose.ConfigFiles(s.Dir, s.ComposeFile, e.Lookup) // never fails
	switch {
	case len(files) == 1 && files[0] == s.ComposeFile:
		return files, ""
	case hasVar(e, "COMPOSE_FILE"):
		return files, "COMPOSE_FILE"
	}
	return files, "with the override file"
}

func hasVar(e *env.Env, name string) bool {
	_, ok := e.Get(name)
	return ok
}

// hookFiles lists the hook files of a hooks/ folder, saying which are not
// run and why; "" when there are none.
func hookFiles(d *hooks.Dir) string {
	var out []string
	for _, h := range d.Hooks() {
		name := filepath.Base(h.Path)
		if h.NotRun != "" {
			name += " (not run: " + h.NotRun + ")"
		}
		out = append(out, name)
	}
	return strings.Join(out, ", ")
}

// JSON is the model as the "list" document; what did not load is also
// said on errw ("!!! stack: why").
func (l *List) JSON(errw io.Writer) jsonout.List {
	doc := jsonout.List{Header: jsonout.NewHeader(jsonout.KindList), Root: l.Root, Stacks: []jsonout.ListStack{}}
	for _, s := range l.Stacks {
		doc.Stacks = append(doc.Stacks, s.json(errw))
	}
	return doc
}

func (s *ListStack) json(errw io.Writer) jsonout.ListStack {
	files := maskAll(s.Mask, s.ComposeFiles)
	ls := jsonout.ListStack{Name: s.Name, Dir: s.Dir, ComposeFile: s.ComposeFile, ComposeFiles: files, EnvFile: s.EnvFile, HooksFile: s.HooksFile, Hooks: []jsonout.ListHook{}, Services: []jsonout.Service{}, Errors: []string{}}
	if s.EnvFile == "" && s.EnvAgeFile != "" {
		ls.EnvFile, ls.EnvEncrypted = s.EnvAgeFile, true
	}
	for _, p := range s.problems() {
		ls.Errors = append(ls.Errors, p.what+": "+s.Mask.String(p.err.Error()))
		fmt.Fprintf(errw, "!!! %s: %s\n", s.Name, s.Mask.String(p.err.Error()))
	}
	if s.HooksFile != "" && s.Hooks.ScriptErr == nil {
		for _, f := range s.Hooks.Script.HookFuncs() {
			ls.Hooks = append(ls.Hooks, jsonout.ListHook{Name: f.Name, Source: stack.HooksFileName + ":" + strconv.Itoa(f.Line)})
		}
	}
	if s.Hooks.DirErr == nil && s.Hooks.Dir != nil {
		for _, h := range s.Hooks.Dir.Hooks() {
			ls.Hooks = append(ls.Hooks, jsonout.ListHook{Name: filepath.Base(h.Path), Source: hooks.DirName + "/" + filepath.Base(h.Path), NotRun: h.NotRun})
		}
	}
	ls.Project = s.Mask.String(s.Project)
	ls.Engine = s.Mask.String(s.Engine.Name())
	ls.Warnings = s.LibWarns
	if len(ls.Warnings) == 0 {
		ls.Warnings = nil
	}
	for _, sv := range s.Services {
		ls.Services = append(ls.Services, jsonout.Service{Name: sv.Name, Image: s.Mask.String(sv.Image)})
	}
	return ls
}

// envName is how --list names the stack's .env: .env, or .env.age
// (encrypted) when it has only that; "" when it has neither.
func envName(s stack.Stack) string {
	switch {
	case s.EnvFile != "":
		return stack.EnvFileName
	case s.EnvAgeFile != "":
		return stack.EnvAgeFileName + " (encrypted)"
	}
	return ""
}
