package gitsync

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHostileRepoConfigRunsNothing gives the server's repository a
// configuration and hooks that would run a program at every step of a
// sync (fsmonitor at status, hooks at the merge, upload-pack at the
// fetch); plain git runs them, sync must not.
func TestHostileRepoConfigRunsNothing(t *testing.T) {
	f := newFixture(t)
	write(t, filepath.Join(f.dev, "blog/compose.yaml"), "services: {web: {image: y}}\n")
	f.commit("blog")
	d := t.TempDir()
	marker := filepath.Join(d, "ran")
	evil := filepath.Join(d, "evil.sh")
	if err := os.WriteFile(evil, []byte("#!/bin/sh\necho \"$0 $*\" >> "+marker+"\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	hooks := filepath.Join(d, "hooks")
	for _, h := range []string{"post-merge", "post-checkout", "reference-transaction", "pre-merge-commit"} {
		write(t, filepath.Join(hooks, h), "#!/bin/sh\necho hook "+h+" >> "+marker+"\n")
		os.Chmod(filepath.Join(hooks, h), 0o755)
		write(t, filepath.Join(f.server, ".git/hooks", h), "#!/bin/sh\necho githook "+h+" >> "+marker+"\n")
		os.Chmod(filepath.Join(f.server, ".git/hooks", h), 0o755)
	}
	git(t, f.server, "config", "core.fsmonitor", evil)
	git(t, f.server, "config", "core.hooksPath", hooks)
	git(t, f.server, "config", "remote.origin.uploadpack", evil+"; git-upload-pack")
	git(t, f.server, "config", "core.sshCommand", evil)
	git(t, f.server, "config", "core.askPass", evil)

	// The attack is real: plain git runs the fsmonitor.
	git(t, f.server, "status", "--porcelain")
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("plain git did not run the hostile fsmonitor: the test proves nothing (%v)", err)
	}
	os.Remove(marker)

	s, err := f.prepare(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(time.Now(), []string{"blog"}, map[string]bool{"blog": true}, nil); err != nil {
		t.Fatal(err)
	}
	if out, err := os.ReadFile(marker); err == nil {
		t.Fatalf("sync ran the repository's programs:\n%s", out)
	}
}

func TestRepoConfigWithDriversIsRefused(t *testing.T) {
	f := newFixture(t)
	for _, kv := range [][2]string{{"filter.lfs2.smudge", "touch /tmp/x"}, {"diff.evil.textconv", "cat"}, {"credential.helper", "store"}} {
		git(t, f.server, "config", kv[0], kv[1])
		_, err := Open(context.Background(), f.server, "", os.Environ(), currentPolicy())
		if err == nil || !strings.Contains(err.Error(), kv[0]) {
			t.Fatalf("config %s: want a refusal naming it, got %v", kv[0], err)
		}
		git(t, f.server, "config", "--unset", kv[0])
	}
	// In a file the configuration includes, too.
	inc := filepath.Join(t.TempDir(), "inc")
	write(t, inc, "[filter \"x\"]\n\tclean = touch /tmp/y\n")
	git(t, f.server, "config", "include.path", inc)
	if _, err := Open(context.Background(), f.server, "", os.Environ(), currentPolicy()); err == nil {
		t.Fatal("a filter in an included file was not refused")
	}
}

func TestGitConfigWritableByOthersIsRefused(t *testing.T) {
	f := newFixture(t)
	cfg := filepath.Join(f.server, ".git/config")
	if err := os.Chmod(cfg, 0o666); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), f.server, "", os.Environ(), currentPolicy())
	if err == nil || !strings.Contains(err.Error(), "writable") {
		t.Fatalf("want a trust refusal of .git/config, got %v", err)
	}
}

// signingKey makes an SSH key with the real ssh-keygen and returns its
// private key file and an allowed-signers line for it.
func signingKey(t *testing.T, dir, name string) (key, allowed string) {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		if os.Getenv("KOMPOSE_REQUIRE_ALL") == "1" {
			t.Fatal("ssh-keygen not found (KOMPOSE_REQUIRE_ALL=1)")
		}
		t.Skip("ssh-keygen not found (openssh-client)")
	}
	key = filepath.Join(dir, name)
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return key, "dev@example.com namespaces=\"git\" " + strings.TrimSpace(string(pub)) + "\n"
}

func TestVerifySignedCommits(t *testing.T) {
	f := newFixture(t)
	d := t.TempDir()
	good, allowed := signingKey(t, d, "good")
	other, _ := signingKey(t, d, "other")
	signers := filepath.Join(d, "allowed_signers")
	write(t, signers, allowed)
	os.Chmod(signers, 0o644)
	sign := func(key string) []string { return []string{"-S", "--gpg-sign=" + key} }
	git(t, f.dev, "config", "gpg.format", "ssh")

	write(t, filepath.Join(f.dev, "blog/compose.yaml"), "services: {web: {image: signed}}\n")
	f.commit("signed", sign(good)...)
	s, err := f.prepare(Options{Verify: true, Signers: signers})
	if err != nil {
		t.Fatalf("a commit signed by an allowed key: %v", err)
	}
	if err := s.Apply(context.Background()); err != nil {
		t.Fatal(err)
	}

	// An unsigned commit under a signed one: every commit must verify.
	write(t, filepath.Join(f.dev, "news/compose.yaml"), "services: {web: {image: unsigned}}\n")
	f.commit("unsigned")
	write(t, filepath.Join(f.dev, "blog/compose.yaml"), "services: {web: {image: signed2}}\n")
	f.commit("signed on top", sign(good)...)
	before := git(t, f.server, "rev-parse", "HEAD")
	_, err = f.prepare(Options{Verify: true, Signers: signers})
	var ue *UnverifiedError
	if !errors.As(err, &ue) || ue.Commit.Subject != "unsigned" {
		t.Fatalf("want the unsigned commit refused, got %v", err)
	}
	if git(t, f.server, "rev-parse", "HEAD") != before {
		t.Fatal("the work tree moved")
	}

	// Signed by a key the file does not allow.
	f2 := newFixture(t)
	git(t, f2.dev, "config", "gpg.format", "ssh")
	write(t, filepath.Join(f2.dev, "blog/compose.yaml"), "services: {web: {image: other}}\n")
	f2.commit("other key", sign(other)...)
	_, err = f2.prepare(Options{Verify: true, Signers: signers})
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("want a signature by another key refused, got %v", err)
	}

	// The allowed-signers file must pass the trust rule.
	os.Chmod(signers, 0o666)
	if _, err := f2.prepare(Options{Verify: true, Signers: signers}); err == nil || !strings.Contains(err.Error(), "writable") {
		t.Fatalf("want a world-writable allowed-signers file refused, got %v", err)
	}
	if _, err := f2.prepare(Options{Verify: true}); err == nil || !strings.Contains(err.Error(), "allowed-signers") {
		t.Fatalf("want --verify without a file refused, got %v", err)
	}
}
