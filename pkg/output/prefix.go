package output

import (
	"io"
	"sync"
)

// maxLine is how much of a line without end a [PrefixWriter] holds before
// passing it on as a line of its own.
const maxLine = 64 << 10

// PrefixWriter writes every line written to it to the writer beneath with
// a prefix ("blog | "). It passes on only whole lines, each with its
// prefix in one Write, so writers of several stacks may share one stream
// without gluing their lines together. A line ends with "\n", "\r\n" or a
// lone "\r" (a progress bar redrawing itself: each redraw keeps its
// prefix). What is left without an end is held until more comes or
// [PrefixWriter.Flush], which ends it with "\n". Safe for concurrent use.
type PrefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	line   []byte // prefix + the current line, not yet passed on
	cr     bool   // line ends with '\r': "\n" may follow
	bufs   sync.Pool
}

// readBuf is the size of the buffers [PrefixWriter.ReadFrom] reads with.
const readBuf = 4 << 10

// NewPrefixWriter returns a writer that prefixes each line with prefix
// and writes it to w.
func NewPrefixWriter(w io.Writer, prefix string) *PrefixWriter {
	return &PrefixWriter{w: w, prefix: prefix}
}

// Write implements io.Writer. It reports all of p as written unless the
// writer beneath fails.
func (p *PrefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(b)
	for len(b) > 0 {
		if p.cr {
			p.cr = false
			if b[0] == '\n' {
				p.line = append(p.line, '\n')
				b = b[1:]
			}
			if err := p.emit(); err != nil {
				return n - len(b), err
			}
			continue
		}
		if len(p.line) == 0 {
			p.line = append(p.line, p.prefix...)
		}
		i := indexEnd(b)
		if i < 0 {
			p.line = append(p.line, b...)
			b = nil
			if len(p.line)-len(p.prefix) >= maxLine {
				p.line = append(p.line, '\n')
				if err := p.emit(); err != nil {
					return n, err
				}
			}
			break
		}
		p.line = append(p.line, b[:i+1]...)
		end := b[i]
		b = b[i+1:]
		if end == '\r' {
			p.cr = true // decided by the next byte, or by Flush
			continue
		}
		if err := p.emit(); err != nil {
			return n - len(b), err
		}
	}
	return n, nil
}

// ReadFrom copies r to p until EOF. It is what io.Copy uses (a child's
// output pipe): the buffer is reused across the many short-lived children
// of a run instead of a fresh 32 KiB one each.
func (p *PrefixWriter) ReadFrom(r io.Reader) (int64, error) {
	bp, _ := p.bufs.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, readBuf)
		bp = &b
	}
	defer p.bufs.Put(bp)
	var n int64
	for {
		m, err := r.Read(*bp)
		if m > 0 {
			n += int64(m)
			if _, werr := p.Write((*bp)[:m]); werr != nil {
				return n, werr
			}
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// Flush passes on a line held without its end, ending it with "\n". Call
// it when the process writing to p has ended (a step's end).
func (p *PrefixWriter) Flush() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.line) == 0 {
		return nil
	}
	p.cr = false
	p.line = append(p.line, '\n')
	return p.emit()
}

func (p *PrefixWriter) emit() error {
	_, err := p.w.Write(p.line)
	p.line = p.line[:0]
	return err
}

func indexEnd(b []byte) int {
	for i, c := range b {
		if c == '\n' || c == '\r' {
			return i
		}
	}
	return -1
}
