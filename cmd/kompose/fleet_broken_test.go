package main

import (
	"bytes"
	"context"
	"errors"

	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kompose-dev/kompose/internal/pgtest"
)

// TestNightlyExportBesideBrokenStacks is the nightly backup of issue 17,
// item 8: in a root where one stack's COMPOSE_FILE names a missing file,
// two stacks depend on each other and one compose file is a YAML bomb,
// `kompose "*" db:export` still dumps the unrelated stack (real pg_dump,
// real PostgreSQL), writes the metrics file and pings (/start, then
// /fail: some stacks failed), and exits 1, not 2.
func TestNightlyExportBesideBrokenStacks(t *testing.T) {
	if testing.Short() && !pgtest.Required() {
		t.Skip("needs PostgreSQL; skipped in -short mode")
	}
	kompose, err := exec.LookPath("kompose")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	srv, err := pgtest.Start(ctx)
	pgtest.Require(t, err)
	t.Cleanup(srv.Stop)
	const dbName = "fleet_broken_news"
	srv.MustPSQL(t, "postgres", "CREATE DATABASE "+dbName)
	srv.MustPSQL(t, dbName, dbFixture)

	var mu sync.Mutex
	var pings []string
	ping := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		pings = append(pings, r.URL.Path)
		mu.Unlock()
	}))
	defer ping.Close()

	work := t.TempDir()
	root := filepath.Join(work, "stacks")
	write(t, filepath.Join(root, ".env"), "KOMPOSE_PING_URL="+ping.URL+"/nightly\n")
	newsEnv := "DB_NAME=" + dbName + "\n"
	for k, v := range srv.Env() {
		newsEnv += k + "=" + v + "\n"
	}
	write(t, filepath.Join(root, "news", "compose.yaml"), "services: {web: {image: nginx}}\n")
	write(t, filepath.Join(root, "news", ".env"), newsEnv)
	write(t, filepath.Join(root, "missing", "compose.yaml"), "services: {web: {image: nginx}}\n")
	write(t, filepath.Join(root, "missing", ".env"), "COMPOSE_FILE=compose.yaml:gone.yaml\nDB_NAME=missing\n")
	write(t, filepath.Join(root, "a", "compose.yaml"), "services: {web: {image: nginx}}\nx-kompose: {depends_on: [b]}\n")
	write(t, filepath.Join(root, "b", "compose.yaml"), "services: {web: {image: nginx}}\nx-kompose: {depends_on: [a]}\n")
	write(t, filepath.Join(root, "a", ".env"), "DB_NAME=a\n")
	write(t, filepath.Join(root, "bomb", "compose.yaml"), bomb)
	write(t, filepath.Join(root, "bomb", ".env"), "DB_NAME=bomb\n")

	metrics := filepath.Join(work, "metrics", "kompose.prom")
	if err := os.MkdirAll(filepath.Dir(metrics), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(kompose, "--root", root, "--metrics-file", metrics, "*", "db:export")
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1\n%s", err, out.String())
	}
	dumps, _ := filepath.Glob(filepath.Join(root, "news", dbName+"_*.sql"))
	if len(dumps) != 1 {
		t.Fatalf("news dumps: %q\n%s", dumps, out.String())
	}
	b, err := os.ReadFile(dumps[0])
	if err != nil || !bytes.Contains(b, []byte("CREATE TABLE public.items")) {
		t.Fatalf("dump %s: %v, %d bytes", dumps[0], err, len(b))
	}
	for _, want := range []string{"missing FAILED", filepath.Join(root, "missing", "gone.yaml"), "a: dependency cycle: a -> b -> a", "bomb FAILED", filepath.Join(root, "bomb", "compose.yaml") + ": YAML aliases expand"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	m, err := os.ReadFile(metrics)
	if err != nil || !strings.Contains(string(m), `kompose_last_success_timestamp_seconds{stack="news",command="db:export"}`) {
		t.Errorf("metrics file: %v\n%s", err, m)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(pings) != 2 || pings[0] != "/nightly/start" || pings[1] != "/nightly/fail" {
		t.Errorf("pings: %q, want /nightly/start, /nightly/fail", pings)
	}
}

// bomb is a compose file of 60 KB whose aliases expand to 150 MB.
var bomb = "services: {web: {image: nginx}}\nx-kompose: {depends_on: []}\nx-a: &a [" +
	strings.Repeat(`"`+strings.Repeat("x", 1000)+`",`, 49) + `"x"]` + "\nx-b: [" + strings.Repeat("*a,", 2999) + "*a]\n"
