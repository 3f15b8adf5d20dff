package env

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// layered builds an Env the way plan does: process < root .env < stack .env
// < --network < -e.
func layered(t *testing.T, environ []string, rootEnv, stackEnv string, network string, overrides ...Var) (*Env, error) {
	t.Helper()
	dir := t.TempDir()
	e := FromEnviron(environ)
	if network != "" {
		e.Override("NETWORK_NAME", network, SourceNetwork)
	}
	for _, v := range overrides {
		e.Override(v.Name, v.Value, SourceOverride)
	}
	if rootEnv != "" {
		if err := e.LoadFile(writeFile(t, dir, "root.env", rootEnv), SourceRootEnv); err != nil {
			return e, err
		}
	}
	s := e.Clone()
	if stackEnv != "" {
		if err := s.LoadFile(writeFile(t, dir, "stack.env", stackEnv), SourceStackEnv); err != nil {
			return s, err
		}
	}
	return s, nil
}

func TestLayers(t *testing.T) {
	type want struct {
		value string
		src   Source
	}
	tests := []struct {
		name      string
		environ   []string
		root      string
		stack     string
		network   string
		overrides []Var
		want      map[string]want
		unset     []string
	}{
		{
			name:    "process only",
			environ: []string{"A=1", "B=x=y", "=skipped", "noequals"},
			want:    map[string]want{"A": {"1", SourceProcess}, "B": {"x=y", SourceProcess}},
			unset:   []string{"", "noequals"},
		},
		{
			name:    "root .env beats the process",
			environ: []string{"A=process"},
			root:    "A=root\n",
			want:    map[string]want{"A": {"root", SourceRootEnv}},
		},
		{
			name:    "stack .env beats the root .env",
			environ: []string{"A=process"},
			root:    "A=root\nB=root\n",
			stack:   "A=stack\n",
			want:    map[string]want{"A": {"stack", SourceStackEnv}, "B": {"root", SourceRootEnv}},
		},
		{
			name:    "--network beats both .env files",
			root:    "NETWORK_NAME=fromroot\n",
			stack:   "NETWORK_NAME=fromstack\n",
			network: "proxy",
			want:    map[string]want{"NETWORK_NAME": {"proxy", SourceNetwork}},
		},
		{
			name:      "-e beats --network and every .env",
			environ:   []string{"A=process"},
			root:      "A=root\nNETWORK_NAME=root\n",
			stack:     "A=stack\n",
			network:   "proxy",
			overrides: []Var{{Name: "A", Value: "cli"}, {Name: "NETWORK_NAME", Value: "clinet"}},
			want:      map[string]want{"A": {"cli", SourceOverride}, "NETWORK_NAME": {"clinet", SourceOverride}},
		},
		{
			name:      "later -e wins",
			overrides: []Var{{Name: "A", Value: "1"}, {Name: "A", Value: "2"}},
			want:      map[string]want{"A": {"2", SourceOverride}},
		},
		{
			name:  "godotenv syntax: quotes, export, comments, escapes",
			stack: "# comment\nexport A=1\nB='single $A'\nC=\"double ${A}\\n\"\nD=plain # trailing comment\nE=\n",
			want: map[string]want{
				"A": {"1", SourceStackEnv}, "B": {"single $A", SourceStackEnv}, "C": {"double 1\n", SourceStackEnv},
				"D": {"plain", SourceStackEnv}, "E": {"", SourceStackEnv},
			},
		},
		{
			name:    "expansion: stack .env sees root .env and process",
			environ: []string{"HOSTNAME=box"},
			root:    "DOMAIN=example.org\n",
			stack:   "URL=https://${DOMAIN}/ on $HOSTNAME\n",
			want:    map[string]want{"URL": {"https://example.org/ on box", SourceStackEnv}},
		},
		{
			name:  "expansion: earlier line of the same file, defaults",
			stack: "A=one\nB=${A}-two\nC=${MISSING:-dflt}\nD=${A:+set}\n",
			want:  map[string]want{"B": {"one-two", SourceStackEnv}, "C": {"dflt", SourceStackEnv}, "D": {"set", SourceStackEnv}},
		},
		{
			name:      "expansion: references resolve to the -e override",
			root:      "DB_HOST=root-db\nROOT_URL=pg://${DB_HOST}\n",
			stack:     "DB_HOST=stack-db\nURL=pg://${DB_HOST}:5432\n",
			overrides: []Var{{Name: "DB_HOST", Value: "10.0.0.5"}},
			want: map[string]want{
				"DB_HOST": {"10.0.0.5", SourceOverride}, "URL": {"pg://10.0.0.5:5432", SourceStackEnv},
				"ROOT_URL": {"pg://10.0.0.5", SourceRootEnv},
			},
		},
		{
			name:    "expansion: references resolve to --network",
			stack:   "NET=${NETWORK_NAME}_ext\n",
			network: "proxy",
			want:    map[string]want{"NET": {"proxy_ext", SourceStackEnv}},
		},
		{
			name:  "expansion: stack value replaces root value in later stack lines",
			root:  "TAG=1.0\n",
			stack: "TAG=2.0\nIMAGE=app:${TAG}\n",
			want:  map[string]want{"IMAGE": {"app:2.0", SourceStackEnv}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := layered(t, tt.environ, tt.root, tt.stack, tt.network, tt.overrides...)
			if err != nil {
				t.Fatal(err)
			}
			for k, w := range tt.want {
				v, ok := e.Get(k)
				if !ok || v != w.value {
					t.Errorf("%s = %q (set %v), want %q", k, v, ok, w.value)
				}
				if src := e.source[k]; src != w.src {
					t.Errorf("%s source = %q, want %q", k, src, w.src)
				}
			}
			for _, k := range tt.unset {
				if v, ok := e.Lookup(k); ok {
					t.Errorf("%q is set to %q", k, v)
				}
			}
		})
	}
}

func TestCloneIsolates(t *testing.T) {
	dir := t.TempDir()
	base := FromEnviron([]string{"A=1"})
	base.Override("O", "cli", SourceOverride)
	one := base.Clone()
	if err := one.LoadFile(writeFile(t, dir, "one.env", "ONLY_ONE=yes\nA=changed\nO=ignored\n"), SourceStackEnv); err != nil {
		t.Fatal(err)
	}
	one.Override("LATE", "x", SourceOverride)
	two := base.Clone()
	if _, ok := two.Get("ONLY_ONE"); ok {
		t.Error("a variable of one clone leaked into another")
	}
	if v, _ := two.Get("A"); v != "1" {
		t.Errorf("A in second clone = %q", v)
	}
	if v, _ := base.Get("A"); v != "1" {
		t.Errorf("A in base = %q", v)
	}
	if v, _ := one.Get("O"); v != "cli" {
		t.Errorf("an override was replaced by a .env: O = %q", v)
	}
	if err := two.LoadFile(writeFile(t, dir, "two.env", "LATE=fromfile\n"), SourceStackEnv); err != nil {
		t.Fatal(err)
	}
	if v, _ := two.Get("LATE"); v != "fromfile" {
		t.Errorf("an override of one clone reached another: LATE = %q", v)
	}
}

func TestEnvironAndLayered(t *testing.T) {
	e := FromEnviron([]string{"Z=1", "A=2"})
	e.Set("M", "3", SourceRootEnv)
	e.Override("B", "4", SourceOverride)
	got := e.Environ()
	sort.Strings(got) // Environ's order is unspecified
	if want := []string{"A=2", "B=4", "M=3", "Z=1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Environ() = %v, want %v", got, want)
	}
	want := []Var{{Name: "B", Value: "4", Source: SourceOverride}, {Name: "M", Value: "3", Source: SourceRootEnv}}
	if got := e.Layered(); !reflect.DeepEqual(got, want) {
		t.Errorf("Layered() = %v, want %v", got, want)
	}
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		content string
		want    []string
		secret  string // must not appear in the error
	}{
		{name: "bad name", content: "A=1\nB=2\nBAD NAME=3\n", want: []string{"bad.env", "line 3"}},
		{name: "bad character", content: "GOOD=1\nNOT;OK=x\n", want: []string{"bad.env", "line 2", `unexpected character ";"`}},
		{name: "unterminated quote", content: "A=1\n\nDB_PASSWORD=\"hunter2-secret\nB=2\n", want: []string{"bad.env", "line 3", "unterminated quoted value"}, secret: "hunter2-secret"},
		{name: "pasted secret without a name", content: "A=1\ns3cr3t-t0ken!\n", want: []string{"bad.env", "line 2"}, secret: "s3cr3t-t0ken"},
		{name: "required variable", content: "A=1\nB=${NOPE:?must be set}\n", want: []string{"bad.env", "line 2", "B: required variable NOPE is not set"}},
		{name: "NUL in a value", content: "A=1\nDB_PASSWORD=ab\x00cd-secret\n", want: []string{"bad.env", "line 2", "DB_PASSWORD", "NUL"}, secret: "cd-secret"},
		{name: "NUL in a quoted value", content: "A=1\n\nTOKEN='x\x00y-secret'\n", want: []string{"bad.env", "line 3", "TOKEN", "NUL"}, secret: "y-secret"},
		{name: "NUL in a comment", content: "A=1\n# note \x00\nB=\x00\n", want: []string{"bad.env", "line 3", "B", "NUL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, dir, "bad.env", tt.content)
			e := FromEnviron(nil)
			err := e.LoadFile(p, SourceStackEnv)
			if err == nil {
				t.Fatalf("LoadFile(%q) succeeded: %v", tt.content, e.Environ())
			}
			if !strings.HasPrefix(err.Error(), "invalid env file "+p) {
				t.Errorf("error %q does not start with the file", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error %q shows the secret value", err)
			}
			if len(e.Environ()) != 0 {
				t.Errorf("a failed file set variables: %v", e.Environ())
			}
		})
	}
}

func TestLoadFileUnreadable(t *testing.T) {
	dir := t.TempDir()
	for name, path := range map[string]string{
		"missing": filepath.Join(dir, "missing.env"),
		"folder":  dir,
	} {
		t.Run(name, func(t *testing.T) {
			err := FromEnviron(nil).LoadFile(path, SourceRootEnv)
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Fatalf("LoadFile(%s) error = %v, want one naming the file", path, err)
			}
		})
	}
}

func TestParseAssignment(t *testing.T) {
	tests := []struct {
		in      string
		want    Var
		wantErr string
	}{
		{in: "A=1", want: Var{Name: "A", Value: "1", Source: SourceOverride}},
		{in: "A=", want: Var{Name: "A", Value: "", Source: SourceOverride}},
		{in: "_x9=a=b", want: Var{Name: "_x9", Value: "a=b", Source: SourceOverride}},
		{in: "URL=a,b c", want: Var{Name: "URL", Value: "a,b c", Source: SourceOverride}},
		{in: "A", wantErr: `-e "A": expected KEY=VALUE`},
		{in: "", wantErr: "expected KEY=VALUE"},
		{in: "=value", wantErr: `"" is not a valid variable name`},
		{in: "1A=x", wantErr: `"1A" is not a valid variable name`},
		{in: "A-B=x", wantErr: "not a valid variable name"},
		{in: "MY PASS=hunter2", wantErr: "not a valid variable name"},
		{in: "hunter2-s3cr3t!", wantErr: "expected KEY=VALUE, got text without"},
		{in: "DB_PASSWORD=ab\x00s3cr3t", wantErr: "-e DB_PASSWORD: the value holds a NUL byte"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAssignment(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseAssignment(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cr3t") {
					t.Errorf("error %q shows the value", err)
				}
				if _, v, ok := strings.Cut(tt.in, "="); ok && v != "" && strings.Contains(err.Error(), v) {
					t.Errorf("error %q shows the value", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseAssignment(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestIsSecret(t *testing.T) {
	for name, want := range map[string]bool{
		"DB_PASSWORD": true, "db_password": true, "PASSWD": true, "MYSQL_ROOT_PASSWD": true,
		"GITHUB_TOKEN": true, "TokenFile": true, "AWS_SECRET_ACCESS_KEY": true, "SECRET": true,
		"DB_USER": false, "DB_NAME": false, "PASS": true, "KEY": true, "TOKE": false, "": false,
	} {
		if got := IsSecret(name); got != want {
			t.Errorf("IsSecret(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestMasker(t *testing.T) {
	e := FromEnviron([]string{"PROC_TOKEN=proc-token-value", "USER=alice"})
	e.Set("DB_PASSWORD", "hunter22", SourceStackEnv)
	e.Set("API_SECRET", "hunter22-and-more", SourceRootEnv) // contains the other secret
	e.Set("SHORT_TOKEN", "abc", SourceStackEnv)             // too short to mask in text
	e.Set("DB_USER", "hunter22", SourceStackEnv)            // same value under a harmless name
	m := NewMasker(e)

	tests := []struct{ in, want string }{
		{"pg://u:hunter22@h", "pg://u:****@h"},
		{"x hunter22-and-more y", "x **** y"},
		{"Bearer proc-token-value", "Bearer ****"},
		{"hello alice abc", "hello alice abc"},
		{"hunter22hunter22", "********"},
	}
	for _, tt := range tests {
		if got := m.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct {
		v    Var
		want string
	}{
		{Var{Name: "SHORT_TOKEN", Value: "abc"}, Mask},
		{Var{Name: "DB_PASSWORD", Value: ""}, Mask},
		{Var{Name: "DB_USER", Value: "hunter22"}, Mask},
		{Var{Name: "URL", Value: "pg://u:hunter22@h"}, "pg://u:****@h"},
		{Var{Name: "USER", Value: "alice"}, "alice"},
	} {
		if got := m.Value(tt.v); got != tt.want {
			t.Errorf("Value(%+v) = %q, want %q", tt.v, got, tt.want)
		}
	}

	var nilMasker *Masker
	if got := nilMasker.String("hunter22"); got != "hunter22" {
		t.Errorf("nil masker changed text: %q", got)
	}
	if got := NewMasker(FromEnviron([]string{"A=hunter22"})).String("hunter22"); got != "hunter22" {
		t.Errorf("masker without secrets changed text: %q", got)
	}
}

// The password of a URL in any variable (DOCKER_HOST=tcp://u:pw@h,
// DATABASE_URL=postgres://u:pw@h/db) is a secret whatever the variable's
// name: it is masked wherever it shows.
func TestMaskerURLPassword(t *testing.T) {
	e := FromEnviron([]string{"DOCKER_HOST=tcp://ops:s3cret-pw@10.0.0.9:2376"})
	e.Set("DATABASE_URL", "postgres://app:pgpw1234@db/news", SourceStackEnv)
	e.Set("SITE", "https://example.org/a:b@c", SourceStackEnv) // no user info
	m := NewMasker(e)
	for in, want := range map[string]string{
		"tcp://ops:s3cret-pw@10.0.0.9:2376":              "tcp://ops:****@10.0.0.9:2376",
		"connect to postgres://app:pgpw1234@db/news now": "connect to postgres://app:****@db/news now",
		"https://example.org/a:b@c":                      "https://example.org/a:b@c",
	} {
		if got := m.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
	if got := m.Value(Var{Name: "DOCKER_HOST", Value: "tcp://ops:s3cret-pw@10.0.0.9:2376"}); got != "tcp://ops:****@10.0.0.9:2376" {
		t.Errorf("Value(DOCKER_HOST) = %q", got)
	}
}

// TestMaskerURLPasswordShapes: the password of any URL-shaped text is
// masked, percent-encoded or not, inside longer values, in variables whose
// names say nothing, in arguments nobody declared, and its spellings
// (encoded and decoded) wherever else they show.
func TestMaskerURLPasswordShapes(t *testing.T) {
	e := FromEnviron([]string{"DATABASE_URL=postgres://app:p%40ssW0rd%21x@db/app"})
	e.Set("DOCKER_HOST", "tcp://ops:h%2Fst%3Apw99@10.0.0.9:2376", SourceStackEnv)
	e.Set("OPTS", "--db redis://:r3dis-Pw_77@cache:6379/0 --verbose", SourceStackEnv)
	e.Set("UPSTREAM", "HTTPS://bob:plainpass@example.org/x", SourceStackEnv)
	m := NewMasker(e)
	for in, want := range map[string]string{
		"postgres://app:p%40ssW0rd%21x@db/app":       "postgres://app:****@db/app",
		"tcp://ops:h%2Fst%3Apw99@10.0.0.9:2376":      "tcp://ops:****@10.0.0.9:2376",
		"--db redis://:r3dis-Pw_77@cache:6379/0 -v":  "--db redis://:****@cache:6379/0 -v",
		"HTTPS://bob:plainpass@example.org/x":        "HTTPS://bob:****@example.org/x",
		"decoded p@ssW0rd!x and h/st:pw99 elsewhere": "decoded **** and **** elsewhere",
		"encoded p%40ssW0rd%21x alone":               "encoded **** alone",
		"the password r3dis-Pw_77 alone":             "the password **** alone",
		"plainpass":                                  "****",
		"raw @ in it: mysql://u:p@ss@h/db":           "raw @ in it: mysql://u:****@h/db",
		// a URL nobody declared, typed as an argument or printed by a
		// library
		"psql amqp://guest:Nobody-Knew-1@mq:5672/ now": "psql amqp://guest:****@mq:5672/ now",
		`Post "http://u:x%2Fy@h/p": refused`:           `Post "http://u:****@h/p": refused`,
		// no password: unchanged
		"https://example.org/a:b@c ssh://git@github.com:22": "https://example.org/a:b@c ssh://git@github.com:22",
	} {
		if got := m.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
	if got := m.Arg("postgres://app:p%40ssW0rd%21x@db/app"); got != "postgres://app:****@db/app" {
		t.Errorf("Arg = %q", got)
	}
	var none *Masker
	if got := none.String("x://u:Nobody-Knew-1@h"); got != "x://u:****@h" {
		t.Errorf("nil masker: %q", got)
	}
}

// TestStringAfterCut: what is left of a secret at the start of a text cut
// from a longer one is masked.
func TestStringAfterCut(t *testing.T) {
	m := NewMasker(FromEnviron([]string{"API_TOKEN=Tok-1234-abcd-5678"}))
	for in, want := range map[string]string{
		"abcd-5678 rest\nTok-1234-abcd-5678": "**** rest\n****",
		"8\nnext":                            "****\nnext",
		"plain start":                        "plain start",
	} {
		if got := m.StringAfterCut(in); got != want {
			t.Errorf("StringAfterCut(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWeakSecrets: a secret shorter than 8 characters, or whose value
// also occurs in a value that is not secret, is warned about once, in the
// layer that set it, by name and never by value; the password part of a
// URL built from it does not count.
func TestWeakSecrets(t *testing.T) {
	base := FromEnviron([]string{"HOME=/root"})
	base.Set("ROOT_PW", "abc12", SourceRootEnv)
	base.Set("GOOD_TOKEN", "Xq7-long-and-random", SourceRootEnv)
	base.Set("DATABASE_URL", "postgres://app:Xq7-long-and-random@db/app", SourceRootEnv)
	base.Set("AUTH", "true", SourceRootEnv)
	base.Set("Q_PASSWORD", `it's "q" $x \ back`, SourceRootEnv)
	base.Set("Q_URL", `postgres://app:it's "q" $x \ back@db/app`, SourceRootEnv)
	st := base.Clone()
	st.Set("KC_ADMIN_PASSWORD", "keycloak", SourceStackEnv)
	st.Set("KC_IMAGE", "quay.io/keycloak/keycloak:latest", SourceStackEnv)
	st.Set("API_KEY", "k3y-Random-Enough-42", SourceStackEnv)
	notes := func(e *Env) (out []string) {
		for _, l := range Summary(e.Notes()) {
			out = append(out, l)
		}
		return out
	}
	wantRoot := []string{"root .env: ROOT_PW is too weak to hide: it is shorter than 8 characters, so the **** kompose prints in its place shows what it is; use a longer, random value"}
	if got := notes(base); !reflect.DeepEqual(got, wantRoot) {
		t.Errorf("root:\n%q\nwant\n%q", got, wantRoot)
	}
	wantStack := []string{"stack .env: KC_ADMIN_PASSWORD is too weak to hide: its value also occurs in a value that is not secret, so the **** kompose prints in its place shows what it is; use a longer, random value"}
	if got := notes(st); !reflect.DeepEqual(got, wantStack) {
		t.Errorf("stack:\n%q\nwant\n%q", got, wantStack)
	}
	// an image named only in the compose file
	st2 := base.Clone()
	st2.Set("KC_ADMIN_PASSWORD", "keycloak", SourceStackEnv)
	if got := WeakIn(st2, "quay.io/keycloak/keycloak:latest"); !reflect.DeepEqual(got, []string{"KC_ADMIN_PASSWORD"}) {
		t.Errorf("WeakIn = %q", got)
	}
	if got := WeakIn(st, "quay.io/keycloak/keycloak:latest"); len(got) != 0 {
		t.Errorf("WeakIn warned twice: %q", got)
	}
	// still masked
	if got := NewMasker(st).String("image quay.io/keycloak/keycloak:latest"); got != "image quay.io/****/****:latest" {
		t.Errorf("masked: %q", got)
	}
}
