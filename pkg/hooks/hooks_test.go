package hooks

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kompose-dev/kompose/pkg/proc"
)

func write(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hooks.sh")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFuncName(t *testing.T) {
	for _, tt := range []struct {
		phase   Phase
		command string
		want    string
	}{
		{Pre, "up", "hook_pre_up"},
		{Post, "down", "hook_post_down"},
		{Pre, "db:export", "hook_pre_db_export"},
		{Post, "db:import", "hook_post_db_import"},
		{Pre, "run-once", "hook_pre_run_once"},
	} {
		if got := FuncName(tt.phase, tt.command); got != tt.want {
			t.Errorf("FuncName(%s, %q) = %q, want %q", tt.phase, tt.command, got, tt.want)
		}
	}
}

func TestParseFile(t *testing.T) {
	src := `#!/usr/bin/env bash
# helpers are functions too
log() { echo "$*"; }

hook_pre_up() {
  log "pre up $*"
  inner_helper() { :; }   # defined only when hook_pre_up runs
}

function hook_post_up {
  log "post up"
}

if [[ -n ${ENABLE_DB-} ]]; then
  hook_pre_db_export() { :; }
fi

hook_post_down() { echo first; }
hook_post_down() { echo second; }   # bash keeps the last one
readonly X=1
`
	s, err := ParseFile(write(t, src))
	if err != nil {
		t.Fatal(err)
	}
	wantFuncs := []Func{{Name: "log", Line: 3}, {Name: "hook_pre_up", Line: 5}, {Name: "hook_post_up", Line: 10}, {Name: "hook_pre_db_export", Line: 15, Conditional: true}, {Name: "hook_post_down", Line: 19}}
	if !reflect.DeepEqual(s.Funcs, wantFuncs) {
		t.Errorf("Funcs = %v, want %v", s.Funcs, wantFuncs)
	}
	wantHooks := []Func{{Name: "hook_pre_up", Line: 5}, {Name: "hook_post_up", Line: 10}, {Name: "hook_pre_db_export", Line: 15, Conditional: true}, {Name: "hook_post_down", Line: 19}}
	if got := s.HookFuncs(); !reflect.DeepEqual(got, wantHooks) {
		t.Errorf("HookFuncs() = %v, want %v", got, wantHooks)
	}
	for name, wantLine := range map[string]int{"hook_pre_up": 5, "hook_post_down": 19, "log": 3} {
		if fn, ok := s.Lookup(name); !ok || fn.Line != wantLine {
			t.Errorf("Lookup(%q) = %v, %v; want line %d", name, fn, ok, wantLine)
		}
	}
	for _, name := range []string{"inner_helper", "hook_pre_down", "hook_pre_u", ""} {
		if fn, ok := s.Lookup(name); ok {
			t.Errorf("Lookup(%q) found %v", name, fn)
		}
	}
	var none *Script
	if _, ok := none.Lookup("hook_pre_up"); ok {
		t.Error("a nil script has hooks")
	}
}

func TestParseFileErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      string
	}{
		{"unclosed function", "hook_pre_up() {\n  echo hi\n\nhook_post_up() { :; }\n", ":1: "},
		{"unclosed quote", "x=1\nhook_pre_up() { echo \"oops; }\n", ":2: "},
		{"stray fi", "a() { :; }\nb() { :; }\nfi\n", ":3: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := write(t, tt.src)
			_, err := ParseFile(p)
			if err == nil {
				t.Fatal("ParseFile succeeded")
			}
			if !strings.HasPrefix(err.Error(), p+tt.line) || !strings.Contains(err.Error(), "does not parse") {
				t.Errorf("error %q, want it to start with %q", err, p+tt.line)
			}
		})
	}
	missing := filepath.Join(t.TempDir(), "hooks.sh")
	if _, err := ParseFile(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("ParseFile(missing) error = %v", err)
	}
}

// TestArgvRunsRealBash runs the argv of hooks with real bash: each call
// sources hooks.sh and runs only the one function, with the arguments
// intact, in its own process.
func TestArgvRunsRealBash(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatal("bash is required for hooks:", err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "hooks.sh")
	src := `SOURCED=$((${SOURCED:-0}+1))
hook_pre_up() {
  printf '<%s>' "$@"; echo " sourced=$SOURCED fn=$FUNCNAME pwd=${PWD##*/} leaked=${LEAK-unset}"
  LEAK=set
  declare -g LEAK
}
hook_post_up() { echo "post sees ${LEAK-unset}"; exit 7; }
`
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := ParseFile(p)
	if err != nil {
		t.Fatal(err)
	}
	// Hooks wait at a start gate (fd 3) and report on fd 4: run them the
	// way kompose does.
	runArgv := func(argv []string) (string, int) {
		var out, report bytes.Buffer
		err := proc.OS{}.Run(context.Background(), proc.Cmd{
			Argv: argv, Dir: dir, Env: []string{"PATH=" + os.Getenv("PATH")},
			Stdout: &out, Stderr: &out, Gate: true, Report: &report,
		})
		var ee *proc.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		err = Outcome(argv[5], report.Bytes(), err)
		return out.String(), proc.ExitCode(err)
	}
	run := func(fn string, args ...string) (string, int) { return runArgv(s.Argv(fn, args)) }
	out, code := run("hook_pre_up", "up", "-d", "two words", `"quoted" $HOME`, "")
	want := "<up><-d><two words><\"quoted\" $HOME><> sourced=1 fn=hook_pre_up pwd=" + filepath.Base(dir) + " leaked=unset\n"
	if out != want || code != 0 {
		t.Errorf("pre hook printed %q (exit %d), want %q", out, code, want)
	}
	out, code = run("hook_post_up", "up")
	if out != "post sees unset\n" || code != 7 {
		t.Errorf("post hook printed %q (exit %d): want its own process and exit status 7", out, code)
	}

	// As kompose.sh: the status of sourcing hooks.sh is ignored.
	broken := filepath.Join(dir, "broken.sh")
	if err := os.WriteFile(broken, []byte("hook_pre_up() { echo ran; }\nfalse_command_that_does_not_exist_kompose\nreturn 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bs := &Script{Path: broken}
	out, code = runArgv(bs.Argv("hook_pre_up", nil))
	if code != 0 || !strings.Contains(out, "ran") {
		t.Errorf("a hooks.sh whose sourcing returned 3 did not run the hook as kompose.sh did: %q, exit %d", out, code)
	}

	// A hook whose gate closes without the start message does nothing,
	// not even source hooks.sh, and exits 125.
	marker := filepath.Join(dir, "sourced")
	if err := os.WriteFile(p, []byte("touch "+marker+"\nhook_pre_up() { touch "+marker+"; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	started, err := proc.OS{}.Start(context.Background(), proc.Cmd{Argv: s.Argv("hook_pre_up", nil), Dir: dir, Gate: true})
	if err != nil {
		t.Fatal(err)
	}
	started.Abort()
	if code := proc.ExitCode(started.Wait()); code != 125 {
		t.Errorf("aborted hook exited %d, want 125", code)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("an aborted hook sourced hooks.sh")
	}
}

// A literal path under /dev or /proc names a device or a descriptor of
// bash's own (exec 3< /tmp/x.sh; source /dev/fd/3), not a file kompose can
// check: sourcing one while hooks.sh is sourced is refused like any file
// that is not regular, whether or not the descriptor happens to exist in
// kompose's own process; inside a function it is a note.
func TestSourceDescriptorRefused(t *testing.T) {
	for _, src := range []string{"/dev/fd/3", "/dev/fd/97", "/dev/stdin", "/proc/self/fd/5", "/dev/fd/../fd/4"} {
		p := write(t, "exec 3< /tmp/x.sh\nsource "+src+"\nhook_pre_up() { :; }\n")
		_, err := ParseFile(p)
		if err == nil || !strings.Contains(err.Error(), "not a regular file") || !strings.Contains(err.Error(), "hooks.sh:2") {
			t.Errorf("source %s: %v, want a refusal naming hooks.sh:2", src, err)
		}
		p = write(t, "hook_pre_up() { source "+src+"; }\n")
		s, err := ParseFile(p)
		if err != nil {
			t.Errorf("source %s in a function: %v", src, err)
			continue
		}
		if len(s.Notes) != 1 || !strings.Contains(s.Notes[0].Text, "not a regular file") {
			t.Errorf("source %s in a function: notes %v", src, s.Notes)
		}
	}
}
