package db

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/offsite"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/retention"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// runWith is e.run with extra variables in the stack's environment.
func (e *pgEnv) runWith(a plan.Action, extra []string, rewrite func([]string) []string) (error, string) {
	var errb bytes.Buffer
	var environ []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PGPASSWORD=") && !strings.HasPrefix(kv, "RESTIC_") {
			environ = append(environ, kv)
		}
	}
	ex := &plan.ActionEnv{
		Proc:  rewriteRunner{proc.OS{}, rewrite},
		Stack: &plan.Stack{Policy: trust.Current()},
		Cmd:   proc.Cmd{Dir: e.dir, Env: append(environ, extra...), Stdout: &bytes.Buffer{}, Stderr: &errb},
	}
	return a.Run(context.Background(), ex), errb.String()
}

// testOffsite: with a restic repository in the stack's environment, an
// export stores in it exactly the bytes of the local dump (zstd and plain,
// which then streams through kompose too); a dump that fails its
// verification makes no snapshot; a locked repository fails the stack
// with restic's reason and keeps the local dump; --no-offsite stores
// nothing.
func testOffsite(t *testing.T, e *pgEnv) {
	if _, err := exec.LookPath(offsite.Program); err != nil {
		if os.Getenv("KOMPOSE_REQUIRE_ALL") == "1" {
			t.Fatal("restic not installed (KOMPOSE_REQUIRE_ALL=1)")
		}
		t.Skip("restic not installed")
	}
	repoDir := filepath.Join(t.TempDir(), "repo")
	extra := []string{offsite.VarRepository + "=" + repoDir, "RESTIC_PASSWORD=k22-db-pw", "XDG_CACHE_HOME=" + t.TempDir()}
	repo := &offsite.Repo{Env: append(os.Environ(), extra...), Timeout: time.Minute}
	init := exec.Command(offsite.Program, "init")
	init.Env = repo.Env
	if out, err := init.CombinedOutput(); err != nil {
		t.Fatalf("restic init: %v\n%s", err, out)
	}
	tags := offsite.Tags{Stack: "k22news", Kind: offsite.KindDB, Name: e.cfg.Name}
	newExport := func(f Format, at time.Time) *Export {
		x := NewExport(e.cfg, e.loc(), f, at)
		x.Offsite = &Offsite{Tags: tags, Repo: offsite.Repo{Timeout: time.Minute}}
		return x
	}
	ctx := context.Background()
	for i, f := range []Format{Zstd, Plain} {
		x := newExport(f, time.Date(2024, 6, 1, 3, 0, i, 0, time.Local))
		err, stderr := e.runWith(x, extra, nil)
		if err != nil {
			t.Fatalf("%s export: %v\n%s", f, err, stderr)
		}
		if !strings.Contains(stderr, "stored offsite: restic snapshot ") {
			t.Errorf("%s: %s", f, stderr)
		}
		snap, err := repo.Find(ctx, tags, "latest")
		if err != nil {
			t.Fatal(err)
		}
		var back bytes.Buffer
		if err := repo.Dump(ctx, snap, &back); err != nil {
			t.Fatal(err)
		}
		local, err := os.ReadFile(x.Path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back.Bytes(), local) || snap.File() != filepath.Base(x.Path) {
			t.Errorf("%s: the snapshot (%s, %d bytes) is not the local dump (%s, %d bytes)", f, snap.File(), back.Len(), x.Path, len(local))
		}
	}
	// db:list shows the snapshots beside the local dumps; db:import
	// --from restic:ID restores the first one through the checked path.
	snaps, err := repo.Snapshots(ctx, tags)
	if err != nil || len(snaps) != 2 {
		t.Fatalf("snapshots: %v %v", snaps, err)
	}
	l := &Lister{Cfg: e.cfg, Now: time.Now, Offsite: &Offsite{Tags: tags}}
	var listed bytes.Buffer
	lex := &plan.ActionEnv{Stack: &plan.Stack{Policy: trust.Current()}, Cmd: proc.Cmd{Env: repo.Env, Stdout: &listed, Stderr: &listed}}
	if err := l.Run(ctx, lex); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(listed.String(), "2 snapshot(s) of "+e.cfg.Name+" in the restic repository") || !strings.Contains(listed.String(), snaps[1].ShortID+"  "+snaps[1].File()) {
		t.Errorf("db:list:\n%s", listed.String())
	}
	before := e.count()
	e.srv.MustPSQL(t, e.cfg.Name, "DELETE FROM items WHERE id > 100")
	imp := &FromRestic{Cfg: e.cfg, Loc: e.loc(), Offsite: &Offsite{Tags: tags, Repo: offsite.Repo{Timeout: time.Minute}}, Snapshot: snaps[1].ShortID, Now: time.Now()}
	if err, stderr := e.runWith(imp, extra, nil); err != nil {
		t.Fatalf("import --from restic:%s: %v\n%s", snaps[1].ShortID, err, stderr)
	} else if !strings.Contains(stderr, "read restic snapshot "+snaps[1].ShortID+" ("+snaps[1].File()) {
		t.Errorf("import: %s", stderr)
	}
	if after := e.count(); after != before {
		t.Errorf("after the import from restic: %s, want %s", after, before)
	}
	if entries, _ := os.ReadDir(e.dir); len(entries) > 0 {
		for _, en := range entries {
			if strings.HasPrefix(en.Name(), ".kompose-restore-") {
				t.Errorf("left %s", en.Name())
			}
		}
	}
	imp.Snapshot = "ffffffff"
	if err, _ := e.runWith(imp, extra, nil); err == nil || !strings.Contains(err.Error(), "no snapshot ffffffff of db") {
		t.Errorf("a snapshot that is not there: %v", err)
	}
	count := func() int {
		snaps, err := repo.Snapshots(ctx, tags)
		if err != nil {
			t.Fatal(err)
		}
		return len(snaps)
	}
	// A pg_dump that exits 0 with half a dump: no dump, no snapshot.
	good, _ := os.ReadFile(filepath.Join(e.dir, FileName(e.cfg.Name, time.Date(2024, 6, 1, 3, 0, 1, 0, time.Local), Plain)))
	half := filepath.Join(t.TempDir(), "half.sql")
	if err := os.WriteFile(half, good[:len(good)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	x := newExport(Zstd, time.Date(2024, 6, 1, 4, 0, 0, 0, time.Local))
	err, stderr := e.runWith(x, extra, func(argv []string) []string {
		if argv[0] == "pg_dump" {
			return []string{"cat", half}
		}
		return argv
	})
	if err == nil || !strings.Contains(err.Error(), "not a complete dump") {
		t.Errorf("half a dump: %v\n%s", err, stderr)
	}
	if n := count(); n != 2 {
		t.Errorf("after a dump that failed its verification: %d snapshots, want 2", n)
	}
	// --no-offsite.
	x = newExport(Zstd, time.Date(2024, 6, 1, 5, 0, 0, 0, time.Local))
	x.Offsite.Disable = true
	if err, stderr := e.runWith(x, extra, nil); err != nil || strings.Contains(stderr, "offsite") {
		t.Errorf("--no-offsite: %v\n%s", err, stderr)
	}
	if n := count(); n != 2 {
		t.Errorf("--no-offsite stored a snapshot: %d", n)
	}
	// db:cleanup --keep 1 thins the repository too (--keep-last 1), and
	// prunes when asked.
	c, err := NewCleanup(trust.Current(), e.cfg, retention.Policy{Last: 1}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c.Offsite = &Offsite{Tags: tags, Repo: offsite.Repo{Timeout: time.Minute}, Keep: retention.Policy{Last: 1}.ResticArgs(), Prune: true}
	err, stderr = e.runWith(c, extra, nil)
	if err != nil || !strings.Contains(stderr, "offsite: restic forget removed 1 snapshot(s) (--keep-last 1), unused data pruned") {
		t.Errorf("cleanup: %v\n%s", err, stderr)
	}
	if n := count(); n != 1 {
		t.Errorf("after db:cleanup --keep 1: %d snapshots", n)
	}
	// Locked exclusively by another restic: the stack fails with
	// restic's reason, the local dump is there.
	holder := exec.Command(offsite.Program, "key", "passwd")
	holder.Env = repo.Env
	stdin, err := holder.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); _ = holder.Process.Kill(); _ = holder.Wait() }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if locks, _ := os.ReadDir(filepath.Join(repoDir, "locks")); len(locks) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("restic key passwd took no lock")
		}
	}
	x = newExport(Zstd, time.Date(2024, 6, 1, 6, 0, 0, 0, time.Local))
	err, stderr = e.runWith(x, extra, nil)
	if err == nil || !strings.Contains(err.Error(), "offsite copy of "+x.Path+" failed: restic backup: unable to create lock in backend: repository is already locked exclusively by PID "+strconv.Itoa(holder.Process.Pid)) ||
		!strings.Contains(err.Error(), "(the local dump is kept)") {
		t.Errorf("locked: %v\n%s", err, stderr)
	}
	if _, serr := os.Stat(x.Path); serr != nil {
		t.Errorf("the local dump is gone: %v", serr)
	}
}
