package vol

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/kompose-dev/kompose/pkg/codec"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/safefile"
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
	if c, err = p.encode(r, zw); err != nil {
		return c, err
	}
	for _, cl := range closers {
		if err := cl.Close(); err != nil {
			return c, err
		}
	}
	return c, bw.Flush()
}

// encode copies the tar stream r into w, counting its entries: unchanged
// when nothing is excluded (the engine's stream is stored as it came,
// with what follows the tar's end), else re-written without the excluded
// entries.
func (p Pipeline) encode(r io.Reader, w io.Writer) (Counts, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	if len(p.Exclude) == 0 {
		c, err := countTar(br, w, nil)
		if err != nil {
			return c, fmt.Errorf("read the engine's tar stream: %w", err)
		}
		return c, nil
	}
	var c Counts
	tw := tar.NewWriter(w)
	tr := tar.NewReader(br)
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
	// What follows the tar's end is read, not stored.
	_, err := io.CopyBuffer(discard{}, br, buf)
	return c, err
}

// countTar reads the tar stream r in full, parsing every entry and
// reading every byte, and counts its entries and the bytes of its
// regular files. Every byte read, what follows the tar's end included,
// is copied to w as it is (w may be io.Discard). A stream without its
// end-of-archive blocks is not whole; screen, when set, sees every
// entry's header first and may refuse it.
func countTar(r io.Reader, w io.Writer, screen func(*tar.Header) error) (Counts, error) {
	var c Counts
	cr := &countingReader{r: io.TeeReader(r, w)}
	tr := tar.NewReader(cr)
	buf := make([]byte, 256<<10)
	for {
		before := cr.n
		hd, err := tr.Next()
		if errors.Is(err, io.EOF) {
			// A tar ends with two zero blocks (Go's reader accepts one);
			// it also takes a cut after an entry, where it read at most
			// the entry's padding, for the end.
			if cr.n-before < 512 {
				return c, fmt.Errorf("the tar stream ends without its end-of-archive blocks (cut after %d entries)", c.Files)
			}
			break
		}
		if err != nil {
			return c, err
		}
		if screen != nil {
			if err := screen(hd); err != nil {
				return c, err
			}
		}
		// Every entry's data is read (not only regular files'), so that
		// only its padding is left for the next header's read.
		n, err := io.CopyBuffer(discard{}, tr, buf)
		if hd.Typeflag == tar.TypeReg {
			c.Bytes += n
		}
		if err != nil {
			return c, err
		}
		c.Files++
	}
	_, err := io.CopyBuffer(w, struct{ io.Reader }{r}, buf)
	return c, err
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

// discard is io.Discard without its ReadFrom, so that io.CopyBuffer
// reads with the buffer it is given (large reads, large copies to a
// tee) rather than io.Discard's 8 kB one.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

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
	// Every entry is parsed and every byte read, what follows the tar's
	// end (padding, the compressor's frame end) too: a file cut there is
	// not whole.
	if c, err = countTar(zr, discard{}, p.Screen); err != nil {
		return c, "", err
	}
	if _, err := io.CopyBuffer(discard{}, in, make([]byte, 256<<10)); err != nil {
		return c, "", err
	}
	return c, hex.EncodeToString(h.Sum(nil)), nil
}

// Program is the compression program the pipeline runs instead of its Go
// compressor, when it can: the codec's program is installed (zstd) and no
// Layer or Tee needs the bytes in Go.
func (p Pipeline) Program() (codec.Program, bool) {
	if len(p.Layers) > 0 || p.Tee != nil {
		return codec.Program{}, false
	}
	prog, ok := p.Codec.Program()
	// -T0: reading the stream, compressing and writing the file overlap
	// on a second core (docs/performance.md).
	prog.Threads = 0
	return prog, ok
}

// WriteFile is Write into the file out. With the compression program
// ([Pipeline.Program]) kompose parses and counts the stream on its way
// into the program, whose output goes straight into out; env is the
// program's environment. A program that fails (a full disk) is reported
// as the failure; the stream's reader then stops too.
func (p Pipeline) WriteFile(ctx context.Context, run proc.Runner, env []string, r io.Reader, out *os.File) (Counts, error) {
	prog, ok := p.Program()
	if !ok {
		return p.Write(r, out)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return Counts{}, err
	}
	errc := make(chan error, 1)
	go func() {
		err := prog.Compress(ctx, run, pr, out, env)
		pr.Close() // the program has ended: a write to the pipe fails now
		errc <- err
	}()
	bw := bufio.NewWriterSize(pw, 1<<20)
	c, werr := p.encode(r, bw)
	if werr == nil {
		werr = bw.Flush()
	}
	pw.Close() // the program sees the stream's end (or its cut)
	if perr := <-errc; perr != nil {
		if safefile.DiskFull(filepath.Dir(out.Name())) {
			return c, fmt.Errorf("%w (%w)", syscall.ENOSPC, perr)
		}
		return c, perr
	}
	return c, werr
}

// VerifyFile is Verify of the whole file f, from its start. With the
// compression program, the program decompresses the file (its frame
// checksums checked) into kompose, which parses every entry and reads
// every byte, while the stored bytes' sha256 is computed beside it.
func (p Pipeline) VerifyFile(ctx context.Context, run proc.Runner, env []string, f *os.File) (Counts, string, error) {
	fi, err := f.Stat()
	if err != nil {
		return Counts{}, "", err
	}
	size := fi.Size()
	prog, ok := p.Program()
	if !ok {
		return p.Verify(io.NewSectionReader(f, 0, size))
	}
	// The program reads f itself, from its start (its file offset; the
	// hash reads with pread, which leaves the offset alone).
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Counts{}, "", err
	}
	type hashed struct {
		sum string
		err error
	}
	hc := make(chan hashed, 1)
	go func() {
		h := sha256.New()
		_, err := io.CopyBuffer(h, io.NewSectionReader(f, 0, size), make([]byte, 1<<20))
		hc <- hashed{hex.EncodeToString(h.Sum(nil)), err}
	}()
	pr, pw, err := os.Pipe()
	if err != nil {
		<-hc
		return Counts{}, "", err
	}
	errc := make(chan error, 1)
	go func() {
		err := prog.Decompress(ctx, run, f, pw, env)
		pw.Close() // the program has ended: the reader sees the end
		errc <- err
	}()
	c, cerr := countTar(bufio.NewReaderSize(pr, 1<<20), discard{}, p.Screen)
	pr.Close() // a parse that failed stops the program (EPIPE)
	perr := <-errc
	h := <-hc
	switch {
	case perr != nil:
		return c, "", perr
	case cerr != nil:
		return c, "", cerr
	case h.err != nil:
		return c, "", h.err
	}
	return c, h.sum, nil
}
