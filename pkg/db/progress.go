package db

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// counter counts the bytes going through a reader or writer.
type counter struct{ n atomic.Int64 }

func (c *counter) Add(n int) { c.n.Add(int64(n)) }
func (c *counter) Load() int64 {
	if c == nil {
		return 0
	}
	return c.n.Load()
}

type countingReader struct {
	r io.Reader
	c *counter
}

func (r countingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.c.Add(n)
	return n, err
}

type countingWriter struct {
	w io.Writer
	c *counter
}

func (w countingWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.c.Add(n)
	return n, err
}

// progress shows bytes and rate while a dump moves. On a terminal it
// rewrites one line; elsewhere (when asked with --progress) it prints a
// line every interval.
type progress struct {
	w        io.Writer
	tty      bool
	label    string
	total    int64 // 0 when unknown
	bytes    func() int64
	interval time.Duration
	start    time.Time
	stop     chan struct{}
	done     sync.WaitGroup
}

func startProgress(w io.Writer, tty bool, label string, total int64, bytes func() int64) *progress {
	p := &progress{w: w, tty: tty, label: label, total: total, bytes: bytes, start: time.Now(), stop: make(chan struct{})}
	p.interval = 5 * time.Second
	if tty {
		p.interval = 250 * time.Millisecond
	}
	p.done.Add(1)
	go p.loop()
	return p
}

func (p *progress) loop() {
	defer p.done.Done()
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			if p.tty {
				fmt.Fprint(p.w, "\r\x1b[K")
			}
			return
		case <-t.C:
			p.print()
		}
	}
}

func (p *progress) print() {
	n := p.bytes()
	el := time.Since(p.start).Seconds()
	line := fmt.Sprintf("    %s %s", p.label, HumanSize(n))
	if p.total > 0 {
		line += fmt.Sprintf(" / %s (%d%%)", HumanSize(p.total), n*100/p.total)
	}
	if el > 0 {
		line += fmt.Sprintf(", %s/s", HumanSize(int64(float64(n)/el)))
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
}

// Stop stops the display (clearing a terminal line).
func (p *progress) Stop() {
	if p == nil {
		return
	}
	close(p.stop)
	p.done.Wait()
}
