package swarm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/settings"
	"github.com/kompose-dev/kompose/pkg/status"
)

// Action runs a Swarm stack's command (see [Plan]).
type Action struct{ p *planned }

// HookArgs are the arguments of the stack's hooks: the command and its
// arguments, as for a compose stack (hook_pre_up up -d).
func (a *Action) HookArgs() []string { return append([]string{a.p.command}, a.p.args...) }

// Describe says, in a dry run, the other docker commands of the step and
// what is waited for.
func (a *Action) Describe() []string {
	var out []string
	for _, argv := range a.p.argvs[1:] {
		out = append(out, "then: "+strings.Join(argv, " "))
	}
	if a.p.together {
		out = []string{fmt.Sprintf("one docker service logs per service, at once (%d)", len(a.p.argvs))}
	}
	if a.p.deploy {
		out = append(out, "the resolved file: a private temporary copy (0600), removed after; warnings about it on stderr")
		if len(a.p.norm.Files) > 0 {
			names := make([]string, 0, len(a.p.norm.Files))
			for rel := range a.p.norm.Files {
				names = append(names, "./"+rel)
			}
			sort.Strings(names)
			out = append(out, "next to it, private too: "+strings.Join(names, ", ")+" (secrets and configs from the environment or content:)")
		}
	}
	if a.p.remove {
		out = append(out, "then waits until the stack's services, networks, tasks and containers are gone ("+RemoveTimeoutVar+")")
	}
	if a.p.print != nil {
		out = append(out, "prints the normalised file, secrets masked; runs no docker")
	}
	return out
}

// Run implements plan.Action.
func (a *Action) Run(ctx context.Context, ex *plan.ActionEnv) error {
	p := a.p
	switch {
	case p.print != nil || p.command == "config":
		_, err := io.WriteString(ex.Cmd.Stdout, ex.Stack.Masker.String(string(p.print)))
		return err
	case p.together:
		return runTogether(ctx, ex, p.argvs)
	case p.deploy:
		return p.runDeploy(ctx, ex)
	}
	for _, argv := range p.argvs {
		if err := p.runOne(ctx, ex, argv); err != nil {
			return err
		}
	}
	if p.remove {
		return p.waitGone(ctx, ex)
	}
	return nil
}

// runOne runs argv with the stack's streams; a rollback of a service that
// was never updated is said and skipped.
func (p *planned) runOne(ctx context.Context, ex *plan.ActionEnv, argv []string) error {
	c := ex.Cmd
	c.Argv = argv
	var errb bytes.Buffer
	if p.noPrevious {
		c.Stderr = &errb
	}
	err := ex.Proc.Run(ctx, c)
	if p.noPrevious {
		if err != nil && strings.Contains(errb.String(), "does not have a previous spec") {
			fmt.Fprintf(ex.Cmd.Stdout, "%s: never updated, nothing to roll back\n", argv[len(argv)-1])
			return nil
		}
		_, _ = ex.Cmd.Stderr.Write(errb.Bytes())
	}
	if err != nil {
		return fmt.Errorf("%s: %w", strings.Join(argv[:3], " "), err)
	}
	return nil
}

// runDeploy resolves the project again with the environment of the run
// (a pre hook may have passed variables on), writes it to a private
// temporary file and deploys it; the file is removed whatever happens.
func (p *planned) runDeploy(ctx context.Context, ex *plan.ActionEnv) error {
	vars := env.FromEnviron(ex.Cmd.Env).Map()
	proj, err := compose.NewResolvedProject(p.stack.Dir, p.stack.ComposeFile, vars).Load(ctx)
	if err != nil {
		return err
	}
	n, err := Normalise(proj, "")
	if err != nil {
		return err
	}
	path, remove, err := WriteTemp(n.YAML, n.Files)
	if err != nil {
		return err
	}
	defer remove()
	argv := append([]string{}, p.argvs[0]...)
	for i, a := range argv {
		if a == FilePlaceholder {
			argv[i] = path
		}
	}
	return p.runOne(ctx, ex, argv)
}

// WriteTemp writes data to a new private file: in a folder of its own
// (0700) under the system's temporary folder, created exclusively (never
// through a symlink someone planted), 0600; and files (paths relative to
// that folder, one level deep: [Normalised.Files]) likewise. remove
// deletes them all.
func WriteTemp(data []byte, files map[string][]byte) (path string, remove func(), err error) {
	dir, err := os.MkdirTemp("", "kompose-swarm-")
	if err != nil {
		return "", nil, fmt.Errorf("temporary folder for the resolved compose file: %w", err)
	}
	remove = func() { _ = os.RemoveAll(dir) }
	path = filepath.Join(dir, "stack.yaml")
	if err := writePrivate(path, data); err != nil {
		remove()
		return "", nil, fmt.Errorf("the resolved compose file: %w", err)
	}
	names := make([]string, 0, len(files))
	for rel := range files {
		names = append(names, rel)
	}
	sort.Strings(names)
	for _, rel := range names {
		sub, _ := filepath.Split(rel)
		if strings.Contains(rel, "..") || strings.Count(rel, "/") != 1 {
			remove()
			return "", nil, fmt.Errorf("the resolved compose file's %s: not a file kompose writes", rel)
		}
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			remove()
			return "", nil, fmt.Errorf("the resolved compose file's %s: %w", sub, err)
		}
		if err := writePrivate(filepath.Join(dir, rel), files[rel]); err != nil {
			remove()
			return "", nil, fmt.Errorf("the resolved compose file's %s: %w", rel, err)
		}
	}
	return path, remove, nil
}

// writePrivate creates path exclusively, without following a symlink,
// 0600, and writes data to it.
func writePrivate(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, 0o600)
	if err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// runTogether runs every argv at once, their lines not cut into each
// other; the first error is returned once all have ended.
func runTogether(ctx context.Context, ex *plan.ActionEnv, argvs [][]string) error {
	var mu sync.Mutex
	out, errw := &lockedWriter{w: ex.Cmd.Stdout, mu: &mu}, &lockedWriter{w: ex.Cmd.Stderr, mu: &mu}
	errs := make([]error, len(argvs))
	var wg sync.WaitGroup
	for i, argv := range argvs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := ex.Cmd
			c.Argv, c.Stdin = argv, nil
			ow, ew := out.line(), errw.line()
			c.Stdout, c.Stderr = ow, ew
			if err := ex.Proc.Run(ctx, c); err != nil {
				errs[i] = fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
			}
			ow.flush()
			ew.flush()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// lockedWriter writes whole lines of several writers to w, one at a time.
type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) line() *lineWriter { return &lineWriter{to: l} }

// lineWriter passes complete lines on.
type lineWriter struct {
	to  *lockedWriter
	buf []byte
}

func (lw *lineWriter) Write(b []byte) (int, error) {
	lw.buf = append(lw.buf, b...)
	if i := bytes.LastIndexByte(lw.buf, '\n'); i >= 0 {
		lw.to.mu.Lock()
		_, err := lw.to.w.Write(lw.buf[:i+1])
		lw.to.mu.Unlock()
		lw.buf = append(lw.buf[:0], lw.buf[i+1:]...)
		if err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

func (lw *lineWriter) flush() {
	if len(lw.buf) > 0 {
		lw.to.mu.Lock()
		_, _ = lw.to.w.Write(append(lw.buf, '\n'))
		lw.to.mu.Unlock()
		lw.buf = nil
	}
}

// dockerOf is status.Docker through p: docker in dir, its output
// captured, its error with the end of what it printed.
func dockerOf(p proc.Runner, dir string) status.Docker {
	return func(ctx context.Context, environ []string, args []string) ([]byte, error) {
		var out, errb bytes.Buffer
		err := p.Run(ctx, proc.Cmd{Argv: append([]string{"docker"}, args...), Dir: dir, Env: environ, Stdout: &out, Stderr: &errb})
		if err != nil {
			msg := strings.TrimSpace(errb.String())
			if len(msg) > 300 {
				msg = "..." + msg[len(msg)-300:]
			}
			return out.Bytes(), fmt.Errorf("docker %s: %w: %s", strings.Join(args[:2], " "), err, msg)
		}
		return out.Bytes(), nil
	}
}

// waitGone waits, after docker stack rm, until the manager lists none of
// the stack's services, networks and tasks, and its engine none of the
// stack's containers, up to KOMPOSE_SWARM_RM_TIMEOUT.
func (p *planned) waitGone(ctx context.Context, ex *plan.ActionEnv) error {
	timeout, err := settings.Setting{Var: RemoveTimeoutVar, Lookup: settings.FromEnviron(ex.Cmd.Env)}.Duration(DefaultRemoveTimeout)
	if err != nil {
		return err
	}
	docker := dockerOf(ex.Proc, p.stack.Dir)
	filter := "label=" + status.LabelStack + "=" + p.project
	checks := []struct {
		what string
		args []string
	}{
		{"services", []string{"service", "ls", "--quiet", "--filter", filter}},
		{"networks", []string{"network", "ls", "--quiet", "--filter", filter}},
		{"tasks", []string{"stack", "ps", "--quiet", p.project}},
		{"containers", []string{"container", "ls", "--all", "--quiet", "--filter", filter}},
	}
	start := time.Now()
	for {
		var left []string
		for _, c := range checks {
			out, err := docker(ctx, ex.Cmd.Env, c.args)
			if err != nil && c.what == "tasks" && strings.Contains(err.Error(), "nothing found in stack") {
				continue // no task left
			}
			if err != nil {
				return err
			}
			if n := len(strings.Fields(string(out))); n > 0 {
				left = append(left, fmt.Sprintf("%d %s", n, c.what))
			}
		}
		if len(left) == 0 {
			return nil
		}
		if time.Since(start) >= timeout {
			return fmt.Errorf("down: %s still has %s after %s (%s)", p.project, strings.Join(left, ", "), timeout, RemoveTimeoutVar)
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(Poll):
		}
	}
}
