package run

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/engine"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
)

// downEngines fails the stacks named in it, as an engine that does not
// answer.
type downEngines map[string]bool

func (d downEngines) CheckEngine(_ context.Context, s *plan.Stack) error {
	if d[s.Name] {
		return &engine.DownError{Engine: engine.Engine{Host: "ssh://root@" + s.Name}, Detail: "connection refused"}
	}
	return nil
}

// TestEngineDownRunsNothing: a stack whose engine does not answer runs
// none of its steps, not even the hooks started ahead of their turn, and
// the run goes on at once with the next stack (hooks started ahead are
// ended, not left holding the stack's prefixed output open).
func TestEngineDownRunsNothing(t *testing.T) {
	hooksSh := `hook_pre_up() { echo "${PWD##*/} pre" >>"$LOG"; }
hook_post_up() { echo "${PWD##*/} post" >>"$LOG"; }
`
	files := map[string]string{}
	for _, s := range []string{"a", "b", "c"} {
		files[s+"/compose.yaml"] = svc
		files[s+"/hooks.sh"] = hooksSh
	}
	p := build(t, files, "up")
	log := filepath.Join(t.TempDir(), "log")
	for _, s := range p.Stacks {
		for i := range s.Steps {
			st := &s.Steps[i]
			st.Cmd.Env = append(st.Cmd.Env, "LOG="+log)
			if st.Kind == plan.KindCommand {
				st.Cmd.Argv = []string{"bash", "-c", `echo "${PWD##*/} up" >>"$LOG"`}
			}
		}
	}
	ios, _, _, _ := output.Test()
	rec := &recorder{}
	r := &Runner{Proc: proc.OS{}, IO: ios, Reporter: rec, Clock: &tick{}, Lookahead: 3,
		Prefix: true, Engines: downEngines{"b": true}}
	start := time.Now()
	res := r.Run(context.Background(), p)
	// A pipe still held open by a hook started ahead costs its
	// stack's output two seconds (output.LinePipe) at the end.
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Errorf("the run took %v", took)
	}
	if res.ExitCode() != 1 {
		t.Errorf("exit = %d, want 1", res.ExitCode())
	}
	var de *engine.DownError
	if !errors.As(res.Stacks[1].Err, &de) || res.Stacks[1].Status != Failed {
		t.Errorf("b: %+v", res.Stacks[1])
	}
	got, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if want := "a pre\na up\na post\nc pre\nc up\nc post\n"; string(got) != want {
		t.Errorf("log:\n%s\nwant:\n%s", got, want)
	}
	if want := "stack b failed: engine ssh://root@b does not answer: connection refused"; !rec.Has(want) || rec.Count("step b ") != 0 {
		t.Errorf("no event %q, or b ran a step:\n%s", want, rec)
	}
}
