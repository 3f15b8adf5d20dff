// Package settings resolves kompose's settings one way: the command-line
// option when it is given, else the KOMPOSE_* variable when it is set and
// not blank, else the default. It parses the value (a duration, a yes/no,
// a number) and names where a bad value came from in the error
// (`--hook-timeout "soon"`, `KOMPOSE_HOOK_TIMEOUT="-5s" (process)`).
//
// Which environment a variable is looked up in is the caller's choice
// ([FromEnv]: the base or a stack's merged environment; [FromEnviron]:
// kompose's own process environment only); the table of settings is in
// the README's option list and docs/architecture.md.
//
// It also holds the global options themselves ([GlobalFlags]), the usage
// and --help text, and the rewording of the option parser's errors
// ([FlagError]), so that cmd/kompose only parses and dispatches.
package settings

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kompose-dev/kompose/pkg/env"
)

// Flag is a command-line option as parsed.
type Flag struct {
	// Name is how the user wrote it, for messages ("--hook-timeout",
	// "-j/--parallel").
	Name string
	// Set is whether it was given.
	Set   bool
	Value string
}

// Lookup finds a variable: its value, the layer it came from ("process",
// "stack .env"; "" when not worth saying) and whether it is set.
type Lookup func(name string) (value, source string, ok bool)

// FromEnv looks variables up in e, naming the layer each came from.
func FromEnv(e *env.Env) Lookup {
	return func(name string) (string, string, bool) {
		v, ok := e.Get(name)
		if !ok {
			return "", "", false
		}
		src := string(env.SourceProcess)
		for _, l := range e.Layered() {
			if l.Name == name {
				src = string(l.Source)
			}
		}
		return v, src, true
	}
}

// FromEnviron looks variables up in a process environment (KEY=VALUE
// lines, the last one winning), without naming a layer.
func FromEnviron(environ []string) Lookup {
	return func(name string) (string, string, bool) {
		for i := len(environ) - 1; i >= 0; i-- {
			if k, v, ok := strings.Cut(environ[i], "="); ok && k == name {
				return v, "", true
			}
		}
		return "", "", false
	}
}

// Setting is one setting: its option, its variable and where the variable
// is looked up (either may be missing).
type Setting struct {
	Flag   Flag
	Var    string
	Lookup Lookup
}

// Raw returns the setting's value: the option's when given, else the
// variable's when set and not blank; what names it for messages. ok is
// false when neither gives a value (the default applies).
func (s Setting) Raw() (v, what string, ok bool) {
	if s.Flag.Set {
		v := strings.TrimSpace(s.Flag.Value)
		return v, fmt.Sprintf("%s %q", s.Flag.Name, v), true
	}
	if s.Var == "" || s.Lookup == nil {
		return "", "", false
	}
	v, src, set := s.Lookup(s.Var)
	if v = strings.TrimSpace(v); !set || v == "" {
		return "", "", false
	}
	what = fmt.Sprintf("%s=%q", s.Var, v)
	if src != "" {
		what += " (" + src + ")"
	}
	return v, what, true
}

// Duration resolves a duration (a timeout): a Go duration ("30s",
// "2m30s") or a number of seconds ("90"), not negative; def when unset.
func (s Setting) Duration(def time.Duration) (time.Duration, error) {
	v, what, ok := s.Raw()
	if !ok {
		return def, nil
	}
	return ParseDuration(v, what)
}

// ParseDuration parses a timeout: a Go duration ("30s", "2m30s") or a
// number of seconds ("30"), not negative. what names the value in the
// error.
func ParseDuration(v, what string) (time.Duration, error) {
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		v = strconv.FormatFloat(n, 'f', -1, 64) + "s"
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s: not a timeout; write it like 30s, 5m or 90", what)
	}
	return d, nil
}

// Bool resolves a yes or no: 1, true, yes, on or 0, false, no, off (any
// case); def when unset. A given option counts as yes whatever its value.
func (s Setting) Bool(def bool) (bool, error) {
	if s.Flag.Set {
		return true, nil
	}
	v, what, ok := s.Raw()
	if !ok {
		return def, nil
	}
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%s: expected 1 or 0", what)
}

// Int resolves a whole number of at least min, described by unit in the
// error ("a number of stacks"); def when unset.
func (s Setting) Int(def, min int, unit string) (int, error) {
	v, what, ok := s.Raw()
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min {
		return 0, fmt.Errorf("%s: expected %s, %d or more", what, unit, min)
	}
	return n, nil
}
