// Package ping tells a dead-man's-switch monitor (healthchecks.io or
// anything speaking its protocol) about kompose runs, so that a nightly
// backup that silently stopped running pages someone.
//
// KOMPOSE_PING_URL, from the process environment, the root .env or -e,
// is pinged for the whole run: <url>/start when it starts, <url> when every
// stack succeeded, <url>/fail otherwise, with the tail of the run's output
// as the body. A stack whose own .env sets a different URL gets its own
// pings around that stack. Pings never fail the run and never hold it up
// for more than [DefaultBudget] in all: each is sent in the background
// with a few short attempts, and the end of the run waits for what is
// still under way only until the budget is spent. The URL is a secret
// (pkg/env): it appears in no output.
package ping

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/run"
)

// Var holds the URL to ping.
const Var = "KOMPOSE_PING_URL"

// DefaultBudget is the longest the end of a run waits for its pings.
const DefaultBudget = 5 * time.Second

// attemptTimeout bounds one HTTP request; attempts is how many are made.
const (
	attemptTimeout = 2 * time.Second
	attempts       = 3
)

// TailSize is how much of the output's end a /fail or success body holds
// (healthchecks.io keeps up to 100 kB).
const TailSize = 10 << 10

// Quiet are the commands that never ping: read-only views a person runs
// by hand, which must not reset the monitor of a cron job.
var Quiet = map[string]bool{
	"ps": true, "logs": true, "config": true, "ls": true, "images": true, "top": true,
	"events": true, "port": true, "version": true, "stats": true, "volumes": true,
	"help": true, "wait": true, "db:list": true,
}

// Tail keeps the last [TailSize] bytes written to it and counts them all.
// Safe for concurrent use.
type Tail struct {
	mu    sync.Mutex
	buf   []byte
	total int64
}

// Write implements io.Writer.
func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total += int64(len(p))
	t.buf = append(t.buf, p...)
	if len(t.buf) > TailSize {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-TailSize:]...)
	}
	return len(p), nil
}

// Mark returns how much was written so far.
func (t *Tail) Mark() int64 {
	if t == nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.total
}

// Since returns the end of what was written after mark (at most TailSize).
func (t *Tail) Since(mark int64) []byte {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.total - mark
	if n > int64(len(t.buf)) {
		n = int64(len(t.buf))
	}
	return append([]byte(nil), t.buf[int64(len(t.buf))-n:]...)
}

// Pinger is a [run.Reporter] that sends the pings of a run. Its stack
// events may come from several goroutines (-j).
type Pinger struct {
	// Environ is the process environment (a URL set there pings for the
	// whole run, as one in the root .env does).
	Environ []string
	// Tail, when set, is the run's output; its end is the body of the
	// last ping.
	Tail *Tail
	// Client sends the requests; a client of its own when nil.
	Client *http.Client
	// Budget bounds the wait at the end; DefaultBudget when zero.
	Budget time.Duration
	// Warn receives, at the end, one line per ping that could not be
	// delivered (masked).
	Warn io.Writer

	runURL  string
	command string
	mask    *env.Masker
	marks   map[*plan.Stack]int64
	wg      sync.WaitGroup
	mu      sync.Mutex
	warns   []string
	off     bool
	// last is, per URL, the end of its latest ping: the pings of one URL
	// are sent in order (a success must not overtake its /start).
	last map[string]chan struct{}
}

// URLFor returns the URL the run pings: KOMPOSE_PING_URL from the root
// .env or -e (p.Global), else from environ.
func URLFor(p *plan.Plan, environ []string) string {
	for i := len(p.Global) - 1; i >= 0; i-- {
		if p.Global[i].Name == Var {
			return strings.TrimSpace(p.Global[i].Value)
		}
	}
	for i := len(environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(environ[i], "="); ok && k == Var {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Wanted reports whether p pings anything: a URL for the run or for one of
// its stacks, and a command that is not [Quiet].
func Wanted(p *plan.Plan, environ []string) bool {
	if Quiet[p.Command] {
		return false
	}
	if URLFor(p, environ) != "" {
		return true
	}
	for _, s := range p.Stacks {
		if v, _ := s.Env.Get(Var); strings.TrimSpace(v) != "" {
			return true
		}
	}
	return false
}

func (pg *Pinger) stackURL(s *plan.Stack) string {
	if s.Env == nil {
		return ""
	}
	v, _ := s.Env.Get(Var)
	v = strings.TrimSpace(v)
	if v == pg.runURL {
		return ""
	}
	return v
}

// Begin implements [run.Reporter].
func (pg *Pinger) Begin(p *plan.Plan, dryRun bool) {
	pg.marks = map[*plan.Stack]int64{}
	pg.mask = p.Masker
	pg.command = p.Command
	pg.off = dryRun || Quiet[p.Command]
	if pg.off {
		return
	}
	pg.runURL = URLFor(p, pg.Environ)
	if pg.runURL != "" {
		pg.send(pg.runURL, "/start", nil)
	}
}

// StackStart implements [run.Reporter].
func (pg *Pinger) StackStart(s *plan.Stack, _, _ int) {
	if pg.off {
		return
	}
	if u := pg.stackURL(s); u != "" {
		pg.mu.Lock()
		pg.marks[s] = pg.Tail.Mark()
		pg.mu.Unlock()
		pg.send(u, "/start", nil)
	}
}

// StepPlanned implements [run.Reporter].
func (pg *Pinger) StepPlanned(*plan.Stack, *plan.Step) {}

// StepStart implements [run.Reporter].
func (pg *Pinger) StepStart(*plan.Stack, *plan.Step) {}

// StepDone implements [run.Reporter].
func (pg *Pinger) StepDone(*plan.Stack, *plan.Step, error, time.Duration) {}

// StepSkipped implements [run.Reporter].
func (pg *Pinger) StepSkipped(*plan.Stack, *plan.Step) {}

// StackDone implements [run.Reporter].
func (pg *Pinger) StackDone(sr run.StackResult) {
	if pg.off || sr.Status == run.Skipped {
		return
	}
	u := pg.stackURL(sr.Stack)
	if u == "" {
		return
	}
	pg.mu.Lock()
	mark := pg.marks[sr.Stack]
	pg.mu.Unlock()
	body := pg.body(mark, fmt.Sprintf("kompose: %s: %s", sr.Stack.Name, statusWord(sr.Status)), sr.Err)
	suffix := ""
	if sr.Status != run.Succeeded {
		suffix = "/fail"
	}
	pg.send(u, suffix, body)
}

// End implements [run.Reporter]: it sends the run's last ping, then waits
// for the pings still under way, up to the budget.
func (pg *Pinger) End(r *run.Result) {
	if pg.off {
		return
	}
	if pg.runURL != "" {
		summary := "kompose " + pg.command + ": " + r.Summary()
		if r.Interrupted {
			summary += "; interrupted"
		}
		var errs []string
		for _, sr := range r.Stacks {
			if sr.Err != nil && (sr.Status == run.Failed || sr.Status == run.Interrupted) {
				errs = append(errs, sr.Stack.Name+": "+sr.Stack.Masker.String(sr.Err.Error()))
			}
		}
		body := pg.body(0, summary+"\n"+strings.Join(errs, "\n"), nil)
		suffix := ""
		if r.ExitCode() != 0 {
			suffix = "/fail"
		}
		pg.send(pg.runURL, suffix, body)
	}
	done := make(chan struct{})
	go func() { pg.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(pg.budget()):
		pg.warn("gave up waiting for pings after " + pg.budget().String())
	}
	pg.mu.Lock()
	defer pg.mu.Unlock()
	if pg.Warn != nil {
		for _, w := range pg.warns {
			fmt.Fprintf(pg.Warn, "kompose: warning: ping: %s\n", w)
		}
	}
	pg.warns = nil
}

func statusWord(s run.Status) string {
	switch s {
	case run.Succeeded:
		return "succeeded"
	case run.Interrupted:
		return "interrupted"
	case run.NotRun:
		return "not run"
	}
	return "failed"
}

// body is the tail of the output since mark, then summary and err, all
// masked; the end is kept when it is too long.
func (pg *Pinger) body(mark int64, summary string, err error) []byte {
	var b bytes.Buffer
	b.Write(pg.Tail.Since(mark))
	if b.Len() > 0 && !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
		b.WriteByte('\n')
	}
	b.WriteString(summary)
	if err != nil {
		b.WriteString(": " + err.Error())
	}
	b.WriteByte('\n')
	out := []byte(pg.mask.String(b.String()))
	if len(out) > TailSize {
		out = out[len(out)-TailSize:]
	}
	return out
}

func (pg *Pinger) budget() time.Duration {
	if pg.Budget > 0 {
		return pg.Budget
	}
	return DefaultBudget
}

func (pg *Pinger) warn(msg string) {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	pg.warns = append(pg.warns, pg.mask.String(msg))
}

// send pings base+suffix in the background, after the earlier pings of
// base: a few attempts, each short, within the budget.
func (pg *Pinger) send(base, suffix string, body []byte) {
	client := pg.Client
	if client == nil {
		client = &http.Client{}
	}
	url := base + suffix
	pg.mu.Lock()
	if pg.last == nil {
		pg.last = map[string]chan struct{}{}
	}
	prev, done := pg.last[base], make(chan struct{})
	pg.last[base] = done
	pg.mu.Unlock()
	pg.wg.Add(1)
	go func() {
		defer pg.wg.Done()
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), pg.budget())
		defer cancel()
		if prev != nil {
			select {
			case <-prev:
			case <-ctx.Done():
			}
		}
		var last error
		for i := 0; i < attempts && ctx.Err() == nil; i++ {
			if i > 0 {
				select {
				case <-ctx.Done():
				case <-time.After(time.Duration(i) * 250 * time.Millisecond):
				}
			}
			if last = pg.try(ctx, client, url, body); last == nil {
				return
			}
		}
		if last == nil {
			last = ctx.Err()
		}
		pg.warn(last.Error())
	}()
}

func (pg *Pinger) try(ctx context.Context, client *http.Client, url string, body []byte) error {
	actx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	req.Header.Set("User-Agent", "kompose")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}
