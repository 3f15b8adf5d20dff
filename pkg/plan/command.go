package plan

import (
	"sort"
	"strings"

	"github.com/kompose-dev/kompose/pkg/commands"
)

// CommandCheck is what [Builder.CheckCommand] decided about a command.
type CommandCheck struct {
	// Own is set for kompose's own commands (db:export, hooks).
	Own bool
}

// CheckCommand decides whose command is: kompose's (Commands and Own), a
// compose subcommand (the compose rows of [commands.Table]), or a typo of one of them,
// which is an error wrapping [ErrUsage] naming the nearest command. A name
// that is close to no known command is an error too, that says how to pass
// a newer compose's subcommand: after "--". forced (the command followed
// "--") passes any name to compose without the typo check, except one that
// stands for a kompose command: its hooks would be kompose's.
func (b *Builder) CheckCommand(command string, forced bool) (CommandCheck, error) {
	own := b.ownNames()
	for _, n := range own {
		if command == n {
			return CommandCheck{Own: true}, nil
		}
	}
	for _, n := range own {
		if squash(command) == squash(n) {
			if forced {
				return CommandCheck{}, Usagef("%q is kompose's %s, not a compose subcommand", command, n)
			}
			return CommandCheck{}, unknownCommand(command, n)
		}
	}
	if forced {
		return CommandCheck{}, nil
	}
	if IsKomposeCommand(command) {
		near, _ := nearest(command, own, len(command)/2)
		return CommandCheck{}, Usagef("%v; kompose's own commands: %s", unknownCommand(command, near), strings.Join(b.names(), ", "))
	}
	subs := commands.ComposeNames()
	for _, n := range subs {
		if command == n {
			return CommandCheck{}, nil
		}
	}
	if near, ok := nearest(command, append(subs, own...), -1); ok {
		return CommandCheck{}, unknownCommand(command, near)
	}
	// Far from every known name: compose would print its whole help once
	// per stack. Stop before the stacks; "--" passes a newer compose's
	// subcommand.
	return CommandCheck{}, Usagef("unknown command %q: neither kompose's nor a compose subcommand kompose knows (compose up to v2.40); if your compose has it, put \"--\" before it: kompose <pattern> -- %s", command, command)
}

func unknownCommand(command, near string) error {
	if near == "" {
		return Usagef("unknown command %q", command)
	}
	return Usagef("unknown command %q (did you mean %q?)", command, near)
}

// ownNames are kompose's own command names, sorted.
func (b *Builder) ownNames() []string {
	out := append(b.names(), b.Own...)
	sort.Strings(out)
	return out
}

// squash folds the differences a typo of a kompose command makes: case
// and the separators ':', '-' and '_' (db-export, DB_EXPORT, dbexport).
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ':' || r == '-' || r == '_' {
			return -1
		}
		return r
	}, strings.ToLower(s))
}

// Nearest returns the name in names closest to word, when it is close
// enough to take word for a typo of it (see nearest): the one suggestion
// kompose makes for commands, stacks it depends on, and options.
func Nearest(word string, names []string) (string, bool) {
	return nearest(word, names, -1)
}

// nearest returns the name in names closest to command and whether it is
// close enough to take command for a typo of it: one edit for names of up
// to four letters, two for longer ones (or at most limit, when limit >= 0).
func nearest(command string, names []string, limit int) (string, bool) {
	best, bestD := "", -1
	c := strings.ToLower(command)
	for _, n := range names {
		d := distance(c, n)
		if d2 := distance(squash(command), squash(n)); d2 < d {
			d = d2
		}
		allowed := limit
		if allowed < 0 {
			allowed = 1
			if len(n) > 4 {
				allowed = 2
			}
		}
		if d <= allowed && (bestD < 0 || d < bestD) {
			best, bestD = n, d
		}
	}
	return best, bestD >= 0
}

// distance is the edit distance between a and b, counting a swap of two
// neighbouring letters as one edit (optimal string alignment).
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
