package db

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/encrypt"
	"github.com/kompose-dev/kompose/pkg/offsite"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// testAge: with a real key pair (age-keygen), an export writes
// <name>.sql.zst.age, which the age tool decrypts to a complete dump;
// db:import of it (and of its restic snapshot) decrypts with the
// identity file and restores the data; half a dump never becomes an
// encrypted file; the snapshot holds the ciphertext.
func testAge(t *testing.T, e *pgEnv) {
	for _, p := range []string{"age", "age-keygen", "zstd", offsite.Program} {
		if _, err := exec.LookPath(p); err != nil {
			if os.Getenv("KOMPOSE_REQUIRE_ALL") == "1" {
				t.Fatalf("%s not installed (KOMPOSE_REQUIRE_ALL=1)", p)
			}
			t.Skip(p + " not installed")
		}
	}
	keys := t.TempDir()
	idPath := filepath.Join(keys, "key.txt")
	if out, err := exec.Command("age-keygen", "-o", idPath).CombinedOutput(); err != nil {
		t.Fatalf("age-keygen: %v\n%s", err, out)
	}
	pub, err := exec.Command("age-keygen", "-y", idPath).Output()
	if err != nil {
		t.Fatal(err)
	}
	rcPath := filepath.Join(keys, "recipients.txt")
	if err := os.WriteFile(rcPath, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := encrypt.Recipients(trust.Current(), rcPath)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := encrypt.Identities(trust.Current(), idPath)
	if err != nil {
		t.Fatal(err)
	}
	repoDir := filepath.Join(t.TempDir(), "repo")
	extra := []string{offsite.VarRepository + "=" + repoDir, "RESTIC_PASSWORD=k22-age-pw", "XDG_CACHE_HOME=" + t.TempDir()}
	init := exec.Command(offsite.Program, "init")
	init.Env = append(os.Environ(), extra...)
	if out, err := init.CombinedOutput(); err != nil {
		t.Fatalf("restic init: %v\n%s", err, out)
	}
	tags := offsite.Tags{Stack: "k22age", Kind: offsite.KindDB, Name: e.cfg.Name}
	newExport := func(f Format, at time.Time) *Export {
		x := NewExport(e.cfg, e.loc(), f, at)
		x.Encrypt = &Encryption{File: rcPath, Recipients: rs}
		x.Path = x.freePath(e.cfg.DumpDir)
		x.Offsite = &Offsite{Tags: tags, Repo: offsite.Repo{Timeout: time.Minute}}
		return x
	}
	x := newExport(Zstd, time.Date(2024, 7, 1, 3, 0, 0, 0, time.Local))
	if err, stderr := e.runWith(x, extra, nil); err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	if !strings.HasSuffix(x.Path, ".sql.zst.age") {
		t.Fatalf("path %s", x.Path)
	}
	local, err := os.ReadFile(x.Path)
	if err != nil {
		t.Fatal(err)
	}
	if !encrypt.IsEncrypted(local) {
		t.Fatal("not an age file")
	}
	// The age tool decrypts kompose's file to a complete dump.
	sql, err := exec.Command("sh", "-c", `age -d -i "$1" "$2" | zstd -dc`, "sh", idPath, x.Path).Output()
	if err != nil || !bytes.Contains(sql, []byte(completeMarker)) || !bytes.Contains(sql, []byte("COPY public.items")) {
		t.Fatalf("age -d | zstd -d: %v, %d bytes", err, len(sql))
	}
	// Listed as a dump, encrypted.
	dumps, _ := List(e.dir, e.cfg.Name)
	if len(dumps) != 1 || !dumps[0].Encrypted || dumps[0].Format != Zstd {
		t.Errorf("list: %+v", dumps)
	}
	// The snapshot is the ciphertext.
	repo := &offsite.Repo{Env: append(os.Environ(), extra...), Timeout: time.Minute}
	snap, err := repo.Find(context.Background(), tags, "")
	if err != nil {
		t.Fatal(err)
	}
	var back bytes.Buffer
	if err := repo.Dump(context.Background(), snap, &back); err != nil || !bytes.Equal(back.Bytes(), local) {
		t.Errorf("snapshot %s: %d bytes, %v", snap.File(), back.Len(), err)
	}
	// Import of the encrypted file, then of the snapshot.
	before := e.count()
	e.srv.MustPSQL(t, e.cfg.Name, "DELETE FROM items WHERE id > 10")
	imp := &DecryptImport{Cfg: e.cfg, Loc: e.loc(), File: x.Path, Identities: ids, Now: time.Now()}
	if err, stderr := e.runWith(imp, nil, nil); err != nil {
		t.Fatalf("import of the encrypted dump: %v\n%s", err, stderr)
	}
	if got := e.count(); got != before {
		t.Errorf("after import: %s, want %s", got, before)
	}
	e.srv.MustPSQL(t, e.cfg.Name, "DELETE FROM items WHERE id > 10")
	fr := &FromRestic{Cfg: e.cfg, Loc: e.loc(), Offsite: &Offsite{Tags: tags, Repo: offsite.Repo{Timeout: time.Minute}}, Identities: ids, Now: time.Now().Add(time.Second)}
	if err, stderr := e.runWith(fr, extra, nil); err != nil {
		t.Fatalf("import --from restic of the encrypted dump: %v\n%s", err, stderr)
	}
	if got := e.count(); got != before {
		t.Errorf("after import from restic: %s, want %s", got, before)
	}
	fr.Identities = nil
	if err, _ := e.runWith(fr, extra, nil); err == nil || !strings.Contains(err.Error(), "encrypted (age): set KOMPOSE_AGE_IDENTITY_FILE") {
		t.Errorf("without the identity: %v", err)
	}
	// Half a dump (pg_dump exits 0): no .age file, no snapshot.
	half := filepath.Join(t.TempDir(), "half.sql")
	if err := os.WriteFile(half, sql[:len(sql)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []Format{Zstd, Plain} {
		x = newExport(f, time.Date(2024, 7, 1, 4, 0, 0, 0, time.Local))
		err, stderr := e.runWith(x, extra, func(argv []string) []string {
			if argv[0] == "pg_dump" {
				return []string{"cat", half}
			}
			return argv
		})
		if err == nil || !strings.Contains(err.Error(), "not a complete dump (no \"-- PostgreSQL database dump complete\" line at its end)") {
			t.Errorf("%s, half a dump: %v\n%s", f, err, stderr)
		}
		if _, serr := os.Stat(x.Path); serr == nil {
			t.Errorf("%s, half a dump: %s written", f, x.Path)
		}
	}
	if snaps, _ := repo.Snapshots(context.Background(), tags); len(snaps) != 1 {
		t.Errorf("snapshots after the half dumps: %d", len(snaps))
	}
	// A custom archive: pg_restore reads it as it passes; the age tool
	// gives back the archive; cut short, it is refused.
	x = newExport(Custom, time.Date(2024, 7, 1, 5, 0, 0, 0, time.Local))
	if err, stderr := e.runWith(x, extra, nil); err != nil {
		t.Fatalf("custom export: %v\n%s", err, stderr)
	}
	archive, err := exec.Command("age", "-d", "-i", idPath, x.Path).Output()
	if err != nil || !bytes.HasPrefix(archive, []byte("PGDMP")) || !strings.HasSuffix(x.Path, ".dump.age") {
		t.Fatalf("age -d of %s: %v, %q", x.Path, err, archive[:min(len(archive), 8)])
	}
	halfArchive := filepath.Join(t.TempDir(), "half.dump")
	if err := os.WriteFile(halfArchive, archive[:len(archive)*2/3], 0o600); err != nil {
		t.Fatal(err)
	}
	x = newExport(Custom, time.Date(2024, 7, 1, 6, 0, 0, 0, time.Local))
	err, stderr := e.runWith(x, extra, func(argv []string) []string {
		if argv[0] == "pg_dump" {
			return []string{"cat", halfArchive}
		}
		return argv
	})
	if err == nil || !strings.Contains(err.Error(), "not a complete dump (pg_restore cannot read it all") {
		t.Errorf("custom, cut: %v\n%s", err, stderr)
	}
	if _, serr := os.Stat(x.Path); serr == nil {
		t.Errorf("custom, cut: %s written", x.Path)
	}
}
