package fleet

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// SearchUse is what kompose does with a folder of PATH, for trust
// refusals.
const SearchUse = "take programs from"

// codeFolders are the variables whose value names folders that the
// programs kompose starts take code from: PATH (every program a hook or
// compose runs: docker, pg_dump, and their children), DOCKER_CONFIG
// (the docker CLI runs its plugins, compose among them, from its
// cli-plugins folder) and HOME (without DOCKER_CONFIG the docker CLI
// takes its config and plugins from $HOME/.docker; git, python and
// others take configuration and code from a home folder). They are
// checked with [checkCodeFolders].
var codeFolders = [...]string{"PATH", "DOCKER_CONFIG", "HOME"}

// checkCodeFolders refuses the .env file at path when it gave a variable
// of [codeFolders] a folder that the trust rule refuses, or a relative or
// empty PATH entry: a .env that puts another user's folder on PATH lets
// that user run anything as the user running kompose. Only what the file
// added is checked: before holds the values the variables had before it
// was loaded. The error is an *trust.UnsafeError about the file that names
// the line, the variable and the folder.
func checkCodeFolders(e *env.Env, before map[string]string, path string, tree *trust.Tree) error {
	for _, name := range codeFolders {
		file, line, ok := e.Line(name)
		if !ok || file != path {
			continue
		}
		v, _ := e.Get(name)
		if v == before[name] {
			continue
		}
		var dirs []string
		switch name {
		case "PATH":
			old := filepath.SplitList(before[name])
			for _, d := range filepath.SplitList(v) {
				if !slices.Contains(old, d) {
					dirs = append(dirs, d)
				}
			}
			if v == "" {
				dirs = []string{""}
			}
		case "HOME":
			if v == "" {
				continue
			}
			dirs = []string{v, filepath.Join(v, ".docker"), filepath.Join(v, ".docker", "cli-plugins")}
		default:
			if v == "" {
				continue // unset, for the docker CLI
			}
			dirs = []string{v, filepath.Join(v, "cli-plugins")}
		}
		for _, d := range dirs {
			if err := tree.CheckSearchFolder(SearchUse, d); err != nil {
				return envFolderError(path, line, name, err)
			}
		}
	}
	return nil
}

// envFolderError is the refusal of a .env file because of a folder one of
// its variables names.
func envFolderError(path string, line int, name string, err error) error {
	var fe *trust.FolderError
	if !errors.As(err, &fe) {
		return fmt.Errorf("%s: line %d: %s: %w", path, line, name, err)
	}
	ue := &trust.UnsafeError{Use: EnvUse, Path: path,
		Fix: "remove it from " + name + ", or write an absolute folder only trusted accounts can change"}
	if fe.Unsafe == nil {
		ue.Reason = fmt.Sprintf("line %d: %s has %s", line, name, fe.Problem)
		return ue
	}
	ue.Reason = fmt.Sprintf("line %d: %s names %s", line, name, fe.Error())
	ue.Fix = fe.Unsafe.Fix + "; or remove it from " + name
	return ue
}

// codeFolderValues returns the values of [codeFolders] in e.
func codeFolderValues(e *env.Env) map[string]string {
	m := make(map[string]string, len(codeFolders))
	for _, name := range codeFolders {
		m[name], _ = e.Get(name)
	}
	return m
}
