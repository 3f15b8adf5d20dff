package text

import (
	"errors"
	"fmt"
	"github.com/kompose-dev/kompose/pkg/engine"
	"io"
	"strings"

	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/run"
)

// order says, in a dry run, the order the stacks would run in: the waves
// (what may run together with -j), when the stacks have any order at all.
func (t *Text) order(p *plan.Plan) {
	t.ord = p.Order
	o := p.Order
	if o == nil || len(o.Waves) < 2 && len(o.Added) == 0 {
		return
	}
	dir := "dependencies first"
	if o.Reverse {
		dir = "dependents first (" + quote(p.Command) + " takes stacks down)"
	}
	fmt.Fprintf(t.w, "%s %d wave(s), %s; a wave starts when what it waits for has succeeded\n", t.style.Bold("order:"), len(o.Waves), dir)
	for i, w := range o.Waves {
		names := make([]string, len(w))
		for j, s := range w {
			names[j] = s.Name
			if o.Added[s] {
				names[j] += " (--with-deps)"
			}
		}
		fmt.Fprintf(t.w, "    wave %d: %s\n", i+1, strings.Join(names, ", "))
	}
}

// stackOrder says, in a dry run, what a stack depends on and what it
// would wait for.
func (t *Text) stackOrder(s *plan.Stack) {
	o := t.ord
	if o == nil {
		return
	}
	if o.Added[s] {
		fmt.Fprintf(t.w, "    %s\n", t.style.Dim("added by --with-deps"))
	}
	if ds := o.DependsOn[s]; len(ds) > 0 {
		fmt.Fprintf(t.w, "    depends on: %s\n", strings.Join(ds, ", "))
	}
	after := o.After[s]
	if len(after) == 0 {
		return
	}
	names := make([]string, len(after))
	gated, swarm := false, false
	for i, a := range after {
		names[i] = a.Name
		gated = gated || o.Gated(a)
		swarm = swarm || a.Swarm()
	}
	what := "waits for: " + strings.Join(names, ", ") + " to succeed"
	if o.Reverse {
		what = "waits for its dependents: " + strings.Join(names, ", ")
	}
	if gated {
		how := "every service of them running and healthy (or exited 0)"
		if swarm {
			how += "; a Swarm stack: its services converged"
		}
		what += fmt.Sprintf(", then %s, up to %s (--wait-timeout)", how, o.WaitTimeout)
	}
	fmt.Fprintf(t.w, "    %s\n", what)
}

// StackWaiting implements [run.Waiter].
func (t *Text) StackWaiting(s *plan.Stack, what string) {
	fmt.Fprintf(t.w, "%s %s\n", t.style.Dim("..."), s.Masker.String(what))
}

func isBlocked(err error) bool {
	var b *run.BlockedError
	return errors.As(err, &b)
}

// ForStack implements [run.StackScoped]: while f runs, t's lines carry
// st's prefix.
func (t *Text) ForStack(st *plan.Stack, f func()) { t.prefixed(t.style.StackPrefix(st.Name), f) }

// prefixed runs f with t's lines about a stack prefixed with prefix: the
// reporter of stacks running at once (-j), whose calls are serialised.
func (t *Text) prefixed(prefix string, f func()) {
	w, errW := t.w, t.errW
	t.w, t.errW = &linePrefixer{w: w, prefix: prefix}, &linePrefixer{w: errW, prefix: prefix}
	defer func() { t.w, t.errW = w, errW }()
	f()
}

// linePrefixer writes each line written to it with a prefix; the
// reporter writes whole lines.
type linePrefixer struct {
	w      io.Writer
	prefix string
}

func (l *linePrefixer) Write(b []byte) (int, error) {
	if _, err := io.WriteString(l.w, prefixLine(l.prefix, string(b))); err != nil {
		return 0, err
	}
	return len(b), nil
}

// prefixLine puts prefix before each line of text.
func prefixLine(prefix, text string) string {
	if prefix == "" {
		return text
	}
	lines := strings.SplitAfter(text, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString(prefix)
			b.WriteString(l)
		}
	}
	return b.String()
}

// engineNote is how a stack's engine is shown beside its name: "" for the
// docker CLI's current context, else ", engine NAME".
func engineNote(s *plan.Stack) string {
	if s.Env == nil {
		return ""
	}
	eng := engine.Of(s.Env.Lookup)
	if eng.Default() {
		return ""
	}
	return fmt.Sprintf(", engine %s", eng.Name())
}
