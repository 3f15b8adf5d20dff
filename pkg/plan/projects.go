package plan

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/fleet"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// ProjectClashError is the error of a stack that compose would give the
// same project name as other stacks of the root ("Blog", "blog" and
// "b log" all become "blog"): compose would act on one's containers and
// volumes for the other, so none of them runs.
type ProjectClashError struct {
	Project string
	// Stacks are every stack with that name, in name order, and
	// Notes where a name that is not the folder's comes from.
	Stacks []string
	Notes  []string
}

func (e *ProjectClashError) Error() string {
	quoted := make([]string, len(e.Stacks))
	for i, s := range e.Stacks {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	var who string
	if len(quoted) == 2 {
		who = fmt.Sprintf("stacks %s and %s both get", quoted[0], quoted[1])
	} else {
		who = fmt.Sprintf("stacks %s and %s all get", strings.Join(quoted[:len(quoted)-1], ", "), quoted[len(quoted)-1])
	}
	msg := fmt.Sprintf("%s the compose project name %q", who, e.Project)
	if len(e.Notes) > 0 {
		msg += " (" + strings.Join(e.Notes, "; ") + ")"
	}
	return msg + ": compose would act on one's containers and volumes for the other; nothing is run for them: give each its own name (COMPOSE_PROJECT_NAME in its .env, or name: in its compose file)"
}

// ProjectName is a stack's compose project name and where it comes from:
// From is compose.NameFromEnv (Source then says which layer set
// COMPOSE_PROJECT_NAME), compose.NameFromFile or compose.NameFromFolder.
type ProjectName struct{ Name, From, Source string }

// ProjectClashes returns, for every stack of all that shares its
// compose project name with another stack of all, the error that says
// so, by stack name. names are the stacks' project names and where each
// comes from; a stack missing from
// names (its .env cannot be read) is left out. Names are compared as
// compose normalises them (compose.NormalizeProjectName).
func ProjectClashes(all []stack.Stack, names map[string]ProjectName) map[string]error {
	by := map[string][]string{}
	for _, st := range all {
		n, ok := names[st.Name]
		if !ok {
			continue
		}
		p := compose.NormalizeProjectName(n.Name)
		by[p] = append(by[p], st.Name)
	}
	out := map[string]error{}
	for p, stacks := range by {
		if len(stacks) < 2 {
			continue
		}
		sort.Strings(stacks)
		e := &ProjectClashError{Project: p, Stacks: stacks}
		for _, s := range stacks {
			switch n := names[s]; n.From {
			case compose.NameFromEnv:
				e.Notes = append(e.Notes, s+": COMPOSE_PROJECT_NAME from "+n.Source)
			case compose.NameFromFile:
				e.Notes = append(e.Notes, s+": name: in its compose file")
			}
		}
		for _, s := range stacks {
			out[s] = e
		}
	}
	return out
}

// ProjectNames reads the compose project name of every stack of all, and
// where it comes from, with each stack's merged environment (base and
// its .env, when tree trusts it), reading the compose files through
// files; for [ProjectClashes]. selected are the stacks of this run: a
// COMPOSE_PROJECT_NAME from the process environment or -e is this run's
// choice for them, not the name the other stacks normally have, so those
// others are left out.
func ProjectNames(base *env.Env, all, selected []stack.Stack, tree *trust.Tree, files *compose.Files) map[string]ProjectName {
	return projectNames(all, selected, files, func(st stack.Stack) (*env.Env, error) { return StackEnv(base, st, tree) })
}

func projectNames(all, selected []stack.Stack, files *compose.Files, envs func(stack.Stack) (*env.Env, error)) map[string]ProjectName {
	chosen := make(map[string]bool, len(selected))
	for _, st := range selected {
		chosen[st.Name] = true
	}
	out := make(map[string]ProjectName, len(all))
	for _, st := range all {
		e, err := envs(st)
		if err != nil {
			continue
		}
		n := ProjectName{}
		n.Name, n.From = files.ProjectNameFrom(st.Dir, st.ComposeFile, e.Lookup)
		if n.From == compose.NameFromEnv {
			n.Source = sourceOf(e, compose.NameFromEnv)
			if !chosen[st.Name] && (n.Source == string(env.SourceProcess) || n.Source == string(env.SourceOverride)) {
				continue
			}
		}
		out[st.Name] = n
	}
	return out
}

// FleetProjectNames is [ProjectNames] with the environments of f: every
// stack of all is read (a run uses the lazy form, fleetProjectNames).
func FleetProjectNames(f *fleet.Fleet, all, selected []stack.Stack, files *compose.Files) map[string]ProjectName {
	return projectNames(all, selected, files, func(st stack.Stack) (*env.Env, error) {
		m := f.Stack(st)
		return m.Env, m.Err
	})
}

// sourceOf names the layer of e that set the variable name.
func sourceOf(e *env.Env, name string) string {
	for _, v := range e.Layered() {
		if v.Name == name {
			return string(v.Source)
		}
	}
	return string(env.SourceProcess)
}

// fleetProjectNames is [ProjectNames] read lazily, for a run: the stacks
// the fleet has read (the selected ones and those their order needs) get
// their project name as compose gives it; every other stack of the root
// gets the name it has without reading its files: the root .env's
// COMPOSE_PROJECT_NAME when that sets one, else its folder's, normalised.
// So a selected stack is refused when its name is another stack's folder
// name (or another selected stack's name) without reading the root's
// other 500 .env and compose files. The limit, written in docs/fleet.md:
// a stack that is not read and whose own .env or name: gives it another
// stack's name is caught when it is itself selected (or by --list, or
// kompose "*" ...), and one that renames itself away from its folder's
// name may be taken for a clash.
func fleetProjectNames(f *fleet.Fleet, base *env.Env, selected []stack.Stack, files *compose.Files) map[string]ProjectName {
	read := map[string]bool{}
	var loaded []stack.Stack
	for _, m := range f.Loaded() {
		read[m.Name] = true
		loaded = append(loaded, m.Stack)
	}
	out := projectNames(loaded, selected, files, func(st stack.Stack) (*env.Env, error) {
		m := f.Stack(st)
		return m.Env, m.Err
	})
	rootName := ""
	if v, ok := base.Get(compose.NameFromEnv); ok && v != "" && sourceOf(base, compose.NameFromEnv) == string(env.SourceRootEnv) {
		rootName = v
	}
	for _, st := range f.All() {
		if read[st.Name] {
			continue
		}
		if rootName != "" {
			out[st.Name] = ProjectName{Name: rootName, From: compose.NameFromEnv, Source: string(env.SourceRootEnv)}
			continue
		}
		out[st.Name] = ProjectName{Name: compose.NormalizeProjectName(filepath.Base(st.Dir)), From: compose.NameFromFolder}
	}
	return out
}
