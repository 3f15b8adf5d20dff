package commands

import (
	"fmt"
	"strings"
)

// Line is what the words after the global options ask for:
//
//	<pattern> [--] <command> [args...]
type Line struct {
	Pattern string
	Command string
	Args    []string
	// Passthrough is set when the command followed "--": it goes to
	// compose as it is (a subcommand of a newer compose that looks like a
	// typo to kompose).
	Passthrough bool
}

// The commands of the root run over every stack: "kompose hosts
// [--json]" is "kompose '*' hosts"; "kompose sync [options]" is
// "kompose '*' sync [options]".
const (
	Hosts = "hosts"
	Sync  = "sync"
)

// Root command names kompose answers without a root or a stack.
const (
	Completion = "completion"
	Version    = "version"
)

// RootCommand is a command typed without a pattern ("kompose hosts",
// "kompose version", "kompose completion bash"). It wins over a stack of
// the same name only with the words it takes: "kompose version --json" is
// kompose's version, "kompose version ps" the stack "version"'s ps, and
// "kompose '*' version" compose's version in every stack.
type RootCommand struct {
	Name string
	// Usage is what follows the name ("bash|zsh|fish", "[--json]").
	Usage string
	// Summary says what it is for, in a few words.
	Summary string
	// Stacks: the command is the table's command of that name run over
	// every stack (its line gets the pattern "*"); otherwise kompose
	// answers it itself, without reading any root.
	Stacks bool
	// Words are the words it takes after its name, all optional: what
	// completion offers there.
	Words []string
	// Takes reports whether the words after the name are its own, so that
	// the line is this root command and not a pattern.
	Takes func(rest []string) bool
}

// RootCommands are the commands typed without a pattern, in name order.
// --help, the man page and completion list them from here.
func RootCommands() []RootCommand {
	onlyJSON := func(rest []string) bool {
		r, _ := TakeJSON(rest)
		return len(r) == 0
	}
	return []RootCommand{
		{Name: Completion, Usage: "bash|zsh|fish", Summary: "print the shell's completion script (see the README)",
			Words: []string{"bash", "fish", "zsh"},
			Takes: func(rest []string) bool {
				if len(rest) == 0 {
					return true
				}
				_, isCommand := Find(rest[0])
				return len(rest) == 1 && !isCommand && !strings.HasPrefix(rest[0], "-")
			}},
		{Name: Hosts, Usage: "[--json]", Summary: "the engines the stacks use (kompose \"*\" hosts)", Stacks: true,
			Words: []string{"--json"}, Takes: onlyJSON},
		{Name: Sync, Usage: "[--fetch] [--remove] [--verify] [--allowed-signers FILE] [--rollback] [--json]",
			Summary: "follow the root's git upstream: fast-forward, up -d the stacks that changed (docs/git.md)", Stacks: true,
			Words: []string{"--allowed-signers", "--fetch", "--json", "--remove", "--rollback", "--verify"},
			Takes: func(rest []string) bool { return len(rest) == 0 || strings.HasPrefix(rest[0], "-") }},
		{Name: Version, Usage: "[--json]", Summary: "kompose's version, commit and build date; with --json also docker's, compose's and bash's",
			Words: []string{"--json"}, Takes: onlyJSON},
	}
}

// RootLine returns the root command the words after the global options are,
// when they are one (see [RootCommand]).
func RootLine(args []string) (RootCommand, bool) {
	if len(args) == 0 {
		return RootCommand{}, false
	}
	for _, r := range RootCommands() {
		if r.Name == args[0] && r.Takes(args[1:]) {
			return r, true
		}
	}
	return RootCommand{}, false
}

// Words returns the words after the global options with every --dry-run
// after the pattern taken out, and whether there was one. A root command
// run over every stack ("hosts" alone or with --json, "sync" alone or
// followed by options) gets the pattern "*"; followed by a command
// ("kompose sync up -d") it is the pattern, a stack's name.
func Words(args []string) ([]string, bool) {
	dryRun := false
	if len(args) > 1 {
		args, dryRun = TakeDryRun(args)
	}
	if r, ok := RootLine(args); ok && r.Stacks {
		args = append([]string{"*"}, args...)
	}
	return args, dryRun
}

// ParseLine splits the words after the global options (see [Words]) into
// pattern, command and its arguments. Its errors are usage errors.
func ParseLine(args []string) (Line, error) {
	switch len(args) {
	case 0:
		return Line{}, fmt.Errorf("missing <pattern> and <command>: kompose [global options] <pattern> <command> [args...]")
	case 1:
		return Line{}, fmt.Errorf("missing <command> after pattern %q", args[0])
	}
	l := Line{Pattern: args[0], Command: args[1], Args: args[2:]}
	l.Passthrough = l.Command == "--"
	if l.Passthrough {
		if len(l.Args) == 0 {
			return l, fmt.Errorf("missing <command> after \"--\"")
		}
		l.Command, l.Args = l.Args[0], l.Args[1:]
	}
	if strings.HasPrefix(l.Command, "-") && !l.Passthrough {
		return l, fmt.Errorf("%q after the pattern is not a command; global options go before the pattern", l.Command)
	}
	return l, nil
}

// TakeDryRun removes --dry-run from the arguments after the pattern, the
// way kompose.sh accepted it anywhere. Arguments after a "--" are left
// alone, and so is -n, which compose subcommands use (logs -n 20).
func TakeDryRun(args []string) ([]string, bool) {
	out := make([]string, 0, len(args))
	found := false
	for i, a := range args {
		if a == "--" {
			out = append(out, args[i:]...)
			break
		}
		if a == "--dry-run" && i > 0 {
			found = true
			continue
		}
		out = append(out, a)
	}
	return out, found
}

// TakeJSON removes --json from the arguments of a read-only view.
func TakeJSON(args []string) ([]string, bool) {
	out := make([]string, 0, len(args))
	found := false
	for _, a := range args {
		if a == "--json" {
			found = true
			continue
		}
		out = append(out, a)
	}
	return out, found
}
