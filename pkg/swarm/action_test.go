package swarm

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/stack"
)

// blockingDeploy stands for docker stack deploy: it notes the file it
// was given, then waits until the run is interrupted, or panics.
type blockingDeploy struct {
	file  string
	mode  os.FileMode
	panic bool
}

func (b *blockingDeploy) Run(ctx context.Context, c proc.Cmd) error {
	for i, a := range c.Argv {
		if a == "--compose-file" {
			b.file = c.Argv[i+1]
		}
	}
	if fi, err := os.Lstat(b.file); err == nil {
		b.mode = fi.Mode()
	}
	if b.panic {
		panic("deploy blew up")
	}
	<-ctx.Done()
	return ctx.Err()
}

// TestDeployInterruptedLeavesNothing: the resolved file (it holds the
// stack's secrets) is gone when up is interrupted (SIGINT, SIGTERM
// cancel the run's context) while docker stack deploy runs, and when the
// step panics.
func TestDeployInterruptedLeavesNothing(t *testing.T) {
	for _, panics := range []bool{false, true} {
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("services:\n  web:\n    image: nginx\n    environment: {TOKEN: '${TOKEN}'}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		e := env.New()
		e.Set("TOKEN", "tok-secret-1", env.SourceStackEnv)
		s := &plan.Stack{Stack: stack.Stack{Name: "app", Dir: dir, ComposeFile: filepath.Join(dir, "compose.yaml")}, Env: e, Masker: env.NewMasker(e)}
		step, err := Plan(s, "up", []string{"-d"})
		if err != nil {
			t.Fatal(err)
		}
		fake := &blockingDeploy{panic: panics}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		var out bytes.Buffer
		func() {
			defer func() { _ = recover() }()
			err = step.Action.Run(ctx, &plan.ActionEnv{Proc: fake, Stack: s, Cmd: proc.Cmd{Dir: dir, Env: e.Environ(), Stdout: &out, Stderr: &out}})
		}()
		cancel()
		if !panics && !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
		if fake.file == "" || filepath.Dir(filepath.Dir(fake.file)) != tmp {
			t.Fatalf("deployed %q, not a file under TMPDIR %s", fake.file, tmp)
		}
		if fake.mode != 0o600 {
			t.Errorf("the resolved file's mode while deploying: %v, want 0600", fake.mode)
		}
		if left, _ := os.ReadDir(tmp); len(left) > 0 {
			t.Errorf("panic=%v: left behind in TMPDIR: %v", panics, left)
		}
	}
}
