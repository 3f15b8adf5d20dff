package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/liblog"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/proc"
)

// secretSet is one value for each secret of the scan, by variable.
type secretSet map[string]string

// Secrets of awkward shapes: quotes, $, backslashes, spaces, a newline and
// a tab, control characters, unicode, one equal to a word kompose prints
// (compose) and one that is part of the stacks' path.
var scanSecrets = secretSet{
	"DB_PASSWORD":     `it's "q" $x \ back`,
	"POSTGRES_PW":     "line-one\nline-two\tTAB",
	"API_KEY":         "esc\x1b[31mred\x07bell",
	"AUTH_PASSPHRASE": "pässwörd-ünï©ode",
	"MYSQL_ROOT_PASS": "compose",
	"PIHOLE_PW":       "srv-x9/stac",
	"DB_CONN":         "conn-Secret-77",
	"CLI_TOKEN":       `a'b"c$d\e f`,
	"URL_PW":          "p@ss W0rd!x/77",
	"DEPLOY_TOKEN":    "dpl-Tok-9f8e7d",
}

// otherSecrets have the same shapes and names, other contents: kompose's
// output must not depend on which set is used.
var otherSecrets = secretSet{
	"DB_PASSWORD":     `ot's "r" $y \ bock`,
	"POSTGRES_PW":     "lone-aaa\nlone-bbb\tTUB",
	"API_KEY":         "esc\x1b[32mgrn\x07bolt",
	"AUTH_PASSPHRASE": "pösswärd-ïnü©odo",
	"MYSQL_ROOT_PASS": "zqxwvut",
	"PIHOLE_PW":       "rv-x9/stack",
	"DB_CONN":         "conn-Hidden-88",
	"CLI_TOKEN":       `z'y"x$w\v u`,
	"URL_PW":          "q@tt X1se!y/88",
	"DEPLOY_TOKEN":    "dpl-Kot-1a2b3c",
}

// dotenvQuote writes v as a double-quoted .env value.
func dotenvQuote(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "\n", `\n`, "\t", `\t`, "\x1b", `\0033`, "\x07", `\a`)
	return `"` + r.Replace(v) + `"`
}

// recorder records the argv of every process kompose starts.
type recorder struct {
	proc.Runner
	mu    sync.Mutex
	argvs [][]string
}

func (r *recorder) Run(ctx context.Context, c proc.Cmd) error {
	r.mu.Lock()
	r.argvs = append(r.argvs, append([]string(nil), c.Argv...))
	r.mu.Unlock()
	return r.Runner.Run(ctx, c)
}

type scanRun struct {
	name, out, errOut string
	argv              string // every child's argv, and what the fake docker and the hooks recorded
	pings             string // the pings' paths and bodies
}

// encodedURLPassword is v as the password of a URL, percent-encoded.
func encodedURLPassword(v string) string {
	_, pw, _ := strings.Cut(url.UserPassword("ops", v).String(), ":")
	return pw
}

// runScan writes the stacks with secrets s under base and runs every view
// and command of the scan, returning what each printed and started.
func runScan(t *testing.T, base string, s secretSet) []scanRun {
	t.Helper()
	root := filepath.Join(base, "srv-x9", "stacks")
	var pingMu sync.Mutex
	var pings strings.Builder
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		pingMu.Lock()
		fmt.Fprintf(&pings, "%s %s\n", r.URL.Path, b)
		pingMu.Unlock()
	}))
	defer srv.Close()
	files := map[string]string{
		".env": "KOMPOSE_SECRETS=db_conn\nDB_PASSWORD=" + dotenvQuote(s["DB_PASSWORD"]) +
			"\nAUTH_PASSPHRASE=" + dotenvQuote(s["AUTH_PASSPHRASE"]) +
			"\nDATABASE_URL=postgres://app:${DB_PASSWORD}@db/app\n" +
			"KOMPOSE_PING_URL=" + srv.URL + "/run-0d4c5a6e\n",
		"blog/compose.yaml": "services: {web: {image: nginx}}\n",
		"blog/.env": "POSTGRES_PW=" + dotenvQuote(s["POSTGRES_PW"]) + "\nAPI_KEY=" + dotenvQuote(s["API_KEY"]) +
			"\nMYSQL_ROOT_PASS=" + s["MYSQL_ROOT_PASS"] + "\nDB_CONN=" + s["DB_CONN"] + "\nDSN=\"mysql://u:${DB_CONN}@h\"\n" +
			"MY_DSN=\"--engine tcp://ops:" + encodedURLPassword(s["URL_PW"]) + "@10.0.0.9:2376 -v\"\n" +
			"KOMPOSE_PING_URL=" + srv.URL + "/blog-0d4c5a6e\n",
		"blog/hooks.sh": "hook_pre_up() { printf '[hook] %q\\n' \"$0\" \"$@\" >>\"$FAKE_DOCKER_LOG\"; echo 'DEPLOY_TOKEN=" + s["DEPLOY_TOKEN"] + "' >>\"$KOMPOSE_ENV\"; }\n" +
			"hook_post_exec() { printf '[hook] %q\\n' \"$0\" \"$@\" >>\"$FAKE_DOCKER_LOG\"; }\n",
		"news/compose.yaml": "services: {web: {image: \"nginx:${NOT_SET}\"}}\n",
		"news/.env":         "PIHOLE_PW=" + s["PIHOLE_PW"] + "\nUNQUOTED_PW=Xk9$mT2qZ7\n",
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	dockerLog := filepath.Join(base, "docker.log")
	// Programs are found on kompose's own PATH.
	t.Setenv("PATH", filepath.Join(testdata, "fakebin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	environ := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + base, "NO_COLOR=1", "FAKE_DOCKER_LOG=" + dockerLog,
	}
	arg := "postgres://u:" + s["DB_PASSWORD"] + "@h/" + s["CLI_TOKEN"]
	runs := []struct {
		name string
		args []string
	}{
		{"dry run", []string{"-n", "-e", "CLI_TOKEN=" + s["CLI_TOKEN"], "*", "up", "-d"}},
		{"real run", []string{"-e", "CLI_TOKEN=" + s["CLI_TOKEN"], "*", "up", "-d"}},
		{"real run -j 2", []string{"-j", "2", "-e", "CLI_TOKEN=" + s["CLI_TOKEN"], "*", "up", "-d"}},
		{"list", []string{"-e", "CLI_TOKEN=" + s["CLI_TOKEN"], "--list"}},
		{"hooks", []string{"-e", "CLI_TOKEN=" + s["CLI_TOKEN"], "*", "hooks"}},
		{"hooks up", []string{"-e", "CLI_TOKEN=" + s["CLI_TOKEN"], "*", "hooks", "up", "-d"}},
		// secrets as arguments: masked in kompose's output (compose and
		// the hooks get them, as the user asked)
		{"dry run with secret arguments", []string{"-n", "-e", "CLI_TOKEN=" + s["CLI_TOKEN"], "*", "exec", "web", "psql", arg, s["POSTGRES_PW"], s["API_KEY"]}},
		{"hooks with secret arguments", []string{"-e", "CLI_TOKEN=" + s["CLI_TOKEN"], "*", "hooks", "exec", "web", arg, s["AUTH_PASSPHRASE"]}},
		{"real run with secret arguments", []string{"-e", "CLI_TOKEN=" + s["CLI_TOKEN"], "blog", "exec", "web", arg, s["DB_CONN"]}},
		// the JSON views, status, and the report (appended to stdout)
		{"json dry run", []string{"--json", "-n", "-e", "CLI_TOKEN=" + s["CLI_TOKEN"], "*", "up", "-d"}},
		{"json list", []string{"--json", "-e", "CLI_TOKEN=" + s["CLI_TOKEN"], "--list"}},
		{"json hooks", []string{"--json", "-e", "CLI_TOKEN=" + s["CLI_TOKEN"], "*", "hooks", "up", "-d"}},
		{"status", []string{"-e", "CLI_TOKEN=" + s["CLI_TOKEN"], "*", "status"}},
		{"status json", []string{"-e", "CLI_TOKEN=" + s["CLI_TOKEN"], "*", "status", "--json"}},
		{"report", []string{"--report", filepath.Join(base, "report.json"), "-e", "CLI_TOKEN=" + s["CLI_TOKEN"], "*", "up", "-d"}},
		{"report with secret arguments", []string{"--report", filepath.Join(base, "report.json"), "-e", "CLI_TOKEN=" + s["CLI_TOKEN"], "blog", "exec", "web", arg, s["DB_CONN"]}},
		{"report of a usage error", []string{"--report", filepath.Join(base, "report.json"), "-e", "CLI_TOKEN=" + s["CLI_TOKEN"], "nope", "up"}},
		// a colon for =: refused, and recorded masked
		{"report of a refused -e", []string{"--report", filepath.Join(base, "report.json"), "-e", "DB_PASSWORD:" + s["DB_PASSWORD"], "-e", "API_TOKEN:" + s["DB_CONN"], "*", "up"}},
	}
	var out []scanRun
	log := liblog.Capture()
	for _, r := range runs {
		_ = os.Remove(dockerLog)
		_ = os.Remove(filepath.Join(base, "report.json"))
		ios, _, stdout, stderr := output.Test()
		rec := &recorder{Runner: proc.OS{}}
		app := &App{IO: ios, Environ: environ, Cwd: base, Proc: rec, Version: "test", LibLog: log, Clock: fixedClock{time.Unix(1_700_000_000, 0)},
			Detect: func(compose.Lookup) ([]string, error) { return []string{"docker", "compose"}, nil }}
		app.Run(context.Background(), append([]string{"kompose", "--root", root}, r.args...))
		if b, err := os.ReadFile(filepath.Join(base, "report.json")); err == nil {
			stdout.WriteString("--- report:\n")
			stdout.Write(b)
		} else if strings.HasPrefix(r.name, "report") {
			t.Fatalf("%s: no report: %v", r.name, err)
		}
		var argv strings.Builder
		for _, a := range rec.argvs {
			fmt.Fprintf(&argv, "%q\n", a)
		}
		if b, err := os.ReadFile(dockerLog); err == nil {
			argv.Write(b)
		}
		pingMu.Lock()
		sent := pings.String()
		pings.Reset()
		pingMu.Unlock()
		out = append(out, scanRun{name: r.name, out: stdout.String(), errOut: stderr.String(), argv: argv.String(), pings: sent})
	}
	return out
}

var durationRe = regexp.MustCompile(`\(\d+\.\d+s\)`)

// TestNoSecretInAnyOutput runs the dry run, a real run (fake docker that
// records its argv), --list and the hooks views over stacks whose .env
// files and -e hold secrets of awkward shapes, and checks that no secret
// appears in standard output, standard error or any child's argv (where
// none was given as an argument), in any spelling; that a secret equal
// to a word kompose prints does not garble it; and that the output does
// not depend on the secrets' values at all.
func TestNoSecretInAnyOutput(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "srv-x9", "stacks")
	got := runScan(t, base, scanSecrets)
	other := runScan(t, base, otherSecrets)
	public := strings.NewReplacer(root, "<ROOT>", "docker compose", "<COMPOSE>")
	for i, r := range got {
		for _, stream := range []struct{ name, text string }{{"stdout", r.out}, {"stderr", r.errOut}, {"argv", r.argv}, {"pings", r.pings}} {
			if stream.name == "argv" && strings.Contains(r.name, "secret arguments") {
				continue // the user gave them as arguments
			}
			text := public.Replace(stream.text)
			for name, v := range scanSecrets {
				if name == "MYSQL_ROOT_PASS" || name == "PIHOLE_PW" {
					// Equal to, or part of, words kompose prints (compose,
					// the root): they must not be masked there, which the
					// comparison with the other set checks.
					continue
				}
				for _, form := range []string{v, fmt.Sprintf("%q", v)[1 : len(fmt.Sprintf("%q", v))-1], strings.Split(v, "\n")[0], encodedURLPassword(v)} {
					if len(form) >= 4 && strings.Contains(text, form) {
						t.Errorf("%s: %s shows %s (%q):\n%s", r.name, stream.name, name, form, stream.text)
					}
				}
			}
			for _, leak := range []string{"mT2qZ7", "docker ****", "****.yaml", "<ROOT>****", "0d4c5a6e"} {
				if stream.name == "pings" && leak == "0d4c5a6e" {
					continue // the paths the server got
				}
				if strings.Contains(stream.text, leak) {
					t.Errorf("%s: %s shows %q:\n%s", r.name, stream.name, leak, stream.text)
				}
			}
		}
		o := other[i]
		n := func(s string) string { return durationRe.ReplaceAllString(s, "(N)") }
		if strings.Contains(r.name, "-j") {
			// stacks at once: the lines come in any order
			n = func(s string) string {
				lines := strings.Split(durationRe.ReplaceAllString(s, "(N)"), "\n")
				sort.Strings(lines)
				return strings.Join(lines, "\n")
			}
		}
		if n(r.out) != n(o.out) || n(r.errOut) != n(o.errOut) {
			t.Errorf("%s: the output depends on the secrets' values:\n--- one set:\n%s%s\n--- the other:\n%s%s", r.name, r.out, r.errOut, o.out, o.errOut)
		}
	}
	// The runs did what they should: compose ran for both stacks, the
	// command lines kept their words.
	if !strings.Contains(got[1].argv, "[blog] docker compose up -d") || !strings.Contains(got[1].errOut, "--> docker compose up -d") {
		t.Errorf("real run:\n%s\n%s", got[1].errOut, got[1].argv)
	}
	if !strings.Contains(got[0].out, "env MYSQL_ROOT_PASS=****") || !strings.Contains(got[0].out, "env DATABASE_URL=postgres://app:****@db/app") {
		t.Errorf("dry run:\n%s", got[0].out)
	}
	if !strings.Contains(got[6].out, "--> docker compose exec web psql postgres://u:****@h/**** **** ****") {
		t.Errorf("dry run with secret arguments:\n%s", got[6].out)
	}
	// The pings of the real runs went out, each stack's with its own
	// output only; the refused -e is recorded masked.
	for _, r := range got[1:3] {
		if !strings.Contains(r.pings, "/blog-0d4c5a6e/start") || !strings.Contains(r.pings, "/run-0d4c5a6e ") || !strings.Contains(r.pings, "env DEPLOY_TOKEN=****") {
			t.Errorf("%s: pings:\n%s", r.name, r.pings)
		}
		for _, ping := range strings.Split(r.pings, "\n/") {
			if strings.HasPrefix(strings.TrimPrefix(ping, "/"), "blog-0d4c5a6e ") && strings.Contains(ping, "news") {
				t.Errorf("%s: blog's ping holds news's output:\n%s", r.name, ping)
			}
		}
	}
	last := got[len(got)-1]
	if !strings.Contains(last.out, `"-e",
    "****",`) {
		t.Errorf("%s:\n%s", last.name, last.out)
	}
}
