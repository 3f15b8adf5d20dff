package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/internal/stacktest"
	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
)

// call is one process the fake runner was asked to start.
type call struct {
	Dir  string // folder name
	What string // the hook function, or the compose subcommand
	Args []string
	Env  map[string]string
}

func (c call) String() string {
	return strings.Join(append([]string{"[" + c.Dir + "]", c.What}, c.Args...), " ")
}

// fakeProc records calls and fails or interrupts the ones named
// "<stack> <what>".
type fakeProc struct {
	mu        sync.Mutex
	calls     []call
	fail      map[string]int // exit status
	interrupt map[string]int // cancel the run, then exit with this status
	cancel    context.CancelCauseFunc
}

func (f *fakeProc) Run(ctx context.Context, c proc.Cmd) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cl := call{Dir: filepath.Base(c.Dir), Env: map[string]string{}}
	if c.Report != nil { // a hooks.sh hook: its function exists and is called
		_, _ = io.WriteString(c.Report, "called\n")
	}
	if c.Argv[0] == "bash" { // hooks: bash -c script hooks.sh <file> <func> args...
		cl.What, cl.Args = c.Argv[5], c.Argv[6:]
	} else { // docker compose <sub> args...
		cl.What, cl.Args = c.Argv[2], c.Argv[3:]
	}
	for _, kv := range c.Env {
		k, v, _ := strings.Cut(kv, "=")
		cl.Env[k] = v
	}
	if c.Stdout == nil || c.Stderr == nil || c.Stdin == nil {
		return errors.New("streams not set")
	}
	f.mu.Lock()
	f.calls = append(f.calls, cl)
	f.mu.Unlock()
	key := cl.Dir + " " + cl.What
	if code, ok := f.interrupt[key]; ok {
		f.cancel(&proc.InterruptedError{Signal: syscall.SIGTERM})
		if code == 0 {
			return nil
		}
		return &proc.ExitError{Code: code}
	}
	if code, ok := f.fail[key]; ok {
		return &proc.ExitError{Code: code}
	}
	return nil
}

func (f *fakeProc) log() []string {
	var out []string
	for _, c := range f.calls {
		out = append(out, c.String())
	}
	return out
}

// tick is a clock that advances a second each time it is read.
type tick struct{ t time.Time }

func (c *tick) Now() time.Time { c.t = c.t.Add(time.Second); return c.t }

func build(t *testing.T, files map[string]string, command string, args ...string) *plan.Plan {
	t.Helper()
	dir, stacks := stacktest.Root(t, files)
	b := plan.Builder{Detect: func(compose.Lookup) ([]string, error) { return []string{"docker", "compose"}, nil }}
	p, err := b.Build(plan.Request{Root: dir, Command: command, Args: args, Environ: []string{"PATH=/bin"}}, stacks)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const svc = "services: {web: {image: nginx}}\n"
const allHooks = "hook_pre_up() { :; }\nhook_post_up() { :; }\n"

func threeStacks() map[string]string {
	return map[string]string{
		"a/compose.yaml": svc, "a/hooks.sh": allHooks,
		"b/compose.yaml": svc, "b/hooks.sh": allHooks,
		"c/compose.yaml": svc, "c/hooks.sh": allHooks,
	}
}

// runPlan runs p with f starting its processes and returns the result
// and the events the runner reported.
func runPlan(t *testing.T, p *plan.Plan, f *fakeProc, dry bool) (*Result, *recorder) {
	t.Helper()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	f.cancel = cancel
	ios, _, _, _ := output.Test()
	rec := &recorder{}
	r := &Runner{Proc: f, IO: ios, Reporter: rec, Clock: &tick{}, DryRun: dry}
	res := r.Run(ctx, p)
	return res, rec
}

func TestRunOrderAndFailures(t *testing.T) {
	tests := []struct {
		name    string
		fail    map[string]int
		want    []string
		status  []Status
		exit    int
		summary string
		events  []string
	}{
		{
			name: "all succeed",
			want: []string{
				"[a] hook_pre_up up -d", "[a] up -d", "[a] hook_post_up up -d",
				"[b] hook_pre_up up -d", "[b] up -d", "[b] hook_post_up up -d",
				"[c] hook_pre_up up -d", "[c] up -d", "[c] hook_post_up up -d",
			},
			status:  []Status{Succeeded, Succeeded, Succeeded},
			summary: "end 3 succeeded, 0 failed out of 3 stacks interrupted=false",
		},
		{
			name: "a failing pre hook stops only its stack",
			fail: map[string]int{"b hook_pre_up": 3},
			want: []string{
				"[a] hook_pre_up up -d", "[a] up -d", "[a] hook_post_up up -d",
				"[b] hook_pre_up up -d",
				"[c] hook_pre_up up -d", "[c] up -d", "[c] hook_post_up up -d",
			},
			status:  []Status{Succeeded, Failed, Succeeded},
			exit:    1,
			summary: "end 2 succeeded, 1 failed out of 3 stacks interrupted=false",
			events: []string{"done b hook_pre_up up -d: hook_pre_up failed: exit status 3", "skipped b docker compose up -d", "skipped b hook_post_up up -d",
				"stack b failed: hook_pre_up failed: exit status 3"},
		},
		{
			name: "a failing command: no post hook",
			fail: map[string]int{"a up": 1, "c up": 2},
			want: []string{
				"[a] hook_pre_up up -d", "[a] up -d",
				"[b] hook_pre_up up -d", "[b] up -d", "[b] hook_post_up up -d",
				"[c] hook_pre_up up -d", "[c] up -d",
			},
			status:  []Status{Failed, Succeeded, Failed},
			exit:    1,
			summary: "end 1 succeeded, 2 failed out of 3 stacks interrupted=false",
			events: []string{"done a docker compose up -d: docker compose failed: exit status 1", "skipped a hook_post_up up -d",
				"done c docker compose up -d: docker compose failed: exit status 2", "stack c failed: docker compose failed: exit status 2"},
		},
		{
			name:    "a failing post hook fails the stack",
			fail:    map[string]int{"a hook_post_up": 1},
			want:    []string{"[a] hook_pre_up up -d", "[a] up -d", "[a] hook_post_up up -d", "[b] hook_pre_up up -d", "[b] up -d", "[b] hook_post_up up -d", "[c] hook_pre_up up -d", "[c] up -d", "[c] hook_post_up up -d"},
			status:  []Status{Failed, Succeeded, Succeeded},
			exit:    1,
			summary: "end 2 succeeded, 1 failed out of 3 stacks interrupted=false",
			events:  []string{"done a hook_post_up up -d: hook_post_up failed: exit status 1", "stack a failed: hook_post_up failed: exit status 1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeProc{fail: tt.fail}
			res, rec := runPlan(t, build(t, threeStacks(), "up", "-d"), f, false)
			if got := f.log(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			var status []Status
			for _, s := range res.Stacks {
				status = append(status, s.Status)
			}
			if !reflect.DeepEqual(status, tt.status) {
				t.Errorf("status = %v, want %v", status, tt.status)
			}
			if res.ExitCode() != tt.exit || res.Interrupted {
				t.Errorf("exit = %d (interrupted %v), want %d", res.ExitCode(), res.Interrupted, tt.exit)
			}
			// Every stack starts and ends once, in order; the run ends last.
			if ev := rec.Events(); len(ev) == 0 || ev[len(ev)-1] != tt.summary {
				t.Errorf("the run does not end with %q:\n%s", tt.summary, rec)
			}
			if n, m := rec.Count("start "), rec.Count("stack "); n != 3 || m != 3 {
				t.Errorf("%d stacks started, %d ended, want 3:\n%s", n, m, rec)
			}
			for _, w := range tt.events {
				if !rec.Has(w) {
					t.Errorf("no event %q:\n%s", w, rec)
				}
			}
		})
	}
}

func TestRunHooksSeeTheirVariables(t *testing.T) {
	f := &fakeProc{}
	p := build(t, map[string]string{"a/compose.yaml": svc, "a/hooks.sh": allHooks, "a/.env": "X=1\n"}, "up")
	runPlan(t, p, f, false)
	if len(f.calls) != 3 {
		t.Fatal(f.log())
	}
	for _, c := range []call{f.calls[0], f.calls[2]} {
		if c.Env["stack"] != "a" || c.Env["SCRIPT_DIR"] != p.Root || c.Env["COMPOSE_PROJECT_NAME"] != "a" || c.Env["X"] != "1" {
			t.Errorf("%s env = %v", c.What, c.Env)
		}
	}
	if _, ok := f.calls[1].Env["stack"]; ok || f.calls[1].Env["X"] != "1" {
		t.Errorf("compose env = %v", f.calls[1].Env)
	}
}

func TestRunBrokenStack(t *testing.T) {
	files := threeStacks()
	files["b/hooks.sh"] = "hook_pre_up() {\n"
	files["c/.env"] = "NOT OK\n"
	p := build(t, files, "up")
	f := &fakeProc{}
	res, rec := runPlan(t, p, f, false)
	want := []string{"[a] hook_pre_up up", "[a] up", "[a] hook_post_up up"}
	if got := f.log(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls = %q, want %q", got, want)
	}
	if res.ExitCode() != 1 {
		t.Errorf("exit = %d", res.ExitCode())
	}
	// The broken stacks fail without running a step of theirs, each with
	// its own file and line.
	for _, w := range []string{
		"stack b failed: " + filepath.Join(p.Root, "b", "hooks.sh") + ":1: hooks.sh does not parse",
		"stack c failed: invalid env file " + filepath.Join(p.Root, "c", ".env") + ": line 1",
		"end 1 succeeded, 2 failed out of 3 stacks interrupted=false",
	} {
		if rec.Count(w) != 1 {
			t.Errorf("no event %q:\n%s", w, rec)
		}
	}
	if n := rec.Count("step b ") + rec.Count("step c "); n != 0 {
		t.Errorf("the broken stacks ran %d steps:\n%s", n, rec)
	}
}

type panicProc struct{ t *testing.T }

func (p panicProc) Run(context.Context, proc.Cmd) error {
	p.t.Error("a dry run started a process")
	return nil
}

type recordAction struct{ ran *bool }

func (a recordAction) Run(context.Context, *plan.ActionEnv) error { *a.ran = true; return nil }

func TestDryRunRunsNothing(t *testing.T) {
	files := threeStacks()
	files["c/hooks.sh"] = "hook_pre_up() {\n" // broken: reported, still nothing runs
	p := build(t, files, "up", "-d", "a b")
	ran := false
	p.Stacks[0].Steps[1].Action = recordAction{&ran}
	ios, _, _, _ := output.Test()
	rec := &recorder{}
	r := &Runner{Proc: panicProc{t}, IO: ios, Reporter: rec, Clock: &tick{}, DryRun: true}
	res := r.Run(context.Background(), p)
	if ran {
		t.Error("a dry run ran an action")
	}
	if res.ExitCode() != 1 || !res.DryRun {
		t.Errorf("exit = %d, dry %v; want 1 (c cannot run)", res.ExitCode(), res.DryRun)
	}
	want := []string{
		"begin dry=true",
		"start a 1/3",
		"planned a hook_pre_up up -d a b",
		"planned a docker compose up -d a b",
		"planned a hook_post_up up -d a b",
		"stack a ok",
		"start b 2/3",
		"start c 3/3",
		"stack c failed: " + filepath.Join(p.Root, "c", "hooks.sh") + ":1: hooks.sh does not parse: ",
		"end 2 succeeded, 1 failed out of 3 stacks interrupted=false",
	}
	last := -1
	for _, w := range want {
		i := rec.IndexPrefix(w)
		if i < 0 || i < last {
			t.Errorf("no event %q (in order):\n%s", w, rec)
			continue
		}
		last = i
	}
	if n := rec.Count("step ") + rec.Count("done "); n != 0 {
		t.Errorf("a dry run reported %d steps started or done:\n%s", n, rec)
	}
}

func TestInterrupt(t *testing.T) {
	tests := []struct {
		name      string
		interrupt map[string]int
		want      []string
		status    []Status
	}{
		{
			name:      "during a command",
			interrupt: map[string]int{"b up": 130},
			want:      []string{"[a] hook_pre_up up", "[a] up", "[a] hook_post_up up", "[b] hook_pre_up up", "[b] up"},
			status:    []Status{Succeeded, Interrupted, NotRun},
		},
		{
			name:      "during a pre hook",
			interrupt: map[string]int{"a hook_pre_up": 143},
			want:      []string{"[a] hook_pre_up up"},
			status:    []Status{Interrupted, NotRun, NotRun},
		},
		{
			name:      "the command traps the signal and exits 0: no post hook",
			interrupt: map[string]int{"a up": 0},
			want:      []string{"[a] hook_pre_up up", "[a] up"},
			status:    []Status{Interrupted, NotRun, NotRun},
		},
		{
			name:      "the last step of the last stack exits 0",
			interrupt: map[string]int{"c hook_post_up": 0},
			want: []string{"[a] hook_pre_up up", "[a] up", "[a] hook_post_up up", "[b] hook_pre_up up", "[b] up", "[b] hook_post_up up",
				"[c] hook_pre_up up", "[c] up", "[c] hook_post_up up"},
			status: []Status{Succeeded, Succeeded, Succeeded},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeProc{interrupt: tt.interrupt}
			res, rec := runPlan(t, build(t, threeStacks(), "up"), f, false)
			if got := f.log(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("calls = %q, want %q", got, tt.want)
			}
			var status []Status
			for _, s := range res.Stacks {
				status = append(status, s.Status)
			}
			if !reflect.DeepEqual(status, tt.status) {
				t.Errorf("status = %v, want %v", status, tt.status)
			}
			if res.ExitCode() != 130 || !res.Interrupted {
				t.Errorf("exit = %d, interrupted %v; want 130", res.ExitCode(), res.Interrupted)
			}
			if ev := rec.Events(); !strings.HasSuffix(ev[len(ev)-1], " interrupted=true") {
				t.Errorf("the run does not end interrupted:\n%s", rec)
			}
		})
	}
}

func TestInterruptedBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ios, _, _, _ := output.Test()
	r := &Runner{Proc: panicProc{t}, IO: ios, Reporter: &recorder{}, Clock: &tick{}}
	res := r.Run(ctx, build(t, threeStacks(), "up"))
	if res.ExitCode() != 130 {
		t.Errorf("exit = %d", res.ExitCode())
	}
	for _, s := range res.Stacks {
		if s.Status != NotRun {
			t.Errorf("%s: %v", s.Stack.Name, s.Status)
		}
	}
}

func TestResultCountAndExitCode(t *testing.T) {
	r := &Result{Stacks: []StackResult{{Status: Succeeded}, {Status: Failed}, {Status: Interrupted}, {Status: NotRun}}}
	if ok, failed := r.Count(); ok != 1 || failed != 2 {
		t.Errorf("Count() = %d, %d", ok, failed)
	}
	if r.ExitCode() != 1 {
		t.Errorf("ExitCode() = %d", r.ExitCode())
	}
	if (&Result{}).ExitCode() != 0 {
		t.Error("empty result is not 0")
	}
}

func TestStepError(t *testing.T) {
	cmd := &plan.Step{Kind: plan.KindCommand, Label: "docker", Args: []string{"compose", "up"}}
	hook := &plan.Step{Kind: plan.KindHook, Label: "hook_pre_up", Args: []string{"up"}}
	for _, tt := range []struct {
		err  error
		want string
	}{
		{&StepError{Step: cmd, Err: &proc.ExitError{Code: 2}}, "docker compose failed: exit status 2"},
		{&StepError{Step: hook, Err: &proc.ExitError{Code: 143, Signal: syscall.SIGTERM}}, "hook_pre_up failed: killed by terminated"},
		{&StepError{Step: hook, Err: fmt.Errorf("wrap: %w", &proc.InterruptedError{Signal: syscall.SIGINT})}, "hook_pre_up: interrupted by interrupt"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	inner := &proc.ExitError{Code: 2}
	if !errors.Is(&StepError{Step: cmd, Err: inner}, inner) {
		t.Error("StepError does not unwrap")
	}
}

func countStatus(ss []Status, want Status) int {
	n := 0
	for _, s := range ss {
		if s == want {
			n++
		}
	}
	return n
}
