package vol

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/kompose-dev/kompose/pkg/codec"
)

// Layer is the seam of the writer: a later stage of what is stored (say,
// encryption at rest) wraps the compressed stream on its way to the file
// and unwraps it when the file is read back. Suffix is added to the
// archive's name (".age").
type Layer interface {
	Suffix() string
	Wrap(w io.Writer) (io.WriteCloser, error)
	Unwrap(r io.Reader) (io.Reader, error)
}

// Counts are what an archive holds: entries (files, folders, links…),
// the bytes of its regular files, and the entries left out by exclude.
type Counts struct {
	Files    int64 `json:"files"`
	Bytes    int64 `json:"bytes"`
	Excluded int64 `json:"excluded,omitempty"`
}

// Pipeline turns a tar stream into a stored archive: entries counted and
// excluded paths dropped, compressed with Codec, wrapped by Layers (in
// order), and written to the file; Tee, when set, receives every byte
// written to the file (an offsite copy made in the same pass).
type Pipeline struct {
	Codec   codec.Codec
	Layers  []Layer
	Exclude []string
	Tee     io.Writer
	// Screen, when set, is called by Verify with every entry's header; an
	// error stops the verification (vol:import refuses hostile entries).
	Screen func(*tar.Header) error
}

// Suffix is the stored archive's name suffix: ".tar", the compression's,
// the layers'.
func (p Pipeline) Suffix() string {
	s := ".tar" + p.Codec.Suffix()
	for _, l := range p.Layers {
		s += l.Suffix()
	}
	return s
}

// Write copies the tar stream r through the pipeline into out. Memory
// stays at the buffers' size whatever the archive's.
func (p Pipeline) Write(r io.Reader, out io.Writer) (Counts, error) {
	var c Counts
	bw := bufio.NewWriterSize(out, 1<<20)
	var sink io.Writer = bw
	if p.Tee != nil {
		sink = io.MultiWriter(bw, p.Tee)
	}
	var closers []io.Closer
	w := sink
	for i := len(p.Layers) - 1; i >= 0; i-- {
		lw, err := p.Layers[i].Wrap(w)
		if err != nil {
			return c, err
		}
		closers = append([]io.Closer{lw}, closers...)
		w = lw
	}
	zw, err := p.Codec.Writer(w)
	if err != nil {
		return c, err
	}
	closers = append([]io.Closer{zw}, closers...)
	tw := tar.NewWriter(zw)
	tr := tar.NewReader(bufio.NewReaderSize(r, 256<<10))
	dropped := map[string]bool{}
	buf := make([]byte, 256<<10)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return c, fmt.Errorf("read the engine's tar stream: %w", err)
		}
		if excluded(p.Exclude, h.Name) || (h.Typeflag == tar.TypeLink && dropped[h.Linkname]) {
			dropped[h.Name] = true
			c.Excluded++
			continue
		}
		if err := tw.WriteHeader(h); err != nil {
			return c, fmt.Errorf("write %s: %w", h.Name, err)
		}
		if h.Typeflag == tar.TypeReg {
			n, err := io.CopyBuffer(tw, tr, buf)
			c.Bytes += n
			if err != nil {
				return c, fmt.Errorf("copy %s: %w", h.Name, err)
			}
		}
		c.Files++
	}
	if err := tw.Close(); err != nil {
		return c, err
	}
	for _, cl := range closers {
		if err := cl.Close(); err != nil {
			return c, err
		}
	}
	return c, bw.Flush()
}

// Verify reads a stored archive in full: unwraps its layers, decompresses
// it, parses every entry and reads every byte. It returns what it holds
// and the sha256 of the stored bytes.
func (p Pipeline) Verify(r io.Reader) (Counts, string, error) {
	var c Counts
	h := sha256.New()
	var in io.Reader = io.TeeReader(bufio.NewReaderSize(r, 1<<20), h)
	for _, l := range p.Layers {
		ur, err := l.Unwrap(in)
		if err != nil {
			return c, "", err
		}
		in = ur
	}
	zr, err := p.Codec.Reader(in)
	if err != nil {
		return c, "", err
	}
	defer zr.Close()
	cr := &countingReader{r: zr}
	tr := tar.NewReader(cr)
	for {
		before := cr.n
		hd, err := tr.Next()
		if errors.Is(err, io.EOF) {
			// A tar ends with two zero blocks (Go's reader accepts one);
			// it also takes a cut after an entry, where it read at most
			// the entry's padding, for the end.
			if cr.n-before < 512 {
				return c, "", fmt.Errorf("the tar stream ends without its end-of-archive blocks (cut after %d entries)", c.Files)
			}
			break
		}
		if err != nil {
			return c, "", err
		}
		if p.Screen != nil {
			if err := p.Screen(hd); err != nil {
				return c, "", err
			}
		}
		// Every entry's data is read (not only regular files'), so that
		// only its padding is left for the next header's read.
		n, err := io.Copy(io.Discard, tr)
		if hd.Typeflag == tar.TypeReg {
			c.Bytes += n
		}
		if err != nil {
			return c, "", err
		}
		c.Files++
	}
	// What follows the tar's end (padding, the compressor's frame end)
	// is read too: a file cut there is not whole.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return c, "", err
	}
	if _, err := io.Copy(io.Discard, in); err != nil {
		return c, "", err
	}
	return c, hex.EncodeToString(h.Sum(nil)), nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
