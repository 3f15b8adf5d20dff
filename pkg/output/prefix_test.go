package output

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// chunks records every Write it gets.
type chunks struct{ got []string }

func (c *chunks) Write(p []byte) (int, error) { c.got = append(c.got, string(p)); return len(p), nil }

func TestPrefixWriter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		writes []string
		want   []string // the writes beneath, after Flush
	}{
		{"lines", []string{"a\nb\n"}, []string{"blog | a\n", "blog | b\n"}},
		{"split line", []string{"hel", "lo\nwor", "ld\n"}, []string{"blog | hello\n", "blog | world\n"}},
		{"partial line ended at flush", []string{"no newline"}, []string{"blog | no newline\n"}},
		{"empty line", []string{"\n"}, []string{"blog | \n"}},
		{"crlf", []string{"a\r\nb\r", "\n"}, []string{"blog | a\r\n", "blog | b\r\n"}},
		{"progress", []string{"10%\r20%\r", "30%\r"}, []string{"blog | 10%\r", "blog | 20%\r", "blog | 30%\r\n"}},
		{"nothing", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c chunks
			w := NewPrefixWriter(&c, "blog | ")
			for _, s := range tc.writes {
				if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", s, n, err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if len(c.got) != len(tc.want) {
				t.Fatalf("writes = %q, want %q", c.got, tc.want)
			}
			for i := range c.got {
				if c.got[i] != tc.want[i] {
					t.Fatalf("writes = %q, want %q", c.got, tc.want)
				}
			}
			// Flush twice writes nothing more.
			n := len(c.got)
			_ = w.Flush()
			if len(c.got) != n {
				t.Errorf("second Flush wrote %q", c.got[n:])
			}
		})
	}
}

// Two stacks writing to one stream: each line arrives whole, with its own
// prefix, even when their partial lines interleave.
func TestPrefixWritersShareAStream(t *testing.T) {
	var out bytes.Buffer
	a, b := NewPrefixWriter(&out, "a | "), NewPrefixWriter(&out, "b | ")
	_, _ = a.Write([]byte("one "))
	_, _ = b.Write([]byte("uno "))
	_, _ = a.Write([]byte("two\n"))
	_, _ = b.Write([]byte("dos"))
	_ = a.Flush()
	_ = b.Flush()
	if want := "a | one two\nb | uno dos\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

// A line longer than the buffer limit is passed on in pieces, each with
// the prefix, rather than held without bound.
func TestPrefixWriterLongLine(t *testing.T) {
	var c chunks
	w := NewPrefixWriter(&c, "p| ")
	_, _ = w.Write(bytes.Repeat([]byte("x"), maxLine))
	_, _ = w.Write(bytes.Repeat([]byte("x"), 10))
	_ = w.Flush()
	if len(c.got) != 2 || len(c.got[0]) != len("p| ")+maxLine+1 || c.got[1] != "p| xxxxxxxxxx\n" {
		t.Errorf("got %d writes", len(c.got))
	}
}

// io.Copy (what a child's output pipe goes through) gives the same lines
// as Write.
func TestPrefixWriterReadFrom(t *testing.T) {
	var out bytes.Buffer
	w := NewPrefixWriter(&out, "x | ")
	n, err := io.Copy(w, strings.NewReader("one\ntwo\r\nthree"))
	if err != nil || n != 14 {
		t.Fatalf("io.Copy = %d, %v", n, err)
	}
	_ = w.Flush()
	if want := "x | one\nx | two\r\nx | three\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func TestStackPrefixColour(t *testing.T) {
	plain := Style{}
	if got := plain.StackPrefix("blog"); got != "blog | " {
		t.Errorf("plain prefix %q", got)
	}
	c := Style{color: true}
	a, b := c.StackPrefix("blog"), c.StackPrefix("news")
	if !strings.HasPrefix(a, "\x1b[") || !strings.HasSuffix(a, "blog\x1b[0m | ") {
		t.Errorf("coloured prefix %q", a)
	}
	if a == strings.Replace(b, "news", "blog", 1) {
		t.Errorf("blog and news share a colour: %q %q", a, b)
	}
	if c.StackPrefix("blog") != a {
		t.Error("a stack's colour changes between calls")
	}
}
