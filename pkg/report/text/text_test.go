package text

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/run"
)

func secretFiles() map[string]string {
	return map[string]string{
		".env":           "DB_PASSWORD=rootpass-123\nDATABASE_URL=pg://app:${DB_PASSWORD}@db/app\nAPI_TOKEN=tok-abcdef\n",
		"a/compose.yaml": svc,
		"a/.env":         "MY_SECRET=stack-secret-9\nDSN=mysql://u:${MY_SECRET}@h\nPLAIN=visible-value\n",
		"a/hooks.sh":     "hook_pre_exec() { :; }\nhook_post_exec() { :; }\n",
	}
}

var secretValues = []string{"rootpass-123", "tok-abcdef", "stack-secret-9"}

// TestSecretsNeverPrinted checks kompose's own output, dry and real, for
// secret values: in variables, in values built from secrets, in the
// command's and hooks' arguments and in error messages.
func TestSecretsNeverPrinted(t *testing.T) {
	for _, dry := range []bool{true, false} {
		p := build(t, secretFiles(), "exec", "web", "psql", "pg://app:rootpass-123@db/app", "--token=tok-abcdef")
		f := &fakeProc{fail: map[string]int{"a exec": 1}}
		res, out, errOut := runPlan(t, p, f, dry)
		all := out + errOut
		for _, v := range secretValues {
			if strings.Contains(all, v) {
				t.Errorf("dry=%v: %q printed:\n%s", dry, v, all)
			}
		}
		if dry {
			for _, w := range []string{
				"env DB_PASSWORD=****  (root .env, every stack)",
				"env DATABASE_URL=pg://app:****@db/app  (root .env, every stack)",
				"env MY_SECRET=****  (stack .env, this stack)",
				"env DSN=mysql://u:****@h  (stack .env, this stack)",
				"env PLAIN=visible-value  (stack .env, this stack)",
				"--> hook_pre_exec exec web psql pg://app:****@db/app '--token=****'  (hooks.sh:1)",
				"--> docker compose exec web psql pg://app:****@db/app '--token=****'",
				"--> hook_post_exec exec web psql pg://app:****@db/app '--token=****'  (hooks.sh:2)",
			} {
				if !strings.Contains(out, w) {
					t.Errorf("dry run lacks %q:\n%s", w, out)
				}
			}
		} else if res.ExitCode() != 1 || !strings.Contains(errOut, "--> hook_pre_exec exec web psql pg://app:****@db/app '--token=****'") {
			t.Errorf("real run (exit %d):\n%s", res.ExitCode(), errOut)
		}
	}
}

func TestTextOutput(t *testing.T) {
	p := build(t, map[string]string{"a/compose.yaml": svc, "a/hooks.sh": "hook_pre_logs() { :; }\nhook_post_logs() { :; }\n", "b/compose.yaml": svc}, "logs", "-f", "--tail", "50")
	_, out, errOut := runPlan(t, p, &fakeProc{}, false)
	if out != "" {
		t.Errorf("stdout = %q", out)
	}
	want := "==> a [1/2] " + p.Root + "/a\n" +
		"--> hook_pre_logs logs -f --tail 50  (hooks.sh:1)\n" +
		"    hook_pre_logs ok (1.00s)\n" +
		"--> docker compose logs -f --tail 50\n" +
		"--> hook_post_logs logs -f --tail 50  (hooks.sh:2)\n" +
		"    hook_post_logs ok (1.00s)\n" +
		"<== a ok (7.00s)\n" +
		"==> b [2/2] " + p.Root + "/b\n" +
		"--> docker compose logs -f --tail 50\n" +
		"<== b ok (3.00s)\n" +
		"2 succeeded, 0 failed out of 2 stacks\n"
	if errOut != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, want)
	}
}

func TestColour(t *testing.T) {
	p := build(t, map[string]string{"a/compose.yaml": svc}, "ps")
	for _, tt := range []struct {
		name    string
		tty     bool
		noColor bool
		dry     bool
		want    bool
	}{
		{"terminal", true, false, false, true},
		{"terminal, NO_COLOR", true, true, false, false},
		{"not a terminal", false, false, false, false},
		{"dry run on a terminal", true, false, true, true},
		{"dry run, NO_COLOR", true, true, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := output.Test()
			ios.NoColor = tt.noColor
			if tt.dry {
				ios.OutTTY = tt.tty // the plan is on stdout
			} else {
				ios.ErrTTY = tt.tty
			}
			r := &run.Runner{Proc: &fakeProc{}, IO: ios, Reporter: New(ios, tt.dry), Clock: &tick{}, DryRun: tt.dry}
			r.Run(context.Background(), p)
			got := strings.Contains(out.String()+errOut.String(), "\x1b[")
			if got != tt.want {
				t.Errorf("colour = %v, want %v:\n%q\n%q", got, tt.want, out, errOut)
			}
		})
	}
}

const allHooks = "hook_pre_up() { :; }\nhook_post_up() { :; }\n"

func threeStacks() map[string]string {
	return map[string]string{
		"a/compose.yaml": svc, "a/hooks.sh": allHooks,
		"b/compose.yaml": svc, "b/hooks.sh": allHooks,
		"c/compose.yaml": svc, "c/hooks.sh": allHooks,
	}
}

// TestTextOfFailures: a failed step is said on stderr with its stack, the
// steps it keeps from running are listed, and the summary ends with one
// line per failed stack saying why. Broken files are said before the
// first stack starts.
func TestTextOfFailures(t *testing.T) {
	files := threeStacks()
	files["c/.env"] = "NOT OK\n"
	p := build(t, files, "up", "-d")
	_, out, errOut := runPlan(t, p, &fakeProc{fail: map[string]int{"b hook_pre_up": 3}}, false)
	if out != "" {
		t.Errorf("kompose wrote to stdout in a real run: %q", out)
	}
	first := strings.Index(errOut, "==> a")
	if i := strings.Index(errOut, filepath.Join(p.Root, "c", ".env")+": line 1"); i < 0 || i > first {
		t.Errorf("the broken .env is not reported before the first stack starts:\n%s", errOut)
	}
	last := -1
	for _, w := range []string{
		"!!! b: hook_pre_up failed: exit status 3",
		"--- skipped: docker compose up -d",
		"--- skipped: hook_post_up up -d",
		"<== b FAILED",
		"<== c FAILED, nothing run: ",
		"1 succeeded, 2 failed out of 3 stacks (failed: b, c)\n  b: hook_pre_up failed: exit status 3\n  c: ",
	} {
		i := strings.Index(errOut, w)
		if i < 0 || i < last {
			t.Errorf("stderr lacks %q (in order):\n%s", w, errOut)
			continue
		}
		last = i
	}
}

// TestTextOfDryRun: the plan is on stdout, in order, ending with what
// cannot run.
func TestTextOfDryRun(t *testing.T) {
	files := threeStacks()
	files["c/hooks.sh"] = "hook_pre_up() {\n"
	p := build(t, files, "up", "-d", "a b")
	_, out, errOut := runPlan(t, p, &fakeProc{}, true)
	last := -1
	for _, w := range []string{
		"dry run: kompose up over 3 stack(s) in " + p.Root + "; nothing is executed",
		"==> a [1/3] " + filepath.Join(p.Root, "a"),
		"--> hook_pre_up up -d 'a b'  (hooks.sh:1)",
		"--> docker compose up -d 'a b'",
		"--> hook_post_up up -d 'a b'  (hooks.sh:2)",
		"==> b [2/3]",
		"==> c [3/3]",
		"<== c FAILED, nothing run: " + filepath.Join(p.Root, "c", "hooks.sh") + ":1: hooks.sh does not parse",
		"dry run: 3 stack(s) planned, 1 cannot run: c; nothing was executed",
		"  c: " + filepath.Join(p.Root, "c", "hooks.sh") + ":1: hooks.sh does not parse",
	} {
		i := strings.Index(out, w)
		if i < 0 || i < last {
			t.Errorf("stdout lacks %q (in order):\n%s", w, out)
			continue
		}
		last = i
	}
	if !strings.Contains(errOut, "hooks.sh:1: hooks.sh does not parse") {
		t.Errorf("the broken hooks.sh is not on stderr:\n%s", errOut)
	}
}

// TestTextOfParallelStacks: with stacks running at once, every line about
// a stack carries its prefix; only the summary does not.
func TestTextOfParallelStacks(t *testing.T) {
	p := build(t, threeStacks(), "up", "-d")
	ios, _, _, errOut := output.Test()
	ios = run.SyncIO(ios)
	r := &run.Runner{Proc: &fakeProc{}, IO: ios, Reporter: New(ios, false), Clock: &tick{}, Parallel: 3, Prefix: true}
	if res := r.Run(context.Background(), p); res.ExitCode() != 0 {
		t.Fatalf("exit %d\n%s", res.ExitCode(), errOut)
	}
	for _, line := range strings.Split(strings.TrimSpace(errOut.String()), "\n") {
		if _, _, ok := strings.Cut(line, " | "); !ok && !strings.HasPrefix(line, "3 succeeded") {
			t.Errorf("line without its stack: %q", line)
		}
	}
}
