package codec

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	text := []byte(strings.Repeat("kompose volume archive line\n", 5000))
	for _, c := range []Codec{None, Gzip, Zstd} {
		var b bytes.Buffer
		w, err := c.Writer(&b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(text); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if Sniff(b.Bytes()) != c {
			t.Errorf("%s: sniffed %s", c, Sniff(b.Bytes()))
		}
		r, err := c.Reader(bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, text) {
			t.Errorf("%s: round trip: %v", c, err)
		}
		if c == None {
			continue
		}
		r, err = c.Reader(bytes.NewReader(b.Bytes()[:b.Len()-4]))
		if err == nil {
			_, err = io.ReadAll(r)
		}
		if err == nil {
			t.Errorf("%s: a cut stream reads without error", c)
		}
	}
}

func TestNames(t *testing.T) {
	for in, want := range map[string]Codec{"": None, "none": None, "gz": Gzip, "gzip": Gzip, "zst": Zstd, "zstd": Zstd} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := Parse("xz"); err == nil || !strings.Contains(err.Error(), "use none, gzip or zstd") {
		t.Errorf("Parse(xz): %v", err)
	}
	if c, rest := FromSuffix("a.tar.zst"); c != Zstd || rest != "a.tar" {
		t.Errorf("FromSuffix: %v %q", c, rest)
	}
	if c, rest := FromSuffix("a.tar"); c != None || rest != "a.tar" {
		t.Errorf("FromSuffix: %v %q", c, rest)
	}
}
