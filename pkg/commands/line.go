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

// The commands of the root: they need no pattern. "kompose hosts
// [--json]" is "kompose '*' hosts"; "kompose sync [options]" is
// "kompose '*' sync [options]".
const (
	Hosts = "hosts"
	Sync  = "sync"
)

// RootCommands are the commands that take no pattern (see [Words]).
func RootCommands() []string { return []string{Hosts, Sync} }

// IsRootCommand reports whether name is one of [RootCommands].
func IsRootCommand(name string) bool {
	for _, r := range RootCommands() {
		if r == name {
			return true
		}
	}
	return false
}

// Words returns the words after the global options with every --dry-run
// after the pattern taken out, and whether there was one. A command of
// the root ([RootCommands]) alone or followed by an option ("sync
// --remove", "hosts --json") gets the pattern "*"; followed by a command
// ("kompose sync up -d") it is the pattern, a stack's name.
func Words(args []string) ([]string, bool) {
	dryRun := false
	if len(args) > 1 {
		args, dryRun = TakeDryRun(args)
	}
	if len(args) > 0 && IsRootCommand(args[0]) && (len(args) == 1 || strings.HasPrefix(args[1], "-")) {
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
