package gitsync

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRedact(t *testing.T) {
	got := Redact("git fetch: fatal: unable to access 'https://deploy:ghp_s3cr3t@git.example.com/x.git/': 403")
	if strings.Contains(got, "s3cr3t") || strings.Contains(got, "deploy") || !strings.Contains(got, "https://****@git.example.com") {
		t.Fatalf("Redact: %s", got)
	}
}

// TestRootInsideWorkTree: the root is a folder of the repository
// (KOMPOSE_GIT_DIR names the top); only its sub-folders are stacks, and
// files outside it change nothing.
func TestRootInsideWorkTree(t *testing.T) {
	f := newFixture(t)
	os.MkdirAll(filepath.Join(f.dev, "stacks"), 0o755)
	git(t, f.dev, "mv", "blog", "news", "old", ".env", "stacks/")
	f.commit("stacks in a folder")
	git(t, f.server, "pull", "-q")
	r, err := Open(context.Background(), filepath.Join(f.server, "stacks"), f.server, os.Environ(), currentPolicy())
	if err != nil {
		t.Fatal(err)
	}
	if r.Prefix != "stacks" {
		t.Fatalf("prefix %q", r.Prefix)
	}
	write(t, filepath.Join(f.dev, "docs-not-stacks/blog/compose.yaml"), "services: {web: {image: z}}\n")
	write(t, filepath.Join(f.dev, "stacks/.env"), "TZ=Europe/Paris\n")
	f.commit("outside and root env")
	s, err := Prepare(context.Background(), r, Options{Policy: currentPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(s.Up); got != "blog:root,news:root,old:root" {
		t.Fatalf("up %s", got)
	}
	if _, err := Open(context.Background(), f.server, filepath.Join(f.server, "stacks"), os.Environ(), currentPolicy()); err == nil {
		t.Fatal("a root outside KOMPOSE_GIT_DIR was accepted")
	}
}

// TestStateFileNotThroughSymlink: a symlink planted at the record's name
// is replaced, never written through, and never read.
func TestStateFileNotThroughSymlink(t *testing.T) {
	f := newFixture(t)
	r := f.open()
	victim := filepath.Join(t.TempDir(), "victim")
	write(t, victim, "keep me\n")
	if err := os.Symlink(victim, r.StatePath()); err != nil {
		t.Fatal(err)
	}
	if _, err := r.LoadState(currentPolicy()); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("LoadState through a symlink: %v", err)
	}
	os.Remove(r.StatePath())
	os.Symlink(victim, r.StatePath())
	st := &State{Version: 1, Stacks: map[string]Deployed{"blog": {Commit: "abc", At: time.Now()}}}
	if err := r.SaveState(st); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep me\n" {
		t.Fatalf("the symlink's target was written: %q", b)
	}
	fi, err := os.Lstat(r.StatePath())
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Fatalf("record: %v %v", fi, err)
	}
}

func TestParseArgs(t *testing.T) {
	o, err := ParseArgs([]string{"--fetch", "--remove", "--allowed-signers", "/etc/signers"}, []string{"KOMPOSE_GIT_VERIFY=1"})
	if err != nil || !o.Fetch || !o.Remove || !o.Verify || o.Signers != "/etc/signers" {
		t.Fatalf("%+v %v", o, err)
	}
	if o, err = ParseArgs(nil, []string{"KOMPOSE_GIT_ALLOWED_SIGNERS=/s", "KOMPOSE_GIT_VERIFY=0"}); err != nil || o.Verify || o.Signers != "/s" {
		t.Fatalf("%+v %v", o, err)
	}
	for _, bad := range [][]string{{"--rollback", "--remove"}, {"--allowed-signers"}, {"now"}} {
		if _, err := ParseArgs(bad, nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := ParseArgs(nil, []string{"KOMPOSE_GIT_VERIFY=maybe"}); err == nil || !strings.Contains(err.Error(), "KOMPOSE_GIT_VERIFY") {
		t.Errorf("a bad KOMPOSE_GIT_VERIFY: %v", err)
	}
}
