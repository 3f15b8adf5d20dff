package jsonout

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/run"
	"github.com/kompose-dev/kompose/pkg/stack"
)

type dbAction struct{ res plan.DBResult }

func (dbAction) Run(context.Context, *plan.ActionEnv) error { return nil }
func (a dbAction) DBResult() plan.DBResult                  { return a.res }

// TestReportDatabase: the report of a db:* run names each stack's
// database and engine, and a MariaDB export's tables without
// transactions, masked like everything else (a table named after a
// secret is hidden); a plan names the engine too.
func TestReportDatabase(t *testing.T) {
	e := env.New()
	e.Set("DB_PASSWORD", "hunter2hunter2", env.SourceStackEnv)
	p := &plan.Plan{Command: "db:export", Masker: env.NewMasker(e)}
	s := &plan.Stack{Stack: stack.Stack{Name: "shop"}, Env: e, Masker: env.NewMasker(e).Using(p.Masker)}
	p.Stacks = []*plan.Stack{s}
	st := &plan.Step{Kind: plan.KindCommand, Label: "db:export", Action: dbAction{plan.DBResult{
		Name: "shop", Engine: "mariadb", NotTransactionalChecked: true,
		NotTransactional: []string{"Aria: notes", "MyISAM: hunter2hunter2"},
	}}}
	for _, dry := range []bool{true, false} {
		c := NewCollector("test", []string{"kompose", "shop", "db:export"}, time.Now)
		c.Begin(p, dry)
		if dry {
			c.StepPlanned(s, st)
		} else {
			c.StepDone(s, st, nil, time.Second)
			c.StackDone(run.StackResult{Stack: s, Status: run.Succeeded})
		}
		c.End(&run.Result{DryRun: dry})
		b, err := json.Marshal(c.Doc())
		if err != nil {
			t.Fatal(err)
		}
		got := string(b)
		if !strings.Contains(got, `"database":{"name":"shop","engine":"mariadb","not_transactional":["Aria: notes","MyISAM: ****"]}`) {
			t.Errorf("dry run %v: %s", dry, got)
		}
		if strings.Contains(got, "hunter2") {
			t.Errorf("a secret in the report: %s", got)
		}
	}
}

// TestReportNoDatabase: an action that names no engine (a backup of
// volumes only) gets no database block.
func TestReportNoDatabase(t *testing.T) {
	e := env.New()
	p := &plan.Plan{Command: "backup", Masker: env.NewMasker(e)}
	s := &plan.Stack{Stack: stack.Stack{Name: "photos"}, Env: e, Masker: env.NewMasker(e).Using(p.Masker)}
	p.Stacks = []*plan.Stack{s}
	c := NewCollector("test", []string{"kompose", "photos", "backup"}, time.Now)
	c.Begin(p, false)
	c.StepDone(s, &plan.Step{Kind: plan.KindCommand, Label: "backup", Action: dbAction{}}, nil, time.Second)
	c.End(&run.Result{})
	if d := c.Doc().Stacks[0].Database; d != nil {
		t.Errorf("database %+v", d)
	}
}
