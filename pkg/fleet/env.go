package fleet

import (
	"fmt"
	"path/filepath"

	"github.com/kompose-dev/kompose/pkg/engine"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// EnvUse is what kompose does with a .env file, for trust refusals.
const EnvUse = "read variables from"

// BaseEnv is the environment every stack starts from: the process
// environment, the root .env (or .env.age, decrypted in memory), --network
// and -e. The root .env is read only when tree trusts it and every folder
// above it (a .env can make kompose run code: KOMPOSE_COMPOSE); tree nil
// means the invoking user's policy.
func BaseEnv(o Options, tree *trust.Tree) (*env.Env, error) {
	return baseEnv(o, tree, nil)
}

// baseEnv is [BaseEnv] with the keys of .env.age files (nil: read them
// when needed).
func baseEnv(o Options, tree *trust.Tree, keys *Keys) (*env.Env, error) {
	base := env.FromEnviron(o.Environ)
	if o.Network != "" {
		base.Override("NETWORK_NAME", o.Network, env.SourceNetwork)
	}
	for _, v := range o.Overrides {
		base.Override(v.Name, v.Value, env.SourceOverride)
	}
	if o.Context != "" {
		SetContext(base, o.Context)
	}
	if err := loadEnvFiles(base, stack.RootEnvFile(o.Root), stack.RootEnvAgeFile(o.Root), env.SourceRootEnv, tree, keys); err != nil {
		return nil, err
	}
	return base, nil
}

// StackEnv returns the merged environment of st: a copy of base with the
// stack's .env (or .env.age) loaded, when tree trusts it (see [BaseEnv]).
func StackEnv(base *env.Env, st stack.Stack, tree *trust.Tree) (*env.Env, error) {
	return stackEnv(base, st, tree, nil)
}

// stackEnv is [StackEnv] with the keys of .env.age files (nil: read them
// when needed).
func stackEnv(base *env.Env, st stack.Stack, tree *trust.Tree, keys *Keys) (*env.Env, error) {
	st = st.Companions()
	e := base.Clone()
	return e, loadEnvFiles(e, st.EnvFile, st.EnvAgeFile, env.SourceStackEnv, tree, keys)
}

// loadEnv checks the .env file at path and the folders above it with tree,
// then loads it into e.
func loadEnv(e *env.Env, path string, src env.Source, tree *trust.Tree) error {
	if tree == nil {
		tree = trust.NewTree(trust.Current())
	}
	if err := tree.CheckFile(EnvUse, path); err != nil {
		return err
	}
	before := codeFolderValues(e)
	if err := e.LoadFile(path, src); err != nil {
		return err
	}
	return checkCodeFolders(e, before, path, tree)
}

// PublicWords are the strings kompose prints that are not values, for
// [env.Masker.WithPublic]: the root, the stack's folder and name, and the
// names of the files kompose reads there. Masking a secret equal to one of
// them would reveal it.
func PublicWords(root string, st stack.Stack, more ...string) []string {
	w := []string{root, stack.EnvFileName, stack.EnvAgeFileName, stack.HooksFileName, hooks.DirName}
	if st.Name != "" {
		w = append(w, st.Name, st.Dir, filepath.Base(st.ComposeFile))
	}
	return append(w, more...)
}

// SourceContext is the layer of the variables --context sets.
const SourceContext env.Source = "--context"

// SetContext makes name the docker context of e, above every .env: it
// sets DOCKER_CONTEXT and empties DOCKER_HOST, which the docker CLI (and
// so compose) would otherwise prefer to any context. The command line
// wins over a stack's .env, as -e does; an empty DOCKER_HOST is unset for
// the docker CLI.
func SetContext(e *env.Env, name string) {
	e.Override(engine.ContextVar, name, SourceContext)
	e.Override(engine.HostVar, "", SourceContext)
}

// CheckContext refuses --context together with -e DOCKER_HOST or -e
// DOCKER_CONTEXT: two engines asked for on one command line.
func CheckContext(name string, overrides []env.Var) error {
	if name == "" {
		return nil
	}
	for _, v := range overrides {
		if v.Name == engine.HostVar || v.Name == engine.ContextVar {
			return fmt.Errorf("--context %s and -e %s=...: give one of them", name, v.Name)
		}
	}
	return nil
}
