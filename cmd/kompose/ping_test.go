package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestPing runs kompose with KOMPOSE_PING_URL in the root .env against a
// real HTTP server on 127.0.0.1: /start, then /fail with the end of the
// output (compose's lines and kompose's summary) as the body; the URL
// appears nowhere in kompose's output.
func TestPing(t *testing.T) {
	kompose, err := exec.LookPath("kompose")
	if err != nil {
		t.Fatal(err)
	}
	fakebin, err := filepath.Abs("testdata/fakebin")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.URL.Path+" "+string(b))
		mu.Unlock()
	}))
	defer srv.Close()
	url := srv.URL + "/0d4c5a6e-uuid"

	work := t.TempDir()
	root := filepath.Join(work, "stacks")
	write(t, filepath.Join(root, ".env"), "KOMPOSE_PING_URL="+url+"\n")
	for _, s := range []string{"a", "b"} {
		write(t, filepath.Join(root, s, "compose.yaml"), "services: {web: {image: nginx}}\n")
	}
	home := filepath.Join(work, "home")
	plugin := filepath.Join(home, ".docker", "cli-plugins", "docker-compose")
	write(t, plugin, "#!/bin/sh\n")
	if err := os.Chmod(plugin, 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		cmd := exec.Command(kompose, append([]string{"--root", root}, args...)...)
		cmd.Env = append(os.Environ(),
			"PATH="+fakebin+string(os.PathListSeparator)+os.Getenv("PATH"),
			"HOME="+home, "NO_COLOR=1", systemPluginDirsVar+"="+filepath.Join(work, "none"),
			"FAKE_DOCKER_LOG="+filepath.Join(work, "docker.log"), "FAKE_DOCKER_FAIL=b", "FAKE_DOCKER_STDOUT=compose says hi",
		)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		_ = cmd.Run()
		return out.String()
	}
	out := run("*", "up", "-d")
	if strings.Contains(out, "0d4c5a6e") || strings.Contains(out, srv.URL) {
		t.Errorf("the URL is in the output:\n%s", out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] != "/0d4c5a6e-uuid/start " || !strings.HasPrefix(got[1], "/0d4c5a6e-uuid/fail ") {
		t.Fatalf("pings: %q", got)
	}
	for _, want := range []string{"compose says hi\n", "<== b FAILED", "kompose up: 1 succeeded, 1 failed out of 2 stacks", "b: docker compose failed: exit status 1"} {
		if !strings.Contains(got[1], want) {
			t.Errorf("the /fail body lacks %q:\n%s", want, got[1])
		}
	}
	got = nil
	mu.Unlock()
	run("*", "ps")
	run("*", "up", "--dry-run")
	mu.Lock()
	if len(got) != 0 {
		t.Errorf("ps and a dry run pinged: %q", got)
	}
}

// TestPingBodiesWithParallelStacks runs two stacks at once (-j 2), each
// with its own KOMPOSE_PING_URL, against a real HTTP server on
// 127.0.0.1: each monitor gets its own stack's output and never the
// other's, and a secret a hook passed on through $KOMPOSE_ENV (and then
// printed) reaches no body. A run URL with a trailing space, pointing
// where nothing listens, is warned about without its path.
func TestPingBodiesWithParallelStacks(t *testing.T) {
	kompose, err := exec.LookPath("kompose")
	if err != nil {
		t.Fatal(err)
	}
	fakebin, err := filepath.Abs("testdata/fakebin")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got[r.URL.Path] += string(b)
		mu.Unlock()
	}))
	defer srv.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	l.Close()

	work := t.TempDir()
	root := filepath.Join(work, "stacks")
	write(t, filepath.Join(root, ".env"), "KOMPOSE_PING_URL='HTTP://"+down+"/run-0d4c5a6e '\n")
	const token = "Tok-a1b2c3d4e5f6"
	for _, s := range []string{"a", "b"} {
		write(t, filepath.Join(root, s, "compose.yaml"), "services: {web: {image: nginx}}\n")
		write(t, filepath.Join(root, s, ".env"), "KOMPOSE_PING_URL="+srv.URL+"/"+s+"\n")
		hooks := "hook_pre_up() { for i in 1 2 3 4 5; do echo private-" + s + "-line-$i; sleep 0.1; done; }\n"
		if s == "a" {
			// passes a token on, then a later step prints it
			hooks = "hook_pre_up() { for i in 1 2 3 4 5; do echo private-a-line-$i; sleep 0.1; done; echo DEPLOY_TOKEN=" + token + " >>\"$KOMPOSE_ENV\"; }\n" +
				"hook_post_up() { echo \"the token is $DEPLOY_TOKEN\"; }\n"
		}
		write(t, filepath.Join(root, s, "hooks.sh"), hooks)
	}
	home := filepath.Join(work, "home")
	plugin := filepath.Join(home, ".docker", "cli-plugins", "docker-compose")
	write(t, plugin, "#!/bin/sh\n")
	if err := os.Chmod(plugin, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(kompose, "--root", root, "-j", "2", "*", "up", "-d")
	cmd.Env = append(os.Environ(),
		"PATH="+fakebin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+home, "NO_COLOR=1", systemPluginDirsVar+"="+filepath.Join(work, "none"),
		"FAKE_DOCKER_LOG="+filepath.Join(work, "docker.log"),
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	_ = cmd.Run()
	// (the hook's own line shows the token: what hooks print is theirs)
	if strings.Contains(out.String(), "0d4c5a6e") {
		t.Errorf("the run URL is in the output:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "warning: ping") {
		t.Errorf("no warning about the run's ping:\n%s", out.String())
	}
	mu.Lock()
	defer mu.Unlock()
	a, b := got["/a"], got["/b"]
	if !strings.Contains(a, "private-a-line-5") || !strings.Contains(b, "private-b-line-5") {
		t.Errorf("a stack's own output is missing:\n/a: %s\n/b: %s\n%s", a, b, out.String())
	}
	if strings.Contains(a, "private-b") || strings.Contains(b, "private-a") {
		t.Errorf("a monitor got another stack's output:\n/a: %s\n/b: %s", a, b)
	}
	if !strings.Contains(a, "the token is ****") {
		t.Errorf("/a body lacks the hook's masked line:\n%s", a)
	}
	for path, body := range got {
		if strings.Contains(body, token) {
			t.Errorf("%s: the token passed on through $KOMPOSE_ENV went out:\n%s", path, body)
		}
	}
}
