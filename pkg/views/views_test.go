package views

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/internal/stacktest"
	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/engine"
	"github.com/kompose-dev/kompose/pkg/fleet"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/stack"
)

// Secrets of the test root: no view may print them, as text or JSON.
var secrets = []string{"root-s3cret-1", "tok-s3cret-2"}

// root writes a root of three stacks: a (hooks, a secret), b (on another
// engine, over ssh), c (a .env that does not parse); and a docker on
// PATH, which no test runs (the engine probe's process is faked).
func root(t *testing.T) (*fleet.Fleet, []stack.Stack, string) {
	t.Helper()
	dir, stacks := stacktest.Root(t, map[string]string{
		".env":           "DB_PASSWORD=root-s3cret-1\n",
		"a/compose.yaml": "services: {web: {image: nginx}, db: {image: postgres}}\n",
		"a/.env":         "API_TOKEN=tok-s3cret-2\nGREETING=hello\n",
		"a/hooks.sh":     "hook_pre_up() { :; }\nhook_post_up() { :; }\nhook_pre_down() { :; }\n",
		"b/compose.yaml": "services: {app: {image: alpine}}\n",
		"b/.env":         "DOCKER_HOST=ssh://deploy@b.example\n",
		"c/compose.yaml": "services: {x: {image: busybox}}\n",
		"c/.env":         "NOT OK\n",
		"bin/docker":     "#!/bin/sh\nexit 99\n",
	})
	if err := os.Chmod(filepath.Join(dir, "bin", "docker"), 0o755); err != nil {
		t.Fatal(err)
	}
	f := fleet.New(fleet.Options{Root: dir, Environ: []string{"PATH=" + filepath.Join(dir, "bin"), "HOME=" + dir}}, stacks)
	return f, stacks, dir
}

// print prints v as text and as JSON, checks that neither shows a
// secret, and returns the text (stdout and stderr) and the JSON decoded.
func print(t *testing.T, v View) (text string, doc map[string]any) {
	t.Helper()
	ios, _, out, errOut := output.Test()
	if err := v.Print(ios, false); err != nil {
		t.Fatal(err)
	}
	text = out.String() + errOut.String()
	ios, _, jout, jerr := output.Test()
	if err := v.Print(ios, true); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(jout.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, jout)
	}
	for _, s := range secrets {
		if strings.Contains(text+jout.String()+jerr.String(), s) {
			t.Errorf("%q printed:\n%s\n%s%s", s, text, jout, jerr)
		}
	}
	return text, doc
}

// names are the "name" fields of doc's list key.
func names(doc map[string]any, key, field string) []string {
	var out []string
	items, _ := doc[key].([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		s, _ := m[field].(string)
		out = append(out, s)
	}
	return out
}

func TestList(t *testing.T) {
	f, stacks, dir := root(t)
	l, err := CollectList(context.Background(), f, stacks, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.OK() {
		t.Error("OK with a stack whose .env does not parse")
	}
	text, doc := print(t, l)
	if got := strings.Join(names(doc, "stacks", "name"), " "); got != "a b c" || doc["kind"] != "list" || doc["root"] != dir {
		t.Errorf("JSON: kind %v, root %v, stacks %q", doc["kind"], doc["root"], got)
	}
	for _, w := range []string{"hook_pre_up", "hook_post_up", "web", "db", "ssh://deploy@b.example", filepath.Join(dir, "c", ".env")} {
		if !strings.Contains(text, w) {
			t.Errorf("text lacks %q:\n%s", w, text)
		}
	}
	// The same model: a's services in the JSON are the ones in the text.
	a := doc["stacks"].([]any)[0].(map[string]any)
	if got := strings.Join(names(a, "services", "name"), " "); got != "db web" {
		t.Errorf("a's services in the JSON: %q", got)
	}
}

func TestHooks(t *testing.T) {
	f, stacks, _ := root(t)
	h, err := HooksFor(nil, plan.Request{Fleet: f}, stacks, nil)
	if err != nil {
		t.Fatal(err)
	}
	text, doc := print(t, h)
	if doc["kind"] != "hooks" {
		t.Errorf("kind = %v", doc["kind"])
	}
	a := doc["stacks"].([]any)[0].(map[string]any)
	cmds, _ := a["commands"].(map[string]any)
	if len(cmds["up"].([]any)) != 2 || len(cmds["down"].([]any)) != 1 {
		t.Errorf("a's hooks in the JSON: %v", a)
	}
	for _, w := range []string{"hook_pre_up", "hook_post_up", "hook_pre_down"} {
		if !strings.Contains(text, w) {
			t.Errorf("text lacks %q:\n%s", w, text)
		}
	}
	if _, err := HooksFor(nil, plan.Request{Fleet: f}, stacks, []string{"-x"}); err == nil {
		t.Error("hooks -x: no error")
	}

	// With a command: the steps of the plan a run would execute.
	b := &plan.Builder{Detect: func(compose.Lookup) ([]string, error) { return []string{"docker", "compose"}, nil }}
	h, err = HooksFor(b, plan.Request{Root: f.Root(), Fleet: f, Environ: []string{"PATH=/bin"}}, stacks[:1], []string{"up", "-d"})
	if err != nil {
		t.Fatal(err)
	}
	text, doc = print(t, h)
	if doc["command"] != "up" || !strings.Contains(text, "hook_pre_up up -d") || !strings.Contains(text, "docker compose up -d") {
		t.Errorf("hooks up -d:\n%s\n%v", text, doc)
	}
}

// fakeDocker answers docker version for the default engine and fails
// for every other.
type fakeDocker struct{}

func (fakeDocker) Run(_ context.Context, c proc.Cmd) error {
	for _, kv := range c.Env {
		if strings.HasPrefix(kv, "DOCKER_HOST=ssh://") {
			_, _ = c.Stderr.Write([]byte("ssh: connect to host b.example port 22: Connection refused\n"))
			return &proc.ExitError{Code: 1}
		}
	}
	_, _ = c.Stdout.Write([]byte("20.10.24\n"))
	return nil
}

func TestHosts(t *testing.T) {
	f, stacks, _ := root(t)
	for _, dry := range []bool{false, true} {
		h, err := CollectHosts(context.Background(), f, stacks, &engine.Checker{Proc: fakeDocker{}}, dry)
		if err != nil {
			t.Fatal(err)
		}
		if h.OK() {
			t.Errorf("dry=%v: OK with an engine down and a broken .env", dry)
		}
		text, doc := print(t, h)
		engines := names(doc, "hosts", "engine")
		if len(engines) != 2 || engines[1] != "ssh://deploy@b.example" || len(doc["errors"].([]any)) != 1 {
			t.Errorf("dry=%v: JSON hosts %q, errors %v", dry, engines, doc["errors"])
		}
		hosts := doc["hosts"].([]any)
		answers := hosts[0].(map[string]any)["answers"]
		if dry && answers != nil || !dry && answers != true {
			t.Errorf("dry=%v: the default engine answers %v", dry, answers)
		}
		if !dry && (!strings.Contains(text, "20.10.24") || !strings.Contains(text, "Connection refused")) {
			t.Errorf("text lacks the version or why b's engine is down:\n%s", text)
		}
	}
}

func TestStatus(t *testing.T) {
	f, stacks, _ := root(t)
	ps := `{"project":"a","service":"web","oneoff":"False","name":"a-web-1","state":"running","status":"Up 2 minutes (healthy)"}` + "\n" +
		`{"project":"a","service":"db","oneoff":"False","name":"a-db-1","state":"running","status":"Up 2 minutes (unhealthy)"}` + "\n"
	docker := func(_ context.Context, environ, args []string) ([]byte, error) {
		for _, kv := range environ {
			if strings.HasPrefix(kv, "DOCKER_HOST=ssh://") {
				return nil, &proc.ExitError{Code: 1}
			}
		}
		return []byte(ps), nil
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s, err := CollectStatus(context.Background(), f, stacks[:1], docker, now, false)
	if err != nil {
		t.Fatal(err)
	}
	if s.OK() {
		t.Error("OK with an unhealthy container")
	}
	text, doc := print(t, s)
	st := doc["stacks"].([]any)[0].(map[string]any)
	if doc["kind"] != "status" || doc["ok"] != false || st["name"] != "a" || st["project"] != "a" || st["running"] != 2.0 {
		t.Errorf("JSON: %v", doc)
	}
	// The text's row says the same: both running, one unhealthy.
	if !strings.Contains(text, "running") || !strings.Contains(text, "unhealthy") {
		t.Errorf("text:\n%s", text)
	}
	// A dry run asks no engine.
	s, err = CollectStatus(context.Background(), f, stacks, func(context.Context, []string, []string) ([]byte, error) {
		t.Error("a dry run asked docker")
		return nil, nil
	}, now, true)
	if err != nil {
		t.Fatal(err)
	}
	if !s.OK() {
		t.Error("a dry run is not OK")
	}
}
