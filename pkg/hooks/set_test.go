package hooks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeMode(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func TestSetOrder(t *testing.T) {
	root := t.TempDir()
	stack := filepath.Join(root, "blog")
	for _, n := range []string{"pre-up", "post-up", "fail-up", "pre-db-export"} {
		writeMode(t, filepath.Join(root, "hooks", n), "#!/bin/sh\n", 0o755)
		writeMode(t, filepath.Join(stack, "hooks", n), "#!/bin/sh\n", 0o755)
	}
	writeMode(t, filepath.Join(stack, "hooks", "post-down"), "#!/bin/sh\n", 0o644)
	writeMode(t, filepath.Join(stack, "hooks", "pre-up.sample"), "", 0o755)
	writeMode(t, filepath.Join(stack, "hooks", "README"), "", 0o644)
	writeMode(t, filepath.Join(stack, "hooks.sh"), "hook_pre_up() { :; }\nhook_post_up() { :; }\nhook_fail_up() { :; }\nhook_post_db_export() { :; }\nhelper() { :; }\n", 0o644)

	rootDir, err := ScanDir(filepath.Join(root, "hooks"), "../hooks", FromRoot)
	if err != nil {
		t.Fatal(err)
	}
	stackDir, err := ScanDir(filepath.Join(stack, "hooks"), "hooks", FromStack)
	if err != nil {
		t.Fatal(err)
	}
	script, err := ParseFile(filepath.Join(stack, "hooks.sh"))
	if err != nil {
		t.Fatal(err)
	}
	set := Set{Root: rootDir, Stack: stackDir, Script: script}
	sources := func(p Phase, cmd string) []string {
		var out []string
		for _, h := range set.For(p, cmd) {
			out = append(out, h.Source)
		}
		return out
	}
	for _, tc := range []struct {
		p    Phase
		cmd  string
		want []string
	}{
		{Pre, "up", []string{"../hooks/pre-up", "hooks/pre-up", "hooks.sh:1"}},
		{Post, "up", []string{"hooks.sh:2", "hooks/post-up", "../hooks/post-up"}},
		{Fail, "up", []string{"hooks.sh:3", "hooks/fail-up", "../hooks/fail-up"}},
		{Pre, "db:export", []string{"../hooks/pre-db-export", "hooks/pre-db-export"}},
		{Post, "db:export", []string{"hooks.sh:4"}},
		{Pre, "logs", nil},
	} {
		if got := sources(tc.p, tc.cmd); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("For(%s, %s) = %q, want %q", tc.p, tc.cmd, got, tc.want)
		}
	}
	down := set.For(Post, "down")
	if len(down) != 1 || !strings.Contains(down[0].NotRun, "not executable") {
		t.Errorf("For(post, down) = %+v, want the file marked not executable", down)
	}
	if got, want := set.Commands(), []string{"db-export", "down", "up"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Commands = %q, want %q", got, want)
	}
	if h := set.For(Pre, "up")[2]; h.Name() != "pre-up" || h.Label() != "hook_pre_up" || h.Executable() {
		t.Errorf("hooks.sh hook = %+v", h)
	}
}

func TestScanDirMissing(t *testing.T) {
	d, err := ScanDir(filepath.Join(t.TempDir(), "hooks"), "hooks", FromStack)
	if d != nil || err != nil {
		t.Fatalf("ScanDir of nothing = %v, %v", d, err)
	}
	var set Set
	if hs, cmds := set.For(Pre, "up"), set.Commands(); len(hs) != 0 || len(cmds) != 0 {
		t.Fatalf("empty set gives %v, %v", hs, cmds)
	}
}

func TestParseFileName(t *testing.T) {
	for name, want := range map[string]string{
		"pre-up": "pre up", "post-db-export": "post db-export", "fail-up": "fail up",
		"pre-": "", "pre--x": "", "pre-up.sample": "", "pre-Up": "", "during-up": "", "pre_up": "", "README": "",
	} {
		p, cmd, ok := parseFileName(name)
		got := ""
		if ok {
			got = string(p) + " " + cmd
		}
		if got != want {
			t.Errorf("parseFileName(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestInfoJSONSchema pins the JSON executable hooks read: changing a name
// or a type breaks users' hooks.
func TestInfoJSONSchema(t *testing.T) {
	code, dump := 3, "/s/db.sql"
	i := Info{Stack: "blog", Command: "db:export", Hook: "fail-db-export", Root: "/s",
		RecordedAt: "2026-11-21T03:15:07Z", Performer: "alice", Version: "1.0",
		Runtime: Seconds(1600e6), ExitCode: &code, DumpFile: &dump}
	want := `{"stack":"blog","command":"db:export","args":[],"hook":"fail-db-export","root":"/s","recorded_at":"2026-11-21T03:15:07Z","performer":"alice","version":"1.0","runtime":2,"exit_code":3,"dump_file":"/s/db.sql"}` + "\n"
	if got := string(i.JSON()); got != want {
		t.Errorf("JSON =\n%s want\n%s", got, want)
	}
	var m map[string]any
	if err := json.Unmarshal((&Info{}).JSON(), &m); err != nil {
		t.Fatal(err)
	}
	if m["runtime"] != nil || m["exit_code"] != nil || m["dump_file"] != nil {
		t.Errorf("unset values should be null: %v", m)
	}
	env := strings.Join(i.Environ(), "\n")
	for _, kv := range []string{"KOMPOSE_STACK=blog", "KOMPOSE_COMMAND=db:export", "KOMPOSE_HOOK=fail-db-export",
		"KOMPOSE_ROOT=/s", "KOMPOSE_PERFORMER=alice", "KOMPOSE_RECORDED_AT=2026-11-21T03:15:07Z",
		"KOMPOSE_VERSION=1.0", "KOMPOSE_RUNTIME=2", "KOMPOSE_EXIT_CODE=3", "KOMPOSE_DUMP_FILE=/s/db.sql"} {
		if !strings.Contains(env+"\n", kv+"\n") {
			t.Errorf("Environ lacks %s:\n%s", kv, env)
		}
	}
}

func TestPerformer(t *testing.T) {
	envOf := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	if got := Performer(0, envOf(map[string]string{"SUDO_USER": "alice"})); got != "alice" {
		t.Errorf("root through sudo: %q, want alice", got)
	}
	// An id with no passwd entry falls back to $USER, $LOGNAME, the number.
	const nobody = 2147483600
	if got := Performer(nobody, envOf(map[string]string{"USER": "bob", "LOGNAME": "carol", "SUDO_USER": "x"})); got != "bob" {
		t.Errorf("Performer = %q, want bob", got)
	}
	if got := Performer(nobody, envOf(map[string]string{"LOGNAME": "carol"})); got != "carol" {
		t.Errorf("Performer = %q, want carol", got)
	}
	if got := Performer(nobody, envOf(nil)); got != "2147483600" {
		t.Errorf("Performer = %q, want the uid", got)
	}
	if got := FormatTime(mustTime(t, "2026-11-21T04:15:07+01:00")); got != "2026-11-21T03:15:07Z" {
		t.Errorf("FormatTime = %q", got)
	}
}

func mustTime(t *testing.T, s string) (tm time.Time) {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}
