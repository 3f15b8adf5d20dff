package db

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Issue 17, item 7: a dump of another database is refused unless
// --from-other-db (the custom header's database name, else the file
// name's); every import keeps the data it replaced until the next
// successful import, and --undo swaps it back.
func testOtherDBAndUndo(t *testing.T, e *pgEnv) {
	other := *e
	other.cfg.Name = e.cfg.Name + "_blog"
	e.srv.MustPSQL(t, "postgres", "CREATE DATABASE "+other.cfg.Name)
	e.srv.MustPSQL(t, other.cfg.Name, pgFixture+"DELETE FROM items WHERE id > 100;")
	t.Cleanup(func() { e.srv.MustPSQL(t, "postgres", "DROP DATABASE IF EXISTS "+other.cfg.Name+" WITH (FORCE)") })
	at := time.Date(2024, 4, 1, 0, 0, 0, 0, time.Local)
	blogCustom := other.export(Custom, at)
	blogPlain := other.export(Plain, at.Add(time.Second))
	renamed := filepath.Join(e.dir, e.cfg.Name+"_20240401_000002.dump")
	if err := os.Rename(blogCustom, renamed); err != nil {
		t.Fatal(err)
	}
	live := e.count()
	for _, f := range []string{renamed, blogPlain} {
		x, err := NewImport(e.cfg, e.loc(), f, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		err = x.CheckOrigin()
		if err == nil || !strings.Contains(err.Error(), `it is a dump of database "`+other.cfg.Name+`"`) || !strings.Contains(err.Error(), "--from-other-db") {
			t.Errorf("%s: %v, want a refusal", f, err)
		}
	}
	if strings.Contains(renamed, other.cfg.Name) {
		t.Fatal("test: the renamed archive must not carry the other name")
	}
	// The stack's own dump passes; --from-other-db lets the other one in.
	own := e.export(Custom, at.Add(2*time.Hour))
	if x, err := NewImport(e.cfg, e.loc(), own, time.Now()); err != nil || x.CheckOrigin() != nil || x.Origin.DB != e.cfg.Name {
		t.Fatalf("own dump: %v %+v", err, x)
	}
	x, err := NewImport(e.cfg, e.loc(), renamed, time.Date(2024, 5, 1, 0, 0, 0, 0, time.Local))
	if err != nil {
		t.Fatal(err)
	}
	x.FromOther = true
	if err := x.CheckOrigin(); err != nil {
		t.Fatal(err)
	}
	if err, stderr := e.run(x, nil); err != nil {
		t.Fatalf("--from-other-db: %v\n%s", err, stderr)
	}
	imported := e.count()
	if imported == live || !strings.HasPrefix(imported, "102:") {
		t.Fatalf("after importing blog's dump: %s", imported)
	}
	kept := func() string {
		return e.srv.MustPSQL(t, "postgres", "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database WHERE datname LIKE '"+e.cfg.Name+"\\_\\_kompose%'")
	}
	if got, want := kept(), e.cfg.Name+"__kompose_previous_20240501_000000"; got != want {
		t.Errorf("kept databases: %q, want %q", got, want)
	}
	// --undo swaps the replaced data back, and again.
	undo := func(ts time.Time) {
		t.Helper()
		if err, stderr := e.run(NewUndo(e.cfg, e.loc(), ts, time.Second), nil); err != nil {
			t.Fatalf("undo: %v\n%s", err, stderr)
		}
	}
	undo(time.Date(2024, 5, 2, 0, 0, 0, 0, time.Local))
	if got := e.count(); got != live {
		t.Errorf("after --undo: %s, want %s", got, live)
	}
	if got, want := kept(), e.cfg.Name+"__kompose_previous_20240502_000000"; got != want {
		t.Errorf("kept after --undo: %q, want %q", got, want)
	}
	undo(time.Date(2024, 5, 3, 0, 0, 0, 0, time.Local))
	if got := e.count(); got != imported {
		t.Errorf("after a second --undo: %s, want %s", got, imported)
	}
	// The next successful import drops what the earlier one kept.
	x, err = NewImport(e.cfg, e.loc(), own, time.Date(2024, 5, 4, 0, 0, 0, 0, time.Local))
	if err != nil {
		t.Fatal(err)
	}
	if err, stderr := e.run(x, nil); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	if got, want := kept(), e.cfg.Name+"__kompose_previous_20240504_000000"; got != want {
		t.Errorf("kept after the next import: %q, want %q", got, want)
	}
	if got := e.count(); got != live {
		t.Errorf("after importing its own dump: %s, want %s", got, live)
	}
}
