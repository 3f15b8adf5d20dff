package settings

import (
	"strings"
	"testing"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/urfave/cli/v2"
)

// parse parses args with kompose's global options, as cmd/kompose does.
func parse(t *testing.T, args ...string) (o Options) {
	t.Helper()
	app := &cli.App{Name: "kompose", Flags: GlobalFlags(), HideHelp: true, DisableSliceFlagSeparator: true,
		Action: func(c *cli.Context) error { o = c; return nil }}
	if err := app.Run(append([]string{"kompose"}, args...)); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestPrefix(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		environ []string
		stacks  int
		tty     bool
		want    bool
		err     string
	}{
		{stacks: 2, want: true},
		{stacks: 1, want: false},
		{stacks: 2, tty: true, want: false},
		{args: []string{"--prefix"}, stacks: 1, tty: true, want: true},
		{args: []string{"--no-prefix"}, stacks: 2, want: false},
		{environ: []string{"KOMPOSE_PREFIX=0"}, stacks: 2, want: false},
		{environ: []string{"KOMPOSE_PREFIX=1"}, stacks: 1, tty: true, want: true},
		{environ: []string{"KOMPOSE_PREFIX=maybe"}, err: `KOMPOSE_PREFIX="maybe": expected 1 or 0`},
		{args: []string{"--prefix", "--no-prefix"}, err: "give one of them"},
	} {
		got, err := Prefix(parse(t, tt.args...), tt.environ, tt.stacks, tt.tty)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q %q: error %v, want %q", tt.args, tt.environ, err, tt.err)
			}
		} else if err != nil || got != tt.want {
			t.Errorf("%q %q %d stacks, tty %v: %v, %v; want %v", tt.args, tt.environ, tt.stacks, tt.tty, got, err, tt.want)
		}
	}
}

func TestParallel(t *testing.T) {
	root := []env.Var{{Name: "KOMPOSE_PARALLEL", Value: "3", Source: env.SourceRootEnv}}
	for _, tt := range []struct {
		args    []string
		environ []string
		global  []env.Var
		want    int
		err     string
	}{
		{want: 1},
		{environ: []string{"KOMPOSE_PARALLEL=2"}, want: 2},
		{environ: []string{"KOMPOSE_PARALLEL=2"}, global: root, want: 3},
		{args: []string{"-j", "4"}, global: root, want: 4},
		{args: []string{"-j", "0"}, err: `-j/--parallel "0": expected a number of stacks, 1 or more`},
	} {
		got, err := Parallel(parse(t, tt.args...), tt.environ, tt.global)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.args, err, tt.err)
			}
		} else if err != nil || got != tt.want {
			t.Errorf("%q %q: %d, %v; want %d", tt.args, tt.environ, got, err, tt.want)
		}
	}
}

func TestHelpNamesEveryOption(t *testing.T) {
	app := &cli.App{Name: "kompose", Usage: Usage, UsageText: UsageText, Flags: GlobalFlags()}
	help := HelpTemplate(app)
	for _, f := range app.Flags {
		for _, n := range f.Names() {
			if len(n) > 1 && !strings.Contains(help, "--"+n) {
				t.Errorf("--help lacks --%s", n)
			}
		}
	}
	for _, line := range strings.Split(help, "\n") {
		if len(line) > helpWidth {
			t.Errorf("line over %d columns: %q", helpWidth, line)
		}
	}
}
