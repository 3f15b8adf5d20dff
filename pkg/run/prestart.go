package run

import (
	"context"

	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
)

// Prestarter is implemented by process runners that can start a gated
// process ahead of its turn ([proc.OS]).
type Prestarter interface {
	Start(ctx context.Context, c proc.Cmd) (*proc.Started, error)
}

// window starts gated steps (hooks.sh hooks) up to Lookahead steps ahead of
// the running one, so their start-up overlaps the work before them. A
// started step still does nothing until its turn: it is released then, or
// aborted if its stack failed first. The order of what runs is unchanged.
type window struct {
	ps      Prestarter
	cmdFor  func(*plan.Stack, *plan.Step) proc.Cmd
	ahead   int
	order   []slot // every step of every runnable stack, in run order
	next    int    // first slot not yet considered for starting
	pending map[*plan.Step]*future
	dead    map[*plan.Stack]bool // stacks whose remaining steps will not run
}

// future is a gated process being started in the background: fork and exec
// take as long as the rest of a hook here, so they too leave the critical
// path.
type future struct {
	done    chan struct{}
	started *proc.Started
	err     error
}

func (f *future) get() (*proc.Started, error) {
	<-f.done
	return f.started, f.err
}

type slot struct {
	stack *plan.Stack
	step  *plan.Step
}

func newWindow(ps Prestarter, ahead int, p *plan.Plan, cmdFor func(*plan.Stack, *plan.Step) proc.Cmd) *window {
	w := &window{ps: ps, cmdFor: cmdFor, ahead: ahead, pending: map[*plan.Step]*future{}, dead: map[*plan.Stack]bool{}}
	if ps == nil || ahead <= 0 {
		return w
	}
	for _, s := range p.Stacks {
		if s.Err != nil {
			continue
		}
		for i := range s.Steps {
			// Fail hooks run only after a failure, and skipped hooks
			// never: neither is started ahead.
			if st := &s.Steps[i]; st.When != plan.OnFailure && st.Skip == "" {
				w.order = append(w.order, slot{s, st})
			}
		}
	}
	return w
}

// advance is called when step st is about to run: it starts the gated
// steps up to ahead slots after it.
func (w *window) advance(ctx context.Context, st *plan.Step) {
	if len(w.order) == 0 {
		return
	}
	cur := w.next
	for cur < len(w.order) && w.order[cur].step != st {
		cur++
	}
	if cur == len(w.order) { // already passed: find it from the start
		for cur = 0; cur < len(w.order) && w.order[cur].step != st; cur++ {
		}
	}
	limit := min(cur+w.ahead, len(w.order)-1)
	for i := max(w.next, cur); i <= limit; i++ {
		sl := w.order[i]
		if !sl.step.Cmd.Gate || w.dead[sl.stack] || w.pending[sl.step] != nil {
			continue
		}
		f := &future{done: make(chan struct{})}
		cmd := w.cmdFor(sl.stack, sl.step)
		go func() {
			defer close(f.done)
			f.started, f.err = w.ps.Start(ctx, cmd)
		}()
		w.pending[sl.step] = f
	}
	w.next = max(w.next, limit+1)
}

// take returns the started process of st, if it was started ahead and
// started well (one that failed to start is started again in its turn, and
// fails visibly then).
func (w *window) take(st *plan.Step) *proc.Started {
	f := w.pending[st]
	if f == nil {
		return nil
	}
	delete(w.pending, st)
	s, err := f.get()
	if err != nil {
		return nil
	}
	return s
}

// drop aborts the started steps of a stack that will not run them.
func (w *window) drop(s *plan.Stack) {
	if w.ps == nil {
		return // nothing is started ahead (a dry run, or -j: stacks at once)
	}
	w.dead[s] = true
	for i := range s.Steps {
		if p := w.take(&s.Steps[i]); p != nil {
			p.Abort()
			_ = p.Wait()
		}
	}
}

// close aborts whatever is still waiting (after an interrupt).
func (w *window) close() {
	for st := range w.pending {
		if p := w.take(st); p != nil {
			p.Abort()
			_ = p.Wait()
		}
	}
}
