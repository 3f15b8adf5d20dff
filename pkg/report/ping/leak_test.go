package ping

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/run"
)

// TestWarningsNeverShowTheURL: whatever shape the URL has (a trailing
// space, an upper-case scheme, user information) and whatever goes wrong
// (nothing listens, an error status, a URL that does not parse), a
// warning names the scheme and host at most, never the check's path.
func TestWarningsNeverShowTheURL(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	l.Close()
	fail := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNotFound)
	}))
	t.Cleanup(fail.Close)
	up := strings.TrimPrefix(fail.URL, "http://")
	for i, u := range []string{
		"http://" + down + "/0d4c5a6e-uuid ",
		"HTTP://" + down + "/0d4c5a6e-uuid",
		"http://ops:pw-0d4c5a6e@" + down + "/0d4c5a6e-uuid",
		"HTTP://" + up + "/0d4c5a6e-uuid ",
		"http://ops:pw-0d4c5a6e@" + up + "/0d4c5a6e-uuid",
		"http://" + up + "/0d4c5a6e-uuid\x7f",
		"http://[" + up + "/0d4c5a6e-uuid",
		"httpx://" + up + "/0d4c5a6e-uuid",
	} {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			var warn bytes.Buffer
			pg := &Pinger{Tail: &Tail{}, Warn: &warn, Budget: 2 * time.Second}
			walk(pg, newPlan(u, nil, "blog"), map[string]run.Status{"blog": run.Succeeded})
			w := warn.String()
			if !strings.Contains(w, "warning: ping") || strings.Contains(strings.ToLower(w), "0d4c5a6e") {
				t.Errorf("URL %q: warning %q", u, w)
			}
		})
	}
}

// TestStackBodiesAreTheirOwn: with stacks running at once, each stack's
// monitor gets only that stack's output, not what another stack printed
// meanwhile.
func TestStackBodiesAreTheirOwn(t *testing.T) {
	srv := newServer(t, false)
	p := newPlan("", map[string]string{"a": srv.URL + "/a", "b": srv.URL + "/b"}, "a", "b")
	tail := &Tail{}
	pg := &Pinger{Tail: tail, Parallel: true}
	pg.Begin(p, false)
	a, b := p.Stacks[0], p.Stacks[1]
	pg.StackStart(a, 0, 2)
	pg.StackStart(b, 1, 2)
	for _, s := range []*plan.Stack{a, b, a, b} {
		line := []byte("private output of " + s.Name + "\n")
		tail.Write(line) // the run's output: both
		pg.StackOutput(s).Write(line)
	}
	pg.StackDone(run.StackResult{Stack: a, Status: run.Succeeded})
	pg.StackDone(run.StackResult{Stack: b, Status: run.Succeeded})
	pg.End(&run.Result{Stacks: []run.StackResult{{Stack: a}, {Stack: b}}})
	for _, g := range srv.pings() {
		if strings.HasPrefix(g, "POST /a ") && strings.Contains(g, "of b") || strings.HasPrefix(g, "POST /b ") && strings.Contains(g, "of a") {
			t.Errorf("a stack's monitor got another stack's output: %q", g)
		}
		if g == "POST /a kompose: a: succeeded\n" || g == "POST /b kompose: b: succeeded\n" {
			t.Errorf("a stack's own output is missing: %q", g)
		}
	}
}

// TestBodyMaskedThenCut: a secret a hook passed on through $KOMPOSE_ENV
// is masked in the bodies, the stack's and the run's; and a secret that
// the 10 kB cut would split is masked before the cut, so no body starts
// with the rest of a secret.
func TestBodyMaskedThenCut(t *testing.T) {
	srv := newServer(t, false)
	p := newPlan(srv.URL+"/run", map[string]string{"blog": srv.URL + "/blog"}, "blog")
	s := p.Stacks[0]
	tail := &Tail{}
	pg := &Pinger{Tail: tail}
	pg.Begin(p, false)
	pg.StackStart(s, 0, 1)
	const passed = "Deploy-Tok-9f8e7d6c5b4a"
	// a long secret of the plan right where the cut falls
	long := "Zq" + strings.Repeat("x7", 200)
	p.Masker = p.Masker.WithValues(long)
	s.Masker = s.Masker.WithValues(long)
	pg.mask = pg.mask.WithValues(long)
	tail.Write([]byte(long + "\n"))
	tail.Write(bytes.Repeat([]byte("filler line\n"), (TailSize-100)/12))
	tail.Write([]byte("token " + passed + " printed by the hook\n"))
	// what the runner does when the hook passed DEPLOY_TOKEN on
	s.Masker = s.Masker.WithValues(passed)
	pg.HookEnv(s, &plan.Step{}, []hooks.Assignment{{Name: "DEPLOY_TOKEN", Value: passed}}, nil)
	pg.StackDone(run.StackResult{Stack: s, Status: run.Succeeded})
	pg.End(&run.Result{Stacks: []run.StackResult{{Stack: s, Status: run.Succeeded}}})
	for _, g := range srv.pings() {
		if strings.Contains(g, passed) || strings.Contains(g, "Deploy-Tok") {
			t.Errorf("a secret passed on through $KOMPOSE_ENV went out: %.80q", g)
		}
		if strings.Contains(g, "x7x7x7x7") {
			t.Errorf("a body holds part of a secret cut at the start: %.80q", g)
		}
		if _, body, _ := strings.Cut(g, " "); len(body) > TailSize+len("/blog ") {
			t.Errorf("body of %d bytes", len(body))
		}
	}
	if env.Mask == "" {
		t.Fatal("no mask")
	}
}
