package plan

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/internal/stacktest"
	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/stack"
)

// dumpAction stands for a database command: its hooks get the dump path.
type dumpAction struct{ path string }

func (a dumpAction) Run(context.Context, *ActionEnv) error { return nil }
func (a dumpAction) HookArgs() []string                    { return []string{a.path} }
func (a dumpAction) DumpFile() string                      { return a.path }

func setup(t *testing.T, files map[string]string) (string, []stack.Stack) {
	t.Helper()
	return stacktest.Root(t, files)
}

func envValue(environ []string, key string) (string, bool) {
	for _, kv := range environ {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v, true
		}
	}
	return "", false
}

func TestDatabaseHooksGetTheDumpFile(t *testing.T) {
	root, stacks := setup(t, map[string]string{
		"blog/compose.yaml":          "services: {}\n",
		"blog/hooks.sh":              "hook_post_db_export() { :; }\n",
		"blog/hooks/pre-db-export":   "#!/bin/sh\n",
		"blog/hooks/fail-db-export":  "#!/bin/sh\n",
		"hooks/post-db-export":       "#!/bin/sh\n",
		"hooks/post-up":              "#!/bin/sh\n",
		"blog/hooks/post-db-cleanup": "#!/bin/sh\n",
	})
	b := &Builder{
		Commands: map[string]CommandFunc{
			"db:export": func(s *Stack, _ string, _ []string) (Step, error) {
				return Step{Label: "db:export", Action: dumpAction{filepath.Join(s.Dir, "app_1.sql")}}, nil
			},
		},
		Version: "9.9", Performer: "alice",
		Now: func() time.Time { return time.Date(2026, 11, 21, 3, 15, 7, 0, time.UTC) },
	}
	p, err := b.Build(Request{Root: root, Command: "db:export", Args: []string{"--compress", "zstd"},
		Environ: []string{"PATH=/bin", "KOMPOSE_EXIT_CODE=5", "KOMPOSE_DUMP_FILE=/old.sql"}}, stacks)
	if err != nil {
		t.Fatal(err)
	}
	s := p.Stacks[0]
	if s.Err != nil {
		t.Fatal(s.Err)
	}
	dump := filepath.Join(s.Dir, "app_1.sql")
	var labels []string
	for _, st := range s.Steps {
		labels = append(labels, st.Label)
		if st.Hook == nil {
			continue
		}
		if len(st.Args) != 1 || st.Args[0] != dump {
			t.Errorf("%s: args %q, want the dump path", st.Label, st.Args)
		}
		if v, _ := envValue(st.Cmd.Environ(), hooks.VarDumpFile); v != dump {
			t.Errorf("%s: KOMPOSE_DUMP_FILE=%q, want %q", st.Label, v, dump)
		}
		if st.Hook.Info.DumpFile == nil || *st.Hook.Info.DumpFile != dump {
			t.Errorf("%s: Info.DumpFile not the dump", st.Label)
		}
		if _, ok := envValue(st.Cmd.Environ(), hooks.VarExitCode); ok {
			t.Errorf("%s: KOMPOSE_EXIT_CODE leaked in from the environment", st.Label)
		}
		for kv, want := range map[string]string{
			hooks.VarCommand: "db:export", hooks.VarHook: string(st.Phase) + "-db-export",
			hooks.VarPerformer: "alice", hooks.VarVersion: "9.9", hooks.VarRecordedAt: "2026-11-21T03:15:07Z",
			hooks.VarStack: "blog", hooks.VarRoot: root, "stack": "blog", "SCRIPT_DIR": root,
		} {
			if v, _ := envValue(st.Cmd.Environ(), kv); v != want {
				t.Errorf("%s: %s=%q, want %q", st.Label, kv, v, want)
			}
		}
	}
	want := "hooks/pre-db-export db:export hook_post_db_export ../hooks/post-db-export hooks/fail-db-export"
	if got := strings.Join(labels, " "); got != want {
		t.Errorf("steps %q, want %q", got, want)
	}
	if last := s.Steps[len(s.Steps)-1]; last.When != OnFailure || last.Phase != hooks.Fail {
		t.Errorf("fail hook step %+v", last)
	}
}

func TestHookTimeoutAndSkip(t *testing.T) {
	root, stacks := setup(t, map[string]string{
		"a/compose.yaml": "services: {}\n",
		"a/.env":         "KOMPOSE_HOOK_TIMEOUT=90\n",
		"a/hooks/pre-up": "#!/bin/sh\n",
		"b/compose.yaml": "services: {}\n",
		"b/.env":         "KOMPOSE_SKIP_HOOKS=yes\n",
		"b/hooks/pre-up": "#!/bin/sh\n",
		"c/compose.yaml": "services: {}\n",
		"c/.env":         "KOMPOSE_HOOK_TIMEOUT=later\n",
		"c/hooks/pre-up": "#!/bin/sh\n",
	})
	p, err := (&Builder{}).Build(Request{Root: root, Command: "up", Environ: []string{"KOMPOSE_HOOK_TIMEOUT=5s"}}, stacks)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Stacks[0].Steps[0].Cmd.Timeout; got != 90*time.Second {
		t.Errorf("a: timeout %s, want the stack .env's 1m30s", got)
	}
	if st := p.Stacks[1].Steps[0]; st.Skip != SkipReason || st.Hook == nil {
		t.Errorf("b: step %+v, want a skipped hook", st)
	}
	if err := p.Stacks[2].Err; err == nil || !strings.Contains(err.Error(), `KOMPOSE_HOOK_TIMEOUT="later" (stack .env)`) {
		t.Errorf("c: %v, want a bad-timeout error naming its source", err)
	}
	p, err = (&Builder{HookTimeout: time.Second, HookTimeoutSet: true}).Build(Request{Root: root, Command: "up"}, stacks)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Stack{p.Stacks[0], p.Stacks[2]} {
		if s.Err != nil || s.Steps[0].Cmd.Timeout != time.Second {
			t.Errorf("%s: the flag should win: %v %s", s.Name, s.Err, s.Steps[0].Cmd.Timeout)
		}
	}
}
