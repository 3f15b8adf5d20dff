package update

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// fakeDocker answers the docker and compose calls of update and rollback
// from a small model of an engine, and records every call.
type fakeDocker struct {
	refs       map[string]string // reference -> image ID
	containers []Container
	// pull moves references, then fails when failPull is set.
	pull     map[string]string
	failPull bool
	calls    []string
}

func (f *fakeDocker) Run(_ context.Context, c proc.Cmd) error {
	a := c.Argv
	f.calls = append(f.calls, strings.Join(a, " "))
	out := func(s string) error { _, err := io.WriteString(c.Stdout, s); return err }
	fail := func(msg string) error {
		fmt.Fprintln(c.Stderr, msg)
		return &proc.ExitError{Code: 1}
	}
	switch {
	case len(a) > 2 && a[0] == "docker" && a[1] == "compose" && a[2] == "ps":
		for _, ct := range f.containers {
			_ = out(ct.ID + "\n")
		}
		return nil
	case len(a) > 2 && a[1] == "compose" && a[2] == "pull":
		for ref, id := range f.pull {
			f.refs[ref] = id
		}
		if f.failPull {
			return fail("Error response from daemon: registry unreachable")
		}
		return nil
	case len(a) > 2 && a[1] == "compose" && a[2] == "up":
		for i, ct := range f.containers {
			for _, s := range a[3:] {
				if s == ct.Service {
					f.containers[i].ImageID = f.refs[ct.Image()]
					f.containers[i].Running = true
				}
			}
		}
		return nil
	case len(a) > 2 && a[1] == "container" && a[2] == "inspect":
		for _, ct := range f.containers {
			_ = out(fmt.Sprintf("%s|%s|%v||%s\n", ct.ID, ct.ImageID, ct.Running, ct.Service))
		}
		return nil
	case len(a) > 2 && a[1] == "image" && a[2] == "inspect":
		ref := a[len(a)-1]
		if id, ok := f.refs[ref]; ok {
			return out(id + "\n")
		}
		if imageID.MatchString(ref) {
			return out(ref + "\n")
		}
		return fail("Error: No such image: " + ref)
	case len(a) == 5 && a[1] == "image" && a[2] == "tag":
		f.refs[a[4]] = a[3]
		return nil
	}
	return fail("fake docker: unexpected call")
}

// Image is the reference of a fake container's service: every service of
// the fake project runs "app:latest".
func (Container) Image() string { return "app:latest" }

func newStack(t *testing.T) *plan.Stack {
	dir := t.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(file, []byte("name: shop\nservices:\n  web:\n    image: app:latest\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := env.FromEnviron([]string{"KOMPOSE_COMPOSE=docker compose", "PATH=/usr/bin"})
	return &plan.Stack{Stack: stack.Stack{Name: "shop", Dir: dir, ComposeFile: file}, Env: e}
}

func runAction(t *testing.T, a plan.Action, s *plan.Stack, f *fakeDocker) (string, *plan.ActionEnv, error) {
	var out bytes.Buffer
	ex := &plan.ActionEnv{Proc: f, Stack: s, Cmd: proc.Cmd{Dir: s.Dir, Env: s.Env.Environ(), Stdout: &out, Stderr: &out}}
	err := a.Run(context.Background(), ex)
	return out.String(), ex, err
}

// A pull that fails after moving a reference puts it back, recreates
// nothing, records nothing, and says why.
func TestUpdatePullFails(t *testing.T) {
	s := newStack(t)
	f := &fakeDocker{
		refs:       map[string]string{"app:latest": id('a')},
		containers: []Container{{ID: "c1", Service: "web", ImageID: id('a'), Running: true}},
		pull:       map[string]string{"app:latest": id('b')},
		failPull:   true,
	}
	u := &Update{Now: time.Now, Policy: trust.Current()}
	out, _, err := runAction(t, u, s, f)
	if err == nil || !strings.Contains(err.Error(), "pull failed") || !strings.Contains(err.Error(), "registry unreachable") {
		t.Fatalf("err = %v\n%s", err, out)
	}
	if f.refs["app:latest"] != id('a') {
		t.Errorf("app:latest names %s after the failed pull, want the image it named before", f.refs["app:latest"])
	}
	for _, c := range f.calls {
		if strings.Contains(c, " up ") {
			t.Errorf("recreated after a failed pull: %s", c)
		}
	}
	if _, err := os.Stat(filepath.Join(s.Dir, FileName)); err == nil {
		t.Error("a history was written for a failed pull")
	}
}

func TestUpdateRecreatesAndRecords(t *testing.T) {
	s := newStack(t)
	f := &fakeDocker{
		refs:       map[string]string{"app:latest": id('a')},
		containers: []Container{{ID: "c1", Service: "web", ImageID: id('a'), Running: true}},
		pull:       map[string]string{"app:latest": id('b')},
	}
	u := &Update{Now: time.Now, Policy: trust.Current()}
	out, ex, err := runAction(t, u, s, f)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "web: app:latest sha256:aaaaaaaaaaaa… → sha256:bbbbbbbbbbbb… (recreated)") {
		t.Errorf("output:\n%s", out)
	}
	if got := ex.Passed[len(ex.Passed)-1]; got != VarUpdated+"=web" {
		t.Errorf("passed on %q", got)
	}
	keep := KeepTag("shop", "web", id('a'))
	if f.refs[keep] != id('a') {
		t.Errorf("the previous image is not tagged %s: %v", keep, f.refs)
	}
	h, err := LoadHistory(filepath.Join(s.Dir, FileName), "shop")
	if err != nil || len(h.Entries) != 1 || h.Entries[0].Services[0].Keep != keep {
		t.Fatalf("history %+v, %v", h, err)
	}

	// rollback points the reference back and recreates the service.
	r := &Rollback{N: 1, Now: time.Now, Policy: trust.Current()}
	out, ex, err = runAction(t, r, s, f)
	if err != nil {
		t.Fatalf("rollback: %v\n%s", err, out)
	}
	if f.refs["app:latest"] != id('a') || f.containers[0].ImageID != id('a') {
		t.Errorf("after rollback: %v, %+v", f.refs, f.containers)
	}
	if got := ex.Passed[len(ex.Passed)-1]; got != VarUpdated+"=web" {
		t.Errorf("rollback passed on %q", got)
	}
}

// What update prints goes through the stack's masker.
func TestUpdateMasks(t *testing.T) {
	s := newStack(t)
	s.Env.Set("REGISTRY_PASSWORD", "latest", env.SourceStackEnv)
	s.Masker = env.NewMasker(s.Env)
	f := &fakeDocker{
		refs:       map[string]string{"app:latest": id('a')},
		containers: []Container{{ID: "c1", Service: "web", ImageID: id('a'), Running: true}},
		pull:       map[string]string{"app:latest": id('b')},
	}
	out, _, err := runAction(t, &Update{Now: time.Now, Policy: trust.Current()}, s, f)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "latest") || !strings.Contains(out, "web: app:"+env.Mask) {
		t.Errorf("output not masked:\n%s", out)
	}
}

// Two stacks planned together share one pull of their image, done before
// either compares anything; a failed pull fails both, with the reference
// pointed back.
func TestUpdatePullsOncePerImage(t *testing.T) {
	for _, fail := range []bool{false, true} {
		a, b := newStack(t), newStack(t)
		b.Name = "shop2"
		f := &fakeDocker{
			refs:       map[string]string{"app:latest": id('a')},
			containers: []Container{{ID: "c1", Service: "web", ImageID: id('a'), Running: true}},
			pull:       map[string]string{"app:latest": id('b')},
			failPull:   fail,
		}
		pol := trust.Current()
		cmds := Commands(Options{Now: time.Now, Policy: &pol, Pulls: NewPulls()})
		var acts []plan.Action
		for _, s := range []*plan.Stack{a, b} {
			st, err := cmds[CommandUpdate](s, CommandUpdate, nil)
			if err != nil {
				t.Fatal(err)
			}
			acts = append(acts, st.Action)
		}
		outA, _, errA := runAction(t, acts[0], a, f)
		outB, _, errB := runAction(t, acts[1], b, f)
		pulls := 0
		for _, c := range f.calls {
			if strings.Contains(c, " pull") {
				pulls++
				if !strings.Contains(c, "pull --quiet web") {
					t.Errorf("pull call %q", c)
				}
			}
		}
		if pulls != 1 {
			t.Errorf("fail=%v: %d pulls for one image in two stacks, want 1: %q", fail, pulls, f.calls)
		}
		if !fail {
			if errA != nil || errB != nil {
				t.Fatalf("%v / %v\n%s\n%s", errA, errB, outA, outB)
			}
			if !strings.Contains(outA, "pulled app:latest (for 2 stack(s)): sha256:aaaaaaaaaaaa… → sha256:bbbbbbbbbbbb…") || !strings.Contains(outA, "(recreated)") {
				t.Errorf("first stack:\n%s", outA)
			}
			if strings.Contains(outB, "pulled") {
				t.Errorf("the second stack pulled again:\n%s", outB)
			}
			continue
		}
		for _, err := range []error{errA, errB} {
			if err == nil || !strings.Contains(err.Error(), "pull failed, nothing recreated: app:latest (pulled for shop/web): ") {
				t.Errorf("fail: %v\n%s\n%s", err, outA, outB)
			}
		}
		if f.refs["app:latest"] != id('a') {
			t.Errorf("the failed pull left app:latest on %s", f.refs["app:latest"])
		}
		for _, c := range f.calls {
			if strings.Contains(c, " up ") {
				t.Errorf("recreated after a failed pull: %s", c)
			}
		}
	}
}

// x-kompose: {update: {pin: [db]}} and --exclude-service hold services
// back: not pulled, not compared, said so; a pin naming no service, or
// an unknown key, is an error naming the file.
func TestUpdateHoldsBack(t *testing.T) {
	s := newStack(t)
	write := func(content string) {
		if err := os.WriteFile(s.ComposeFile, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("name: shop\nservices:\n  web:\n    image: app:latest\n  db:\n    image: pg:15\nx-kompose:\n  update:\n    pin: [db]\n")
	f := &fakeDocker{
		refs:       map[string]string{"app:latest": id('a'), "pg:15": id('c')},
		containers: []Container{{ID: "c1", Service: "web", ImageID: id('a'), Running: true}},
		pull:       map[string]string{"app:latest": id('b')},
	}
	out, _, err := runAction(t, &Update{Now: time.Now, Policy: trust.Current()}, s, f)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "db: pg:15 held back: pinned (x-kompose: {update: {pin: [...]}})") {
		t.Errorf("output:\n%s", out)
	}
	for _, c := range f.calls {
		if strings.Contains(c, "compose pull") && c != "docker compose pull web" {
			t.Errorf("pull call %q: the pinned db was pulled", c)
		}
	}
	f.calls = nil
	out, _, err = runAction(t, &Update{Now: time.Now, Policy: trust.Current(), Exclude: []string{"web"}}, s, f)
	if err != nil || !strings.Contains(out, "web: app:latest held back: --exclude-service") || !strings.Contains(out, "no service has an image to pull") {
		t.Errorf("--exclude-service web: %v\n%s", err, out)
	}
	for _, c := range f.calls {
		if strings.Contains(c, "compose pull") {
			t.Errorf("pulled with every service held back: %q", c)
		}
	}
	for content, want := range map[string]string{
		"name: shop\nservices:\n  web:\n    image: app:latest\nx-kompose:\n  update:\n    pin: [wbe]\n":  `x-kompose.update.pin: no service named "wbe"`,
		"name: shop\nservices:\n  web:\n    image: app:latest\nx-kompose:\n  update:\n    pinn: [web]\n": "x-kompose.update.pinn: unknown key (known: pin)",
		"name: shop\nservices:\n  web:\n    image: app:latest\nx-kompose:\n  update: [web]\n":            "x-kompose.update must be a mapping",
	} {
		write(content)
		_, _, err := runAction(t, &Update{Now: time.Now, Policy: trust.Current()}, s, f)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), s.ComposeFile) {
			t.Errorf("%q: %v, want %q naming the file", content, err, want)
		}
	}
}

// rollback --restore of an update that recorded neither a dump nor an
// archive says so and changes nothing: no image is tagged back.
func TestRollbackRestoreWithoutBackup(t *testing.T) {
	s := newStack(t)
	h := &History{Version: FileVersion, Project: "shop"}
	h.Add(Entry{Kind: KindUpdate, Time: time.Now().UTC().Truncate(time.Second), Services: []Change{
		{Service: "web", Image: "app:latest", From: id('a'), To: id('b'), Keep: KeepTag("shop", "web", id('a'))}}})
	if err := h.Save(filepath.Join(s.Dir, FileName)); err != nil {
		t.Fatal(err)
	}
	f := &fakeDocker{
		refs:       map[string]string{"app:latest": id('b')},
		containers: []Container{{ID: "c1", Service: "web", ImageID: id('b'), Running: true}},
	}
	r := &Rollback{N: 1, Restore: true, Now: time.Now, Policy: trust.Current(), stack: s}
	out, _, err := runAction(t, r, s, f)
	if err == nil || !strings.Contains(err.Error(), "recorded no backup, neither a database dump nor a volume archive") {
		t.Fatalf("err = %v\n%s", err, out)
	}
	for _, c := range f.calls {
		if strings.Contains(c, "image tag") || strings.Contains(c, " up ") {
			t.Errorf("rollback --restore without a backup changed something: %s", c)
		}
	}
	if f.refs["app:latest"] != id('b') {
		t.Errorf("app:latest names %s after the refused rollback", f.refs["app:latest"])
	}
}

type archivingAction struct{ got []plan.ArchiveResult }

func (a *archivingAction) Run(context.Context, *plan.ActionEnv) error { return nil }
func (a *archivingAction) Archives() []plan.ArchiveResult             { return a.got }

// The archives update --backup wrote reach the report and the metrics
// (plan.Archiver), and none without a backup.
func TestUpdateArchives(t *testing.T) {
	want := []plan.ArchiveResult{{Volume: "files", File: "/srv/shop/backups/files_1.tar.zst", Size: 10}}
	var u plan.Action = &Update{backup: &archivingAction{got: want}}
	a, ok := u.(plan.Archiver)
	if !ok || len(a.Archives()) != 1 || a.Archives()[0] != want[0] {
		t.Fatalf("update --backup's archives are not reported: %v", ok)
	}
	if got := (&Update{}).Archives(); got != nil {
		t.Errorf("an update without a backup reports archives %v", got)
	}
}
