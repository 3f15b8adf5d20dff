package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/stack"
)

// list prints each stack with its files, hook functions and services. A
// stack whose files do not load is shown with the error, and the exit
// status is 1.
func (a *App) list(ctx context.Context, root string, stacks []stack.Stack, req plan.Request) (int, error) {
	base, err := plan.BaseEnv(req)
	if err != nil {
		return exitUsage, usageError{err}
	}
	st := a.IO.StyleFor(a.IO.OutTTY)
	w := a.IO.Out
	status := exitOK
	// A problem is an error: its text goes to stderr, the listing says
	// where it is.
	est := a.IO.StyleFor(a.IO.ErrTTY)
	problem := func(what string, s stack.Stack, err error) {
		fmt.Fprintf(w, "  %-9s %s\n", what+":", st.Red("error (see stderr)"))
		fmt.Fprintf(a.IO.ErrOut, "%s %s: %v\n", est.Red("!!!"), s.Name, err)
		status = exitFailed
	}
	fmt.Fprintf(w, "%d stack(s) in %s\n", len(stacks), root)
	rootHooks, err := hooks.ScanDir(filepath.Join(root, hooks.DirName), "../"+hooks.DirName, hooks.FromRoot)
	if err != nil {
		fmt.Fprintf(w, "hooks/ for every stack: %s\n", st.Red("error (see stderr)"))
		fmt.Fprintf(a.IO.ErrOut, "%s %v\n", est.Red("!!!"), err)
		status = exitFailed
	} else if line := hookFiles(rootHooks); line != "" {
		fmt.Fprintf(w, "hooks/ for every stack: %s\n", line)
	}
	for _, s := range stacks {
		fmt.Fprintf(w, "%s\n", st.Bold(s.Name))
		fmt.Fprintf(w, "  compose:  %s\n", filepath.Base(s.ComposeFile))
		e, envErr := plan.StackEnv(base, s)
		switch {
		case envErr != nil:
			problem("env", s, envErr)
		case s.EnvFile != "":
			fmt.Fprintf(w, "  env:      %s\n", stack.EnvFileName)
		}
		if _, ok := e.Get("COMPOSE_FILE"); ok {
			files, _ := compose.ConfigFiles(s.Dir, s.ComposeFile, e.Lookup)
			for i, f := range files {
				if r, err := filepath.Rel(s.Dir, f); err == nil {
					files[i] = r
				}
			}
			fmt.Fprintf(w, "  files:    %s (COMPOSE_FILE)\n", strings.Join(files, ", "))
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
		fmt.Fprintf(w, "  services: %s\n", strings.Join(names, ", "))
		fmt.Fprintf(w, "  project:  %s\n", compose.ProjectName(s.Dir, s.ComposeFile, e.Lookup))
	}
	return status, nil
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
