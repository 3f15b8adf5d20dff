// Package env builds the environment each stack runs with.
//
// kompose layers variables from several places, lowest precedence first:
//
//	the process environment
//	< the root .env
//	< the stack's .env
//	< --network (NETWORK_NAME)
//	< -e KEY=VALUE overrides
//
// Every stack gets its own copy (see [Env.Clone]), so nothing one stack loads
// can reach another. .env files are read with the grammar of the parser
// docker compose itself uses (compose-go's dotenv, a fork of
// joho/godotenv), statement by statement, and ${VAR} is expanded by
// compose-go's own template code: quotes, `export`, comments and expansion
// behave exactly as compose users expect, while every problem keeps its
// line and never shows a value (see dotenv.go).
//
// The package also decides which variables are secrets and masks their
// values in what kompose prints ([Masker]), and which variables a .env may
// not set because they make programs run code ([Dangerous]).
// docs/security.md states these rules for users.
package env

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

// Source names where a variable's value came from.
type Source string

// The layers of the environment, lowest precedence first.
const (
	SourceProcess  Source = "process"
	SourceRootEnv  Source = "root .env"
	SourceStackEnv Source = "stack .env"
	SourceNetwork  Source = "--network"
	SourceOverride Source = "-e"
	SourceKompose  Source = "kompose"
)

// Var is one variable set by a layer above the process environment.
type Var struct {
	Name   string
	Value  string
	Source Source
}

// Env is a set of variables that remembers which layer set each one.
// The zero value is not usable; call [FromEnviron] or [New].
type Env struct {
	vals   map[string]string
	source map[string]Source
	// overrides are consulted first when a .env file expands ${VAR}, so a
	// reference resolves to the value the variable finally has.
	overrides map[string]string
	notes     []Note
	// lines is where a .env file set each variable: its path and line.
	lines map[string]Note
	// stack is set on a stack's environment (a Clone of the root's).
	stack bool
	// process is the process layer as [FromEnviron] got it, shared by
	// clones (never changed).
	process map[string]string
	// secret are the variables an encrypted .env set: secrets whatever
	// their names (see [Env.LoadData]).
	secret map[string]bool
}

// New returns an empty Env.
func New() *Env {
	return &Env{vals: map[string]string{}, source: map[string]Source{}, overrides: map[string]string{}}
}

// FromEnviron returns an Env holding environ (KEY=VALUE strings, as
// [os.Environ] returns them) as the process layer.
func FromEnviron(environ []string) *Env {
	e := New()
	e.process = make(map[string]string, len(environ))
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue
		}
		e.vals[k] = v
		e.source[k] = SourceProcess
		e.process[k] = v
	}
	return e
}

// FromProcess returns the value name had in the process environment
// [FromEnviron] was given, whatever a .env or -e set since: for settings
// no file may change (KOMPOSE_AGE_IDENTITY_FILE, EDITOR).
func (e *Env) FromProcess(name string) (string, bool) {
	v, ok := e.process[name]
	return v, ok
}

// ProcessEnviron returns the process environment [FromEnviron] was given,
// as KEY=VALUE strings in no particular order: for a program that should
// not see what the .env files set (the editor of env:edit).
func (e *Env) ProcessEnviron() []string {
	out := make([]string, 0, len(e.process))
	for k, v := range e.process {
		out = append(out, k+"="+v)
	}
	return out
}

// Clone returns an independent copy of e.
func (e *Env) Clone() *Env {
	c := &Env{
		stack:     true,
		vals:      make(map[string]string, len(e.vals)+8),
		source:    make(map[string]Source, len(e.source)+8),
		overrides: make(map[string]string, len(e.overrides)),
		process:   e.process,
	}
	if len(e.secret) > 0 {
		c.secret = make(map[string]bool, len(e.secret))
		for k := range e.secret {
			c.secret[k] = true
		}
	}
	for k, v := range e.vals {
		c.vals[k] = v
	}
	for k, v := range e.source {
		c.source[k] = v
	}
	for k, v := range e.overrides {
		c.overrides[k] = v
	}
	if len(e.lines) > 0 {
		c.lines = make(map[string]Note, len(e.lines))
		for k, v := range e.lines {
			c.lines[k] = v
		}
	}
	return c
}

// Line returns the .env file and the line that set name, when a .env file
// loaded into e set it (the last of its assignments).
func (e *Env) Line(name string) (path string, line int, ok bool) {
	n, ok := e.lines[name]
	return n.Path, n.Line, ok
}

// Get returns the value of name and whether it is set.
func (e *Env) Get(name string) (string, bool) {
	v, ok := e.vals[name]
	return v, ok
}

// Lookup is [Env.Get] with the signature interpolation libraries expect.
func (e *Env) Lookup(name string) (string, bool) { return e.Get(name) }

// Set sets name to value, recording the layer that set it.
func (e *Env) Set(name, value string, src Source) {
	e.vals[name] = value
	e.source[name] = src
}

// Override sets name from a layer that outranks every .env file
// (--network, -e). Later .env files cannot change it, and their ${name}
// references resolve to this value.
func (e *Env) Override(name, value string, src Source) {
	e.Set(name, value, src)
	e.overrides[name] = value
}

// LoadFile reads a .env file into e as layer src. Variables set by
// [Env.Override] keep their value. Inside the file, ${VAR} resolves to the
// override of VAR if there is one, else to an earlier line of the same file,
// else to a lower layer. Problems are a *[FileError] naming the file, the
// line and the kind of problem, never a value: a syntax error, an invalid
// ${...} or an unset ${VAR:?}. A variable that makes programs run code
// ([Dangerous]) and that [AllowVar] does not allow is not taken, with a
// warning; warnings (also a `$` that started a reference to an unset
// variable) are added to [Env.Notes].
//
// LoadFile does not check who may change the file: the caller does that
// first (pkg/trust), since a .env can make kompose run code.
func (e *Env) LoadFile(path string, src Source) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read env file: %w", err)
	}
	return e.LoadData(path, data, src, false)
}

// LoadData is [Env.LoadFile] for the content data of the file at path,
// read (or decrypted) by the caller; path only names the file in errors
// and notes. When encrypted is set (a .env.age), every variable data
// names is a secret from now on, whatever its name: [NewMasker] masks its
// value and [Masker.Value] shows it as [Mask], in this Env and its
// clones; its errors and notes name no value nor reference of it.
func (e *Env) LoadData(path string, data []byte, src Source, encrypted bool) error {
	override := func(k string) (string, bool) { v, ok := e.overrides[k]; return v, ok }
	isSecret := e.nameMasker().IsSecret
	if encrypted {
		isSecret = func(string) bool { return true }
	}
	res, err := parseDotenv(path, data, override, e.Get, isSecret)
	if err != nil {
		return err
	}
	if encrypted {
		if e.secret == nil {
			e.secret = map[string]bool{}
		}
		for _, st := range res.order {
			e.secret[st.key] = true
		}
	}
	allowed := e.allowed()
	for _, st := range res.order {
		if why, bad := Dangerous(st.key); bad && !allowed[st.key] {
			// Not taken: no process kompose starts gets it. compose still
			// reads the stack's own .env for ${...} in compose files and
			// env_file, which is data for containers.
			delete(res.vars, st.key)
			how := "allow it with " + AllowVar + "=" + st.key + " in kompose's environment or with -e"
			if st.key == AllowVar {
				how = "give " + AllowVar + " in kompose's environment or with -e"
			}
			res.notes = append(res.notes, Note{Path: path, Line: st.line, Dropped: true,
				Text: fmt.Sprintf("%s not taken from this file: it %s; %s", st.key, why, how)})
		}
	}
	for k, v := range res.vars {
		if _, overridden := e.overrides[k]; overridden {
			continue
		}
		e.Set(k, v, src)
	}
	for _, st := range res.order {
		if _, taken := res.vars[st.key]; taken && e.source[st.key] == src {
			if e.lines == nil {
				e.lines = map[string]Note{}
			}
			e.lines[st.key] = Note{Path: path, Line: st.line}
		}
	}
	e.notes = append(e.notes, res.notes...)
	return nil
}

// Notes returns the warnings [Env.LoadFile] gave for the files loaded into
// e since it was made or cloned (a clone starts without notes).
//
// They include a warning for each secret variable whose value masking
// cannot hide (see [Env.weakNotes]): in a stack's environment (a
// [Env.Clone]) those the stack's own .env sets, in the root's those of
// the other layers, so that each is warned about once.
func (e *Env) Notes() []Note {
	return append(e.notes[:len(e.notes):len(e.notes)], e.weakNotes()...)
}

// Environ returns the variables as KEY=VALUE strings, in no particular
// order, ready for a child process.
func (e *Env) Environ() []string {
	out := make([]string, 0, len(e.vals))
	for k, v := range e.vals {
		out = append(out, k+"="+v)
	}
	return out
}

// Map returns a copy of the variables as a map, the form compose-go takes.
func (e *Env) Map() map[string]string {
	m := make(map[string]string, len(e.vals))
	for k, v := range e.vals {
		m[k] = v
	}
	return m
}

// Layered returns, sorted by name, the variables set above the process
// environment: what kompose itself contributes.
func (e *Env) Layered() []Var {
	var out []Var
	for k, src := range e.source {
		if src == SourceProcess {
			continue
		}
		out = append(out, Var{Name: k, Value: e.vals[k], Source: src})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

var namePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ValidName reports whether s is a variable name kompose accepts
// (letters, digits and _, not starting with a digit).
func ValidName(s string) bool { return namePattern.MatchString(s) }

// ParseAssignment parses a KEY=VALUE command-line override. The error never
// contains the value, which may be a secret.
func ParseAssignment(s string) (Var, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		if !namePattern.MatchString(s) {
			// Not a name: perhaps a value typed without its name.
			return Var{}, fmt.Errorf("-e: expected KEY=VALUE, got text without \"=\" (not shown: it may be a secret)")
		}
		return Var{}, fmt.Errorf("-e %q: expected KEY=VALUE", s)
	}
	if !namePattern.MatchString(k) {
		return Var{}, fmt.Errorf("-e %q: %q is not a valid variable name", k+"=…", k)
	}
	if strings.IndexByte(v, 0) >= 0 {
		return Var{}, fmt.Errorf("-e %s: the value holds a NUL byte (no program's environment can carry one)", k)
	}
	return Var{Name: k, Value: v, Source: SourceOverride}, nil
}
