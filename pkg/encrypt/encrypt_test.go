package encrypt

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kompose-dev/kompose/pkg/trust"
)

func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("KOMPOSE_REQUIRE_ALL") == "1" {
		t.Fatalf("%s (KOMPOSE_REQUIRE_ALL=1)", why)
	}
	t.Skip(why)
}

// keyPair makes a real key pair with age-keygen: the identity file and
// the recipients file.
func keyPair(t *testing.T, dir string) (identity, recipients string) {
	t.Helper()
	if _, err := exec.LookPath("age-keygen"); err != nil {
		skipOrFail(t, "age-keygen not installed (Debian package age)")
	}
	identity = filepath.Join(dir, "key.txt")
	if out, err := exec.Command("age-keygen", "-o", identity).CombinedOutput(); err != nil {
		t.Fatalf("age-keygen: %v\n%s", err, out)
	}
	pub, err := exec.Command("age-keygen", "-y", identity).Output()
	if err != nil {
		t.Fatal(err)
	}
	recipients = filepath.Join(dir, "recipients.txt")
	if err := os.WriteFile(recipients, append([]byte("# ops\n"), pub...), 0o644); err != nil {
		t.Fatal(err)
	}
	return identity, recipients
}

// TestRoundTripAndTheAgeTool: what Writer encrypts to a recipients file,
// Reader decrypts with the identity file, and so does the age command;
// a file cut short or with a byte changed is refused, never read short.
func TestRoundTripAndTheAgeTool(t *testing.T) {
	dir := t.TempDir()
	idPath, rcPath := keyPair(t, dir)
	pol := trust.Current()
	rs, err := Recipients(pol, rcPath)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 3<<20+17)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	var enc bytes.Buffer
	w, err := Writer(&enc, rs)
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(data); off += 100000 {
		if _, err := w.Write(data[off:min(off+100000, len(data))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !IsEncrypted(enc.Bytes()) || bytes.Contains(enc.Bytes(), data[:64]) {
		t.Fatal("not an age file, or the data shows through")
	}
	ids, err := Identities(pol, idPath)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Reader(bytes.NewReader(enc.Bytes()), ids)
	if err != nil {
		t.Fatal(err)
	}
	back, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(back, data) {
		t.Fatalf("round trip: %d bytes, %v", len(back), err)
	}
	// The age tool reads kompose's file.
	encPath := filepath.Join(dir, "d.sql.zst.age")
	if err := os.WriteFile(encPath, enc.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("age"); err != nil {
		skipOrFail(t, "age not installed")
	}
	out, err := exec.Command("age", "-d", "-i", idPath, encPath).Output()
	if err != nil || !bytes.Equal(out, data) {
		t.Fatalf("age -d: %d bytes, %v", len(out), err)
	}
	// And kompose reads the age tool's.
	toolEnc := filepath.Join(dir, "tool.age")
	cmd := exec.Command("age", "-R", rcPath, "-o", toolEnc)
	cmd.Stdin = bytes.NewReader(data[:1000])
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("age -R: %v\n%s", err, out)
	}
	f, _ := os.Open(toolEnc)
	defer f.Close()
	r, err = Reader(f, ids)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := io.ReadAll(r); err != nil || !bytes.Equal(back, data[:1000]) {
		t.Fatalf("the age tool's file: %v", err)
	}
	// Cut short, or changed: an error, never a short read.
	for _, bad := range [][]byte{enc.Bytes()[:enc.Len()-100], enc.Bytes()[:enc.Len()/2], flip(enc.Bytes(), enc.Len()/2)} {
		r, err := Reader(bytes.NewReader(bad), ids)
		if err == nil {
			_, err = io.ReadAll(r)
		}
		if err == nil {
			t.Errorf("a damaged file (%d bytes) decrypted without error", len(bad))
		}
	}
	// Another key cannot.
	other, _ := keyPair(t, t.TempDir())
	oids, err := Identities(pol, other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Reader(bytes.NewReader(enc.Bytes()), oids); err == nil || !strings.Contains(err.Error(), "none of the keys of KOMPOSE_AGE_IDENTITY_FILE can decrypt it") {
		t.Errorf("another key: %v", err)
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 1
	return c
}

// TestKeyFilesAreTrustChecked: an identity or recipients file others may
// write is refused, naming the file and the reason; a file that is not a
// key file is refused without quoting it.
func TestKeyFilesAreTrustChecked(t *testing.T) {
	dir := t.TempDir()
	idPath, rcPath := keyPair(t, dir)
	pol := trust.Current()
	for _, p := range []string{idPath, rcPath} {
		if err := os.Chmod(p, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Identities(pol, idPath); err == nil || !strings.Contains(err.Error(), "world-writable") || !strings.Contains(err.Error(), idPath) {
		t.Errorf("world-writable identity: %v", err)
	}
	if _, err := Recipients(pol, rcPath); err == nil || !strings.Contains(err.Error(), "world-writable") {
		t.Errorf("world-writable recipients: %v", err)
	}
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("AGE-SECRET-KEY-1NOTAKEYATALLbutsecretlookingQQQ\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Identities(pol, bad); err == nil || strings.Contains(err.Error(), "NOTAKEY") {
		t.Errorf("bad identity: %v", err)
	}
}

// TestIdentityFileMustBePrivate: an identity file readable by its group
// or others is refused (as ssh refuses such a private key), naming the
// file, its mode and the chmod to run, without quoting the key; 0600 and
// 0400 are read. A recipients file (public keys) may be 0644.
func TestIdentityFileMustBePrivate(t *testing.T) {
	dir := t.TempDir()
	idPath, rcPath := keyPair(t, dir)
	pol := trust.Current()
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644} {
		if err := os.Chmod(idPath, mode); err != nil {
			t.Fatal(err)
		}
		_, err := Identities(pol, idPath)
		if err == nil {
			t.Errorf("mode %04o: the identity file was read", mode)
			continue
		}
		msg := err.Error()
		for _, want := range []string{VarIdentity, idPath, "chmod 600 " + idPath, "readable by its group or others"} {
			if !strings.Contains(msg, want) {
				t.Errorf("mode %04o: %q does not say %q", mode, msg, want)
			}
		}
		if strings.Contains(msg, "AGE-SECRET-KEY") {
			t.Errorf("the key is in the message: %s", msg)
		}
	}
	for _, mode := range []os.FileMode{0o600, 0o400} {
		if err := os.Chmod(idPath, mode); err != nil {
			t.Fatal(err)
		}
		if _, err := Identities(pol, idPath); err != nil {
			t.Errorf("mode %04o: %v", mode, err)
		}
	}
	if _, err := Recipients(pol, rcPath); err != nil {
		t.Errorf("a 0644 recipients file: %v", err)
	}
}
