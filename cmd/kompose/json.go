package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/engine"
	"github.com/kompose-dev/kompose/pkg/fleet"
	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/jsonout"
	"github.com/kompose-dev/kompose/pkg/stack"
)

// listJSON is --list --json: the stacks with their files, hooks and
// services (docs/json.md, kind "list").
func (a *App) listJSON(ctx context.Context, f *fleet.Fleet, stacks []stack.Stack) (int, error) {
	if _, err := f.Base(); err != nil {
		return exitUsage, usageError{err}
	}
	root := f.Root()
	members := f.Load(stacks)
	doc := jsonout.List{Header: jsonout.NewHeader(jsonout.KindList), Root: root, Stacks: []jsonout.ListStack{}}
	code := exitOK
	for i, s := range stacks {
		m := members[i]
		mask := f.MaskFor(m)
		ls := jsonout.ListStack{Name: s.Name, Dir: s.Dir, ComposeFile: s.ComposeFile, EnvFile: s.EnvFile, HooksFile: s.HooksFile, Hooks: []jsonout.ListHook{}, Services: []jsonout.Service{}, Errors: []string{}}
		fail := func(what string, err error) {
			ls.Errors = append(ls.Errors, what+": "+mask.String(err.Error()))
			fmt.Fprintf(a.IO.ErrOut, "!!! %s: %s\n", s.Name, mask.String(err.Error()))
			code = exitFailed
		}
		e := m.Env
		if m.Err != nil {
			fail("env", m.Err)
		}
		sh := f.Hooks(s)
		script, scriptErr, dir, dirErr := sh.Script, sh.ScriptErr, sh.Dir, sh.DirErr
		if s.HooksFile != "" {
			if err := scriptErr; err != nil {
				fail("hooks", err)
			} else {
				for _, f := range script.HookFuncs() {
					ls.Hooks = append(ls.Hooks, jsonout.ListHook{Name: f.Name, Source: stack.HooksFileName + ":" + strconv.Itoa(f.Line)})
				}
			}
		}
		if dirErr != nil {
			fail("hooks/", dirErr)
		} else if dir != nil {
			for _, h := range dir.Hooks() {
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
