package gitsync

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSyncOneStackChanged(t *testing.T) {
	f := newFixture(t)
	write(t, filepath.Join(f.dev, "blog/compose.yaml"), "services: {web: {image: y}}\n")
	write(t, filepath.Join(f.dev, "README.md"), "more\n")
	tip := f.commit("blog: image y")

	// A dry run without --fetch sees nothing new, and fetches nothing.
	s, err := f.prepare(Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Fetched || s.To != s.From || len(s.Up) != 0 {
		t.Fatalf("dry run without --fetch: fetched %v, %s..%s, up %s", s.Fetched, s.From, s.To, names(s.Up))
	}
	s, err = f.prepare(Options{DryRun: true, Fetch: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.To != tip || names(s.Up) != "blog:changed" || len(s.Commits) != 1 || s.Commits[0].Subject != "blog: image y" {
		t.Fatalf("to %s (want %s), up %s, commits %+v", s.To, tip, names(s.Up), s.Commits)
	}
	if got := git(t, f.server, "rev-parse", "HEAD"); got == tip {
		t.Fatal("a dry run moved the work tree")
	}
	if err := s.Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := git(t, f.server, "rev-parse", "HEAD"); got != tip {
		t.Fatalf("HEAD %s after apply, want %s", got, tip)
	}
	if err := s.Record(time.Now(), []string{"blog", "news", "old"}, map[string]bool{"blog": true}, nil); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(s.Repo.StatePath())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}
	// Nothing new: nothing comes up.
	s, err = f.prepare(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Up) != 0 || s.From != s.To {
		t.Fatalf("second sync: up %s", names(s.Up))
	}
}

func TestSyncRootEnvChangesEveryStack(t *testing.T) {
	f := newFixture(t)
	write(t, filepath.Join(f.dev, ".env"), "TZ=Europe/Paris\n")
	f.commit("root env")
	s, err := f.prepare(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(s.Up); got != "blog:root,news:root,old:root" {
		t.Fatalf("up %s", got)
	}
}

func TestSyncRootHooksChangeEveryStack(t *testing.T) {
	f := newFixture(t)
	write(t, filepath.Join(f.dev, "hooks/pre-up"), "#!/bin/sh\n")
	f.commit("root hook")
	s, err := f.prepare(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(s.Up); got != "blog:root,news:root,old:root" {
		t.Fatalf("up %s", got)
	}
}

func TestSyncRemovedAndNewStacks(t *testing.T) {
	f := newFixture(t)
	git(t, f.dev, "rm", "-q", "-r", "old")
	write(t, filepath.Join(f.dev, "shop/compose.yml"), "services: {web: {image: x}}\n")
	f.commit("old out, shop in")
	s, err := f.prepare(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if names(s.Up) != "shop:new" || names(s.Removed) != "old:removed" {
		t.Fatalf("up %s removed %s", names(s.Up), names(s.Removed))
	}
	if err := s.Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Not taken down: still reported by the next sync.
	if err := s.Record(time.Now(), []string{"blog", "news", "shop"}, map[string]bool{"shop": true}, nil); err != nil {
		t.Fatal(err)
	}
	s, err = f.prepare(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if names(s.Up) != "" || names(s.Removed) != "old:removed" {
		t.Fatalf("next sync: up %s removed %s", names(s.Up), names(s.Removed))
	}
	if err := s.Record(time.Now(), []string{"blog", "news", "shop"}, nil, map[string]bool{"old": true}); err != nil {
		t.Fatal(err)
	}
	s, err = f.prepare(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if names(s.Removed) != "" {
		t.Fatalf("after down: removed %s", names(s.Removed))
	}
}

func TestSyncFailedStackIsRetried(t *testing.T) {
	f := newFixture(t)
	write(t, filepath.Join(f.dev, "blog/compose.yaml"), "services: {web: {image: broken}}\n")
	write(t, filepath.Join(f.dev, "news/compose.yaml"), "services: {web: {image: z}}\n")
	f.commit("two stacks")
	s, err := f.prepare(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(time.Now(), []string{"blog", "news", "old"}, map[string]bool{"news": true}, nil); err != nil {
		t.Fatal(err)
	}
	s, err = f.prepare(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(s.Up); got != "blog:retry" {
		t.Fatalf("retry: up %s", got)
	}
}

func TestSyncRefusesDivergedUpstream(t *testing.T) {
	f := newFixture(t)
	write(t, filepath.Join(f.dev, "blog/compose.yaml"), "services: {web: {image: up}}\n")
	f.commit("upstream change")
	write(t, filepath.Join(f.server, "news/compose.yaml"), "services: {web: {image: local}}\n")
	git(t, f.server, "commit", "-q", "-am", "a local fix on the server")
	before := git(t, f.server, "rev-parse", "HEAD")
	_, err := f.prepare(Options{})
	var nff *NotFastForwardError
	if !errors.As(err, &nff) || !strings.Contains(err.Error(), "a local fix on the server") || !strings.Contains(err.Error(), before[:12]) {
		t.Fatalf("want a not-fast-forward error naming the commit, got %v", err)
	}
	if got := git(t, f.server, "rev-parse", "HEAD"); got != before {
		t.Fatal("the work tree moved")
	}
}

func TestSyncRefusesDirtyTreeButNotKomposeFiles(t *testing.T) {
	f := newFixture(t)
	write(t, filepath.Join(f.dev, "news/compose.yaml"), "services: {web: {image: n}}\n")
	f.commit("news")
	// kompose's own files never count.
	for _, p := range []string{"blog/.kompose.lock", "blog/.kompose-updates.json", "blog/.kompose-check.json",
		"blog/app_20260101_030000.sql.gz", "blog/app_20260101_030000_2.sql.zst.age", "blog/.app.kompose.lock",
		"blog/backups/data_20260101_030000.tar.zst", "blog/backups/data_20260101_030000.tar.zst.manifest.json",
		"blog/.kompose-restore-123/x", "blog/app_20260101_030000.sql.partial"} {
		write(t, filepath.Join(f.server, p), "x")
	}
	if _, err := f.prepare(Options{}); err != nil {
		t.Fatalf("kompose's own files made the tree dirty: %v", err)
	}
	write(t, filepath.Join(f.server, "blog/compose.yaml"), "services: {web: {image: edited-on-server}}\n")
	write(t, filepath.Join(f.server, "blog/notes.txt"), "x")
	_, err := f.prepare(Options{})
	var de *DirtyError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "blog/compose.yaml") || !strings.Contains(err.Error(), "blog/notes.txt") {
		t.Fatalf("want a dirty-tree error naming the files, got %v", err)
	}
}

func TestOwnFiles(t *testing.T) {
	for p, want := range map[string]bool{
		"blog/.kompose.lock": true, "blog/app_20260101_030000.dump": true, "blog/compose.yaml": false,
		"blog/.env": false, "blog/hooks.sh": false, "blog/my_20260101_030000.txt": false,
		"blog/.kompose-restore-9/": true, "blog/.compose.yaml.0a1b2c3d4e5f.tmp": true,
	} {
		if got := Own(p); got != want {
			t.Errorf("Own(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestSyncRollback(t *testing.T) {
	f := newFixture(t)
	first := git(t, f.server, "rev-parse", "HEAD")
	s, err := f.prepare(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(time.Now(), []string{"blog", "news", "old"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(f.dev, "blog/compose.yaml"), "services: {web: {image: bad}}\n")
	bad := f.commit("bad blog")
	s, err = f.prepare(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(time.Now(), []string{"blog", "news", "old"}, map[string]bool{"blog": true}, nil); err != nil {
		t.Fatal(err)
	}
	s, err = f.prepare(Options{Rollback: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.To != first || names(s.Up) != "blog:changed" {
		t.Fatalf("rollback to %s (want %s), up %s", s.To, first, names(s.Up))
	}
	if err := s.Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(time.Now(), []string{"blog", "news", "old"}, map[string]bool{"blog": true}, nil); err != nil {
		t.Fatal(err)
	}
	if got := git(t, f.server, "rev-parse", "HEAD"); got != first {
		t.Fatalf("HEAD %s after rollback", got)
	}
	// The upstream still has the bad commit: the next sync leaves it.
	s, err = f.prepare(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.To != first || len(s.Up) != 0 || !strings.Contains(s.Note, bad[:12]) {
		t.Fatalf("after rollback: to %s, up %s, note %q", s.To, names(s.Up), s.Note)
	}
}
