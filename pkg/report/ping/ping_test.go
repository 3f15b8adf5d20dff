package ping

import (
	"bytes"
	"errors"
	"github.com/kompose-dev/kompose/pkg/commands"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/run"
	"github.com/kompose-dev/kompose/pkg/stack"
)

// server records the pings it gets: path and body.
type server struct {
	mu   sync.Mutex
	got  []string
	hang chan struct{}
	*httptest.Server
}

func newServer(t *testing.T, hang bool) *server {
	s := &server{}
	if hang {
		s.hang = make(chan struct{})
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, r.Method+" "+r.URL.Path+" "+string(b))
		s.mu.Unlock()
		if s.hang != nil {
			select {
			case <-s.hang:
			case <-r.Context().Done():
			}
		}
	}))
	t.Cleanup(func() {
		if s.hang != nil {
			close(s.hang)
		}
		s.Close()
	})
	return s
}

func (s *server) pings() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

// newPlan returns a plan of stacks; runURL goes in the root .env
// (Global), stackURLs in the stacks' own environments.
func newPlan(runURL string, stackURLs map[string]string, names ...string) *plan.Plan {
	base := env.New()
	p := &plan.Plan{Command: "db:export"}
	if runURL != "" {
		base.Set(Var, runURL, env.SourceRootEnv)
		p.Global = base.Layered()
	}
	p.Masker = env.NewMasker(base)
	for _, n := range names {
		e := base.Clone()
		if u := stackURLs[n]; u != "" {
			e.Set(Var, u, env.SourceStackEnv)
		}
		p.Stacks = append(p.Stacks, &plan.Stack{Stack: stack.Stack{Name: n}, Env: e, Masker: env.NewMasker(e).Using(p.Masker)})
	}
	return p
}

// walk reports a run of p to pg: each stack prints a line and ends with
// its outcome.
func walk(pg *Pinger, p *plan.Plan, outcomes map[string]run.Status) {
	pg.Begin(p, false)
	res := &run.Result{}
	for i, s := range p.Stacks {
		pg.StackStart(s, i, len(p.Stacks))
		fmt := "output of " + s.Name + "\n"
		pg.Tail.Write([]byte(fmt))
		sr := run.StackResult{Stack: s, Status: outcomes[s.Name]}
		if sr.Status == run.Failed {
			sr.Err = errors.New("pg_dump failed: exit status 1")
		}
		pg.StackDone(sr)
		res.Stacks = append(res.Stacks, sr)
	}
	pg.End(res)
}

func TestRunPings(t *testing.T) {
	srv := newServer(t, false)
	url := srv.URL + "/ping/abc-uuid"
	var warn bytes.Buffer
	pg := &Pinger{Tail: &Tail{}, Warn: &warn}
	walk(pg, newPlan(url, nil, "blog", "news"), map[string]run.Status{"blog": run.Succeeded, "news": run.Succeeded})
	got := srv.pings()
	if len(got) != 2 || got[0] != "POST /ping/abc-uuid/start " || !strings.HasPrefix(got[1], "POST /ping/abc-uuid output of blog\noutput of news\nkompose db:export: 2 succeeded, 0 failed out of 2 stacks") {
		t.Errorf("pings: %q", got)
	}
	if warn.Len() > 0 {
		t.Errorf("warnings: %s", warn.String())
	}

	srv2 := newServer(t, false)
	pg = &Pinger{Tail: &Tail{}, Warn: &warn}
	walk(pg, newPlan(srv2.URL+"/p", nil, "blog", "news"), map[string]run.Status{"blog": run.Succeeded, "news": run.Failed})
	got = srv2.pings()
	if len(got) != 2 || !strings.HasPrefix(got[1], "POST /p/fail output of blog\noutput of news\n") || !strings.Contains(got[1], "news: pg_dump failed: exit status 1") {
		t.Errorf("pings: %q", got)
	}
}

// TestStackPings: a stack whose .env names its own URL gets its own pings,
// with its own output as the body.
func TestStackPings(t *testing.T) {
	srv := newServer(t, false)
	pg := &Pinger{Tail: &Tail{}}
	p := newPlan("", map[string]string{"blog": srv.URL + "/blog", "news": srv.URL + "/news"}, "blog", "news", "shop")
	walk(pg, p, map[string]run.Status{"blog": run.Succeeded, "news": run.Failed, "shop": run.Succeeded})
	got := strings.Join(srv.pings(), "|")
	for _, want := range []string{"POST /blog/start |", "POST /blog output of blog\nkompose: blog: succeeded\n", "POST /news/start |", "POST /news/fail output of news\nkompose: news: failed: pg_dump failed: exit status 1\n"} {
		if !strings.Contains(got+"|", want) {
			t.Errorf("missing %q in %q", want, got)
		}
	}
	if strings.Contains(got, "shop") {
		t.Errorf("shop has no URL but was pinged: %q", got)
	}
}

// TestHangingServer: a server that accepts and never answers holds the end
// of the run for the budget at most, and the warning hides the URL.
func TestHangingServer(t *testing.T) {
	srv := newServer(t, true)
	url := srv.URL + "/secret-uuid"
	var warn bytes.Buffer
	pg := &Pinger{Tail: &Tail{}, Warn: &warn, Budget: time.Second}
	t0 := time.Now()
	walk(pg, newPlan(url, nil, "blog"), map[string]run.Status{"blog": run.Succeeded})
	if d := time.Since(t0); d > 1500*time.Millisecond {
		t.Errorf("the run was held up %s by a hanging server (budget 1s)", d)
	}
	if !strings.Contains(warn.String(), "ping") || strings.Contains(warn.String(), "secret-uuid") {
		t.Errorf("warning: %q", warn.String())
	}
	if len(srv.pings()) == 0 {
		t.Error("the hanging server got nothing")
	}
}

// TestDefaultBudget: with the default budget, a hanging server holds the
// run up by about DefaultBudget, never more.
func TestDefaultBudget(t *testing.T) {
	srv := newServer(t, true)
	pg := &Pinger{Tail: &Tail{}, Warn: io.Discard}
	t0 := time.Now()
	walk(pg, newPlan(srv.URL, nil, "blog"), map[string]run.Status{"blog": run.Succeeded})
	if d := time.Since(t0); d > DefaultBudget+time.Second {
		t.Errorf("held up %s", d)
	}
}

// TestServerDown: nothing listens: the run is not held up, each ping is
// tried a few times, and the warning hides the URL.
func TestServerDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var warn bytes.Buffer
	pg := &Pinger{Tail: &Tail{}, Warn: &warn}
	t0 := time.Now()
	walk(pg, newPlan("http://"+addr+"/down-uuid", nil, "blog"), map[string]run.Status{"blog": run.Failed})
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("held up %s by a server that is down", d)
	}
	if !strings.Contains(warn.String(), "connection refused") || strings.Contains(warn.String(), "down-uuid") {
		t.Errorf("warning: %q", warn.String())
	}
}

// TestQuiet: read-only commands and dry runs ping nothing.
func TestQuiet(t *testing.T) {
	srv := newServer(t, false)
	p := newPlan(srv.URL, nil, "blog")
	p.Command = "logs"
	walk(&Pinger{Tail: &Tail{}}, p, map[string]run.Status{"blog": run.Succeeded})
	p.Command = "up"
	pg := &Pinger{Tail: &Tail{}}
	pg.Begin(p, true)
	pg.End(&run.Result{DryRun: true})
	if got := srv.pings(); len(got) != 0 {
		t.Errorf("pings: %q", got)
	}
}

func TestTail(t *testing.T) {
	var tl Tail
	tl.Write(bytes.Repeat([]byte("a"), 3*keepSize))
	m := tl.Mark()
	tl.Write([]byte("bcd"))
	if got, cut := tl.Since(m); string(got) != "bcd" || cut {
		t.Errorf("since mark: %q (cut: %v)", got, cut)
	}
	if got, cut := tl.Since(0); len(got) != keepSize || !bytes.HasSuffix(got, []byte("bcd")) || !cut {
		t.Errorf("tail: %d bytes (cut: %v)", len(got), cut)
	}
}

// TestQuietFollowsTable: a run pings exactly for the commands whose row
// in the command table says so (exec does, attach and volumes do not).
func TestQuietFollowsTable(t *testing.T) {
	for _, c := range commands.Table() {
		p := newPlan("http://127.0.0.1:1/uuid", nil, "blog")
		p.Command = c.Name
		if got := Wanted(p, nil); got != c.Pings {
			t.Errorf("%s: Wanted %v; the table says pings %v", c.Name, got, c.Pings)
		}
	}
}
