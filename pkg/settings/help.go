package settings

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// helpWidth is the widest line --help prints: it fits a terminal of 100
// columns, and most of it one of 80.
const helpWidth = 100

// helpIndent and helpNameWidth lay out the options: each name column is
// padded to helpNameWidth, and a description too long for its line goes
// on below, under the description.
const (
	helpIndent    = "   "
	helpNameWidth = 26
)

// HelpTemplate is kompose's help as urfave/cli's help template: its own
// layout rather than urfave/cli's, which puts every alias and a
// repeatable option's placeholder twice on one line (up to 289 columns)
// and appends "(default: false)" to every switch. An option's default is
// said in its own text, where it is not "off".
func HelpTemplate(app *cli.App) string {
	var b strings.Builder
	fmt.Fprintf(&b, "NAME:\n%s%s - %s\n\nUSAGE:\n", helpIndent, app.Name, app.Usage)
	for _, line := range strings.Split(app.UsageText, "\n") {
		fmt.Fprintln(&b, strings.TrimRight(helpIndent+line, " "))
	}
	b.WriteString("\nGLOBAL OPTIONS:\n")
	for _, f := range app.Flags {
		b.WriteString(flagHelp(f))
	}
	// The text is the template: nothing in it may read as an action.
	return strings.ReplaceAll(b.String(), "{{", `{{"{{"}}`)
}

// flagHelp is one option of the help: its names ("-e, --env KEY=VALUE")
// and its description, wrapped within helpWidth.
func flagHelp(f cli.Flag) string {
	names, usage := flagNames(f)
	text := wrap(usage, helpWidth-len(helpIndent)-helpNameWidth)
	pad := strings.Repeat(" ", len(helpIndent)+helpNameWidth)
	var b strings.Builder
	b.WriteString(helpIndent + names)
	if len(names) >= helpNameWidth-1 {
		b.WriteString("\n" + pad)
	} else {
		b.WriteString(strings.Repeat(" ", helpNameWidth-len(names)))
	}
	for i, line := range text {
		if i > 0 {
			b.WriteString("\n" + pad)
		}
		b.WriteString(line)
	}
	b.WriteString("\n")
	return b.String()
}

// flagNames returns an option's names as typed, short ones first, with
// the placeholder of its value once ("-j, --parallel N"), and its
// description without the backquotes that name the placeholder.
func flagNames(f cli.Flag) (names, usage string) {
	var placeholder string
	if df, ok := f.(cli.DocGenerationFlag); ok {
		placeholder, usage = unquoteUsage(df.GetUsage())
		if !df.TakesValue() {
			placeholder = ""
		} else if placeholder == "" {
			placeholder = "value"
		}
	}
	var short, long []string
	for _, n := range f.Names() {
		if len(n) == 1 {
			short = append(short, "-"+n)
		} else {
			long = append(long, "--"+n)
		}
	}
	names = strings.Join(append(short, long...), ", ")
	if placeholder != "" {
		names += " " + placeholder
	}
	return names, usage
}

// wrap breaks text into lines of at most width columns, between words.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	return append(lines, line)
}

// unquoteUsage returns the placeholder an option's description names in
// backquotes (urfave/cli's convention: "set `KEY=VALUE`") and the
// description without them.
func unquoteUsage(usage string) (placeholder, text string) {
	before, rest, ok := strings.Cut(usage, "`")
	if !ok {
		return "", usage
	}
	name, after, ok := strings.Cut(rest, "`")
	if !ok {
		return "", usage
	}
	return name, before + name + after
}
