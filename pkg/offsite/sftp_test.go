package offsite

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sshd is a real sshd on a loopback port, started by the test (by PID,
// its own configuration, host key and authorized key) and stopped after;
// Path puts first an ssh wrapper that uses its key and known host, which
// restic's sftp backend runs.
type sshd struct {
	Port int
	Path string
	cmd  *exec.Cmd
}

func startSSHD(t *testing.T) *sshd {
	t.Helper()
	bin, err := exec.LookPath("sshd")
	if err != nil {
		if bin, err = exec.LookPath("/usr/sbin/sshd"); err != nil {
			skipOrFail(t, "sshd not installed (Debian package openssh-server)")
		}
	}
	sshPath, err := exec.LookPath("ssh")
	if err != nil {
		skipOrFail(t, "ssh not installed (Debian package openssh-client)")
	}
	if os.Geteuid() != 0 {
		skipOrFail(t, "sshd needs root here")
	}
	dir := t.TempDir()
	keygen := func(name string) string {
		path := filepath.Join(dir, name)
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "k22-offsite", "-f", path).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
		pub, err := os.ReadFile(path + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(pub))
	}
	hostPub, clientPub := keygen("host_key"), keygen("client_key")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	write := func(name, content string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	sftpServer := "/usr/lib/openssh/sftp-server"
	write("authorized_keys", clientPub+"\n", 0o600)
	write("known_hosts", fmt.Sprintf("[127.0.0.1]:%d %s\n", port, hostPub), 0o600)
	write("sshd_config", fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s/host_key
PidFile %s/sshd.pid
AuthorizedKeysFile %s/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel ERROR
Subsystem sftp %s
`, port, dir, dir, dir, sftpServer), 0o600)
	write("ssh_config", fmt.Sprintf(`Host 127.0.0.1
  IdentityFile %s/client_key
  IdentitiesOnly yes
  UserKnownHostsFile %s/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
`, dir, dir), 0o600)
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	write("bin/ssh", fmt.Sprintf("#!/bin/sh\nexec %s -F %s/ssh_config \"$@\"\n", sshPath, dir), 0o755)
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	s := &sshd{Port: port, Path: filepath.Join(dir, "bin") + string(os.PathListSeparator) + os.Getenv("PATH")}
	var log bytes.Buffer
	s.cmd = exec.Command(bin, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	s.cmd.Stdout, s.cmd.Stderr = &log, &log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting sshd: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		// sshd's sessions are in sessions of their own: kill sshd's
		// children by their parent, then sshd.
		for _, p := range children(s.cmd.Process.Pid) {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c := exec.Command(filepath.Join(dir, "bin", "ssh"), "-p", fmt.Sprint(port), "-l", "root", "127.0.0.1", "true")
		out, err := c.CombinedOutput()
		if err == nil {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("ssh to the test's sshd: %v\n%s\nsshd: %s", err, out, log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// children are the processes whose parent is pid.
func children(pid int) []int {
	var out []int
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		b, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		rest := string(b[bytes.LastIndexByte(b, ')')+1:])
		var state string
		var ppid, self int
		if _, err := fmt.Sscan(rest, &state, &ppid); err != nil || ppid != pid {
			continue
		}
		if _, err := fmt.Sscan(filepath.Base(filepath.Dir(st)), &self); err == nil {
			out = append(out, self)
		}
	}
	return out
}

// TestSFTPRepository: the same store, list, read back and forget through
// an sftp repository on a real sshd on loopback.
func TestSFTPRepository(t *testing.T) {
	needRestic(t)
	s := startSSHD(t)
	dir := t.TempDir()
	env := append(baseEnv(t), "PATH="+s.Path, "RESTIC_PASSWORD=k22-sftp-pw",
		fmt.Sprintf("%s=sftp://root@127.0.0.1:%d/%s/repo", VarRepository, s.Port, dir))
	r := &Repo{Env: env, Host: "k22-host", Timeout: time.Minute}
	ctx := context.Background()
	if err := r.run(ctx, "init", nil, nil, "init"); err != nil {
		t.Fatal(err)
	}
	data := randomBytes(t, 1<<20)
	id, err := r.StoreReader(ctx, bytes.NewReader(data), "blog_20261206_031500.sql", blog)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := r.Find(ctx, blog, id)
	if err != nil {
		t.Fatal(err)
	}
	var back bytes.Buffer
	if err := r.Dump(ctx, snap, &back); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Bytes(), data) {
		t.Fatalf("read back %d bytes, stored %d", back.Len(), len(data))
	}
	if _, err := r.Forget(ctx, blog, []string{"--keep-last", "1"}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "repo", "config")); err != nil {
		t.Errorf("the repository is not where sftp put it: %v", err)
	}
}
