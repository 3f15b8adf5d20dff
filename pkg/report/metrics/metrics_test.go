package metrics

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/run"
	"github.com/kompose-dev/kompose/pkg/stack"
)

type dumpAction struct{ path string }

func (dumpAction) Run(context.Context, *plan.ActionEnv) error { return nil }
func (d dumpAction) DumpFile() string                         { return d.path }

// record runs a Recorder over one plan's stacks with the given outcomes.
func record(t *testing.T, path, command string, at time.Time, outcomes map[string]run.Status, dump string) {
	t.Helper()
	r := &Recorder{Path: path, Now: func() time.Time { return at }, Warn: failWriter{t}}
	p := &plan.Plan{Command: command}
	for name := range outcomes {
		p.Stacks = append(p.Stacks, &plan.Stack{Stack: stack.Stack{Name: name}})
	}
	r.Begin(p, false)
	res := &run.Result{}
	for _, s := range p.Stacks {
		if dump != "" && outcomes[s.Name] == run.Succeeded {
			st := &plan.Step{Kind: plan.KindCommand, Action: dumpAction{dump}}
			r.StepDone(s, st, nil, time.Second)
		}
		sr := run.StackResult{Stack: s, Status: outcomes[s.Name], Duration: 1500 * time.Millisecond}
		r.StackDone(sr)
		res.Stacks = append(res.Stacks, sr)
	}
	r.End(res)
}

type failWriter struct{ t *testing.T }

func (w failWriter) Write(p []byte) (int, error) {
	w.t.Errorf("warning: %s", p)
	return len(p), nil
}

func TestMergeKeepsOtherSeries(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kompose.prom")
	dump := filepath.Join(dir, "blog_20260101_000000.sql")
	if err := os.WriteFile(dump, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1_700_000_000, 0)
	record(t, path, "up", t0, map[string]run.Status{"blog": run.Succeeded, "news": run.Succeeded}, "")
	record(t, path, "db:export", t0.Add(time.Hour), map[string]run.Status{"blog": run.Succeeded}, dump)
	// a later failed up of blog keeps its last success time
	record(t, path, "up", t0.Add(2*time.Hour), map[string]run.Status{"blog": run.Failed}, "")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `# HELP kompose_last_run_timestamp_seconds When kompose last ran the command for the stack (Unix time).
# TYPE kompose_last_run_timestamp_seconds gauge
kompose_last_run_timestamp_seconds{stack="blog",command="db:export"} 1700003600
kompose_last_run_timestamp_seconds{stack="blog",command="up"} 1700007200
kompose_last_run_timestamp_seconds{stack="news",command="up"} 1700000000
# HELP kompose_last_success_timestamp_seconds When the command last succeeded for the stack (Unix time).
# TYPE kompose_last_success_timestamp_seconds gauge
kompose_last_success_timestamp_seconds{stack="blog",command="db:export"} 1700003600
kompose_last_success_timestamp_seconds{stack="blog",command="up"} 1700000000
kompose_last_success_timestamp_seconds{stack="news",command="up"} 1700000000
# HELP kompose_last_duration_seconds How long the stack's last run of the command took.
# TYPE kompose_last_duration_seconds gauge
kompose_last_duration_seconds{stack="blog",command="db:export"} 1.5
kompose_last_duration_seconds{stack="blog",command="up"} 1.5
kompose_last_duration_seconds{stack="news",command="up"} 1.5
# HELP kompose_last_exit_status Exit status of the stack's last run of the command: 0 ok, 1 failed, 130 interrupted.
# TYPE kompose_last_exit_status gauge
kompose_last_exit_status{stack="blog",command="db:export"} 0
kompose_last_exit_status{stack="blog",command="up"} 1
kompose_last_exit_status{stack="news",command="up"} 0
# HELP kompose_last_dump_size_bytes Size of the dump the stack's last successful db:export wrote.
# TYPE kompose_last_dump_size_bytes gauge
kompose_last_dump_size_bytes{stack="blog",command="db:export"} 10
`
	if string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

// TestConcurrentWriters: runs writing one file at once lose nothing: each
// reads, merges and replaces the file under the lock.
func TestConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kompose.prom")
	const writers, rounds = 2, 25
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				s := Series{}
				s.set(LastRun, Key{Stack: fmt.Sprintf("w%d-s%02d", w, i), Command: "up"}, float64(i))
				if err := Merge(context.Background(), path, s, 10*time.Second, nil); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s[LastRun]); n != writers*rounds {
		t.Errorf("%d series, want %d: a writer's update was lost", n, writers*rounds)
	}
}

// TestSymlinks: a symlink planted at the lock's name is not followed, and
// one at the file's name is replaced, not written through.
func TestSymlinks(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "kompose.prom")
	if err := os.Symlink(victim, path+".lock"); err != nil {
		t.Fatal(err)
	}
	s := Series{}
	s.set(LastRun, Key{Stack: "a", Command: "up"}, 1)
	err := Merge(context.Background(), path, s, time.Second, nil)
	if err == nil || !strings.Contains(err.Error(), "lock") {
		t.Errorf("a symlinked lock file was used: %v", err)
	}
	os.Remove(path + ".lock")
	if err := os.Symlink(victim, path); err != nil {
		t.Fatal(err)
	}
	if err := Merge(context.Background(), path, s, time.Second, nil); err == nil {
		// reading through the symlink is refused (O_NOFOLLOW)
		t.Log("merge over a symlink succeeded")
	} else if !errors.Is(err, os.ErrNotExist) && !strings.Contains(err.Error(), "read") && !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("unexpected error: %v", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("the symlink's target was written: %q", b)
	}
}

// TestLastVerified: a db:verify that passes sets
// kompose_last_verified_timestamp_seconds; one that fails keeps the time
// of the last drill that passed.
func TestLastVerified(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kompose.prom")
	t0 := time.Unix(1_700_000_000, 0)
	record(t, path, "db:verify", t0, map[string]run.Status{"blog": run.Succeeded, "news": run.Failed}, "")
	record(t, path, "db:verify", t0.Add(time.Hour), map[string]run.Status{"blog": run.Failed}, "")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	if !strings.Contains(got, `kompose_last_verified_timestamp_seconds{stack="blog",command="db:verify"} 1700000000`+"\n") || strings.Contains(got, `kompose_last_verified_timestamp_seconds{stack="news"`) {
		t.Errorf("metrics:\n%s", got)
	}
}
