// Package complete is kompose's shell completion: the scripts `kompose
// completion bash|zsh|fish` prints ([Script]) and the answers they ask the
// binary for with the hidden `kompose __complete WORD...` ([Complete]), as
// cobra's completions do, so that what the shell offers always matches the
// binary: its global options (settings.GlobalFlags), its commands
// (pkg/commands' table and root commands), the stacks of the root in
// effect, the dumps and archives db:import and vol:import would find, and
// the docker contexts for --context.
//
// Completion reads folder listings and, only to find where a stack keeps
// its dumps and archives, the .env files the trust rule accepts (as
// kompose does); it never runs a hook, never parses a compose file and
// starts no process but `docker context ls` (for --context only).
package complete

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/settings"
	"github.com/urfave/cli/v2"
)

// Directive tells the script what to offer besides the words.
type Directive string

// The directives.
const (
	// None: only the words.
	None Directive = "none"
	// Files: also the shell's file names (a path argument).
	Files Directive = "files"
	// Dirs: also the shell's folder names (--root).
	Dirs Directive = "dirs"
)

// Request is one completion: the words typed after "kompose", the last
// one being the word under the cursor ("" after a space).
type Request struct {
	Words   []string
	Cwd     string
	Environ []string // kompose's process environment
	// Proc runs `docker context ls` for --context; nil offers no context.
	Proc proc.Runner
}

// Entry is the hidden command the scripts ask: "kompose __complete
// WORD...", the last word the one under the cursor.
const Entry = "__complete"

// Answer writes the reply to r on w, as the scripts read it, and returns
// the exit status: 0, or 1 when w fails.
func Answer(ctx context.Context, w io.Writer, r Request) int {
	if Complete(ctx, r).Write(w) != nil {
		return 1
	}
	return 0
}

// Reply is what the script offers.
type Reply struct {
	Words     []string
	Directive Directive
}

// Write prints r as the scripts read it: one word a line, then the
// directive (":files").
func (r Reply) Write(w io.Writer) error {
	var b strings.Builder
	for _, word := range r.Words {
		if word != "" && !strings.ContainsAny(word, "\n\r") {
			b.WriteString(word + "\n")
		}
	}
	d := r.Directive
	if d == "" {
		d = None
	}
	b.WriteString(":" + string(d) + "\n")
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("completion: %w", err)
	}
	return nil
}

// flagInfo is a global option as completion needs it.
type flagInfo struct {
	long   string   // its first name, the key of parsed options
	names  []string // as typed: "--dry-run", "-n"
	values bool     // takes a value
}

func flagInfos() []flagInfo {
	var out []flagInfo
	for _, f := range settings.GlobalFlags() {
		fi := flagInfo{long: f.Names()[0]}
		for _, n := range f.Names() {
			if len(n) == 1 {
				fi.names = append(fi.names, "-"+n)
			} else {
				fi.names = append(fi.names, "--"+n)
			}
		}
		if df, ok := f.(cli.DocGenerationFlag); ok {
			fi.values = df.TakesValue()
		}
		out = append(out, fi)
	}
	return out
}

func findFlag(flags []flagInfo, typed string) (flagInfo, bool) {
	for _, f := range flags {
		for _, n := range f.names {
			if n == typed {
				return f, true
			}
		}
	}
	return flagInfo{}, false
}

// line is the words before the cursor, parsed as kompose parses them.
type line struct {
	opts options
	pos  []string // pattern, command, arguments
	// valueOf is the option whose value the word under the cursor is.
	valueOf *flagInfo
}

// parse reads the words before the cursor.
func parse(words []string, flags []flagInfo) line {
	l := line{opts: options{}}
	optionsDone := false
	for i := 0; i < len(words); i++ {
		w := words[i]
		if optionsDone || len(l.pos) > 0 || !strings.HasPrefix(w, "-") || w == "-" {
			l.pos = append(l.pos, w)
			continue
		}
		if w == "--" {
			optionsDone = true
			continue
		}
		typed, val, hasVal := strings.Cut(w, "=")
		f, ok := findFlag(flags, typed)
		if !ok {
			continue
		}
		if f.values && !hasVal {
			if i+1 == len(words) {
				l.valueOf = &f
				break
			}
			i++
			val = words[i]
		}
		if !f.values {
			val = "true"
		}
		l.opts[f.long] = append(l.opts[f.long], val)
	}
	return l
}

// Complete answers one completion.
func Complete(ctx context.Context, r Request) Reply {
	if len(r.Words) == 0 {
		r.Words = []string{""}
	}
	words := make([]string, len(r.Words))
	for i, w := range r.Words {
		words[i] = Dequote(w)
	}
	cur := words[len(words)-1]
	flags := flagInfos()
	l := parse(words[:len(words)-1], flags)
	env := newRootEnv(r, l.opts)
	switch {
	case l.valueOf != nil:
		return flagValue(ctx, r, *l.valueOf, "", cur)
	case len(l.pos) == 0 && strings.HasPrefix(cur, "-"):
		if typed, val, ok := strings.Cut(cur, "="); ok {
			if f, found := findFlag(flags, typed); found && f.values {
				return flagValue(ctx, r, f, typed+"=", val)
			}
			return Reply{}
		}
		return Reply{Words: optionNames(flags, cur)}
	case len(l.pos) == 0:
		return Reply{Words: patternWords(env, cur)}
	case len(l.pos) == 1:
		return Reply{Words: commandWords(env, l.pos[0], cur)}
	}
	return argWords(env, l.pos, cur)
}

// flagValue completes the value of option f; prefix ("--root=") goes
// before each word.
func flagValue(ctx context.Context, r Request, f flagInfo, prefix, cur string) Reply {
	switch f.long {
	case "root":
		return Reply{Directive: Dirs}
	case "report", "metrics-file":
		return Reply{Directive: Files}
	case "context":
		if r.Proc == nil {
			return Reply{}
		}
		return Reply{Words: withPrefix(prefix, matching(dockerContexts(ctx, r), cur))}
	}
	return Reply{}
}

func optionNames(flags []flagInfo, cur string) []string {
	var out []string
	for _, f := range flags {
		for _, n := range f.names {
			if strings.HasPrefix(n, cur) && (len(n) > 2 || cur == "-" || cur == n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// patternWords completes a pattern: the stack names for the item after
// the last comma (keeping a leading "!"), leaving out the items already
// typed; and, for a first item, the root commands.
func patternWords(env *rootEnv, cur string) []string {
	prefix, item := "", cur
	if i := strings.LastIndex(cur, ","); i >= 0 {
		prefix, item = cur[:i+1], cur[i+1:]
	}
	if t := strings.TrimLeft(item, " "); t != item { // "blog, news": items are trimmed
		prefix, item = prefix+item[:len(item)-len(t)], t
	}
	if strings.HasPrefix(item, "!") {
		prefix, item = prefix+"!", item[1:]
	}
	typed := map[string]bool{}
	for _, it := range strings.Split(prefix, ",") {
		typed[strings.TrimPrefix(strings.TrimSpace(it), "!")] = true
	}
	var out []string
	for _, name := range env.stackNames() {
		if strings.HasPrefix(name, item) && !typed[name] {
			out = append(out, prefix+name)
		}
	}
	if prefix == "" {
		for _, rc := range commands.RootCommands() {
			if strings.HasPrefix(rc.Name, item) && !contains(out, rc.Name) {
				out = append(out, rc.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

// commandWords completes the word after the pattern: a root command's
// own words, else every command of the table.
func commandWords(env *rootEnv, pattern, cur string) []string {
	for _, rc := range commands.RootCommands() {
		if rc.Name == pattern && !env.isStack(pattern) {
			return matching(rc.Words, cur)
		}
	}
	if strings.HasPrefix(cur, "-") {
		return matching([]string{"--", "--dry-run"}, cur)
	}
	var names []string
	for _, c := range commands.Table() {
		names = append(names, c.Name)
	}
	return matching(names, cur)
}

// argWords completes an argument of the command: dump and archive names
// for db:import and vol:import, --json and --dry-run for kompose's own
// commands, the shell's file names for compose's.
func argWords(env *rootEnv, pos []string, cur string) Reply {
	command, args := pos[1], pos[2:]
	if command == "--" && len(pos) == 2 {
		return Reply{Words: commandWords(env, "", cur)}
	}
	if command == "--" {
		command, args = pos[2], pos[3:]
	}
	row := commands.Lookup(command)
	if strings.HasPrefix(cur, "-") {
		if row.Owner != commands.Kompose {
			return Reply{Words: matching([]string{"--dry-run"}, cur)}
		}
		own := []string{"--dry-run"}
		if row.ReadOnly {
			own = append(own, "--json")
		}
		return Reply{Words: matching(own, cur)}
	}
	if row.Owner != commands.Kompose {
		return Reply{Directive: Files}
	}
	switch command {
	case "db:import", "vol:import":
		if strings.HasPrefix(cur, "/") || strings.HasPrefix(cur, ".") {
			return Reply{Directive: Files} // a path of the shell's
		}
		if command == "db:import" && positional(args) > 0 {
			return Reply{}
		}
		return Reply{Words: matching(env.backupFiles(pos[0], command), cur)}
	}
	return Reply{}
}

// positional counts the arguments that are not options.
func positional(args []string) int {
	n := 0
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			n++
		}
	}
	return n
}

func matching(words []string, cur string) []string {
	var out []string
	for _, w := range words {
		if strings.HasPrefix(w, cur) {
			out = append(out, w)
		}
	}
	return out
}

func withPrefix(prefix string, words []string) []string {
	for i := range words {
		words[i] = prefix + words[i]
	}
	return words
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Dequote removes the shell's quoting from a word as typed (the word under
// the cursor may have an unclosed quote): 'a b', "a b", a\ b.
func Dequote(w string) string {
	if !strings.ContainsAny(w, `'"\`) {
		return w
	}
	var b strings.Builder
	var quote rune
	escaped := false
	for _, r := range w {
		switch {
		case escaped:
			b.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped = true
		case quote != 0 && r == quote:
			quote = 0
		case quote == 0 && (r == '\'' || r == '"'):
			quote = r
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
