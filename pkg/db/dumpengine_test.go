package db

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// TestDumpEngine: the engine is read from a dump's first lines, also
// gzip- and zstd-compressed; an encrypted dump, a FIFO, a symlink and a
// file that says nothing give none.
func TestDumpEngine(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.Bytes()
	}
	zs := func(s string) []byte {
		w, _ := zstd.NewWriter(nil)
		return w.EncodeAll([]byte(s), nil)
	}
	maria := "/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB\n--\n"
	cases := []struct {
		name string
		body []byte
		want string
	}{
		{"pg.sql", []byte("--\n-- PostgreSQL database dump\n--\n"), "postgres"},
		{"pg.dump", []byte("PGDMP\x01\x0f"), "postgres"},
		{"maria.sql", []byte(maria), "mariadb"},
		{"maria.sql.gz", gz(maria), "mariadb"},
		{"maria.sql.zst", zs(maria), "mariadb"},
		{"old-maria.sql", []byte("-- MySQL dump 10.19  Distrib 10.3.39-MariaDB, for debian-linux-gnu\n"), "mariadb"},
		{"mysql.sql", []byte("-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n"), "mysql"},
		{"enc.sql.zst.age", []byte("-- MariaDB dump\n"), ""},
		{"other.sql", []byte("SELECT 1;\n" + strings.Repeat("x", 10000) + "\n-- MariaDB dump\n"), ""},
		{"empty.sql", nil, ""},
	}
	heads := new(HeadReader) // one decoder for every file
	for _, c := range cases {
		got := EngineOf(Config{}, write(c.name, c.body), heads)
		if got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	if got := EngineOf(Config{Engine: MySQL, EngineSet: true}, filepath.Join(dir, "maria.sql"), nil); got != "mysql" {
		t.Errorf("DB_ENGINE does not win: %q", got)
	}
	if err := os.Symlink(filepath.Join(dir, "maria.sql"), filepath.Join(dir, "link.sql")); err != nil {
		t.Fatal(err)
	}
	if got := EngineOf(Config{}, filepath.Join(dir, "link.sql"), heads); got != "" {
		t.Errorf("symlink followed: %q", got)
	}
	fifo := filepath.Join(dir, "fifo.sql")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := EngineOf(Config{}, fifo, heads); got != "" { // returns at once: not waited on
		t.Errorf("fifo: %q", got)
	}
}
