package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/engine"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// list prints each stack with its files, hook functions and services. A
// stack whose files do not load is shown with the error, and the exit
// status is 1.
//
// Nothing a .env or compose-go says is printed unmasked: problems are
// masked with the stack's secrets, and what compose-go logs is taken after
// each stack and printed as that stack's warnings.
func (a *App) list(ctx context.Context, root string, stacks []stack.Stack, req plan.Request, tree *trust.Tree) (int, error) {
	base, err := plan.BaseEnv(req, tree)
	if err != nil {
		return exitUsage, usageError{err}
	}
	// Every stack's secrets are masked in every line: read all .env files
	// first.
	envs := make([]*env.Env, len(stacks))
	envErrs := make([]error, len(stacks))
	var all []*env.Masker
	for i, s := range stacks {
		envs[i], envErrs[i] = plan.StackEnv(base, s, tree)
		all = append(all, env.NewMasker(envs[i]))
	}
	baseMask := env.NewMasker(base).WithPublic(plan.PublicWords(root, stack.Stack{})...)
	all = append(all, baseMask)
	union := env.Union(all...)
	baseMask = baseMask.Using(union)
	for _, line := range env.Summary(base.Notes()) {
		fmt.Fprintf(a.IO.ErrOut, "warning: %s\n", baseMask.String(line))
	}
	st := a.IO.StyleFor(a.IO.OutTTY)
	w := a.IO.Out
	status := exitOK
	// A problem is an error: its text goes to stderr, the listing says
	// where it is.
	est := a.IO.StyleFor(a.IO.ErrTTY)
	mask := baseMask
	problem := func(what string, s stack.Stack, err error) {
		fmt.Fprintf(w, "  %-9s %s\n", what+":", st.Red("error (see stderr)"))
		fmt.Fprintf(a.IO.ErrOut, "%s %s: %s\n", est.Red("!!!"), s.Name, mask.String(err.Error()))
		status = exitFailed
	}
	// Stacks compose would give one project name (against every stack of
	// the root, selected or not).
	clashes := plan.ProjectClashes(req.All, plan.ProjectNames(base, req.All, stacks, tree, compose.NewFiles()))
	a.LibLog.Take() // what compose-go said reading the names is said again below, for each stack listed
	fmt.Fprintf(w, "%d stack(s) in %s\n", len(stacks), root)
	rootHooks, err := hooks.ScanDir(filepath.Join(root, hooks.DirName), "../"+hooks.DirName, hooks.FromRoot)
	if err != nil {
		fmt.Fprintf(w, "hooks/ for every stack: %s\n", st.Red("error (see stderr)"))
		fmt.Fprintf(a.IO.ErrOut, "%s %s\n", est.Red("!!!"), baseMask.String(err.Error()))
		status = exitFailed
	} else if line := hookFiles(rootHooks); line != "" {
		fmt.Fprintf(w, "hooks/ for every stack: %s\n", line)
	}
	for i, s := range stacks {
		fmt.Fprintf(w, "%s\n", st.Bold(s.Name))
		fmt.Fprintf(w, "  compose:  %s\n", filepath.Base(s.ComposeFile))
		e, envErr := envs[i], envErrs[i]
		mask = env.NewMasker(e).WithPublic(plan.PublicWords(root, s)...).Using(union)
		for _, line := range env.Summary(e.Notes()) {
			fmt.Fprintf(a.IO.ErrOut, "%s %s: %s\n", est.Yellow("warning:"), s.Name, mask.String(line))
		}
		switch {
		case envErr != nil:
			problem("env", s, envErr)
		case s.EnvFile != "":
			fmt.Fprintf(w, "  env:      %s\n", stack.EnvFileName)
		}
		if eng := engine.Of(e.Lookup); !eng.Default() {
			// Only a stack on another engine says so: the others run
			// where the docker CLI does (kompose hosts shows them all).
			fmt.Fprintf(w, "  engine:   %s\n", mask.String(eng.Name()))
		}
		if files, why := composeFiles(s, e); why != "" {
			for i, f := range files {
				if r, err := filepath.Rel(s.Dir, f); err == nil {
					files[i] = r
				}
			}
			name := filepath.Base(s.ComposeFile)
			fmt.Fprintf(w, "  files:    %s (%s)\n", mask.String(strings.Join(files, ", ")), why)
			fmt.Fprintf(w, "  note:     kompose.sh read %s only (docker compose -f %s); kompose, as compose, reads the files above\n", name, name)
		}
		if s.HooksFile != "" {
			script, err := hooks.ParseFile(s.HooksFile)
			if err != nil {
				problem("hooks", s, err)
			} else {
				var fns []string
				for _, f := range script.HookFuncs() {
					fns = append(fns, fmt.Sprintf("%s (line %d)", f.Name, f.Line))
				}
				if len(fns) == 0 {
					fns = []string{"no hook_* functions"}
				}
				fmt.Fprintf(w, "  hooks:    %s: %s\n", stack.HooksFileName, strings.Join(fns, ", "))
			}
		}
		if d, err := hooks.ScanDir(filepath.Join(s.Dir, hooks.DirName), hooks.DirName, hooks.FromStack); err != nil {
			problem("hooks/", s, err)
		} else if line := hookFiles(d); line != "" {
			fmt.Fprintf(w, "  hooks/:   %s\n", line)
		}
		svcs, err := compose.Services(ctx, s.Dir, s.ComposeFile, e.Map())
		project := compose.ProjectName(s.Dir, s.ComposeFile, e.Lookup)
		a.libWarnings(s.Name, filepath.Base(s.ComposeFile), mask)
		if err != nil {
			problem("services", s, err)
			continue
		}
		var names []string
		for _, sv := range svcs {
			if sv.Image != "" {
				names = append(names, fmt.Sprintf("%s (%s)", sv.Name, sv.Image))
			} else {
				names = append(names, sv.Name+" (build)")
			}
		}
		var images []string
		for _, sv := range svcs {
			images = append(images, sv.Image)
		}
		for _, k := range env.WeakIn(e, images...) {
			// a secret the **** in an image name gives away (docs/security.md)
			fmt.Fprintf(a.IO.ErrOut, "%s %s: %s: %s is too weak to hide: its value also occurs in an image name, so the **** kompose prints in its place shows what it is; use a longer, random value\n",
				est.Yellow("warning:"), s.Name, filepath.Base(s.ComposeFile), k)
		}
		fmt.Fprintf(w, "  services: %s\n", mask.String(strings.Join(names, ", ")))
		if err := clashes[s.Name]; err != nil {
			fmt.Fprintf(w, "  project:  %s %s\n", mask.String(project), st.Red("(shared: see stderr)"))
			fmt.Fprintf(a.IO.ErrOut, "%s %s: %s\n", est.Red("!!!"), s.Name, mask.String(err.Error()))
			status = exitFailed
			continue
		}
		fmt.Fprintf(w, "  project:  %s\n", mask.String(project))
	}
	return status, nil
}

// libWarnings prints, masked, what compose-go logged while kompose read a
// stack's files, as that stack's warnings; where is the file.
func (a *App) libWarnings(name, where string, mask *env.Masker) {
	est := a.IO.StyleFor(a.IO.ErrTTY)
	for _, msg := range a.LibLog.Take() {
		fmt.Fprintf(a.IO.ErrOut, "%s %s: %s: %s\n", est.Yellow("warning:"), name, where, mask.String(msg))
	}
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
