package db

import (
	"bufio"
	"bytes"
	"testing"
)

// archiveHead builds a custom archive's header as pg_dump writes it.
func archiveHead(vmin byte, db string) []byte {
	var b bytes.Buffer
	b.WriteString("PGDMP")
	b.Write([]byte{1, vmin, 0, 4, 8, 1})
	putInt := func(v int) { b.Write([]byte{0, byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}) }
	if vmin >= 15 {
		b.WriteByte(0) // compression algorithm
	} else {
		b.Write([]byte{1, 1, 0, 0, 0}) // -1: default compression level
	}
	for i := 0; i < 7; i++ {
		putInt(i)
	}
	putInt(len(db))
	b.WriteString(db)
	putInt(4)
	b.WriteString("16.4")
	return b.Bytes()
}

func TestReadArchiveHead(t *testing.T) {
	for _, vmin := range []byte{14, 15, 16} {
		got, err := readArchiveHead(bufio.NewReader(bytes.NewReader(archiveHead(vmin, "blog"))))
		if err != nil || got != "blog" {
			t.Errorf("format 1.%d: %q, %v; want blog", vmin, got, err)
		}
	}
	if got, err := readArchiveHead(bufio.NewReader(bytes.NewReader(archiveHead(14, "blog")[:30]))); err == nil {
		t.Errorf("a cut header: %q, want an error", got)
	}
	for name, want := range map[string]string{
		"news_20240101_000000.sql":            "news",
		"news_archive_20240101_000000_2.dump": "news_archive",
		"news_20240101_000000.sql.zst":        "news",
		"backup.sql":                          "",
		"news_2024.sql":                       "",
	} {
		o, err := DumpOrigin("/nonexistent/"+name, Plain, false)
		if err != nil || o.DB != want {
			t.Errorf("%s: %+v %v, want %q", name, o, err, want)
		}
	}
}
