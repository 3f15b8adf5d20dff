//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"
)

// komposeTimeout bounds one kompose run: a hang fails its test instead of
// eating the whole suite's time.
const komposeTimeout = 90 * time.Second

// env is one test's world: a fixture root in a temporary folder and the
// compose projects its stacks get, all named <run>-<test>-<stack>.
type env struct {
	t      *testing.T
	ctx    context.Context
	root   string
	prefix string
}

// newEnv skips the test when the suite cannot run here, and registers the
// removal of every project the test creates, however the test ends.
func newEnv(t *testing.T) *env {
	t.Helper()
	if the.skip != "" {
		t.Skip(the.skip)
	}
	e := &env{t: t, ctx: t.Context(), root: t.TempDir(), prefix: the.runID + "-" + slug(t.Name()) + "-"}
	t.Cleanup(e.cleanup)
	return e
}

// cleanup removes the test's projects. A test that panics takes the whole
// test binary down right after its clean-ups, without the clean-ups of the
// tests running beside it: then everything of this run is removed.
func (e *env) cleanup() {
	prefix := e.prefix
	if panicking() {
		prefix = the.runID + "-"
		fmt.Fprintf(os.Stderr, "e2e: %s panicked: removing every project of this run\n", e.t.Name())
	}
	if err := removeProjects(context.Background(), prefix); err != nil {
		e.t.Errorf("clean-up: %v", err)
	}
}

// panicking reports whether the calling goroutine is unwinding a panic: a
// clean-up called by the testing package for a panicking test runs below a
// panic frame (for t.FailNow it runs below runtime.Goexit instead).
func panicking() bool {
	return bytes.Contains(debug.Stack(), []byte("\npanic("))
}

// slug turns a test name into a part of a compose project name.
func slug(name string) string {
	name = strings.ToLower(strings.TrimPrefix(name, "Test"))
	var b strings.Builder
	dash := false
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// project is the compose project name of stack.
func (e *env) project(stack string) string { return e.prefix + stack }

// write writes a file under the root, expanding the placeholders
// {{project}} (the project of the stack the file is in), {{image}},
// {{postgres}} and {{subnet}} (a fresh /24 for a network).
func (e *env) write(rel, content string) string {
	e.t.Helper()
	path := filepath.Join(e.root, filepath.FromSlash(rel))
	stack, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
	content = strings.ReplaceAll(content, "{{project}}", e.project(stack))
	content = strings.ReplaceAll(content, "{{image}}", debianImage)
	content = strings.ReplaceAll(content, "{{postgres}}", postgresImage)
	content = strings.ReplaceAll(content, "{{mariadb}}", mariadbImage)
	for strings.Contains(content, "{{subnet}}") {
		n := the.subnets.Add(1) % 256
		content = strings.Replace(content, "{{subnet}}", fmt.Sprintf("10.213.%d.0/24", n), 1)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return path
}

// idleService is a compose service that prints a line and waits, needs no
// network, and stops at once on SIGTERM. extra is more YAML for the
// service, indented by four spaces.
func idleService(name, greeting, extra string) string {
	return fmt.Sprintf(`  %s:
    image: {{image}}
    pull_policy: never
    network_mode: none
    stop_grace_period: 1s
    command: ["bash", "-c", "echo %s; trap 'exit 0' TERM; sleep infinity & wait"]
%s`, name, greeting, extra)
}

// simpleStack writes a stack with one idle service "app" that prints
// "hello from <stack>".
func (e *env) simpleStack(stack string) {
	e.write(stack+"/compose.yaml", "name: {{project}}\nservices:\n"+idleService("app", "hello from "+stack, ""))
}

// result is how a kompose run ended.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s--- stderr:\n%s", r.code, r.stdout, r.stderr)
}

// opts adjusts a kompose run.
type opts struct {
	env   []string // added to the environment (last wins)
	stdin string
	// baseEnv replaces the test process's environment when not nil.
	baseEnv []string
}

// kompose runs the kompose binary on the fixture root with args.
func (e *env) kompose(args ...string) result {
	e.t.Helper()
	return e.komposeWith(opts{}, args...)
}

func (e *env) komposeWith(o opts, args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, komposeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, the.kompose, append([]string{"--root", e.root}, args...)...)
	cmd.Dir = e.root
	base := o.baseEnv
	if base == nil {
		base = hermetic(os.Environ())
	}
	cmd.Env = append(append(slices.Clip(base), "NO_COLOR=1"), o.env...)
	cmd.Stdin = strings.NewReader(o.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := the.procs.start(cmd)
	if err == nil {
		err = the.procs.wait(cmd)
	}
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	default:
		e.t.Fatalf("kompose %s: %v (after %v)\n%s", strings.Join(args, " "), err, time.Since(start).Round(time.Millisecond), r)
	}
	e.t.Logf("kompose %s: exit %d in %v", strings.Join(args, " "), r.code, time.Since(start).Round(time.Millisecond))
	return r
}

// hermetic drops from environ the variables that would change what kompose
// or compose do behind a test's back.
func hermetic(environ []string) []string {
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "KOMPOSE_") || strings.HasPrefix(name, "COMPOSE_") ||
			strings.HasPrefix(name, "DB_") || name == "NO_COLOR" {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// mustExit fails the test unless r ended with code.
func (e *env) mustExit(r result, code int) {
	e.t.Helper()
	if r.code != code {
		e.t.Fatalf("want exit %d, got:\n%s", code, r)
	}
}

// services returns the services of stack's project in the given state
// ("running", "exited", ...; "" for any), sorted.
func (e *env) services(stack, state string) []string {
	e.t.Helper()
	cs, err := containers(context.Background(), e.project(stack))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		if state == "" || c.State == state {
			out = append(out, c.Service)
		}
	}
	return out
}

// container returns the only container of service in stack.
func (e *env) container(stack, service string) container {
	e.t.Helper()
	cs, err := containers(context.Background(), e.project(stack))
	if err != nil {
		e.t.Fatal(err)
	}
	var found []container
	for _, c := range cs {
		if c.Service == service {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		e.t.Fatalf("want one container of %s/%s, got %v", stack, service, found)
	}
	return found[0]
}

// read returns the content of a file under the root, "" when it does not
// exist.
func (e *env) read(rel string) string {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.root, filepath.FromSlash(rel)))
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

// eventually polls cond until it holds or timeout passes, then fails with
// the last description cond gave.
func (e *env) eventually(timeout time.Duration, cond func() (bool, string)) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, desc := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("still not true after %v: %s", timeout, desc)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
