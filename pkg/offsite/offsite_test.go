package offsite

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// needRestic skips (or, with KOMPOSE_REQUIRE_ALL=1, fails) without restic.
func needRestic(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath(Program); err != nil {
		skipOrFail(t, "restic not installed (Debian package restic)")
	}
}

func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("KOMPOSE_REQUIRE_ALL") == "1" {
		t.Fatalf("%s (KOMPOSE_REQUIRE_ALL=1)", why)
	}
	t.Skip(why)
}

// baseEnv is the test's environment without restic's variables, with a
// cache of the test's own.
func baseEnv(t *testing.T) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RESTIC_") && !strings.HasPrefix(kv, "XDG_CACHE_HOME=") {
			out = append(out, kv)
		}
	}
	return append(out, "XDG_CACHE_HOME="+t.TempDir())
}

// localRepo initialises a restic repository in a temporary folder, its
// password (secret) in the environment as RESTIC_PASSWORD.
func localRepo(t *testing.T, secret string) *Repo {
	t.Helper()
	needRestic(t)
	dir := filepath.Join(t.TempDir(), "repo")
	r := &Repo{Env: append(baseEnv(t), VarRepository+"="+dir, "RESTIC_PASSWORD="+secret), Host: "k22-host", Timeout: time.Minute}
	if err := r.run(context.Background(), "init", nil, nil, "init"); err != nil {
		t.Fatal(err)
	}
	return r
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

var blog = Tags{Stack: "k22blog", Kind: KindDB, Name: "blog"}

// TestStoreListDumpForget: a stream written in pieces becomes one
// snapshot tagged kompose/stack/kind/name with the machine's name, listed
// newest first, read back byte for byte, and thinned by restic's own
// retention rules grouped by the tags (another database's snapshots are
// left alone).
func TestStoreListDumpForget(t *testing.T) {
	r := localRepo(t, "k22-pw-Secret")
	ctx := context.Background()
	data := randomBytes(t, 3<<20)
	u := r.Store(ctx, "blog_20261206_031500.sql.zst", blog)
	for off := 0; off < len(data); off += 100 << 10 {
		if n, err := u.Write(data[off:min(off+100<<10, len(data))]); err != nil || n == 0 {
			t.Fatalf("write: %d, %v", n, err)
		}
	}
	id, err := u.Commit()
	if err != nil || id == "" {
		t.Fatalf("commit: %q, %v", id, err)
	}
	if _, err := r.StoreReader(ctx, bytes.NewReader([]byte("second")), "blog_20261206_031600.sql.zst", blog); err != nil {
		t.Fatal(err)
	}
	other := Tags{Stack: "k22blog", Kind: KindDB, Name: "blog_archive"}
	if _, err := r.StoreReader(ctx, bytes.NewReader([]byte("other")), "blog_archive_20261206_031500.sql", other); err != nil {
		t.Fatal(err)
	}
	snaps, err := r.Snapshots(ctx, blog)
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 2 || snaps[1].ShortID != id || snaps[0].File() != "blog_20261206_031600.sql.zst" || snaps[1].Hostname != "k22-host" {
		t.Fatalf("snapshots: %+v (first %s)", snaps, id)
	}
	if got := strings.Join(snaps[1].Tags, " "); got != "kompose stack=k22blog kind=db name=blog" {
		t.Errorf("tags %q", got)
	}
	s, err := r.Find(ctx, blog, id[:6])
	if err != nil {
		t.Fatal(err)
	}
	var back bytes.Buffer
	if err := r.Dump(ctx, s, &back); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Bytes(), data) {
		t.Fatalf("dump gave %d bytes, stored %d", back.Len(), len(data))
	}
	if latest, err := r.Find(ctx, blog, "latest"); err != nil || latest.ID != snaps[0].ID {
		t.Errorf("latest: %v %v", latest, err)
	}
	if _, err := r.Find(ctx, blog, "ffffffff"); err == nil {
		t.Error("a snapshot that does not exist was found")
	}
	if _, err := r.Forget(ctx, blog, []string{"--keep-last", "1"}, true); err != nil {
		t.Fatal(err)
	}
	if snaps, _ := r.Snapshots(ctx, blog); len(snaps) != 1 || snaps[0].File() != "blog_20261206_031600.sql.zst" {
		t.Errorf("after forget --keep-last 1: %+v", snaps)
	}
	if snaps, _ := r.Snapshots(ctx, other); len(snaps) != 1 {
		t.Errorf("forget of blog removed blog_archive's snapshot: %+v", snaps)
	}
}

// TestAbortMakesNoSnapshot: an upload aborted before its stream ended
// (the local dump failed its verification) leaves no snapshot.
func TestAbortMakesNoSnapshot(t *testing.T) {
	r := localRepo(t, "k22-pw")
	u := r.Store(context.Background(), "blog.sql", blog)
	_, _ = u.Write(randomBytes(t, 1<<20))
	u.Abort()
	if snaps, err := r.Snapshots(context.Background(), blog); err != nil || len(snaps) != 0 {
		t.Fatalf("after abort: %+v, %v", snaps, err)
	}
}

// TestPasswordNeverInArgv: while restic stores a stream, no restic
// process has the password in its command line (/proc/<pid>/cmdline);
// it is in restic's environment, where restic reads it. A wrong password
// fails with restic's reason, without the password.
func TestPasswordNeverInArgv(t *testing.T) {
	const secret = "k22-Pw-9f8e7d6c"
	r := localRepo(t, secret)
	u := r.Store(context.Background(), "blog.sql", blog)
	_, _ = u.Write([]byte("some data\n"))
	seen := 0
	deadline := time.Now().Add(10 * time.Second)
	for seen == 0 && time.Now().Before(deadline) {
		pids, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range pids {
			cmdline, err := os.ReadFile(p)
			if err != nil || !bytes.Contains(cmdline, []byte("--stdin-filename\x00blog.sql")) {
				continue
			}
			seen++
			if bytes.Contains(cmdline, []byte(secret)) {
				t.Errorf("%s holds the password: %q", p, cmdline)
			}
			environ, err := os.ReadFile(filepath.Join(filepath.Dir(p), "environ"))
			if err == nil && !bytes.Contains(environ, []byte("RESTIC_PASSWORD="+secret)) {
				t.Errorf("the password is not in restic's environment")
			}
		}
		if seen == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if seen == 0 {
		t.Fatal("no restic process found")
	}
	if _, err := u.Commit(); err != nil {
		t.Fatal(err)
	}
	wrong := *r
	wrong.Env = append(append([]string(nil), r.Env...), "RESTIC_PASSWORD=not-the-"+secret)
	_, err := wrong.StoreReader(context.Background(), bytes.NewReader([]byte("x")), "blog.sql", blog)
	if err == nil || !strings.Contains(err.Error(), "restic backup: Fatal: wrong password or no key found") || strings.Contains(err.Error(), secret) {
		t.Errorf("wrong password: %v", err)
	}
}

// TestLockedRepository: a repository locked exclusively by another restic
// (`restic key passwd`, holding its lock while it waits for the new
// password on its standard input) fails the upload with
// restic's reason; the writes feeding it never fail nor block, so the
// local backup beside it goes on.
func TestLockedRepository(t *testing.T) {
	r := localRepo(t, "k22-pw")
	repo := strings.TrimPrefix(r.Env[len(r.Env)-2], VarRepository+"=")
	holder := exec.Command(Program, "key", "passwd")
	holder.Env = r.Env
	stdin, err := holder.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = holder.Process.Kill()
		_ = holder.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		locks, _ := os.ReadDir(filepath.Join(repo, "locks"))
		if len(locks) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("restic check took no lock")
		}
		time.Sleep(time.Millisecond)
	}
	u := r.Store(context.Background(), "blog.sql", blog)
	start := time.Now()
	for i := 0; i < 40; i++ { // 10 MB: more than a pipe holds
		if _, err := u.Write(randomBytes(t, 256<<10)); err != nil {
			t.Fatal(err)
		}
	}
	_, err = u.Commit()
	if err == nil || !strings.Contains(err.Error(), "restic backup: unable to create lock in backend: repository is already locked exclusively by PID "+strconv.Itoa(holder.Process.Pid)) {
		t.Errorf("locked: %v", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("a locked repository held the writer %s", d)
	}
}

// TestUnreachable: a repository that is not there, an sftp server where
// nothing listens, and one that accepts connections but never answers
// (within the timeout) fail with restic's reason, or the timeout's.
func TestUnreachable(t *testing.T) {
	needRestic(t)
	ctx := context.Background()
	missing := &Repo{Env: append(baseEnv(t), VarRepository+"="+filepath.Join(t.TempDir(), "none"), "RESTIC_PASSWORD=x"), Timeout: time.Minute}
	if _, err := missing.Snapshots(ctx, blog); err == nil || !strings.Contains(err.Error(), "restic snapshots: Fatal: unable to open config file") {
		t.Errorf("missing: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	env := append(baseEnv(t), "RESTIC_PASSWORD=x")
	down := &Repo{Env: append(env, VarRepository+"=sftp://k22@127.0.0.1:"+port+"//repo"), Timeout: time.Minute}
	_, err = down.StoreReader(ctx, bytes.NewReader([]byte("x")), "blog.sql", blog)
	if err == nil || !strings.Contains(err.Error(), "restic backup: Fatal: unable to open repository at sftp://k22@127.0.0.1:"+port+"//repo") {
		t.Errorf("nothing listens: %v", err)
	}
	// Accepts, never says a word.
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mute.Close() })
	go func() {
		for {
			c, err := mute.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	hang := &Repo{Env: append(env, VarRepository+"=sftp://k22@"+mute.Addr().String()+"//repo"), Timeout: 2 * time.Second}
	start := time.Now()
	_, err = hang.Snapshots(ctx, blog)
	if err == nil || !strings.Contains(err.Error(), "restic snapshots: no answer within 2s (KOMPOSE_OFFSITE_TIMEOUT)") {
		t.Errorf("mute server: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the timeout took %s", d)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("not an *Error: %T", err)
	}
}

func TestConfigured(t *testing.T) {
	get := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	if ok, err := Configured(get(map[string]string{})); ok || err != nil {
		t.Errorf("nothing set: %v %v", ok, err)
	}
	if ok, err := Configured(get(map[string]string{VarRepository: "/r", "RESTIC_PASSWORD_FILE": "/p"})); !ok || err != nil {
		t.Errorf("repository and password file: %v %v", ok, err)
	}
	if _, err := Configured(get(map[string]string{VarRepository: "/r"})); err == nil || !strings.Contains(err.Error(), "none of RESTIC_PASSWORD_FILE") {
		t.Errorf("no password: %v", err)
	}
	if d, err := TimeoutFrom(get(map[string]string{VarTimeout: "90s"})); d != 90*time.Second || err != nil {
		t.Errorf("timeout: %v %v", d, err)
	}
	if _, err := TimeoutFrom(get(map[string]string{VarTimeout: "-1s"})); err == nil {
		t.Error("a negative timeout is accepted")
	}
}

// TestFullRepository: a repository on a file system that fills up fails
// the upload with restic's reason (no space left on device); the writer
// feeding it is never held up.
func TestFullRepository(t *testing.T) {
	needRestic(t)
	if os.Geteuid() != 0 {
		skipOrFail(t, "mounting a small tmpfs needs root")
	}
	dir := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir).CombinedOutput(); err != nil {
		skipOrFail(t, fmt.Sprintf("mount tmpfs: %v %s", err, out))
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	r := &Repo{Env: append(baseEnv(t), VarRepository+"="+dir+"/repo", "RESTIC_PASSWORD=k22-full"), Timeout: time.Minute}
	if err := r.run(context.Background(), "init", nil, nil, "init"); err != nil {
		t.Fatal(err)
	}
	u := r.Store(context.Background(), "blog.sql", blog)
	for i := 0; i < 32; i++ { // 8 MB of data that does not compress
		if _, err := u.Write(randomBytes(t, 256<<10)); err != nil {
			t.Fatal(err)
		}
	}
	_, err := u.Commit()
	if err == nil || !strings.Contains(err.Error(), "restic backup: ") || !strings.Contains(err.Error(), "no space left on device") {
		t.Errorf("full: %v", err)
	}
}

// TestCommitChecksWhatWasStored: a restic that stops reading the stream
// early and still reports a snapshot (a wrapper, a program that
// misbehaves) is not an offsite copy: Commit fails, naming what was
// written and what restic stored. The real restic's summary agrees with
// the stream (TestStoreListDumpForget).
func TestCommitChecksWhatWasStored(t *testing.T) {
	fake := filepath.Join(t.TempDir(), "restic")
	script := "#!/bin/sh\nhead -c 10 >/dev/null\necho '{\"message_type\":\"summary\",\"total_bytes_processed\":10,\"snapshot_id\":\"0123456789abcdef\"}'\nexit 0\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r := &Repo{Program: fake, Env: baseEnv(t), Timeout: time.Minute}
	id, err := r.StoreReader(context.Background(), bytes.NewReader(randomBytes(t, 4<<20)), "blog.sql", blog)
	if err == nil || !strings.Contains(err.Error(), "stored 10 of 4194304 bytes") {
		t.Fatalf("a stream restic stored 10 bytes of: id %q, err %v", id, err)
	}
}
