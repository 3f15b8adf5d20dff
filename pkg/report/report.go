// Package report wires the reporters of a run: the text for people
// (report/text), the plan's JSON on stdout (--json with --dry-run), the
// --report document (report/jsonout's Collector), the --metrics-file
// (report/metrics), the notifications (report/notify) and the pings
// (report/ping). Each is a run.Reporter
// fed the same events; this package decides which a run gets, in which
// order, and how they share its output streams, so that cmd/kompose only
// asks for them. The reporters live in its subpackages
// (docs/architecture.md says why).
package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/report/jsonout"
	"github.com/kompose-dev/kompose/pkg/report/metrics"
	"github.com/kompose-dev/kompose/pkg/report/notify"
	"github.com/kompose-dev/kompose/pkg/report/ping"
	"github.com/kompose-dev/kompose/pkg/report/text"
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
	// JSONOut is where the JSON goes; the run's stdout when nil.
	JSONOut io.Writer
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
		r.Reporter = text.New(r.IO, r.DryRun)
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
		text.New(ios, false).Begin(p, false)
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
		out := ios.Out
		if o.JSONOut != nil {
			out = o.JSONOut
		}
		return jsonout.Write(out, planDoc.Doc())
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

// ArgvMasker masks the secrets of the process environment environ and of
// the -e options on the command line argv, for a report of a run that
// failed before its plan (which masks every stack's secrets) was made.
func ArgvMasker(environ, argv []string) *env.Masker {
	e := env.FromEnviron(environ)
	for i, arg := range argv {
		var kv string
		switch {
		case (arg == "-e" || arg == "--env") && i+1 < len(argv):
			kv = argv[i+1]
		case strings.HasPrefix(arg, "--env="):
			kv = strings.TrimPrefix(arg, "--env=")
		case strings.HasPrefix(arg, "-e=") || (strings.HasPrefix(arg, "-e") && strings.Contains(arg, "=")):
			kv = strings.TrimPrefix(strings.TrimPrefix(arg, "-e"), "=")
		default:
			continue
		}
		if v, err := env.ParseAssignment(kv); err == nil {
			e.Override(v.Name, v.Value, env.SourceOverride)
		}
	}
	return env.NewMasker(e)
}
