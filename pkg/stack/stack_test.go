package stack

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// tree creates files under dir; a name ending in "/" is a folder.
func tree(t *testing.T, dir string, files ...string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, f)
		if strings.HasSuffix(f, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("services: {}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestResolveRoot(t *testing.T) {
	withStacks := t.TempDir()
	tree(t, withStacks, "stacks/", "other/")
	plain := t.TempDir()
	tree(t, plain, "other/")
	stacksFile := t.TempDir()
	tree(t, stacksFile, "stacks") // a file named stacks is not a root

	tests := []struct {
		name, flag, env, cwd string
		want                 string // "" when an error is expected
		wantErr              string
	}{
		{name: "flag wins over env and ./stacks", flag: filepath.Join(withStacks, "other"), env: plain, cwd: withStacks, want: filepath.Join(withStacks, "other")},
		{name: "relative flag is joined to cwd", flag: "other", env: plain, cwd: withStacks, want: filepath.Join(withStacks, "other")},
		{name: "env wins over ./stacks", env: filepath.Join(withStacks, "other"), cwd: withStacks, want: filepath.Join(withStacks, "other")},
		{name: "relative env is joined to cwd", env: "other", cwd: plain, want: filepath.Join(plain, "other")},
		{name: "./stacks when it exists", cwd: withStacks, want: filepath.Join(withStacks, "stacks")},
		{name: "cwd without ./stacks", cwd: plain, want: plain},
		{name: "stacks file is not a folder", cwd: stacksFile, want: stacksFile},
		{name: "missing flag root", flag: filepath.Join(plain, "nope"), cwd: plain, wantErr: "root folder " + filepath.Join(plain, "nope") + " does not exist"},
		{name: "missing env root", env: "nope", cwd: plain, wantErr: "does not exist"},
		{name: "root is a file", flag: filepath.Join(stacksFile, "stacks"), cwd: plain, wantErr: "is not a folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveRoot(tt.flag, tt.env, tt.cwd)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ResolveRoot() = %q, %v; want error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ResolveRoot() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestDiscover(t *testing.T) {
	root := t.TempDir()
	tree(t, root,
		"zeta/docker-compose.yml",
		"alpha/compose.yaml", "alpha/compose.yml", "alpha/docker-compose.yaml", "alpha/docker-compose.yml", "alpha/.env", "alpha/hooks.sh",
		"beta/compose.yml", "beta/docker-compose.yaml",
		"gamma/docker-compose.yaml", "gamma/docker-compose.yml",
		".hidden/compose.yaml",
		"nocompose/README.md",
		"dirnamed/compose.yaml/", // a folder named compose.yaml is no compose file
		"compose.yaml",           // a file in the root is no stack
		".env",
	)
	if err := os.Symlink(filepath.Join(root, "beta"), filepath.Join(root, "linked")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "missing"), filepath.Join(root, "dangling")); err != nil {
		t.Fatal(err)
	}
	got, err := Discover(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []Stack{
		{Name: "alpha", Dir: filepath.Join(root, "alpha"), ComposeFile: filepath.Join(root, "alpha/compose.yaml"),
			EnvFile: filepath.Join(root, "alpha/.env"), HooksFile: filepath.Join(root, "alpha/hooks.sh")},
		{Name: "beta", Dir: filepath.Join(root, "beta"), ComposeFile: filepath.Join(root, "beta/compose.yml")},
		{Name: "gamma", Dir: filepath.Join(root, "gamma"), ComposeFile: filepath.Join(root, "gamma/docker-compose.yaml")},
		{Name: "linked", Dir: filepath.Join(root, "linked"), ComposeFile: filepath.Join(root, "linked/compose.yml")},
		{Name: "zeta", Dir: filepath.Join(root, "zeta"), ComposeFile: filepath.Join(root, "zeta/docker-compose.yml")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Discover() =\n%+v\nwant\n%+v", got, want)
	}
	if p := RootEnvFile(root); p != filepath.Join(root, ".env") {
		t.Errorf("RootEnvFile() = %q", p)
	}
	if p := RootEnvFile(filepath.Join(root, "beta")); p != "" {
		t.Errorf("RootEnvFile(no .env) = %q, want empty", p)
	}
}

func TestDiscoverMissingRoot(t *testing.T) {
	_, err := Discover(filepath.Join(t.TempDir(), "nope"))
	if err == nil || !strings.Contains(err.Error(), "read root folder") {
		t.Fatalf("Discover(missing) error = %v", err)
	}
}

func TestDiscoverKeepsBrokenCompanions(t *testing.T) {
	// A .env or hooks.sh that exists but cannot be read (here: a folder, and
	// a dangling link) is recorded so that using it reports the problem.
	root := t.TempDir()
	tree(t, root, "a/compose.yaml", "a/.env/")
	if err := os.Symlink("nowhere", filepath.Join(root, "a", "hooks.sh")); err != nil {
		t.Fatal(err)
	}
	got, err := Discover(root)
	if err != nil || len(got) != 1 {
		t.Fatalf("Discover() = %v, %v", got, err)
	}
	if got[0].EnvFile == "" || got[0].HooksFile == "" {
		t.Fatalf("broken companions were dropped: %+v", got[0])
	}
}

func stacks(names ...string) []Stack {
	var out []Stack
	for _, n := range names {
		out = append(out, Stack{Name: n})
	}
	return out
}

func TestSelect(t *testing.T) {
	all := stacks("blog", "blog-old", "news", "shop", "wiki")
	tests := []struct {
		pattern string
		want    string // selected names, comma-separated
		wantErr []string
	}{
		{pattern: "*", want: "blog,blog-old,news,shop,wiki"},
		{pattern: "news", want: "news"},
		{pattern: "wiki,blog", want: "blog,wiki"}, // name order, not pattern order
		{pattern: " blog , news ", want: "blog,news"},
		{pattern: "blog,blog", want: "blog"},
		{pattern: "b*", want: "blog,blog-old"},
		{pattern: "????", want: "blog,news,shop,wiki"},
		{pattern: "[ns]*", want: "news,shop"},
		{pattern: "[!b]*", want: "news,shop,wiki"},
		{pattern: "*,!blog", want: "blog-old,news,shop,wiki"},
		{pattern: "!blog", want: "blog-old,news,shop,wiki"},
		{pattern: "! blog, !b*-old", want: "news,shop,wiki"},
		{pattern: "b*,!*-old", want: "blog"},
		{pattern: "blog,", want: "blog"},
		{pattern: "nwes", wantErr: []string{`no stack named "nwes"`, `did you mean "news"?`, "stacks: blog, blog-old, news, shop, wiki"}},
		{pattern: "blog,Wikki", wantErr: []string{`no stack named "Wikki"`, `did you mean "wiki"?`}},
		{pattern: "zzzzzzzz", wantErr: []string{`no stack named "zzzzzzzz"; stacks: blog`}},
		{pattern: "!nope", wantErr: []string{`no stack named "nope"`}},
		{pattern: "x*", wantErr: []string{`pattern "x*" matches no stack`, "stacks: blog, blog-old, news, shop, wiki"}},
		{pattern: "*,!*", wantErr: []string{"matches no stack"}},
		{pattern: "../blog", wantErr: []string{`"../blog"`, "cannot contain '/' or '..'"}},
		{pattern: "blog/x", wantErr: []string{"cannot contain '/' or '..'"}},
		{pattern: "..", wantErr: []string{"cannot contain '/' or '..'"}},
		{pattern: "news,!../x", wantErr: []string{"cannot contain '/' or '..'"}},
		{pattern: "*/", wantErr: []string{"cannot contain '/' or '..'"}},
		{pattern: "[b", wantErr: []string{`"[b": malformed glob`}},
		{pattern: "", wantErr: []string{"empty pattern"}},
		{pattern: " , ", wantErr: []string{"empty pattern"}},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			got, err := Select(all, tt.pattern)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("Select(%q) = %v, want an error", tt.pattern, Names(got))
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("Select(%q) error %q does not contain %q", tt.pattern, err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Select(%q): %v", tt.pattern, err)
			}
			if g := strings.Join(Names(got), ","); g != tt.want {
				t.Errorf("Select(%q) = %s, want %s", tt.pattern, g, tt.want)
			}
		})
	}
}

func TestSelectNoStacks(t *testing.T) {
	_, err := Select(nil, "blog")
	if err == nil || !strings.Contains(err.Error(), "holds no stacks") {
		t.Fatalf("Select(nil) error = %v", err)
	}
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "ab", 2}, {"news", "nwes", 2}, {"kitten", "sitting", 3}, {"café", "cafe", 1},
	} {
		if got := distance(tt.a, tt.b); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// An unknown name among many stacks lists them in columns, as ls does,
// not on one long line.
func TestUnknownStackColumns(t *testing.T) {
	var stacks []Stack
	for i := range 60 {
		stacks = append(stacks, Stack{Name: fmt.Sprintf("service-%02d", i)})
	}
	for _, pattern := range []string{"nope", "x*"} {
		_, err := Select(stacks, pattern)
		if err == nil {
			t.Fatalf("%s: no error", pattern)
		}
		lines := strings.Split(err.Error(), "\n")
		if !strings.HasSuffix(lines[0], "; stacks:") {
			t.Errorf("%s: first line %q", pattern, lines[0])
		}
		for _, l := range lines[1:] {
			if len(l) > 80 || !strings.HasPrefix(l, "  ") {
				t.Errorf("%s: line %q is not an indented column row within 80 characters", pattern, l)
			}
		}
		// column-major: the first row starts with the first stack and
		// the second column holds the stack after the first column's last.
		rows := len(lines) - 1
		if f := strings.Fields(lines[1]); len(f) < 2 || f[0] != "service-00" || f[1] != fmt.Sprintf("service-%02d", rows) {
			t.Errorf("%s: first row %q (%d rows)", pattern, lines[1], rows)
		}
		if n := strings.Count(err.Error(), "service-"); n != 60 {
			t.Errorf("%s: %d stacks listed, want 60", pattern, n)
		}
	}
}

func TestNotAStack(t *testing.T) {
	root := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("stack/compose.yaml", "services: {}\n")
	write("envonly/.env", "A=1\n  export COMPOSE_FILE = x.yaml\n")
	write("other/.env", "MY_COMPOSE_FILE=x.yaml\n# COMPOSE_FILE=x.yaml\n")
	write("elsewhere/.env.real", "COMPOSE_FILE=x.yaml\n")
	if err := os.Mkdir(filepath.Join(root, "linked"), 0o755); err != nil {
		t.Fatal(err)
	}
	// a .env that is a link is not read: it may point anywhere
	if err := os.Symlink(filepath.Join(root, "elsewhere/.env.real"), filepath.Join(root, "linked/.env")); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"stack":   "",
		"nothing": "",
		".":       "",
		"envonly": "its .env sets COMPOSE_FILE",
		"other":   "has no compose.yaml",
		"linked":  "has no compose.yaml",
	} {
		got := NotAStack(root, name)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
		if name != "envonly" && strings.Contains(got, "COMPOSE_FILE") {
			t.Errorf("%s: %q mentions COMPOSE_FILE", name, got)
		}
	}
}
