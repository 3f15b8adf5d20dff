// Package report wires the reporters of a run: the text for people
// (run.Text), the plan's JSON on stdout (--json with --dry-run), the
// --report document (jsonout.Collector), the --metrics-file
// (metrics.Recorder), the notifications (notify.Notifier) and the pings
// (ping.Pinger). Each is a run.Reporter
// fed the same events; this package decides which a run gets, in which
// order, and how they share its output streams, so that cmd/kompose only
// asks for them.
//
// The reporters themselves still live in their packages (run, jsonout,
// metrics, notify, ping); docs/architecture.md says why run's text reporter has
// not moved yet.
package report

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/jsonout"
	"github.com/kompose-dev/kompose/pkg/metrics"
	"github.com/kompose-dev/kompose/pkg/notify"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/ping"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/run"
	"github.com/kompose-dev/kompose/pkg/safefile"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// Options are what the command line asks of the reporters.
type Options struct {
	Version string
	Argv    []string
	Now     func() time.Time
	// Environ is the process environment (a ping URL set there pings for
	// the whole run).
	Environ []string
	// JSON prints the plan as JSON on stdout instead of the text.
	JSON bool
	// Collector builds the --report document; nil without --report.
	Collector *jsonout.Collector
	// MetricsFile is --metrics-file; "" without it.
	MetricsFile string
	// Policy is the run's trust rule, for the files kompose reads back
	// (the metrics file); nil means the invoking user's.
	Policy *trust.Policy
	// Warn receives the reporters' own warnings (stderr).
	Warn io.Writer
}

// Attach sets r's reporters for its run of p, on ios; finish, called after
// the run, writes what is written at the end (the plan's JSON).
func Attach(r *run.Runner, p *plan.Plan, o Options, ios *output.IOStreams) (finish func() error) {
	var reps run.Multi
	var pinger *ping.Pinger
	var notifier *notify.Notifier
	pings, notifies := ping.Wanted(p, o.Environ), notify.Wanted(p, o.Environ)
	if !r.DryRun && (pings || notifies) {
		// The end of what the run prints (compose, hooks and kompose's
		// own lines) is the body of the last ping and of the
		// notifications. Not on a terminal: compose keeps it.
		tail := &ping.Tail{}
		c := *ios
		if !ios.OutTTY {
			c.Out = io.MultiWriter(ios.Out, tail)
		}
		if !ios.ErrTTY {
			c.ErrOut = io.MultiWriter(ios.ErrOut, tail)
		}
		r.IO = &c
		r.Reporter = run.NewText(r.IO, r.DryRun)
		// Stacks running at once mix their lines: each stack's own
		// pings carry only its own output.
		if pings {
			pinger = &ping.Pinger{Environ: o.Environ, Tail: tail, Warn: o.Warn, Parallel: r.Parallel > 1}
		}
		if notifies {
			notifier = &notify.Notifier{Environ: o.Environ, Output: tail, Warn: o.Warn, Parallel: r.Parallel > 1}
		}
		r.StackOutput = stackOutputs(pinger, notifier)
	}
	var planDoc *jsonout.Collector
	if o.JSON {
		planDoc = jsonout.NewCollector(o.Version, o.Argv, o.Now)
		reps = append(reps, planDoc)
		// The warnings of the plan (unset variables, stacks that
		// cannot run) still go to stderr: the text reporter of a real
		// run says only them at Begin.
		run.NewText(ios, false).Begin(p, false)
	} else {
		reps = append(reps, r.Reporter)
	}
	if o.Collector != nil {
		reps = append(reps, o.Collector)
	}
	if o.MetricsFile != "" && !r.DryRun {
		reps = append(reps, &metrics.Recorder{Path: o.MetricsFile, Now: o.Now, Warn: o.Warn, Policy: o.Policy})
	}
	if notifier != nil {
		reps = append(reps, notifier) // after the text: its messages hold the stack's last lines
	}
	if pinger != nil {
		reps = append(reps, pinger) // last: its body holds the text's summary
	}
	r.Reporter = reps
	return func() error {
		if planDoc == nil {
			return nil
		}
		return jsonout.Write(ios.Out, planDoc.Doc())
	}
}

// stackOutputs is the run's StackOutput for the pinger and the notifier
// (either may be nil): each stack's output goes to both.
func stackOutputs(pg *ping.Pinger, n *notify.Notifier) func(*plan.Stack) io.Writer {
	return func(s *plan.Stack) io.Writer {
		var ws []io.Writer
		if pg != nil {
			if w := pg.StackOutput(s); w != nil {
				ws = append(ws, w)
			}
		}
		if n != nil {
			if w := n.StackOutput(s); w != nil {
				ws = append(ws, w)
			}
		}
		switch len(ws) {
		case 0:
			return nil
		case 1:
			return ws[0]
		}
		return io.MultiWriter(ws...)
	}
}

// WriteDocument writes the --report document of c to path, ending it with
// the exit status code; err, when the run did not get as far as its plan,
// is recorded masked with mask(). A document that cannot be written is a
// warning on warn, never a failure of the run.
func WriteDocument(path string, c *jsonout.Collector, code int, err error, mask func() *env.Masker, warn io.Writer) {
	if c == nil {
		return
	}
	if err != nil {
		c.Fail(code, err.Error(), mask())
	}
	c.Finish(code)
	var b bytes.Buffer
	if werr := jsonout.Write(&b, c.Doc()); werr == nil {
		werr = safefile.WriteFile(path, b.Bytes(), 0o600)
		if werr != nil {
			fmt.Fprintf(warn, "kompose: warning: --report: %v\n", werr)
		}
	}
}
