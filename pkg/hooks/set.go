package hooks

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DirName is the name of the folder of executable hooks, in the root (for
// every stack) and in a stack.
const DirName = "hooks"

// Origin is where a hook is defined.
type Origin int

// The sources of hooks.
const (
	FromRoot   Origin = iota // <root>/hooks/<phase>-<command>
	FromStack                // <stack>/hooks/<phase>-<command>
	FromScript               // function hook_<phase>_<command> in <stack>/hooks.sh
)

func (o Origin) String() string {
	switch o {
	case FromRoot:
		return "root hooks/"
	case FromStack:
		return "stack hooks/"
	default:
		return "hooks.sh"
	}
}

// Hook is one hook of a stack.
type Hook struct {
	Phase Phase
	// Command is the command in hook-name form: "up", "db-export".
	Command string
	Origin  Origin
	// Path is the executable file, or the hooks.sh that defines Func.
	Path string
	Func string // the hooks.sh function; "" for an executable file
	Line int    // the function's line in hooks.sh
	// Source says where the hook is defined, relative to the stack's
	// folder: "hooks.sh:12", "hooks/pre-up", "../hooks/pre-up".
	Source string
	// NotRun, when not "", is why this file is not run ("not executable").
	NotRun string
	// Info is the file's stat (following symlinks); nil for functions.
	Info fs.FileInfo
	// Conditional is set for a function defined conditionally (see
	// [Func]): it may turn out not to be defined at its turn.
	Conditional bool
}

// Name is the hook point: "pre-up", "fail-db-export" (KOMPOSE_HOOK).
func (h Hook) Name() string { return string(h.Phase) + "-" + h.Command }

// Executable reports whether the hook is a file run through its shebang
// (rather than a hooks.sh function).
func (h Hook) Executable() bool { return h.Origin != FromScript }

// Label names the hook as a command line would: the function, or the file
// relative to the stack's folder.
func (h Hook) Label() string {
	if h.Func != "" {
		return h.Func
	}
	return h.Source
}

// CommandKey returns a command in hook-file form: ':' and '_' become '-'
// (db:export gives db-export).
func CommandKey(command string) string { return replaceSeparators(command, '-') }

// HookName returns the hook point of a phase and a command: "pre-up",
// "post-db-export"; it is also the name of the hook file.
func HookName(p Phase, command string) string { return string(p) + "-" + CommandKey(command) }

// Dir is a scanned hooks/ folder.
type Dir struct {
	Path   string      // absolute
	Rel    string      // as a stack's folder sees it: "hooks", "../hooks"
	Origin Origin      // FromRoot or FromStack
	Info   fs.FileInfo // the folder's stat
	hooks  map[string]Hook
	names  []string // sorted
}

// ScanDir reads the hooks/ folder at path: rel is how the stack's folder
// names it ("hooks", "../hooks"). A folder that does not exist, or a
// "hooks" that is not a folder, gives nil and no error. Only names of the
// form <phase>-<command> count (pre-up, post-db-export); other files
// (README, pre-up.sample, pre-up~) are ignored. Nothing is run.
func ScanDir(path, rel string, origin Origin) (*Dir, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("hooks folder: %w", err)
	}
	if !fi.IsDir() {
		return nil, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("read hooks folder: %w", err)
	}
	d := &Dir{Path: path, Rel: rel, Origin: origin, Info: fi, hooks: map[string]Hook{}}
	for _, e := range entries {
		ph, cmd, ok := parseFileName(e.Name())
		if !ok {
			continue
		}
		p := filepath.Join(path, e.Name())
		h := Hook{Phase: ph, Command: cmd, Origin: origin, Path: p, Source: rel + "/" + e.Name()}
		fi, err := os.Stat(p)
		switch {
		case err != nil:
			h.NotRun = fmt.Sprintf("cannot be read: %v", errors.Unwrap(err))
		case !fi.Mode().IsRegular():
			h.NotRun = "not a regular file"
		case fi.Mode().Perm()&0o111 == 0:
			h.NotRun = "not executable (chmod +x to enable it)"
		}
		h.Info = fi
		d.hooks[e.Name()] = h
		d.names = append(d.names, e.Name())
	}
	sort.Strings(d.names)
	return d, nil
}

// parseFileName splits "pre-db-export" into its phase and command. The
// command is lower-case letters, digits and '-'.
func parseFileName(name string) (Phase, string, bool) {
	ph, cmd, ok := strings.Cut(name, "-")
	if !ok || cmd == "" || cmd[0] == '-' {
		return "", "", false
	}
	switch Phase(ph) {
	case Pre, Post, Fail:
	default:
		return "", "", false
	}
	for _, r := range cmd {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return "", "", false
		}
	}
	return Phase(ph), cmd, true
}

// Hooks returns the folder's hook files in name order; nil for a nil Dir.
func (d *Dir) Hooks() []Hook {
	if d == nil {
		return nil
	}
	out := make([]Hook, len(d.names))
	for i, n := range d.names {
		out[i] = d.hooks[n]
	}
	return out
}

// lookup returns the file hook of phase p for command.
func (d *Dir) lookup(p Phase, command string) (Hook, bool) {
	if d == nil {
		return Hook{}, false
	}
	h, ok := d.hooks[HookName(p, command)]
	return h, ok
}

// Set is every source of hooks of one stack. Any of them may be nil.
type Set struct {
	Root   *Dir // <root>/hooks/
	Stack  *Dir // <stack>/hooks/
	Script *Script
}

// For returns the hooks of phase p for command, in the order they run:
// pre hooks from the root's hooks/, the stack's hooks/, then hooks.sh;
// post and fail hooks the other way round (hooks.sh, the stack's hooks/,
// the root's hooks/), so the most specific hook is closest to the command.
// Files that are not run are included, with NotRun set.
func (s Set) For(p Phase, command string) []Hook {
	var out []Hook
	add := func(h Hook, ok bool) {
		if ok {
			out = append(out, h)
		}
	}
	fn := func() (Hook, bool) {
		f, ok := s.Script.Lookup(FuncName(p, command))
		if !ok {
			return Hook{}, false
		}
		return Hook{
			Phase: p, Command: CommandKey(command), Origin: FromScript, Path: s.Script.Path,
			Func: f.Name, Line: f.Line, Source: f.Where(), Conditional: f.Conditional,
		}, true
	}
	if p == Pre {
		add(s.Root.lookup(p, command))
		add(s.Stack.lookup(p, command))
		add(fn())
	} else {
		add(fn())
		add(s.Stack.lookup(p, command))
		add(s.Root.lookup(p, command))
	}
	return out
}

// Commands returns, sorted, every command (in hook-name form) for which
// the set has a hook of any phase. hooks.sh functions whose name has no
// phase (hook_setup) are left out.
func (s Set) Commands() []string {
	seen := map[string]bool{}
	for _, d := range []*Dir{s.Root, s.Stack} {
		if d == nil {
			continue
		}
		for _, n := range d.names {
			seen[d.hooks[n].Command] = true
		}
	}
	for _, f := range s.Script.HookFuncs() {
		rest := strings.TrimPrefix(f.Name, "hook_")
		for _, p := range Phases {
			if cmd, ok := strings.CutPrefix(rest, string(p)+"_"); ok && cmd != "" {
				seen[CommandKey(cmd)] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
