package metrics

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/run"
	"github.com/kompose-dev/kompose/pkg/stack"
)

type dbAction struct{ res plan.DBResult }

func (dbAction) Run(context.Context, *plan.ActionEnv) error { return nil }
func (a dbAction) DBResult() plan.DBResult                  { return a.res }

// TestDBSeries: a db:* step names its engine in one kompose_db_info
// series per stack (no command label; a new engine replaces the old
// series on merge), and a MariaDB export's tables without transactions
// are counted; a PostgreSQL export that did not look writes no count.
func TestDBSeries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kompose.prom")
	at := time.Unix(1_700_000_000, 0)
	step := func(command string, res map[string]plan.DBResult) {
		r := &Recorder{Path: path, Now: func() time.Time { return at }, Warn: failWriter{t}}
		var stacks []*plan.Stack
		for name := range res {
			stacks = append(stacks, &plan.Stack{Stack: stack.Stack{Name: name}})
		}
		r.Begin(&plan.Plan{Command: command, Stacks: stacks}, false)
		for _, s := range stacks {
			r.StepDone(s, &plan.Step{Kind: plan.KindCommand, Action: dbAction{res[s.Name]}}, nil, time.Second)
			r.StackDone(run.StackResult{Stack: s, Status: run.Succeeded, Duration: time.Second})
		}
		r.End(&run.Result{})
	}
	step("db:export", map[string]plan.DBResult{
		"shop": {Name: "shop", Engine: "mariadb", NotTransactionalChecked: true, NotTransactional: []string{"Aria: notes", "MyISAM: counters"}},
		"blog": {Name: "blog", Engine: "postgres"},
		"wiki": {Name: "wiki", Engine: "mysql", NotTransactionalChecked: true},
	})
	step("db:verify", map[string]plan.DBResult{"blog": {Name: "blog", Engine: "mysql"}})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{
		`kompose_db_info{stack="blog",engine="mysql"} 1`,
		`kompose_db_info{stack="shop",engine="mariadb"} 1`,
		`kompose_db_not_transactional_tables{stack="shop",command="db:export"} 2`,
		`kompose_db_not_transactional_tables{stack="wiki",command="db:export"} 0`,
		"# TYPE kompose_db_info gauge",
	} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("missing %s in:\n%s", want, got)
		}
	}
	for _, bad := range []string{`engine="postgres"`, `kompose_db_not_transactional_tables{stack="blog"`} {
		if strings.Contains(got, bad) {
			t.Errorf("%s in:\n%s", bad, got)
		}
	}
}
