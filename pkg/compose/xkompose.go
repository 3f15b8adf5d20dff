package compose

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
)

// Extension is the top-level key of a compose file that holds kompose's
// own settings for the stack; compose ignores every x- key.
const Extension = "x-kompose"

// DeployVar is the variable of a stack's environment that chooses how
// the stack is deployed, as x-kompose.deploy does: "compose" (the
// default) or "swarm". The compose file's x-kompose.deploy wins over it.
const DeployVar = "KOMPOSE_DEPLOY"

// The ways a stack is deployed (x-kompose.deploy, KOMPOSE_DEPLOY).
const (
	DeployCompose = "compose" // docker compose on the stack's engine (the default)
	DeploySwarm   = "swarm"   // docker stack deploy on a Swarm manager (pkg/swarm)
)

// Settings are what x-kompose at the top level of a stack's compose
// files says, with KOMPOSE_DEPLOY of its environment: read once per run
// for the order and the plan.
type Settings struct {
	// DependsOn are the stacks this one depends on.
	DependsOn []string
	// Deploy is DeployCompose or DeploySwarm.
	Deploy string
	// Where names the compose files, for messages.
	Where string
}

// Swarm reports whether the stack is deployed with docker stack deploy.
func (s Settings) Swarm() bool { return s.Deploy == DeploySwarm }

// Dependencies returns the stacks the stack in dir depends on, as its
// compose project declares them: x-kompose: {depends_on: [proxy, db]} at
// the top level of its compose files (those of COMPOSE_FILE, or the
// default file with its override, merged as compose merges them). Files that do not mention
// x-kompose are not loaded at all: a stack without dependencies costs a
// read of its compose files, not a compose-go load. where names the files
// for messages.
func Dependencies(ctx context.Context, dir, file string, env map[string]string) (deps []string, where string, err error) {
	s, err := (*Files)(nil).Settings(ctx, dir, file, env)
	return s.DependsOn, s.Where, err
}

// Dependencies is [Dependencies] reading through f.
func (f *Files) Dependencies(ctx context.Context, dir, file string, env map[string]string) (deps []string, where string, err error) {
	s, err := f.Settings(ctx, dir, file, env)
	return s.DependsOn, s.Where, err
}

// ReadSettings is [Files.Settings] without a shared cache of files.
func ReadSettings(ctx context.Context, dir, file string, env map[string]string) (Settings, error) {
	return (*Files)(nil).Settings(ctx, dir, file, env)
}

// Settings returns what x-kompose says of the stack in dir (see
// [Dependencies] for which files are read and when compose-go loads
// them) and its deploy mode: x-kompose.deploy, else KOMPOSE_DEPLOY of
// env, else compose. An unknown deploy value is an error naming the file
// (or the variable) and the value.
func (f *Files) Settings(ctx context.Context, dir, file string, env map[string]string) (Settings, error) {
	s := Settings{Deploy: DeployCompose}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	files, _ := f.ConfigFiles(dir, file, lookup)
	s.Where = strings.Join(files, ", ")
	if v := strings.TrimSpace(env[DeployVar]); v != "" {
		d, err := deployMode(v)
		if err != nil {
			return s, fmt.Errorf("%s=%q: %w", DeployVar, v, err)
		}
		s.Deploy = d
	}
	m, err := f.extension(ctx, dir, file, env, files, s.Where)
	if err != nil || m == nil {
		return s, err
	}
	for k := range m {
		if !knownKey(k) {
			return s, fmt.Errorf("%s: %s.%s: unknown key (known: depends_on, deploy, backup, update)", s.Where, Extension, k)
		}
	}
	if raw, ok := m["deploy"]; ok && raw != nil {
		v, isStr := raw.(string)
		if !isStr {
			return s, fmt.Errorf("%s: %s.deploy: %v is not compose or swarm", s.Where, Extension, raw)
		}
		d, err := deployMode(v)
		if err != nil {
			return s, fmt.Errorf("%s: %s.deploy: %q: %w", s.Where, Extension, v, err)
		}
		s.Deploy = d
	}
	s.DependsOn, err = dependsOn(m["depends_on"], s.Where)
	return s, err
}

// extension loads the x-kompose mapping of the project; nil when the
// files do not mention it (then compose-go is not run at all).
func (f *Files) extension(ctx context.Context, dir, file string, env map[string]string, files []string, where string) (map[string]any, error) {
	mentioned := false
	for _, p := range files {
		if p == "-" {
			mentioned = true // standard input: compose-go decides
			break
		}
		b, err := f.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		if bytes.Contains(b, []byte(Extension)) {
			mentioned = true
			break
		}
	}
	if !mentioned {
		return nil, nil
	}
	proj, err := NewProject(dir, file, env).Load(ctx)
	if err != nil {
		return nil, err
	}
	x, ok := proj.Extensions[Extension]
	if !ok || x == nil {
		return nil, nil
	}
	m, ok := x.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: %s must be a mapping (x-kompose: {depends_on: [proxy]}), not %T", where, Extension, x)
	}
	return m, nil
}

// ErrDeployMode marks an unknown deploy mode (x-kompose.deploy,
// KOMPOSE_DEPLOY): a mistake of the command's input, a usage error.
var ErrDeployMode = errors.New("unknown deploy mode")

// deployMode checks a deploy value: compose or swarm, any case.
func deployMode(v string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case DeployCompose:
		return DeployCompose, nil
	case DeploySwarm:
		return DeploySwarm, nil
	}
	return "", fmt.Errorf("%w (known: %s, %s)", ErrDeployMode, DeployCompose, DeploySwarm)
}

// dependsOn reads x-kompose.depends_on: a list of stack names or one.
func dependsOn(raw any, where string) ([]string, error) {
	if raw == nil {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		if s, isStr := raw.(string); isStr {
			list = []any{s}
		} else {
			return nil, fmt.Errorf("%s: %s.depends_on must be a list of stack names, not %T", where, Extension, raw)
		}
	}
	var deps []string
	seen := map[string]bool{}
	for _, v := range list {
		s, ok := v.(string)
		if !ok || strings.TrimSpace(s) == "" {
			return nil, fmt.Errorf("%s: %s.depends_on: %v is not a stack name", where, Extension, v)
		}
		s = strings.TrimSpace(s)
		if !seen[s] {
			seen[s] = true
			deps = append(deps, s)
		}
	}
	return deps, nil
}

// knownKey reports whether k is a key of x-kompose: depends_on and deploy
// (read here), backup (pkg/vol reads it) or update (pkg/update reads it).
func knownKey(k string) bool {
	return k == "depends_on" || k == "deploy" || k == "backup" || k == "update"
}
