package envcrypt

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/kompose-dev/kompose/pkg/encrypt"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/trust"
)

type fixture struct {
	root, dir, key string
	id             *age.X25519Identity
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{root: t.TempDir()}
	f.dir = filepath.Join(f.root, "blog")
	if err := os.Mkdir(f.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.id, err = age.GenerateX25519Identity(); err != nil {
		t.Fatal(err)
	}
	f.key = filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(f.key, []byte(f.id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) stack(environ ...string) *plan.Stack {
	return &plan.Stack{Stack: stack.Stack{Name: "blog", Dir: f.dir}, Env: env.FromEnviron(environ), Policy: trust.Current()}
}

func run(t *testing.T, s *plan.Stack, step plan.Step) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := step.Action.Run(context.Background(), &plan.ActionEnv{Proc: proc.OS{}, Stack: s,
		Cmd: proc.Cmd{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out}})
	return out.String(), err
}

// TestEncryptRefuses: env:encrypt never overwrites a .env.age, needs
// recipients, never echoes a -r value that is not a public key, and
// --remove-plain needs an identity to check the new file with.
func TestEncryptRefuses(t *testing.T) {
	f := newFixture(t)
	if err := os.WriteFile(filepath.Join(f.dir, ".env"), []byte("A=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := Commands()[Encrypt]
	if _, err := c(f.stack(), Encrypt, nil); err == nil || !strings.Contains(err.Error(), "no recipients") {
		t.Errorf("no recipients: %v", err)
	}
	if _, err := c(f.stack(), Encrypt, []string{"-r", f.id.String()}); err == nil || strings.Contains(err.Error(), "AGE-SECRET") || !errors.Is(err, plan.ErrUsage) {
		t.Errorf("a private key as -r: %v", err)
	}
	if _, err := c(f.stack(), Encrypt, []string{"--remove-plain", "-r", f.id.Recipient().String()}); err == nil || !strings.Contains(err.Error(), encrypt.VarIdentity) {
		t.Errorf("--remove-plain without identity: %v", err)
	}
	if err := os.WriteFile(filepath.Join(f.dir, ".env.age"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c(f.stack(), Encrypt, []string{"-r", f.id.Recipient().String()}); err == nil || !strings.Contains(err.Error(), "not overwriting") {
		t.Errorf("existing .env.age: %v", err)
	}
}

// TestEncryptVerifies: with --remove-plain, a new file the identity cannot
// decrypt (encrypted to someone else) is not written and the .env stays;
// encrypted to the identity's key, the .env goes and the file decrypts.
func TestEncryptVerifies(t *testing.T) {
	f := newFixture(t)
	plain := filepath.Join(f.dir, ".env")
	if err := os.WriteFile(plain, []byte("API_URL=https://x\nWORD=s3cr3t-w0rd\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	other, _ := age.GenerateX25519Identity()
	s := f.stack(encrypt.VarIdentity + "=" + f.key)
	step, err := Commands()[Encrypt](s, Encrypt, []string{"--remove-plain", "-r", other.Recipient().String()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, s, step); err == nil || !strings.Contains(err.Error(), "would not be readable") {
		t.Errorf("to another key: %v", err)
	}
	if _, err := os.Stat(plain); err != nil {
		t.Fatalf("the .env went: %v", err)
	}
	if _, err := os.Lstat(plain + ".age"); err == nil {
		t.Fatal("a .env.age nobody here can read was written")
	}
	step, err = Commands()[Encrypt](s, Encrypt, []string{"--remove-plain", "-r", f.id.Recipient().String(), "-r", other.Recipient().String()})
	if err != nil {
		t.Fatal(err)
	}
	out, err := run(t, s, step)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "s3cr3t") || !strings.Contains(out, "removed") {
		t.Errorf("output: %q", out)
	}
	fi, err := os.Stat(plain + ".age")
	if err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf(".env.age: %v %v", fi, err)
	}
	b, _ := os.ReadFile(plain + ".age")
	r, err := age.Decrypt(bytes.NewReader(b), other)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	_, _ = got.ReadFrom(r)
	if got.String() != "API_URL=https://x\nWORD=s3cr3t-w0rd\n" {
		t.Errorf("decrypts to %q", got.String())
	}
}

// TestRootEnvOnce: --root-env acts on the root's file with the first
// stack and skips the others.
func TestRootEnvOnce(t *testing.T) {
	f := newFixture(t)
	if err := os.WriteFile(filepath.Join(f.root, ".env"), []byte("A=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := Commands()[Encrypt]
	args := []string{"--root-env", "-r", f.id.Recipient().String()}
	step, err := c(f.stack(), Encrypt, args)
	if err != nil || step.Args[0] != filepath.Join(f.root, ".env.age") {
		t.Fatalf("%v %v", step.Args, err)
	}
	var skip *plan.SkipError
	if _, err := c(f.stack(), Encrypt, args); !errors.As(err, &skip) {
		t.Errorf("second stack: %v", err)
	}
}

// TestEditor: VISUAL, else EDITOR, else vi, from kompose's own
// environment only (never a .env's).
func TestEditor(t *testing.T) {
	e := env.FromEnviron([]string{"EDITOR=nano -w"})
	e.Set("VISUAL", "evil", env.SourceStackEnv)
	if got := Editor(e); strings.Join(got, " ") != "nano -w" {
		t.Errorf("Editor = %q", got)
	}
	if got := Editor(env.FromEnviron([]string{"VISUAL=code --wait", "EDITOR=nano"})); strings.Join(got, " ") != "code --wait" {
		t.Errorf("Editor = %q", got)
	}
	if got := Editor(env.FromEnviron(nil)); got[0] != "vi" {
		t.Errorf("Editor = %q", got)
	}
}

// TestEditNoChangeAndFailingEditor: an editor that changes nothing or
// fails leaves the file as it was, and no temporary file behind.
func TestEditNoChangeAndFailingEditor(t *testing.T) {
	f := newFixture(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var b bytes.Buffer
	w, _ := age.Encrypt(&b, f.id.Recipient())
	_, _ = w.Write([]byte("TOKEN=abc-123-xyz\n"))
	_ = w.Close()
	enc := filepath.Join(f.dir, ".env.age")
	if err := os.WriteFile(enc, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, editor := range []string{"true", "false"} {
		s := f.stack(encrypt.VarIdentity+"="+f.key, "EDITOR="+editor, "PATH="+os.Getenv("PATH"))
		step, err := Commands()[Edit](s, Edit, []string{"-r", f.id.Recipient().String()})
		if err != nil {
			t.Fatal(err)
		}
		out, err := run(t, s, step)
		if (editor == "false") != (err != nil) || (editor == "true" && !strings.Contains(out, "no change")) {
			t.Errorf("%s: %q %v", editor, out, err)
		}
		if now, _ := os.ReadFile(enc); !bytes.Equal(now, b.Bytes()) {
			t.Errorf("%s: the file changed", editor)
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("%s: left in TMPDIR: %v", editor, left)
		}
	}
}

// TestEditSymlinkKeepsMode: env:edit on a .env.age that is a symbolic
// link (to a file in a private folder) writes the link's target, keeps
// the link, and never makes the file writable by others (the mode of a
// link, from lstat, is 0777: it once became the new file's).
func TestEditSymlinkKeepsMode(t *testing.T) {
	f := newFixture(t)
	t.Setenv("TMPDIR", t.TempDir())
	var b bytes.Buffer
	w, _ := age.Encrypt(&b, f.id.Recipient())
	_, _ = w.Write([]byte("TOKEN=abc-123-xyz\n"))
	_ = w.Close()
	private := filepath.Join(f.root, "private")
	if err := os.Mkdir(private, 0o700); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(private, "blog.env.age")
	if err := os.WriteFile(target, b.Bytes(), 0o640); err != nil {
		t.Fatal(err)
	}
	enc := filepath.Join(f.dir, ".env.age")
	if err := os.Symlink(target, enc); err != nil {
		t.Fatal(err)
	}
	editor := filepath.Join(t.TempDir(), "ed.sh")
	if err := os.WriteFile(editor, []byte("#!/bin/sh\nsed -i s/abc-123-xyz/new-value-789/ \"$1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := f.stack(encrypt.VarIdentity+"="+f.key, "EDITOR="+editor, "PATH="+os.Getenv("PATH"))
	step, err := Commands()[Edit](s, Edit, []string{"-r", f.id.Recipient().String()})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, s, step); err != nil {
		t.Fatalf("%s %v", out, err)
	}
	fi, err := os.Lstat(enc)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced by a file of mode %v", fi.Mode())
	}
	ti, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if ti.Mode().Perm() != 0o640 {
		t.Errorf("target mode %04o, want 0640", ti.Mode().Perm())
	}
	data, _ := os.ReadFile(target)
	r, err := age.Decrypt(bytes.NewReader(data), f.id)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	_, _ = got.ReadFrom(r)
	if got.String() != "TOKEN=new-value-789\n" {
		t.Errorf("target holds %q", got.String())
	}
}

// TestEditRefusesUnsafeTMPDIR: the decrypted temporary file is never
// made under a $TMPDIR another account may change (world-writable
// without the sticky bit: its owner could swap kompose's private folder
// for one of its own, and read what the editor saves).
func TestEditRefusesUnsafeTMPDIR(t *testing.T) {
	f := newFixture(t)
	tmp := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(tmp, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(tmp, 0o777); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", tmp)
	var b bytes.Buffer
	w, _ := age.Encrypt(&b, f.id.Recipient())
	_, _ = w.Write([]byte("TOKEN=abc-123-xyz\n"))
	_ = w.Close()
	if err := os.WriteFile(filepath.Join(f.dir, ".env.age"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s := f.stack(encrypt.VarIdentity+"="+f.key, "EDITOR=true", "PATH="+os.Getenv("PATH"), "TMPDIR="+tmp)
	step, err := Commands()[Edit](s, Edit, []string{"-r", f.id.Recipient().String()})
	if err != nil {
		t.Fatal(err)
	}
	out, err := run(t, s, step)
	if err == nil || !strings.Contains(err.Error(), tmp) || !strings.Contains(err.Error(), "world-writable") {
		t.Errorf("unsafe TMPDIR accepted: %q %v", out, err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("made in the unsafe TMPDIR: %v", left)
	}
}
