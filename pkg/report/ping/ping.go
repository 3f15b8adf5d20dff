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
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/hooks"
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

// keepSize is how much of the output's end a [Tail] keeps: more than
// [TailSize], so that the body is cut after it is masked (masking makes
// text shorter), not before.
const keepSize = 4 * TailSize

// Quiet reports whether command never pings: its row in the command
// table (pkg/commands) says it does not (read-only views a person runs by
// hand, which must not reset the monitor of a cron job; attach).
func Quiet(command string) bool { return !commands.Lookup(command).Pings }

// Tail keeps the last bytes written to it (a few times [TailSize]) and
// counts them all. Safe for concurrent use.
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
	if len(t.buf) > 2*keepSize {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-keepSize:]...)
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

// Since returns the end of what was written after mark (at most a few
// times [TailSize]); cut reports whether its start was cut off.
func (t *Tail) Since(mark int64) (b []byte, cut bool) {
	if t == nil {
		return nil, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.total - mark
	if n > keepSize {
		n, cut = keepSize, true
	}
	if n > int64(len(t.buf)) {
		n, cut = int64(len(t.buf)), true
	}
	return append([]byte(nil), t.buf[int64(len(t.buf))-n:]...), cut
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
	// delivered (masked, naming no URL beyond its scheme and host).
	Warn io.Writer
	// Parallel is set when stacks run at once: a stack's body is then
	// what [Pinger.StackOutput] got, never the run's output, which mixes
	// the stacks' lines (another owner's data).
	Parallel bool

	runURL  string
	command string
	mask    *env.Masker
	marks   map[*plan.Stack]int64
	outs    map[*plan.Stack]*Tail // a stack's own output, when Parallel
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
	if Quiet(p.Command) {
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
	pg.outs = map[*plan.Stack]*Tail{}
	pg.mask = p.Masker
	pg.command = p.Command
	pg.off = dryRun || Quiet(p.Command)
	if pg.off {
		return
	}
	pg.runURL = URLFor(p, pg.Environ)
	// The URLs as they are sent (trimmed) are secrets too.
	pg.mask = pg.mask.WithValues(pg.runURL)
	for _, s := range p.Stacks {
		pg.mask = pg.mask.WithValues(pg.stackURL(s))
	}
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

// StackOutput returns the writer that gets everything s's processes
// print, for the body of s's own pings when stacks run at once
// ([Pinger.Parallel]); nil when s has no URL of its own or nothing
// pings.
func (pg *Pinger) StackOutput(s *plan.Stack) io.Writer {
	if pg.off || !pg.Parallel || pg.stackURL(s) == "" {
		return nil
	}
	pg.mu.Lock()
	defer pg.mu.Unlock()
	t := pg.outs[s]
	if t == nil {
		t = &Tail{}
		pg.outs[s] = t
	}
	return t
}

// HookEnv implements [run.EnvReporter]: a secret a hook passed on through
// $KOMPOSE_ENV is masked in every body from now on, the run's included.
func (pg *Pinger) HookEnv(s *plan.Stack, _ *plan.Step, vars []hooks.Assignment, _ []string) {
	secrets := HookSecrets(s, vars)
	pg.mu.Lock()
	defer pg.mu.Unlock()
	pg.mask = pg.mask.WithValues(secrets...)
}

// HookSecrets are the values of the variables of a secret name (by s's
// masker) among vars, the KEY=VALUE lines a hook of s passed on: what a
// reporter that quotes output must mask from then on.
func HookSecrets(s *plan.Stack, vars []hooks.Assignment) []string {
	var secrets []string
	for _, v := range vars {
		if s.Masker.IsSecret(v.Name) {
			secrets = append(secrets, v.Value)
		}
	}
	return secrets
}

// learn adds the secrets of m (a stack's masker, with what its hooks
// passed on) to those masked in every body from now on.
func (pg *Pinger) learn(m *env.Masker) *env.Masker {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	pg.mask = env.Union(pg.mask, m) // values and public words of both
	return pg.mask
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
	mask := pg.learn(sr.Stack.Masker)
	pg.mu.Lock()
	out, mark := pg.Tail, pg.marks[sr.Stack]
	if pg.Parallel {
		out, mark = pg.outs[sr.Stack], 0
	}
	pg.mu.Unlock()
	body := body(mask, out, mark, fmt.Sprintf("kompose: %s: %s", sr.Stack.Name, statusWord(sr.Status)), sr.Err)
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
		mask := pg.mask
		for _, sr := range r.Stacks {
			mask = pg.learn(sr.Stack.Masker)
		}
		body := body(mask, pg.Tail, 0, summary+"\n"+strings.Join(errs, "\n"), nil)
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

// body is the end of out since mark, then summary and err: masked with
// mask first, then cut to its last [TailSize] bytes, so that no cut
// leaves part of a secret unmasked.
func body(mask *env.Masker, out *Tail, mark int64, summary string, err error) []byte {
	var b bytes.Buffer
	tail, cut := out.Since(mark)
	b.Write(tail)
	if b.Len() > 0 && !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
		b.WriteByte('\n')
	}
	b.WriteString(summary)
	if err != nil {
		b.WriteString(": " + err.Error())
	}
	b.WriteByte('\n')
	masked := mask.String(b.String())
	if cut {
		masked = mask.StringAfterCut(b.String())
	}
	if len(masked) > TailSize {
		i := len(masked) - TailSize
		for i < len(masked) && !utf8.RuneStart(masked[i]) {
			i++
		}
		masked = masked[i:]
	}
	return []byte(masked)
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
		pg.warn(requestError(last))
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
		return fmt.Errorf("%s: %s", origin(url), resp.Status)
	}
	return nil
}

// requestError says what went wrong with a request without its URL
// beyond the scheme and host: the path of a check's URL is its secret,
// and net/http's errors (*url.Error) quote the URL whole, with a
// lower-cased scheme and a redacted password that no masker recognises.
func requestError(err error) string {
	var ue *neturl.Error
	if !errors.As(err, &ue) {
		return err.Error()
	}
	inner := ue.Err
	for {
		// A redirect's error quotes the next URL too.
		var next *neturl.Error
		if !errors.As(inner, &next) {
			break
		}
		inner = next.Err
	}
	if ue.Op == "parse" {
		return fmt.Sprintf("%s is not a valid URL (%s)", Var, parseProblem(inner))
	}
	return fmt.Sprintf("%s %s: %v", ue.Op, origin(ue.URL), inner)
}

// parseProblem is what net/url says about a URL that does not parse,
// without the parts of it that it quotes.
func parseProblem(err error) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '"'); i >= 0 {
		msg = strings.TrimSpace(msg[:i])
	}
	return msg
}

// origin is the scheme and host of rawURL ("https://hc-ping.com"), or
// "the URL" when it has none that can be shown.
func origin(rawURL string) string {
	u, err := neturl.Parse(strings.TrimSpace(rawURL))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "the URL"
	}
	return strings.ToLower(u.Scheme) + "://" + u.Host
}
