//go:build e2e

package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestEnvFilesWithRealCompose: a password of awkward shape in a stack's
// .env (quotes, $, a backslash, unicode) reaches the container
// exactly as written, through real compose, and never appears in kompose's
// output; a .env that another user owns is refused, and KOMPOSE_COMPOSE in
// it never runs.
func TestEnvFilesWithRealCompose(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("a/compose.yaml", "name: {{project}}\nservices:\n"+idleService("app", "hello", "    environment:\n      DB_PASSWORD: ${DB_PASSWORD}\n      LITERAL: ${LITERAL}\n"))
	e.write("a/.env", `DB_PASSWORD="it's \"q\" \$x \\ pässwörd-9"
LITERAL='Xk9$mT2qZ7'
`)
	const want = `it's "q" $x \ pässwörd-9`
	r := e.kompose("a", "up", "-d")
	e.mustExit(r, 0)
	e.noSecret(r, "pässwörd")
	got, err := containerEnv(e.ctx, e.container("a", "app").ID)
	if err != nil {
		t.Fatal(err)
	}
	if got["DB_PASSWORD"] != want || got["LITERAL"] != "Xk9$mT2qZ7" {
		t.Errorf("container has DB_PASSWORD=%q LITERAL=%q, want %q and %q", got["DB_PASSWORD"], got["LITERAL"], want, "Xk9$mT2qZ7")
	}
	r = e.kompose("-n", "a", "up", "-d")
	e.mustExit(r, 0)
	e.noSecret(r, "pässwörd")
	if !strings.Contains(r.stdout, "env DB_PASSWORD=****") {
		t.Errorf("dry run:\n%s", r)
	}

	// Owned by nobody: refused before it is read. Needs root, as CI has.
	if os.Geteuid() != 0 {
		if os.Getenv("KOMPOSE_REQUIRE_ALL") == "1" {
			t.Fatal("giving a .env to nobody needs root (KOMPOSE_REQUIRE_ALL=1)")
		}
		t.Skip("giving a .env to nobody needs root")
	}
	marker := filepath.Join(e.root, "evil.ran")
	evil := e.write("evil.sh", "#!/bin/sh\ntouch "+marker+"\n")
	if err := os.Chmod(evil, 0o755); err != nil {
		t.Fatal(err)
	}
	env := e.write("a/.env", "KOMPOSE_COMPOSE="+evil+"\n")
	if out, err := exec.Command("chown", "nobody", env).CombinedOutput(); err != nil {
		t.Fatalf("chown nobody: %v: %s", err, out)
	}
	r = e.kompose("a", "down")
	e.mustExit(r, 1)
	if !strings.Contains(r.stderr, "refusing to read variables from "+env+": it is owned by uid 65534") {
		t.Errorf("no refusal:\n%s", r)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("KOMPOSE_COMPOSE from a .env owned by nobody ran")
	}
	if len(e.services("a", "running")) != 1 {
		t.Error("the stack was taken down by a refused run")
	}
}

// TestURLPasswordsAndRefusalsWithRealCompose: a percent-encoded URL
// password reaches the container as written and shows in no output,
// encoded or decoded, nor in --report (whose command_line also holds a
// refused -e typed with a colon, masked); a .env value with a NUL byte is
// refused by file and line before compose starts.
func TestURLPasswordsAndRefusalsWithRealCompose(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("u/compose.yaml", "name: {{project}}\nservices:\n"+idleService("app", "hello", "    environment:\n      DATABASE_URL: ${DATABASE_URL}\n"))
	const dsn = "postgres://app:p%40ssW0rd%21x@db/app"
	e.write("u/.env", "DATABASE_URL="+dsn+"\n")
	report := filepath.Join(t.TempDir(), "report.json")
	for _, args := range [][]string{{"-n", "u", "up", "-d"}, {"--report", report, "u", "up", "-d"}, {"--list"}} {
		r := e.kompose(args...)
		e.mustExit(r, 0)
		e.noSecret(r, "p%40ssW0rd")
		e.noSecret(r, "p@ssW0rd")
	}
	got, err := containerEnv(e.ctx, e.container("u", "app").ID)
	if err != nil {
		t.Fatal(err)
	}
	if got["DATABASE_URL"] != dsn {
		t.Errorf("container has DATABASE_URL=%q, want %q", got["DATABASE_URL"], dsn)
	}
	r := e.kompose("--report", report, "-e", "DB_PASSWORD:Hunter2Secret", "u", "ps")
	e.mustExit(r, 2)
	e.noSecret(r, "Hunter2Secret")
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "Hunter2Secret") || strings.Contains(string(b), "ssW0rd") {
		t.Errorf("the report holds a secret:\n%s", b)
	}

	e.write("u/.env", "A=1\nDB_PASSWORD=ab\x00cd-secret\n")
	r = e.kompose("u", "up", "-d")
	e.mustExit(r, 1)
	if !strings.Contains(r.stderr, "/u/.env: line 2: DB_PASSWORD: the value holds a NUL byte") || strings.Contains(r.stderr, "exec:") {
		t.Errorf("a NUL in .env:\n%s", r)
	}
	e.noSecret(r, "cd-secret")
}

// TestPingsWithRealCompose: two stacks brought up at once (-j 2) with real
// compose, each with its own KOMPOSE_PING_URL on a real HTTP server on
// 127.0.0.1: each monitor gets only its own stack's output, and a secret
// a hook passed on through $KOMPOSE_ENV and a later hook printed is masked
// in every body.
func TestPingsWithRealCompose(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	got := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got[r.URL.Path] += string(b)
		mu.Unlock()
	}))
	defer srv.Close()
	e := newEnv(t)
	const token = "Tok-e2e-9f8e7d6c"
	for _, s := range []string{"pa", "pb"} {
		e.write(s+"/compose.yaml", "name: {{project}}\nservices:\n"+idleService("app", "hello", ""))
		e.write(s+"/.env", "KOMPOSE_PING_URL="+srv.URL+"/"+s+"\n")
		e.write(s+"/hooks.sh", "hook_pre_up() { echo private-"+s+"-line; echo DEPLOY_TOKEN="+token+" >>\"$KOMPOSE_ENV\"; }\n"+
			"hook_post_up() { echo \"token: $DEPLOY_TOKEN\"; }\n")
	}
	r := e.kompose("-j", "2", "p*", "up", "-d")
	e.mustExit(r, 0)
	mu.Lock()
	defer mu.Unlock()
	a, b := got["/pa"], got["/pb"]
	if !strings.Contains(a, "private-pa-line") || !strings.Contains(b, "private-pb-line") || strings.Contains(a, "private-pb") || strings.Contains(b, "private-pa") {
		t.Errorf("bodies:\n/pa: %s\n/pb: %s", a, b)
	}
	if !strings.Contains(a, "token: ****") {
		t.Errorf("/pa lacks the hook's masked line:\n%s", a)
	}
	for path, body := range got {
		if strings.Contains(body, token) {
			t.Errorf("%s holds the token:\n%s", path, body)
		}
	}
}
