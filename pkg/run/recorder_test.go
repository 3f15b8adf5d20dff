package run

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/plan"
)

// recorder is the reporter of run's own tests: it records each event the
// runner feeds it as one line, so that a test asserts what the runner
// did, not how the text reporter (pkg/report/text) words it.
//
//	begin dry=false
//	start a 1/3
//	planned a hook_pre_up up -d
//	step a docker compose up -d
//	done a docker compose up -d: docker compose failed: exit status 1
//	skipped (--skip-hooks) a hook_post_up up -d
//	stack a failed: <error>
//	end 1 succeeded, 2 failed out of 3 stacks interrupted=false
//
// With stacks running at once, the events about a stack are reported
// within its [StackScoped] call and recorded as "[a] start a 1/3".
type recorder struct {
	mu     sync.Mutex
	events []string
	scope  string // the stack of the ForStack call under way
}

func (r *recorder) add(e string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.scope != "" {
		e = "[" + r.scope + "] " + e
	}
	r.events = append(r.events, e)
}

// ForStack implements [StackScoped]. The runner serialises its calls.
func (r *recorder) ForStack(st *plan.Stack, f func()) {
	r.mu.Lock()
	r.scope = st.Name
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.scope = ""
		r.mu.Unlock()
	}()
	f()
}

// Events returns the events recorded so far.
func (r *recorder) Events() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

// Has reports whether e was recorded.
func (r *recorder) Has(e string) bool {
	for _, got := range r.Events() {
		if got == e {
			return true
		}
	}
	return false
}

// IndexPrefix is the position of the first event starting with prefix,
// or -1.
func (r *recorder) IndexPrefix(prefix string) int {
	for i, got := range r.Events() {
		if strings.HasPrefix(got, prefix) {
			return i
		}
	}
	return -1
}

// Count is how many events start with prefix.
func (r *recorder) Count(prefix string) int {
	n := 0
	for _, got := range r.Events() {
		if strings.HasPrefix(got, prefix) {
			n++
		}
	}
	return n
}

func (r *recorder) String() string { return strings.Join(r.Events(), "\n") }

func stepWords(s *plan.Stack, st *plan.Step) string {
	return s.Name + " " + strings.Join(append([]string{st.Label}, st.Args...), " ")
}

func (r *recorder) Begin(p *plan.Plan, dryRun bool) {
	r.add("begin dry=" + strconv.FormatBool(dryRun))
}

func (r *recorder) StackStart(s *plan.Stack, index, total int) {
	r.add("start " + s.Name + " " + strconv.Itoa(index+1) + "/" + strconv.Itoa(total))
}

func (r *recorder) StepPlanned(s *plan.Stack, st *plan.Step) {
	r.add("planned " + skipNote(st) + stepWords(s, st))
}

func (r *recorder) StepStart(s *plan.Stack, st *plan.Step) { r.add("step " + stepWords(s, st)) }

func (r *recorder) StepDone(s *plan.Stack, st *plan.Step, err error, _ time.Duration) {
	e := "done " + stepWords(s, st)
	if err != nil {
		e += ": " + (&StepError{Step: st, Err: err}).Error()
	}
	r.add(e)
}

func (r *recorder) StepSkipped(s *plan.Stack, st *plan.Step) {
	r.add("skipped " + skipNote(st) + stepWords(s, st))
}

func skipNote(st *plan.Step) string {
	if st.Skip == "" {
		return ""
	}
	return "(" + st.Skip + ") "
}

func (r *recorder) StackDone(sr StackResult) {
	e := "stack " + sr.Stack.Name + " " + statusWord(sr.Status)
	if sr.Err != nil {
		e += ": " + sr.Err.Error()
	}
	r.add(e)
}

func (r *recorder) End(res *Result) {
	r.add("end " + res.Summary() + " interrupted=" + strconv.FormatBool(res.Interrupted))
}

// HookEnv implements [EnvReporter].
func (r *recorder) HookEnv(s *plan.Stack, st *plan.Step, vars []hooks.Assignment, problems []string) {
	for _, v := range vars {
		r.add("env " + s.Name + " " + v.Name)
	}
	for _, p := range problems {
		r.add("env problem " + s.Name + ": " + p)
	}
}

// StackWaiting implements [Waiter].
func (r *recorder) StackWaiting(s *plan.Stack, what string) { r.add("waiting " + s.Name + ": " + what) }

func statusWord(s Status) string {
	switch s {
	case Succeeded:
		return "ok"
	case Failed:
		return "failed"
	case Skipped:
		return "skipped"
	case Interrupted:
		return "interrupted"
	case NotRun:
		return "not run"
	}
	return "status?"
}
