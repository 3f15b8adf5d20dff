package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/engine"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/jsonout"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// listJSON is --list --json: the stacks with their files, hooks and
// services (docs/json.md, kind "list").
func (a *App) listJSON(ctx context.Context, root string, stacks []stack.Stack, req plan.Request, tree *trust.Tree) (int, error) {
	base, err := plan.BaseEnv(req, tree)
	if err != nil {
		return exitUsage, usageError{err}
	}
	envs := make([]*env.Env, len(stacks))
	envErrs := make([]error, len(stacks))
	all := []*env.Masker{env.NewMasker(base).WithPublic(plan.PublicWords(root, stack.Stack{})...)}
	for i, s := range stacks {
		envs[i], envErrs[i] = plan.StackEnv(base, s, tree)
		all = append(all, env.NewMasker(envs[i]).WithPublic(plan.PublicWords(root, s)...))
	}
	union := env.Union(all...)
	doc := jsonout.List{Header: jsonout.NewHeader(jsonout.KindList), Root: root, Stacks: []jsonout.ListStack{}}
	code := exitOK
	for i, s := range stacks {
		mask := all[i+1].Using(union)
		files, _ := composeFiles(s, envs[i])
		for j, f := range files {
			files[j] = mask.String(f)
		}
		ls := jsonout.ListStack{Name: s.Name, Dir: s.Dir, ComposeFile: s.ComposeFile, ComposeFiles: files, EnvFile: s.EnvFile, HooksFile: s.HooksFile, Hooks: []jsonout.ListHook{}, Services: []jsonout.Service{}, Errors: []string{}}
		fail := func(what string, err error) {
			ls.Errors = append(ls.Errors, what+": "+mask.String(err.Error()))
			fmt.Fprintf(a.IO.ErrOut, "!!! %s: %s\n", s.Name, mask.String(err.Error()))
			code = exitFailed
		}
		e := envs[i]
		if envErrs[i] != nil {
			fail("env", envErrs[i])
		}
		if s.HooksFile != "" {
			if script, err := hooks.ParseFile(s.HooksFile); err != nil {
				fail("hooks", err)
			} else {
				for _, f := range script.HookFuncs() {
					ls.Hooks = append(ls.Hooks, jsonout.ListHook{Name: f.Name, Source: stack.HooksFileName + ":" + strconv.Itoa(f.Line)})
				}
			}
		}
		if d, err := hooks.ScanDir(filepath.Join(s.Dir, hooks.DirName), hooks.DirName, hooks.FromStack); err != nil {
			fail("hooks/", err)
		} else if d != nil {
			for _, h := range d.Hooks() {
				ls.Hooks = append(ls.Hooks, jsonout.ListHook{Name: filepath.Base(h.Path), Source: hooks.DirName + "/" + filepath.Base(h.Path), NotRun: h.NotRun})
			}
		}
		svcs, err := compose.Services(ctx, s.Dir, s.ComposeFile, e.Map())
		ls.Project = mask.String(compose.ProjectName(s.Dir, s.ComposeFile, e.Lookup))
		ls.Engine = mask.String(engine.Of(e.Lookup).Name())
		for _, msg := range a.LibLog.Take() {
			ls.Warnings = append(ls.Warnings, mask.String(msg))
		}
		if err != nil {
			fail("services", err)
		}
		for _, sv := range svcs {
			ls.Services = append(ls.Services, jsonout.Service{Name: sv.Name, Image: mask.String(sv.Image)})
		}
		doc.Stacks = append(doc.Stacks, ls)
	}
	return code, jsonout.Write(a.IO.Out, doc)
}

// hooksJSON is `hooks --json`: with a command, the steps of its plan for
// each stack; without one, every command each stack has hooks for.
func (a *App) hooksJSON(b *plan.Builder, req plan.Request, stacks []stack.Stack, rest []string) (int, error) {
	doc := jsonout.Hooks{Header: jsonout.NewHeader(jsonout.KindHooks), Root: req.Root, Stacks: []jsonout.HookStack{}}
	code := exitOK
	if len(rest) > 0 {
		req.Command, req.Args = rest[0], rest[1:]
		if strings.HasPrefix(req.Command, "-") {
			return exitUsage, usagef("hooks: %q is not a command", req.Command)
		}
		doc.Command = req.Command
		p, err := b.Build(req, stacks)
		if err != nil {
			return exitUsage, usageError{err}
		}
		for _, s := range p.Stacks {
			hs := jsonout.HookStack{Name: s.Name, Skip: s.Masker.String(s.Skip), Steps: []jsonout.Step{}}
			if s.Err != nil {
				msg := s.Masker.String(s.Err.Error())
				hs.Error = &msg
				fmt.Fprintf(a.IO.ErrOut, "!!! %s: %s\n", s.Name, msg)
				code = exitFailed
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
			doc.Stacks = append(doc.Stacks, hs)
		}
		return code, jsonout.Write(a.IO.Out, doc)
	}
	rootDir, err := hooks.ScanDir(filepath.Join(req.Root, hooks.DirName), "../"+hooks.DirName, hooks.FromRoot)
	if err != nil {
		return exitUsage, usageError{err}
	}
	for _, s := range stacks {
		hs := jsonout.HookStack{Name: s.Name, Commands: map[string][]jsonout.HookInfo{}}
		set := hooks.Set{Root: rootDir}
		var errs []string
		if s.HooksFile != "" {
			if set.Script, err = hooks.ParseFile(s.HooksFile); err != nil {
				errs = append(errs, err.Error())
			}
		}
		if set.Stack, err = hooks.ScanDir(filepath.Join(s.Dir, hooks.DirName), hooks.DirName, hooks.FromStack); err != nil {
			errs = append(errs, err.Error())
		}
		if len(errs) > 0 {
			msg := strings.Join(errs, "; ")
			hs.Error = &msg
			fmt.Fprintf(a.IO.ErrOut, "!!! %s: %s\n", s.Name, msg)
			code = exitFailed
		}
		if set.Script != nil {
			for _, n := range set.Script.Notes {
				hs.Warnings = append(hs.Warnings, n.String())
			}
		}
		for _, cmd := range set.Commands() {
			name := commandName(b, cmd)
			list := []jsonout.HookInfo{}
			for _, ph := range hooks.Phases {
				for _, h := range set.For(ph, cmd) {
					list = append(list, jsonout.HookInfo{Phase: string(h.Phase), Label: h.Label(), Source: where(h), Conditional: h.Conditional, NotRun: h.NotRun})
				}
			}
			hs.Commands[name] = list
		}
		doc.Stacks = append(doc.Stacks, hs)
	}
	return code, jsonout.Write(a.IO.Out, doc)
}
