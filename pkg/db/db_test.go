package db

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/retention"
	"github.com/kompose-dev/kompose/pkg/trust"
)

func TestFileNameRoundTrip(t *testing.T) {
	at := time.Date(2024, 3, 9, 4, 5, 6, 0, time.Local)
	for _, f := range []Format{Plain, Gzip, Zstd, Custom} {
		name := FileName("news", at, f)
		got, gf, ok := ParseName("news", name)
		if !ok || !got.Equal(at) || gf != f {
			t.Errorf("ParseName(%q) = %v, %v, %v", name, got, gf, ok)
		}
	}
	if want := "news_20240309_040506.sql.zst"; FileName("news", at, Zstd) != want {
		t.Errorf("FileName = %q, want %q", FileName("news", at, Zstd), want)
	}
	for _, name := range []string{
		"news_archive_20240309_040506.sql", // another database
		".news_20240309_040506.sql.1.partial",
		"news_20240309_040506.sql.bak",
		"news_2024030_040506.sql",
		"news_20241309_040506.sql", // month 13
		"news_20240309_040506.tar",
	} {
		if _, _, ok := ParseName("news", name); ok {
			t.Errorf("ParseName(%q) matched", name)
		}
	}
}

func TestListNewestFirst(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"db_20240102_000000.sql", "db_20240103_000000.dump", "db_20240101_000000.sql.gz", "other_20250101_000000.sql", ".db_20250101_000000.sql.x.partial"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	dumps, err := List(dir, "db")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range dumps {
		names = append(names, d.Name)
	}
	want := []string{"db_20240103_000000.dump", "db_20240102_000000.sql", "db_20240101_000000.sql.gz"}
	if !slices.Equal(names, want) {
		t.Errorf("List = %v, want %v", names, want)
	}
	if d, err := List(filepath.Join(dir, "missing"), "db"); err != nil || len(d) != 0 {
		t.Errorf("List(missing) = %v, %v", d, err)
	}
}

func TestNewCleanupSelection(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2024, 2, 1, 0, 0, 0, 0, time.Local)
	for i := 1; i <= 5; i++ { // dumps 1 to 5 days old
		at := now.Add(-time.Duration(i) * 24 * time.Hour)
		if err := os.WriteFile(filepath.Join(dir, FileName("db", at, Plain)), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := Config{Name: "db", DumpDir: dir}
	for _, tc := range []struct {
		keep          int
		older         time.Duration
		removed, kept int
	}{
		{1, 0, 4, 1},
		{3, 0, 2, 3},
		{1, 72 * time.Hour, 3, 2}, // keeps the newest and those younger than 3 days (1d, 2d)
		{10, 0, 0, 5},
		{1, 30 * 24 * time.Hour, 0, 5},
	} {
		c, err := NewCleanup(trust.Current(), cfg, retention.Policy{Last: tc.keep, Within: tc.older}, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Remove) != tc.removed || len(c.Kept) != tc.kept {
			t.Errorf("keep %d older %v: removed %d kept %d, want %d and %d", tc.keep, tc.older, len(c.Remove), len(c.Kept), tc.removed, tc.kept)
		}
		for _, d := range c.Remove {
			for _, k := range c.Kept[:min(tc.keep, len(c.Kept))] {
				if d.Time.After(k.Time) {
					t.Errorf("removes %s, newer than kept %s", d.Name, k.Name)
				}
			}
		}
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "12h": 12 * time.Hour, "1.5d": 36 * time.Hour} {
		if got, err := ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "-3d", "0d", "soon", "0"} {
		if _, err := ParseAge(in); err == nil {
			t.Errorf("ParseAge(%q) succeeded", in)
		}
	}
}

func TestIsPostgresImage(t *testing.T) {
	yes := []string{"postgres", "postgres:16-alpine", "docker.io/library/postgres:15", "postgis/postgis:16-3.4", "timescale/timescaledb:latest-pg16", "timescale/timescaledb-ha:pg16", "bitnami/postgresql:16", "pgvector/pgvector:pg16", "ghcr.io/x/postgres@sha256:abc", "registry:5000/postgres:16"}
	no := []string{"", "nginx", "mysql:8", "redis", "myorg/app-postgres-client:1", "registry:5000/nginx"}
	for _, i := range yes {
		if !IsPostgresImage(i) {
			t.Errorf("IsPostgresImage(%q) = false", i)
		}
	}
	for _, i := range no {
		if IsPostgresImage(i) {
			t.Errorf("IsPostgresImage(%q) = true", i)
		}
	}
}

func TestArgvKeepsPasswordInEnvironment(t *testing.T) {
	cfg := Config{Name: "news", User: "app", Password: "pa55-word", Host: "db.local", Port: "5433"}
	base := []string{"PATH=/bin", "PGPASSWORD=stale"}
	for _, l := range []Location{
		{Mode: Host, cfg: cfg},
		{Mode: Service, Service: "db", Compose: []string{"docker", "compose"}, cfg: cfg},
		{Mode: Container, Container: "pg", cfg: cfg},
	} {
		argv := l.Argv("pg_dump", "-d", "news")
		if strings.Contains(strings.Join(argv, " "), "pa55-word") {
			t.Errorf("%v: password in argv %q", l.Mode, argv)
		}
		env := l.Env(base)
		if !slices.Contains(env, "PGPASSWORD=pa55-word") || slices.Contains(env, "PGPASSWORD=stale") {
			t.Errorf("%v: env %q", l.Mode, env)
		}
		if l.Mode != Host && !slices.Contains(argv, PasswordVar) {
			t.Errorf("%v: no -e PGPASSWORD in %q", l.Mode, argv)
		}
	}
	host := Location{Mode: Host, cfg: cfg}.Argv("psql")
	if want := []string{"psql", "-h", "db.local", "-p", "5433", "-U", "app", "-w"}; !slices.Equal(host, want) {
		t.Errorf("host argv = %q, want %q", host, want)
	}
	nopw := Location{Mode: Container, Container: "pg", cfg: Config{Name: "x"}}
	if slices.Contains(nopw.Argv("psql"), "-e") {
		t.Errorf("no password, yet -e in %q", nopw.Argv("psql"))
	}
	if got := nopw.Env(base); !slices.Equal(got, base) {
		t.Errorf("no DB_PASSWORD: env changed to %q", got)
	}
}

func TestSideNames(t *testing.T) {
	ts := "20240101_000000"
	long := strings.Repeat("é", 40) // 80 bytes
	long2 := long[:len(long)-2] + "x"
	for _, db := range []string{"news", "we\"ird 'name", long, long2} {
		for _, infix := range []string{scratchInfix, oldInfix, previousInfix} {
			n := sideName(db, infix, ts)
			if len(n) > maxIdent {
				t.Errorf("sideName(%q) = %q: %d bytes", db, n, len(n))
			}
			if !isSide(db, infix, n) {
				t.Errorf("isSide(%q, %q) = false", db, n)
			}
		}
	}
	if sideName(long, scratchInfix, ts) == sideName(long2, scratchInfix, ts) {
		t.Error("two long names share their scratch database")
	}
	if isSide("news", scratchInfix, "news_archive__kompose_import_"+ts) || isSide("news", scratchInfix, "news") {
		t.Error("isSide matched another database")
	}
	if got := QuoteIdent(`a"b`); got != `"a""b"` {
		t.Errorf("QuoteIdent = %s", got)
	}
	if got := QuoteLiteral(`a'b`); got != `'a''b'` {
		t.Errorf("QuoteLiteral = %s", got)
	}
	if got := dbArg("a=b"); got != `dbname='a=b'` {
		t.Errorf("dbArg = %s", got)
	}
}

func TestLockTimesOutNamingHolder(t *testing.T) {
	path := LockPath(t.TempDir(), "news")
	ctx := context.Background()
	first, err := AcquireLock(ctx, trust.Current(), path, 0, "db:export of news")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = AcquireLock(ctx, trust.Current(), path, 200*time.Millisecond, "db:import")
	if err == nil || !strings.Contains(err.Error(), "database is busy: kompose db:export of news, pid") {
		t.Fatalf("second lock: %v", err)
	}
	if waited := time.Since(start); waited < 150*time.Millisecond {
		t.Errorf("gave up after %v, before --lock-timeout", waited)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	second, err := AcquireLock(ctx, trust.Current(), path, 0, "db:import")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	second.Release()
}

func TestTailKeeper(t *testing.T) {
	tk := newTail(64)
	tk.Write([]byte(strings.Repeat("x", 1000)))
	tk.Write([]byte("\n" + completeMarker + "\n--\n"))
	if !tk.complete() {
		t.Error("complete dump not recognised")
	}
	tk.Write([]byte(strings.Repeat("y", 100)))
	if tk.complete() {
		t.Error("data after the marker, yet complete")
	}
}
