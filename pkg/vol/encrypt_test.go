package vol

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/codec"
	"github.com/kompose-dev/kompose/pkg/encrypt"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/retention"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// ageKeys makes a real key pair with age-keygen and reads it back as
// kompose does.
func ageKeys(t *testing.T) (idFile string, l *ageLayer) {
	t.Helper()
	for _, p := range []string{"age", "age-keygen", "zstd", "tar"} {
		if _, err := exec.LookPath(p); err != nil {
			if os.Getenv("KOMPOSE_REQUIRE_ALL") == "1" {
				t.Fatalf("%s not installed (KOMPOSE_REQUIRE_ALL=1)", p)
			}
			t.Skip(p + " not installed")
		}
	}
	dir := t.TempDir()
	idFile = filepath.Join(dir, "key.txt")
	if out, err := exec.Command("age-keygen", "-o", idFile).CombinedOutput(); err != nil {
		t.Fatalf("age-keygen: %v\n%s", err, out)
	}
	pub, err := exec.Command("age-keygen", "-y", idFile).Output()
	if err != nil {
		t.Fatal(err)
	}
	rcFile := filepath.Join(dir, "recipients.txt")
	if err := os.WriteFile(rcFile, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := encrypt.Recipients(trust.Current(), rcFile)
	if err != nil {
		t.Fatal(err)
	}
	return idFile, &ageLayer{recipients: rs}
}

// TestAgeArchive: an archive written through the age layer (with the
// stream check before it, as vol:export writes it) is a .tar.zst.age
// that `age -d | zstd -d | tar` reads whole; kompose reads it back with
// the identity and refuses it without; the Tee gets the ciphertext.
func TestAgeArchive(t *testing.T) {
	idFile, l := ageKeys(t)
	chk := &streamCheck{codec: codec.Zstd}
	var tee bytes.Buffer
	p := Pipeline{Codec: codec.Zstd, Layers: []Layer{chk, l}, Tee: &tee}
	if p.Suffix() != ".tar.zst.age" {
		t.Errorf("suffix %q", p.Suffix())
	}
	if !p.sealed() {
		t.Error("an age layer without identities is not sealed")
	}
	var out bytes.Buffer
	counts, err := p.Write(bytes.NewReader(sample(t)), &out)
	if err != nil {
		t.Fatal(err)
	}
	if chk.counts != counts {
		t.Errorf("the stream check counted %+v, the writer %+v", chk.counts, counts)
	}
	if !bytes.Equal(tee.Bytes(), out.Bytes()) || !encrypt.IsEncrypted(out.Bytes()) {
		t.Error("the tee did not get the age file")
	}
	sh := exec.Command("sh", "-c", `age -d -i "$1" | zstd -d | tar -tv`, "sh", idFile)
	sh.Stdin = bytes.NewReader(out.Bytes())
	listing, err := sh.CombinedOutput()
	if err != nil || !strings.Contains(string(listing), "./link -> a") {
		t.Fatalf("age -d | zstd -d | tar -t: %v\n%s", err, listing)
	}
	ids, err := encrypt.Identities(trust.Current(), idFile)
	if err != nil {
		t.Fatal(err)
	}
	rp, err := readPipeline("data_20260101_000000.tar.zst.age", ids)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := rp.Verify(bytes.NewReader(out.Bytes()))
	if err != nil || got.Files != counts.Files || got.Bytes != counts.Bytes {
		t.Errorf("read back with the identity: %+v %v, wrote %+v", got, err, counts)
	}
	rp, _ = readPipeline("data_20260101_000000.tar.zst.age", nil)
	if _, _, err := rp.Verify(bytes.NewReader(out.Bytes())); err == nil || !strings.Contains(err.Error(), encrypt.VarIdentity) {
		t.Errorf("read back without the identity: %v", err)
	}
}

// TestStreamCheckStopsAge: a compressed stream cut short fails the
// check's Close, which comes before age's: the age file is never
// finished, and age refuses it.
func TestStreamCheckStopsAge(t *testing.T) {
	idFile, l := ageKeys(t)
	var whole bytes.Buffer
	if _, err := (Pipeline{Codec: codec.Zstd}).Write(bytes.NewReader(sample(t)), &whole); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	aw, err := l.Wrap(&out)
	if err != nil {
		t.Fatal(err)
	}
	chk := &streamCheck{codec: codec.Zstd}
	cw, err := chk.Wrap(aw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cw.Write(whole.Bytes()[:whole.Len()/2]); err != nil {
		t.Fatal(err)
	}
	if err := cw.Close(); err == nil || !strings.Contains(err.Error(), "does not read back whole before encryption") {
		t.Fatalf("a cut stream passed the check: %v", err)
	}
	// Pipeline.Write returns at the first Close that fails: age's is
	// never called.
	cmd := exec.Command("age", "-d", "-i", idFile)
	cmd.Stdin = bytes.NewReader(out.Bytes())
	if b, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("age decrypted an unfinished file: %s", b)
	}
}

// TestSafetyCopySealed: when the stack encrypts its archives, vol:import
// writes its safety copy through age (.tar.zst.age, what `age -d` reads)
// and the undo reads it back with the identity; with recipients but no
// identity, vol:import is refused before anything changes.
func TestSafetyCopySealed(t *testing.T) {
	idFile, _ := ageKeys(t)
	rcFile := filepath.Join(filepath.Dir(idFile), "recipients.txt")
	s := stackOf(t, map[string]string{"compose.yaml": "services: {}\n"})
	s.Policy = trust.Current()
	s.Env.Set(encrypt.VarRecipients, rcFile, env.SourceStackEnv)

	if _, err := sealFor(s); err == nil || !strings.Contains(err.Error(), encrypt.VarIdentity) || !strings.Contains(err.Error(), "nothing was changed") {
		t.Errorf("recipients without an identity: %v", err)
	}
	s.Env.Set(encrypt.VarIdentity, idFile, env.SourceStackEnv)
	seal, err := sealFor(s)
	if err != nil || seal == nil {
		t.Fatalf("sealFor: %v %v", seal, err)
	}
	x := &Import{Seal: seal}
	p := x.safetyPipeline()
	if p.Suffix() != ".tar.zst.age" {
		t.Errorf("the safety copy is a %s", p.Suffix())
	}
	var out bytes.Buffer
	counts, err := p.Write(bytes.NewReader(sample(t)), &out)
	if err != nil {
		t.Fatal(err)
	}
	if !encrypt.IsEncrypted(out.Bytes()) || bytes.Contains(out.Bytes(), []byte("ustar")) {
		t.Fatal("the safety copy is not encrypted")
	}
	sh := exec.Command("sh", "-c", `age -d -i "$1" | zstd -d | tar -t`, "sh", idFile)
	sh.Stdin = bytes.NewReader(out.Bytes())
	if listing, err := sh.CombinedOutput(); err != nil || !strings.Contains(string(listing), "link") {
		t.Errorf("age -d | zstd -d | tar -t: %v\n%s", err, listing)
	}
	// The undo reads it with the same pipeline (Import.restore unwraps
	// its layers in order).
	got, _, err := x.safetyPipeline().Verify(bytes.NewReader(out.Bytes()))
	if err != nil || got.Files != counts.Files || got.Bytes != counts.Bytes {
		t.Errorf("the undo reads back %+v (%v), wrote %+v", got, err, counts)
	}

	// Without recipients: plain zstd, as before.
	s.Env = env.New()
	if seal, err := sealFor(s); seal != nil || err != nil {
		t.Errorf("no recipients: %v %v", seal, err)
	}
	if p := (&Import{}).safetyPipeline(); p.Suffix() != ".tar.zst" {
		t.Errorf("an unencrypted stack's safety copy is a %s", p.Suffix())
	}
}

// TestCleanupRemovesRestoreDirs: vol:cleanup removes the restore folders
// a killed `--from restic` run left (also of a volume with no archive in
// the folder), under the volume's lock, and only kompose's: not another
// volume's, not a symlink (nor what it points to), not a name that is
// not one of ours.
func TestCleanupRemovesRestoreDirs(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "keep"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	mk := func(name string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, name), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "data_20260101_000000.tar.zst"), []byte("plain"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	mk(".restic-restore-data-123")
	mk(".restic-restore-db-x-456")
	mk(".restic-restore-data-abc")
	if err := os.Symlink(outside, filepath.Join(dir, ".restic-restore-data-789")); err != nil {
		t.Fatal(err)
	}
	c, err := NewCleanup(trust.Current(), dir, []string{"data"}, retention.Policy{Last: 1}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	dry := strings.Join(c.Describe(), "\n")
	if !strings.Contains(dry, "remove: .restic-restore-data-123") || strings.Contains(dry, "db-x") {
		t.Errorf("dry run:\n%s", dry)
	}
	var errb bytes.Buffer
	ex := &plan.ActionEnv{Stack: &plan.Stack{Policy: trust.Current()}}
	ex.Cmd.Stderr = &errb
	if err := c.Run(context.Background(), ex); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(dir, ".restic-restore-data-123")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the killed run's folder is still there: %v", err)
	}
	if !strings.Contains(errb.String(), "1 restore folder(s)") {
		t.Errorf("output: %s", errb.String())
	}
	for _, n := range []string{".restic-restore-db-x-456", ".restic-restore-data-abc", ".restic-restore-data-789"} {
		if _, err := os.Lstat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s was removed: %v", n, err)
		}
	}
	if _, err := os.Stat(filepath.Join(outside, "keep")); err != nil {
		t.Errorf("the symlink's target lost its file: %v", err)
	}
	// A run holding the volume's lock keeps its folder.
	mk(".restic-restore-data-321")
	l, err := lockTarget(context.Background(), trust.Current(), dir, Target{Name: "data", Kind: Volume}, 0, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	c, _ = NewCleanup(trust.Current(), dir, nil, retention.Policy{Last: 1}, time.Now())
	_ = c.Run(context.Background(), ex)
	if _, err := os.Lstat(filepath.Join(dir, ".restic-restore-data-321")); err != nil {
		t.Errorf("the folder of a run holding the lock was removed: %v", err)
	}
}

// TestFreePathSameSecond: a second export in the same second (a time
// with sub-second digits, as the clock gives) gets the next free name,
// not the name of the archive already there.
func TestFreePathSameSecond(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 12, 6, 6, 18, 48, 123456789, time.Local)
	first := filepath.Join(dir, FileName("data", at, 1, ".tar.zst"))
	if err := os.WriteFile(first, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := freePath(dir, "data", at.Add(time.Millisecond), ".tar.zst"); got != filepath.Join(dir, FileName("data", at, 2, ".tar.zst")) {
		t.Errorf("freePath gave %s, %s is taken", got, first)
	}
}
