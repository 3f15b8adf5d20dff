// Package plan turns a kompose command line into a plan: for every selected
// stack, its merged environment and the steps to run (pre hook, compose
// command or another action, post hook) with their exact arguments.
//
// A dry run prints the plan and a real run executes it; both walk the same
// [Plan], so nothing is decided twice. Building a plan starts no process: it
// reads .env files, parses hooks.sh, reads the hooks/ folders and looks for
// the compose binary.
//
// The hook steps of a stack are its pre hooks (root hooks/, stack hooks/,
// hooks.sh), the command, its post hooks (hooks.sh, stack hooks/, root
// hooks/) and its fail hooks in the same order as post hooks; fail hooks
// have When set to [OnFailure].
//
// Before any stack is planned, [Builder.CheckCommand] decides whose the
// command is (kompose's, compose's, or a typo of one of them). Every
// process of a stack runs with PWD set to the stack's folder as kompose
// names it.
//
// The plan also holds the order between stacks ([Order], order.go):
// dependencies declared with x-kompose.depends_on, the waves of stacks
// that may run together, and what a dependent waits for.
package plan

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kompose-dev/kompose/pkg/commands"
	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/fleet"
	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/settings"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/trust"
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
	// When says when the step runs: OnSuccess (the zero value), in order
	// while nothing has failed, or OnFailure (fail hooks).
	When When
	// Skip, when not "", is why the step is shown but not run
	// ("--skip-hooks").
	Skip string
	// Hook is set for hook steps: where the hook comes from and what it is
	// told. The runner adds what is known only at run time (runtime, exit
	// code) to Cmd.Env and, for executable hooks, passes Hook.Info as JSON
	// on the standard input.
	Hook *HookStep
}

// When is the condition under which a step runs.
type When int

// The conditions of a step.
const (
	OnSuccess When = iota // in order, while no earlier step failed
	OnFailure             // after a pre hook or the command failed
)

func (w When) String() string {
	if w == OnFailure {
		return "on failure"
	}
	return "on success"
}

// HookStep is what the runner needs to know about a hook step.
type HookStep struct {
	hooks.Hook
	// Info holds the facts known when planning; the runner copies it and
	// adds runtime and exit code.
	Info hooks.Info
	// Files are the files the hook runs or sources, as they were checked;
	// the runner makes sure each is unchanged right before the hook
	// starts (hooks.UnchangedFiles).
	Files []hooks.File
}

// Action is a step kompose performs itself rather than by starting one
// process.
type Action interface {
	// Run performs the action. ex starts any process it needs.
	Run(ctx context.Context, ex *ActionEnv) error
}

// NoHooker is an Action that may say that its stack's hooks do not run
// around it (update --check, which changes nothing).
type NoHooker interface {
	NoHooks() bool
}

// ActionEnv is what an action may use while it runs.
type ActionEnv struct {
	Proc  proc.Runner
	Stack *Stack
	Cmd   proc.Cmd // the streams, folder and environment of the stack
	// Passed are KEY=VALUE variables the action passes on to the later
	// steps of its stack (post and fail hooks), as a hook does through
	// $KOMPOSE_ENV.
	Passed []string
}

// Stack is the plan for one stack.
type Stack struct {
	stack.Stack
	Env *env.Env
	// compose finds the stack's compose command (ComposeCommand).
	compose func() ([]string, error)
	// Masker hides this stack's secret values in anything printed.
	Masker *env.Masker
	// Notes are the warnings about the stack's .env (unset variables).
	Notes []env.Note
	// Warnings are what compose-go logged while the stack was planned,
	// unmasked: print them through Masker.
	Warnings []string
	// Policy is the trust rule of this run (Builder.Policy), for commands
	// that check the folders they write into.
	Policy trust.Policy
	Steps  []Step
	// Err is set when the stack cannot run at all (a broken .env or
	// hooks.sh, a hook file another user may write). It is known before
	// any stack starts; the stack then runs nothing and counts as failed.
	Err error
	// CommandErr says Err came from planning the command for this stack
	// (a db:import FILE that does not exist), not from loading the stack:
	// it is reported once, in the stack's own block.
	CommandErr bool
	// NotRun are hook files for this command that exist but are not run
	// (not executable), for the dry run to mention.
	NotRun []hooks.Hook
	// HookNotes are the places in hooks.sh where discovery cannot see
	// (eval, a computed source, unset -f).
	HookNotes []hooks.Note
	// Skip, when set, says why the command does not apply to this stack
	// (db:export of a stack without DB_NAME): it runs nothing, not even its
	// hooks, and counts as skipped, not failed.
	Skip string
	// Deploy is how the stack is deployed: compose.DeployCompose or
	// compose.DeploySwarm (x-kompose.deploy, KOMPOSE_DEPLOY).
	Deploy string
	// Ready, when set, tells whether the stack is up for its dependents
	// (a Swarm stack: its services converged) instead of its compose
	// containers; final says waiting will not help.
	Ready func(ctx context.Context, p proc.Runner) (ready bool, pending string, final bool, err error)
}

// Swarm reports whether the stack is deployed on Docker Swarm.
func (s *Stack) Swarm() bool { return s.Deploy == compose.DeploySwarm }

// ComposeCommand returns the stack's compose command ("docker",
// "compose"), to which a subcommand and its arguments are appended: found
// as the builder finds it for compose steps (KOMPOSE_COMPOSE, the plugin,
// v1), once per distinct environment.
func (s *Stack) ComposeCommand() ([]string, error) {
	if s.compose == nil {
		return compose.Detect(s.Env.Lookup)
	}
	return s.compose()
}

// ErrSwarmExec is the error of [Stack.ExecCommand] for a Swarm stack.
var ErrSwarmExec = errors.New("a stack deployed on Docker Swarm has no compose containers to exec into: " +
	"set DB_HOST (host mode: the tools run here against the address the database publishes), " +
	"or DB_CONTAINER with DOCKER_CONTEXT (or DOCKER_HOST) of the node that runs the database's task " +
	"(docker stack ps <project> names the node and the task)")

// ExecCommand is [Stack.ComposeCommand] for commands that reach into the
// stack's compose containers (docker compose exec: the database tools in
// DB_SERVICE); a Swarm stack has none: [ErrSwarmExec].
func (s *Stack) ExecCommand() ([]string, error) {
	if s.Swarm() {
		return nil, ErrSwarmExec
	}
	return s.ComposeCommand()
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
	// Notes are the warnings about the root .env (unset variables).
	Notes  []env.Note
	Stacks []*Stack
	// Order is the order of Stacks: dependencies, waves, health gating
	// (see order.go).
	Order *Order
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
	// Passthrough is set when the command followed "--": it goes to
	// compose without the typo check (see [Builder.CheckCommand]).
	Passthrough bool
	// All is every stack under the root, selected or not: their
	// dependencies decide the order, and a [RootCheck] sees them all; nil
	// means only the selected ones.
	All []stack.Stack
	// Context is --context: the docker context of every stack, above
	// every .env (see [SetContext]); "" when not given.
	Context string
	// WithDeps (--with-deps) adds the dependencies of the selected
	// stacks, transitively (for commands that take stacks down: their
	// dependents).
	WithDeps bool
	// Fleet is the root loaded once for the run (pkg/fleet): every
	// environment and masker comes from it. nil: Build makes one from the
	// fields above.
	Fleet *fleet.Fleet
}

// fleetOf returns req's fleet, made from its fields when it has none.
func (b *Builder) fleetOf(req Request, stacks []stack.Stack) *fleet.Fleet {
	if req.Fleet != nil {
		return req.Fleet
	}
	all := req.All
	if all == nil {
		all = stacks
	}
	pol := b.policy()
	return fleet.New(fleet.Options{Root: req.Root, Environ: req.Environ, Network: req.Network,
		Overrides: req.Overrides, Context: req.Context, Policy: &pol}, all)
}

// RootCheck checks a kompose command against every stack of the root
// (req.All) before any stack is planned: a conflict between stacks
// (two sharing one dump folder) is found even when only one of them is
// selected. base is the environment every stack starts from; selected are
// the stacks the pattern chose; tree is the run's trust check. The
// stacks' environments come from req.Fleet (set by Build). An error stops
// the whole run (exit 2).
type RootCheck func(req Request, base *env.Env, selected []stack.Stack, tree *trust.Tree) error

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
// that are not passed to docker compose. The zero value of every other
// field is usable.
type Builder struct {
	Commands map[string]CommandFunc
	// Swarm plans the command step of a Swarm stack for the commands the
	// table gives a Swarm meaning (commands.SwarmDeploy, SwarmRemove,
	// SwarmAnswers): pkg/swarm. nil: such stacks fail with a message.
	Swarm CommandFunc
	// Own are kompose's commands that are handled before planning
	// ("hooks"): never passed to compose, and typos of them are caught.
	Own []string
	// Checks holds, per kompose command, a check of the whole root that
	// runs before any stack is planned (optional).
	Checks map[string]RootCheck
	// Detect finds the compose command for a stack's environment;
	// nil means [compose.Detect].
	Detect func(compose.Lookup) ([]string, error)

	// detected memoises Detect by the variables plugin detection reads,
	// so that stacks sharing them (nearly always all of them) cost no
	// file-system look-ups.
	detected map[[3]string][]string

	// SkipHooks (--skip-hooks) keeps every hook from running; so does
	// KOMPOSE_SKIP_HOOKS=1 in a stack's environment.
	SkipHooks bool
	// HookTimeout (--hook-timeout) limits each hook when HookTimeoutSet;
	// otherwise KOMPOSE_HOOK_TIMEOUT from a stack's environment does, and
	// without it hooks have no time limit.
	HookTimeout    time.Duration
	HookTimeoutSet bool
	// Version is KOMPOSE_VERSION.
	Version string
	// Now is the clock for KOMPOSE_RECORDED_AT; time.Now when nil.
	Now func() time.Time
	// Performer is KOMPOSE_PERFORMER; looked up once (see
	// [hooks.Performer]) when "".
	Performer string
	// Policy decides which hook files may run and which .env files may
	// be read; the invoking user's [trust.Current] when nil.
	Policy *trust.Policy
	// LibLog, when set, takes what compose-go logged since it was last
	// called (see pkg/liblog): after each stack is planned, it becomes
	// that stack's Warnings.
	LibLog func() []string
	// WaitTimeout (--wait-timeout) is how long dependents of `up` wait
	// for their dependencies to be running and healthy, when
	// WaitTimeoutSet; otherwise KOMPOSE_WAIT_TIMEOUT or the default.
	WaitTimeout    time.Duration
	WaitTimeoutSet bool
	// LockTimeout (--lock-timeout) is how long a run waits for a stack's
	// lock, when LockTimeoutSet; otherwise KOMPOSE_LOCK_TIMEOUT or the
	// default.
	LockTimeout    time.Duration
	LockTimeoutSet bool
}

// TrustTree returns a [trust.Tree] for the builder's policy.
func (b *Builder) TrustTree() *trust.Tree { return trust.NewTree(b.policy()) }

// policy is b.Policy, else the invoking user's.
func (b *Builder) policy() trust.Policy {
	if b.Policy != nil {
		return *b.Policy
	}
	return trust.Current()
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

// Variables that control hooks, read from each stack's environment.
const (
	SkipHooksVar   = "KOMPOSE_SKIP_HOOKS"
	HookTimeoutVar = "KOMPOSE_HOOK_TIMEOUT"
)

// SkipReason is Step.Skip for hooks kept from running.
const SkipReason = "--skip-hooks"

// runInfo is what one Build works out once for every stack.
type runInfo struct {
	recordedAt string
	rootHooks  *hooks.Dir
	policy     trust.Policy
	// tree checks files and their folders against policy, once per
	// folder for the whole run.
	tree *trust.Tree
	// fleet holds the stacks' merged environments, read once for the
	// dependencies and the plan.
	fleet *fleet.Fleet
	// files reads each compose file once, for the dependencies and the
	// project names.
	files *compose.Files
	// swarm are the stacks deployed on Swarm (read with the
	// dependencies).
	swarm map[string]bool
}

// stackEnv returns st's merged environment, read once per run.
func (ri *runInfo) stackEnv(st stack.Stack) (*env.Env, error) {
	m := ri.fleet.Stack(st)
	return m.Env, m.Err
}

// IsKomposeCommand reports whether command is in kompose's own name:verb
// namespace (compose has no subcommand with a colon).
func IsKomposeCommand(command string) bool { return commands.InKomposeNamespace(command) }

// Build plans req for stacks. An error means nothing can run (unknown
// command, unreadable root .env); problems of one stack are recorded in its
// Stack.Err instead.
func (b *Builder) Build(req Request, stacks []stack.Stack) (*Plan, error) {
	var cmdFunc CommandFunc
	chk, err := b.CheckCommand(req.Command, req.Passthrough)
	if err != nil {
		return nil, err
	}
	if chk.Own {
		if cmdFunc = b.Commands[req.Command]; cmdFunc == nil {
			return nil, Usagef("%q is not a command to plan for stacks", req.Command)
		}
	}
	// The root .env is checked and read before anything else, with the
	// tree the whole run shares.
	req.Fleet = b.fleetOf(req, stacks)
	tree := req.Fleet.Tree()
	base, err := req.Fleet.Base()
	if err != nil {
		return nil, err
	}
	ri, err := b.prepare(req, base, tree)
	if err != nil {
		return nil, err
	}
	if check := b.Checks[req.Command]; check != nil {
		if err := check(req, base, stacks, tree); err != nil {
			return nil, err
		}
	}
	reverse := Reverses(req.Command)
	// The order needs the selected stacks' dependencies, transitively;
	// only --with-deps on a command that reverses the order needs every
	// stack (their dependents).
	g := readGraph(req.Fleet.All(), stacks, req.WithDeps && reverse, ri.files, ri.stackEnv)
	ri.swarm = g.swarm
	for _, st := range stacks {
		if err := g.broken[st.Name]; errors.Is(err, ErrUsage) {
			return nil, err // an unknown deploy mode
		}
	}
	clashes := ProjectClashes(req.Fleet.All(), fleetProjectNames(req.Fleet, base, stacks, ri.files))
	var added map[string]bool
	if req.WithDeps {
		stacks, added = g.closure(stacks, reverse)
	}
	var wait time.Duration
	if Gates(req.Command) {
		if wait, err = b.waitTimeout(base); err != nil {
			return nil, err
		}
	}
	lockTimeout, err := b.lockTimeout(base)
	if err != nil {
		return nil, err
	}
	if b.LibLog != nil {
		b.LibLog() // nothing before the stacks concerns one stack
	}
	p := &Plan{Root: req.Root, Command: req.Command, Args: req.Args, Global: base.Layered(),
		Masker: req.Fleet.BaseMasker(req.Command), Notes: base.Notes()}
	for _, st := range stacks {
		s := b.planStack(req, st, cmdFunc, ri)
		if b.LibLog != nil {
			s.Warnings = append(b.LibLog(), s.Warnings...)
		}
		if errors.Is(s.Err, ErrUsage) {
			return nil, s.Err
		}
		failFromRoot(s, g, clashes)
		p.Stacks = append(p.Stacks, s)
	}
	o := g.order(p, reverse, added, wait)
	o.Locks, o.LockTimeout, o.SharedLock = !ReadOnly(req.Command), lockTimeout, SharesLock(req.Command)
	// A run prints one stream: every stack's secrets are masked in every
	// line, whichever stack it is about (the fleet's one mask).
	u := req.Fleet.Union()
	p.Masker = p.Masker.Using(u)
	for _, s := range p.Stacks {
		s.Masker = s.Masker.Using(u)
	}
	return p, nil
}

// failFromRoot fails s, when it could otherwise run, for what the root
// says of it: its files, or those of a stack it depends on, do not load
// (g), or compose would give it another stack's project (clashes). The
// other stacks run.
func failFromRoot(s *Stack, g *graph, clashes map[string]error) {
	if s.Err == nil && s.Skip == "" {
		s.Err = g.failure(s.Name)
	}
	if s.Err == nil && s.Skip == "" {
		s.Err = clashes[s.Name]
	}
}

// prepare works out, once per run, the hook facts every stack shares. The
// root's hooks/ folder is read here; when another user may change it, or
// a root hook this command would run, nothing runs at all.
func (b *Builder) prepare(req Request, base *env.Env, tree *trust.Tree) (*runInfo, error) {
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	ri := &runInfo{recordedAt: hooks.FormatTime(now()), policy: tree.Policy, tree: tree, fleet: req.Fleet, files: compose.NewFiles()}
	if b.Performer == "" {
		b.Performer = hooks.Performer(ri.policy.UID, base.Lookup)
	}
	if b.HookTimeoutSet && b.HookTimeout < 0 {
		return nil, fmt.Errorf("--hook-timeout %s: must not be negative", b.HookTimeout)
	}
	skip, err := skipHooks(b.SkipHooks, base)
	if err != nil {
		return nil, err
	}
	if !b.HookTimeoutSet {
		if _, err := hookTimeout(base); err != nil {
			return nil, err
		}
	}
	dir, err := req.Fleet.RootHooks()
	if err != nil {
		if skip {
			return ri, nil
		}
		return nil, err
	}
	ri.rootHooks = dir
	if dir != nil && !skip {
		var hs []hooks.Hook
		for _, ph := range hooks.Phases {
			hs = append(hs, hooks.Set{Root: dir}.For(ph, req.Command)...)
		}
		if err := hooks.CheckTree(ri.tree, hooks.Set{Root: dir}, hs); err != nil {
			return nil, err
		}
	}
	return ri, nil
}

// skipHooks reports whether hooks are skipped: flag, or KOMPOSE_SKIP_HOOKS
// set to a true value (1, true, yes, on) in e (pkg/settings).
func skipHooks(flag bool, e *env.Env) (bool, error) {
	return settings.Setting{Flag: settings.Flag{Name: "--skip-hooks", Set: flag}, Var: SkipHooksVar, Lookup: settings.FromEnv(e)}.Bool(false)
}

// hookTimeout reads KOMPOSE_HOOK_TIMEOUT from e: a Go duration ("30s",
// "2m30s") or a number of seconds; 0 or unset means no limit.
func hookTimeout(e *env.Env) (time.Duration, error) {
	return settings.Setting{Var: HookTimeoutVar, Lookup: settings.FromEnv(e)}.Duration(0)
}

// ParseTimeout parses a timeout: a Go duration ("30s", "2m30s") or a
// number of seconds ("30"). what names the value in the error
// ([settings.ParseDuration]).
func ParseTimeout(v, what string) (time.Duration, error) { return settings.ParseDuration(v, what) }

// EnvUse is what kompose does with a .env file, for trust refusals.
const EnvUse = fleet.EnvUse

// BaseEnv is the environment every stack starts from ([fleet.BaseEnv]).
func BaseEnv(req Request, tree *trust.Tree) (*env.Env, error) {
	return fleet.BaseEnv(fleet.Options{Root: req.Root, Environ: req.Environ, Network: req.Network,
		Overrides: req.Overrides, Context: req.Context}, tree)
}

// StackEnv returns the merged environment of st ([fleet.StackEnv]).
func StackEnv(base *env.Env, st stack.Stack, tree *trust.Tree) (*env.Env, error) {
	return fleet.StackEnv(base, st, tree)
}

// PublicWords are the strings kompose prints that are not values
// ([fleet.PublicWords]).
func PublicWords(root string, st stack.Stack, more ...string) []string {
	return fleet.PublicWords(root, st, more...)
}

func (b *Builder) names() []string {
	var out []string
	for n := range b.Commands {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// planStack plans one stack: its environment, hooks and command step, and
// the hook steps around it. A problem of the stack is recorded in its
// Err; the other stacks are planned all the same.
func (b *Builder) planStack(req Request, st stack.Stack, cmdFunc CommandFunc, ri *runInfo) *Stack {
	m := ri.fleet.Stack(st)
	s := &Stack{Stack: st, Env: m.Env, Notes: m.Env.Notes(), Masker: m.Masker.WithPublic(req.Command), Policy: ri.policy, Deploy: compose.DeployCompose}
	if ri.swarm[st.Name] {
		s.Deploy = compose.DeploySwarm
	}
	if m.Err != nil {
		s.Err = m.Err
		return s
	}
	if err := b.planStackSteps(req, s, cmdFunc, ri); err != nil {
		s.Err = err
	}
	return s
}

// planStackSteps fills s.Steps (or s.Skip); an error fails the stack.
func (b *Builder) planStackSteps(req Request, s *Stack, cmdFunc CommandFunc, ri *runInfo) error {
	// Every child runs in the stack's folder as kompose names it (a
	// symlink stays the link): compose and bash take PWD as their folder
	// when it names it, so compose names the project as the hooks'
	// COMPOSE_PROJECT_NAME says.
	s.Env.Set("PWD", s.Dir, env.SourceKompose)
	skip, err := skipHooks(b.SkipHooks, s.Env)
	if err != nil {
		return err
	}
	set, err := stackHookSet(s, ri, skip)
	if err != nil {
		return err
	}
	s.compose = func() ([]string, error) { return b.composeCommand(s.Env) }
	if s.Swarm() {
		var err error
		if cmdFunc, err = b.swarmFunc(req.Command, cmdFunc); err != nil {
			var skip *SkipError
			if errors.As(err, &skip) {
				s.Skip = skip.Reason
				return nil
			}
			s.CommandErr = true
			return err
		}
	}
	main, err := b.mainStep(req, s, cmdFunc)
	if err != nil || s.Skip != "" {
		return err
	}
	if nh, ok := main.Action.(NoHooker); ok && nh.NoHooks() {
		s.Steps = []Step{main}
		return nil
	}
	byPhase, all := hooksByPhase(s, set, req.Command)
	if len(all) == 0 {
		s.Steps = []Step{main}
		return nil
	}
	timeout, err := b.checkHooks(s, set, all, ri, skip)
	if err != nil {
		return err
	}
	hook := b.hookStepper(req, s, set, main, ri, timeout, skip)
	s.Steps = make([]Step, 0, len(all)+1)
	for _, h := range byPhase[0] {
		s.Steps = append(s.Steps, hook(h))
	}
	s.Steps = append(s.Steps, main)
	for _, hs := range byPhase[1:] {
		for _, h := range hs {
			s.Steps = append(s.Steps, hook(h))
		}
	}
	return nil
}

// swarmFunc returns what plans command for a Swarm stack, as the table's
// Swarm column says: cmdFunc (as for compose), b.Swarm, or an error that
// says what to do instead (nothing of the stack runs, not its hooks): a
// [*SkipError] for kompose's own commands (the stack is skipped), else a
// failure of the stack.
func (b *Builder) swarmFunc(command string, cmdFunc CommandFunc) (CommandFunc, error) {
	row := commands.Lookup(command)
	switch row.Swarm {
	case commands.SwarmSame:
		return cmdFunc, nil
	case commands.SwarmRefused:
		if row.Owner == commands.Kompose {
			// kompose's fleet commands (backup, vol:export) run from
			// cron over every stack: a Swarm stack is skipped, not failed.
			return nil, &SkipError{Reason: "a Swarm stack: " + row.Hint}
		}
		return nil, fmt.Errorf("%s has no meaning for a stack deployed on Docker Swarm (x-kompose.deploy: swarm): %s", command, row.Hint)
	}
	if b.Swarm == nil {
		return nil, fmt.Errorf("%s of a Swarm stack: this kompose was built without Swarm support", command)
	}
	return b.Swarm, nil
}

// stackHookSet is the hooks of s: the root's, its hooks/ and its hooks.sh.
// A hooks.sh that does not parse stops the stack, unless hooks are
// skipped: then nothing of it is needed.
func stackHookSet(s *Stack, ri *runInfo, skip bool) (hooks.Set, error) {
	set := hooks.Set{Root: ri.rootHooks}
	sh := ri.fleet.Hooks(s.Stack)
	if sh.ScriptErr != nil && !skip {
		return set, sh.ScriptErr
	}
	if sh.DirErr != nil && !skip {
		return set, sh.DirErr
	}
	set.Script, set.Stack = sh.Script, sh.Dir
	if set.Script != nil {
		s.HookNotes = set.Script.Notes
	}
	return set, nil
}

// mainStep is the command step of s: the compose command, or the step a
// kompose command's cmdFunc plans. A command that does not apply to the
// stack sets s.Skip.
func (b *Builder) mainStep(req Request, s *Stack, cmdFunc CommandFunc) (Step, error) {
	environ := s.Env.Environ()
	var main Step
	if cmdFunc != nil {
		var err error
		if main, err = cmdFunc(s, req.Command, req.Args); err != nil {
			var skip *SkipError
			if errors.As(err, &skip) {
				s.Skip = skip.Reason
				return main, nil
			}
			s.CommandErr = true
			return main, err
		}
	} else {
		argv, err := s.ComposeCommand()
		if err != nil {
			return main, err
		}
		s.Masker = s.Masker.WithPublic(argv...)
		argv = append(append(argv[:len(argv):len(argv)], req.Command), req.Args...)
		main = Step{Kind: KindCommand, Label: argv[0], Args: argv[1:], Cmd: proc.Cmd{Argv: argv}}
	}
	main.Kind = KindCommand
	main.Cmd.Dir, main.Cmd.Env = s.Dir, environ
	return main, nil
}

// hooksByPhase returns the hooks of command that run, by phase and in
// order; the ones that do not (not executable) go to s.NotRun.
func hooksByPhase(s *Stack, set hooks.Set, command string) (byPhase [len(hooks.Phases)][]hooks.Hook, all []hooks.Hook) {
	for i, ph := range hooks.Phases {
		for _, h := range set.For(ph, command) {
			if h.NotRun != "" {
				s.NotRun = append(s.NotRun, h)
				continue
			}
			byPhase[i] = append(byPhase[i], h)
			all = append(all, h)
		}
	}
	return byPhase, all
}

// checkHooks checks the hooks that would run against the trust rule and
// returns their timeout; nothing is checked when hooks are skipped.
func (b *Builder) checkHooks(s *Stack, set hooks.Set, all []hooks.Hook, ri *runInfo, skip bool) (time.Duration, error) {
	timeout := b.HookTimeout
	if skip {
		return timeout, nil
	}
	// Hooks run in the stack's folder: it, the root and every folder
	// above must be trusted too. Checking hooks.sh or the stack's
	// hooks/ checks them on the way; only root hooks need it here.
	if set.Script == nil && set.Stack == nil {
		if err := ri.tree.CheckDir(hooks.UseHooks, s.Dir); err != nil {
			return 0, err
		}
	}
	if err := hooks.CheckTree(ri.tree, hooks.Set{Stack: set.Stack, Script: set.Script}, all); err != nil {
		return 0, err
	}
	if !b.HookTimeoutSet {
		return hookTimeout(s.Env)
	}
	return timeout, nil
}

// hookStepper returns the function that makes the step of one hook of s,
// around main: one environment for every hook of the stack.
func (b *Builder) hookStepper(req Request, s *Stack, set hooks.Set, main Step, ri *runInfo, timeout time.Duration, skip bool) func(hooks.Hook) Step {
	st := s.Stack
	he := s.Env.Clone()
	he.Set("stack", st.Name, env.SourceKompose)
	he.Set("SCRIPT_DIR", req.Root, env.SourceKompose)
	he.Set("COMPOSE_PROJECT_NAME", ri.files.ProjectName(st.Dir, st.ComposeFile, s.Env.Lookup), env.SourceKompose)
	hookArgs := hookArgs(req, main)
	info := hooks.Info{
		Stack: st.Name, Command: req.Command, Args: req.Args, Root: req.Root,
		RecordedAt: ri.recordedAt, Performer: b.Performer, Version: b.Version,
		DumpFile: dumpFile(main),
	}
	// One environment for every hook of the stack; KOMPOSE_HOOK, the only
	// variable that differs, goes through the start gate of hooks.sh hooks
	// (no copy of the environment per hook).
	hookEnv := append(withoutVars(he.Environ()), info.StackEnviron()...)
	hookEnv = hookEnv[:len(hookEnv):len(hookEnv)] // shared: appends must copy
	return func(h hooks.Hook) Step {
		hs := &HookStep{Hook: h, Info: info}
		hs.Info.Hook = h.Name()
		var argv []string
		if h.Executable() {
			argv = append([]string{h.Path}, hookArgs...)
			hs.Files = []hooks.File{{Path: h.Path, Info: h.Info}}
		} else {
			argv = set.Script.Argv(h.Func, hookArgs)
			hs.Files = set.Script.Files
		}
		step := Step{
			Kind: KindHook, Phase: h.Phase, Label: h.Label(), Source: h.Source,
			Args: hookArgs, Hook: hs,
			Cmd: proc.Cmd{
				Argv: argv, Dir: st.Dir, Timeout: timeout,
				// hooks.sh hooks wait at a start gate, so they can be
				// started ahead of their turn (see proc.Started).
				Gate: !h.Executable(),
				Env:  hookEnv,
			},
		}
		if hookVar := hooks.VarHook + "=" + hs.Info.Hook; step.Cmd.Gate {
			step.Cmd.GateEnv = []string{hookVar}
		} else {
			step.Cmd.Env = append(hookEnv[:len(hookEnv):len(hookEnv)], hookVar)
		}
		if h.Phase == hooks.Fail {
			step.When = OnFailure
		}
		if skip {
			step.Skip = SkipReason
		}
		return step
	}
}

// withoutVars drops from environ the KOMPOSE_* variables that kompose sets
// for hooks, so that a hook never sees a value inherited from a kompose
// that runs this one.
func withoutVars(environ []string) []string {
	out := environ[:0]
	for _, kv := range environ {
		if strings.HasPrefix(kv, "KOMPOSE_") && isHookVar(kv[:strings.IndexByte(kv, '=')]) {
			continue
		}
		out = append(out, kv)
	}
	return out
}

func isHookVar(name string) bool {
	switch name {
	case hooks.VarStack, hooks.VarCommand, hooks.VarHook, hooks.VarRoot, hooks.VarPerformer,
		hooks.VarRecordedAt, hooks.VarVersion, hooks.VarRuntime, hooks.VarExitCode, hooks.VarDumpFile,
		hooks.VarEnvFile, "KOMPOSE_UPDATED_SERVICES":
		return true
	}
	return false
}

// ImageCheck is what an image check (update --check) found for one
// service: State is "up to date", "update available", "not pulled",
// "unknown", "pinned by digest", "update too new" or "check failed";
// Local the registry
// digest of the image the service runs, Remote the registry's digest of
// its reference ("" when not known); Why says more for "unknown" and
// "check failed".
type ImageCheck struct {
	Service, Image, State, Local, Remote, Why string
}

// ImageChecker is implemented by an action that checks images for
// updates: what it found, once it ran. Reporters (the run report, the
// metrics file) read it.
type ImageChecker interface{ ImageChecks() []ImageCheck }

// ArchiveResult is one volume archive an action wrote (vol:export,
// backup), for the reporters: metrics and the --report document.
type ArchiveResult struct {
	Volume  string
	File    string
	Time    time.Time // the archive's time, as in its name
	Size    int64
	Seconds float64 // how long it took
}

// Archiver is implemented by actions that write volume archives: after
// Run, the archives written (also when some volume failed).
type Archiver interface{ Archives() []ArchiveResult }

// DBResult is the database a db:* action worked on, for the reporters
// (the --report document, metrics).
type DBResult struct {
	Name   string // DB_NAME
	Engine string // postgres, mariadb or mysql
	// NotTransactional are the tables without transactions a MariaDB or
	// MySQL export found ("MyISAM: counters"), which its dump cannot hold
	// consistently; nil when there are none or the export did not look.
	NotTransactional []string
	// NotTransactionalChecked is true when the export looked (MariaDB,
	// MySQL, and the check answered).
	NotTransactionalChecked bool
}

// DBReporter is implemented by db:* actions (and backup's): after Run,
// the database they worked on; a zero Engine means none.
type DBReporter interface{ DBResult() DBResult }

// DumpFiler is implemented by actions that work on a dump file (db:export,
// db:import): its path is KOMPOSE_DUMP_FILE for their hooks.
type DumpFiler interface{ DumpFile() string }

// dumpFile is KOMPOSE_DUMP_FILE for the hooks around main, nil when main
// works on no dump file.
func dumpFile(main Step) *string {
	if df, ok := main.Action.(DumpFiler); ok {
		if f := df.DumpFile(); f != "" {
			return &f
		}
	}
	return nil
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
