package db

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"strings"
	"sync"
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

// HeadReader reads the engine from dumps' first bytes (DumpEngine),
// reusing one zstd decoder for every dump it reads: creating one costs
// about half a millisecond, which status would pay per stack. Safe for
// concurrent use; the zero value is ready.
type HeadReader struct {
	mu sync.Mutex
	zr *zstd.Decoder
}

// DumpEngine returns the engine that wrote the dump at path, read from
// its first bytes (decompressed for gzip and zstd; at most 4 KiB of SQL);
// false when the file is encrypted, unreadable, or says no engine. The
// file is opened without following a symlink and without blocking (a FIFO
// is not waited on), and only a regular file is read.
func DumpEngine(path string) (Engine, bool) { return new(HeadReader).Engine(path) }

// Engine is [DumpEngine] with h's decoder.
func (h *HeadReader) Engine(path string) (Engine, bool) {
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
	head := make([]byte, 4096)
	n := 0
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return 0, false
		}
		defer zr.Close()
		n, _ = io.ReadFull(zr, head)
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		if n, err = h.zstdHead(br, head); err != nil {
			return 0, false
		}
	default:
		n, _ = io.ReadFull(br, head) // a short file: what was read
	}
	return headEngine(head[:n])
}

// zstdHead decompresses the start of r into head with h's decoder.
func (h *HeadReader) zstdHead(r io.Reader, head []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.zr == nil {
		// Synchronous (no goroutines), and a small window: the first
		// KiB of a dump need no more, and a file claiming a huge one
		// is not given the memory.
		zr, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(8<<20), zstd.WithDecoderMaxMemory(16<<20))
		if err != nil {
			return 0, err
		}
		h.zr = zr
	}
	if err := h.zr.Reset(r); err != nil {
		return 0, err
	}
	n, _ := io.ReadFull(h.zr, head)
	return n, nil
}

// EngineOf is the engine of cfg's database as status names it: DB_ENGINE
// when set, else the one that wrote newest (a dump's path, "" when there
// is none), read with h (nil: a decoder of its own); "" when neither
// says.
func EngineOf(cfg Config, newest string, h *HeadReader) string {
	if cfg.EngineSet {
		return cfg.Engine.String()
	}
	if h == nil {
		h = new(HeadReader)
	}
	if newest != "" {
		if e, ok := h.Engine(newest); ok {
			return e.String()
		}
	}
	return ""
}
