package hooks

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kompose-dev/kompose/pkg/proc"
	"mvdan.cc/sh/v3/syntax"
)

// Func is a function defined in a hooks.sh or in a file it sources.
type Func struct {
	Name string
	Line int
	// File is where the function is defined, as the stack's folder
	// names it: "" for hooks.sh itself, else "lib/common.sh".
	File string
	// Conditional is set when the definition is not a plain top-level
	// statement (inside an if, a case, a && list): it may not exist when
	// the hook's turn comes.
	Conditional bool
}

// Where is "hooks.sh:12" or "lib/common.sh:3".
func (f Func) Where() string {
	file := f.File
	if file == "" {
		file = "hooks.sh"
	}
	return file + ":" + strconv.Itoa(f.Line)
}

// File is a file kompose reads code from, with its stat at the time it was
// read and checked.
type File struct {
	Path string
	Info fs.FileInfo
	// From is where it is sourced ("hooks.sh:3"); "" for hooks.sh itself.
	From string
}

// Note is a place in a hooks.sh (or a file it sources) where discovery
// cannot see what bash will do: eval, a source of a computed path, unset -f.
type Note struct {
	Where string // "hooks.sh:12"
	Text  string
}

func (n Note) String() string { return n.Where + ": " + n.Text }

// Script is a parsed hooks.sh.
type Script struct {
	Path   string
	Info   fs.FileInfo // the file's stat when it was parsed
	Funcs  []Func      // sorted by file, then line
	byName map[string]Func
	// Files are hooks.sh and every file it sources with a literal path
	// (followed recursively), each once, with the stat checked: what a
	// hook of this script reads.
	Files []File
	// Missing are the files it sources with a literal path that did not
	// exist when it was parsed (an optional include, [ -f X ] && . X),
	// with no Info: bash reads them if they appear, so only a trusted
	// account may be able to create them ([CheckTree]).
	Missing []File
	// Notes are where discovery cannot see.
	Notes []Note
}

// maxSourceDepth bounds how deep discovery follows source.
const maxSourceDepth = 8

// parser keeps the state of one ParseFile.
type parser struct {
	stackDir, root, stack string
	s                     *Script
	seen                  map[string]bool
	// extglob is whether bash has extglob on, as sourcing goes: bash
	// decides whether @(...) is a pattern or a syntax error when it reads
	// a line, the parser always takes it as a pattern.
	extglob bool
	// err is the first problem that makes bash read the files otherwise
	// than the parser: sourcing would fail or read another file.
	err error
}

// ParseFile parses the hooks.sh at path, and the files it sources with a
// literal path, relative to the stack's folder (the folder of path) or
// written with $SCRIPT_DIR (the root: the folder above the stack's) and
// $stack. A syntax error names the file, line and column. So does what
// makes bash read a file otherwise than the parser (see [bashReadable]
// and [parser.walk]): CRLF line endings, a byte-order mark, an extended
// glob while extglob is off, shopt -s sourcepath; in hooks.sh or in a file
// it sources at the top level, where bash reads it at every hook.
func ParseFile(path string) (*Script, error) {
	stackDir := filepath.Dir(path)
	p := &parser{
		stackDir: stackDir, root: filepath.Dir(stackDir), stack: filepath.Base(stackDir),
		s:    &Script{Path: path, byName: map[string]Func{}},
		seen: map[string]bool{},
	}
	file, fi, err := p.parse(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return nil, fmt.Errorf("read hooks: %w", err)
		}
		return nil, err
	}
	p.s.Info = fi
	p.s.Files = append(p.s.Files, File{Path: path, Info: fi})
	p.seen[path] = true
	p.walk(file, "", 0, false)
	if p.err != nil {
		return nil, p.err
	}
	sort.SliceStable(p.s.Funcs, func(i, j int) bool {
		a, b := p.s.Funcs[i], p.s.Funcs[j]
		if a.File != b.File {
			return a.File == "" || b.File != "" && a.File < b.File
		}
		return a.Line < b.Line
	})
	return p.s, nil
}

// parse opens, stats, reads and parses one file. The stat is of the file
// opened, so what is checked later is what was parsed.
func (p *parser) parse(path string) (*syntax.File, fs.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("read hooks: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s: not a regular file", path)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, nil, fmt.Errorf("read hooks: %w", err)
	}
	file, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(bytes.NewReader(data), path)
	if err != nil {
		var perr syntax.ParseError
		if errors.As(err, &perr) {
			return nil, nil, fmt.Errorf("%s:%d: %s does not parse: %s", path, perr.Pos.Line(), filepath.Base(path), perr.Text)
		}
		return nil, nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if err := bashReadable(path, data); err != nil {
		return nil, nil, err
	}
	return file, fi, nil
}

// bashReadable returns an error, naming the file and the line, when bash
// reads data otherwise than kompose's parser: with CRLF line endings bash
// takes each CR as part of the line (`{\r` is no brace: sourcing stops at
// the first function), and a UTF-8 byte-order mark becomes part of the
// first word (the first function's name).
func bashReadable(path string, data []byte) error {
	name := filepath.Base(path)
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return fmt.Errorf("%s:1: %s starts with a byte-order mark (U+FEFF), which bash reads as part of the first line; fix: save it as UTF-8 without a BOM (sed -i '1s/^\\xEF\\xBB\\xBF//' %s)", path, name, path)
	}
	if i := bytes.Index(data, []byte("\r\n")); i >= 0 {
		line := bytes.Count(data[:i], []byte("\n")) + 1
		return fmt.Errorf("%s:%d: %s has Windows (CRLF) line endings: bash reads each CR as part of the line and cannot source the file; fix: sed -i 's/\\r$//' %s (or dos2unix)", path, line, name, path)
	}
	return nil
}

// rel names path as the stack's folder sees it.
func (p *parser) rel(path string) string {
	if r, err := filepath.Rel(p.stackDir, path); err == nil {
		return r
	}
	return path
}

// walk collects the functions, sources and notes of one parsed file. file
// is "" for hooks.sh, else the file's name relative to the stack's folder.
// cond is set when the file is sourced conditionally: nothing it defines
// is certain. Statements are taken in order, as bash reads them, so that
// the extglob option and a top-level return are seen where bash sees them.
func (p *parser) walk(f *syntax.File, file string, depth int, cond bool) {
	w := &fileWalk{p: p, file: file, label: file, path: p.s.Path, depth: depth, cond: cond, top: map[syntax.Node]bool{}}
	if file == "" {
		w.label = "hooks.sh"
	} else {
		w.path = filepath.Join(p.stackDir, file)
	}
	for _, st := range f.Stmts {
		w.top[st.Cmd] = true
	}
	// extglobLine is the last line of the statement that turned extglob
	// on in this file: bash reads a whole line before it runs any of it.
	extglobLine := uint(0)
	for _, st := range f.Stmts {
		if p.err != nil {
			return
		}
		if eg := firstExtGlob(st); eg != nil && !(p.extglob && extglobLine < st.Pos().Line()) {
			p.err = fmt.Errorf("%s:%d: %s...) is an extended glob, but bash reads this line with extglob off, so sourcing %s stops here with a syntax error; fix: put shopt -s extglob on a line of its own near the top of %s (bash decides when it reads a line, so it must come before, not in the same function or on the same line)",
				w.path, eg.Pos().Line(), eg.Op, filepath.Base(w.path), filepath.Base(w.path))
			return
		}
		before := p.extglob
		syntax.Walk(st, func(n syntax.Node) bool { return w.visit(n, false) })
		if p.extglob != before {
			extglobLine = st.End().Line()
		}
		if !w.cond && mayReturn(st) {
			w.cond = true // what follows may never be read
		}
	}
}

// fileWalk is the walk of one file (see [parser.walk]).
type fileWalk struct {
	p           *parser
	file, label string // label names the file in notes ("hooks.sh")
	path        string
	depth       int
	cond        bool // what the file defines from here on is not certain
	// top are the statements that run unconditionally when the file is
	// sourced: function definitions and sources there are certain, until
	// a top-level statement may return (a guard at the top of the file).
	top map[syntax.Node]bool
}

func (w *fileWalk) where(n syntax.Node) string {
	return w.label + ":" + strconv.Itoa(int(n.Pos().Line()))
}

// visit takes in one node; inFunc is set inside a function's body.
func (w *fileWalk) visit(n syntax.Node, inFunc bool) bool {
	switch n := n.(type) {
	case *syntax.FuncDecl:
		if n.Name != nil && !inFunc {
			w.p.define(Func{Name: n.Name.Value, Line: int(n.Pos().Line()), File: w.file, Conditional: w.cond || !w.top[n]})
		}
		// Inside a function: sources there run when it is called, so
		// their files are checked, but what they define is not defined
		// by sourcing.
		syntax.Walk(n.Body, func(c syntax.Node) bool { return w.visit(c, true) })
		return false
	case *syntax.CallExpr:
		w.call(n, inFunc)
	}
	return true
}

// call takes in a command that matters to what the file defines: source,
// shopt, eval, unset.
func (w *fileWalk) call(n *syntax.CallExpr, inFunc bool) {
	p := w.p
	name, args := command(n.Args)
	switch name {
	case "source", ".":
		if len(args) > 0 && args[0].Lit() == "--" {
			args = args[1:]
		}
		if len(args) == 0 {
			return
		}
		src, ok := p.literal(args[0])
		if !ok || strings.HasPrefix(src, "-") {
			p.s.Notes = append(p.s.Notes, Note{w.where(n), "sources a computed path; kompose cannot check that file nor see the hooks it defines"})
			return
		}
		p.source(src, w.where(n), inFunc, w.cond || !w.top[n], w.depth)
	case "shopt":
		p.shopt(args, n.Pos().Line(), w.path, inFunc)
	case "eval":
		p.s.Notes = append(p.s.Notes, Note{w.where(n), "eval: functions it defines are not seen before the run (a hook defined this way is not run)"})
	case "unset":
		p.unset(args, w.where(n))
	}
}

// firstExtGlob returns the first extended glob in st that needs extglob:
// inside [[ ]] bash always reads them.
func firstExtGlob(st *syntax.Stmt) *syntax.ExtGlob {
	var found *syntax.ExtGlob
	syntax.Walk(st, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.TestClause:
			return false
		case *syntax.ExtGlob:
			if found == nil {
				found = n
			}
			return false
		}
		return found == nil
	})
	return found
}

// mayReturn reports whether st, a top-level statement of a sourced file,
// may run return (outside a function): sourcing may end there.
func mayReturn(st *syntax.Stmt) bool {
	found := false
	syntax.Walk(st, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.FuncDecl:
			return false
		case *syntax.CallExpr:
			if name, _ := command(n.Args); name == "return" {
				found = true
			}
		}
		return !found
	})
	return found
}

// shopt follows the options that change how bash reads what it sources:
// extglob (at the top level: its state when each line is read), and
// sourcepath, which kompose turns off so that `source lib.sh` reads the
// lib.sh it checked, never one found through PATH: turning it on again
// is refused.
func (p *parser) shopt(args []*syntax.Word, line uint, path string, inFunc bool) {
	on, off := false, false
	for _, a := range args {
		v := a.Lit()
		switch {
		case strings.HasPrefix(v, "-"):
			on = on || strings.ContainsRune(v, 's')
			off = off || strings.ContainsRune(v, 'u')
		case v == "sourcepath" && on && p.err == nil:
			p.err = fmt.Errorf("%s:%d: shopt -s sourcepath makes source search PATH for a file named without a /, so bash could read another file than the one kompose checked; kompose runs hooks with it off (source lib.sh reads lib.sh in the stack's folder): remove it",
				path, line)
		case v == "extglob" && !inFunc:
			if on {
				p.extglob = true
			} else if off {
				p.extglob = false
			}
		}
	}
}

// unset notes unset -f, and makes the functions it may remove
// conditional: they may not be defined at their turn.
func (p *parser) unset(args []*syntax.Word, where string) {
	funcs := false
	var names []string
	all := false
	for _, a := range args {
		switch v := a.Lit(); {
		case v == "-f":
			funcs = true
		case strings.HasPrefix(v, "-"):
		case v == "":
			all = true // a computed name
		default:
			names = append(names, v)
		}
	}
	if !funcs {
		return
	}
	p.s.Notes = append(p.s.Notes, Note{where, "unset -f: a hook listed here may not be defined at its turn (then it is reported and skipped)"})
	for i, fn := range p.s.Funcs {
		if all || slices.Contains(names, fn.Name) {
			p.s.Funcs[i].Conditional = true
			fn.Conditional = true
			p.s.byName[fn.Name] = fn
		}
	}
}

// command returns the name of the command that args run, as bash finds
// it, and its arguments: quotes and backslashes removed (\source,
// 'source'), and the prefixes builtin and command (-p) skipped, since
// `builtin source lib.sh` sources lib.sh too. The name is "" when it is
// not literal.
func command(args []*syntax.Word) (string, []*syntax.Word) {
	for len(args) > 0 {
		name := unquoted(args[0])
		args = args[1:]
		switch name {
		case "builtin":
		case "command":
			for len(args) > 0 && strings.HasPrefix(args[0].Lit(), "-") {
				args = args[1:]
			}
		default:
			return name, args
		}
	}
	return "", nil
}

// unquoted returns the value of a word made of literal text and quotes,
// "" for anything else.
func unquoted(w *syntax.Word) string {
	var b strings.Builder
	for _, wp := range w.Parts {
		switch x := wp.(type) {
		case *syntax.Lit:
			b.WriteString(strings.ReplaceAll(x.Value, "\\", ""))
		case *syntax.SglQuoted:
			if x.Dollar {
				return ""
			}
			b.WriteString(x.Value)
		case *syntax.DblQuoted:
			for _, q := range x.Parts {
				l, ok := q.(*syntax.Lit)
				if !ok {
					return ""
				}
				b.WriteString(l.Value)
			}
		default:
			return ""
		}
	}
	return b.String()
}

// define records a function definition; bash keeps the last one.
func (p *parser) define(fn Func) {
	if old, dup := p.s.byName[fn.Name]; dup {
		for i := range p.s.Funcs {
			if p.s.Funcs[i].Name == fn.Name {
				p.s.Funcs = append(p.s.Funcs[:i], p.s.Funcs[i+1:]...)
				break
			}
		}
		fn.Conditional = fn.Conditional && old.Conditional
	}
	p.s.Funcs = append(p.s.Funcs, fn)
	p.s.byName[fn.Name] = fn
}

// source follows one source of a literal path. Functions it defines are
// taken when the source runs at sourcing time (not inside a function);
// cond says the source itself may not run. A file sourced at sourcing
// time that bash cannot read as the parser does stops the whole script
// (its hooks would be missing); one sourced inside a function is a note.
func (p *parser) source(path, from string, inFunc, cond bool, depth int) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(p.stackDir, path)
	}
	path = filepath.Clean(path)
	if p.seen[path] {
		return
	}
	p.seen[path] = true
	if depth >= maxSourceDepth {
		p.s.Notes = append(p.s.Notes, Note{from, "sources " + p.rel(path) + " more than " + strconv.Itoa(maxSourceDepth) + " files deep; not followed"})
		return
	}
	f, fi, err := p.parse(path)
	if special(path) {
		f, fi, err = nil, nil, fmt.Errorf("%s: not a regular file (a device or a descriptor, which bash opens in its own process: what it reads there cannot be checked)", path)
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			p.s.Notes = append(p.s.Notes, Note{from, "sources " + p.rel(path) + ", which does not exist"})
			p.s.Missing = append(p.s.Missing, File{Path: path, From: from})
			return
		}
		if !inFunc && p.err == nil {
			p.err = fmt.Errorf("%w (sourced at %s)", err, from)
			return
		}
		p.s.Notes = append(p.s.Notes, Note{from, "sources " + p.rel(path) + ": " + err.Error() + "; the hooks it defines are not found"})
		// bash may still source it: check it all the same.
		if fi, serr := os.Stat(path); serr == nil && !special(path) {
			p.s.Files = append(p.s.Files, File{Path: path, Info: fi, From: from})
		}
		return
	}
	p.s.Files = append(p.s.Files, File{Path: path, Info: fi, From: from})
	if inFunc {
		// Checked, but what it defines appears only when the function
		// runs.
		return
	}
	if p.walk(f, p.rel(path), depth+1, cond); p.err != nil {
		p.err = fmt.Errorf("%w (sourced at %s)", p.err, from)
	}
}

// special reports whether path, as written or with symlinks resolved, is
// under /dev or /proc: a device, or a descriptor such as /dev/fd/3 or
// /dev/stdin that names what bash has open (exec 3< /tmp/x.sh), not a
// file kompose could check from its own process.
func special(path string) bool {
	under := func(p string) bool {
		for _, d := range []string{"/dev", "/proc"} {
			if p == d || strings.HasPrefix(p, d+"/") {
				return true
			}
		}
		return false
	}
	if under(path) {
		return true
	}
	real, err := filepath.EvalSymlinks(path)
	return err == nil && under(real)
}

// literal returns the value of a word made of literal text, quotes and
// the variables $SCRIPT_DIR and $stack, which kompose sets for every hook.
func (p *parser) literal(w *syntax.Word) (string, bool) {
	var b strings.Builder
	for _, wp := range w.Parts {
		if !p.literalPart(&b, wp) {
			return "", false
		}
	}
	s := b.String()
	if strings.ContainsAny(s, "*?[") || strings.HasPrefix(s, "~") {
		return "", false // a glob or a home folder: bash decides at run time
	}
	return s, s != ""
}

// literalPart writes the value of one part of a word to b; false when it
// is not literal (see [parser.literal]).
func (p *parser) literalPart(b *strings.Builder, wp syntax.WordPart) bool {
	switch x := wp.(type) {
	case *syntax.Lit:
		b.WriteString(x.Value)
	case *syntax.SglQuoted:
		if x.Dollar {
			return false
		}
		b.WriteString(x.Value)
	case *syntax.DblQuoted:
		for _, q := range x.Parts {
			if !p.literalPart(b, q) {
				return false
			}
		}
	case *syntax.ParamExp:
		v, ok := p.knownParam(x)
		if !ok {
			return false
		}
		b.WriteString(v)
	default:
		return false
	}
	return true
}

// knownParam is the value of a plain $SCRIPT_DIR or $stack (no
// operator, index or length).
func (p *parser) knownParam(x *syntax.ParamExp) (string, bool) {
	if x.Param == nil || x.Excl || x.Length || x.Index != nil || x.Slice != nil || x.Repl != nil || x.Exp != nil || x.Names != 0 {
		return "", false
	}
	switch x.Param.Value {
	case "SCRIPT_DIR":
		return p.root, true
	case "stack":
		return p.stack, true
	}
	return "", false
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

// ReportFD is the descriptor on which a hooks.sh hook reports whether its
// function ran (proc.Cmd.Report).
const ReportFD = 4

// invokeScript waits at the start gate on fd 3 (proc.GateShell: it takes
// in the variables known only at the hook's turn and exits 125, having done
// nothing, if the turn never comes). It then does what kompose.sh did:
// under kompose.sh's own `set -euo pipefail`, it sources hooks.sh ($1)
// ignoring the status of sourcing, and calls the function ($2) with the
// remaining arguments as the left side of a || list, so errexit is
// suspended while hooks.sh is sourced and inside the function (the
// function's own status decides), while nounset and pipefail apply. Before
// sourcing it turns sourcepath off: `source lib.sh` then reads lib.sh in
// the stack's folder, the file kompose checked, instead of searching PATH. Before the call it says on the report
// descriptor (fd 4, moved above the descriptors scripts use) whether the
// function exists: "called" or "undefined". A hooks.sh that exits while
// being sourced says neither. Builtins are called as such, so that a
// hooks.sh defining a function named echo or exit changes nothing here.
const invokeScript = proc.GateShell + `{ exec {__kompose_report}>&4 4>&-; } 2>/dev/null || exec {__kompose_report}>/dev/null
builtin set -euo pipefail; builtin shopt -u sourcepath
source "$1" || :
builtin shift
if ! builtin declare -F -- "$1" >/dev/null; then builtin echo undefined >&"$__kompose_report"; builtin exit 0; fi
builtin echo called >&"$__kompose_report"; builtin exec {__kompose_report}>&-; builtin unset __kompose_report
"$@" || builtin exit
builtin exit 0`

// Argv returns the process arguments that call function fn of the script
// with args: its own bash, which sources the file and calls the function.
// The process is gated and reports on fd 4: it must be started with
// proc.Cmd.Gate and proc.Cmd.Report set, and its end read with [Outcome].
func (s *Script) Argv(fn string, args []string) []string {
	argv := make([]string, 0, 6+len(args))
	argv = append(argv, "bash", "-c", invokeScript, "hooks.sh", s.Path, fn)
	return append(argv, args...)
}

// NotDefinedError is a hooks.sh hook whose function did not exist after
// sourcing (defined conditionally, removed with unset -f): it is skipped,
// not failed.
type NotDefinedError struct{ Func string }

func (e *NotDefinedError) Error() string {
	return e.Func + " is not defined after sourcing hooks.sh"
}

// NotRunError is a hooks.sh hook whose process ended while hooks.sh was
// being sourced (a top-level exit): its function never ran, so the hook
// did not succeed, whatever the exit status.
type NotRunError struct {
	Func string
	Err  error // how the process ended; nil for status 0
}

func (e *NotRunError) Error() string {
	how := "exit status 0"
	if e.Err != nil {
		how = e.Err.Error()
	}
	return fmt.Sprintf("hooks.sh ended (%s) while being sourced, before %s could run (a top-level exit or exec, or an unset variable under set -u, stops every hook)", how, e.Func)
}

func (e *NotRunError) Unwrap() error { return e.Err }

// Outcome interprets how the hooks.sh call of fn ended: report is what it
// wrote on fd 4, err how its process ended. It returns nil when the
// function ran and returned 0, a *NotDefinedError when the function did
// not exist, a *NotRunError when the process ended before the call, else
// err.
func Outcome(fn string, report []byte, err error) error {
	switch {
	case strings.HasPrefix(string(report), "called\n"):
		return err
	case strings.HasPrefix(string(report), "undefined\n") && err == nil:
		return &NotDefinedError{Func: fn}
	}
	var ee *proc.ExitError
	if err != nil && !errors.As(err, &ee) {
		return err // it did not start, or it timed out: that says it all
	}
	return &NotRunError{Func: fn, Err: err}
}

// UnreadError is a hooks.sh hook whose function discovery found defined
// unconditionally at the top level, but which bash did not define when it
// sourced the file: bash read the file otherwise than kompose's parser did
// (a syntax error only bash sees, an alias). Sourcing failed, so the hook
// fails; skipping it would skip a guard such as a backup before down -v.
type UnreadError struct {
	Func  string
	Where string // "hooks.sh:3"
}

func (e *UnreadError) Error() string {
	return fmt.Sprintf("%s (%s) is defined unconditionally but bash did not define it when it sourced hooks.sh, so bash could not read the file as kompose did (bash's message is above); the hook fails instead of being skipped", e.Func, e.Where)
}

// Outcome is [Outcome] for h, a hooks.sh hook: a function not defined
// after sourcing is skipped (a *NotDefinedError) only when its definition
// is conditional; otherwise sourcing failed and the outcome is an
// *UnreadError.
func (h Hook) Outcome(report []byte, err error) error {
	err = Outcome(h.Func, report, err)
	var nd *NotDefinedError
	if errors.As(err, &nd) && !h.Conditional {
		return &UnreadError{Func: h.Func, Where: h.Source}
	}
	return err
}
