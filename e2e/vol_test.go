//go:build e2e

package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// awkwardFiles fills the folder $1 (inside a container, as root) with
// what a backup must keep: modes (setuid, sticky, 0600), owners that exist
// nowhere, symlinks (relative, absolute, dangling), hard links, a sparse
// file, a 255-byte name, a file over 100 MB when $2 is "big", fixed
// times, and a folder x-kompose.backup.exclude leaves out ("skip").
const awkwardFiles = `set -e
d=$1; cd "$d"
mkdir -p sub/deeper skip/inner sticky
echo secret > sub/private; chmod 600 sub/private; chown 1234:5678 sub/private
printf '#!/bin/sh\necho hi\n' > sub/setuid; chmod 4755 sub/setuid
chmod 1777 sticky; chown 4321:4321 sticky
echo linked > sub/deeper/orig; ln sub/deeper/orig hard1; ln sub/deeper/orig sub/hard2
ln -s deeper/orig sub/rel-link; ln -s /etc/hostname abs-link; ln -s nowhere dangling
long=$(printf 'n%.0s' $(seq 1 251)).txt; echo long > "$long"
dd if=/dev/urandom of=sparse bs=4096 count=1 seek=25600 status=none; truncate -s 200M sparse
echo drop > skip/inner/x; echo drop > skip/y
printf 'spaces and\ttab' > 'a name with spaces'
if [ "$2" = big ]; then head -c 110000000 /dev/urandom > big.bin; fi
touch -h -d '2021-02-03 04:05:06' sub/private dangling hard1
`

// fingerprint lists every path of the folder $1 with type, mode, owner,
// size, mtime (seconds), link target, the names sharing its inode and the
// sha256 of regular files: equal outputs, equal trees.
const fingerprint = `set -e
cd "$1"
find . -printf '%i %p %y %m %U:%G %s %TY-%Tm-%Td_%TH:%TM:%.2TS %l\n' | sort -k2 > /tmp/k21-list
awk '{print $1}' /tmp/k21-list | sort | uniq -d > /tmp/k21-dups || true
while read -r ino p rest; do
  links=""
  if grep -qx "$ino" /tmp/k21-dups; then links="links:$(awk -v i="$ino" '$1==i {print $2}' /tmp/k21-list | tr '\n' ',')"; fi
  sum=""; if [ -f "$p" ] && [ ! -L "$p" ]; then sum=$(sha256sum "$p" | cut -c1-64); fi
  echo "$p $rest $links $sum"
done < /tmp/k21-list
`

// TestVolumeExport archives a named volume and a bind mount full of
// awkward files with the real engine: from the running container, from
// the stopped one, and, once the stack is down, through a container
// created (never started) from the stack's image; each archive, unpacked
// by GNU tar into a fresh volume, is the same tree byte for byte, minus
// what x-kompose.backup.exclude leaves out. A kompose interrupted or
// killed mid-archive leaves nothing named like an archive.
func TestVolumeExport(t *testing.T) {
	e := newEnv(t)
	e.write("vol/compose.yaml", `name: {{project}}
services:
`+idleService("app", "hello", "    volumes: [data:/data, ./files:/files, ./app.conf:/etc/app.conf]\n")+`volumes:
  data: {}
x-kompose:
  backup:
    exclude: [skip]
`)
	e.write("vol/app.conf", "a file of the stack, not a volume\n")
	if err := os.MkdirAll(filepath.Join(e.root, "vol", "files"), 0o755); err != nil {
		t.Fatal(err)
	}
	e.mustExit(e.kompose("vol", "up", "-d"), 0)
	app := e.container("vol", "app").ID
	e.docker("exec", "-i", app, "bash", "-s", "/data", "big").stdin(awkwardFiles).run()
	e.docker("exec", "-i", app, "bash", "-s", "/files", "small").stdin(awkwardFiles).run()
	want := map[string]string{}
	for _, dir := range []string{"/data", "/files"} {
		want[dir] = withoutSkip(e.docker("exec", "-i", app, "bash", "-s", dir).stdin(fingerprint).run())
	}
	backups := filepath.Join(e.root, "vol", "backups")

	// The dry run names the archives and changes nothing.
	r := e.kompose("--dry-run", "vol", "vol:export")
	e.mustExit(r, 0)
	for _, s := range []string{"archive: volume data (" + e.project("vol") + "_data) -> " + backups + "/data_", "archive: bind files -> " + backups + "/files_", "exclude: skip"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("dry run misses %q:\n%s", s, r)
		}
	}
	if _, err := os.Stat(backups); err == nil {
		t.Errorf("the dry run created %s", backups)
	}

	roundTrip := func(how string) {
		t.Helper()
		before := archives(t, backups)
		r := e.kompose("vol", "vol:export")
		e.mustExit(r, 0)
		if !strings.Contains(r.stderr, how) {
			t.Errorf("want the archives read from %q:\n%s", how, r)
		}
		for _, name := range []string{"data", "files"} {
			a := newest(t, backups, name, before)
			var m struct {
				Volume string `json:"volume"`
				Counts struct {
					Files, Bytes, Excluded int64
				} `json:"contents"`
				SHA string `json:"archive_sha256"`
			}
			b, err := os.ReadFile(a + ".manifest.json")
			if err != nil || json.Unmarshal(b, &m) != nil || m.Volume != name || m.Counts.Excluded != 4 || m.SHA == "" {
				t.Errorf("manifest of %s: %v %s", a, err, b)
			}
			if name == "data" && m.Counts.Bytes < 110000000 {
				t.Errorf("the data archive holds %d bytes of files, want the 110 MB file and more", m.Counts.Bytes)
			}
			got := withoutSkip(e.unpack(a))
			dir := map[string]string{"data": "/data", "files": "/files"}[name]
			if got != want[dir] {
				t.Errorf("%s (%s) unpacked differs from %s:\n%s", filepath.Base(a), how, dir, diffLines(want[dir], got))
			}
		}
		if left := partials(t, backups); len(left) > 0 {
			t.Errorf("temporary files left: %v", left)
		}
	}
	t.Logf("fingerprint of /files:\n%s", want["/files"])
	roundTrip("from container " + e.project("vol") + "-app-1 (running)")
	e.mustExit(e.kompose("vol", "stop"), 0)
	roundTrip("from container " + e.project("vol") + "-app-1 (stopped)")
	e.mustExit(e.kompose("vol", "down"), 0)
	roundTrip("from a container created (not started) from image " + debianImage)
	if h := e.docker("ps", "-a", "-q", "--filter", "label=com.kompose.vol-helper="+e.project("vol")).run(); strings.TrimSpace(h) != "" {
		t.Errorf("helper containers left: %s", h)
	}

	// Interrupted (SIGTERM) and killed (SIGKILL) mid-archive: nothing
	// named like an archive appears; a killed run's hidden .partial and
	// helper container are all it leaves, and the next run removes the
	// helper.
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		before := archives(t, backups)
		cmd := exec.Command(the.kompose, "--root", e.root, "vol", "vol:export", "data")
		cmd.Env = append(hermetic(os.Environ()), "NO_COLOR=1")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := the.procs.start(cmd); err != nil {
			t.Fatal(err)
		}
		e.eventually(30*time.Second, func() (bool, string) { return len(partials(t, backups)) > 0, "no .partial file yet" })
		if sig == syscall.SIGKILL {
			_ = syscall.Kill(-cmd.Process.Pid, sig)
		} else {
			_ = cmd.Process.Signal(sig)
		}
		err := the.procs.wait(cmd)
		if err == nil {
			t.Errorf("%v: kompose exited 0:\n%s", sig, out.String())
		}
		if after := archives(t, backups); len(after) != len(before) {
			t.Errorf("%v mid-archive: archives %v, were %v", sig, after, before)
		}
		if sig == syscall.SIGTERM {
			if left := partials(t, backups); len(left) > 0 {
				t.Errorf("SIGTERM left %v:\n%s", left, out.String())
			}
			if h := e.docker("ps", "-a", "-q", "--filter", "label=com.kompose.vol-helper="+e.project("vol")).run(); strings.TrimSpace(h) != "" {
				t.Errorf("SIGTERM left helper containers: %s", h)
			}
		}
	}
	e.mustExit(e.kompose("vol", "vol:export", "files"), 0)
	if h := e.docker("ps", "-a", "-q", "--filter", "label=com.kompose.vol-helper="+e.project("vol")).run(); strings.TrimSpace(h) != "" {
		t.Errorf("the killed run's helper container is still there: %s", h)
	}
	for _, p := range partials(t, backups) {
		_ = os.Remove(filepath.Join(backups, p))
	}

	// Usage errors name the volume and what exists.
	r = e.kompose("vol", "vol:export", "nosuch")
	e.mustExit(r, 2)
	if !strings.Contains(r.stderr, `no volume or bind mount "nosuch" in the stack (it has: data, files)`) {
		t.Errorf("unknown volume:\n%s", r)
	}

	e.volumeImport(backups, want["/data"])
}

// volumeImport restores an archive of TestVolumeExport into the data
// volume the running app uses: the current contents are archived first
// (a safety copy vol:list shows), app is stopped and started again, and
// the volume then holds exactly the archive. An archive of another
// volume is refused; a restore that fails half-way (a hard link to a
// file the archive lacks) puts the old contents back.
func (e *env) volumeImport(backups, want string) {
	t := e.t
	e.mustExit(e.kompose("vol", "up", "-d"), 0)
	app := e.container("vol", "app").ID
	e.docker("exec", app, "bash", "-c", "echo new > /data/new.txt; rm /data/sub/private").run()
	changed := withoutSkip(e.docker("exec", "-i", app, "bash", "-s", "/data").stdin(fingerprint).run())
	var first, files string
	for _, a := range archives(t, backups) {
		if strings.HasPrefix(a, "data_") && first == "" {
			first = a
		}
		if strings.HasPrefix(a, "files_") {
			files = a
		}
	}
	started := e.docker("inspect", "--format", "{{.State.StartedAt}}", app).run()

	r := e.kompose("vol", "vol:import", files, "--volume", "data")
	e.mustExit(r, 1)
	if !strings.Contains(r.stderr, "was made for stack vol, bind files; this is stack vol, volume data: --force restores it anyway") {
		t.Errorf("an archive of another volume was not refused:\n%s", r)
	}

	before := archives(t, backups)
	r = e.kompose("vol", "vol:import", first)
	e.mustExit(r, 0)
	safety := newest(t, backups, "data", before)
	if b, _ := os.ReadFile(safety + ".manifest.json"); !strings.Contains(string(b), `"note": "safety copy before vol:import of `+first) {
		t.Errorf("safety copy %s: manifest %s", safety, b)
	}
	if r := e.kompose("vol", "vol:list"); !strings.Contains(r.stdout, filepath.Base(safety)) {
		t.Errorf("vol:list does not show the safety copy:\n%s", r)
	}
	if now := e.docker("inspect", "--format", "{{.State.Running}} {{.State.StartedAt}}", app).run(); !strings.HasPrefix(now, "true ") || strings.HasSuffix(now, started) {
		t.Errorf("app was not stopped and started again: %q, started before %q\n%s", now, started, r)
	}
	// docker cp leaves the time of the volume's top folder as the
	// restore made it (docs/volumes.md): compared without it.
	want = withoutTopTime(want)
	got := e.docker("exec", "-i", app, "bash", "-s", "/data").stdin(fingerprint).run()
	if strings.Contains(got, "./skip") || withoutTopTime(withoutSkip(got)) != want {
		t.Errorf("after vol:import the volume differs from the archive:\n%s", diffLines(want, withoutTopTime(withoutSkip(got))))
	}
	if withoutSkip(e.unpack(safety)) != changed {
		t.Errorf("the safety copy is not the contents before the import")
	}

	// A restore that fails half-way puts the old contents back.
	bad := filepath.Join(backups, "data_20200101_000000.tar.zst")
	writeTarZst(t, bad)
	r = e.kompose("vol", "vol:import", filepath.Base(bad))
	e.mustExit(r, 1)
	if !strings.Contains(r.stderr, "has no manifest") {
		t.Errorf("an archive without a manifest was not refused:\n%s", r)
	}
	r = e.kompose("vol", "vol:import", filepath.Base(bad), "--force")
	e.mustExit(r, 1)
	if !strings.Contains(r.stderr, "the old contents were put back") {
		t.Errorf("want the failed restore undone:\n%s", r)
	}
	got = withoutTopTime(withoutSkip(e.docker("exec", "-i", app, "bash", "-s", "/data").stdin(fingerprint).run()))
	if got != want {
		t.Errorf("after a failed vol:import the volume lost its contents:\n%s", diffLines(want, got))
	}
}

// withoutTopTime drops the modification time of the top folder's line.
func withoutTopTime(fp string) string {
	lines := strings.Split(fp, "\n")
	for i, l := range lines {
		if f := strings.Fields(l); len(f) > 5 && f[0] == "." {
			lines[i] = strings.Join(append(f[:5:5], f[6:]...), " ")
		}
	}
	return strings.Join(lines, "\n")
}

// writeTarZst writes a tar.zst whose second entry is a hard link to a
// file it does not hold: extracting it fails after the first file.
func writeTarZst(t *testing.T, path string) {
	t.Helper()
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	_ = tw.WriteHeader(&tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755})
	_ = tw.WriteHeader(&tar.Header{Name: "./first", Typeflag: tar.TypeReg, Mode: 0o644, Size: 2})
	_, _ = tw.Write([]byte("1\n"))
	_ = tw.WriteHeader(&tar.Header{Name: "./link", Typeflag: tar.TypeLink, Linkname: "./missing"})
	_ = tw.Close()
	cmd := exec.Command("zstd", "-q", "-o", path)
	cmd.Stdin = &raw
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("zstd: %v: %s", err, out)
	}
}

// withoutSkip drops the excluded folder's lines from a fingerprint, and
// its entry from the root's link count.
func withoutSkip(fp string) string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(fp), "\n") {
		if strings.HasPrefix(l, "./skip") {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// unpack extracts an archive with GNU tar (owners, modes, times) into a
// fresh volume and returns its fingerprint.
func (e *env) unpack(archive string) string {
	e.t.Helper()
	vol := e.project("vol") + "_unpack"
	e.docker("volume", "create", "--label", "com.docker.compose.project="+e.project("vol"), vol).run()
	defer e.docker("volume", "rm", "-f", vol).run()
	f, err := os.Open(archive)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(e.ctx, 2*time.Minute)
	defer cancel()
	zstd := exec.CommandContext(ctx, "zstd", "-dc")
	zstd.Stdin = f
	pipe, err := zstd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := zstd.Start(); err != nil {
		e.t.Fatal(err)
	}
	tar := exec.CommandContext(ctx, "docker", "run", "--rm", "-i", "--network", "none", "-v", vol+":/r", debianImage,
		"tar", "-x", "-p", "--numeric-owner", "-C", "/r")
	tar.Stdin = pipe
	if out, err := tar.CombinedOutput(); err != nil {
		e.t.Fatalf("unpack %s: %v: %s", archive, err, out)
	}
	if err := zstd.Wait(); err != nil {
		e.t.Fatalf("zstd -dc %s: %v", archive, err)
	}
	return e.docker("run", "--rm", "-i", "--network", "none", "-v", vol+":/r", debianImage, "bash", "-s", "/r").stdin(fingerprint).run()
}

var archiveName = regexp.MustCompile(`^[a-z]+_[0-9]{8}_[0-9]{6}(_[0-9]+)?\.tar\.zst(\.age)?$`)

// archives lists the files named like archives in dir.
func archives(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if archiveName.MatchString(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

// partials lists the temporary files of exports in dir.
func partials(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".partial") {
			out = append(out, e.Name())
		}
	}
	return out
}

// newest returns the archive of name in dir that is not in before.
func newest(t *testing.T, dir, name string, before []string) string {
	t.Helper()
	old := map[string]bool{}
	for _, b := range before {
		old[b] = true
	}
	var found []string
	for _, a := range archives(t, dir) {
		if strings.HasPrefix(a, name+"_") && !old[a] {
			found = append(found, a)
		}
	}
	sort.Strings(found)
	if len(found) != 1 {
		t.Fatalf("want one new archive of %s in %s, got %v", name, dir, found)
	}
	return filepath.Join(dir, found[0])
}

// diffLines shows the lines only one side has.
func diffLines(want, got string) string {
	w := map[string]bool{}
	for _, l := range strings.Split(want, "\n") {
		w[l] = true
	}
	g := map[string]bool{}
	var b strings.Builder
	for _, l := range strings.Split(got, "\n") {
		g[l] = true
		if !w[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	return b.String()
}

// dockerCmd is a docker CLI run of a test.
type dockerCmd struct {
	e    *env
	args []string
	in   string
}

func (e *env) docker(args ...string) *dockerCmd { return &dockerCmd{e: e, args: args} }

func (d *dockerCmd) stdin(s string) *dockerCmd { d.in = s; return d }

// run runs docker and returns its output; a failure fails the test.
func (d *dockerCmd) run() string {
	d.e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", d.args...)
	cmd.Stdin = strings.NewReader(d.in)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		d.e.t.Fatalf("docker %s: %v: %s", strings.Join(d.args, " "), err, errb.String())
	}
	return out.String()
}

// TestBackupStopsAndRestarts: backup dumps the database and archives the
// volumes, but not the database's own data volume unless named; the
// services of x-kompose.backup.stop are stopped for the archive and only
// those that were running start again — also when kompose is interrupted
// mid-archive.
func TestBackupStopsAndRestarts(t *testing.T) {
	e := newEnv(t)
	e.write("bk/compose.yaml", `name: {{project}}
services:
`+pgService("db", "pgdata")+idleService("app", "app", "    volumes: [files:/files]\n")+idleService("idle", "idle", "")+`volumes:
  pgdata: {}
  files: {}
x-kompose:
  backup:
    stop: [app, idle]
`)
	e.write("bk/.env", "DB_NAME=bk\nDB_USER=kompose\nDB_PASSWORD=k21-backup-secret-value\n")
	e.mustExit(e.kompose("bk", "up", "-d", "--wait"), 0)
	e.mustExit(e.kompose("bk", "stop", "idle"), 0)
	app := e.container("bk", "app").ID
	e.docker("exec", app, "bash", "-c", "head -c 110000000 /dev/urandom > /files/big.bin").run()
	started := func() string {
		return strings.TrimSpace(e.docker("inspect", "--format", "{{.State.Running}} {{.State.StartedAt}}", app).run())
	}
	before := started()
	backups := filepath.Join(e.root, "bk", "backups")

	r := e.kompose("--dry-run", "bk", "backup")
	e.mustExit(r, 0)
	for _, s := range []string{"db:export:", "vol:export:", "volume pgdata skipped: it holds the live files of the database db:export dumps (service db)", "stop:    app, idle (compose stop)"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("dry run misses %q:\n%s", s, r)
		}
	}
	if strings.Contains(r.stdout+r.stderr, "k21-backup-secret-value") {
		t.Errorf("the password is in the output:\n%s", r)
	}

	r = e.kompose("bk", "backup")
	e.mustExit(r, 0)
	if dumps, _ := filepath.Glob(filepath.Join(e.root, "bk", "bk_*.sql")); len(dumps) != 1 {
		t.Errorf("want one dump, got %v\n%s", dumps, r)
	}
	if got := archives(t, backups); len(got) != 1 || !strings.HasPrefix(got[0], "files_") {
		t.Errorf("want one archive, of files (not pgdata), got %v\n%s", got, r)
	}
	if !strings.Contains(r.stderr, "stop app\n") || !strings.Contains(r.stderr, "start app\n") || !strings.Contains(r.stderr, "from container "+e.project("bk")+"-app-1 (stopped)") {
		t.Errorf("want app stopped for the archive and started again, only app (idle was not running):\n%s", r)
	}
	after := started()
	if !strings.HasPrefix(after, "true ") || after == before {
		t.Errorf("app: %q before, %q after: want running, started again", before, after)
	}
	if got := e.services("bk", "exited"); len(got) != 1 || got[0] != "idle" {
		t.Errorf("stopped services after backup: %v, want idle only (it was not running)", got)
	}

	// Interrupted mid-archive: app is started again, no archive appears.
	n := len(archives(t, backups))
	cmd := exec.Command(the.kompose, "--root", e.root, "bk", "backup")
	cmd.Env = append(hermetic(os.Environ()), "NO_COLOR=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := the.procs.start(cmd); err != nil {
		t.Fatal(err)
	}
	e.eventually(30*time.Second, func() (bool, string) { return len(partials(t, backups)) > 0, "no .partial file yet" })
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := the.procs.wait(cmd); err == nil {
		t.Errorf("interrupted backup exited 0:\n%s", out.String())
	}
	if len(archives(t, backups)) != n || len(partials(t, backups)) != 0 {
		t.Errorf("interrupted backup left %v and %v", archives(t, backups), partials(t, backups))
	}
	if s := started(); !strings.HasPrefix(s, "true ") {
		t.Errorf("app is not running after the interrupted backup (%s):\n%s", s, out.String())
	}

	// Named, the data volume is archived too.
	r = e.kompose("bk", "backup", "pgdata")
	e.mustExit(r, 0)
	found := false
	for _, a := range archives(t, backups) {
		found = found || strings.HasPrefix(a, "pgdata_")
	}
	if !found {
		t.Errorf("backup pgdata made no archive of pgdata:\n%s", r)
	}
}

// TestVolumesOnSecondEngine: with DOCKER_HOST in the stack's .env, the
// volume lives on another engine; vol:export streams it from there (from
// the stack's container, then, after down, through a helper created on
// that engine from the image it has), vol:import restores it there, and
// nothing of the stack appears on the system engine.
func TestVolumesOnSecondEngine(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	far := startSecondEngine(t, debianImage)
	e.write("far/compose.yaml", `name: {{project}}
services:
`+idleService("app", "far", "    volumes: [data:/data]\n")+`volumes:
  data: {}
x-kompose:
  backup:
    stop: [app]
`)
	e.write("far/.env", "DOCKER_HOST="+far.Host+"\n")
	e.mustExit(e.kompose("far", "up", "-d"), 0)
	farDocker := func(stdin string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(e.ctx, 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "docker", append([]string{"-H", far.Host}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("docker -H %s %v: %v", far.Host, args, err)
		}
		return string(out)
	}
	app := strings.TrimSpace(farDocker("", "ps", "-q", "--filter", "label="+projectLabel+"="+e.project("far")))
	farDocker(awkwardFiles, "exec", "-i", app, "bash", "-s", "/data", "small")
	want := withoutTopTime(withoutSkip(farDocker(fingerprint, "exec", "-i", app, "bash", "-s", "/data")))
	backups := filepath.Join(e.root, "far", "backups")

	r := e.kompose("far", "vol:export")
	e.mustExit(r, 0)
	if !strings.Contains(r.stderr, "from container "+e.project("far")+"-app-1 (stopped)") || !strings.Contains(r.stderr, "start app") {
		t.Errorf("want the archive from the stopped app on the far engine, app started again:\n%s", r)
	}
	first := archives(t, backups)
	if len(first) != 1 {
		t.Fatalf("archives: %v\n%s", first, r)
	}
	e.mustExit(e.kompose("far", "down"), 0)
	r = e.kompose("far", "vol:export")
	e.mustExit(r, 0)
	if !strings.Contains(r.stderr, "from a container created (not started) from image") {
		t.Errorf("want a helper on the far engine:\n%s", r)
	}
	if out, _ := dockerOut(e.ctx, "volume", "ls", "-q", "--filter", "name="+e.project("far")); strings.TrimSpace(out) != "" {
		t.Errorf("volumes of the far stack on the system engine: %s", out)
	}

	e.mustExit(e.kompose("far", "up", "-d"), 0)
	app = strings.TrimSpace(farDocker("", "ps", "-q", "--filter", "label="+projectLabel+"="+e.project("far")))
	farDocker("", "exec", app, "bash", "-c", "rm -rf /data/sub; echo changed > /data/new")
	r = e.kompose("far", "vol:import", first[0])
	e.mustExit(r, 0)
	app = strings.TrimSpace(farDocker("", "ps", "-q", "--filter", "label="+projectLabel+"="+e.project("far")))
	if got := withoutTopTime(withoutSkip(farDocker(fingerprint, "exec", "-i", app, "bash", "-s", "/data"))); got != want {
		t.Errorf("after vol:import on the far engine:\n%s", diffLines(want, got))
	}
	e.mustExit(e.kompose("far", "down", "-v"), 0)
	if got := far.projects(e.ctx); len(got) != 0 {
		t.Errorf("left on the second engine: %v", got)
	}
}
