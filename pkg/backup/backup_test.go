package backup

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kompose-dev/kompose/pkg/db"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/vol"
)

type fakeAction struct {
	name string
	err  error
	log  *[]string
}

func (f fakeAction) Run(context.Context, *plan.ActionEnv) error {
	*f.log = append(*f.log, f.name)
	return f.err
}
func (f fakeAction) HookArgs() []string { return []string{f.name + ".file"} }
func (f fakeAction) Describe() []string { return []string{"does " + f.name} }
func (f fakeAction) DumpFile() string   { return f.name + ".sql" }

// TestBothRunsEveryPart: a failing first part does not stop the second;
// the step fails naming the part; hooks, plan and dump file are the parts'.
func TestBothRunsEveryPart(t *testing.T) {
	var log []string
	b := &Both{Parts: []Part{
		{"db:export", fakeAction{"dump", errors.New("pg_dump failed"), &log}},
		{"vol:export", fakeAction{"archive", nil, &log}},
	}, Notes: []string{"volume pgdata skipped"}}
	var stderr bytes.Buffer
	err := b.Run(context.Background(), &plan.ActionEnv{Cmd: proc.Cmd{Stderr: &stderr}})
	if err == nil || !strings.Contains(err.Error(), "db:export: pg_dump failed") || strings.Join(log, ",") != "dump,archive" {
		t.Errorf("Run: %v, ran %v", err, log)
	}
	if got := strings.Join(b.HookArgs(), " "); got != "dump.file archive.file" {
		t.Errorf("HookArgs %q", got)
	}
	if got := strings.Join(b.Describe(), "|"); got != "db:export:|  does dump|vol:export:|  does archive|note: volume pgdata skipped" {
		t.Errorf("Describe %q", got)
	}
	if b.DumpFile() != "dump.sql" {
		t.Errorf("DumpFile %q", b.DumpFile())
	}
}

// TestSkipDataVolume: the volumes of the service db:export dumps leave
// the archives unless named; other volumes stay.
func TestSkipDataVolume(t *testing.T) {
	mk := func() *plan.Step {
		return &plan.Step{Action: &vol.Export{
			Targets: []vol.Target{
				{Name: "pgdata", Kind: vol.Volume, Engine: "p_pgdata", Services: []string{"db"}},
				{Name: "files", Kind: vol.Volume, Engine: "p_files", Services: []string{"app"}},
			},
			Paths: []string{"/b/pgdata_x.tar.zst", "/b/files_x.tar.zst"},
		}}
	}
	dump := &plan.Step{Action: &db.Export{Loc: db.Location{Mode: db.Service, Service: "db"}}}
	arch := mk()
	skipDataVolume(dump, arch, nil)
	x := arch.Action.(*vol.Export)
	if len(x.Targets) != 1 || x.Targets[0].Name != "files" || len(x.Paths) != 1 || x.Paths[0] != "/b/files_x.tar.zst" {
		t.Errorf("targets %v, paths %v", x.Targets, x.Paths)
	}
	if len(x.Notes) != 1 || !strings.Contains(x.Notes[0], "volume pgdata skipped: it holds the live files of the database") {
		t.Errorf("notes %v", x.Notes)
	}
	arch = mk()
	skipDataVolume(dump, arch, []string{"pgdata"})
	if n := len(arch.Action.(*vol.Export).Targets); n != 2 {
		t.Errorf("named pgdata: %d targets, want 2", n)
	}
	arch = mk()
	skipDataVolume(&plan.Step{Action: &db.Export{Loc: db.Location{Mode: db.Host}}}, arch, nil)
	if n := len(arch.Action.(*vol.Export).Targets); n != 2 {
		t.Errorf("a database on the host: %d targets, want 2", n)
	}
}

type dbFake struct{ fakeAction }

func (dbFake) DBResult() plan.DBResult { return plan.DBResult{Name: "shop", Engine: "mariadb"} }

// TestBothDBResult: a backup names the database of its db:export part to
// the reporters, and none when it has no such part.
func TestBothDBResult(t *testing.T) {
	var log []string
	b := &Both{Parts: []Part{{"db:export", dbFake{fakeAction{"dump", nil, &log}}}, {"vol:export", fakeAction{"archive", nil, &log}}}}
	if r := b.DBResult(); r.Engine != "mariadb" || r.Name != "shop" {
		t.Errorf("with a db part: %+v", r)
	}
	if r := (&Both{Parts: []Part{{"vol:export", fakeAction{"archive", nil, &log}}}}).DBResult(); r.Engine != "" {
		t.Errorf("volumes only: %+v", r)
	}
}

// TestBothSaysWhatItLeftOut: a real run says, as the dry run does, what
// backup left out (a Swarm stack's volumes): a nightly backup's mail
// must not read like a complete one.
func TestBothSaysWhatItLeftOut(t *testing.T) {
	var log []string
	b := &Both{Parts: []Part{{"db:export", fakeAction{"dump", nil, &log}}},
		Notes: []string{"vol:export skipped: a Swarm stack: volumes live on the nodes"}}
	var stderr bytes.Buffer
	if err := b.Run(context.Background(), &plan.ActionEnv{Cmd: proc.Cmd{Stderr: &stderr}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "note: vol:export skipped: a Swarm stack: volumes live on the nodes\n") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}
