// Package codec holds the compressions of kompose's backups (none, gzip,
// zstd): their names, file suffixes, streaming writers and readers, and
// how to tell them from their first bytes.
//
// Why klauspost/compress: its gzip is a drop-in for compress/gzip at about
// twice the speed, and the standard library has no zstd. Both write
// streams the standard gzip and zstd tools read.
package codec

import (
	"bytes"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Codec is a compression.
type Codec int

// The compressions.
const (
	None Codec = iota
	Gzip
	Zstd
)

// Parse reads a --compress value: none, gzip (gz) or zstd (zst).
func Parse(s string) (Codec, error) {
	switch s {
	case "none", "":
		return None, nil
	case "gzip", "gz":
		return Gzip, nil
	case "zstd", "zst":
		return Zstd, nil
	}
	return None, fmt.Errorf("%q: use none, gzip or zstd", s)
}

func (c Codec) String() string {
	return [...]string{"none", "gzip", "zstd"}[c]
}

// Suffix is what the compression adds to a file name: "", ".gz", ".zst".
func (c Codec) Suffix() string {
	return [...]string{"", ".gz", ".zst"}[c]
}

// FromSuffix finds the compression of a name ending in ".gz" or ".zst"
// (None otherwise) and returns the name without that suffix.
func FromSuffix(name string) (Codec, string) {
	for _, c := range []Codec{Gzip, Zstd} {
		if s, ok := bytes.CutSuffix([]byte(name), []byte(c.Suffix())); ok {
			return c, string(s)
		}
	}
	return None, name
}

// Writer wraps w in the compressor of c. Closing it ends the compressed
// stream; it does not close w. None passes the bytes through.
func (c Codec) Writer(w io.Writer) (io.WriteCloser, error) {
	switch c {
	case Gzip:
		return gzip.NewWriterLevel(w, gzip.DefaultCompression)
	case Zstd:
		return zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(2),
			// Literals are entropy-coded even in blocks without matches,
			// as the zstd tool does: text without repeats (base64, logs of
			// random ids) still shrinks by a quarter.
			zstd.WithAllLitEntropyCompression(true))
	}
	return nopCloser{w}, nil
}

// Reader returns a reader of what c compressed into r. A truncated or
// corrupt stream makes Read fail; it never ends early with io.EOF.
func (c Codec) Reader(r io.Reader) (io.ReadCloser, error) {
	switch c {
	case Gzip:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	case Zstd:
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return zr.IOReadCloser(), nil
	}
	return io.NopCloser(r), nil
}

// Sniff tells the compression from the first bytes of a stream.
func Sniff(head []byte) Codec {
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return Gzip
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return Zstd
	}
	return None
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
