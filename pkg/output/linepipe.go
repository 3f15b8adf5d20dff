package output

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// LinePipe is an OS pipe whose read end feeds a [PrefixWriter]. Every
// process of one stack gets its write end, W, as its output: a plain file
// descriptor, so starting a process costs no pipe and no copying goroutine
// of its own (a run starts thousands of short hooks). One goroutine reads
// the pipe for the pipe's whole life.
//
// [LinePipe.Sync], called when a step's process has ended, returns once
// everything the process wrote has reached the PrefixWriter and flushes
// it: kompose writes a random marker to the pipe, and the pipe keeps
// order, so what is before the marker is the step's.
type LinePipe struct {
	W *os.File

	r     *os.File
	pw    *PrefixWriter
	mark  []byte
	marks chan struct{}
	done  chan struct{}
	err   error // the reader's error, set before done is closed
}

// closeWait is how long Close waits for processes left behind by a step
// (a hook's "daemon &") to let go of the pipe.
const closeWait = 2 * time.Second

// NewLinePipe returns a pipe feeding pw.
func NewLinePipe(pw *PrefixWriter) (*LinePipe, error) {
	var rnd [12]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, fmt.Errorf("output pipe: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("output pipe: %w", err)
	}
	p := &LinePipe{
		W: w, r: r, pw: pw,
		// NUL and ESC around random hex: no program prints this.
		mark:  []byte("\x00\x1bkompose-sync-" + hex.EncodeToString(rnd[:]) + "\x00"),
		marks: make(chan struct{}),
		done:  make(chan struct{}),
	}
	go p.read()
	return p, nil
}

func (p *LinePipe) read() {
	defer close(p.done)
	buf := make([]byte, 32<<10)
	var data []byte // what is read and not yet passed on
	// A failure to write what was read (kompose's output closed) is not
	// a reason to stop reading: the processes writing to the pipe would
	// block once it is full.
	for {
		n, err := p.r.Read(buf)
		data = append(data, buf[:n]...)
		for {
			i := bytes.Index(data, p.mark)
			if i < 0 {
				break
			}
			_, _ = p.pw.Write(data[:i])
			data = data[i+len(p.mark):]
			p.marks <- struct{}{}
		}
		// Keep back only an end of data that may be the start of a
		// marker; pass the rest on.
		keep := partialMark(data, p.mark)
		_, _ = p.pw.Write(data[:len(data)-keep])
		data = append(data[:0], data[len(data)-keep:]...)
		if err != nil {
			if len(data) > 0 {
				_, _ = p.pw.Write(data)
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrClosed) {
				p.err = err
			}
			return
		}
	}
}

// partialMark returns the length of the longest end of data that is a
// beginning of mark.
func partialMark(data, mark []byte) int {
	for k := min(len(mark)-1, len(data)); k > 0; k-- {
		if bytes.Equal(data[len(data)-k:], mark[:k]) {
			return k
		}
	}
	return 0
}

// Sync waits until everything written to W so far has been passed to the
// PrefixWriter, then flushes it (a line left without an end is ended).
func (p *LinePipe) Sync() error {
	if _, err := p.W.Write(p.mark); err != nil {
		return fmt.Errorf("output pipe: %w", err)
	}
	select {
	case <-p.marks:
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("output pipe: %w", p.err)
		}
	}
	return p.pw.Flush()
}

// Close closes W and waits for the reader to pass on what is left; a
// process that still holds W after closeWait is cut off.
func (p *LinePipe) Close() error {
	err := p.W.Close()
	select {
	case <-p.done:
	case <-time.After(closeWait):
		_ = p.r.Close()
		<-p.done
	}
	_ = p.r.Close()
	if e := p.pw.Flush(); err == nil {
		err = e
	}
	return err
}
