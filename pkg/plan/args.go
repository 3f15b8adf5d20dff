package plan

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// usageError is a mistake in a kompose command's options: it matches
// [ErrUsage], so the run stops with exit status 2 before anything runs.
type usageError struct{ msg string }

func (e usageError) Error() string        { return e.msg }
func (e usageError) Is(target error) bool { return target == ErrUsage }

// Usagef returns an error that matches [ErrUsage], with a message as
// fmt.Sprintf makes it: a [CommandFunc]'s way to say the command line is
// wrong.
func Usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// ParseArgs parses the options of a kompose command (db:export --compress
// zstd, update --prune) with fs and returns its positional arguments,
// which may come before or after the options; at most maxPos of them.
// help lists the options for the messages. Every error matches
// [ErrUsage].
func ParseArgs(command string, fs *flag.FlagSet, args []string, maxPos int, help string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, Usagef("%s options: %s", command, help)
			}
			return nil, Usagef("%s: %v (options: %s)", command, err, help)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) > maxPos {
		return nil, Usagef("%s: unexpected argument %q (options: %s)", command, pos[maxPos], help)
	}
	return pos, nil
}
