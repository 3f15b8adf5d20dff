package settings

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// Go's flag package names an option with one dash whatever was typed
// ("flag provided but not defined: -bogus"); these are its messages that
// flagError rewrites.
const (
	flagUndefined = "flag provided but not defined: -"
	flagNoValue   = "flag needs an argument: -"
)

// FlagError rewrites an error of the option parser so that it names the
// option as the user typed it (never its value, which may be a secret)
// and, for an unknown one, the nearest option kompose has, as nearest
// (plan.Nearest, kompose's one typo rule) finds it.
func FlagError(err error, argv []string, flags []cli.Flag, nearest func(string, []string) (string, bool)) error {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, flagUndefined):
		name := strings.TrimPrefix(msg, flagUndefined)
		out := fmt.Sprintf("unknown option %s", typedOption(argv, name))
		if near, ok := nearestOption(name, flags, nearest); ok {
			out += fmt.Sprintf(" (did you mean %s?)", near)
		}
		return errors.New(out)
	case strings.HasPrefix(msg, flagNoValue):
		name := strings.TrimPrefix(msg, flagNoValue)
		out := fmt.Sprintf("option %s needs a value", typedOption(argv, name))
		if f := lookupFlag(flags, name); f != nil {
			if names, _ := flagNames(f); strings.Contains(names, " ") {
				out += fmt.Sprintf(" (%s)", names[strings.LastIndex(names, " ")+1:])
			}
		}
		return errors.New(out)
	}
	// "invalid boolean value "x" for -dry-run: parse error", and the like:
	// name the option, not the value.
	for _, f := range flags {
		for _, n := range f.Names() {
			if strings.Contains(msg, " -"+n+": ") || strings.HasSuffix(msg, " -"+n) {
				if bf, ok := f.(*cli.BoolFlag); ok && bf != nil {
					return fmt.Errorf("option %s is a switch: give it alone (or =true, =false)", typedOption(argv, n))
				}
				return fmt.Errorf("option %s: invalid value", typedOption(argv, n))
			}
		}
	}
	return err
}

// typedOption returns the option called name as argv has it ("--bogus" or
// "-bogus", without any "=value"); "-name" or "--name" when it is not
// found.
func typedOption(argv []string, name string) string {
	for _, a := range argv[min(1, len(argv)):] {
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		opt, _, _ := strings.Cut(a, "=")
		if strings.TrimLeft(opt, "-") == name {
			return opt
		}
	}
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// nearestOption is the long option nearest to name, as "--name"; one
// letter is too little to guess from.
func nearestOption(name string, flags []cli.Flag, nearest func(string, []string) (string, bool)) (string, bool) {
	if len(name) < 2 {
		return "", false
	}
	var names []string
	for _, f := range flags {
		for _, n := range f.Names() {
			if len(n) > 1 {
				names = append(names, n)
			}
		}
	}
	near, ok := nearest(name, names)
	return "--" + near, ok
}

func lookupFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

// ReportFile finds --report FILE in argv when the options did not parse,
// looking at the global options only (before the pattern). A report
// asked for after the option that failed is found too: the parser stops
// at the first mistake, kompose's promise does not.
func ReportFile(argv []string, flags []cli.Flag) string {
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if a == "--" || a == "-" || !strings.HasPrefix(a, "-") {
			break // the pattern: the options end here
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "report" {
			if hasVal {
				return val
			}
			if i+1 < len(argv) {
				return argv[i+1]
			}
			return ""
		}
		if f := lookupFlag(flags, name); f != nil && !hasVal {
			if df, ok := f.(cli.DocGenerationFlag); ok && df.TakesValue() {
				i++ // the option's value
			}
		}
	}
	return ""
}
