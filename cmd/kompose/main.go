// Command kompose runs docker compose, with hooks, over many stacks that
// live side by side under one root folder.
//
//	kompose [global options] <pattern> <command> [args...]
//
// See the README for the whole contract.
package main

import (
	"context"
	"os"

	"github.com/kompose-dev/kompose/pkg/buildinfo"
	"github.com/kompose-dev/kompose/pkg/liblog"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/proc"
)

// version, commit and date are stamped with -ldflags -X (scripts/package.sh);
// unstamped, pkg/buildinfo reads what the Go toolchain recorded.
var version, commit, date string

func main() {
	os.Exit(runMain(os.Args))
}

// runMain is main without os.Exit, for testscript.
func runMain(args []string) int { return runApp(args, nil) }

// runApp runs kompose; configure, when not nil, adjusts the App first
// (tests use it to stay independent of the machine).
func runApp(args []string, configure func(*App)) int {
	ctx, relay := proc.NotifyContext(context.Background())
	defer relay.Stop()
	cwd, err := os.Getwd()
	if err != nil {
		cwd = "."
	}
	build := buildinfo.Read(buildinfo.Stamp{Version: version, Commit: commit, Date: date})
	app := &App{
		IO:      output.System(os.Getenv),
		Environ: os.Environ(),
		Cwd:     cwd,
		Proc:    proc.OS{Relay: relay, Paths: &proc.PathCache{}},
		Build:   build,
		Version: build.Version,
		// compose-go logs through logrus's global logger: take it over
		// here, once, so nothing it logs reaches the terminal unmasked.
		LibLog: liblog.Capture(),
	}
	if configure != nil {
		configure(app)
	}
	return app.Run(ctx, args)
}
