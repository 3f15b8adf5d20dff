package proc

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// InterruptedError is the cause of a context cancelled by a signal.
type InterruptedError struct{ Signal os.Signal }

func (e *InterruptedError) Error() string { return "interrupted by " + e.Signal.String() }

// Relay passes the signals kompose receives (SIGINT, SIGTERM, SIGHUP) to
// the processes it is running, and cancels a context so that no further
// step starts.
//
// A SIGINT typed at the terminal already reaches every process of the
// foreground process group, children included; passing it on as well would
// make docker compose see two Ctrl-C and skip its graceful stop. So SIGINT
// is relayed only when kompose is not in the terminal's foreground group;
// SIGTERM and SIGHUP, which are sent to kompose alone, always are.
type Relay struct {
	mu    sync.Mutex
	procs map[*os.Process]bool // true: signal its whole process group
	sigs  chan os.Signal
	stop  context.CancelCauseFunc
	done  chan struct{}
	// foreground reports whether kompose is in its terminal's foreground
	// process group.
	foreground func() bool
}

// NotifyContext starts relaying signals and returns a context cancelled
// (with an *InterruptedError cause) at the first one. Call Stop when done.
func NotifyContext(parent context.Context) (context.Context, *Relay) {
	return notifyContext(parent, inForeground)
}

// notifyContext is NotifyContext with the foreground test replaced (tests
// must not depend on the terminal they run in).
func notifyContext(parent context.Context, foreground func() bool) (context.Context, *Relay) {
	ctx, cancel := context.WithCancelCause(parent)
	r := &Relay{
		procs:      map[*os.Process]bool{},
		sigs:       make(chan os.Signal, 4),
		stop:       cancel,
		done:       make(chan struct{}),
		foreground: foreground,
	}
	signal.Notify(r.sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go r.loop()
	return ctx, r
}

func (r *Relay) loop() {
	for {
		select {
		case s := <-r.sigs:
			r.stop(&InterruptedError{Signal: s})
			fg := s == syscall.SIGINT && r.foreground()
			r.mu.Lock()
			for p, group := range r.procs {
				signalProc(p, group, s, fg)
			}
			r.mu.Unlock()
		case <-r.done:
			return
		}
	}
}

// Stop stops relaying and restores default signal handling.
func (r *Relay) Stop() {
	signal.Stop(r.sigs)
	close(r.done)
	r.stop(nil)
}

// signalProc passes s on to p, or to p's whole process group when group
// is set. A SIGINT typed at the terminal (fgInt) already reached p unless p
// has a group of its own.
func signalProc(p *os.Process, group bool, s os.Signal, fgInt bool) {
	if group {
		if sig, ok := s.(syscall.Signal); ok {
			_ = syscall.Kill(-p.Pid, sig)
		}
		return
	}
	if !fgInt {
		_ = p.Signal(s)
	}
}

// add registers a started process; group says it leads a process group of
// its own. A signal that arrived while it was starting is passed on now, so
// no child outlives an interrupted kompose.
func (r *Relay) add(ctx context.Context, p *os.Process, group bool) {
	r.mu.Lock()
	r.procs[p] = group
	r.mu.Unlock()
	var ie *InterruptedError
	if errors.As(context.Cause(ctx), &ie) {
		signalProc(p, group, ie.Signal, ie.Signal == syscall.SIGINT && r.foreground())
	}
}

func (r *Relay) remove(p *os.Process) {
	r.mu.Lock()
	delete(r.procs, p)
	r.mu.Unlock()
}

// inForeground reports whether this process's group is the foreground group
// of its controlling terminal. Without a terminal it is false.
func inForeground() bool {
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false
	}
	defer tty.Close()
	fg, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	if err != nil {
		return false
	}
	return fg == unix.Getpgrp()
}
