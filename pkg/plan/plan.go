// Package plan turns a kompose command line into a plan: for every selected
// stack, its merged environment and the steps to run (pre hook, compose
// command or another action, post hook) with their exact arguments.
//
// A dry run prints the plan and a real run executes it; both walk the same
// [Plan], so nothing is decided twice. Building a plan starts no process: it
// reads .env files, parses hooks.sh and looks for the compose binary.
package plan

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/stack"
)

// Kind is what a step does.
type Kind int

// The kinds of step.
const (
	KindHook    Kind = iota // a hook
	KindCommand             // the command itself: docker compose or an action
)

// Step is one thing to run for a stack.
type Step struct {
	Kind  Kind
	Phase hooks.Phase // for hooks
	// Label names the step for people: the hook function or the program.
	Label string
	// Source says where a hook is defined ("hooks.sh:12").
	Source string
	// Args are the arguments shown after Label.
	Args []string
	// Cmd is the process to run. Its Stdin/Stdout/Stderr are set by the
	// runner. Unused when Action is set.
	Cmd proc.Cmd
	// Action, when set, runs in kompose instead of a process (database
	// commands).
	Action Action
}

// Action is a step kompose performs itself rather than by starting one
// process.
type Action interface {
	// Run performs the action. ex starts any process it needs.
	Run(ctx context.Context, ex *ActionEnv) error
}

// ActionEnv is what an action may use while it runs.
type ActionEnv struct {
	Proc  proc.Runner
	Stack *Stack
	Cmd   proc.Cmd // the streams, folder and environment of the stack
}

// Stack is the plan for one stack.
type Stack struct {
	stack.Stack
	Env *env.Env
	// Masker hides this stack's secret values in anything printed.
	Masker *env.Masker
	Steps  []Step
	// Err is set when the stack cannot run at all (a broken .env or
	// hooks.sh). It is known before any stack starts; the stack then runs
	// nothing and counts as failed.
	Err error
	// Skip, when set, says why the command does not apply to this stack
	// (db:export of a stack without DB_NAME): it runs nothing, not even its
	// hooks, and counts as skipped, not failed.
	Skip string
}

// Plan is the whole plan of one kompose invocation.
type Plan struct {
	Root    string
	Command string
	Args    []string
	// Global are the variables every stack gets from the root .env,
	// --network and -e.
	Global []env.Var
	// Masker hides the secret values of the environment every stack
	// starts from (Global and the process environment).
	Masker *env.Masker
	Stacks []*Stack
}

// Request is a parsed command line.
type Request struct {
	Root      string
	Command   string
	Args      []string
	Network   string    // --network, "" when not given
	Overrides []env.Var // -e, in command-line order
	// Environ is the process environment (os.Environ()).
	Environ []string
}

// CommandFunc plans the command step of a kompose command that is not a
// compose subcommand (db:export). It returns the step to run between the
// pre and post hooks. An error fails that stack, except a [*SkipError]
// (the stack is skipped) and an error wrapping [ErrUsage] (the command line
// is wrong: nothing runs, exit status 2).
type CommandFunc func(s *Stack, command string, args []string) (Step, error)

// ErrUsage marks a [CommandFunc] error as a mistake in the command line
// (an unknown option of db:export), not a problem of one stack.
var ErrUsage = errors.New("usage error")

// SkipError, returned by a [CommandFunc], says the command does not apply
// to the stack.
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return "skipped: " + e.Reason }

// Builder builds plans. Commands holds the kompose commands ("db:export")
// that are not passed to docker compose.
type Builder struct {
	Commands map[string]CommandFunc
	// Detect finds the compose command for a stack's environment;
	// nil means [compose.Detect].
	Detect func(compose.Lookup) ([]string, error)

	// detected memoises Detect by the variables plugin detection reads,
	// so that stacks sharing them (nearly always all of them) cost no
	// file-system look-ups.
	detected map[[3]string][]string
}

// composeCommand returns the compose command for e.
func (b *Builder) composeCommand(e *env.Env) ([]string, error) {
	detect := b.Detect
	if detect == nil {
		detect = compose.Detect
	}
	if v, _ := e.Get(compose.OverrideVar); v != "" {
		return detect(e.Lookup) // no look-ups to save; may expand any variable
	}
	var key [3]string
	for i, k := range [...]string{"DOCKER_CONFIG", "HOME", "PATH"} {
		key[i], _ = e.Get(k)
	}
	if argv, ok := b.detected[key]; ok {
		return argv, nil
	}
	argv, err := detect(e.Lookup)
	if err != nil {
		return nil, err
	}
	if b.detected == nil {
		b.detected = map[[3]string][]string{}
	}
	b.detected[key] = argv
	return argv, nil
}

// IsKomposeCommand reports whether command is in kompose's own name:verb
// namespace (compose has no subcommand with a colon).
func IsKomposeCommand(command string) bool { return strings.Contains(command, ":") }

// Build plans req for stacks. An error means nothing can run (unknown
// command, unreadable root .env); problems of one stack are recorded in its
// Stack.Err instead.
func (b *Builder) Build(req Request, stacks []stack.Stack) (*Plan, error) {
	var cmdFunc CommandFunc
	if IsKomposeCommand(req.Command) {
		cmdFunc = b.Commands[req.Command]
		if cmdFunc == nil {
			return nil, fmt.Errorf("unknown command %q; kompose's own commands: %s", req.Command, strings.Join(b.names(), ", "))
		}
	}
	base, err := BaseEnv(req)
	if err != nil {
		return nil, err
	}
	p := &Plan{Root: req.Root, Command: req.Command, Args: req.Args, Global: base.Layered(), Masker: env.NewMasker(base)}
	for _, st := range stacks {
		s := b.planStack(req, base, st, cmdFunc)
		if errors.Is(s.Err, ErrUsage) {
			return nil, s.Err
		}
		p.Stacks = append(p.Stacks, s)
	}
	return p, nil
}

// BaseEnv is the environment every stack starts from: the process
// environment, the root .env, --network and -e.
func BaseEnv(req Request) (*env.Env, error) {
	base := env.FromEnviron(req.Environ)
	if req.Network != "" {
		base.Override("NETWORK_NAME", req.Network, env.SourceNetwork)
	}
	for _, v := range req.Overrides {
		base.Override(v.Name, v.Value, env.SourceOverride)
	}
	if p := stack.RootEnvFile(req.Root); p != "" {
		if err := base.LoadFile(p, env.SourceRootEnv); err != nil {
			return nil, err
		}
	}
	return base, nil
}

// StackEnv returns the merged environment of st: a copy of base with the
// stack's .env loaded.
func StackEnv(base *env.Env, st stack.Stack) (*env.Env, error) {
	e := base.Clone()
	if st.EnvFile != "" {
		if err := e.LoadFile(st.EnvFile, env.SourceStackEnv); err != nil {
			return e, err
		}
	}
	return e, nil
}

func (b *Builder) names() []string {
	var out []string
	for n := range b.Commands {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (b *Builder) planStack(req Request, base *env.Env, st stack.Stack, cmdFunc CommandFunc) *Stack {
	e, err := StackEnv(base, st)
	s := &Stack{Stack: st, Env: e, Masker: env.NewMasker(e)}
	fail := func(err error) *Stack {
		s.Err = err
		return s
	}
	if err != nil {
		return fail(err)
	}
	var script *hooks.Script
	if st.HooksFile != "" {
		if script, err = hooks.ParseFile(st.HooksFile); err != nil {
			return fail(err)
		}
	}

	environ := s.Env.Environ()
	var main Step
	if cmdFunc != nil {
		var err error
		if main, err = cmdFunc(s, req.Command, req.Args); err != nil {
			var skip *SkipError
			if errors.As(err, &skip) {
				s.Skip = skip.Reason
				return s
			}
			return fail(err)
		}
	} else {
		argv, err := b.composeCommand(s.Env)
		if err != nil {
			return fail(err)
		}
		argv = append(append(argv[:len(argv):len(argv)], req.Command), req.Args...)
		main = Step{Kind: KindCommand, Label: argv[0], Args: argv[1:], Cmd: proc.Cmd{Argv: argv}}
	}
	main.Kind = KindCommand
	main.Cmd.Dir, main.Cmd.Env = st.Dir, environ

	pre, hasPre := script.Lookup(hooks.FuncName(hooks.Pre, req.Command))
	post, hasPost := script.Lookup(hooks.FuncName(hooks.Post, req.Command))
	var hookEnv []string
	if hasPre || hasPost {
		he := s.Env.Clone()
		he.Set("stack", st.Name, env.SourceKompose)
		he.Set("SCRIPT_DIR", req.Root, env.SourceKompose)
		he.Set("COMPOSE_PROJECT_NAME", compose.ProjectName(st.Dir, st.ComposeFile, s.Env.Lookup), env.SourceKompose)
		hookEnv = he.Environ()
	}
	hookArgs := hookArgs(req, main)
	hook := func(ph hooks.Phase, fn hooks.Func) Step {
		return Step{
			Kind: KindHook, Phase: ph, Label: fn.Name,
			Source: fmt.Sprintf("%s:%d", stack.HooksFileName, fn.Line),
			Args:   hookArgs,
			Cmd:    proc.Cmd{Argv: script.Argv(fn.Name, hookArgs), Dir: st.Dir, Env: hookEnv, Gate: true},
		}
	}
	if hasPre {
		s.Steps = append(s.Steps, hook(hooks.Pre, pre))
	}
	s.Steps = append(s.Steps, main)
	if hasPost {
		s.Steps = append(s.Steps, hook(hooks.Post, post))
	}
	return s
}

// hookArgs are the arguments a hook function receives: the compose
// subcommand and its arguments (hook_pre_up up -d), or what an action
// chose (the dump file of db:export).
func hookArgs(req Request, main Step) []string {
	if main.Action != nil {
		if ha, ok := main.Action.(interface{ HookArgs() []string }); ok {
			return ha.HookArgs()
		}
		return req.Args
	}
	return append([]string{req.Command}, req.Args...)
}
