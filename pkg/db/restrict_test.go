package db

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestRestrictingReader(t *testing.T) {
	long := strings.Repeat("x", 200<<10)
	in := "--\n-- PostgreSQL database dump\n--\n\n\\restrict Abc123\n\nSELECT 1;\n" +
		"\\restrict Abc123\n" + // not in the header: stays (psql refuses it)
		"SELECT '" + long + "';\n" +
		"\\unrestrict Abc123\n" + // pg_dump's: blanked
		"\\unrestrict Abc1234\n" + // another key: stays
		"-- PostgreSQL database dump complete\n\n\\unrestrict Abc123\n"
	out, err := io.ReadAll(newRestrictingReader(strings.NewReader(in), "KEY"))
	if err != nil {
		t.Fatal(err)
	}
	want := "\\restrict KEY\n" + strings.Replace(strings.Replace(strings.Replace(in,
		"\n\\restrict Abc123\n\nSELECT", "\n\n\nSELECT", 1),
		"\\unrestrict Abc123\n\\unrestrict Abc1234", "\n\\unrestrict Abc1234", 1),
		"\n\\unrestrict Abc123\n", "\n\n", -1)
	if string(out) != want {
		t.Errorf("got\n%.400q\nwant\n%.400q", out, want)
	}
	if got, wantN := bytes.Count(out, []byte("\n")), strings.Count(in, "\n")+1; got != wantN {
		t.Errorf("%d lines, want %d (line numbers must stay)", got, wantN)
	}
	// A \restrict after a statement is not pg_dump's header line.
	out, _ = io.ReadAll(newRestrictingReader(strings.NewReader("SELECT 1;\n\\restrict K\n"), "KEY"))
	if string(out) != "\\restrict KEY\nSELECT 1;\n\\restrict K\n" {
		t.Errorf("got %q", out)
	}
}

func TestStdinNamer(t *testing.T) {
	var b bytes.Buffer
	n := &stdinNamer{w: &b, file: "/srv/news/x.sql", offset: 1, key: "KEY42"}
	io.WriteString(n, "psql:<stdin>:42: error: backslash commands are restricted\npsql:<stdin>:1: KEY42 ")
	n.Flush()
	if want := "/srv/news/x.sql:41: error: backslash commands are restricted\n/srv/news/x.sql: **** "; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
