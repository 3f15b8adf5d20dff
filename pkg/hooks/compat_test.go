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
	"github.com/kompose-dev/kompose/pkg/trust"
)

// runHook calls fn of the hooks.sh in dir as kompose does (gated, with
// its report) and returns its output and outcome.
func runHook(t *testing.T, dir, fn string, args ...string) (string, error) {
	t.Helper()
	s, err := ParseFile(filepath.Join(dir, "hooks.sh"))
	if err != nil {
		t.Fatal(err)
	}
	var out, report bytes.Buffer
	err = proc.OS{}.Run(context.Background(), proc.Cmd{
		Argv: s.Argv(fn, args), Dir: dir,
		// What kompose sets for every hook (SCRIPT_DIR, stack): hooks run
		// under set -u, as under kompose.sh.
		Env:    []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "SCRIPT_DIR=" + filepath.Dir(dir), "stack=" + filepath.Base(dir)},
		Stdout: &out, Stderr: &out, Gate: true, Report: &report,
	})
	return out.String(), Outcome(fn, report.Bytes(), err)
}

func stackDir(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "blog")
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestKomposeShIdioms runs hooks.sh files written for kompose.sh: they
// behave as kompose.sh ran them (sourced, then the function called in a
// || list).
func TestKomposeShIdioms(t *testing.T) {
	for _, tc := range []struct {
		name, hooks, fn string
		wantOut         string
		wantCode        int
		check           func(error) bool
	}{
		{name: "a false test as the last line", fn: "hook_pre_up",
			hooks:   "hook_pre_up() { echo pre; }\n[[ -n \"${DEBUG:-}\" ]] && set -x\n",
			wantOut: "pre\n"},
		{name: "set -euo pipefail and a failing command inside", fn: "hook_pre_down",
			hooks:   "set -euo pipefail\nhook_pre_down() { ./backup.sh; echo after; return 0; }\n",
			wantOut: "after\n"},
		{name: "the function's own status decides", fn: "hook_pre_up",
			hooks:    "set -e\nhook_pre_up() { true; return 4; }\n",
			wantCode: 4},
		{name: "a top-level exit 0 is not success", fn: "hook_pre_up",
			hooks:    "hook_pre_up() { echo ran; }\nexit 0\n",
			wantCode: 1, check: func(err error) bool { var e *NotRunError; return errors.As(err, &e) }},
		{name: "a top-level exit 3", fn: "hook_pre_up",
			hooks:    "hook_pre_up() { echo ran; }\nexit 3\n",
			wantCode: 3, check: func(err error) bool { var e *NotRunError; return errors.As(err, &e) }},
		{name: "a conditional definition not taken", fn: "hook_pre_up",
			hooks: "if [[ -n ${ENABLE_UP-} ]]; then\n  hook_pre_up() { echo ran; }\nfi\n",
			check: func(err error) bool { var e *NotDefinedError; return errors.As(err, &e) }},
		{name: "unset -f", fn: "hook_pre_up",
			hooks: "hook_pre_up() { echo ran; }\nunset -f hook_pre_up\n",
			check: func(err error) bool { var e *NotDefinedError; return errors.As(err, &e) }},
		{name: "eval", fn: "hook_pre_up",
			hooks:   "eval 'hook_pre_up() { echo from eval; }'\n",
			wantOut: "from eval\n"},
		{name: "exit inside the function ends the hook with its status", fn: "hook_pre_up",
			hooks:    "hook_pre_up() { exit 5; }\n",
			wantCode: 5},
		// kompose.sh's own set -euo pipefail (issue 17, item 5).
		{name: "kompose.sh's strict mode is on", fn: "hook_pre_up",
			hooks:   "hook_pre_up() { [[ $- == *e*u* || $- == *u*e* ]] && [[ -o pipefail ]] && ! shopt -q sourcepath && echo strict; }\n",
			wantOut: "strict\n"},
		{name: "an unset variable stops the hook", fn: "hook_pre_up",
			hooks:   "hook_pre_up() { echo \"$UNSET_IN_KOMPOSE_TEST\"; echo after; }\n",
			wantOut: "UNSET_IN_KOMPOSE_TEST: unbound variable\n", wantCode: 1},
		{name: "an unset variable at the top level", fn: "hook_pre_up",
			hooks:    "echo \"$UNSET_IN_KOMPOSE_TEST\"\nhook_pre_up() { echo ran; }\n",
			wantCode: 127, check: func(err error) bool { var e *NotRunError; return errors.As(err, &e) }},
		{name: "pipefail", fn: "hook_pre_up",
			hooks:    "hook_pre_up() { (exit 3) | cat; }\n",
			wantCode: 3},
		{name: "errexit stays suspended while sourcing", fn: "hook_pre_up",
			hooks:   "false\nhook_pre_up() { echo ran; }\n",
			wantOut: "ran\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := stackDir(t, map[string]string{"hooks.sh": tc.hooks})
			out, err := runHook(t, dir, tc.fn, "up")
			if tc.wantOut != "" && !strings.HasSuffix(out, tc.wantOut) {
				t.Errorf("printed %q, want %q", out, tc.wantOut)
			}
			if tc.check != nil {
				if !tc.check(err) {
					t.Errorf("outcome %v (%T)", err, err)
				}
			}
			if code := proc.ExitCode(err); code != tc.wantCode && !(tc.check != nil && tc.wantCode == 0) {
				t.Errorf("exit %d (%v), want %d; output %q", code, err, tc.wantCode, out)
			}
		})
	}
}

func TestDiscoveryFollowsSource(t *testing.T) {
	dir := stackDir(t, map[string]string{
		"hooks.sh": `source ./lib/common.sh
. "${SCRIPT_DIR}/${stack}/lib/db.sh"
source "$HOME/.hooks"; source ~/.hooks
eval "$(cat generated.sh)"
hook_pre_up() { helper; }
hook_post_up() { source lib/late.sh; }
`,
		"lib/common.sh": "helper() { echo help; }\nhook_pre_down() { helper; }\n",
		"lib/db.sh":     "source lib/common.sh\nhook_post_db_export() { :; }\n",
		"lib/late.sh":   "hook_pre_pull() { :; }\n",
	})
	s, err := ParseFile(filepath.Join(dir, "hooks.sh"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range s.HookFuncs() {
		got = append(got, f.Name+"@"+f.Where())
	}
	want := []string{"hook_pre_up@hooks.sh:5", "hook_post_up@hooks.sh:6", "hook_pre_down@lib/common.sh:2", "hook_post_db_export@lib/db.sh:2"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hooks = %v, want %v", got, want)
	}
	var files []string
	for _, f := range s.Files {
		files = append(files, strings.TrimPrefix(f.Path, dir+"/")+"<"+f.From)
	}
	wantFiles := []string{"hooks.sh<", "lib/common.sh<hooks.sh:1", "lib/db.sh<hooks.sh:2", "lib/late.sh<hooks.sh:6"}
	if !reflect.DeepEqual(files, wantFiles) {
		t.Errorf("files = %v, want %v", files, wantFiles)
	}
	var notes []string
	for _, n := range s.Notes {
		notes = append(notes, n.Where)
	}
	if !reflect.DeepEqual(notes, []string{"hooks.sh:3", "hooks.sh:3", "hooks.sh:4"}) {
		t.Errorf("notes = %v, want the computed source (line 3) and the eval (line 4)", s.Notes)
	}
	// What discovery found is what bash runs.
	out, err := runHook(t, dir, "hook_pre_down", "down")
	if err != nil || !strings.HasSuffix(out, "\nhelp\n") {
		t.Errorf("hook_pre_down from lib/common.sh: %q, %v", out, err)
	}
}

func TestParseEnvFile(t *testing.T) {
	data := "IMAGE_TAG=1.2.3\n\n# comment\nEMPTY=\nSPACES=a b = c\r\nbad line\n1X=2\nexport Y=3\nKOMPOSE_STACK=evil\nBASH_ENV=/tmp/evil\nLD_PRELOAD=/tmp/evil.so\nMULTI<<EOF\nline one\nline two\nEOF\nIMAGE_TAG=1.2.4\nOPEN<<END\nnever closed\n"
	vars, problems := ParseEnvFile([]byte(data), "hook_pre_up")
	var got []string
	for _, v := range vars {
		got = append(got, v.Name+"="+v.Value)
	}
	want := []string{"IMAGE_TAG=1.2.3", "EMPTY=", "SPACES=a b = c", "MULTI=line one\nline two", "IMAGE_TAG=1.2.4"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("vars = %q, want %q", got, want)
	}
	wantProblems := []string{
		"hook_pre_up line 6: not NAME=VALUE",
		"hook_pre_up line 7: not NAME=VALUE",
		"hook_pre_up line 8: not NAME=VALUE",
		"hook_pre_up line 9: KOMPOSE_STACK may not be passed on (KOMPOSE_* variables are kompose's own)",
		"hook_pre_up line 10: BASH_ENV may not be passed on (it makes every non-interactive bash (each hook) source the file it names)",
		"hook_pre_up line 11: LD_PRELOAD may not be passed on",
		"hook_pre_up line 17: OPEN<<END has no closing END line",
	}
	if len(problems) != len(wantProblems) {
		t.Fatalf("problems = %q, want %d", problems, len(wantProblems))
	}
	for i, p := range problems {
		if !strings.HasPrefix(p, wantProblems[i]) {
			t.Errorf("problem %d = %q, want %q...", i, p, wantProblems[i])
		}
		if strings.Contains(p, "evil") || strings.Contains(p, "bad line") {
			t.Errorf("problem %q shows a value", p)
		}
	}
}

func TestUnchanged(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "hooks.sh")
	if err := os.WriteFile(p, []byte("hook_pre_up() { :; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	f := File{Path: p, Info: fi}
	if err := Unchanged(f); err != nil {
		t.Fatalf("unchanged file: %v", err)
	}
	// Replaced by rename: another inode.
	tmp := filepath.Join(dir, "new")
	if err := os.WriteFile(tmp, []byte("hook_pre_up() { :; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
	var ce *ChangedError
	if err := Unchanged(f); !errors.As(err, &ce) || !strings.Contains(err.Error(), "replaced") {
		t.Errorf("replaced file: %v", err)
	}
	// Edited in place.
	fi, _ = os.Stat(p)
	f = File{Path: p, Info: fi}
	if err := os.WriteFile(p, []byte("hook_pre_up() { touch /tmp/x; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Unchanged(f); !errors.As(err, &ce) {
		t.Errorf("edited file: %v", err)
	}
}

// TestBuiltinsShadowed: a hooks.sh that defines functions named like the
// builtins kompose's wrapper uses does not change how the hook is judged.
func TestBuiltinsShadowed(t *testing.T) {
	dir := stackDir(t, map[string]string{"hooks.sh": "echo() { :; }\nexit() { :; }\nshift() { :; }\nhook_pre_up() { printf 'ran %s\\n' \"$1\"; return 6; }\n"})
	out, err := runHook(t, dir, "hook_pre_up", "up")
	if !strings.HasSuffix(out, "ran up\n") || proc.ExitCode(err) != 6 {
		t.Errorf("printed %q, outcome %v; want the hook run with its status 6", out, err)
	}
}

// TestCheckTreeFollowsSources: the files hooks.sh sources and the folders
// holding them fall under the rule; world-writable needs no other account.
func TestCheckTreeFollowsSources(t *testing.T) {
	dir := stackDir(t, map[string]string{
		"hooks.sh":      "source lib/common.sh\nhook_pre_up() { helper; }\n",
		"lib/common.sh": "helper() { :; }\n",
	})
	check := func() error {
		s, err := ParseFile(filepath.Join(dir, "hooks.sh"))
		if err != nil {
			t.Fatal(err)
		}
		return CheckTree(trust.NewTree(trust.Current()), Set{Script: s}, nil)
	}
	if err := check(); err != nil {
		t.Fatalf("a trusted tree: %v", err)
	}
	lib := filepath.Join(dir, "lib")
	if err := os.Chmod(lib, 0o777); err != nil {
		t.Fatal(err)
	}
	err := check()
	if err == nil || !strings.Contains(err.Error(), "common.sh (sourced at hooks.sh:1): refusing to source "+lib+": it is world-writable") || !strings.Contains(err.Error(), "fix: chmod o-w "+lib) {
		t.Errorf("a world-writable folder of a sourced file: %v", err)
	}
	if err := os.Chmod(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(lib, "common.sh"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := check(); err == nil || !strings.Contains(err.Error(), "common.sh: it is world-writable") {
		t.Errorf("a world-writable sourced file: %v", err)
	}
	// The stack's folder itself (a parent of hooks.sh).
	if err := os.Chmod(filepath.Join(lib, "common.sh"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := check(); err == nil || !strings.Contains(err.Error(), "refusing to run hooks from "+dir+": it is world-writable") {
		t.Errorf("a world-writable stack folder: %v", err)
	}
}

// A file sourced inside a function that the parser cannot read is still
// checked (bash may source it) and its problem is a note, not a failure of
// the stack. Sourced while hooks.sh is sourced, it is an error: the hooks
// it defines would be missing.
func TestUnparsableSourcedFileIsChecked(t *testing.T) {
	dir := stackDir(t, map[string]string{
		"hooks.sh":    "hook_pre_up() { source ./odd.sh; }\n",
		"top.sh":      "source ./odd.sh\nhook_pre_up() { :; }\n",
		"odd.sh":      "if then fi (\n",
		"crlf.sh":     "source ./crlf-lib.sh\n",
		"crlf-lib.sh": "hook_pre_down() {\r\n  return 1\r\n}\r\n",
		"in-func.sh":  "f() { source ./crlf-lib.sh; }\n",
		"extglob.sh":  "hook_pre_down() { return 1; }\nsource ./glob-lib.sh\n",
		"glob-lib.sh": "\nf() { case $1 in +([0-9])) ;; esac; }\n",
		"extglob2.sh": "shopt -s extglob\nsource ./glob-lib.sh\n",
	})
	for file, want := range map[string]string{
		"top.sh":     dir + "/odd.sh:1: odd.sh does not parse: ",
		"crlf.sh":    dir + "/crlf-lib.sh:1: crlf-lib.sh has Windows (CRLF) line endings",
		"extglob.sh": dir + "/glob-lib.sh:2: +(...) is an extended glob, but bash reads this line with extglob off",
	} {
		_, err := ParseFile(filepath.Join(dir, file))
		if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "(sourced at hooks.sh:") {
			t.Errorf("%s: %v, want %s... (sourced at hooks.sh:...)", file, err, want)
		}
	}
	for _, file := range []string{"in-func.sh", "extglob2.sh"} {
		if _, err := ParseFile(filepath.Join(dir, file)); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
	s, err := ParseFile(filepath.Join(dir, "hooks.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Notes) != 1 || !strings.Contains(s.Notes[0].String(), "hooks.sh:1: sources odd.sh: ") {
		t.Errorf("notes = %v", s.Notes)
	}
	if len(s.Files) != 2 || s.Files[1].Path != filepath.Join(dir, "odd.sh") {
		t.Fatalf("files = %v, want hooks.sh and odd.sh", s.Files)
	}
	if err := os.Chmod(filepath.Join(dir, "odd.sh"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := CheckTree(trust.NewTree(trust.Current()), Set{Script: s}, nil); err == nil {
		t.Error("a world-writable sourced file that does not parse was accepted")
	}
}

// TestBashReadsAsParsed: what makes bash read a hooks.sh otherwise than
// the parser is refused with the file and the line (issue 17, item 4).
func TestBashReadsAsParsed(t *testing.T) {
	for _, tc := range []struct{ name, hooks, want string }{
		{"CRLF on line 3", "a() { :; }\nb() { :; }\nc() { :; }\r\n", "hooks.sh:3: hooks.sh has Windows (CRLF) line endings"},
		{"a byte-order mark", "\xef\xbb\xbfhook_pre_up() { :; }\n", "hooks.sh:1: hooks.sh starts with a byte-order mark"},
		{"extglob off", "f() {\n  case $1 in\n    !(x)) ;;\n  esac\n}\n", "hooks.sh:3: !(...) is an extended glob, but bash reads this line with extglob off"},
		{"shopt on the same line", "shopt -s extglob; f() { case $1 in @(a)) ;; esac; }\n", "hooks.sh:1: @(...) is an extended glob"},
		{"shopt in the same function", "f() {\n  shopt -s extglob\n  case $1 in @(a)) ;; esac\n}\n", "hooks.sh:3: @(...) is an extended glob"},
		{"shopt turned off again", "shopt -s extglob\nshopt -u extglob\nf() { case $1 in @(a)) ;; esac; }\n", "hooks.sh:3: @(...) is an extended glob"},
		{"extglob before shopt", "x=a\ncase $x in @(a)) ;; esac\nshopt -s extglob\n", "hooks.sh:2: @(...) is an extended glob"},
		{"shopt -s sourcepath", "f() {\n  shopt -s sourcepath\n}\n", "hooks.sh:2: shopt -s sourcepath makes source search PATH"},
		{"extglob on an earlier line", "shopt -s nullglob extglob\nf() { case $1 in @(a)) ;; esac; }\n", ""},
		{"extglob in [[ ]]", "f() { [[ $1 == @(a|b) ]]; }\n", ""},
		{"a CR inside a line", "f() { printf 'a\rb'; }\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := stackDir(t, map[string]string{"hooks.sh": tc.hooks})
			_, err := ParseFile(filepath.Join(dir, "hooks.sh"))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), dir+"/"+tc.want)):
				t.Errorf("%v, want %s/%s...", err, dir, tc.want)
			}
			if tc.want != "" {
				return
			}
			// bash agrees: sourcing defines f.
			var out bytes.Buffer
			cmd := exec.Command("bash", "-c", `source "$1" && declare -F f`, "bash", filepath.Join(dir, "hooks.sh"))
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				t.Errorf("bash cannot source what kompose accepted: %v %s", err, out.String())
			}
		})
	}
}

// TestConditionalDefinitions: only a function that may not be defined at
// its turn is skipped when missing; one defined unconditionally that bash
// did not define fails its hook.
func TestConditionalDefinitions(t *testing.T) {
	dir := stackDir(t, map[string]string{
		"hooks.sh": `hook_pre_up() { return 1; }
f() { return 0; }
hook_post_up() { :; }
unset -f hook_post_up
[[ -f lib.sh ]] && source lib.sh
[[ -n ${ENABLE-} ]] || return 0
hook_pre_down() { :; }
`,
		"lib.sh": "hook_pre_pull() { :; }\n",
	})
	s, err := ParseFile(filepath.Join(dir, "hooks.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"hook_pre_up": false, "f": false, "hook_post_up": true, "hook_pre_pull": true, "hook_pre_down": true} {
		if fn, ok := s.Lookup(name); !ok || fn.Conditional != want {
			t.Errorf("%s: %+v (found %v), want conditional %v", name, fn, ok, want)
		}
	}
	undefined := []byte("undefined\n")
	var ue *UnreadError
	if err := (Hook{Func: "hook_pre_up", Source: "hooks.sh:1"}).Outcome(undefined, nil); !errors.As(err, &ue) || !strings.Contains(err.Error(), "hook_pre_up (hooks.sh:1) is defined unconditionally but bash did not define it") {
		t.Errorf("unconditional and missing: %v", err)
	}
	var nd *NotDefinedError
	if err := (Hook{Func: "hook_pre_down", Conditional: true}).Outcome(undefined, nil); !errors.As(err, &nd) {
		t.Errorf("conditional and missing: %v", err)
	}
}

// TestSourceThroughBuiltin: `builtin source`, `command .` and a quoted
// source read a file as plain source does: it is followed and checked.
func TestSourceThroughBuiltin(t *testing.T) {
	dir := stackDir(t, map[string]string{
		"hooks.sh": "builtin source a.sh\ncommand -p . ./b.sh\n\\source c.sh\n'source' d.sh\n",
		"a.sh":     "hook_pre_up() { :; }\n",
		"b.sh":     "hook_pre_down() { :; }\n",
		"c.sh":     "hook_pre_pull() { :; }\n",
		"d.sh":     "hook_pre_stop() { :; }\n",
	})
	s, err := ParseFile(filepath.Join(dir, "hooks.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Files) != 5 {
		t.Errorf("files = %v, want hooks.sh and the four it sources", s.Files)
	}
	for _, name := range []string{"hook_pre_up", "hook_pre_down", "hook_pre_pull", "hook_pre_stop"} {
		if fn, ok := s.Lookup(name); !ok || fn.Conditional {
			t.Errorf("%s: %+v, %v", name, fn, ok)
		}
	}
}
