package run

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
)

// slowProc records when each stack's compose command started and ended,
// and how many ran at once.
type slowProc struct {
	mu            sync.Mutex
	running, peak int
	start, end    map[string]time.Time
	fail          map[string]bool
}

func (s *slowProc) Run(ctx context.Context, c proc.Cmd) error {
	name := filepath.Base(c.Dir)
	if len(c.Argv) > 2 && c.Argv[2] == "ps" {
		_, _ = c.Stdout.Write([]byte(`{"Service":"web","State":"running","Health":"healthy"}` + "\n"))
		return nil
	}
	s.mu.Lock()
	s.running++
	s.peak = max(s.peak, s.running)
	s.start[name] = time.Now()
	s.mu.Unlock()
	time.Sleep(40 * time.Millisecond)
	s.mu.Lock()
	s.running--
	s.end[name] = time.Now()
	s.mu.Unlock()
	if s.fail[name] {
		return &proc.ExitError{Code: 1}
	}
	return nil
}

func fleet() map[string]string {
	files := map[string]string{
		"proxy/compose.yaml": svc,
		"app/compose.yaml":   svc + "x-kompose: {depends_on: [proxy]}\n",
		"zz/compose.yaml":    svc + "x-kompose: {depends_on: [app]}\n",
	}
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		files[n+"/compose.yaml"] = svc
	}
	return files
}

func TestScheduleParallelWithinOrder(t *testing.T) {
	p := build(t, fleet(), "up", "-d")
	sp := &slowProc{start: map[string]time.Time{}, end: map[string]time.Time{}}
	ios, _, _, _ := output.Test()
	ios = SyncIO(ios)
	rec := &recorder{}
	r := &Runner{Proc: sp, IO: ios, Reporter: rec, Clock: SystemClock{}, Parallel: 3, Prefix: true}
	res := r.Run(context.Background(), p)
	if res.ExitCode() != 0 {
		t.Fatalf("exit %d\n%s", res.ExitCode(), rec)
	}
	if sp.peak != 3 {
		t.Errorf("at most %d stacks ran at once, want 3", sp.peak)
	}
	for _, dep := range [][2]string{{"proxy", "app"}, {"app", "zz"}} {
		if !sp.end[dep[0]].Before(sp.start[dep[1]]) {
			t.Errorf("%s started before %s ended", dep[1], dep[0])
		}
	}
	// Each event about a stack is reported within that stack's scope
	// (the text reporter prefixes its lines there); only the run's own
	// begin and end are not.
	for _, e := range rec.Events() {
		if strings.HasPrefix(e, "begin ") || strings.HasPrefix(e, "end ") {
			continue
		}
		scope, rest, _ := strings.Cut(e, " ")
		_, name, _ := strings.Cut(rest, " ")
		if !strings.HasPrefix(name, strings.Trim(scope, "[]")+" ") && !strings.HasPrefix(name, strings.Trim(scope, "[]")+":") {
			t.Errorf("event outside its stack's scope: %q", e)
		}
	}
}

func TestScheduleBlocksDependents(t *testing.T) {
	for _, parallel := range []int{1, 4} {
		p := build(t, fleet(), "up", "-d")
		sp := &slowProc{start: map[string]time.Time{}, end: map[string]time.Time{}, fail: map[string]bool{"proxy": true, "a": true, "b": true, "c": true}}
		ios, _, _, _ := output.Test()
		ios = SyncIO(ios)
		r := &Runner{Proc: sp, IO: ios, Reporter: &recorder{}, Clock: SystemClock{}, Parallel: parallel}
		res := r.Run(context.Background(), p)
		if res.ExitCode() != 1 {
			t.Fatalf("-j %d: exit %d", parallel, res.ExitCode())
		}
		got := map[string]string{}
		for _, sr := range res.Stacks {
			var b *BlockedError
			if errors.As(sr.Err, &b) {
				got[sr.Stack.Name] = b.On.Name
			}
		}
		if len(got) != 2 || got["app"] != "proxy" || got["zz"] != "app" {
			t.Errorf("-j %d: blocked %v, want app by proxy and zz by app", parallel, got)
		}
		if _, ran := sp.start["app"]; ran {
			t.Errorf("-j %d: app ran", parallel)
		}
		if ok, _ := res.Count(); ok != 2 {
			t.Errorf("-j %d: %d succeeded, want d and e", parallel, ok)
		}
	}
}

func TestScheduleInterruptStartsNothingNew(t *testing.T) {
	p := build(t, fleet(), "up", "-d")
	ctx, cancel := context.WithCancelCause(context.Background())
	sp := &slowProc{start: map[string]time.Time{}, end: map[string]time.Time{}}
	ios, _, _, _ := output.Test()
	ios = SyncIO(ios)
	r := &Runner{Proc: sp, IO: ios, Reporter: &recorder{}, Clock: SystemClock{}, Parallel: 2}
	time.AfterFunc(10*time.Millisecond, func() { cancel(errors.New("interrupted")) })
	res := r.Run(ctx, p)
	if res.ExitCode() != 130 {
		t.Fatalf("exit %d, want 130", res.ExitCode())
	}
	if n := len(sp.start); n != 2 {
		t.Errorf("%d stacks started, want the 2 running when interrupted", n)
	}
	notRun := 0
	for _, sr := range res.Stacks {
		if sr.Status == NotRun {
			notRun++
		}
	}
	if notRun != len(p.Stacks)-2 {
		t.Errorf("%d stacks not run, want %d", notRun, len(p.Stacks)-2)
	}
}

func TestReadiness(t *testing.T) {
	tests := []struct {
		ps      string
		ready   bool
		final   bool
		pending string
	}{
		{``, true, false, ""},
		{`{"Service":"web","State":"running","Health":""}`, true, false, ""},
		{`[{"Service":"web","State":"running","Health":"healthy"},{"Service":"migrate","State":"exited","ExitCode":0}]`, true, false, ""},
		{"{\"Service\":\"web\",\"State\":\"running\",\"Health\":\"starting\"}\n{\"Service\":\"db\",\"State\":\"restarting\"}", false, false, "db: restarting, web: starting"},
		{`{"Service":"web","State":"running","Health":"unhealthy"}`, false, false, "web: unhealthy"},
		{`[{"Service":"migrate","State":"exited","ExitCode":2},{"Service":"web","State":"created"}]`, false, true, "migrate: exited with 2, web: created"},
	}
	for _, tt := range tests {
		cs, err := ParseContainers([]byte(tt.ps))
		if err != nil {
			t.Fatalf("%s: %v", tt.ps, err)
		}
		ready, pending, final := Readiness(cs)
		if ready != tt.ready || final != tt.final || pending != tt.pending {
			t.Errorf("%s: ready %v final %v %q, want %v %v %q", tt.ps, ready, final, pending, tt.ready, tt.final, tt.pending)
		}
	}
	if _, err := ParseContainers([]byte("not json")); err == nil {
		t.Error("not json parsed")
	}
}

var _ = plan.LockFile
