package env

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
)

// TestParseMatchesComposeGo keeps kompose's reading of .env files in step
// with compose-go's (what docker compose does): same variables, same
// values, and an error exactly when compose-go has one.
func TestParseMatchesComposeGo(t *testing.T) {
	lower := map[string]string{"HOME": "/root", "EMPTY": "", "X": "from-env"}
	lookup := func(k string) (string, bool) { v, ok := lower[k]; return v, ok }
	files := []string{
		"A=1\nB=2\n",
		"export A=1\n  export   B = two words  \n",
		"A='single $X ${X} \\n'\nB=\"double $X \\n \\t \\\" \\$X $$X\"\nC=plain $X ${X}/x # comment\nD=a#b\n",
		"# comment\n\n\nA=1 # c\n#B=2\nC=\"multi\nline\"\nD=after\n",
		"A=${UNSET:-dflt}\nB=${X:+alt}\nC=${UNSET-d2}\nD=${EMPTY:-e}\nE=${EMPTY-e}\nF=$A$B\n",
		"A=1\nB=${A}2\nA=3\nC=$A\n",
		"HOME\nX\nNOPE\n",
		"A: yaml\nB:colon\n",
		"A=\"x\" # trailing\nB='y'junk\nC=z\n",
		"A=\"esc \\0101 \\a\"\nB='it''s'\n",
		"\ufeffA=bom\n",
		"A=x\r\nB=y\r\n",
		"A.b-c[0]=dots\n",
		"A=${X:?need it}\n",
		"A=${NOPE:?need it}\n",
		"A=Xy9${oops\n",
		"A=\"unterminated\nB=2\n",
		"A B=1\n",
		"A;B=1\n",
		"A=$\nB=$$\nC=a$\nD=${}\n",
		"A=\"${X}\"\nB='${X}'\nC=${X}${X}\n",
		"A=${UNSET:-${X}}\nB=${X:+${X}y}\n",
		"A=\nB=\"\"\nC=''\n",
		"é=unicode\nB=ünï\n",
	}
	for _, f := range files {
		want := map[string]string{}
		wantErr := dotenv.ParseWithFormat(strings.NewReader(f), "f", want, lookup, dotenv.DotEnv)
		got, err := parseDotenv("f", []byte(f), func(string) (string, bool) { return "", false }, lookup, IsSecret)
		if (err != nil) != (wantErr != nil) {
			t.Errorf("%q: error %v, compose-go's %v", f, err, wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if !reflect.DeepEqual(got.vars, want) {
			t.Errorf("%q:\n got %q\nwant %q", f, got.vars, want)
		}
	}
}

// TestLoadFileNeverShowsValue: every problem of a .env is its file, line
// and kind, never the value, even where compose-go quotes it.
func TestLoadFileNeverShowsValue(t *testing.T) {
	dir := t.TempDir()
	const secret = "Xy9s3cr"
	tests := []struct {
		content string
		want    string
	}{
		{"A=1\nDB_PASSWORD=Xy9s3cr${oops\n", "line 2: DB_PASSWORD: a `$` starts no valid ${...} substitution; if the `$` is part of the value, put the value in single quotes ('...') or write $$"},
		{"A=1\n\nDB_PASSWORD=\"Xy9s3cr${oops\"\n", "line 3: DB_PASSWORD: a `$` starts no valid ${...} substitution"},
		{"DB_PASSWORD=${Xy9s3cr:?Xy9s3cr}\n", "line 1: DB_PASSWORD: a required variable its value refers to is not set"},
		{"URL=${NOPE:?Xy9s3cr}\n", "line 1: URL: required variable NOPE is not set"},
		{"A=1\nB=\"Xy9s3cr\n\nC=3\n", "line 2: unterminated quoted value; close the quote"},
		{"Xy9s3cr\nB=1\n", ""}, // a bare name is allowed (taken from the environment)
		{"A=1\nXy9s3cr!x\n", "line 2: unexpected character \"!\" in a variable name"},
		{"A=1\nXy9 s3cr\n", "line 2: a variable name cannot contain a space"},
	}
	for _, tt := range tests {
		p := writeFile(t, dir, "x.env", tt.content)
		err := FromEnviron(nil).LoadFile(p, SourceStackEnv)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%q: %v", tt.content, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%q: loaded", tt.content)
			continue
		}
		var fe *FileError
		if !errors.As(err, &fe) || fe.Path != p {
			t.Errorf("%q: error %v is not a FileError for %s", tt.content, err, p)
		}
		if !strings.HasPrefix(err.Error(), "invalid env file "+p+": ") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q:\n got %q\nwant %q", tt.content, err, tt.want)
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "s3cr") {
			t.Errorf("%q: error shows the value: %v", tt.content, err)
		}
	}
}

// TestUnsetNotes: an unquoted `$` that starts a reference to an unset
// variable is a warning with file and line; from a secret's value not even
// the name after the `$` is given.
func TestUnsetNotes(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "x.env", "A=1\nDB_PASSWORD=Xk9$mT2qZ7\nURL=http://$HOST/x\nOK='a$b'\nD=${NOPE:-dflt}\nE=\"$Q1 $Q2\"\n")
	e := FromEnviron(nil)
	if err := e.LoadFile(p, SourceStackEnv); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range e.Notes() {
		got = append(got, n.String())
	}
	want := []string{
		p + ":2: DB_PASSWORD: a `$` in its unquoted value starts a reference, and the variable it names is not set, so it became empty; if the `$` is part of the value, put the value in single quotes ('...') or write $$",
		p + ":3: URL: a `$` in its unquoted value starts a reference, and the variable HOST is not set, so it became empty; if the `$` is part of the value, put the value in single quotes ('...') or write $$",
		p + ":6: E: a `$` in its double-quoted value starts a reference, and the variables Q1, Q2 are not set, so it became empty; if the `$` is part of the value, put the value in single quotes ('...') or write $$",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// In a secret, a `$` followed by a name inside the value is most
	// likely part of it, even when that variable is set.
	p2 := writeFile(t, dir, "y.env", "DB_PASSWORD=Xk9$HOME\nALIAS_PW=$HOME\nBRACED_PW=a${HOME}\nURL=x$HOME\n")
	e2 := FromEnviron([]string{"HOME=/root"})
	if err := e2.LoadFile(p2, SourceStackEnv); err != nil {
		t.Fatal(err)
	}
	wantEmbedded := []string{p2 + ":1: DB_PASSWORD: a `$` inside its value was taken as a reference to a variable; if the `$` is part of the secret, put the value in single quotes ('...') or write $$"}
	if got := Summary(e2.Notes()); !reflect.DeepEqual(got, wantEmbedded) {
		t.Errorf("embedded $:\n%q\nwant\n%q", got, wantEmbedded)
	}
	for _, n := range e.Clone().Notes() {
		if !n.Weak { // a clone warns about its own weak secrets only
			t.Errorf("a clone kept the notes: %v", n)
		}
	}
}

// TestDangerousVariables: variables that make programs run code are not
// taken from a .env unless KOMPOSE_ALLOW_ENV (process environment or -e)
// names them.
func TestDangerousVariables(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PROMPT_COMMAND", "PS4", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "GCONV_PATH", "PYTHONPATH", "NODE_OPTIONS", "PERL5OPT", "GIT_SSH_COMMAND", "IFS"} {
		p := writeFile(t, dir, "x.env", "A=1\n"+name+"=/tmp/evil\nB=2\n")
		e := FromEnviron(nil)
		if err := e.LoadFile(p, SourceStackEnv); err != nil {
			t.Errorf("%s: %v, want the variable left out, not an error", name, err)
			continue
		}
		if _, ok := e.Get(name); ok {
			t.Errorf("%s was taken", name)
		}
		if v, _ := e.Get("B"); v != "2" {
			t.Errorf("%s: the lines after it were not read (B=%q)", name, v)
		}
		lines := Summary(e.Notes())
		if len(lines) != 1 || !strings.HasPrefix(lines[0], p+":2: "+name+" not taken from this file: it ") || !strings.HasSuffix(lines[0], "KOMPOSE_ALLOW_ENV="+name+" in kompose's environment or with -e") {
			t.Errorf("%s: warnings %q", name, lines)
		}
		if strings.Contains(strings.Join(lines, "\n"), "/tmp/evil") {
			t.Errorf("%s: the warning shows the value: %q", name, lines)
		}
	}
	p := writeFile(t, dir, "x.env", "BASH_ENV=/srv/env.sh\nLD_PRELOAD=/x.so\n")
	for _, e := range []*Env{FromEnviron([]string{"KOMPOSE_ALLOW_ENV=BASH_ENV, LD_PRELOAD"}), func() *Env {
		e := FromEnviron(nil)
		e.Override(AllowVar, "LD_PRELOAD,BASH_ENV", SourceOverride)
		return e
	}()} {
		if err := e.LoadFile(p, SourceStackEnv); err != nil {
			t.Errorf("allowed: %v", err)
		}
		if v, _ := e.Get("BASH_ENV"); v != "/srv/env.sh" {
			t.Errorf("BASH_ENV = %q", v)
		}
		if n := e.Notes(); len(n) != 0 {
			t.Errorf("allowed, yet warned: %v", n)
		}
	}
	// The permission never comes from a .env file.
	root := writeFile(t, dir, "root.env", "KOMPOSE_ALLOW_ENV=BASH_ENV\n")
	e := FromEnviron(nil)
	if err := e.LoadFile(root, SourceRootEnv); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.Get(AllowVar); ok {
		t.Errorf("KOMPOSE_ALLOW_ENV taken from a .env")
	}
	if l := Summary(e.Notes()); len(l) != 1 || !strings.Contains(l[0], ":1: KOMPOSE_ALLOW_ENV not taken from this file") {
		t.Errorf("KOMPOSE_ALLOW_ENV in a .env: %q", l)
	}
	e = FromEnviron(nil)
	e.Set(AllowVar, "BASH_ENV", SourceRootEnv)
	if err := e.LoadFile(p, SourceStackEnv); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.Get("BASH_ENV"); ok {
		t.Errorf("KOMPOSE_ALLOW_ENV from a lower .env allowed BASH_ENV")
	}
}

func TestSecretNames(t *testing.T) {
	for name, want := range map[string]bool{
		"POSTGRES_PW": true, "PIHOLE_PW": true, "MYSQL_ROOT_PASS": true, "AUTH_PASSPHRASE": true,
		"API_KEY": true, "PRIVATE_KEY": true, "GOOGLE_CREDENTIALS": true, "AWS_CREDENTIALS_JSON": true,
		"BASIC_AUTH": true, "DB_PWD": true, "API_KEY_2": true, "api-key": true, "KOMPOSE_PING_URL": true, "KOMPOSE_NOTIFY_URL": true,
		"MEILI_MASTER_KEY": true, "STRIPE_APIKEY": true,
		"API_KEY_2_3": true, "_KEY": true, "KEY_1": true, "X-PW": true, "app.pass": true, "PUB.KEY": false, "12": false, "KEY_": true, "": false,
		"PWD": false, "OLDPWD": false, "KEYCLOAK_URL": false, "MONKEY": false, "SSH_KEY_FILE": false,
		"AWS_ACCESS_KEY_ID": false, "PUBLIC_KEY": false, "AUTH_URL": false, "PASSENGER_ENV": false,
		"BYPASS": false, "COMPASS": false, "KEY_PATH": false,
	} {
		if got := IsSecret(name); got != want {
			t.Errorf("IsSecret(%q) = %v, want %v", name, got, want)
		}
	}
	e := FromEnviron([]string{"KOMPOSE_SECRETS=db_conn, *_DSN", "DB_CONN=pg://x", "MY_DSN=mysql://y", "OTHER=z"})
	m := NewMasker(e)
	for name, want := range map[string]bool{"DB_CONN": true, "db_conn": true, "MY_DSN": true, "OTHER": false, "DB_PASSWORD": true} {
		if got := m.IsSecret(name); got != want {
			t.Errorf("with KOMPOSE_SECRETS: IsSecret(%q) = %v, want %v", name, got, want)
		}
	}
	if got := m.String("connect pg://x now"); got != "connect **** now" {
		t.Errorf("KOMPOSE_SECRETS value not masked: %q", got)
	}
}

// TestMaskerDoesNotReveal: masking never turns a word everyone can see
// into ****, which would give the secret away.
func TestMaskerDoesNotReveal(t *testing.T) {
	e := FromEnviron(nil)
	e.Set("DB_PASSWORD", "compose", SourceStackEnv)
	e.Set("API_TOKEN", "stacks", SourceStackEnv)
	e.Set("AUTH", "true", SourceStackEnv)
	e.Set("MY_SECRET", "s3cr3tAbc", SourceStackEnv)
	m := NewMasker(e).WithPublic("docker", "compose", "up", "/srv/stacks", "/srv/stacks/blog", "blog")
	for in, want := range map[string]string{
		"docker compose up":                       "docker compose up",
		"/srv/stacks/blog/hooks.sh: line 3":       "/srv/stacks/blog/hooks.sh: line 3",
		"composer":                                "composer",
		"pw is compose, ok":                       "pw is compose, ok", // a public word: never masked
		"--detach=true":                           "--detach=true",
		"xs3cr3tAbcx and s3cr3tAbc":               "x****x and ****",
		"decomposed stacks-of-things, /srv/stack": "decomposed ****-of-things, /srv/stack",
	} {
		if got := m.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"compose": "compose", "up": "up", "s3cr3tAbc": Mask, "stacks": Mask} {
		if got := m.Arg(in); got != want {
			t.Errorf("Arg(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMaskerAwkwardSecrets: secrets with quotes, $, backslashes, spaces,
// control characters and unicode are masked as they are, whole or inside
// other text.
func TestMaskerAwkwardSecrets(t *testing.T) {
	for _, s := range []string{`it's "$x" \n`, "tab\there", "new\nline", "ünï©ødé-pw", `a'b"c$d\e`, "\x01ctl\x7f"} {
		e := FromEnviron([]string{"DB_PASSWORD=" + s})
		m := NewMasker(e)
		if got := m.Arg(s); got != Mask {
			t.Errorf("Arg(%q) = %q", s, got)
		}
		if got := m.String("x=" + s + " y"); got != "x="+Mask+" y" {
			t.Errorf("String(x=%q y) = %q", s, got)
		}
	}
}

func TestSummary(t *testing.T) {
	notes := []Note{
		{Path: "/r/.env", Line: 2, Key: "DB_PASSWORD"},
		{Path: "/r/.env", Line: 3, Key: "URL", Unset: []string{"HOST"}},
		{Path: "/r/b/.env", Line: 6, Key: "E", Unset: []string{"Q1", "Q2"}},
	}
	want := []string{
		"/r/.env: variables not set, so they became empty: one named in the value of DB_PASSWORD (line 2), HOST (line 3); if a `$` is part of a value, put the value in single quotes ('...') or write $$",
		"/r/b/.env: variables not set, so they became empty: Q1 and Q2 (line 6); if a `$` is part of a value, put the value in single quotes ('...') or write $$",
	}
	if got := Summary(notes); !reflect.DeepEqual(got, want) {
		t.Errorf("Summary:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestMaskerGoQuoted: a secret is masked also where a library quoted it
// the Go way.
func TestMaskerGoQuoted(t *testing.T) {
	s := "a\"b\\c\nd"
	m := NewMasker(FromEnviron([]string{"DB_PASSWORD=" + s}))
	if got := m.String(`Invalid template: "x` + `a\"b\\c\nd` + `"`); got != `Invalid template: "x****"` {
		t.Errorf("got %q", got)
	}
}

func TestMaskerWithValues(t *testing.T) {
	m := NewMasker(FromEnviron([]string{"DB_PASSWORD=first-secret"}))
	w := m.WithValues("tok\"9f8e", "true", "")
	for in, want := range map[string]string{
		"a first-secret b":  "a **** b",
		"url tok\"9f8e end": "url **** end",
		`go "tok\"9f8e"`:    `go "****"`, // Go's quoting of it
		"true is no secret": "true is no secret",
	} {
		if got := w.String(in); got != want {
			t.Errorf("WithValues: String(%q) = %q, want %q", in, got, want)
		}
	}
	if got := m.String("url tok\"9f8e end"); got != "url tok\"9f8e end" {
		t.Errorf("WithValues changed the original masker: %q", got)
	}
}
