package plan

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kompose-dev/kompose/internal/stacktest"
	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/stack"
)

// root writes files (path -> content) under a new root and returns it with
// its stacks.
func root(t *testing.T, files map[string]string) (string, []stack.Stack) {
	t.Helper()
	return stacktest.Root(t, files)
}

func fixedCompose(compose.Lookup) ([]string, error) { return []string{"docker", "compose"}, nil }

func environMap(environ []string) map[string]string {
	m := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

const svc = "services: {web: {image: nginx}}\n"

func TestBuildSteps(t *testing.T) {
	dir, stacks := root(t, map[string]string{
		".env":              "DOMAIN=example.org\nSHARED=root\n",
		"blog/compose.yaml": "name: ${SITE}-blog\n" + svc,
		"blog/.env":         "SITE=prod\nSHARED=blog\nONLY_BLOG=1\nURL=https://${DOMAIN}\n",
		"blog/hooks.sh":     "hook_pre_up() { :; }\n\nhook_post_up() { :; }\nhook_pre_down() { :; }\n",
		"news/compose.yml":  svc,
		"news/hooks.sh":     "hook_post_up() { :; }\n",
		"shop/compose.yaml": svc,
	})
	b := Builder{Detect: fixedCompose}
	req := Request{
		Root: dir, Command: "up", Args: []string{"-d", "two words"},
		Network: "proxy", Overrides: []env.Var{{Name: "FORCED", Value: "cli", Source: env.SourceOverride}},
		Environ: []string{"PATH=/bin", "SHARED=process", "HOME=/home/u"},
	}
	p, err := b.Build(req, stacks)
	if err != nil {
		t.Fatal(err)
	}
	if p.Root != dir || p.Command != "up" || !reflect.DeepEqual(p.Args, req.Args) {
		t.Errorf("plan header = %q %q %q", p.Root, p.Command, p.Args)
	}
	wantGlobal := []env.Var{
		{Name: "DOMAIN", Value: "example.org", Source: env.SourceRootEnv},
		{Name: "FORCED", Value: "cli", Source: env.SourceOverride},
		{Name: "NETWORK_NAME", Value: "proxy", Source: env.SourceNetwork},
		{Name: "SHARED", Value: "root", Source: env.SourceRootEnv},
	}
	if !reflect.DeepEqual(p.Global, wantGlobal) {
		t.Errorf("Global = %v, want %v", p.Global, wantGlobal)
	}
	if len(p.Stacks) != 3 {
		t.Fatalf("%d stacks", len(p.Stacks))
	}

	type stepWant struct {
		kind   Kind
		phase  hooks.Phase
		label  string
		source string
	}
	wantSteps := map[string][]stepWant{
		"blog": {{KindHook, hooks.Pre, "hook_pre_up", "hooks.sh:1"}, {KindCommand, "", "docker", ""}, {KindHook, hooks.Post, "hook_post_up", "hooks.sh:3"}},
		"news": {{KindCommand, "", "docker", ""}, {KindHook, hooks.Post, "hook_post_up", "hooks.sh:1"}},
		"shop": {{KindCommand, "", "docker", ""}},
	}
	for _, s := range p.Stacks {
		if s.Err != nil {
			t.Fatalf("%s: %v", s.Name, s.Err)
		}
		var got []stepWant
		for _, st := range s.Steps {
			got = append(got, stepWant{st.Kind, st.Phase, st.Label, st.Source})
			if st.Cmd.Dir != s.Dir {
				t.Errorf("%s %s runs in %q, want %q", s.Name, st.Label, st.Cmd.Dir, s.Dir)
			}
			switch st.Kind {
			case KindCommand:
				if want := []string{"docker", "compose", "up", "-d", "two words"}; !reflect.DeepEqual(st.Cmd.Argv, want) {
					t.Errorf("%s command argv = %q, want %q", s.Name, st.Cmd.Argv, want)
				}
				if want := []string{"compose", "up", "-d", "two words"}; !reflect.DeepEqual(st.Args, want) {
					t.Errorf("%s command args = %q", s.Name, st.Args)
				}
				if _, ok := environMap(st.Cmd.Env)["stack"]; ok {
					t.Errorf("%s: compose got the hooks' variables", s.Name)
				}
			case KindHook:
				script, _ := hooks.ParseFile(s.HooksFile)
				want := script.Argv(st.Label, []string{"up", "-d", "two words"})
				if !reflect.DeepEqual(st.Cmd.Argv, want) || !st.Cmd.Gate {
					t.Errorf("%s hook argv = %q, want %q", s.Name, st.Cmd.Argv, want)
				}
				if !reflect.DeepEqual(st.Args, []string{"up", "-d", "two words"}) {
					t.Errorf("%s hook args = %q", s.Name, st.Args)
				}
			}
		}
		if !reflect.DeepEqual(got, wantSteps[s.Name]) {
			t.Errorf("%s steps = %v, want %v", s.Name, got, wantSteps[s.Name])
		}
	}

	blog, news, shop := p.Stacks[0], p.Stacks[1], p.Stacks[2]
	// The merged environment, layer by layer.
	be := environMap(blog.Steps[1].Cmd.Env)
	for k, want := range map[string]string{
		"PATH": "/bin", "HOME": "/home/u", "SHARED": "blog", "DOMAIN": "example.org", "ONLY_BLOG": "1",
		"URL": "https://example.org", "NETWORK_NAME": "proxy", "FORCED": "cli", "SITE": "prod",
	} {
		if be[k] != want {
			t.Errorf("blog compose env %s = %q, want %q", k, be[k], want)
		}
	}
	// Hooks see kompose's variables on top of the same environment.
	he := environMap(blog.Steps[0].Cmd.Environ())
	for k, want := range map[string]string{"stack": "blog", "SCRIPT_DIR": dir, "COMPOSE_PROJECT_NAME": "prod-blog", "SHARED": "blog", "FORCED": "cli"} {
		if he[k] != want {
			t.Errorf("blog hook env %s = %q, want %q", k, he[k], want)
		}
	}
	// ... the same for pre and post hooks, but for the hook's own name.
	pe := environMap(blog.Steps[2].Cmd.Environ())
	if he["KOMPOSE_HOOK"] != "pre-up" || pe["KOMPOSE_HOOK"] != "post-up" {
		t.Errorf("KOMPOSE_HOOK: pre %q, post %q", he["KOMPOSE_HOOK"], pe["KOMPOSE_HOOK"])
	}
	delete(pe, "KOMPOSE_HOOK")
	delete(he, "KOMPOSE_HOOK")
	if !reflect.DeepEqual(pe, he) {
		t.Errorf("pre and post hooks have different environments")
	}
	ne := environMap(news.Steps[1].Cmd.Env)
	if ne["stack"] != "news" || ne["COMPOSE_PROJECT_NAME"] != "news" {
		t.Errorf("news hook env: stack=%q project=%q", ne["stack"], ne["COMPOSE_PROJECT_NAME"])
	}
	// Nothing of blog reaches the next stacks.
	for _, s := range []*Stack{news, shop} {
		e := environMap(s.Steps[0].Cmd.Env)
		if _, ok := e["ONLY_BLOG"]; ok {
			t.Errorf("%s sees blog's ONLY_BLOG", s.Name)
		}
		if _, ok := e["SITE"]; ok {
			t.Errorf("%s sees blog's SITE", s.Name)
		}
		if e["SHARED"] != "root" {
			t.Errorf("%s SHARED = %q, want root", s.Name, e["SHARED"])
		}
	}
}

func TestBuildStackErrors(t *testing.T) {
	dir, stacks := root(t, map[string]string{
		"a/compose.yaml": svc,
		"a/.env":         "OK=1\nNOT OK\n",
		"b/compose.yaml": svc,
		"b/hooks.sh":     "hook_pre_up() {\n  echo\n\nhook_post_up() { :; }\n",
		"c/compose.yaml": svc,
		"c/hooks.sh":     "hook_pre_up() { :; }\n",
	})
	// d: a .env that is a folder cannot be read.
	if err := os.MkdirAll(filepath.Join(dir, "d", ".env"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "d", "compose.yaml"), []byte(svc), 0o644); err != nil {
		t.Fatal(err)
	}
	stacks, _ = stack.Discover(dir)
	p, err := (&Builder{Detect: fixedCompose}).Build(Request{Root: dir, Command: "up"}, stacks)
	if err != nil {
		t.Fatal(err)
	}
	wantErr := map[string]string{
		"a": filepath.Join(dir, "a", ".env") + ": line 2",
		"b": filepath.Join(dir, "b", "hooks.sh") + ":1: hooks.sh does not parse",
		"c": "",
		"d": filepath.Join(dir, "d", ".env"),
	}
	for _, s := range p.Stacks {
		w := wantErr[s.Name]
		switch {
		case w == "" && s.Err != nil:
			t.Errorf("%s: unexpected error %v", s.Name, s.Err)
		case w != "" && (s.Err == nil || !strings.Contains(s.Err.Error(), w)):
			t.Errorf("%s: error %v, want one containing %q", s.Name, s.Err, w)
		case w != "" && len(s.Steps) != 0:
			t.Errorf("%s: a broken stack has steps %v", s.Name, s.Steps)
		}
	}
	if len(p.Stacks[2].Steps) != 2 {
		t.Errorf("c has %d steps", len(p.Stacks[2].Steps))
	}

	// A compose command that cannot be found fails that stack only.
	p, err = (&Builder{Detect: func(compose.Lookup) ([]string, error) { return nil, errors.New("no compose here") }}).
		Build(Request{Root: dir, Command: "ps"}, stacks[2:3])
	if err != nil || p.Stacks[0].Err == nil || !strings.Contains(p.Stacks[0].Err.Error(), "no compose here") {
		t.Errorf("detect failure: %v / %v", err, p.Stacks[0].Err)
	}
}

func TestBuildRequestErrors(t *testing.T) {
	dir, stacks := root(t, map[string]string{"a/compose.yaml": svc})
	b := &Builder{Detect: fixedCompose, Commands: map[string]CommandFunc{"db:export": nil, "db:list": nil}}
	_, err := b.Build(Request{Root: dir, Command: "db:exprot"}, stacks)
	if err == nil || !strings.Contains(err.Error(), `unknown command "db:exprot" (did you mean "db:export"?); kompose's own commands: db:export, db:list`) {
		t.Errorf("unknown command error = %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("A=1\nB=\"open\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = b.Build(Request{Root: dir, Command: "up"}, stacks)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, ".env")+": line 2") {
		t.Errorf("root .env error = %v", err)
	}
}

type fakeAction struct{ hookArgs []string }

func (fakeAction) Run(context.Context, *ActionEnv) error { return nil }

type hookArgsAction struct{ fakeAction }

func (a hookArgsAction) HookArgs() []string { return a.hookArgs }

func TestBuildKomposeCommand(t *testing.T) {
	dir, stacks := root(t, map[string]string{
		"a/compose.yaml": svc,
		"a/.env":         "DB_NAME=app\n",
		"a/hooks.sh":     "hook_pre_db_export() { :; }\nhook_post_db_export() { :; }\nhook_pre_db_list() { :; }\n",
	})
	var gotCommand string
	var gotArgs []string
	b := &Builder{
		Detect: func(compose.Lookup) ([]string, error) {
			t.Error("a kompose command looked for compose")
			return nil, nil
		},
		Commands: map[string]CommandFunc{
			"db:export": func(s *Stack, command string, args []string) (Step, error) {
				gotCommand, gotArgs = command, args
				if v, _ := s.Env.Get("DB_NAME"); v != "app" {
					t.Errorf("command func sees DB_NAME=%q", v)
				}
				return Step{Label: "pg_dump", Action: hookArgsAction{fakeAction{[]string{"/a/app.sql"}}}}, nil
			},
			"db:list": func(*Stack, string, []string) (Step, error) {
				return Step{Label: "list", Action: fakeAction{}}, nil
			},
			"db:fail": func(*Stack, string, []string) (Step, error) { return Step{}, errors.New("DB_NAME is not set") },
		},
	}
	p, err := b.Build(Request{Root: dir, Command: "db:export", Args: []string{"--compress", "zstd"}}, stacks)
	if err != nil {
		t.Fatal(err)
	}
	s := p.Stacks[0]
	if gotCommand != "db:export" || !reflect.DeepEqual(gotArgs, []string{"--compress", "zstd"}) {
		t.Errorf("command func got %q %q", gotCommand, gotArgs)
	}
	if len(s.Steps) != 3 || s.Steps[1].Kind != KindCommand || s.Steps[1].Cmd.Dir != s.Dir || len(s.Steps[1].Cmd.Env) == 0 {
		t.Fatalf("steps = %+v", s.Steps)
	}
	for _, i := range []int{0, 2} {
		if !reflect.DeepEqual(s.Steps[i].Args, []string{"/a/app.sql"}) {
			t.Errorf("hook %s args = %q, want the dump file", s.Steps[i].Label, s.Steps[i].Args)
		}
	}
	p, err = b.Build(Request{Root: dir, Command: "db:list", Args: []string{"x"}}, stacks)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Stacks[0].Steps[0].Args; !reflect.DeepEqual(got, []string{"x"}) {
		t.Errorf("hook args without HookArgs = %q, want the command's arguments", got)
	}
	p, err = b.Build(Request{Root: dir, Command: "db:fail"}, stacks)
	if err != nil || p.Stacks[0].Err == nil || !strings.Contains(p.Stacks[0].Err.Error(), "DB_NAME is not set") {
		t.Errorf("failing command func: %v / %+v", err, p.Stacks[0])
	}
}

func TestStackEnvAndBaseEnv(t *testing.T) {
	dir, stacks := root(t, map[string]string{
		".env":           "A=root\n",
		"s/compose.yaml": svc,
		"s/.env":         "A=stack\nB=${A}\n",
	})
	base, err := BaseEnv(Request{Root: dir, Environ: []string{"A=proc"}, Overrides: []env.Var{{Name: "C", Value: "c"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := StackEnv(base, stacks[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := e.Get("B"); v != "stack" {
		t.Errorf("B = %q", v)
	}
	if v, _ := base.Get("A"); v != "root" {
		t.Errorf("StackEnv changed the base: A = %q", v)
	}
}

type noHooksAction struct{ fakeAction }

func (noHooksAction) NoHooks() bool { return true }

// An action that says NoHooks runs alone: the stack's hooks for its
// command are not planned around it (update --check).
func TestBuildActionWithoutHooks(t *testing.T) {
	dir, stacks := root(t, map[string]string{
		"a/compose.yaml": svc,
		"a/hooks.sh":     "hook_pre_update() { :; }\nhook_post_update() { :; }\nhook_fail_update() { :; }\n",
	})
	check := false
	b := &Builder{Commands: map[string]CommandFunc{
		"update": func(*Stack, string, []string) (Step, error) {
			if check {
				return Step{Label: "update", Action: noHooksAction{}}, nil
			}
			return Step{Label: "update", Action: fakeAction{}}, nil
		},
	}}
	p, err := b.Build(Request{Root: dir, Command: "update"}, stacks)
	if err != nil || len(p.Stacks[0].Steps) != 4 {
		t.Fatalf("update: %v, steps %+v", err, p.Stacks[0].Steps)
	}
	check = true
	p, err = b.Build(Request{Root: dir, Command: "update", Args: []string{"--check"}}, stacks)
	if err != nil || len(p.Stacks[0].Steps) != 1 || p.Stacks[0].Steps[0].Kind != KindCommand {
		t.Fatalf("update --check: %v, steps %+v", err, p.Stacks[0].Steps)
	}
}
