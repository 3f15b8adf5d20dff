// Package manpage renders kompose(1), the manual page, from the same
// definitions as --help: the usage text and the global options of
// pkg/settings, the root commands and the command table of pkg/commands.
// urfave/cli renders it (Markdown, then go-md2man's roff). docs/kompose.1
// holds it, kept in step by a test; the Debian package installs it.
package manpage

import (
	"fmt"
	"strings"

	"github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/settings"
	"github.com/urfave/cli/v2"
)

// Section is the manual section of kompose(1): user commands.
const Section = 1

// Page returns kompose(1) in roff.
func Page() (string, error) {
	app := &cli.App{
		Name:        "kompose",
		Usage:       settings.Usage,
		UsageText:   settings.UsageText,
		Flags:       settings.GlobalFlags(),
		HideHelp:    true,
		HideVersion: true,
		Description: description(),
	}
	page, err := app.ToManWithSection(Section)
	if err != nil {
		return "", fmt.Errorf("man page: %w", err)
	}
	return page, nil
}

// description is the page's DESCRIPTION and the sections after it, in
// Markdown.
func description() string {
	var b strings.Builder
	b.WriteString(`kompose runs docker compose, with hooks, over many Docker Compose stacks that live side by side under one root folder: ` +
		"**--root**, else **$KOMPOSE_ROOT**, else *./stacks* when it exists, else the current folder. " +
		"A stack is a sub-folder holding a compose file; its *.env* and the root's are loaded, and its *hooks.sh* functions run before and after each command.\n\n")
	b.WriteString("# COMMANDS WITHOUT A PATTERN\n\n")
	for _, r := range commands.RootCommands() {
		fmt.Fprintf(&b, "**kompose %s** %s\n: %s\n\n", r.Name, escape(r.Usage), escape(r.Summary))
	}
	b.WriteString("# COMMANDS\n\nAfter the pattern, any docker compose subcommand, passed through with its arguments unchanged, or one of kompose's own. ")
	b.WriteString("The table (docs/commands.md) says which lock each takes and whether it reaches an engine.\n\n")
	for _, owner := range []commands.Owner{commands.Kompose, commands.Compose} {
		fmt.Fprintf(&b, "*%s's:*\n\n", owner)
		for _, c := range commands.Table() {
			if c.Owner == owner {
				fmt.Fprintf(&b, "**%s**\n: %s\n\n", c.Name, escape(c.Summary))
			}
		}
	}
	b.WriteString("# EXIT STATUS\n\n0 every selected stack succeeded; 1 one or more failed; 2 a usage error; 130 interrupted.\n\n")
	b.WriteString("# FILES\n\n*<root>/.env*, *<stack>/.env*, *<stack>/hooks.sh*, *<stack>/hooks/*: read only when owned by root, you or a trusted account and not writable by others.\n\n")
	b.WriteString("# SEE ALSO\n\ndocker-compose(1), the README and docs/ of kompose (/usr/share/doc/kompose in the Debian package).\n")
	return b.String()
}

// escape keeps Markdown from reading a summary's characters as markup.
func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "<", `\<`, "[", `\[`).Replace(s)
}
