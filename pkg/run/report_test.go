package run

import (
	"context"
	"strings"
	"testing"

	"github.com/kompose-dev/kompose/pkg/output"
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
			r := &Runner{Proc: &fakeProc{}, IO: ios, Reporter: NewText(ios, tt.dry), Clock: &tick{}, DryRun: tt.dry}
			r.Run(context.Background(), p)
			got := strings.Contains(out.String()+errOut.String(), "\x1b[")
			if got != tt.want {
				t.Errorf("colour = %v, want %v:\n%q\n%q", got, tt.want, out, errOut)
			}
		})
	}
}
