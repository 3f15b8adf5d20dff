package run

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
)

// TestLookaheadKeepsOrder runs real bash hooks started ahead of their turn:
// they run in plan order, and the pre-started hooks of a stack that failed
// never run.
func TestLookaheadKeepsOrder(t *testing.T) {
	hooksSh := `hook_pre_up() { echo "${PWD##*/} pre" >>"$LOG"; [[ ${PWD##*/} != b ]]; }
hook_post_up() { echo "${PWD##*/} post" >>"$LOG"; }
`
	files := map[string]string{}
	for _, s := range []string{"a", "b", "c", "d"} {
		files[s+"/compose.yaml"] = svc
		files[s+"/hooks.sh"] = hooksSh
	}
	p := build(t, files, "up")
	log := filepath.Join(t.TempDir(), "log")
	// The compose step is a bash too, so the test needs no docker.
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
	r := &Runner{Proc: proc.OS{}, IO: ios, Reporter: &recorder{}, Clock: &tick{}, Lookahead: 3}
	res := r.Run(context.Background(), p)
	if res.ExitCode() != 1 {
		t.Errorf("exit = %d, want 1", res.ExitCode())
	}
	got, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	want := "a pre\na up\na post\nb pre\nc pre\nc up\nc post\nd pre\nd up\nd post\n"
	if string(got) != want {
		t.Errorf("log:\n%s\nwant:\n%s", got, want)
	}
	if strings.Count(string(got), "b post") != 0 {
		t.Error("an aborted hook ran")
	}
}
