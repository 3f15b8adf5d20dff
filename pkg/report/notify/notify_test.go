package notify

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/report/ping"
	"github.com/kompose-dev/kompose/pkg/run"
	"github.com/kompose-dev/kompose/pkg/stack"
)

// receiver is a real HTTP server on loopback that records what arrives.
type receiver struct {
	mu   sync.Mutex
	got  []string
	hang chan struct{}
	*httptest.Server
}

func newReceiver(t *testing.T, hang bool) *receiver {
	r := &receiver{}
	if hang {
		r.hang = make(chan struct{})
	}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, req.Method+" "+req.URL.Path+" "+req.Header.Get("Title")+"\n"+string(b))
		r.mu.Unlock()
		if r.hang != nil {
			select {
			case <-r.hang:
			case <-req.Context().Done():
			}
		}
	}))
	t.Cleanup(func() {
		if r.hang != nil {
			close(r.hang)
		}
		r.Close()
	})
	return r
}

func (r *receiver) received() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

func (r *receiver) hostPort() string { return strings.TrimPrefix(r.URL, "http://") }

// newPlan is a db:export plan of stacks; rootVars go in the root .env,
// stackVars[name] in that stack's .env.
func newPlan(rootVars map[string]string, stackVars map[string]map[string]string, names ...string) *plan.Plan {
	base := env.New()
	for k, v := range rootVars {
		base.Set(k, v, env.SourceRootEnv)
	}
	p := &plan.Plan{Command: "db:export", Global: base.Layered(), Masker: env.NewMasker(base)}
	for _, n := range names {
		e := base.Clone()
		for k, v := range stackVars[n] {
			e.Set(k, v, env.SourceStackEnv)
		}
		p.Stacks = append(p.Stacks, &plan.Stack{Stack: stack.Stack{Name: n}, Env: e, Masker: env.NewMasker(e).Using(p.Masker)})
	}
	return p
}

// walk reports a run of p to n: each stack prints lines and ends with
// its outcome (a failure is pg_dump exiting 3).
func walk(n *Notifier, out *ping.Tail, p *plan.Plan, outcomes map[string]run.Status, printed map[string]string) {
	n.Begin(p, false)
	res := &run.Result{}
	for i, s := range p.Stacks {
		n.StackStart(s, i, len(p.Stacks))
		out.Write([]byte("output of " + s.Name + "\n" + printed[s.Name]))
		sr := run.StackResult{Stack: s, Status: outcomes[s.Name], Duration: 1500 * time.Millisecond}
		if sr.Status == run.Failed {
			sr.Err = errors.Join(errors.New("pg_dump failed"), &proc.ExitError{Code: 3})
		}
		n.StackDone(sr)
		res.Stacks = append(res.Stacks, sr)
	}
	n.End(res)
}

// TestGenericWebhook: a failed stack's message reaches a generic JSON
// webhook with the stack, command, host, exit status, duration and the
// end of its output; a succeeded stack sends nothing by default; the
// webhook's secret path and a database password in the output are in no
// message and no warning.
func TestGenericWebhook(t *testing.T) {
	rc := newReceiver(t, false)
	u := "generic://" + rc.hostPort() + "/hook/s3cr3t-path-7f?disabletls=yes&template=json"
	var warn bytes.Buffer
	out := &ping.Tail{}
	n := &Notifier{Output: out, Host: "srv1", Warn: &warn}
	p := newPlan(map[string]string{Var: u, "DB_PASSWORD": "hunter2-pw"}, nil, "blog", "news")
	walk(n, out, p, map[string]run.Status{"blog": run.Succeeded, "news": run.Failed},
		map[string]string{"news": "pg_dump: error: connection failed, password hunter2-pw\n"})
	got := rc.received()
	if len(got) != 1 {
		t.Fatalf("want one message (news failed), got %q", got)
	}
	_, body, _ := strings.Cut(got[0], "\n")
	var msg struct{ Title, Message string }
	if err := json.Unmarshal([]byte(body), &msg); err != nil {
		t.Fatalf("not JSON: %v: %s", err, body)
	}
	if !strings.HasPrefix(got[0], "POST /hook/s3cr3t-path-7f") {
		t.Errorf("request: %q", got[0])
	}
	if msg.Title != "kompose: news db:export failed on srv1" {
		t.Errorf("title %q", msg.Title)
	}
	for _, want := range []string{"stack:    news\n", "command:  db:export\n", "host:     srv1\n", "status:   failed (exit status 3)\n", "duration: 1.5s\n", "error:    pg_dump failed\nexit status 3", "end of the output:\noutput of news\npg_dump: error: connection failed, password ****\n"} {
		if !strings.Contains(msg.Message, want) {
			t.Errorf("message lacks %q:\n%s", want, msg.Message)
		}
	}
	if strings.Contains(msg.Message, "hunter2") || strings.Contains(msg.Message, "s3cr3t") || strings.Contains(msg.Message, "output of blog") {
		t.Errorf("message holds a secret or another stack's output:\n%s", msg.Message)
	}
	if warn.Len() > 0 {
		t.Errorf("warnings: %s", warn.String())
	}
}

// TestNtfyAndAlways: with KOMPOSE_NOTIFY_ON=always every stack that ran
// sends, to each of its URLs (two ntfy topics on a real listener, one of
// them only in news's .env); "never" in a stack's .env silences it; a bad
// value warns and falls back to failures only.
func TestNtfyAndAlways(t *testing.T) {
	rc := newReceiver(t, false)
	topic := func(name string) string { return "ntfy://" + rc.hostPort() + "/" + name + "?scheme=http" }
	var warn bytes.Buffer
	out := &ping.Tail{}
	n := &Notifier{Output: out, Host: "srv1", Warn: &warn}
	p := newPlan(map[string]string{Var: topic("ops-topic-a1"), OnVar: "always"},
		map[string]map[string]string{
			"news": {Var: topic("ops-topic-a1") + "\n " + topic("news-topic-b2")},
			"shop": {OnVar: "never"},
			"wiki": {OnVar: "sometimes"},
		}, "blog", "news", "shop", "wiki")
	walk(n, out, p, map[string]run.Status{"blog": run.Succeeded, "news": run.Succeeded, "shop": run.Failed, "wiki": run.Succeeded}, nil)
	got := strings.Join(rc.received(), "|")
	for _, want := range []string{"POST /ops-topic-a1 kompose: blog db:export succeeded on srv1\nstack:    blog\n", "POST /news-topic-b2 kompose: news db:export succeeded", "POST /ops-topic-a1 kompose: news db:export succeeded"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in %q", want, got)
		}
	}
	if strings.Contains(got, "shop") || strings.Contains(got, "wiki") {
		t.Errorf("shop (never) or wiki (succeeded, bad value: failures only) sent: %q", got)
	}
	if len(rc.received()) != 3 {
		t.Errorf("want 3 messages, got %q", rc.received())
	}
	if w := warn.String(); !strings.Contains(w, `warning: notify: wiki: KOMPOSE_NOTIFY_ON="sometimes": want failure, always or never`) {
		t.Errorf("warnings: %q", w)
	}
}

// TestBudget: a receiver that never answers holds the end of the run no
// longer than the budget, and the warning names the service, not the
// topic nor the host.
func TestBudget(t *testing.T) {
	rc := newReceiver(t, true)
	var warn bytes.Buffer
	out := &ping.Tail{}
	n := &Notifier{Output: out, Warn: &warn, Budget: 1500 * time.Millisecond}
	p := newPlan(map[string]string{Var: "ntfy://" + rc.hostPort() + "/hang-topic-c3?scheme=http"}, nil, "blog", "news")
	start := time.Now()
	walk(n, out, p, map[string]run.Status{"blog": run.Failed, "news": run.Failed}, nil)
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("the run was held %s (budget 1.5s)", d)
	}
	w := warn.String()
	if !strings.Contains(w, "warning: notify: blog: KOMPOSE_NOTIFY_URL (ntfy) not delivered") {
		t.Errorf("warnings: %q", w)
	}
	if strings.Contains(w, "hang-topic") || strings.Contains(w, rc.hostPort()) {
		t.Errorf("a warning shows the URL: %q", w)
	}
}

// TestWarningsNeverShowTheURL: whatever goes wrong (nothing listens, an
// error status, a URL that does not parse, an unknown service), a
// warning names the service at most, never a token, topic, password or
// host.
func TestWarningsNeverShowTheURL(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	l.Close()
	fail := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no such topic", http.StatusNotFound)
	}))
	t.Cleanup(fail.Close)
	up := strings.TrimPrefix(fail.URL, "http://")
	for i, u := range []string{
		"ntfy://" + down + "/Topic-0d4c5a6e?scheme=http",
		"ntfy://ops:Pw-0d4c5a6e@" + up + "/topic-0d4c5a6e?scheme=http",
		"generic://" + up + "/hook/0d4c5a6e?disabletls=yes",
		"generic+http://" + up + "/hook/0d4c5a6e",
		"smtp://ops:pw-0d4c5a6e@" + down + "/?from=k@0d4c5a6e.example&to=ops@example.org&encryption=None&usestarttls=no",
		"discord://token-0d4c5a6e@webhookid",
		"NTFY://" + up + "/%30d4c5a6e?scheme=http",
		"ntfy://[" + up + "/0d4c5a6e",
		"nosuch://" + up + "/0d4c5a6e",
		"telegram://0d4c5a6e:AAH@telegram?chats=@chan",
	} {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			var warn bytes.Buffer
			out := &ping.Tail{}
			n := &Notifier{Output: out, Warn: &warn, Budget: 2 * time.Second}
			walk(n, out, newPlan(map[string]string{Var: u}, nil, "blog"), map[string]run.Status{"blog": run.Failed}, nil)
			w := warn.String()
			t.Log(w)
			if !strings.Contains(w, "warning: notify: blog: KOMPOSE_NOTIFY_URL (") || strings.Contains(strings.ToLower(w), "0d4c5a6e") || strings.Contains(w, up) || strings.Contains(w, down) {
				t.Errorf("URL %q: warning %q", u, w)
			}
		})
	}
}

// TestSMTP: a message reaches a real SMTP server (Python's smtpd
// DebuggingServer, started on loopback by the test and stopped after):
// the subject is the title, the body holds the stack's details.
func TestSMTP(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		skipOrFail(t, "python3 not found")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(py, "-W", "ignore", "-u", "-m", "smtpd", "-n", "-c", "DebuggingServer", addr)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	if !waitListening(addr, 5*time.Second) {
		if strings.Contains(stderr.String(), "No module named smtpd") {
			skipOrFail(t, "python3 has no smtpd module")
		}
		t.Fatalf("smtpd did not start: %s", stderr.String())
	}
	var warn bytes.Buffer
	out := &ping.Tail{}
	n := &Notifier{Output: out, Host: "srv1", Warn: &warn}
	u := "smtp://" + addr + "/?from=kompose@example.org&to=ops@example.org&auth=None&encryption=None&usestarttls=no"
	walk(n, out, newPlan(map[string]string{Var: u}, nil, "blog"), map[string]run.Status{"blog": run.Failed}, nil)
	if warn.Len() > 0 {
		t.Fatalf("warnings: %s", warn.String())
	}
	var mail strings.Builder
	deadline := time.After(5 * time.Second)
	for !strings.Contains(mail.String(), "------------ END MESSAGE ------------") {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("smtpd ended: %s\n%s", mail.String(), stderr.String())
			}
			mail.WriteString(line + "\n")
		case <-deadline:
			t.Fatalf("no mail arrived: %s", mail.String())
		}
	}
	m := mail.String()
	for _, want := range []string{"Subject: kompose: blog db:export failed on srv1", "To: ops@example.org", "stack:    blog", "status:   failed (exit status 3)", "output of blog"} {
		if !strings.Contains(m, want) {
			t.Errorf("the mail lacks %q:\n%s", want, m)
		}
	}
}

func waitListening(addr string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// skipOrFail skips a test whose dependency is missing, unless
// KOMPOSE_REQUIRE_ALL=1 asks for every test to run.
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("KOMPOSE_REQUIRE_ALL") == "1" {
		t.Fatalf("%s (KOMPOSE_REQUIRE_ALL=1)", why)
	}
	t.Skip(why)
}

// TestDryRunAndViewsSendNothing: a dry run and a read-only view never
// notify, even when every stack "fails".
func TestDryRunAndViewsSendNothing(t *testing.T) {
	rc := newReceiver(t, false)
	u := "generic://" + rc.hostPort() + "/hook?disabletls=yes"
	out := &ping.Tail{}
	p := newPlan(map[string]string{Var: u}, nil, "blog")
	n := &Notifier{Output: out}
	n.Begin(p, true)
	n.StackDone(run.StackResult{Stack: p.Stacks[0], Status: run.Failed, Err: errors.New("x")})
	n.End(&run.Result{})
	p.Command = "status"
	if Wanted(p, nil) {
		t.Error("status notifies")
	}
	p.Command = "db:export"
	if !Wanted(p, nil) {
		t.Error("db:export with a URL does not notify")
	}
	if got := rc.received(); len(got) > 0 {
		t.Errorf("a dry run sent %q", got)
	}
}

func TestParseWhen(t *testing.T) {
	for v, want := range map[string]When{"": OnFailure, "failure": OnFailure, " Always ": Always, "never": Never} {
		if got, err := ParseWhen(v); err != nil || got != want {
			t.Errorf("ParseWhen(%q) = %v, %v", v, got, err)
		}
	}
	if _, err := ParseWhen("yes"); err == nil {
		t.Error("ParseWhen(yes) is no error")
	}
}
