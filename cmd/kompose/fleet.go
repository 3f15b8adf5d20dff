package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/jsonout"
	"github.com/kompose-dev/kompose/pkg/metrics"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/ping"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/run"
	"github.com/kompose-dev/kompose/pkg/safefile"
	"github.com/kompose-dev/kompose/pkg/trust"
	"github.com/kompose-dev/kompose/pkg/views"
	"github.com/urfave/cli/v2"
)

// fleetOpts are the options of --json, --report and --metrics-file.
type fleetOpts struct {
	json    bool
	report  string
	metrics string
	// collector builds the --report document; nil without --report.
	collector *jsonout.Collector
	// policy is the run's trust rule, for the files kompose reads back
	// (the metrics file); nil means the invoking user's.
	policy *trust.Policy
}

func (a *App) fleetOpts(c *cli.Context, args []string) fleetOpts {
	o := fleetOpts{json: c.Bool("json"), report: c.String("report"), metrics: c.String("metrics-file")}
	if o.report != "" {
		o.collector = jsonout.NewCollector(a.Version, args, a.Clock.Now)
	}
	return o
}

// writeReport writes the --report document, when asked for; a run that
// did not get as far as its plan records code and msg.
func (a *App) writeReport(o fleetOpts, code int, err error) {
	if o.collector == nil {
		return
	}
	if err != nil {
		o.collector.Fail(code, err.Error(), a.argvMasker())
	}
	o.collector.Finish(code)
	var b bytes.Buffer
	if werr := jsonout.Write(&b, o.collector.Doc()); werr == nil {
		werr = safefile.WriteFile(o.report, b.Bytes(), 0o600)
		if werr != nil {
			fmt.Fprintf(a.IO.ErrOut, "kompose: warning: --report: %v\n", werr)
		}
	}
}

// runPlan runs (or, for a dry run, walks) p with the reporters the
// options ask for: the text for people (or, with --json, the plan's JSON
// on stdout), the report, the metrics file and the pings.
func (a *App) runPlan(ctx context.Context, r *run.Runner, p *plan.Plan, o fleetOpts, ios *output.IOStreams) int {
	var reps run.Multi
	var pinger *ping.Pinger
	if !r.DryRun && ping.Wanted(p, a.Environ) {
		// The end of what the run prints (compose, hooks and kompose's
		// own lines) is the body of the last ping. Not on a terminal:
		// compose keeps it.
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
		pinger = &ping.Pinger{Environ: a.Environ, Tail: tail, Warn: a.IO.ErrOut, Parallel: r.Parallel > 1}
		r.StackOutput = pinger.StackOutput
	}
	var planDoc *jsonout.Collector
	if o.json {
		planDoc = jsonout.NewCollector(a.Version, a.argv, a.Clock.Now)
		reps = append(reps, planDoc)
		// The warnings of the plan (unset variables, stacks that
		// cannot run) still go to stderr: the text reporter of a real
		// run says only them at Begin.
		run.NewText(ios, false).Begin(p, false)
	} else {
		reps = append(reps, r.Reporter)
	}
	if o.collector != nil {
		reps = append(reps, o.collector)
	}
	if o.metrics != "" && !r.DryRun {
		reps = append(reps, &metrics.Recorder{Path: o.metrics, Now: a.Clock.Now, Warn: a.IO.ErrOut, Policy: o.policy})
	}
	if pinger != nil {
		reps = append(reps, pinger) // last: its body holds the text's summary
	}
	r.Reporter = reps
	res := r.Run(ctx, p)
	if planDoc != nil {
		if err := jsonout.Write(ios.Out, planDoc.Doc()); err != nil {
			fmt.Fprintf(a.IO.ErrOut, "kompose: %v\n", err)
			return exitFailed
		}
	}
	return res.ExitCode()
}

// dbListJSON prints the dumps of each stack of a db:list plan as JSON
// (pkg/views).
func (a *App) dbListJSON(p *plan.Plan) int {
	doc, ok := views.DBList(p, a.Clock.Now())
	if err := jsonout.Write(a.IO.Out, doc); err != nil {
		fmt.Fprintf(a.IO.ErrOut, "kompose: %v\n", err)
		return exitFailed
	}
	if !ok {
		return exitFailed
	}
	return exitOK
}

// argvMasker masks the secrets of the process environment and of the -e
// options on the command line, for a report of a run that failed before
// its plan (which masks every stack's secrets) was made.
func (a *App) argvMasker() *env.Masker {
	e := env.FromEnviron(a.Environ)
	for i, arg := range a.argv {
		var kv string
		switch {
		case (arg == "-e" || arg == "--env") && i+1 < len(a.argv):
			kv = a.argv[i+1]
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
