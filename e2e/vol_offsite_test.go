//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// resticSnap is what the tests read of `restic snapshots --json`.
type resticSnap struct {
	ShortID string   `json:"short_id"`
	Paths   []string `json:"paths"`
	Tags    []string `json:"tags"`
}

// TestVolumeOffsite: with a restic repository in the stack's .env,
// vol:export stores each archive as a snapshot tagged for its volume,
// byte for byte the local archive (--no-offsite: none); vol:list shows
// the snapshots; vol:import --from restic:ID restores one through the
// local archive's checks (a snapshot of a forged archive is refused,
// nothing changed); vol:cleanup thins the repository by the same rules,
// and no rule leaves it alone. The repository's password appears in no
// output.
func TestVolumeOffsite(t *testing.T) {
	restic := needProgram(t, "restic", "restic")
	e := newEnv(t)
	repoDir := filepath.Join(t.TempDir(), "repo")
	const pw = "k22b-restic-pw-Zq9"
	e.write("voff/compose.yaml", `name: {{project}}
services:
`+idleService("app", "hello", "    volumes: [data:/data]\n")+`volumes:
  data: {}
`)
	cache := t.TempDir()
	e.write("voff/.env", "RESTIC_REPOSITORY="+repoDir+"\nRESTIC_PASSWORD="+pw+"\nXDG_CACHE_HOME="+cache+"\n")
	resticEnv := append(os.Environ(), "RESTIC_REPOSITORY="+repoDir, "RESTIC_PASSWORD="+pw, "XDG_CACHE_HOME="+cache)
	var stdin []byte
	resticCmd := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(restic, args...)
		cmd.Env = resticEnv
		cmd.Stdin = bytes.NewReader(stdin)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("restic %s: %v", strings.Join(args, " "), err)
		}
		return string(out)
	}
	snapshots := func() []resticSnap {
		t.Helper()
		var s []resticSnap
		if err := json.Unmarshal([]byte(resticCmd("snapshots", "--json", "--tag", "kompose")), &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	noSecret := func(r result) {
		t.Helper()
		if strings.Contains(r.stdout+r.stderr, pw) {
			t.Errorf("the restic password is in kompose's output:\n%s", r)
		}
	}
	resticCmd("init")
	e.mustExit(e.kompose("voff", "up", "-d"), 0)
	app := e.container("voff", "app").ID
	e.docker("exec", "-i", app, "bash", "-s", "/data", "small").stdin(awkwardFiles).run()
	want := e.docker("exec", "-i", app, "bash", "-s", "/data").stdin(fingerprint).run()
	backups := filepath.Join(e.root, "voff", "backups")

	r := e.kompose("--dry-run", "voff", "vol:export")
	e.mustExit(r, 0)
	noSecret(r)
	if !strings.Contains(r.stdout, "offsite: restic backup --stdin into RESTIC_REPOSITORY") {
		t.Errorf("the dry run does not show the offsite step:\n%s", r)
	}

	r = e.kompose("voff", "vol:export")
	e.mustExit(r, 0)
	noSecret(r)
	if !strings.Contains(r.stderr, "stored offsite: restic snapshot ") {
		t.Errorf("no snapshot said:\n%s", r)
	}
	snaps := snapshots()
	if len(snaps) != 1 {
		t.Fatalf("want 1 snapshot, have %+v", snaps)
	}
	first := snaps[0]
	local := archives(t, backups)
	if len(local) != 1 || first.Paths[0] != "/"+local[0] {
		t.Errorf("snapshot %v, local archives %v", first.Paths, local)
	}
	wantTags := "kompose stack=voff kind=volume name=data"
	if strings.Join(first.Tags, " ") != wantTags {
		t.Errorf("tags %v, want %s", first.Tags, wantTags)
	}
	stored := resticCmd("dump", first.ShortID, first.Paths[0])
	if b, _ := os.ReadFile(filepath.Join(backups, local[0])); stored != string(b) {
		t.Errorf("the snapshot (%d bytes) is not the local archive (%d bytes)", len(stored), len(b))
	}

	// --no-offsite, also through backup: no new snapshot.
	e.mustExit(e.kompose("voff", "vol:export", "--no-offsite"), 0)
	e.mustExit(e.kompose("voff", "backup", "--no-offsite"), 0)
	if n := len(snapshots()); n != 1 {
		t.Errorf("--no-offsite stored a snapshot: %d", n)
	}
	r = e.kompose("voff", "backup")
	e.mustExit(r, 0)
	if n := len(snapshots()); n != 2 {
		t.Errorf("backup stored %d snapshots in all, want 2:\n%s", n, r)
	}

	r = e.kompose("voff", "vol:list")
	e.mustExit(r, 0)
	noSecret(r)
	if !strings.Contains(r.stdout, "2 snapshot(s) of data in the restic repository") || !strings.Contains(r.stdout, first.ShortID+"  "+local[0]) {
		t.Errorf("vol:list does not show the snapshots:\n%s", r)
	}

	r = e.kompose("--json", "voff", "vol:list")
	e.mustExit(r, 0)
	noSecret(r)
	var doc struct {
		Kind   string `json:"kind"`
		Stacks []struct {
			Volumes []struct {
				Volume   string `json:"volume"`
				Archives []struct {
					File  string `json:"file"`
					Files *int64 `json:"files"`
				} `json:"archives"`
				Snapshots []struct {
					ID   string `json:"id"`
					File string `json:"file"`
				} `json:"snapshots"`
			} `json:"volumes"`
		} `json:"stacks"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.Kind != "vol-list" || len(doc.Stacks) != 1 || len(doc.Stacks[0].Volumes) != 1 {
		t.Fatalf("vol:list --json: %v\n%s", err, r)
	}
	v := doc.Stacks[0].Volumes[0]
	if v.Volume != "data" || len(v.Archives) != 4 || v.Archives[0].Files == nil || len(v.Snapshots) != 2 || v.Snapshots[1].ID != first.ShortID || v.Snapshots[1].File != local[0] {
		t.Errorf("vol:list --json: %+v\n%s", v, r.stdout)
	}

	// vol:verify: the newest archive of each volume, read in full and
	// compared with its manifest; a damaged copy fails; a snapshot too.
	r = e.kompose("voff", "vol:verify")
	e.mustExit(r, 0)
	if !strings.Contains(r.stderr, "reads whole and matches its manifest") {
		t.Errorf("vol:verify:\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(backups, ".data.kompose.verified")); err != nil {
		t.Errorf("vol:verify recorded nothing: %v", err)
	}
	r = e.kompose("--json", "voff", "status")
	var st struct {
		Stacks []struct {
			Volumes []struct {
				Volume       string `json:"volume"`
				LastVerified *struct {
					Time string `json:"time"`
				} `json:"last_verified"`
			} `json:"volumes"`
		} `json:"stacks"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || len(st.Stacks) != 1 || len(st.Stacks[0].Volumes) != 1 || st.Stacks[0].Volumes[0].LastVerified == nil {
		t.Errorf("status --json shows no last_verified of the volume: %v\n%s", err, r)
	}
	if r := e.kompose("voff", "status"); !strings.Contains(r.stdout, ", verified ") {
		t.Errorf("status shows no verification:\n%s", r)
	}

	// verify: db:verify (no database here: skipped), then vol:verify;
	// one step.
	r = e.kompose("--dry-run", "voff", "verify")
	e.mustExit(r, 0)
	if !strings.Contains(r.stdout, "db:verify skipped: ") || !strings.Contains(r.stdout, "vol:verify:") {
		t.Errorf("verify's dry run:\n%s", r)
	}
	r = e.kompose("voff", "verify")
	e.mustExit(r, 0)
	if !strings.Contains(r.stderr, "reads whole and matches its manifest") {
		t.Errorf("verify:\n%s", r)
	}
	damaged := filepath.Join(backups, "data_20990101_000000.tar.zst")
	b0, _ := os.ReadFile(filepath.Join(backups, local[0]))
	b0[len(b0)/2] ^= 0xff
	m0, _ := os.ReadFile(filepath.Join(backups, local[0]+".manifest.json"))
	if os.WriteFile(damaged, b0, 0o600) != nil || os.WriteFile(damaged+".manifest.json", m0, 0o600) != nil {
		t.Fatal("write the damaged copy")
	}
	r = e.kompose("voff", "vol:verify", filepath.Base(damaged))
	e.mustExit(r, 1)
	if !strings.Contains(r.stderr, "verification failed") {
		t.Errorf("a damaged archive passed vol:verify:\n%s", r)
	}
	os.Remove(damaged)
	os.Remove(damaged + ".manifest.json")
	r = e.kompose("voff", "vol:verify", "--from", "restic:"+first.ShortID)
	e.mustExit(r, 0)
	noSecret(r)
	if !strings.Contains(r.stderr, "verified restic snapshot of "+local[0]+": reads whole and matches its manifest") {
		t.Errorf("vol:verify --from restic:\n%s", r)
	}

	// A forged snapshot, tagged for the volume and named like its
	// archive, is refused by the archive's own checks.
	forged := filepath.Join(t.TempDir(), "data_20200101_000000.tar.zst")
	writeTarZst(t, forged)
	b, _ := os.ReadFile(forged)
	stdin = b[:len(b)/2]
	resticCmd("backup", "--stdin", "--stdin-filename", "data_20200101_000000.tar.zst", "--tag", "kompose", "--tag", "stack=voff", "--tag", "kind=volume", "--tag", "name=data")
	stdin = nil
	e.docker("exec", app, "bash", "-c", "echo new > /data/new.txt; rm /data/sub/private").run()
	changed := e.docker("exec", "-i", app, "bash", "-s", "/data").stdin(fingerprint).run()
	r = e.kompose("voff", "vol:import", "--from", "restic")
	e.mustExit(r, 1)
	noSecret(r)
	if !strings.Contains(r.stderr, "is not whole") || !strings.Contains(r.stderr, "nothing was changed") {
		t.Errorf("a cut snapshot was not refused:\n%s", r)
	}
	if got := e.docker("exec", "-i", app, "bash", "-s", "/data").stdin(fingerprint).run(); got != changed {
		t.Errorf("a refused snapshot changed the volume:\n%s", diffLines(changed, got))
	}

	// The local archives gone (the server lost), the first snapshot
	// restores the volume as it was.
	for _, a := range archives(t, backups) {
		_ = os.Remove(filepath.Join(backups, a))
		_ = os.Remove(filepath.Join(backups, a+".manifest.json"))
	}
	r = e.kompose("--dry-run", "voff", "vol:import", "--from", "restic:"+first.ShortID)
	e.mustExit(r, 0)
	if !strings.Contains(r.stdout, "reads:   snapshot "+first.ShortID+" of volume data in the restic repository") {
		t.Errorf("dry run:\n%s", r)
	}
	r = e.kompose("voff", "vol:import", "--from", "restic:"+first.ShortID)
	e.mustExit(r, 0)
	noSecret(r)
	if !strings.Contains(r.stderr, "read restic snapshot "+first.ShortID) {
		t.Errorf("vol:import --from restic:\n%s", r)
	}
	got := e.docker("exec", "-i", app, "bash", "-s", "/data").stdin(fingerprint).run()
	if withoutTopTime(got) != withoutTopTime(want) {
		t.Errorf("after vol:import --from restic the volume differs:\n%s", diffLines(withoutTopTime(want), withoutTopTime(got)))
	}
	if left, _ := filepath.Glob(filepath.Join(backups, ".restic-restore-*")); len(left) > 0 {
		t.Errorf("the read-back folder is left: %v", left)
	}

	// vol:cleanup without a rule leaves the repository alone; with one,
	// thins it per volume.
	r = e.kompose("voff", "vol:cleanup")
	e.mustExit(r, 0)
	if n := len(snapshots()); n != 3 || !strings.Contains(r.stderr, "not thinned") {
		t.Errorf("vol:cleanup without a rule: %d snapshots\n%s", n, r)
	}
	r = e.kompose("voff", "vol:cleanup", "--keep-last", "1", "--prune")
	e.mustExit(r, 0)
	noSecret(r)
	if s := snapshots(); len(s) != 1 || !strings.Contains(r.stderr, "restic forget removed 2 snapshot(s) (--keep-last 1), unused data pruned") {
		t.Errorf("vol:cleanup --keep-last 1: %+v\n%s", s, r)
	}

	testVolumeAge(t, e, app, snapshots, resticCmd)
}

// testVolumeAge: with KOMPOSE_AGE_RECIPIENTS_FILE, vol:export writes a
// .tar.zst.age that `age -d | zstd -d` turns into the volume's tar, and
// its snapshot is the same ciphertext; vol:import of it needs
// KOMPOSE_AGE_IDENTITY_FILE (refused without, nothing changed) and
// restores the volume, from the file and from restic.
func testVolumeAge(t *testing.T, e *env, app string, snapshots func() []resticSnap, resticCmd func(...string) string) {
	needProgram(t, "age-keygen", "age")
	keys := filepath.Join(e.root, "keys")
	if err := os.MkdirAll(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	id := filepath.Join(keys, "key.txt")
	if out, err := exec.Command("age-keygen", "-o", id).CombinedOutput(); err != nil {
		t.Fatalf("age-keygen: %v\n%s", err, out)
	}
	pub, err := exec.Command("age-keygen", "-y", id).Output()
	if err != nil {
		t.Fatal(err)
	}
	rc := filepath.Join(keys, "recipients.txt")
	if err := os.WriteFile(rc, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	envFile := filepath.Join(e.root, "voff", ".env")
	old, _ := os.ReadFile(envFile)
	if err := os.WriteFile(envFile, append(old, []byte("KOMPOSE_AGE_RECIPIENTS_FILE="+rc+"\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	backups := filepath.Join(e.root, "voff", "backups")
	e.docker("exec", app, "bash", "-c", "echo sealed > /data/sealed.txt").run()
	want := e.docker("exec", "-i", app, "bash", "-s", "/data").stdin(fingerprint).run()

	r := e.kompose("--dry-run", "voff", "vol:export")
	e.mustExit(r, 0)
	if !strings.Contains(r.stdout, ".tar.zst.age") || !strings.Contains(r.stdout, "encrypt: age, to the 1 recipient(s) of KOMPOSE_AGE_RECIPIENTS_FILE") {
		t.Errorf("dry run:\n%s", r)
	}
	before := archives(t, backups)
	r = e.kompose("voff", "vol:export")
	e.mustExit(r, 0)
	a := newest(t, backups, "data", before)
	if !strings.HasSuffix(a, ".tar.zst.age") {
		t.Fatalf("the archive is %s", a)
	}
	sh := exec.Command("sh", "-c", `age -d -i "$1" "$2" | zstd -d | tar -t | grep -c .`, "sh", id, a)
	if out, err := sh.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) == "0" {
		t.Errorf("age -d | zstd -d | tar -t: %v\n%s", err, out)
	}
	snaps := snapshots()
	last := snaps[len(snaps)-1]
	for _, s := range snaps {
		if s.Paths[0] == "/"+filepath.Base(a) {
			last = s
		}
	}
	if b, _ := os.ReadFile(a); resticCmd("dump", last.ShortID, "/"+filepath.Base(a)) != string(b) {
		t.Errorf("snapshot %s is not the age file %s", last.ShortID, a)
	}

	e.docker("exec", app, "bash", "-c", "rm /data/sealed.txt; echo changed > /data/changed.txt").run()
	changed := e.docker("exec", "-i", app, "bash", "-s", "/data").stdin(fingerprint).run()
	r = e.kompose("voff", "vol:import", filepath.Base(a))
	e.mustExit(r, 1)
	if !strings.Contains(r.stderr, "KOMPOSE_AGE_IDENTITY_FILE") {
		t.Errorf("an encrypted archive without the identity:\n%s", r)
	}
	if got := e.docker("exec", "-i", app, "bash", "-s", "/data").stdin(fingerprint).run(); got != changed {
		t.Errorf("a refused import changed the volume")
	}
	withID := opts{env: []string{"KOMPOSE_AGE_IDENTITY_FILE=" + id}}
	r = e.kompose("voff", "vol:verify", filepath.Base(a))
	e.mustExit(r, 1)
	if !strings.Contains(r.stderr, "KOMPOSE_AGE_IDENTITY_FILE") {
		t.Errorf("vol:verify of an encrypted archive without the identity:\n%s", r)
	}
	r = e.komposeWith(withID, "voff", "vol:verify", filepath.Base(a))
	e.mustExit(r, 0)
	if !strings.Contains(r.stderr, "reads whole and matches its manifest") {
		t.Errorf("vol:verify of the age archive:\n%s", r)
	}
	for _, how := range [][]string{{filepath.Base(a)}, {"--from", "restic:" + last.ShortID}} {
		e.docker("exec", app, "bash", "-c", "echo again > /data/changed.txt").run()
		before := archives(t, backups)
		r = e.komposeWith(withID, append([]string{"voff", "vol:import"}, how...)...)
		e.mustExit(r, 0)
		// The safety copy is encrypted like every archive of the stack.
		if sc := newest(t, backups, "data", before); !strings.HasSuffix(sc, ".tar.zst.age") {
			t.Errorf("vol:import %v wrote the safety copy %s in plain text", how, sc)
		} else if out, err := exec.Command("sh", "-c", `age -d -i "$1" "$2" | zstd -d | tar -t | grep -c changed.txt`, "sh", id, sc).CombinedOutput(); err != nil {
			t.Errorf("the safety copy %s does not decrypt to the old contents: %v\n%s", sc, err, out)
		}
		if strings.Contains(r.stdout+r.stderr, "AGE-SECRET-KEY") {
			t.Errorf("the private key is in the output:\n%s", r)
		}
		got := e.docker("exec", "-i", app, "bash", "-s", "/data").stdin(fingerprint).run()
		if withoutTopTime(got) != withoutTopTime(want) {
			t.Errorf("vol:import %v of the age archive:\n%s", how, diffLines(withoutTopTime(want), withoutTopTime(got)))
		}
	}
}
