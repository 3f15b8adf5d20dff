// Package stack finds the Compose stacks under a root folder and selects
// them by pattern.
//
// A stack is a direct sub-folder of the root, not hidden, that holds one of
// compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml (in
// that order of preference, docker compose's own). Its optional companions are a .env file and a hooks.sh
// file. Stacks are always returned in name order.
package stack

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// composeFileNames are the compose file names a stack may use, in order of
// preference.
var composeFileNames = [...]string{"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"}

// Names of a stack's companion files.
const (
	EnvFileName   = ".env"
	HooksFileName = "hooks.sh"
	// EnvAgeFileName is a .env encrypted with age: read, decrypted in
	// memory, where the plain .env would be (pkg/fleet).
	EnvAgeFileName = ".env.age"
)

// Stack is one stack folder.
type Stack struct {
	Name        string // folder name
	Dir         string // absolute path of the folder
	ComposeFile string // absolute path of the compose file
	EnvFile     string // absolute path of .env, "" when there is none
	EnvAgeFile  string // absolute path of .env.age, "" when there is none
	HooksFile   string // absolute path of hooks.sh, "" when there is none

	// lazy is set for a stack found by [Open] among those the pattern did
	// not select: its EnvFile and HooksFile are not looked up until
	// [Stack.Companions] (pkg/fleet, which reads every stack it is
	// asked for, calls it).
	lazy bool
}

// Companions returns s with its EnvFile and HooksFile looked up, when
// [Open] left them for later; s as it is otherwise.
func (s Stack) Companions() Stack {
	if !s.lazy {
		return s
	}
	s.lazy = false
	s.lookupCompanions()
	return s
}

// ResolveRoot picks the root folder: flag (--root) when set, else env
// ($KOMPOSE_ROOT), else ./stacks when it is a folder, else the current
// folder cwd. The result is absolute and must be an existing folder.
func ResolveRoot(flag, env, cwd string) (string, error) {
	var root string
	switch {
	case flag != "":
		root = flag
	case env != "":
		root = env
	default:
		root = cwd
		if fi, err := os.Stat(filepath.Join(cwd, "stacks")); err == nil && fi.IsDir() {
			root = filepath.Join(cwd, "stacks")
		}
	}
	if !filepath.IsAbs(root) {
		root = filepath.Join(cwd, root)
	}
	fi, err := os.Stat(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("root folder %s does not exist", root)
		}
		return "", fmt.Errorf("root folder: %w", err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("root %s is not a folder", root)
	}
	return root, nil
}

// Discover returns the stacks under root in name order.
func Discover(root string) ([]Stack, error) { return discover(root, false) }

// Scan returns the stacks under root in name order with only their
// compose files looked up (what makes a folder a stack); their .env and
// hooks.sh are looked up by [Stack.Companions]. For shell completion,
// which needs only the names.
func Scan(root string) ([]Stack, error) { return discover(root, true) }

// discover finds the stacks under root; with lazy, it looks up only their
// compose files (what makes a folder a stack), not their companions.
func discover(root string, lazy bool) ([]Stack, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("read root folder: %w", err)
	}
	var stacks []Stack
	for _, e := range entries { // os.ReadDir sorts by name
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		dir := filepath.Join(root, name)
		if !e.IsDir() {
			// A symlink to a folder is a stack too.
			if e.Type()&fs.ModeSymlink == 0 {
				continue
			}
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				continue
			}
		}
		s, ok := load(name, dir, lazy)
		if ok {
			stacks = append(stacks, s)
		}
	}
	return stacks, nil
}

func load(name, dir string, lazy bool) (Stack, bool) {
	s := Stack{Name: name, Dir: dir, lazy: lazy}
	for _, f := range composeFileNames {
		p := filepath.Join(dir, f)
		if isFile(p) {
			s.ComposeFile = p
			break
		}
	}
	if s.ComposeFile == "" {
		return s, false
	}
	if !lazy {
		s.lookupCompanions()
	}
	return s, true
}

// lookupCompanions sets EnvFile and HooksFile to the files that exist.
func (s *Stack) lookupCompanions() {
	if p := filepath.Join(s.Dir, EnvFileName); exists(p) {
		s.EnvFile = p
	}
	if p := filepath.Join(s.Dir, EnvAgeFileName); exists(p) {
		s.EnvAgeFile = p
	}
	if p := filepath.Join(s.Dir, HooksFileName); exists(p) {
		s.HooksFile = p
	}
}

// maxEnvScan is how much of a .env [NotAStack] reads to look for
// COMPOSE_FILE.
const maxEnvScan = 1 << 20

// composeFileVar matches a .env line that sets COMPOSE_FILE.
var composeFileVar = regexp.MustCompile(`(?m)^[ \t]*(export[ \t]+)?COMPOSE_FILE[ \t]*=`)

// NotAStack says why root/name, which something in the root is called,
// is not a stack; "" when the root holds nothing of that name (or it is
// a stack). It runs nothing and prints nothing of a file's content: of a
// .env (a regular file, not a link) it says only whether it sets
// COMPOSE_FILE.
//
// A folder whose .env sets COMPOSE_FILE is a project to compose, run in
// that folder; kompose still finds stacks by their compose file (see the
// README), so that discovery reads no .env of a folder nobody selected.
func NotAStack(root, name string) string {
	dir := filepath.Join(root, name)
	fi, err := os.Stat(dir)
	switch {
	case err != nil, name == ".":
		return ""
	case strings.HasPrefix(name, "."):
		return "hidden folders are not stacks"
	case !fi.IsDir():
		return dir + " is not a folder"
	}
	if _, ok := load(name, dir, true); ok {
		return ""
	}
	n := len(composeFileNames)
	why := fmt.Sprintf("%s has no %s or %s", dir, strings.Join(composeFileNames[:n-1], ", "), composeFileNames[n-1])
	if setsComposeFile(filepath.Join(dir, EnvFileName)) {
		why += "; its .env sets COMPOSE_FILE, but kompose finds stacks by their compose file only: " +
			"add a compose.yaml (compose will still read COMPOSE_FILE's files; README, \"The root and its stacks\")"
	}
	return why
}

// setsComposeFile reports whether the regular file p has a line setting
// COMPOSE_FILE.
func setsComposeFile(p string) bool {
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxEnvScan))
	return err == nil && composeFileVar.Match(b)
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// exists reports whether p exists at all, so that an unreadable or odd
// companion file is reported when it is used rather than silently ignored.
func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// Names returns the names of stacks.
func Names(stacks []Stack) []string {
	out := make([]string, len(stacks))
	for i, s := range stacks {
		out[i] = s.Name
	}
	sort.Strings(out)
	return out
}

// RootEnvAgeFile returns the path of the root's .env.age, or "" when it
// has none.
func RootEnvAgeFile(root string) string {
	p := filepath.Join(root, EnvAgeFileName)
	if exists(p) {
		return p
	}
	return ""
}

// RootEnvFile returns the path of the root's .env, or "" when it has none.
func RootEnvFile(root string) string {
	p := filepath.Join(root, EnvFileName)
	if exists(p) {
		return p
	}
	return ""
}

// Open resolves the root (see [ResolveRoot]), finds its stacks and returns
// the root, the stacks pattern selects and every stack of the root. Of the
// stacks not selected only the compose file is looked up: a command on
// one stack costs what that stack costs, not the root (the others' .env
// and hooks.sh are looked up when read, see [Stack.Companions]). An
// empty root, a pattern selecting nothing, or a name that is no stack (a
// folder without a compose file: [NotAStack] says why) is an error for
// the user.
func Open(rootFlag, envRoot, cwd, pattern string) (root string, sel, all []Stack, err error) {
	root, err = ResolveRoot(rootFlag, envRoot, cwd)
	if err != nil {
		return "", nil, nil, err
	}
	all, err = discover(root, true)
	if err != nil {
		return "", nil, nil, err
	}
	if len(all) == 0 {
		return "", nil, nil, fmt.Errorf("no stacks in %s (a stack is a sub-folder with compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml)", root)
	}
	sel, err = Select(all, pattern)
	var unknown *UnknownError
	if errors.As(err, &unknown) {
		if why := NotAStack(root, unknown.Item); why != "" {
			return "", nil, nil, fmt.Errorf("no stack named %q: %s", unknown.Item, why)
		}
	}
	if err != nil {
		return "", nil, nil, err
	}
	for i := range sel {
		sel[i] = sel[i].Companions()
	}
	return root, sel, all, nil
}
