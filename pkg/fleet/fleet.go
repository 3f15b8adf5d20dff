// Package fleet is the root of stacks, loaded once per run and lazily:
// the stacks found under it, the environment every stack starts from, each
// stack's merged environment (or the error reading it) and masker, the one
// mask that hides every loaded secret, and the hook files of the root and
// of each stack.
//
// Every command and view asks the fleet; nothing else reads a .env file or
// builds a masker. Only what is asked for is read: a command on one stack
// reads that stack's files (and those its order needs), not the whole
// root's, so its cost does not grow with the root (docs/performance.md).
//
// A Fleet is not safe for concurrent use: load what goroutines need first.
package fleet

import (
	"path/filepath"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// Options are what the command line says about the stacks' environment.
type Options struct {
	Root string
	// Environ is the process environment (os.Environ()).
	Environ   []string
	Network   string    // --network, "" when not given
	Overrides []env.Var // -e, in command-line order
	// Context is --context: the docker context of every stack, above
	// every .env (see [SetContext]); "" when not given.
	Context string
	// Policy decides which files may be read (a .env can make kompose run
	// code); the invoking user's when nil.
	Policy *trust.Policy
}

// Fleet is the root loaded lazily. The zero value is not usable: see
// [New].
type Fleet struct {
	opts Options
	all  []stack.Stack
	tree *trust.Tree

	base     *env.Env
	baseErr  error
	baseRead bool
	// keys decrypt the .env.age files, read once for the run.
	keys *Keys

	members map[string]*Member
	// loaded are the members read so far, in the order they were read.
	loaded []*Member

	hooks         map[string]*StackHooks
	rootHooks     *hooks.Dir
	rootHooksErr  error
	rootHooksRead bool
}

// Member is one stack of the fleet with what was read of it.
type Member struct {
	stack.Stack
	// Env is the stack's merged environment: the base, then its .env
	// (when that could be read).
	Env *env.Env
	// Err is set when the stack's .env could not be read or was refused.
	Err error
	// Masker hides this stack's secrets (not yet those of the others:
	// see [Fleet.Mask]).
	Masker *env.Masker
}

// New returns the fleet of the stacks all (stack.Discover's) under
// o.Root; it reads nothing yet.
func New(o Options, all []stack.Stack) *Fleet {
	pol := trust.Current()
	if o.Policy != nil {
		pol = *o.Policy
	}
	return &Fleet{opts: o, all: all, tree: trust.NewTree(pol), members: map[string]*Member{}, hooks: map[string]*StackHooks{}}
}

// Root is the folder holding the stacks.
func (f *Fleet) Root() string { return f.opts.Root }

// All are every stack of the root, selected or not (nothing of them read).
func (f *Fleet) All() []stack.Stack { return f.all }

// Options are the options the fleet was made with.
func (f *Fleet) Options() Options { return f.opts }

// Tree is the run's trust check, once per folder for the whole run.
func (f *Fleet) Tree() *trust.Tree { return f.tree }

// Policy is the run's trust rule.
func (f *Fleet) Policy() trust.Policy { return f.tree.Policy }

// Base returns the environment every stack starts from (see [BaseEnv]),
// read once. Callers must not change it.
func (f *Fleet) Base() (*env.Env, error) {
	if !f.baseRead {
		f.keys = NewKeys(env.FromEnviron(f.opts.Environ), f.tree.Policy)
		f.base, f.baseErr = baseEnv(f.opts, f.tree, f.keys)
		f.baseRead = true
	}
	return f.base, f.baseErr
}

// BaseMasker hides the secrets of the base environment; public are more
// words it must not mask (see [PublicWords]).
func (f *Fleet) BaseMasker(public ...string) *env.Masker {
	base, _ := f.Base()
	if base == nil {
		base = env.FromEnviron(nil)
	}
	return env.NewMasker(base).WithPublic(append(PublicWords(f.opts.Root, stack.Stack{}), public...)...)
}

// Stack returns st's member, reading its .env the first time. The base
// environment must have been read without error ([Fleet.Base]).
func (f *Fleet) Stack(st stack.Stack) *Member {
	if m, ok := f.members[st.Name]; ok {
		return m
	}
	st = st.Companions()
	base, _ := f.Base()
	if base == nil {
		base = env.FromEnviron(f.opts.Environ)
	}
	e, err := stackEnv(base, st, f.tree, f.keys)
	m := &Member{Stack: st, Env: e, Err: err, Masker: env.NewMasker(e).WithPublic(PublicWords(f.opts.Root, st)...)}
	f.members[st.Name] = m
	f.loaded = append(f.loaded, m)
	return m
}

// Loaded are the members read so far, in the order they were read.
func (f *Fleet) Loaded() []*Member { return f.loaded }

// Load reads the members of stacks, in order.
func (f *Fleet) Load(stacks []stack.Stack) []*Member {
	out := make([]*Member, len(stacks))
	for i, st := range stacks {
		out[i] = f.Stack(st)
	}
	return out
}

// Union returns the secret values of the base and of every member read
// so far, for [env.Masker.Using].
func (f *Fleet) Union() *env.Masker {
	all := make([]*env.Masker, 0, len(f.loaded)+1)
	for _, m := range f.loaded {
		all = append(all, m.Masker)
	}
	all = append(all, f.BaseMasker())
	return env.Union(all...)
}

// Mask returns the one mask of the run: the base's masker, with its
// public words and public, more words that are not values, masking the
// secrets of the base and of every member read so far. A run prints one
// stream: every loaded stack's secrets are masked in every line,
// whichever stack it is about.
func (f *Fleet) Mask(public ...string) *env.Masker {
	return f.BaseMasker(public...).Using(f.Union())
}

// MaskFor returns m's masker (its public words and secret names) masking
// every loaded stack's secrets (see [Fleet.Mask]).
func (f *Fleet) MaskFor(m *Member, public ...string) *env.Masker {
	return m.Masker.WithPublic(public...).Using(f.Union())
}

// RootHooks returns the root's hooks/ folder (nil when there is none),
// read once.
func (f *Fleet) RootHooks() (*hooks.Dir, error) {
	if !f.rootHooksRead {
		f.rootHooks, f.rootHooksErr = hooks.ScanDir(filepath.Join(f.opts.Root, hooks.DirName), "../"+hooks.DirName, hooks.FromRoot)
		f.rootHooksRead = true
	}
	return f.rootHooks, f.rootHooksErr
}

// StackHooks are a stack's hook files as read: its parsed hooks.sh (nil
// without one) and its hooks/ folder (nil without one), each with the
// error reading it.
type StackHooks struct {
	Script    *hooks.Script
	ScriptErr error
	Dir       *hooks.Dir
	DirErr    error
}

// Hooks returns st's hook files, read once (its .env is not read).
func (f *Fleet) Hooks(st stack.Stack) *StackHooks {
	if h, ok := f.hooks[st.Name]; ok {
		return h
	}
	h := &StackHooks{}
	if st = st.Companions(); st.HooksFile != "" {
		h.Script, h.ScriptErr = hooks.ParseFile(st.HooksFile)
	}
	h.Dir, h.DirErr = hooks.ScanDir(filepath.Join(st.Dir, hooks.DirName), hooks.DirName, hooks.FromStack)
	f.hooks[st.Name] = h
	return h
}
