package views

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/kompose-dev/kompose/pkg/buildinfo"
	"github.com/kompose-dev/kompose/pkg/complete"
	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/report/jsonout"
	"github.com/kompose-dev/kompose/pkg/settings"
)

// probeTimeout bounds each program `kompose version --json` asks.
const probeTimeout = 10 * time.Second

// Version is `kompose version`: this build; with --json also the
// versions of docker (client and engine), compose and bash found here.
type Version struct {
	Build buildinfo.Info
	Tools *buildinfo.Tools // nil when not asked (text)
	mask  func(string) string
}

// CollectVersion collects `kompose version`; with asJSON it asks the
// programs, with runner and the process environment environ, for compose
// the command detect finds (nil: compose.Detect). Kompose reads no root
// and no .env for it.
func CollectVersion(ctx context.Context, build buildinfo.Info, asJSON bool, runner proc.Runner, environ []string, detect func(compose.Lookup) ([]string, error)) *Version {
	v := &Version{Build: build, mask: env.NewMasker(env.FromEnviron(environ)).String}
	if !asJSON {
		return v
	}
	if detect == nil {
		detect = compose.Detect
	}
	lookup := settings.FromEnviron(environ)
	argv, _ := detect(func(k string) (string, bool) { val, _, ok := lookup(k); return val, ok })
	run := func(ctx context.Context, argv []string) ([]byte, error) {
		return proc.Output(ctx, runner, environ, probeTimeout, argv...)
	}
	t := buildinfo.Probe(ctx, run, argv)
	v.Tools = &t
	return v
}

// OK implements [View]: a missing program is reported, not a failure.
func (v *Version) OK() bool { return true }

// Print implements [View].
func (v *Version) Print(ios *output.IOStreams, asJSON bool) error {
	if asJSON && v.Tools != nil {
		return jsonout.Write(ios.Out, jsonout.NewVersion(v.Build, *v.Tools, v.mask))
	}
	if _, err := fmt.Fprintln(ios.Out, v.Build.String()); err != nil {
		return fmt.Errorf("version: %w", err)
	}
	return nil
}

// Script is `kompose completion SHELL`: the shell's completion script.
type Script string

// CompletionScript collects `kompose completion`; args are the words after
// it (one shell).
func CompletionScript(args []string) (View, error) {
	s, err := complete.ScriptFor(args)
	return Script(s), err
}

// OK implements [View].
func (s Script) OK() bool { return true }

// Print implements [View]: the script, also with --json.
func (s Script) Print(ios *output.IOStreams, _ bool) error {
	if _, err := io.WriteString(ios.Out, string(s)); err != nil {
		return fmt.Errorf("completion: %w", err)
	}
	return nil
}
