package main

import (
	"bytes"
	"encoding/json"
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

// TestNotify runs kompose with KOMPOSE_NOTIFY_URL (a generic JSON webhook
// on a real HTTP server on 127.0.0.1) in the root .env, two stacks at once
// (-j 2), one failing: exactly one message, the failed stack's, with its
// own output and a secret a hook passed on masked; the URL is in no output
// of the run nor of its dry run, and ps (a view) sends nothing.
func TestNotify(t *testing.T) {
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
	url := "generic://" + strings.TrimPrefix(srv.URL, "http://") + "/hook/0d4c5a6e-path?disabletls=yes&template=json"

	work := t.TempDir()
	root := filepath.Join(work, "stacks")
	write(t, filepath.Join(root, ".env"), "KOMPOSE_NOTIFY_URL='"+url+"'\n")
	const token = "Tok-a1b2c3d4e5f6"
	for _, s := range []string{"a", "b"} {
		write(t, filepath.Join(root, s, "compose.yaml"), "services: {web: {image: nginx}}\n")
		write(t, filepath.Join(root, s, "hooks.sh"), "hook_pre_up() { echo private-"+s+"-line; echo DEPLOY_TOKEN="+token+" >>\"$KOMPOSE_ENV\"; }\nhook_fail_up() { echo \"the token is $DEPLOY_TOKEN\"; }\n")
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
	out := run("-j", "2", "*", "up", "-d")
	if strings.Contains(out, "0d4c5a6e") || strings.Contains(out, srv.URL) {
		t.Errorf("the URL is in the output:\n%s", out)
	}
	mu.Lock()
	if len(got) != 1 || !strings.HasPrefix(got[0], "/hook/0d4c5a6e-path ") {
		t.Fatalf("messages: %q\noutput:\n%s", got, out)
	}
	var msg struct{ Title, Message string }
	if err := json.Unmarshal([]byte(strings.SplitN(got[0], " ", 2)[1]), &msg); err != nil {
		t.Fatal(err)
	}
	got = nil
	mu.Unlock()
	if !strings.HasPrefix(msg.Title, "kompose: b up failed on ") {
		t.Errorf("title %q", msg.Title)
	}
	for _, want := range []string{"stack:    b\n", "command:  up\n", "status:   failed (exit status 1)", "private-b-line", "the token is ****"} {
		if !strings.Contains(msg.Message, want) {
			t.Errorf("the message lacks %q:\n%s", want, msg.Message)
		}
	}
	if strings.Contains(msg.Message, token) || strings.Contains(msg.Message, "private-a-line") {
		t.Errorf("the message holds the token or stack a's output:\n%s", msg.Message)
	}
	run("*", "ps")
	dry := run("*", "up", "--dry-run")
	if strings.Contains(dry, "0d4c5a6e") || !strings.Contains(dry, "KOMPOSE_NOTIFY_URL=****") {
		t.Errorf("dry run:\n%s", dry)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 0 {
		t.Errorf("ps and a dry run notified: %q", got)
	}
}
