package env

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/compose-spec/compose-go/v2/template"
)

// This file reads .env files with the grammar of compose-go's dotenv
// package (the one docker compose uses), statement by statement, so that
// kompose knows the line of every variable. compose-go's own parser reports
// expansion errors without a line and with the value in them, and logs
// "variable is not set" warnings, naming what follows a `$` (often a piece
// of a password), through a global logger straight to the terminal. Here
// every problem carries its line and the kind of problem, never a value.
// TestParseMatchesComposeGo keeps the grammar in step with compose-go.

// statement is one KEY=VALUE (or bare KEY) of a .env file.
type statement struct {
	line      int    // where the statement starts
	key       string // the variable's name
	inherited bool   // a bare KEY: its value comes from the lower layers
	quote     byte   // 0 (unquoted), '\'' or '"'
	raw       string // the value as written, without its quotes
}

// FileError is a problem that keeps a .env file from loading. Its text
// names the file and, when known, the line and the kind of problem; it
// never contains a value.
type FileError struct {
	Path    string
	Line    int // 0 when the problem is not on one line (unreadable file)
	Problem string
	Fix     string // "" or how to fix it
}

func (e *FileError) Error() string {
	s := "invalid env file " + e.Path + ": "
	if e.Line > 0 {
		s += "line " + strconv.Itoa(e.Line) + ": "
	}
	s += e.Problem
	if e.Fix != "" {
		s += "; " + e.Fix
	}
	return s
}

// Note is a warning about a .env file: its line and what is wrong, never a
// value.
type Note struct {
	Path string
	Line int
	Text string
	// Key is the variable whose value referred to unset variables, Unset
	// their names; nil when Key is secret (the names are part of its value).
	Key   string
	Unset []string
	// Embedded is set instead when Key is secret and its value has a `$`
	// followed by a name inside other characters (Xk9$mT2qZ7), which was
	// taken as a reference to a variable that is set.
	Embedded bool
	// Dropped is set when Key makes programs run code and was not taken
	// ([Dangerous]).
	Dropped bool
	// Weak is set when Key is a secret whose value masking cannot hide
	// (too short, or also part of a value that is not secret).
	Weak bool
}

// Summary returns one line per file of notes: which variables were not set
// where, for people, once per file.
func Summary(notes []Note) []string {
	var out []string
	var path string
	var items []string
	flush := func() {
		if len(items) > 0 {
			out = append(out, fmt.Sprintf("%s: variables not set, so they became empty: %s; if a `$` is part of a value, put the value in single quotes ('...') or write $$", path, strings.Join(items, ", ")))
		}
		items = nil
	}
	var embedded []string
	for _, n := range notes {
		if n.Embedded || n.Dropped || n.Weak {
			embedded = append(embedded, n.String())
			continue
		}
		if n.Path != path {
			flush()
			path = n.Path
		}
		if n.Unset == nil {
			items = append(items, fmt.Sprintf("one named in the value of %s (line %d)", n.Key, n.Line))
			continue
		}
		items = append(items, fmt.Sprintf("%s (line %d)", strings.Join(n.Unset, " and "), n.Line))
	}
	flush()
	return append(out, embedded...)
}

func (n Note) String() string {
	if n.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", n.Path, n.Line, n.Text)
	}
	return n.Path + ": " + n.Text
}

var (
	exportRe    = regexp.MustCompile(`^export\s+`)
	escapeSeqRe = regexp.MustCompile(`(\\(?:[abcfnrtv$"\\]|0\d{0,3}))`)
	// plainRefRe is a reference without a modifier: $NAME or ${NAME}.
	// bareRefRe is a reference without braces: $NAME.
	bareRefRe  = regexp.MustCompile(`\$[_a-zA-Z][_a-zA-Z0-9]*`)
	plainRefRe = regexp.MustCompile(`^\$(?:\{([_a-zA-Z][_a-zA-Z0-9]*)\}|([_a-zA-Z][_a-zA-Z0-9]*))$`)
)

// dotenvParser mirrors compose-go's dotenv parser (dotenv/parser.go).
type dotenvParser struct{ line int }

// statements splits src into its statements. Its errors are *FileError
// without Path.
func parseStatements(src string) ([]statement, error) {
	p := &dotenvParser{line: 1}
	var out []statement
	cutset := src
	for {
		cutset = p.statementStart(cutset)
		if cutset == "" {
			return out, nil
		}
		line := p.line
		key, left, inherited, err := p.keyName(cutset)
		if err != nil {
			return nil, err
		}
		if strings.Contains(key, " ") {
			return nil, &FileError{Line: line, Problem: "a variable name cannot contain a space"}
		}
		st := statement{line: line, key: key, inherited: inherited}
		if !inherited {
			if st.quote, st.raw, left, err = p.value(left, line); err != nil {
				return nil, err
			}
		}
		out = append(out, st)
		cutset = left
	}
}

func (p *dotenvParser) statementStart(src string) string {
	pos := p.indexOfNonSpace(src)
	if pos == -1 {
		return ""
	}
	src = src[pos:]
	if src[0] != '#' {
		return src
	}
	pos = strings.IndexByte(src, '\n')
	if pos == -1 {
		return ""
	}
	return p.statementStart(src[pos:])
}

func (p *dotenvParser) keyName(src string) (key, rest string, inherited bool, err error) {
	if exportRe.MatchString(src) {
		src = strings.TrimLeftFunc(strings.TrimPrefix(src, "export"), isSpace)
	}
	offset := 0
loop:
	for i, r := range src {
		if isSpace(r) {
			continue
		}
		switch r {
		case '=', ':', '\n':
			key = src[:i]
			offset = i + 1
			inherited = r == '\n'
			break loop
		case '_', '.', '-', '[', ']':
		default:
			if unicode.IsLetter(r) || unicode.IsNumber(r) {
				continue
			}
			return "", "", false, &FileError{Line: p.line, Problem: fmt.Sprintf("unexpected character %q in a variable name", string(r))}
		}
	}
	if src == "" {
		return "", "", false, &FileError{Line: p.line, Problem: "empty statement"}
	}
	if inherited && strings.IndexByte(key, ' ') == -1 {
		p.line++
	}
	key = strings.TrimRightFunc(key, unicode.IsSpace)
	return key, strings.TrimLeftFunc(src[offset:], isSpace), inherited, nil
}

// value reads the value of a statement that starts on line start.
func (p *dotenvParser) value(src string, start int) (quote byte, raw, rest string, err error) {
	if src == "" || (src[0] != '"' && src[0] != '\'') {
		value, rest, _ := strings.Cut(src, "\n")
		p.line++
		value, _, _ = strings.Cut(value, " #")
		return 0, strings.TrimRightFunc(value, unicode.IsSpace), rest, nil
	}
	quote = src[0]
	escaped := false
	var chars []byte
	for i := 1; i < len(src); i++ {
		c := src[i]
		if c == '\n' {
			p.line++
		}
		if c != quote {
			if !escaped && c == '\\' {
				escaped = true
				continue
			}
			if escaped {
				escaped = false
				chars = append(chars, '\\')
			}
			chars = append(chars, c)
			continue
		}
		if escaped {
			escaped = false
			chars = append(chars, c)
			continue
		}
		return quote, string(chars), src[i+1:], nil
	}
	return 0, "", "", &FileError{Line: start, Problem: "unterminated quoted value", Fix: "close the quote"}
}

func (p *dotenvParser) indexOfNonSpace(src string) int {
	return strings.IndexFunc(src, func(r rune) bool {
		if r == '\n' {
			p.line++
		}
		return !unicode.IsSpace(r)
	})
}

func isSpace(r rune) bool {
	switch r {
	case '\t', '\v', '\f', '\r', ' ', 0x85, 0xA0:
		return true
	}
	return false
}

func expandEscapes(s string) string {
	return escapeSeqRe.ReplaceAllStringFunc(s, func(m string) string {
		if m == `\$` {
			return "$$"
		}
		if strings.HasPrefix(m, `\0`) {
			m = strings.Replace(m, `\0`, `\`, 1)
		}
		v, _, _, err := strconv.UnquoteChar(m, '"')
		if err != nil {
			return m
		}
		return string(v)
	})
}

// parsed is what reading one .env file found.
type parsed struct {
	vars  map[string]string
	order []statement
	notes []Note
}

// parseDotenv reads data (the file at path) the way compose-go's dotenv
// does. ${VAR} resolves to override(VAR), else to an earlier line of the
// file, else to lower(VAR), as kompose's layers want. secret
// says which names hold secrets: nothing of their values is named in a
// note or error, not even the variables they refer to.
func parseDotenv(path string, data []byte, override, lower func(string) (string, bool), secret func(string) bool) (*parsed, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	stmts, err := parseStatements(string(data))
	if err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			fe.Path = path
		}
		return nil, err
	}
	res := &parsed{vars: map[string]string{}, order: stmts}
	mapping := func(k string) (string, bool) {
		if v, ok := override(k); ok {
			return v, true
		}
		if v, ok := res.vars[k]; ok {
			return v, true
		}
		return lower(k)
	}
	for _, st := range stmts {
		if st.inherited {
			if v, ok := mapping(st.key); ok {
				res.vars[st.key] = v
			}
			continue
		}
		if strings.IndexByte(st.raw, 0) >= 0 {
			// No program's environment can hold it (exec fails at start
			// naming nothing): refused here, with the file and line.
			return nil, &FileError{Path: path, Line: st.line, Problem: st.key + ": the value holds a NUL byte (no program's environment can carry one)"}
		}
		if st.quote == '\'' {
			res.vars[st.key] = st.raw
			continue
		}
		raw := st.raw
		if st.quote == '"' {
			raw = expandEscapes(raw)
		}
		var unset []string
		replace := func(sub string, m template.Mapping, cfg *template.Config) (string, error) {
			if g := plainRefRe.FindStringSubmatch(sub); g != nil {
				name := g[1] + g[2]
				v, ok := m(name)
				if !ok {
					unset = append(unset, name)
				}
				return v, nil
			}
			v, _, err := template.DefaultReplacementAppliedFunc(sub, m, cfg)
			return v, err
		}
		v, err := template.SubstituteWithOptions(raw, mapping, template.WithoutLogging, template.WithReplacementFunction(replace))
		if err != nil {
			return nil, expansionError(path, st, err, secret(st.key))
		}
		res.vars[st.key] = v
		if len(unset) > 0 {
			res.notes = append(res.notes, unsetNote(path, st, unset, secret(st.key)))
		} else if secret(st.key) && embeddedRef(raw) {
			res.notes = append(res.notes, Note{Path: path, Line: st.line, Key: st.key, Embedded: true, Text: st.key +
				": a `$` inside its value was taken as a reference to a variable; if the `$` is part of the secret, put the value in single quotes ('...') or write $$"})
		}
	}
	return res, nil
}

// expansionError describes a failed ${...} expansion in st without its
// value.
func expansionError(path string, st statement, err error, secret bool) error {
	fe := &FileError{Path: path, Line: st.line}
	var inv *template.InvalidTemplateError
	var req *template.MissingRequiredError
	switch {
	case errors.As(err, &inv):
		fe.Problem = st.key + ": a `$` starts no valid ${...} substitution"
		fe.Fix = "if the `$` is part of the value, put the value in single quotes ('...') or write $$"
	case errors.As(err, &req) && !secret:
		fe.Problem = fmt.Sprintf("%s: required variable %s is not set (${%s:?...} or ${%s?...})", st.key, req.Variable, req.Variable, req.Variable)
	case errors.As(err, &req):
		fe.Problem = st.key + ": a required variable its value refers to is not set"
	default:
		fe.Problem = st.key + ": its value cannot be expanded"
	}
	return fe
}

func unsetNote(path string, st statement, unset []string, secret bool) Note {
	how := "unquoted"
	if st.quote == '"' {
		how = "double-quoted"
	}
	what := "variables " + strings.Join(unset, ", ") + " are"
	if len(unset) == 1 {
		what = "variable " + unset[0] + " is"
	}
	if secret {
		// Whatever follows the `$` is part of the secret.
		what = "variable it names is"
		if len(unset) > 1 {
			what = "variables it names are"
		}
	}
	n := Note{Path: path, Line: st.line, Key: st.key}
	if !secret {
		n.Unset = unset
	}
	n.Text = fmt.Sprintf(
		"%s: a `$` in its %s value starts a reference, and the %s not set, so it became empty; if the `$` is part of the value, put the value in single quotes ('...') or write $$",
		st.key, how, what)
	return n
}

// embeddedRef reports whether raw has a bare $NAME reference with other
// characters around it: in a secret, most likely a `$` that is part of
// it. A value that is only $NAME, or that uses ${NAME}, is taken to mean
// the reference.
func embeddedRef(raw string) bool {
	raw = strings.ReplaceAll(raw, "$$", "")
	loc := bareRefRe.FindStringIndex(raw)
	return loc != nil && !(loc[0] == 0 && loc[1] == len(raw))
}
