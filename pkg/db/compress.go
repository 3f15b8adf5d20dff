package db

import (
	"bufio"
	"bytes"
	"io"
	"regexp"

	"github.com/kompose-dev/kompose/pkg/codec"
)

// codec is the compression of dumps of format f (pkg/codec, shared with
// volume archives): gzip, zstd, or none for plain SQL and custom
// archives (pg_dump compresses those itself).
func (f Format) codec() codec.Codec {
	switch f {
	case Gzip:
		return codec.Gzip
	case Zstd:
		return codec.Zstd
	}
	return codec.None
}

// customMagic starts a pg_dump custom archive.
var customMagic = []byte("PGDMP")

// sniff returns the format of a dump from its first bytes: gzip, zstd,
// custom archive, else plain SQL.
func sniff(head []byte) Format {
	if bytes.HasPrefix(head, customMagic) {
		return Custom
	}
	switch codec.Sniff(head) {
	case codec.Gzip:
		return Gzip
	case codec.Zstd:
		return Zstd
	}
	return Plain
}

// decompressor returns a reader of the SQL inside r for format f (r itself
// for plain SQL and custom archives). A truncated or corrupt stream makes
// Read fail; it never ends early with io.EOF.
func decompressor(r io.Reader, f Format) (io.ReadCloser, error) {
	return f.codec().Reader(r)
}

// Open reads the first bytes of r to learn the dump's format and returns it
// with a reader of the whole stream.
func sniffReader(r io.Reader) (Format, *bufio.Reader, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	head, err := br.Peek(8)
	if err != nil && err != io.EOF {
		return 0, nil, err
	}
	return sniff(head), br, nil
}

// completeMarker is the line pg_dump writes at the very end of a plain
// dump. A plain dump without it is truncated.
const completeMarker = "-- PostgreSQL database dump complete"

// tailKeeper remembers the last bytes written through it, to check that a
// plain dump ends as pg_dump ends it.
type tailKeeper struct {
	buf []byte
	max int
}

func newTail(max int) *tailKeeper { return &tailKeeper{max: max} }

func (t *tailKeeper) Write(p []byte) (int, error) {
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return len(p), nil
	}
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// complete reports whether the stream ended like a whole pg_dump plain dump.
func (t *tailKeeper) complete() bool { return t.completeWith(completeMarker) }

// completeWith reports whether the stream ended with marker in its last
// bytes (an engine's completion line).
func (t *tailKeeper) completeWith(marker string) bool {
	return bytes.Contains(t.buf, []byte(marker))
}

// myCompleteRE is the last line of a whole mariadb-dump or mysqldump
// dump: the marker, the date unless --skip-dump-date, and the newline
// (a dump cut inside that line is not whole).
var myCompleteRE = regexp.MustCompile(`\n-- Dump completed( on [0-9]{4}-[0-9]{2}-[0-9]{2} +[0-9]{1,2}:[0-9]{2}:[0-9]{2})?\r?\n$`)

// myComplete reports whether the stream ended with that line.
func (t *tailKeeper) myComplete() bool { return myCompleteRE.Match(t.buf) }

// engineComplete reports whether the stream ended as the engine's dump
// tool ends a dump.
func (t *tailKeeper) engineComplete(e Engine) bool {
	if e.isMySQLFamily() {
		return t.myComplete()
	}
	return t.complete()
}

// engineMarker is the line the engine's dump tool writes last.
func engineMarker(e Engine) string {
	if e.isMySQLFamily() {
		return myCompleteMarker
	}
	return completeMarker
}
