// Package pgtest starts a throwaway PostgreSQL server for kompose's tests:
// initdb in a temporary folder, a server on 127.0.0.1 on a free port with
// password authentication (so password handling is exercised), stopped and
// removed afterwards.
//
// When the server binaries are missing, tests skip, unless
// KOMPOSE_REQUIRE_ALL=1, in which case they fail: see [Require].
// scripts/install-deps.sh installs them.
package pgtest

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
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// User and Password are the superuser the test server is created with.
const (
	User     = "kompose"
	Password = "s3cret-Pa55word-xyzzy"
)

// Server is a running test server.
type Server struct {
	Host   string // 127.0.0.1
	Port   int
	BinDir string // where initdb, pg_ctl and postgres live
	dir    string
	data   string
	cred   *syscall.Credential
}

// ErrMissing says the server binaries are not installed.
var ErrMissing = errors.New("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; run scripts/install-deps.sh")

// Required reports whether the environment asks every test suite to run
// (KOMPOSE_REQUIRE_ALL=1): a missing dependency then fails the tests.
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

// BinDir finds the folder holding initdb and pg_ctl: $PATH, else the
// newest /usr/lib/postgresql/*/bin (Debian's layout).
func BinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", ErrMissing
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// Start creates and starts a server. Call Stop when done.
func Start(ctx context.Context) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "kompose-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{Host: "127.0.0.1", BinDir: bin, dir: dir, data: filepath.Join(dir, "data")}
	ok := false
	defer func() {
		if !ok {
			s.Stop()
		}
	}()
	// initdb refuses to run as root: run the server as the postgres user.
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs a postgres user to run the server: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chmod(dir, 0o755); err != nil {
			return nil, err
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	pwfile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwfile, []byte(Password+"\n"), 0o644); err != nil {
		return nil, err
	}
	if out, err := s.run(ctx, "initdb", "-D", s.data, "-U", User, "--pwfile", pwfile,
		"-A", "scram-sha-256", "-E", "UTF8", "--locale", "C", "--no-sync"); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	_ = os.Remove(pwfile)
	for attempt := 0; ; attempt++ {
		s.Port, err = freePort()
		if err != nil {
			return nil, err
		}
		opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories=%s -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=50", s.Port, dir)
		out, err := s.run(ctx, "pg_ctl", "-D", s.data, "-l", filepath.Join(dir, "log"), "-o", opts, "-w", "-t", "60", "start")
		if err == nil {
			break
		}
		if attempt == 2 {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			return nil, fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
		}
	}
	ok = true
	return s, nil
}

func (s *Server) run(ctx context.Context, tool string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(s.BinDir, tool), args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// Stop stops the server and removes its files.
func (s *Server) Stop() {
	if _, err := os.Stat(filepath.Join(s.data, "postmaster.pid")); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, _ = s.run(ctx, "pg_ctl", "-D", s.data, "-m", "immediate", "-w", "stop")
		cancel()
	}
	_ = os.RemoveAll(s.dir)
}

// Env returns the variables that point kompose at this server in host
// mode: DB_HOST, DB_PORT, DB_USER, DB_PASSWORD.
func (s *Server) Env() map[string]string {
	return map[string]string{"DB_HOST": s.Host, "DB_PORT": strconv.Itoa(s.Port), "DB_USER": User, "DB_PASSWORD": Password}
}

// PSQL runs SQL with psql against database db and returns its unaligned,
// tuples-only output, trimmed.
func (s *Server) PSQL(ctx context.Context, db, sql string) (string, error) {
	cmd := exec.CommandContext(ctx, "psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", s.Host, "-p", strconv.Itoa(s.Port), "-U", User, "-d", db, "-f", "-")
	cmd.Env = append(os.Environ(), "PGPASSWORD="+Password)
	cmd.Stdin = strings.NewReader(sql)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("psql %s: %v: %s", db, err, errb.String())
	}
	return strings.TrimSpace(out.String()), nil
}

// MustPSQL is [Server.PSQL] failing the test on error.
func (s *Server) MustPSQL(tb testing.TB, db, sql string) string {
	tb.Helper()
	out, err := s.PSQL(context.Background(), db, sql)
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
