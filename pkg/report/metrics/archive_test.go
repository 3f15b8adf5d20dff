package metrics

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/run"
	"github.com/kompose-dev/kompose/pkg/stack"
)

type archiveAction struct{ done []plan.ArchiveResult }

func (archiveAction) Run(context.Context, *plan.ActionEnv) error { return nil }
func (a archiveAction) Archives() []plan.ArchiveResult           { return a.done }

// TestArchiveSeries: each archive written gets its size, time and
// duration under a volume label, also when the step failed for another
// volume; the series survive a later run's merge and parse back.
func TestArchiveSeries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kompose.prom")
	at := time.Date(2026, 12, 6, 3, 15, 0, 0, time.UTC)
	r := &Recorder{Path: path, Now: func() time.Time { return at }, Warn: failWriter{t}}
	s := &plan.Stack{Stack: stack.Stack{Name: "photos"}}
	r.Begin(&plan.Plan{Command: "backup", Stacks: []*plan.Stack{s}}, false)
	act := archiveAction{[]plan.ArchiveResult{
		{Volume: "library", Time: at, Size: 1234, Seconds: 2.5},
		{Volume: `odd"name`, Time: at.Add(-time.Second), Size: 7, Seconds: 0.25},
	}}
	r.StepDone(s, &plan.Step{Kind: plan.KindCommand, Action: act}, errors.New("another volume failed"), time.Second)
	r.StackDone(run.StackResult{Stack: s, Status: run.Failed, Duration: time.Second})
	r.End(&run.Result{})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`kompose_last_archive_size_bytes{stack="photos",command="backup",volume="library"} 1234`,
		`kompose_last_archive_timestamp_seconds{stack="photos",command="backup",volume="library"} 1796526900`,
		`kompose_last_archive_duration_seconds{stack="photos",command="backup",volume="odd\"name"} 0.25`,
		`kompose_last_exit_status{stack="photos",command="backup"} 1`,
	} {
		if !strings.Contains(string(b), want+"\n") {
			t.Errorf("missing %s in:\n%s", want, b)
		}
	}
	// Another run (up) keeps them.
	record(t, path, "up", at.Add(time.Hour), map[string]run.Status{"photos": run.Succeeded}, "")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := Parse(f)
	if err != nil || got[ArchiveSize][Key{Stack: "photos", Command: "backup", Volume: "library"}] != 1234 || got[ArchiveSize][Key{Stack: "photos", Command: "backup", Volume: `odd"name`}] != 7 {
		t.Errorf("after another run: %v %v", got[ArchiveSize], err)
	}
}
