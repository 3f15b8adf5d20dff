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
// parsed (with the files it sources by a literal path), so a dry run runs
// nothing and a hooks.sh that does not parse is reported with its line
// before anything starts. Each hooks.sh call is its own bash process that
// sources the file and calls the one function, as kompose.sh did: under
// its set -euo pipefail, the status of sourcing is ignored and the
// function's own status decides, with errexit suspended (see [Outcome]);
// with sourcepath off, so that bash sources the files that were checked.
// What bash would read otherwise than the parser (CRLF, extglob) is
// refused by [ParseFile], and a hook defined unconditionally that bash did
// not define fails ([Hook.Outcome]).
//
// [CheckTree] refuses hook files, the files hooks.sh sources and the
// folders that hold them when another user could change them; [Unchanged]
// makes sure that what runs is still what was checked. [Info] is what every
// hook is told about the command it runs around, and [ParseEnvFile] reads
// what a hook passes on through $KOMPOSE_ENV.
package hooks

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
