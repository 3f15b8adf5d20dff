package gitsync

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStackNamesThatArePatternsAreNotSelected: a commit that adds a
// folder named like a pattern ("*", "!blog", "a,b") must not make sync
// bring up every stack (or every stack but one): the names reach the
// plan as a pattern, where "*" is every stack. Such a folder is skipped,
// named, and the sync fails (exit 1); the other stacks come up.
func TestStackNamesThatArePatternsAreNotSelected(t *testing.T) {
	f := newFixture(t)
	for _, n := range []string{"*", "!blog", "a,b", "[bn]*"} {
		write(t, filepath.Join(f.dev, n, "compose.yaml"), "services: {web: {image: x}}\n")
	}
	write(t, filepath.Join(f.dev, "news/compose.yaml"), "services: {web: {image: news2}}\n")
	f.commit("pattern-like folders")
	s, err := f.prepare(Options{})
	if err != nil {
		t.Fatal(err)
	}
	var planned [][]string
	var out, errOut bytes.Buffer
	code, err := s.Run(context.Background(), Deps{Root: f.server, Out: &out, ErrOut: &errOut,
		Mask: func(s string) string { return s }, Now: time.Now,
		Plan: func(_ context.Context, _ string, names []string, _ bool) (int, map[string]bool, error) {
			planned = append(planned, names)
			ok := map[string]bool{}
			for _, n := range names {
				ok[n] = true
			}
			return 0, ok, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	for _, names := range planned {
		for _, n := range names {
			if strings.ContainsAny(n, "*?[,!") {
				t.Errorf("the plan got %q: a pattern, not a stack's name", n)
			}
		}
	}
	if len(planned) != 1 || strings.Join(planned[0], ",") != "news" {
		t.Errorf("planned %q, want news alone", planned)
	}
	if code != 1 || !strings.Contains(errOut.String(), `"*"`) {
		t.Errorf("exit %d, stderr %q: want 1 and the folder named", code, errOut.String())
	}
}

// TestIncludedGitConfigMustBeTrusted: a file the repository's
// configuration includes is configuration too (url.*.insteadOf sends the
// fetch elsewhere, core.attributesFile names filters): one that another
// user may change is refused like .git/config itself.
func TestIncludedGitConfigMustBeTrusted(t *testing.T) {
	f := newFixture(t)
	inc := filepath.Join(t.TempDir(), "shared.inc")
	write(t, inc, "[user]\n\tname = x\n")
	if err := os.Chmod(inc, 0o666); err != nil {
		t.Fatal(err)
	}
	git(t, f.server, "config", "include.path", inc)
	_, err := Open(context.Background(), f.server, "", os.Environ(), currentPolicy())
	if err == nil || !strings.Contains(err.Error(), inc) || !strings.Contains(err.Error(), "writable") {
		t.Fatalf("want the world-writable included file refused, got %v", err)
	}
	if err := os.Chmod(inc, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), f.server, "", os.Environ(), currentPolicy()); err != nil {
		t.Fatalf("a trusted included file: %v", err)
	}
}

// TestCommitTextIsNotTerminalControl: commit subjects, authors and file
// names come from the upstream; printed raw, an escape sequence or a
// carriage return rewrites the terminal or forges log lines.
func TestCommitTextIsNotTerminalControl(t *testing.T) {
	f := newFixture(t)
	write(t, filepath.Join(f.dev, "blog/x\x1b[2Jy.txt"), "x\n")
	git(t, f.dev, "add", "-A")
	git(t, f.dev, "-c", "user.name=Ev\x1b[31mil", "-c", "user.email=e@x", "commit", "-q", "--author=Ev\x1b[31mil <e@x>", "-m", "fix\rsync: verified, 0 commits\x1b[2K")
	git(t, f.dev, "push", "-q", "origin", "main")
	s, err := f.prepare(Options{DryRun: true, Fetch: true})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s.Print(&out, func(s string) string { return s })
	if strings.ContainsAny(out.String(), "\x1b\r") {
		t.Errorf("control characters printed: %q", out.String())
	}
	d := t.TempDir()
	_, allowed := signingKey(t, d, "good")
	signers := filepath.Join(d, "allowed_signers")
	write(t, signers, allowed)
	_, err = f.prepare(Options{Verify: true, Signers: signers})
	var ue *UnverifiedError
	if !errors.As(err, &ue) {
		t.Fatalf("want the unsigned commit refused, got %v", err)
	}
	if strings.ContainsAny(err.Error(), "\x1b\r") {
		t.Errorf("control characters in the refusal: %q", err.Error())
	}
}

// TestRedactOddPasswords: a password with an '@' or a quote written
// into the URL as is (git accepts both) is hidden whole.
func TestRedactOddPasswords(t *testing.T) {
	for _, in := range []string{
		"fatal: unable to access 'https://deploy:p@ss-s3cr3t@git.example.com/x.git/': 403",
		"fatal: unable to access 'https://deploy:it's-s3cr3t@git.example.com/x.git/': 403",
		"fatal: repository 'https://s3cr3t-token@git.example.com/x.git' not found",
	} {
		if got := Redact(in); strings.Contains(got, "s3cr3t") || !strings.Contains(got, "https://****@git.example.com/x.git") {
			t.Errorf("Redact(%q) = %q", in, got)
		}
	}
}

// TestDryRunWritesNothingInGit: a dry run (without --fetch) leaves the
// repository's .git folder exactly as it was: no index refresh, no
// record, no lock, no fetch.
func TestDryRunWritesNothingInGit(t *testing.T) {
	f := newFixture(t)
	write(t, filepath.Join(f.dev, "blog/compose.yaml"), "services: {web: {image: y}}\n")
	f.commit("blog")
	git(t, f.server, "fetch", "-q")
	// An index whose stat data is stale: plain "git status" rewrites it.
	now := time.Now().Add(time.Hour)
	os.Chtimes(filepath.Join(f.server, "blog/compose.yaml"), now, now)
	snap := func() string {
		var b strings.Builder
		filepath.Walk(filepath.Join(f.server, ".git"), func(p string, fi os.FileInfo, err error) error {
			if err == nil {
				b.WriteString(p + " " + fi.ModTime().String() + " " + fi.Mode().String() + "\n")
			}
			return nil
		})
		return b.String()
	}
	before := snap()
	s, err := f.prepare(Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := s.Run(context.Background(), Deps{Root: f.server, Out: &out, ErrOut: &out, Mask: func(s string) string { return s }, Now: time.Now,
		Plan: func(context.Context, string, []string, bool) (int, map[string]bool, error) {
			return 0, map[string]bool{}, nil
		}}); err != nil {
		t.Fatal(err)
	}
	if after := snap(); after != before {
		t.Errorf("the dry run changed .git:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestChangeThroughSymlinkedFolder: a stack that reaches files outside
// its folder through a symlink in it (blog/conf -> ../shared/conf, a
// root .env -> config/root.env) comes up when those files change: they
// are its files as compose and the hooks read them.
func TestChangeThroughSymlinkedFolder(t *testing.T) {
	f := newFixture(t)
	write(t, filepath.Join(f.dev, "shared/conf/app.conf"), "a=1\n")
	if err := os.Symlink("../shared/conf", filepath.Join(f.dev, "blog/conf")); err != nil {
		t.Fatal(err)
	}
	f.commit("blog's conf from shared")
	s, err := f.prepare(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(time.Now(), []string{"blog", "news", "old"}, map[string]bool{"blog": true}, nil); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(f.dev, "shared/conf/app.conf"), "a=2\n")
	f.commit("shared conf changed")
	s, err = f.prepare(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(s.Up); got != "blog:changed" || !strings.Contains(why(s.Up[0]), "blog/conf/app.conf") {
		t.Errorf("up %q, want blog:changed (its conf folder is a link to shared/conf)", got)
	}
	if err := s.Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(time.Now(), []string{"blog", "news", "old"}, map[string]bool{"blog": true}, nil); err != nil {
		t.Fatal(err)
	}

	// The root's .env as a link: a change of its target is a root change.
	write(t, filepath.Join(f.dev, "config/root.env"), "TZ=UTC\n")
	os.Remove(filepath.Join(f.dev, ".env"))
	if err := os.Symlink("config/root.env", filepath.Join(f.dev, ".env")); err != nil {
		t.Fatal(err)
	}
	f.commit("root .env from config/")
	s, err = f.prepare(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(time.Now(), []string{"blog", "news", "old"}, map[string]bool{"blog": true, "news": true, "old": true}, nil); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(f.dev, "config/root.env"), "TZ=Europe/Paris\n")
	f.commit("root env changed through the link")
	s, err = f.prepare(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(s.Up); got != "blog:root,news:root,old:root" {
		t.Errorf("up %q, want every stack (the root .env's target changed)", got)
	}
}

// TestDryRunPlanHasTheFilesTheRunWill: the dry run plans from the new
// commit's files written into a temporary folder; a .gitattributes of
// that commit must not change them (export-ignore would hide hooks.sh
// from the plan while the real run, on the checked-out work tree, runs
// it; export-subst would rewrite a file's text).
func TestDryRunPlanHasTheFilesTheRunWill(t *testing.T) {
	f := newFixture(t)
	write(t, filepath.Join(f.dev, "blog/hooks.sh"), "hook_pre_up() { echo '$Format:%H$'; }\n")
	write(t, filepath.Join(f.dev, ".gitattributes"), "hooks.sh export-ignore\n")
	write(t, filepath.Join(f.dev, "news/.gitattributes"), "compose.yaml export-subst\n")
	write(t, filepath.Join(f.dev, "news/compose.yaml"), "services: {web: {image: \"$Format:%H$\"}}\n")
	to := f.commit("hooks the archive hides")
	git(t, f.server, "fetch", "-q")
	r := f.open()
	check := func(dst, file string) {
		t.Helper()
		if b, err := os.ReadFile(filepath.Join(dst, file)); err != nil || !strings.Contains(string(b), "$Format:%H$") {
			t.Errorf("%s in the plan's files: %q %v", file, b, err)
		}
	}
	dst := t.TempDir()
	if err := r.ExtractRoot(context.Background(), to, dst); err != nil {
		t.Fatal(err)
	}
	check(dst, "blog/hooks.sh")
	check(dst, "news/compose.yaml")
	for _, n := range []string{"blog", "news"} {
		dst := t.TempDir()
		if err := r.Extract(context.Background(), to, n, dst); err != nil {
			t.Fatal(err)
		}
		check(dst, map[string]string{"blog": "blog/hooks.sh", "news": "news/compose.yaml"}[n])
	}
}

// TestRelativeAllowedSignersIsKompose: a relative --allowed-signers is a
// path from where kompose runs (that is the file the trust rule checks),
// never one of the work tree, where git runs: a repository's own
// allowed_signers file (its developers' keys) must not replace the one
// the user named.
func TestRelativeAllowedSignersIsKompose(t *testing.T) {
	f := newFixture(t)
	d := t.TempDir()
	good, allowedGood := signingKey(t, d, "good")
	other, allowedOther := signingKey(t, d, "other")
	_ = good
	write(t, filepath.Join(f.dev, "allowed_signers"), allowedOther)
	f.commit("the developers' keys")
	git(t, f.server, "pull", "-q")
	here := t.TempDir()
	write(t, filepath.Join(here, "allowed_signers"), allowedGood)
	t.Chdir(here)
	git(t, f.dev, "config", "gpg.format", "ssh")
	write(t, filepath.Join(f.dev, "blog/compose.yaml"), "services: {web: {image: other}}\n")
	f.commit("signed by a developer, not by the key the server allows", "-S", "--gpg-sign="+other)
	_, err := f.prepare(Options{Verify: true, Signers: "allowed_signers"})
	var ue *UnverifiedError
	if !errors.As(err, &ue) {
		t.Fatalf("want the commit refused (its key is not in ./allowed_signers), got %v", err)
	}
}

// TestDirtyFileNamesPrintable: the files that make a work tree dirty may
// be named by a container writing into a bind-mounted folder of a stack;
// their names are printed with control characters escaped.
func TestDirtyFileNamesPrintable(t *testing.T) {
	f := newFixture(t)
	write(t, filepath.Join(f.server, "blog/data/x\x1b]0;owned\x07y"), "x\n")
	_, err := f.prepare(Options{})
	var de *DirtyError
	if !errors.As(err, &de) {
		t.Fatalf("want a dirty work tree, got %v", err)
	}
	if strings.ContainsAny(err.Error(), "\x1b\x07") {
		t.Errorf("control characters in %q", err.Error())
	}
}

// TestRemoteURLTokenNotShown: a branch whose remote is a URL with a
// token (branch.main.remote=https://user:token@host/x.git, which git
// accepts) is refused or fails without the token in the message.
func TestRemoteURLTokenNotShown(t *testing.T) {
	f := newFixture(t)
	git(t, f.server, "config", "branch.main.remote", "https://deploy:ghp_s3cr3t@127.0.0.1:9/x.git")
	r, err := Open(context.Background(), f.server, "", os.Environ(), currentPolicy())
	if err == nil {
		_, err = Prepare(context.Background(), r, Options{Policy: currentPolicy()})
	}
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("want a failure without the token, got %v", err)
	}
}

// TestVerifyCoversAManualPull: someone runs "git pull" in the work tree
// (to look at what is coming); the commits it brought were never
// verified, yet the next sync would bring up the stacks they changed.
// sync --verify checks every commit since the one it last deployed, not
// only those after the work tree's.
func TestVerifyCoversAManualPull(t *testing.T) {
	f := newFixture(t)
	d := t.TempDir()
	good, allowed := signingKey(t, d, "good")
	signers := filepath.Join(d, "allowed_signers")
	write(t, signers, allowed)
	git(t, f.dev, "config", "gpg.format", "ssh")
	write(t, filepath.Join(f.dev, "blog/compose.yaml"), "services: {web: {image: signed}}\n")
	f.commit("signed", "-S", "--gpg-sign="+good)
	s, err := f.prepare(Options{Verify: true, Signers: signers})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(time.Now(), []string{"blog", "news", "old"}, map[string]bool{"blog": true}, nil); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(f.dev, "news/compose.yaml"), "services: {web: {image: unsigned}}\n")
	f.commit("unsigned news")
	git(t, f.server, "pull", "-q", "--ff-only")
	write(t, filepath.Join(f.dev, "blog/compose.yaml"), "services: {web: {image: signed2}}\n")
	f.commit("signed again", "-S", "--gpg-sign="+good)
	_, err = f.prepare(Options{Verify: true, Signers: signers})
	var ue *UnverifiedError
	if !errors.As(err, &ue) || ue.Commit.Subject != "unsigned news" {
		t.Fatalf("want the manually pulled unsigned commit refused, got %v", err)
	}
}

// TestRemoteNameIsNotAnOption: a remote named like an option
// (branch.main.remote=--upload-pack=...) reaches git after "--": it is a
// repository name, never an option that runs a program.
func TestRemoteNameIsNotAnOption(t *testing.T) {
	f := newFixture(t)
	marker := filepath.Join(t.TempDir(), "ran")
	name := "--upload-pack=touch " + marker + ";git-upload-pack"
	git(t, f.server, "config", "branch.main.remote", name)
	git(t, f.server, "config", "remote."+name+".url", f.bare)
	git(t, f.server, "config", "remote."+name+".fetch", "+refs/heads/*:refs/remotes/origin/*")
	r, err := Open(context.Background(), f.server, "", os.Environ(), currentPolicy())
	if err == nil {
		_ = r.Fetch(context.Background())
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("a remote's name ran a program")
	}
}
