package complete

import (
	"github.com/kompose-dev/kompose/pkg/db"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/fleet"
	"github.com/kompose-dev/kompose/pkg/settings"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/vol"
)

// maxStacksForFiles caps how many selected stacks db:import and
// vol:import completion reads the .env of: a file name is looked up in
// each stack's own folder, so a pattern of hundreds of stacks has no
// useful answer, and reading them all would break the 50 ms budget.
const maxStacksForFiles = 20

// options are the global options typed before the cursor, by their first
// name ("dry-run", "env"), as settings.Options.
type options map[string][]string

func (o options) IsSet(name string) bool { return len(o[name]) > 0 }

func (o options) String(name string) string {
	if v := o[name]; len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}

func (o options) Bool(name string) bool { return o.IsSet(name) }

func (o options) StringSlice(name string) []string { return o[name] }

// rootEnv is the root in effect for the words typed, resolved as kompose
// resolves it (--root, $KOMPOSE_ROOT, ./stacks, the current folder) the
// first time it is needed.
type rootEnv struct {
	r    Request
	opts options

	read  bool
	root  string
	all   []stack.Stack
	names map[string]bool
}

func newRootEnv(r Request, o options) *rootEnv { return &rootEnv{r: r, opts: o} }

func (e *rootEnv) load() {
	if e.read {
		return
	}
	e.read = true
	envRoot, _, _ := settings.FromEnviron(e.r.Environ)("KOMPOSE_ROOT")
	root, err := stack.ResolveRoot(e.opts.String("root"), envRoot, e.r.Cwd)
	if err != nil {
		return
	}
	all, err := stack.Scan(root)
	if err != nil {
		return
	}
	e.root, e.all, e.names = root, all, map[string]bool{}
	for _, s := range all {
		e.names[s.Name] = true
	}
}

// stackNames are the root's stacks, in name order.
func (e *rootEnv) stackNames() []string {
	e.load()
	return stack.Names(e.all)
}

func (e *rootEnv) isStack(name string) bool {
	e.load()
	return e.names[name]
}

// backupFiles are the names db:import (dumps) or vol:import (archives)
// would find for the stacks pattern selects, each looked up where kompose
// looks: DB_DUMP_DIR or the stack's folder, KOMPOSE_BACKUP_DIR/<stack> or
// <stack>/backups. A stack's environment comes from the fleet, under the
// trust rule of a run with these options: a .env the rule refuses is not
// read, and its stack offers nothing.
func (e *rootEnv) backupFiles(pattern, command string) []string {
	e.load()
	if e.root == "" {
		return nil
	}
	sel, err := stack.Select(e.all, pattern)
	if err != nil || len(sel) > maxStacksForFiles {
		return nil
	}
	pol, err := settings.Policy(e.opts, e.r.Environ)
	if err != nil {
		return nil
	}
	var overrides []env.Var
	for _, s := range e.opts["env"] {
		if v, err := env.ParseAssignment(s); err == nil {
			overrides = append(overrides, v)
		}
	}
	f := fleet.New(fleet.Options{Root: e.root, Environ: e.r.Environ, Network: e.opts.String("network"),
		Overrides: overrides, Context: e.opts.String("context"), Policy: &pol}, e.all)
	if _, err := f.Base(); err != nil {
		return nil // the root .env is refused: kompose would not run
	}
	seen := map[string]bool{}
	var out []string
	for _, st := range sel {
		m := f.Stack(st)
		if m.Err != nil {
			continue
		}
		for _, name := range files(m, command) {
			if !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
		}
	}
	return out
}

// files lists a stack's dumps or archives, newest first.
func files(m *fleet.Member, command string) []string {
	var out []string
	if command == "db:import" {
		cfg, ok, err := db.ConfigFrom(m.Env, m.Dir)
		if !ok || err != nil {
			return nil
		}
		dumps, _ := db.List(cfg.DumpDir, cfg.Name)
		for _, d := range dumps {
			out = append(out, d.Name)
		}
		return out
	}
	dir, err := vol.Dir(m.Env, m.Name, m.Dir)
	if err != nil {
		return nil
	}
	archives, _ := vol.List(dir, "")
	for _, a := range archives {
		out = append(out, a.Name)
	}
	return out
}
