package run

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
)

// hcall is one process the fake runner was asked to run.
type hcall struct {
	name  string
	env   []string
	stdin string
}

// hookProc records calls and fails the ones named in fail with its code.
type hookProc struct {
	calls  []hcall
	fail   map[string]int
	cancel context.CancelCauseFunc // called when interrupt is run
	clock  *hookClock
}

func (f *hookProc) Run(ctx context.Context, c proc.Cmd) error {
	name := c.Argv[0]
	cl := hcall{name: name, env: c.Env}
	if c.Report != nil { // a hooks.sh hook: its function exists and is called
		_, _ = io.WriteString(c.Report, "called\n")
	}
	if c.Stdin != nil {
		b, _ := io.ReadAll(c.Stdin)
		cl.stdin = string(b)
	}
	f.calls = append(f.calls, cl)
	if name == "docker" {
		f.clock.now = f.clock.now.Add(2600 * time.Millisecond)
	}
	if name == "interrupt" {
		f.cancel(&proc.InterruptedError{})
		return &proc.ExitError{Code: 130}
	}
	if code, ok := f.fail[name]; ok {
		return &proc.ExitError{Code: code}
	}
	return nil
}

type hookClock struct{ now time.Time }

func (c *hookClock) Now() time.Time { return c.now }

func hookStep(name string, ph hooks.Phase, executable bool) plan.Step {
	origin := hooks.FromScript
	if executable {
		origin = hooks.FromStack
	}
	st := plan.Step{
		Kind: plan.KindHook, Phase: ph, Label: name,
		Cmd: proc.Cmd{Argv: []string{name}, Env: []string{"A=1"}},
		Hook: &plan.HookStep{
			Hook: hooks.Hook{Phase: ph, Command: "up", Origin: origin},
			Info: hooks.Info{Stack: "blog", Command: "up", Hook: string(ph) + "-up"},
		},
	}
	if ph == hooks.Fail {
		st.When = plan.OnFailure
	}
	return st
}

func testStack() *plan.Stack {
	e := env.New()
	s := &plan.Stack{Env: e, Masker: env.NewMasker(e)}
	s.Name = "blog"
	s.Steps = []plan.Step{
		hookStep("pre1", hooks.Pre, true),
		hookStep("pre2", hooks.Pre, false),
		{Kind: plan.KindCommand, Label: "docker", Cmd: proc.Cmd{Argv: []string{"docker"}}},
		hookStep("post1", hooks.Post, false),
		hookStep("post2", hooks.Post, true),
		hookStep("fail1", hooks.Fail, false),
		hookStep("fail2", hooks.Fail, true),
	}
	return s
}

func runHooks(t *testing.T, fail map[string]int) (*hookProc, StackResult) {
	t.Helper()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	clock := &hookClock{now: time.Unix(0, 0)}
	fp := &hookProc{fail: fail, cancel: cancel, clock: clock}
	ios, _, _, _ := output.Test()
	r := &Runner{Proc: fp, IO: ios, Reporter: &recorder{}, Clock: clock}
	res := r.Run(ctx, &plan.Plan{Stacks: []*plan.Stack{testStack()}})
	return fp, res.Stacks[0]
}

func callNames(calls []hcall) string {
	var out []string
	for _, c := range calls {
		out = append(out, c.name)
	}
	return strings.Join(out, " ")
}

func callEnv(c hcall, key string) (string, bool) {
	for _, kv := range c.env {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v, true
		}
	}
	return "", false
}

func TestFailHooks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fail   map[string]int
		want   string
		status Status
		code   string // KOMPOSE_EXIT_CODE of the fail hooks
		rt     string // KOMPOSE_RUNTIME of the fail hooks; "-" unset
	}{
		{"success", nil, "pre1 pre2 docker post1 post2", Succeeded, "", ""},
		{"pre fails", map[string]int{"pre1": 7}, "pre1 fail1 fail2", Failed, "7", "-"},
		{"command fails", map[string]int{"docker": 2}, "pre1 pre2 docker fail1 fail2", Failed, "2", "3"},
		{"post fails: no fail hook", map[string]int{"post1": 4}, "pre1 pre2 docker post1", Failed, "", ""},
		{"a fail hook fails: the next runs", map[string]int{"docker": 1, "fail1": 9}, "pre1 pre2 docker fail1 fail2", Failed, "1", "3"},
		{"interrupted: no fail hook", map[string]int{}, "", Interrupted, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.status == Interrupted {
				// pre2 is interrupted (the fake cancels the context).
				tc.want = "pre1 interrupt"
			}
			fp, sr := runInterrupt(t, tc.fail, tc.status == Interrupted)
			if got := callNames(fp.calls); got != tc.want {
				t.Errorf("ran %q, want %q", got, tc.want)
			}
			if sr.Status != tc.status {
				t.Errorf("status %v, want %v", sr.Status, tc.status)
			}
			for _, c := range fp.calls {
				code, hasCode := callEnv(c, hooks.VarExitCode)
				rt, hasRt := callEnv(c, hooks.VarRuntime)
				switch {
				case strings.HasPrefix(c.name, "fail"):
					if code != tc.code {
						t.Errorf("%s: exit code %q, want %q", c.name, code, tc.code)
					}
					if (tc.rt == "-" && hasRt) || (tc.rt != "-" && rt != tc.rt) {
						t.Errorf("%s: runtime %q (set %v), want %q", c.name, rt, hasRt, tc.rt)
					}
				case strings.HasPrefix(c.name, "post"):
					if hasCode || rt != "3" {
						t.Errorf("%s: exit code %q, runtime %q; want none and 3", c.name, code, rt)
					}
				default:
					if hasCode || hasRt {
						t.Errorf("%s: exit code %q, runtime %q; want neither", c.name, code, rt)
					}
				}
			}
			if tc.name == "a fail hook fails: the next runs" {
				var se *StepError
				if !errors.As(sr.Err, &se) || se.Step.Label != "docker" {
					t.Errorf("stack error %v, want the command's", sr.Err)
				}
			}
		})
	}
}

func runInterrupt(t *testing.T, fail map[string]int, interrupt bool) (*hookProc, StackResult) {
	if !interrupt {
		return runHooks(t, fail)
	}
	t.Helper()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	clock := &hookClock{now: time.Unix(0, 0)}
	fp := &hookProc{fail: fail, cancel: cancel, clock: clock}
	ios, _, _, _ := output.Test()
	s := testStack()
	s.Steps[1].Cmd.Argv = []string{"interrupt"}
	r := &Runner{Proc: fp, IO: ios, Reporter: &recorder{}, Clock: clock}
	res := r.Run(ctx, &plan.Plan{Stacks: []*plan.Stack{s}})
	return fp, res.Stacks[0]
}

func TestExecutableHooksGetJSON(t *testing.T) {
	fp, _ := runHooks(t, map[string]int{"docker": 3})
	for _, c := range fp.calls {
		executable := c.name == "pre1" || c.name == "fail2"
		if !executable {
			if c.stdin != "" {
				t.Errorf("%s (hooks.sh) got stdin %q", c.name, c.stdin)
			}
			continue
		}
		var info map[string]any
		if err := json.Unmarshal([]byte(c.stdin), &info); err != nil {
			t.Fatalf("%s: stdin %q is not JSON: %v", c.name, c.stdin, err)
		}
		if c.name == "fail2" && (info["exit_code"] != 3.0 || info["runtime"] != 3.0 || info["hook"] != "fail-up") {
			t.Errorf("fail2 JSON = %v", info)
		}
		if c.name == "pre1" && (info["exit_code"] != nil || info["runtime"] != nil) {
			t.Errorf("pre1 JSON = %v", info)
		}
	}
}

func TestSkippedStepsDoNotRun(t *testing.T) {
	ctx := context.Background()
	clock := &hookClock{now: time.Unix(0, 0)}
	fp := &hookProc{clock: clock, fail: map[string]int{"docker": 1}}
	ios, _, _, _ := output.Test()
	rec := &recorder{}
	s := testStack()
	for i := range s.Steps {
		if s.Steps[i].Hook != nil {
			s.Steps[i].Skip = plan.SkipReason
		}
	}
	r := &Runner{Proc: fp, IO: ios, Reporter: rec, Clock: clock}
	r.Run(ctx, &plan.Plan{Stacks: []*plan.Stack{s}})
	if got := callNames(fp.calls); got != "docker" {
		t.Errorf("ran %q, want only docker", got)
	}
	if n := rec.Count("skipped (" + plan.SkipReason + ") "); n != 6 {
		t.Errorf("%d steps skipped for --skip-hooks, want 6:\n%s", n, rec)
	}
}
