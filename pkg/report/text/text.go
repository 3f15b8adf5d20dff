// Package text is the reporter for people: kompose's own lines while a
// plan runs (on stderr, so stdout carries exactly what compose and the
// hooks print) and a dry run's plan (on stdout). It is a run.Reporter, fed
// the same events as the JSON, metrics and ping reporters beside it.
package text

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/run"
	"mvdan.cc/sh/v3/syntax"
)

// Text reports for people. In a real run kompose's own lines go to the
// error stream, so standard output carries exactly what compose and the
// hooks print; a dry run's plan is the output, so it goes to standard
// output.
type Text struct {
	w     io.Writer
	errW  io.Writer
	style output.Style
	dry   bool
	ord   *plan.Order // the plan's order, for the dry run (report_order.go)
}

// New returns a text reporter on ios.
func New(ios *output.IOStreams, dryRun bool) *Text {
	if dryRun {
		return &Text{w: ios.Out, errW: ios.ErrOut, style: ios.StyleFor(ios.OutTTY), dry: true}
	}
	return &Text{w: ios.ErrOut, errW: ios.ErrOut, style: ios.StyleFor(ios.ErrTTY)}
}

// CommandLine formats a step as a shell command line, secrets masked. Each
// argument is masked before it is quoted: quoting changes how a secret
// with quotes, $, \ or control characters is written, and a masker that
// looked for the secret in the quoted line would miss it. The label (the
// program or hook) is kompose's, not a value.
func CommandLine(s *plan.Stack, st *plan.Step) string {
	var b strings.Builder
	b.WriteString(st.Label)
	for _, a := range st.Args {
		b.WriteByte(' ')
		b.WriteString(quoteValue(s.Masker, a))
	}
	return b.String()
}

// quoteValue masks the value v with m, then quotes it for a shell.
func quoteValue(m *env.Masker, v string) string {
	masked := m.Arg(v)
	if !strings.Contains(masked, env.Mask) {
		return quote(masked)
	}
	// Quote as if each mask were a plain word, so that it reads ****
	// whether or not the rest needs quotes.
	ph := "kompose0mask"
	for strings.Contains(masked, ph) {
		ph += "0"
	}
	return strings.ReplaceAll(quote(strings.ReplaceAll(masked, env.Mask, ph)), ph, env.Mask)
}

func quote(s string) string {
	q, err := syntax.Quote(s, syntax.LangBash)
	if err != nil { // not representable (NUL byte): show it Go-quoted
		return fmt.Sprintf("%q", s)
	}
	return q
}

func (t *Text) stepLine(s *plan.Stack, st *plan.Step) string {
	line := t.style.Bold("--> ") + CommandLine(s, st)
	if a := annotation(st); a != "" {
		line += t.style.Dim("  (" + a + ")")
	}
	return line
}

// annotation says where a step comes from and when it runs: "hooks.sh:3",
// "on failure".
func annotation(st *plan.Step) string {
	var parts []string
	if st.Source != "" && st.Source != st.Label {
		parts = append(parts, st.Source)
	}
	if st.When == plan.OnFailure {
		parts = append(parts, st.When.String())
	}
	return strings.Join(parts, ", ")
}

// Begin implements [run.Reporter].
func (t *Text) Begin(p *plan.Plan, dryRun bool) {
	// Stacks that cannot run (a broken .env or hooks.sh) are reported
	// before any stack starts.
	for _, line := range env.Summary(p.Notes) {
		fmt.Fprintf(t.errW, "%s %s\n", t.style.Yellow("warning:"), p.Masker.String(line))
	}
	for _, s := range p.Stacks {
		// A command that cannot be planned for a stack (a missing dump)
		// is said once, in the stack's block (StackDone).
		if s.Err != nil && !s.CommandErr {
			fmt.Fprintf(t.errW, "%s %s: %s\n", t.style.Red("!!!"), s.Name, s.Masker.String(s.Err.Error()))
		}
		for _, line := range env.Summary(s.Notes) {
			fmt.Fprintf(t.errW, "%s %s: %s\n", t.style.Yellow("warning:"), s.Name, s.Masker.String(line))
		}
		for _, w := range s.Warnings {
			fmt.Fprintf(t.errW, "%s %s: %s: %s\n", t.style.Yellow("warning:"), s.Name, filepath.Base(s.ComposeFile), s.Masker.String(w))
		}
	}
	if !dryRun {
		return
	}
	fmt.Fprintf(t.w, "%s kompose %s over %d stack(s) in %s; nothing is executed\n",
		t.style.Yellow("dry run:"), quote(p.Command), len(p.Stacks), p.Root)
	t.vars("every stack", p.Global, p.Masker)
	t.order(p)
}

func (t *Text) vars(scope string, vars []env.Var, m *env.Masker) {
	for _, v := range vars {
		val := env.Mask
		if !m.IsSecret(v.Name) {
			val = quoteValue(m, v.Value)
		}
		fmt.Fprintf(t.w, "    env %s=%s  %s\n", v.Name, val, t.style.Dim("("+string(v.Source)+", "+scope+")"))
	}
}

// StackStart implements [run.Reporter].
func (t *Text) StackStart(s *plan.Stack, index, total int) {
	fmt.Fprintf(t.w, "%s %s %s\n", t.style.Cyan("==>"), t.style.Bold(s.Name),
		t.style.Dim(fmt.Sprintf("[%d/%d] %s%s", index+1, total, s.Dir, engineNote(s))))
	if t.dry {
		var own []env.Var
		for _, v := range s.Env.Layered() {
			if v.Source == env.SourceStackEnv {
				own = append(own, v)
			}
		}
		t.vars("this stack", own, s.Masker)
		for _, h := range s.NotRun {
			fmt.Fprintf(t.w, "%s %s: %s\n", t.style.Dim("--- not run:"), h.Source, h.NotRun)
		}
		t.stackOrder(s)
	}
}

// Describer is implemented by a [plan.Action] that has more to say in a
// dry run than its command line (the file a db:export would write).
type Describer interface{ Describe() []string }

// StepPlanned implements [run.Reporter].
func (t *Text) StepPlanned(s *plan.Stack, st *plan.Step) {
	if st.Skip != "" {
		t.StepSkipped(s, st)
		return
	}
	fmt.Fprintln(t.w, t.stepLine(s, st))
	if d, ok := st.Action.(Describer); ok {
		for _, line := range d.Describe() {
			fmt.Fprintf(t.w, "    %s\n", s.Masker.String(line))
		}
	}
}

// StepStart implements [run.Reporter].
func (t *Text) StepStart(s *plan.Stack, st *plan.Step) { fmt.Fprintln(t.w, t.stepLine(s, st)) }

// StepDone implements [run.Reporter].
func (t *Text) StepDone(s *plan.Stack, st *plan.Step, err error, d time.Duration) {
	if err != nil {
		fmt.Fprintf(t.errW, "%s %s: %s %s\n", t.style.Red("!!!"), s.Name,
			s.Masker.String((&run.StepError{Step: st, Err: err}).Error()), t.style.Dim(seconds(d)))
		return
	}
	if st.Kind == plan.KindHook {
		fmt.Fprintf(t.w, "    %s %s %s\n", st.Label, t.style.Green("ok"), t.style.Dim(seconds(d)))
	}
}

// StepSkipped implements [run.Reporter].
func (t *Text) StepSkipped(s *plan.Stack, st *plan.Step) {
	what := "--- skipped:"
	if st.Skip != "" {
		what = "--- skipped (" + st.Skip + "):"
	}
	line := t.style.Dim(what) + " " + CommandLine(s, st)
	if st.When == plan.OnFailure {
		line += t.style.Dim("  (" + st.When.String() + ")")
	}
	fmt.Fprintln(t.w, line)
}

// StackDone implements [run.Reporter].
func (t *Text) StackDone(r run.StackResult) {
	s := r.Stack
	switch {
	case r.Stack.Err != nil:
		// Known before anything ran and reported by Begin too; said
		// again here, where a long run's reader looks for it.
		fmt.Fprintf(t.w, "%s %s %s %s\n", t.style.Red("<=="), s.Name, t.style.Red("FAILED, nothing run:"), s.Masker.String(s.Err.Error()))
	case r.Status == run.Skipped:
		fmt.Fprintf(t.w, "%s %s %s\n", t.style.Dim("<=="), s.Name, t.style.Dim("skipped: "+s.Masker.String(s.Skip)))
	case r.Status == run.Succeeded && !t.dry:
		fmt.Fprintf(t.w, "%s %s %s %s\n", t.style.Green("<=="), s.Name, t.style.Green("ok"), t.style.Dim(seconds(r.Duration)))
	case r.Status == run.Failed && run.IsEngineDown(r.Err):
		fmt.Fprintf(t.w, "%s %s %s %s\n", t.style.Red("<=="), s.Name, t.style.Red("FAILED, nothing run:"), s.Masker.String(r.Err.Error()))
	case r.Status == run.Failed && isBlocked(r.Err):
		fmt.Fprintf(t.w, "%s %s %s\n", t.style.Red("<=="), s.Name, t.style.Red(r.Err.Error()))
	case r.Status == run.Failed:
		fmt.Fprintf(t.w, "%s %s %s %s\n", t.style.Red("<=="), s.Name, t.style.Red("FAILED"), t.style.Dim(seconds(r.Duration)))
	case r.Status == run.Interrupted:
		fmt.Fprintf(t.w, "%s %s %s\n", t.style.Red("<=="), s.Name, t.style.Red("INTERRUPTED"))
	}
}

// End implements [run.Reporter].
func (t *Text) End(r *run.Result) {
	_, failed := r.Count()
	var names []string
	for _, s := range r.Stacks {
		if s.Status == run.Failed || s.Status == run.Interrupted {
			names = append(names, s.Stack.Name)
		}
	}
	if r.DryRun {
		line := fmt.Sprintf("dry run: %d stack(s) planned", len(r.Stacks))
		if n := r.Skipped(); n > 0 {
			line += fmt.Sprintf(", %d skipped", n)
		}
		if failed > 0 {
			line += fmt.Sprintf(", %d cannot run: %s", failed, strings.Join(names, ", "))
		}
		fmt.Fprintln(t.w, t.style.Yellow(line+"; nothing was executed"))
		t.reasons(r)
		return
	}
	line := r.Summary()
	if n := r.Skipped(); n > 0 {
		line += fmt.Sprintf(", %d skipped", n)
	}
	if failed > 0 {
		line += " (failed: " + strings.Join(names, ", ") + ")"
	}
	if r.Interrupted {
		line += "; interrupted"
	}
	style := t.style.Green
	if failed > 0 || r.Interrupted {
		style = t.style.Red
	}
	fmt.Fprintln(t.w, style(line))
	t.reasons(r)
}

// reasons closes the summary with one line per failed stack saying why.
func (t *Text) reasons(r *run.Result) {
	for _, sr := range r.Stacks {
		if (sr.Status != run.Failed && sr.Status != run.Interrupted) || sr.Err == nil {
			continue
		}
		if sr.Stack.Err != nil && sr.Stack.CommandErr {
			continue // said on its "<== FAILED, nothing run:" line
		}
		fmt.Fprintf(t.w, "  %s: %s\n", sr.Stack.Name, sr.Stack.Masker.String(sr.Err.Error()))
	}
}

func seconds(d time.Duration) string { return fmt.Sprintf("(%.2fs)", d.Seconds()) }
