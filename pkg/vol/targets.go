package vol

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/plan"
)

// Kind is what a target is.
type Kind string

// The kinds of targets.
const (
	Volume Kind = "volume" // a named volume of the project
	Bind   Kind = "bind"   // a folder of the stack, bind-mounted or listed in x-kompose.backup.paths
)

// Target is one thing vol:export archives.
type Target struct {
	// Name is how the compose file names it (the volume's key, or the
	// bind mount's folder relative to the stack: "files", "data/db"); the
	// archives are named after it ([FileBase]).
	Name string
	Kind Kind
	// Engine is the volume's name on the engine (compose's:
	// "<project>_<key>", or its name: field); for a bind, the folder's
	// absolute path.
	Engine   string
	External bool
	// Services are the services that mount it.
	Services []string
}

// Backup is x-kompose.backup of a stack's compose file.
type Backup struct {
	Paths   []string // folders of the stack to archive besides its bind mounts
	Exclude []string // patterns of paths left out of every archive
	Stop    []string // services stopped while the archives are made
}

// nameRE is what a target name may hold once "/" is replaced: it becomes
// part of a file name.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// FileBase is the start of a target's archive names: its name with "/"
// replaced by "-" ("data/db" -> "data-db").
func (t Target) FileBase() string { return strings.ReplaceAll(t.Name, "/", "-") }

// Targets reads the stack's volumes from its compose project, and its
// x-kompose.backup.
func Targets(ctx context.Context, s *plan.Stack) ([]Target, *types.Project, Backup, error) {
	proj, err := compose.NewProject(s.Dir, s.ComposeFile, s.Env.Map()).Load(ctx)
	if err != nil {
		return nil, nil, Backup{}, err
	}
	b, err := backupOf(proj)
	if err != nil {
		return nil, nil, Backup{}, err
	}
	byName := map[string]*Target{}
	var out []*Target
	add := func(t Target) *Target {
		if old, ok := byName[t.Name]; ok {
			return old
		}
		nt := t
		byName[t.Name] = &nt
		out = append(out, &nt)
		return &nt
	}
	for key, v := range proj.Volumes {
		name := v.Name
		if name == "" {
			name = proj.Name + "_" + key
		}
		add(Target{Name: key, Kind: Volume, Engine: name, External: bool(v.External)})
	}
	stackDir, err := filepath.EvalSymlinks(s.Dir)
	if err != nil {
		stackDir = s.Dir
	}
	serviceMounts(proj, s.Dir, stackDir, byName, add)
	for _, p := range b.Paths {
		abs := p
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(s.Dir, p)
		}
		rel, ok := inside(stackDir, s.Dir, abs)
		if !ok {
			return nil, nil, Backup{}, fmt.Errorf("x-kompose.backup.paths: %q is not a folder inside the stack's folder %s", p, s.Dir)
		}
		add(Target{Name: rel, Kind: Bind, Engine: abs})
	}
	res, err := checkNames(out)
	return res, proj, b, err
}

// serviceMounts adds, to the targets, the services that mount each named
// volume, and the folders inside the stack's folder (dir, or real with
// symlinks resolved) that services bind-mount.
func serviceMounts(proj *types.Project, dir, real string, byName map[string]*Target, add func(Target) *Target) {
	for _, svcName := range sortedServices(proj) {
		for _, m := range proj.Services[svcName].Volumes {
			switch m.Type {
			case types.VolumeTypeVolume:
				if t, ok := byName[m.Source]; ok && m.Source != "" {
					t.Services = appendOnce(t.Services, svcName)
				}
			case types.VolumeTypeBind:
				src := m.Source
				if !filepath.IsAbs(src) { // kompose loads without resolving paths
					base := proj.WorkingDir
					if base == "" {
						base = dir
					}
					src = filepath.Join(base, src)
				}
				rel, ok := inside(real, dir, src)
				if !ok {
					continue
				}
				if fi, err := os.Stat(src); err == nil && !fi.IsDir() {
					continue // a file of the stack (nginx.conf): kept with the stack, not a volume
				}
				t := add(Target{Name: rel, Kind: Bind, Engine: src})
				t.Services = appendOnce(t.Services, svcName)
			}
		}
	}
}

// checkNames refuses targets whose names cannot name an archive, or
// would name theirs alike; it returns them sorted by name.
func checkNames(out []*Target) ([]Target, error) {
	var res []Target
	seen := map[string]string{}
	for _, t := range out {
		if !nameRE.MatchString(t.FileBase()) {
			return nil, fmt.Errorf("%s %q: its name cannot name an archive (letters, digits, '.', '_', '-' and '/' only)", t.Kind, t.Name)
		}
		if other, dup := seen[t.FileBase()]; dup {
			return nil, fmt.Errorf("%s %q and %q would name their archives alike (%s_…)", t.Kind, t.Name, other, t.FileBase())
		}
		seen[t.FileBase()] = t.Name
		res = append(res, *t)
	}
	sort.Slice(res, func(i, j int) bool { return res[i].Name < res[j].Name })
	return res, nil
}

// inside returns the path of p relative to the stack's folder (dir, or
// real, the same with symlinks resolved), and whether p lies inside it
// (the folder itself is not a target: the compose file and .env are
// there).
func inside(real, dir, p string) (string, bool) {
	p = filepath.Clean(p)
	for _, base := range []string{dir, real} {
		if rel, err := filepath.Rel(base, p); err == nil && rel != "." && !strings.HasPrefix(rel, "..") && !filepath.IsAbs(rel) {
			return filepath.ToSlash(rel), true
		}
	}
	return "", false
}

func sortedServices(p *types.Project) []string {
	var out []string
	for n := range p.Services {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func appendOnce(l []string, s string) []string {
	for _, x := range l {
		if x == s {
			return l
		}
	}
	return append(l, s)
}

// backupOf reads x-kompose.backup: {paths, exclude, stop}, lists of
// strings. The services to stop must exist.
func backupOf(p *types.Project) (Backup, error) {
	var b Backup
	x, ok := p.Extensions[compose.Extension].(map[string]any)
	if !ok {
		return b, nil
	}
	raw, ok := x["backup"]
	if !ok || raw == nil {
		return b, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return b, fmt.Errorf("%s.backup must be a mapping ({paths: [...], exclude: [...], stop: [...]}), not %T", compose.Extension, raw)
	}
	for k, v := range m {
		var dst *[]string
		switch k {
		case "paths":
			dst = &b.Paths
		case "exclude":
			dst = &b.Exclude
		case "stop":
			dst = &b.Stop
		default:
			return b, fmt.Errorf("%s.backup.%s: unknown key (known: paths, exclude, stop)", compose.Extension, k)
		}
		list, err := strings_(v)
		if err != nil {
			return b, fmt.Errorf("%s.backup.%s: %v", compose.Extension, k, err)
		}
		*dst = list
	}
	for _, e := range b.Exclude {
		if _, err := path.Match(e, ""); err != nil {
			return b, fmt.Errorf("%s.backup.exclude: %q: %v", compose.Extension, e, err)
		}
	}
	for _, svc := range b.Stop {
		if _, ok := p.Services[svc]; !ok {
			return b, fmt.Errorf("%s.backup.stop: no service %q in the project", compose.Extension, svc)
		}
	}
	return b, nil
}

// strings_ reads a list of non-empty strings (or one string).
func strings_(v any) ([]string, error) {
	if s, ok := v.(string); ok {
		v = []any{s}
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("must be a list of strings, not %T", v)
	}
	var out []string
	for _, e := range list {
		s, ok := e.(string)
		if !ok || strings.TrimSpace(s) == "" {
			return nil, fmt.Errorf("must be a list of non-empty strings, not %v", e)
		}
		out = append(out, s)
	}
	return out, nil
}

// Select picks the targets the command line names (all but external
// volumes when it names none). A name may be the compose file's or the
// engine's; an unknown one is an error listing the known.
func Select(all []Target, names []string) ([]Target, error) {
	if len(names) == 0 {
		var out []Target
		for _, t := range all {
			if !t.External {
				out = append(out, t)
			}
		}
		return out, nil
	}
	var out []Target
	for _, n := range names {
		found := false
		for _, t := range all {
			if t.Name == n || t.Engine == n || t.FileBase() == n {
				out = append(out, t)
				found = true
				break
			}
		}
		if !found {
			var known []string
			for _, t := range all {
				known = append(known, t.Name)
			}
			return nil, fmt.Errorf("no volume or bind mount %q in the stack (it has: %s)", n, strings.Join(known, ", "))
		}
	}
	return out, nil
}

// excluded reports whether the archive entry name ("./cache/x") falls
// under one of the patterns: the pattern matches the path or one of the
// folders above it ("cache" excludes "cache/x").
func excluded(patterns []string, name string) bool {
	p := strings.Trim(strings.TrimPrefix(name, "."), "/")
	if p == "" || len(patterns) == 0 {
		return false
	}
	for {
		for _, pat := range patterns {
			if ok, _ := path.Match(strings.Trim(pat, "/"), p); ok {
				return true
			}
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return false
		}
		p = p[:i]
	}
}
