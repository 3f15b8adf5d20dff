package compose

import (
	"bytes"
	"context"
	"fmt"
	"strings"
)

// Extension is the top-level key of a compose file that holds kompose's
// own settings for the stack; compose ignores every x- key.
const Extension = "x-kompose"

// Dependencies returns the stacks the stack in dir depends on, as its
// compose project declares them: x-kompose: {depends_on: [proxy, db]} at
// the top level of its compose files (those of COMPOSE_FILE, or the
// default file with its override, merged as compose merges them). Files that do not mention
// x-kompose are not loaded at all: a stack without dependencies costs a
// read of its compose files, not a compose-go load. where names the files
// for messages.
func Dependencies(ctx context.Context, dir, file string, env map[string]string) (deps []string, where string, err error) {
	return (*Files)(nil).Dependencies(ctx, dir, file, env)
}

// Dependencies is [Dependencies] reading through f.
func (f *Files) Dependencies(ctx context.Context, dir, file string, env map[string]string) (deps []string, where string, err error) {
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	files, _ := f.ConfigFiles(dir, file, lookup)
	where = strings.Join(files, ", ")
	mentioned := false
	for _, p := range files {
		if p == "-" {
			mentioned = true // standard input: compose-go decides
			break
		}
		b, err := f.ReadFile(p)
		if err != nil {
			return nil, where, fmt.Errorf("read %s: %w", p, err)
		}
		if bytes.Contains(b, []byte(Extension)) {
			mentioned = true
			break
		}
	}
	if !mentioned {
		return nil, where, nil
	}
	proj, err := NewProject(dir, file, env).Load(ctx)
	if err != nil {
		return nil, where, err
	}
	x, ok := proj.Extensions[Extension]
	if !ok || x == nil {
		return nil, where, nil
	}
	m, ok := x.(map[string]any)
	if !ok {
		return nil, where, fmt.Errorf("%s: %s must be a mapping (x-kompose: {depends_on: [proxy]}), not %T", where, Extension, x)
	}
	for k := range m {
		if !knownKey(k) {
			return nil, where, fmt.Errorf("%s: %s.%s: unknown key (known: depends_on, backup, update)", where, Extension, k)
		}
	}
	raw, ok := m["depends_on"]
	if !ok || raw == nil {
		return nil, where, nil
	}
	list, ok := raw.([]any)
	if !ok {
		if s, isStr := raw.(string); isStr {
			list = []any{s}
		} else {
			return nil, where, fmt.Errorf("%s: %s.depends_on must be a list of stack names, not %T", where, Extension, raw)
		}
	}
	seen := map[string]bool{}
	for _, v := range list {
		s, ok := v.(string)
		if !ok || strings.TrimSpace(s) == "" {
			return nil, where, fmt.Errorf("%s: %s.depends_on: %v is not a stack name", where, Extension, v)
		}
		s = strings.TrimSpace(s)
		if !seen[s] {
			seen[s] = true
			deps = append(deps, s)
		}
	}
	return deps, where, nil
}

// knownKey reports whether k is a key of x-kompose: depends_on (read
// here), backup (pkg/vol reads it) or update (pkg/update reads it).
func knownKey(k string) bool { return k == "depends_on" || k == "backup" || k == "update" }
