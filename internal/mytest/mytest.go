// Package mytest starts a throwaway MariaDB server for kompose's tests:
// mariadb-install-db in a temporary folder, mariadbd on 127.0.0.1 on a
// free port and its own socket, with a user that has a password (so
// password handling is exercised), stopped by its PID and removed
// afterwards.
//
// When the server binaries are missing, tests skip, unless
// KOMPOSE_REQUIRE_ALL=1, in which case they fail: see [Require].
// scripts/install-deps.sh installs them (Debian's mariadb-server).
package mytest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// User and Password are the account kompose connects with (all
// privileges, from 127.0.0.1).
const (
	User     = "kompose"
	Password = "my-s3cret-Pa55word-plugh"
)

// Server is a running test server.
type Server struct {
	Host   string // 127.0.0.1
	Port   int
	Socket string
	dir    string
	cmd    *exec.Cmd
	done   chan struct{}
}

// ErrMissing says the server binaries are not installed.
var ErrMissing = errors.New("MariaDB server binaries (mariadbd, mariadb-install-db, mariadb) not found; run scripts/install-deps.sh")

// Required reports whether KOMPOSE_REQUIRE_ALL=1 asks every suite to run.
func Required() bool { return os.Getenv("KOMPOSE_REQUIRE_ALL") == "1" }

// Require handles err from [Start] in a test: skip when the binaries are
// missing and the suite is not required, fail otherwise.
func Require(tb testing.TB, err error) {
	tb.Helper()
	if err == nil {
		return
	}
	if errors.Is(err, ErrMissing) && !Required() {
		tb.Skip(err)
	}
	tb.Fatal(err)
}

func binary(name string, dirs ...string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range dirs {
		if p := filepath.Join(d, name); fileExists(p) {
			return p, nil
		}
	}
	return "", ErrMissing
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// Start creates and starts a server. Call Stop when done.
func Start(ctx context.Context) (*Server, error) {
	mariadbd, err := binary("mariadbd", "/usr/sbin")
	if err != nil {
		return nil, err
	}
	install, err := binary("mariadb-install-db")
	if err != nil {
		return nil, err
	}
	if _, err := binary("mariadb"); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "kompose-my-")
	if err != nil {
		return nil, err
	}
	s := &Server{Host: "127.0.0.1", dir: dir, Socket: filepath.Join(dir, "sock")}
	ok := false
	defer func() {
		if !ok {
			s.Stop()
		}
	}()
	u, err := user.Current()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	out, err := exec.CommandContext(ctx, install, "--no-defaults", "--auth-root-authentication-method=normal",
		"--datadir="+data, "--user="+u.Username, "--skip-test-db").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("mariadb-install-db: %v\n%s", err, out)
	}
	for attempt := 0; ; attempt++ {
		if s.Port, err = freePort(); err != nil {
			return nil, err
		}
		if err = s.start(ctx, mariadbd, data, u.Username); err == nil {
			break
		}
		if attempt == 2 {
			return nil, err
		}
	}
	// The anonymous accounts mariadb-install-db creates would match
	// kompose@localhost first.
	host, _ := os.Hostname()
	setup := fmt.Sprintf(`DROP USER IF EXISTS ''@'localhost'; DROP USER IF EXISTS ''@'%s';
CREATE USER '%s'@'%%' IDENTIFIED BY '%s'; GRANT ALL ON *.* TO '%s'@'%%' WITH GRANT OPTION;`, host, User, Password, User)
	if out, err := s.root(ctx, setup); err != nil {
		return nil, fmt.Errorf("create the test user: %v: %s", err, out)
	}
	ok = true
	return s, nil
}

func (s *Server) start(ctx context.Context, mariadbd, data, user string) error {
	log, err := os.Create(filepath.Join(s.dir, "log"))
	if err != nil {
		return err
	}
	defer log.Close()
	s.cmd = exec.Command(mariadbd, "--no-defaults", "--datadir="+data, "--socket="+s.Socket,
		"--port="+strconv.Itoa(s.Port), "--bind-address=127.0.0.1", "--user="+user,
		"--skip-log-bin", "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=32M",
		"--innodb-flush-log-at-trx-commit=0", "--skip-name-resolve", "--pid-file="+filepath.Join(s.dir, "pid"))
	s.cmd.Stdout, s.cmd.Stderr = log, log
	// Pdeathsig: a test binary killed (go test -timeout) takes its
	// server with it.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return err
	}
	s.done = make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			b, _ := os.ReadFile(filepath.Join(s.dir, "log"))
			return fmt.Errorf("mariadbd exited:\n%s", b)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := s.root(ctx, "SELECT 1"); err == nil {
			return nil
		}
	}
	return errors.New("mariadbd did not start within 60s")
}

// root runs SQL as root over the socket.
func (s *Server) root(ctx context.Context, sql string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "mariadb", "--no-defaults", "-S", s.Socket, "-uroot", "--batch", "-N")
	cmd.Stdin = strings.NewReader(sql)
	return cmd.CombinedOutput()
}

// Stop stops the server (by its PID) and removes its files.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	}
	_ = os.RemoveAll(s.dir)
}

// Env returns the variables that point kompose at this server in host
// mode: DB_ENGINE, DB_HOST, DB_PORT, DB_USER, DB_PASSWORD.
func (s *Server) Env() map[string]string {
	return map[string]string{"DB_ENGINE": "mariadb", "DB_HOST": s.Host, "DB_PORT": strconv.Itoa(s.Port), "DB_USER": User, "DB_PASSWORD": Password}
}

// SQL runs statements as root in database db ("" for none) and returns
// the tab-separated output without column names, trimmed.
func (s *Server) SQL(ctx context.Context, db, sql string) (string, error) {
	args := []string{"--no-defaults", "-S", s.Socket, "-uroot", "--batch", "-N", "--default-character-set=utf8mb4"}
	if db != "" {
		args = append(args, "--", db)
	}
	cmd := exec.CommandContext(ctx, "mariadb", args...)
	cmd.Stdin = strings.NewReader(sql)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("mariadb %s: %v: %s", db, err, errb.String())
	}
	return strings.TrimSpace(out.String()), nil
}

// MustSQL is [Server.SQL] failing the test on error.
func (s *Server) MustSQL(tb testing.TB, db, sql string) string {
	tb.Helper()
	out, err := s.SQL(context.Background(), db, sql)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
