package complete

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/settings"
)

// mkRoot makes a root with the stacks names under dir/stacks and returns
// dir.
func mkRoot(t testing.TB, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		write(t, filepath.Join(dir, "stacks", n, "compose.yaml"), "services: {web: {image: nginx}}\n", 0o644)
	}
	return dir
}

func write(t testing.TB, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

func ask(dir string, words ...string) Reply {
	return Complete(context.Background(), Request{Words: words, Cwd: dir, Environ: []string{"PATH=/usr/bin:/bin"}})
}

func TestPatternsAndCommands(t *testing.T) {
	dir := mkRoot(t, "blog", "news", "shop", "version")
	for _, tt := range []struct {
		words []string
		want  []string
	}{
		{[]string{"b"}, []string{"blog"}},
		{[]string{""}, []string{"blog", "completion", "hosts", "news", "shop", "sync", "version"}},
		{[]string{"blog,"}, []string{"blog,news", "blog,shop", "blog,version"}},
		{[]string{"blog, n"}, []string{"blog, news"}},
		{[]string{"!n"}, []string{"!news"}},
		{[]string{"*,!s"}, []string{"*,!shop"}},
		{[]string{`"blog,n`}, []string{"blog,news"}}, // the shell's quote is not part of the pattern
		{[]string{"-n", "--env", "A=1", "bl"}, []string{"blog"}},
		{[]string{"blog", "db:ex"}, []string{"db:export"}},
		{[]string{"blog", "--", "wat"}, []string{"watch"}},
		{[]string{"blog", "--dr"}, []string{"--dry-run"}},
		{[]string{"blog", "status", "--j"}, []string{"--json"}},
		{[]string{"completion", "z"}, []string{"zsh"}},
		// a stack named like a root command takes commands
		{[]string{"version", "pu"}, []string{"publish", "pull", "push"}},
		{[]string{"--ro"}, []string{"--root"}},
		{[]string{"-"}, nil}, // checked below: every option
	} {
		got := ask(dir, tt.words...)
		if tt.want == nil {
			continue
		}
		if !reflect.DeepEqual(got.Words, tt.want) {
			t.Errorf("%q: %q, want %q", tt.words, got.Words, tt.want)
		}
	}
	// every global option and every command of the table is offered: a
	// command or option another change adds appears without this package
	// changing.
	opts := strings.Join(ask(dir, "-").Words, " ")
	for _, f := range settings.GlobalFlags() {
		for _, n := range f.Names() {
			if want := map[bool]string{true: "-", false: "--"}[len(n) == 1] + n; !strings.Contains(" "+opts+" ", " "+want+" ") {
				t.Errorf("option %s not offered: %s", want, opts)
			}
		}
	}
	cmds := ask(dir, "blog", "").Words
	for _, c := range commands.Table() {
		if !contains(cmds, c.Name) {
			t.Errorf("command %s not offered", c.Name)
		}
	}
	for _, r := range commands.RootCommands() {
		if !contains(ask(dir, "").Words, r.Name) {
			t.Errorf("root command %s not offered", r.Name)
		}
	}
}

func TestDirectives(t *testing.T) {
	dir := mkRoot(t, "blog")
	for _, tt := range []struct {
		words []string
		want  Directive
	}{
		{[]string{"--root", ""}, Dirs},
		{[]string{"--root=st"}, Dirs},
		{[]string{"--report", ""}, Files},
		{[]string{"blog", "cp", ""}, Files},
		{[]string{"blog", "db:import", "./"}, Files},
		{[]string{"blog", "status", ""}, ""},
	} {
		if got := ask(dir, tt.words...); got.Directive != tt.want {
			t.Errorf("%q: directive %q, want %q", tt.words, got.Directive, tt.want)
		}
	}
}

// TestDumpsOnlyFromTrustedEnv: the dump folder comes from the stack's .env
// only when the trust rule accepts it; hooks never run.
func TestDumpsOnlyFromTrustedEnv(t *testing.T) {
	dir := mkRoot(t, "blog", "news")
	for _, s := range []string{"blog", "news"} {
		write(t, filepath.Join(dir, "stacks", s, ".env"), "DB_NAME="+s+"\nDB_DUMP_DIR=dumps\n", 0o644)
		write(t, filepath.Join(dir, "stacks", s, "dumps", s+"_20261201_030000.sql"), "x", 0o644)
		write(t, filepath.Join(dir, "stacks", s, "hooks.sh"), "touch "+filepath.Join(dir, "ran")+"\nhook_pre_db_import() { :; }\n", 0o644)
	}
	if got := ask(dir, "blog", "db:import", ""); !reflect.DeepEqual(got.Words, []string{"blog_20261201_030000.sql"}) {
		t.Errorf("trusted .env: %q", got.Words)
	}
	// news's .env is writable by others: kompose refuses it, and so does
	// completion (DB_DUMP_DIR unknown: nothing offered).
	if err := os.Chmod(filepath.Join(dir, "stacks", "news", ".env"), 0o666); err != nil {
		t.Fatal(err)
	}
	if got := ask(dir, "news", "db:import", ""); len(got.Words) != 0 {
		t.Errorf("refused .env: %q offered", got.Words)
	}
	// one import file only
	if got := ask(dir, "blog", "db:import", "x.sql", ""); len(got.Words) != 0 {
		t.Errorf("second argument: %q", got.Words)
	}
	if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
		t.Error("a hook ran")
	}
}

// TestRootEnvRefused: a root .env the trust rule refuses stops file
// completion altogether (kompose would not run).
func TestRootEnvRefused(t *testing.T) {
	dir := mkRoot(t, "blog")
	write(t, filepath.Join(dir, "stacks", "blog", ".env"), "DB_NAME=blog\n", 0o644)
	write(t, filepath.Join(dir, "stacks", "blog", "blog_20261201_030000.sql"), "x", 0o644)
	if got := ask(dir, "blog", "db:import", ""); len(got.Words) != 1 {
		t.Fatalf("trusted: %q", got.Words)
	}
	write(t, filepath.Join(dir, "stacks", ".env"), "DB_DUMP_DIR=/\n", 0o666)
	if got := ask(dir, "blog", "db:import", ""); len(got.Words) != 0 {
		t.Errorf("refused root .env: %q", got.Words)
	}
}

func TestDequote(t *testing.T) {
	for in, want := range map[string]string{`"a b"`: "a b", `'a"b'`: `a"b`, `a\ b`: "a b", `"blog,`: "blog,", `x`: "x", `'!n`: "!n"} {
		if got := Dequote(in); got != want {
			t.Errorf("Dequote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteAndScripts(t *testing.T) {
	var b strings.Builder
	if err := (Reply{Words: []string{"a", "b\nc", ""}, Directive: Files}).Write(&b); err != nil || b.String() != "a\n:files\n" {
		t.Errorf("Write: %q, %v", b.String(), err)
	}
	// the shells of the root command are the shells with a script
	for _, r := range commands.RootCommands() {
		if r.Name == commands.Completion && !reflect.DeepEqual(r.Words, Shells()) {
			t.Errorf("completion offers %q, scripts exist for %q", r.Words, Shells())
		}
	}
	for _, sh := range Shells() {
		s, err := Script(sh)
		if err != nil || !strings.Contains(s, Entry) {
			t.Errorf("%s: %v, or the script does not ask %s", sh, err, Entry)
		}
	}
	if _, err := ScriptFor(nil); err == nil {
		t.Error("ScriptFor(nil): no error")
	}
}

// BenchmarkStacks500 is completing a pattern in a root of 500 stacks (the
// budget: 50 ms for the whole kompose process; docs/performance.md).
func BenchmarkStacks500(b *testing.B) {
	var names []string
	for i := range 500 {
		names = append(names, fmt.Sprintf("stack%03d", i))
	}
	dir := mkRoot(b, names...)
	b.ResetTimer()
	for b.Loop() {
		if got := ask(dir, "stack4"); len(got.Words) != 100 {
			b.Fatalf("%d words", len(got.Words))
		}
	}
}
