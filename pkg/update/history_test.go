package update

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func update(t0 time.Time, svc string, from, to byte) Entry {
	return Entry{Kind: KindUpdate, Time: t0, Services: []Change{{
		Service: svc, Image: "nginx:1", From: id(from), To: id(to), Keep: KeepTag("blog", svc, id(from)),
	}}}
}

func TestHistoryRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	h, err := LoadHistory(path, "blog")
	if err != nil || len(h.Entries) != 0 {
		t.Fatalf("missing file: %v, %+v", err, h)
	}
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	h.Add(update(now, "app", 'a', 'b'))
	if err := h.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadHistory(path, "blog")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Entries) != 1 || got.Entries[0].Services[0].From != id('a') || !got.Entries[0].Time.Equal(now) {
		t.Fatalf("read back %+v", got)
	}
	// No temporary file is left beside it.
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Fatalf("files left: %v", ents)
	}
	if _, err := LoadHistory(path, "other"); err == nil || !strings.Contains(err.Error(), `project "blog"`) {
		t.Fatalf("another project's history: %v", err)
	}
}

func TestHistoryRefusesBadContent(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"version": `{"version": 2, "project": "blog", "entries": []}`,
		"id":      `{"version": 1, "project": "blog", "entries": [{"kind": "update", "services": [{"service": "app", "image": "nginx", "from": "--force", "to": "sha256:` + strings.Repeat("a", 64) + `"}]}]}`,
		"image":   `{"version": 1, "project": "blog", "entries": [{"kind": "update", "services": [{"service": "app", "image": "-x", "from": "` + id('a') + `", "to": "` + id('b') + `"}]}]}`,
		"keep":    `{"version": 1, "project": "blog", "entries": [{"kind": "update", "services": [{"service": "app", "image": "nginx", "from": "` + id('a') + `", "to": "` + id('b') + `", "keep": "alpine:latest"}]}]}`,
		"kind":    `{"version": 1, "project": "blog", "entries": [{"kind": "oops", "services": []}]}`,
		"unknown": `{"version": 1, "project": "blog", "entries": [], "extra": 1}`,
		"syntax":  `{"version": 1,`,
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadHistory(p, "blog"); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: want an error naming the file, got %v", name, err)
		}
	}
}

func TestHistoryNoFollow(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	if err := os.WriteFile(target, []byte(`{"version": 1, "project": "blog", "entries": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, FileName)
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadHistory(link, "blog"); err == nil {
		t.Error("a symlinked history file is read")
	}
	// Saving replaces the link itself, never writes through it.
	h := &History{Version: FileVersion, Project: "blog"}
	h.Add(update(time.Now(), "app", 'a', 'b'))
	if err := h.Save(link); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); strings.Contains(string(b), "app") {
		t.Error("Save wrote through a symlink")
	}
	fi, err := os.Lstat(link)
	if err != nil || fi.Mode()&os.ModeSymlink != 0 {
		t.Errorf("the history is still a symlink: %v", err)
	}
}

func TestHistoryKeepsFiveUpdates(t *testing.T) {
	h := &History{Version: FileVersion, Project: "blog"}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ids := "abcdefgh"
	var released []string
	for i := 0; i+1 < len(ids); i++ {
		released = append(released, h.Add(update(t0.Add(time.Duration(i)*time.Hour), "app", ids[i], ids[i+1]))...)
		if i == 2 {
			h.Add(Entry{Kind: KindRollback, Time: t0, Services: []Change{{Service: "app", Image: "nginx:1", From: id('d'), To: id('c')}}})
		}
	}
	if n := h.Updates(); n != KeepUpdates {
		t.Fatalf("%d updates kept, want %d", n, KeepUpdates)
	}
	// 7 updates: the first two (keeping a and b) are released.
	want := []string{KeepTag("blog", "app", id('a')), KeepTag("blog", "app", id('b'))}
	if strings.Join(released, " ") != strings.Join(want, " ") {
		t.Errorf("released %v, want %v", released, want)
	}
	kept := h.KeptIDs()
	if kept[id('a')] || kept[id('b')] || !kept[id('c')] || !kept[id('g')] {
		t.Errorf("kept IDs %v", kept)
	}
}

func TestHistoryTarget(t *testing.T) {
	h := &History{Version: FileVersion, Project: "blog"}
	if _, err := h.Target(1); err == nil {
		t.Error("rollback without history")
	}
	t0 := time.Now()
	h.Add(update(t0, "app", 'a', 'b'))
	h.Add(Entry{Kind: KindUpdate, Time: t0, Services: []Change{
		{Service: "app", Image: "nginx:1", From: id('b'), To: id('c'), Keep: KeepTag("blog", "app", id('b'))},
		{Service: "db", Image: "pg:15", From: id('x'), To: id('y'), Keep: KeepTag("blog", "db", id('x'))},
	}})
	h.Add(Entry{Kind: KindRollback, Time: t0, Services: []Change{{Service: "app", Image: "nginx:1", From: id('c'), To: id('b')}}})
	got, err := h.Target(1)
	if err != nil || got["app"].From != id('b') || got["db"].From != id('x') {
		t.Fatalf("rollback 1: %+v %v", got, err)
	}
	got, err = h.Target(2)
	if err != nil || got["app"].From != id('a') || got["db"].From != id('x') {
		t.Fatalf("rollback 2: %+v %v", got, err)
	}
	if _, err := h.Target(3); err == nil || !strings.Contains(err.Error(), "only 2") {
		t.Fatalf("rollback 3: %v", err)
	}
}

// TestLoadHistoryRefusesFIFO: a FIFO at the history's name is refused at
// once, not waited on.
func TestLoadHistoryRefusesFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.json")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := LoadHistory(path, "blog"); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("LoadHistory: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("LoadHistory still waiting on a FIFO after 5s")
	}
}

// The backup recorded with an update is what rollback --restore N
// imports; a backup path that is not absolute and clean is refused on
// load.
func TestHistoryBackup(t *testing.T) {
	h := &History{Version: FileVersion, Project: "blog"}
	t0 := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)
	chg := []Change{{Service: "app", Image: "nginx:1", From: id('a'), To: id('b'), Keep: KeepTag("blog", "app", id('a'))}}
	h.Add(Entry{Kind: KindUpdate, Time: t0, Services: chg, Backup: "/srv/blog/blog_1.sql"})
	h.Add(Entry{Kind: KindUpdate, Time: t0, Services: chg})
	h.Add(Entry{Kind: KindRollback, Time: t0, Services: chg})
	if got, arch := h.BackupFor(1); got != "" || arch != nil {
		t.Errorf("BackupFor(1) = %q, %v, want none (the last update had no backup)", got, arch)
	}
	if got, _ := h.BackupFor(2); got != "/srv/blog/blog_1.sql" {
		t.Errorf("BackupFor(2) = %q", got)
	}
	path := filepath.Join(t.TempDir(), FileName)
	for _, bad := range []string{"blog_1.sql", "/srv/blog/../etc/passwd", "/srv/blog/a\nb"} {
		h.Entries[0].Backup = bad
		if err := h.Save(path); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadHistory(path, "blog"); err == nil || !strings.Contains(err.Error(), "backup") {
			t.Errorf("backup %q: %v", bad, err)
		}
	}
}

// A history file written before volume archives were recorded (an entry
// with "backup" and no "archives") reads as before; one with archives
// reads them back; an archive whose volume or path could steer vol:import
// elsewhere is refused on load.
func TestHistoryArchives(t *testing.T) {
	old := `{
  "version": 1,
  "project": "blog",
  "entries": [
    {
      "kind": "update",
      "time": "2026-11-21T03:00:04Z",
      "services": [
        {"service": "app", "image": "nginx:1.27", "from": "` + id('a') + `", "to": "` + id('b') + `", "keep": "` + KeepTag("blog", "app", id('a')) + `"}
      ],
      "backup": "/srv/stacks/blog/blog_20261121_030004.sql"
    }
  ]
}
`
	path := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := LoadHistory(path, "blog")
	if err != nil {
		t.Fatalf("a history written before archives were recorded: %v", err)
	}
	if dump, arch := h.BackupFor(1); dump != "/srv/stacks/blog/blog_20261121_030004.sql" || len(arch) != 0 {
		t.Fatalf("BackupFor(1) = %q, %v", dump, arch)
	}
	// Saved again without archives, the file has no "archives" key: an
	// older kompose still reads it.
	if err := h.Save(path); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); strings.Contains(string(b), "archives") {
		t.Errorf("an entry without archives is written with the key:\n%s", b)
	}

	want := []Archive{{Volume: "files", File: "/srv/stacks/blog/backups/files_20261121_030004.tar.zst"},
		{Volume: "data/uploads", File: "/srv/stacks/blog/backups/data-uploads_20261121_030004.tar.zst"},
		{Volume: "files..old", File: "/srv/stacks/blog/backups/files..old_20261121_030004.tar.zst"}}
	h.Entries[0].Archives = want
	if err := h.Save(path); err != nil {
		t.Fatal(err)
	}
	h2, err := LoadHistory(path, "blog")
	if err != nil {
		t.Fatal(err)
	}
	if _, arch := h2.BackupFor(1); !slices.Equal(arch, want) {
		t.Errorf("archives read back as %v, want %v", arch, want)
	}
	for _, bad := range []Archive{
		{Volume: "files", File: "files_1.tar.zst"},
		{Volume: "files", File: "/srv/x/../../etc/shadow"},
		{Volume: "files", File: "/srv/x\n/y"},
		{Volume: "--force", File: "/srv/x/files_1.tar.zst"},
		{Volume: "../etc", File: "/srv/x/files_1.tar.zst"},
		{Volume: "data/../../etc", File: "/srv/x/files_1.tar.zst"},
		{Volume: "data//x", File: "/srv/x/files_1.tar.zst"},
		{Volume: "", File: "/srv/x/files_1.tar.zst"},
	} {
		h.Entries[0].Archives = []Archive{bad}
		if err := h.Save(path); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadHistory(path, "blog"); err == nil || !strings.Contains(err.Error(), "archive") {
			t.Errorf("archive %+v: %v", bad, err)
		}
	}
}
