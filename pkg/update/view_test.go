package update

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// engineFake is an engine holding the compose containers of many
// projects and some images, answering the calls update --check makes,
// and counting them.
type engineFake struct {
	mu         sync.Mutex
	containers []string // id|image|running|oneoff|service|project
	images     []string // id|tags json|digests json
	gone       bool     // container inspect also names a container removed since ps
	calls      []string
}

func (f *engineFake) Run(_ context.Context, c proc.Cmd) error {
	a := c.Argv
	f.mu.Lock()
	f.calls = append(f.calls, strings.Join(a[:min(len(a), 3)], " "))
	f.mu.Unlock()
	out := func(s string) { _, _ = io.WriteString(c.Stdout, s) }
	switch {
	case a[0] == "docker" && a[1] == "info":
		out(`linux x86_64 {"IndexConfigs":{},"InsecureRegistryCIDRs":["127.0.0.0/8"]}` + "\n")
	case a[1] == "ps":
		for _, l := range f.containers {
			out(strings.SplitN(l, "|", 2)[0] + "\n")
		}
		if f.gone {
			out("c-gone\n")
		}
	case a[1] == "container" && a[2] == "inspect":
		for _, l := range f.containers {
			out(l + "\n")
		}
		if f.gone {
			fmt.Fprintln(c.Stderr, "Error: No such container: c-gone")
			return &proc.ExitError{Code: 1}
		}
	case a[1] == "image" && a[2] == "ls":
		for _, l := range f.images {
			out(strings.SplitN(l, "|", 2)[0] + "\n")
		}
	case a[1] == "image" && a[2] == "inspect":
		for _, l := range f.images {
			out(l + "\n")
		}
	default:
		fmt.Fprintln(c.Stderr, "fake docker: unexpected call "+strings.Join(a, " "))
		return &proc.ExitError{Code: 1}
	}
	return nil
}

// update --check over many stacks of one engine reads the engine once
// (docker info, ps, container inspect, image ls, image inspect: five
// processes for the run, none per stack) and asks the registry once per
// reference; each stack still gets its own containers' answer.
func TestCheckReadsEngineOnce(t *testing.T) {
	tr := newTestRegistry(t, "", "")
	refA, refB := tr.host+"/a:1", tr.host+"/b:1"
	newA := tr.push(t, "a:1", randomImage(t))
	newB := tr.push(t, "b:1", randomImage(t))
	const oldA = "sha256:0000000000000000000000000000000000000000000000000000000000000001"
	f := &engineFake{gone: true}
	// Image 1 runs a's old digest, image 2 is b's current one and b:1's
	// tag; a:1 names image 3 (pulled, not yet run).
	f.images = []string{
		fmt.Sprintf(`%s|[]|["%s/a@%s"]`, id('1'), tr.host, oldA),
		fmt.Sprintf(`%s|["%s"]|["%s/b@%s"]`, id('2'), refB, tr.host, newB),
		fmt.Sprintf(`%s|["%s"]|["%s/a@%s"]`, id('3'), refA, tr.host, newA),
	}
	const stacks = 8
	var ss []*plan.Stack
	for i := range stacks {
		dir := t.TempDir()
		file := filepath.Join(dir, "compose.yaml")
		yaml := fmt.Sprintf("name: p%d\nservices:\n  web: {image: %q}\n  cache: {image: %q}\n", i, refA, refB)
		if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		e := env.FromEnviron([]string{"KOMPOSE_COMPOSE=docker compose", "PATH=/usr/bin"})
		ss = append(ss, &plan.Stack{Stack: stack.Stack{Name: fmt.Sprintf("s%d", i), Dir: dir, ComposeFile: file}, Env: e, Policy: trust.Current()})
		if i%2 == 0 { // even stacks run a's old image; odd ones have no container
			f.containers = append(f.containers,
				fmt.Sprintf("c%dw|%s|true||web|p%d", i, id('1'), i),
				fmt.Sprintf("c%dc|%s|true||cache|p%d", i, id('2'), i),
				fmt.Sprintf("c%dx|%s|false|True|web|p%d", i, id('3'), i)) // a compose run one-off: left out
		}
	}
	regs := NewRegistries()
	var wg sync.WaitGroup
	outs := make([]string, stacks)
	for i, s := range ss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &Check{Regs: regs, Now: time.Now}
			var b strings.Builder
			var mu sync.Mutex
			w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return b.Write(p) })
			ex := &plan.ActionEnv{Proc: f, Stack: s, Cmd: proc.Cmd{Dir: s.Dir, Env: s.Env.Environ(), Stdout: w, Stderr: w}}
			if err := c.Run(context.Background(), ex); err != nil {
				t.Errorf("%s: %v", s.Name, err)
			}
			outs[i] = b.String()
		}()
	}
	wg.Wait()
	if len(f.calls) != 5 {
		t.Errorf("%d docker processes for %d stacks, want 5 (info, ps, container inspect, image ls, image inspect):\n%s", len(f.calls), stacks, strings.Join(f.calls, "\n"))
	}
	if n := tr.manifests.Load(); n != 2 {
		t.Errorf("%d manifest requests, want 2 (one per reference)", n)
	}
	for i, out := range outs {
		wantWeb := "web: " + refA + " update available"
		if i%2 == 1 {
			wantWeb = "web: " + refA + " up to date" // no container: what a:1 names here
		}
		if !strings.Contains(out, wantWeb) || !strings.Contains(out, "cache: "+refB+" up to date") {
			t.Errorf("stack s%d:\n%s\nwant %q and cache up to date", i, out, wantWeb)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// A failure of the engine read that is not a removed object fails the
// check with docker's reason.
func TestEngineViewFails(t *testing.T) {
	if onlyGone("Error response from daemon: permission denied\nError: No such image: x") {
		t.Error("a permission error counted as a removed object")
	}
	if !onlyGone("Error: No such image: x\nError: No such container: y\n") {
		t.Error("removed objects not recognised")
	}
	if onlyGone("") {
		t.Error("an empty stderr counted as removed objects")
	}
}
