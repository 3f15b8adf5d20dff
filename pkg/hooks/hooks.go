// Package hooks finds and invokes a stack's hooks.
//
// Hooks come from three sources (see [Set]):
//
//   - executable files in the root's hooks/ folder, for every stack;
//   - executable files in the stack's hooks/ folder;
//   - bash functions in the stack's hooks.sh.
//
// Files are named <phase>-<command> (pre-up, post-db-export, fail-up) and
// run through their shebang; hooks.sh defines functions named
// hook_<phase>_<command> (hook_pre_up, hook_post_db_export). Everything is
// found without running anything: the folders are read and hooks.sh is
// parsed, so a dry run runs nothing and a hooks.sh that does not parse is
// reported with its line before anything starts. Each hooks.sh call is its
// own bash process that sources the file and calls the one function.
//
// [CheckSet] refuses hook files and folders that another user could change,
// and [Info] is what every hook is told about the command it runs around.
package hooks

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/kompose-dev/kompose/pkg/proc"
	"mvdan.cc/sh/v3/syntax"
)

// Phase is when a hook runs relative to its command.
type Phase string

// The phases of a hook.
const (
	Pre  Phase = "pre"  // before the command; failing stops the stack
	Post Phase = "post" // after the command succeeded
	Fail Phase = "fail" // after a pre hook or the command failed
)

// Phases are the phases in the order they happen.
var Phases = [...]Phase{Pre, Post, Fail}

// FuncName returns the hooks.sh function name for a phase and a kompose
// command: ':' and '-' in the command become '_' (db:export gives
// hook_pre_db_export).
func FuncName(p Phase, command string) string {
	return "hook_" + string(p) + "_" + replaceSeparators(command, '_')
}

// replaceSeparators returns command with ':', '-' and '_' all made sep.
func replaceSeparators(command string, sep byte) string {
	b := []byte(nil)
	for i := 0; i < len(command); i++ {
		switch c := command[i]; c {
		case ':', '-', '_':
			if c != sep {
				if b == nil {
					b = []byte(command)
				}
				b[i] = sep
			}
		}
	}
	if b == nil {
		return command
	}
	return string(b)
}

// Func is a function defined in a hooks.sh.
type Func struct {
	Name string
	Line int
}

// Script is a parsed hooks.sh.
type Script struct {
	Path   string
	Info   fs.FileInfo // the file's stat when it was parsed
	Funcs  []Func      // sorted by line
	byName map[string]Func
}

// ParseFile parses the hooks.sh at path. A syntax error names the file, line
// and column.
func ParseFile(path string) (*Script, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read hooks: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read hooks: %w", err)
	}
	parser := syntax.NewParser(syntax.Variant(syntax.LangBash))
	file, err := parser.Parse(f, path)
	if err != nil {
		var perr syntax.ParseError
		if errors.As(err, &perr) {
			return nil, fmt.Errorf("%s:%d: hooks.sh does not parse: %s", path, perr.Pos.Line(), perr.Text)
		}
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	s := &Script{Path: path, Info: fi, byName: map[string]Func{}}
	syntax.Walk(file, func(n syntax.Node) bool {
		fd, ok := n.(*syntax.FuncDecl)
		if !ok {
			return true
		}
		if fd.Name != nil {
			fn := Func{Name: fd.Name.Value, Line: int(fd.Pos().Line())}
			if _, dup := s.byName[fn.Name]; !dup {
				s.Funcs = append(s.Funcs, fn)
			}
			s.byName[fn.Name] = fn // bash keeps the last definition
		}
		return false // a function defined inside another is not defined by sourcing
	})
	sort.Slice(s.Funcs, func(i, j int) bool { return s.Funcs[i].Line < s.Funcs[j].Line })
	return s, nil
}

// Lookup returns the function that bash would call by this name.
func (s *Script) Lookup(name string) (Func, bool) {
	if s == nil {
		return Func{}, false
	}
	fn, ok := s.byName[name]
	return fn, ok
}

// HookFuncs returns the functions whose names start with "hook_", in file
// order.
func (s *Script) HookFuncs() []Func {
	if s == nil {
		return nil
	}
	var out []Func
	for _, f := range s.Funcs {
		if strings.HasPrefix(f.Name, "hook_") {
			out = append(out, s.byName[f.Name])
		}
	}
	return out
}

// invokeScript waits at the start gate on fd 3 (proc.GateShell: it takes
// in the variables known only at the hook's turn and exits 125, having done
// nothing, if the turn never comes). It then sources hooks.sh ($1) and
// calls the function ($2) with the remaining arguments; the hook's status
// is the function's.
const invokeScript = proc.GateShell + `source "$1" || exit; shift; "$@"`

// Argv returns the process arguments that call function fn of the script
// with args: its own bash, which sources the file and calls the function.
// The process is gated: it must be started with proc.Cmd.Gate set.
func (s *Script) Argv(fn string, args []string) []string {
	argv := make([]string, 0, 6+len(args))
	argv = append(argv, "bash", "-c", invokeScript, "hooks.sh", s.Path, fn)
	return append(argv, args...)
}
