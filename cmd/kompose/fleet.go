package main

import (
	"context"
	"fmt"
	"io"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/report"
	"github.com/kompose-dev/kompose/pkg/report/jsonout"
	"github.com/kompose-dev/kompose/pkg/run"
	"github.com/kompose-dev/kompose/pkg/settings"
	"github.com/kompose-dev/kompose/pkg/trust"
	"github.com/urfave/cli/v2"
)

// fleetOpts are the options of --json, --report and --metrics-file.
type fleetOpts struct {
	json bool
	// jsonOut is where --json prints when the run's own output goes
	// elsewhere (update --check --json); nil: the run's stdout.
	jsonOut io.Writer
	report  string
	metrics string
	// collector builds the --report document; nil without --report.
	collector *jsonout.Collector
	// policy is the run's trust rule, for the files kompose reads back
	// (the metrics file); nil means the invoking user's.
	policy *trust.Policy
	// onResult, when set, is told what the run did (sync records it).
	onResult func(*run.Result)
	// noPings: the process environment's pings and notifications are
	// not this run's (sync's down before its up).
	noPings bool
}

func (a *App) fleetOpts(c *cli.Context, args []string) fleetOpts {
	o := fleetOpts{json: c.Bool("json"), report: c.String("report"), metrics: c.String("metrics-file")}
	if o.report != "" {
		o.collector = jsonout.NewCollector(a.Version, args, a.Clock.Now)
	}
	return o
}

// writeReport writes the --report document, when asked for; a run that
// did not get as far as its plan records code and msg (pkg/report).
func (a *App) writeReport(o fleetOpts, code int, err error) {
	report.WriteDocument(o.report, o.collector, code, err, func() *env.Masker { return report.ArgvMasker(a.Environ, a.argv) }, a.IO.ErrOut)
}

// runPlan runs (or, for a dry run, walks) p with the reporters the
// options ask for (pkg/report): the text for people (or, with --json, the
// plan's JSON on stdout), the report, the metrics file and the pings.
func (a *App) runPlan(ctx context.Context, r *run.Runner, p *plan.Plan, o fleetOpts, ios *output.IOStreams) int {
	environ := a.Environ
	if o.noPings {
		environ = nil
	}
	finish := report.Attach(r, p, report.Options{Version: a.Version, Argv: a.argv, Now: a.Clock.Now, Environ: environ,
		JSON: o.json, JSONOut: o.jsonOut, Collector: o.collector, MetricsFile: o.metrics, Policy: o.policy, Warn: a.IO.ErrOut}, ios)
	res := r.Run(ctx, p)
	if o.onResult != nil {
		o.onResult(res)
	}
	if err := finish(); err != nil {
		fmt.Fprintf(a.IO.ErrOut, "kompose: %v\n", err)
		return exitFailed
	}
	return res.ExitCode()
}

// earlyReport writes the --report document of a command line whose options
// did not parse: a usage error (exit 2) with its masked message and
// command line, as docs/json.md promises for every usage error.
func (a *App) earlyReport(flags []cli.Flag, err error) {
	file := settings.ReportFile(a.argv, flags)
	if file == "" {
		return
	}
	o := fleetOpts{report: file}
	o.collector = jsonout.NewCollector(a.Version, a.argv, a.Clock.Now)
	a.writeReport(o, exitUsage, err)
}
