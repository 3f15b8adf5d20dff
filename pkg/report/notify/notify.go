// Package notify tells people when a stack's run fails (and, when asked,
// when it succeeds), through the notification services of shoutrrr
// (github.com/nicholas-fedor/shoutrrr: ntfy, Gotify, Discord, Slack,
// Telegram, Matrix, e-mail over SMTP, generic webhooks and more), so that
// a nightly backup that failed at 03:15 is known before anyone needs it.
//
// KOMPOSE_NOTIFY_URL holds one or more notification URLs separated by
// spaces or new lines, from the process environment, the root .env, a
// stack's .env or -e; each stack uses the value its own environment ends
// up with. KOMPOSE_NOTIFY_ON is "failure" (the default), "always" or
// "never". A message says the stack, the command, the machine, the exit
// status, how long it took and the masked end of the stack's output.
//
// Sending never fails the run and never holds it up for more than
// [DefaultBudget] in all: each message is sent in the background as the
// stack ends, and the end of the run waits for what is still under way
// only until the budget is spent. A notification URL (an ntfy topic, a
// webhook's path, an SMTP password) is a secret: it appears in no output,
// and a message that could not be delivered is reported naming the
// service only.
package notify

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nicholas-fedor/shoutrrr/pkg/router"
	"github.com/nicholas-fedor/shoutrrr/pkg/types"

	"github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/report/ping"
	"github.com/kompose-dev/kompose/pkg/run"
)

// Var holds the notification URLs; OnVar says when to send.
const (
	Var   = "KOMPOSE_NOTIFY_URL"
	OnVar = "KOMPOSE_NOTIFY_ON"
)

// DefaultBudget is the longest the end of a run waits for its messages.
const DefaultBudget = 5 * time.Second

// TailSize is how much of the end of a stack's output a message holds:
// enough for the error, short enough for a chat message.
const TailSize = 3 << 10

// When says which stacks get a message.
type When int

// The values of KOMPOSE_NOTIFY_ON.
const (
	OnFailure When = iota // failed and interrupted stacks (the default)
	Always                // every stack that ran
	Never                 // none (a stack's .env can turn the root's URL off)
)

// ParseWhen reads a KOMPOSE_NOTIFY_ON value ("" is failure).
func ParseWhen(v string) (When, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "failure", "fail", "failed":
		return OnFailure, nil
	case "always":
		return Always, nil
	case "never":
		return Never, nil
	}
	return OnFailure, fmt.Errorf("%s=%q: want failure, always or never", OnVar, v)
}

// Output is what a stack printed: the notifier reads its end (a
// *ping.Tail is one).
type Output interface {
	Mark() int64
	Since(mark int64) (b []byte, cut bool)
}

// Sender delivers one message to one URL; [Shoutrrr] in a real run.
type Sender interface {
	Send(rawURL, title, message string, timeout time.Duration) error
}

// Shoutrrr sends through the shoutrrr service named by the URL's scheme.
type Shoutrrr struct{}

// Send implements [Sender].
func (Shoutrrr) Send(rawURL, title, message string, timeout time.Duration) error {
	r, err := router.New(nil)
	if err != nil {
		return err
	}
	r.Timeout = timeout
	if err := r.AddService(rawURL); err != nil {
		return fmt.Errorf("not a notification URL shoutrrr knows: %w", err)
	}
	for _, err := range r.Send(message, &types.Params{"title": title}) {
		if err != nil {
			return err
		}
	}
	return nil
}

// URLs splits a KOMPOSE_NOTIFY_URL value into its URLs.
func URLs(v string) []string { return strings.Fields(v) }

// Notifier is a [run.Reporter] that sends the messages of a run. Its
// stack events may come from several goroutines (-j).
type Notifier struct {
	// Environ is the process environment: the URL of a stack whose
	// environment could not be read.
	Environ []string
	// Output, when set, is the run's output; the end of what a stack
	// printed is in its message.
	Output Output
	// Parallel is set when stacks run at once: a stack's message then
	// holds what [Notifier.StackOutput] got, never the run's output,
	// which mixes the stacks' lines.
	Parallel bool
	// Sender delivers; [Shoutrrr] when nil.
	Sender Sender
	// Host names this machine in messages; os.Hostname when "".
	Host string
	// Budget bounds the wait at the end; DefaultBudget when zero.
	Budget time.Duration
	// Warn receives, at the end, one line per message not delivered.
	Warn io.Writer

	command string
	off     bool
	start   time.Time
	mu      sync.Mutex
	mask    *env.Masker
	marks   map[*plan.Stack]int64
	outs    map[*plan.Stack]*ping.Tail
	warns   []string
	wg      sync.WaitGroup
}

// Wanted reports whether a run of p may notify: its command is one that
// reports (not a read-only view, the rule of the pings) and some stack
// (or the process) has a URL.
func Wanted(p *plan.Plan, environ []string) bool {
	if !commands.Lookup(p.Command).Pings {
		return false
	}
	for _, s := range p.Stacks {
		if len(stackURLs(s, environ)) > 0 {
			return true
		}
	}
	return false
}

func stackURLs(s *plan.Stack, environ []string) []string {
	if s.Env != nil {
		v, _ := s.Env.Get(Var)
		return URLs(v)
	}
	for i := len(environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(environ[i], "="); ok && k == Var {
			return URLs(v)
		}
	}
	return nil
}

func (n *Notifier) when(s *plan.Stack) (When, error) {
	if s.Env == nil {
		return OnFailure, nil
	}
	v, _ := s.Env.Get(OnVar)
	return ParseWhen(v)
}

// Begin implements [run.Reporter].
func (n *Notifier) Begin(p *plan.Plan, dryRun bool) {
	n.command = p.Command
	n.off = dryRun || !commands.Lookup(p.Command).Pings
	n.marks = map[*plan.Stack]int64{}
	n.outs = map[*plan.Stack]*ping.Tail{}
	n.mask = p.Masker
	for _, s := range p.Stacks {
		n.mask = n.mask.WithValues(stackURLs(s, n.Environ)...)
	}
}

// StackStart implements [run.Reporter].
func (n *Notifier) StackStart(s *plan.Stack, _, _ int) {
	if n.off || n.Output == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.marks[s] = n.Output.Mark()
}

// StackOutput returns the writer that gets everything s's processes
// print when stacks run at once ([Notifier.Parallel]); nil otherwise.
func (n *Notifier) StackOutput(s *plan.Stack) io.Writer {
	if n.off || !n.Parallel || len(stackURLs(s, n.Environ)) == 0 {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	t := n.outs[s]
	if t == nil {
		t = &ping.Tail{}
		n.outs[s] = t
	}
	return t
}

// HookEnv implements [run.EnvReporter]: a secret a hook passed on is
// masked in every message from now on.
func (n *Notifier) HookEnv(s *plan.Stack, _ *plan.Step, vars []hooks.Assignment, _ []string) {
	secrets := ping.HookSecrets(s, vars)
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mask = n.mask.WithValues(secrets...)
}

// StepPlanned implements [run.Reporter].
func (n *Notifier) StepPlanned(*plan.Stack, *plan.Step) {}

// StepStart implements [run.Reporter].
func (n *Notifier) StepStart(*plan.Stack, *plan.Step) {}

// StepDone implements [run.Reporter].
func (n *Notifier) StepDone(*plan.Stack, *plan.Step, error, time.Duration) {}

// StepSkipped implements [run.Reporter].
func (n *Notifier) StepSkipped(*plan.Stack, *plan.Step) {}

// StackDone implements [run.Reporter]: the stack's message leaves now,
// in the background.
func (n *Notifier) StackDone(sr run.StackResult) {
	if n.off || sr.Status == run.Skipped {
		return
	}
	urls := stackURLs(sr.Stack, n.Environ)
	if len(urls) == 0 {
		return
	}
	when, err := n.when(sr.Stack)
	if err != nil {
		n.warn(sr.Stack.Name + ": " + err.Error())
	}
	if when == Never || (when == OnFailure && sr.Status == run.Succeeded) {
		return
	}
	n.mu.Lock()
	n.mask = env.Union(n.mask, sr.Stack.Masker)
	mask := n.mask
	var out Output = n.Output
	mark := n.marks[sr.Stack]
	if n.Parallel {
		out, mark = nil, 0
		if t := n.outs[sr.Stack]; t != nil {
			out = t
		}
	}
	n.mu.Unlock()
	title, msg := n.message(sr, mask, out, mark)
	for i, u := range urls {
		n.send(i+1, len(urls), sr.Stack.Name, u, title, msg)
	}
}

// message is the title and text of sr's message, masked with mask.
func (n *Notifier) message(sr run.StackResult, mask *env.Masker, out Output, mark int64) (title, msg string) {
	host := n.host()
	word := statusWord(sr.Status)
	title = fmt.Sprintf("kompose: %s %s %s on %s", sr.Stack.Name, n.command, word, host)
	var b strings.Builder
	fmt.Fprintf(&b, "stack:    %s\ncommand:  %s\nhost:     %s\nstatus:   %s (exit status %d)\nduration: %s\n",
		sr.Stack.Name, n.command, host, word, exitCode(sr), sr.Duration.Round(100*time.Millisecond))
	if sr.Err != nil {
		fmt.Fprintf(&b, "error:    %s\n", sr.Err.Error())
	}
	head := mask.String(b.String())
	var tail string
	if out != nil {
		t, cut := out.Since(mark)
		if cut {
			tail = mask.StringAfterCut(string(t))
		} else {
			tail = mask.String(string(t))
		}
	}
	if len(tail) > TailSize {
		i := len(tail) - TailSize
		for i < len(tail) && !utf8.RuneStart(tail[i]) {
			i++
		}
		tail = "…" + tail[i:]
	}
	if strings.TrimSpace(tail) != "" {
		head += "\nend of the output:\n" + tail
	}
	return mask.String(title), head
}

func exitCode(sr run.StackResult) int {
	switch sr.Status {
	case run.Succeeded:
		return 0
	case run.Interrupted:
		return 130
	}
	if c := proc.ExitCode(sr.Err); c != 0 {
		return c
	}
	return 1
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

func (n *Notifier) host() string {
	if n.Host != "" {
		return n.Host
	}
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown host"
	}
	return h
}

func (n *Notifier) budget() time.Duration {
	if n.Budget > 0 {
		return n.Budget
	}
	return DefaultBudget
}

// send delivers one message in the background within what is left of
// the budget (counted from the first message).
func (n *Notifier) send(i, count int, stackName, rawURL, title, msg string) {
	n.mu.Lock()
	if n.start.IsZero() {
		n.start = time.Now()
	}
	// A little less than what is left: a message that times out says so
	// before the end of the run stops waiting.
	left := n.budget() - time.Since(n.start) - 300*time.Millisecond
	n.mu.Unlock()
	if left < 500*time.Millisecond {
		left = 500 * time.Millisecond
	}
	sender := n.Sender
	if sender == nil {
		sender = Shoutrrr{}
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := sender.Send(rawURL, title, msg, left); err != nil {
			n.warn(fmt.Sprintf("%s: %s not delivered: %s", stackName, Describe(rawURL, i, count), Redact(err.Error(), rawURL)))
		}
	}()
}

// End implements [run.Reporter]: it waits for the messages still under
// way, up to the budget, then says which were not delivered.
func (n *Notifier) End(*run.Result) {
	if n.off {
		return
	}
	done := make(chan struct{})
	go func() { n.wg.Wait(); close(done) }()
	n.mu.Lock()
	left := n.budget()
	if !n.start.IsZero() {
		left -= time.Since(n.start)
	}
	n.mu.Unlock()
	select {
	case <-done:
	case <-time.After(max(left, 0)):
		n.warn("gave up waiting for notifications after " + n.budget().String())
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.Warn != nil {
		for _, w := range n.warns {
			fmt.Fprintf(n.Warn, "kompose: warning: notify: %s\n", w)
		}
	}
	n.warns = nil
}

func (n *Notifier) warn(msg string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.warns = append(n.warns, n.mask.String(msg))
}

// Describe names the i-th of count notification URLs for a message about
// it: its service (the URL's scheme) only, never its host, path or
// parameters (a Discord or Telegram URL holds its token where a host
// would be).
func Describe(rawURL string, i, count int) string {
	scheme := "?"
	if s, _, ok := strings.Cut(strings.TrimSpace(rawURL), "://"); ok && validScheme(s) {
		scheme = strings.ToLower(s)
	}
	if count == 1 {
		return Var + " (" + scheme + ")"
	}
	return Var + " URL " + strconv.Itoa(i) + " (" + scheme + ")"
}

func validScheme(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// Redact removes from msg (an error of a service) every part of rawURL
// that could be its secret: the whole URL, its user and password, host,
// each path segment, each query value and the fragment, as written and
// escaped, in any case. Only the scheme is left.
func Redact(msg, rawURL string) string {
	parts := secretParts(rawURL)
	lower := strings.ToLower(msg)
	var b strings.Builder
	for i := 0; i < len(msg); {
		hit := 0
		for _, p := range parts {
			// A short part ("hook", "http") only as a word of its own.
			if strings.HasPrefix(lower[i:], p) && (len(p) >= 8 || wordAt(lower, i, i+len(p))) {
				hit = len(p)
				break
			}
		}
		if hit > 0 {
			b.WriteString(env.Mask)
			i += hit
			continue
		}
		b.WriteByte(msg[i])
		i++
	}
	return b.String()
}

// wordAt reports whether s[from:to] stands alone: no letter or digit
// just before or after it.
func wordAt(s string, from, to int) bool {
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	return (from == 0 || !alnum(s[from-1])) && (to >= len(s) || !alnum(s[to]))
}

// secretParts are the parts of rawURL Redact removes, lower-cased,
// longest first, each at least 3 bytes long (shorter ones would mask
// ordinary words and carry no secret worth the name).
func secretParts(rawURL string) []string {
	raw := strings.TrimSpace(rawURL)
	cands := []string{raw, rawURL}
	if _, rest, ok := strings.Cut(raw, "://"); ok {
		cands = append(cands, rest)
		for _, f := range strings.FieldsFunc(rest, func(r rune) bool { return strings.ContainsRune("/?&=#@:,;", r) }) {
			cands = append(cands, f)
		}
	}
	if u, err := url.Parse(raw); err == nil {
		if u.User != nil {
			cands = append(cands, u.User.Username(), u.User.String())
			if p, ok := u.User.Password(); ok {
				cands = append(cands, p)
			}
		}
		cands = append(cands, u.Host, u.Hostname(), u.Path, u.RawQuery, u.Fragment, u.Opaque)
		cands = append(cands, strings.Split(u.Path, "/")...)
		for k, vs := range u.Query() {
			cands = append(cands, k)
			for _, v := range vs {
				cands = append(cands, v)
				cands = append(cands, strings.Split(v, ",")...)
			}
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, c := range cands {
		for _, v := range []string{c, url.PathEscape(c), url.QueryEscape(c)} {
			v = strings.ToLower(v)
			if len(v) >= 3 && !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	// Longest first: a part inside another is masked with it.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && len(out[j]) > len(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
