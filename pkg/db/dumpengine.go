package db

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// The engine a stack's database runs, for views that must not load every
// stack's compose file (status): DB_ENGINE when set, else the first
// line of the newest dump, which each dump tool writes its own way. The
// image of DB_SERVICE, which Locate reads, would need the compose file
// parsed: status leaves that to db:list and the dry run.

// dumpHeads are the first comment lines of plain dumps, by engine.
var dumpHeads = []struct {
	prefix string
	engine Engine
}{
	{"-- PostgreSQL database dump", Postgres},
	{"-- MariaDB dump", MariaDB},
	{"-- MySQL dump", MySQL}, // mysqldump, and mariadb-dump before 10.5
}

// headEngine reads the engine from the start of a dump's SQL: a custom
// archive is PostgreSQL's; a plain dump says its tool in its first lines
// (mariadb-dump 10.11 may put its sandbox line first).
func headEngine(head []byte) (Engine, bool) {
	if bytes.HasPrefix(head, []byte("PGDMP")) {
		return Postgres, true
	}
	sc := bufio.NewScanner(bytes.NewReader(head))
	for i := 0; i < 4 && sc.Scan(); i++ {
		line := sc.Text()
		for _, h := range dumpHeads {
			if strings.HasPrefix(line, h.prefix) {
				if h.engine == MySQL && strings.Contains(line, "MariaDB") {
					return MariaDB, true
				}
				return h.engine, true
			}
		}
	}
	return 0, false
}

// DumpEngine returns the engine that wrote the dump at path, read from
// its first bytes (decompressed for gzip and zstd; at most 4 KiB of SQL);
// false when the file is encrypted, unreadable, or says no engine. The
// file is opened without following a symlink and without blocking (a FIFO
// is not waited on), and only a regular file is read.
func DumpEngine(path string) (Engine, bool) {
	if strings.HasSuffix(path, ageExt) {
		return 0, false
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return 0, false
	}
	br := bufio.NewReaderSize(f, 4096)
	magic, _ := br.Peek(4)
	var r io.Reader = br
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return 0, false
		}
		defer zr.Close()
		r = zr
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		// A small window: the first KiB of a dump need no more, and a
		// file claiming a huge one is not given the memory.
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(8<<20), zstd.WithDecoderMaxMemory(16<<20))
		if err != nil {
			return 0, false
		}
		defer zr.Close()
		r = zr
	}
	head := make([]byte, 4096)
	n, _ := io.ReadFull(r, head) // a short or damaged file: what was read
	return headEngine(head[:n])
}

// EngineOf is the engine of cfg's database as status names it: DB_ENGINE
// when set, else the one that wrote newest (a dump's path, "" when there
// is none); "" when neither says.
func EngineOf(cfg Config, newest string) string {
	if cfg.EngineSet {
		return cfg.Engine.String()
	}
	if newest != "" {
		if e, ok := DumpEngine(newest); ok {
			return e.String()
		}
	}
	return ""
}
