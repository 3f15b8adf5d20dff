// Package output holds the streams kompose writes to and decides how text
// looks on them (colour only on a terminal, never with NO_COLOR).
//
// It follows the GitHub CLI's IOStreams: commands take an *IOStreams rather
// than touching os.Stdout, so tests hand them buffers. [PrefixWriter] and
// [LinePipe] put a stack's name in front of each line its processes print,
// so that the lines of several stacks sharing a stream can be told apart.
package output

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"strconv"

	"golang.org/x/term"
)

// IOStreams are the standard streams and what is known about them.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	// OutTTY and ErrTTY tell whether Out and ErrOut are terminals.
	OutTTY, ErrTTY bool
	// NoColor is set when the NO_COLOR convention or TERM=dumb asks for
	// plain text.
	NoColor bool
}

// System returns the process's own streams. getenv reads the environment.
func System(getenv func(string) string) *IOStreams {
	_, noColor := lookup(getenv, "NO_COLOR")
	return &IOStreams{
		In:      os.Stdin,
		Out:     os.Stdout,
		ErrOut:  os.Stderr,
		OutTTY:  term.IsTerminal(int(os.Stdout.Fd())),
		ErrTTY:  term.IsTerminal(int(os.Stderr.Fd())),
		NoColor: noColor || getenv("TERM") == "dumb",
	}
}

func lookup(getenv func(string) string, k string) (string, bool) {
	v := getenv(k)
	return v, v != ""
}

// Test returns streams backed by buffers, none of them a terminal.
func Test() (ios *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// Buffered returns a copy of s whose Out and ErrOut are buffered, and the
// function that flushes them. Use it for output that starts no process
// (a dry run, a listing), never when children write to the same streams.
func (s *IOStreams) Buffered() (*IOStreams, func() error) {
	out, errOut := bufio.NewWriterSize(s.Out, 64<<10), bufio.NewWriter(s.ErrOut)
	c := *s
	c.Out, c.ErrOut = out, errOut
	return &c, func() error {
		err := out.Flush()
		if e := errOut.Flush(); err == nil {
			err = e
		}
		return err
	}
}

// Style colours text for one stream.
type Style struct{ color bool }

// StyleFor returns the style for a stream that is a terminal or not.
func (s *IOStreams) StyleFor(tty bool) Style { return Style{color: tty && !s.NoColor} }

func (st Style) wrap(code, s string) string {
	if !st.color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// Bold, Dim, Green, Red and Yellow colour s when the stream takes colour.
func (st Style) Bold(s string) string   { return st.wrap("1", s) }
func (st Style) Dim(s string) string    { return st.wrap("2", s) }
func (st Style) Green(s string) string  { return st.wrap("32", s) }
func (st Style) Red(s string) string    { return st.wrap("31", s) }
func (st Style) Yellow(s string) string { return st.wrap("33", s) }
func (st Style) Cyan(s string) string   { return st.wrap("36", s) }

// Plural counts n things: "1 stack", "3 stacks".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
