package compose

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/consts"
	"github.com/compose-spec/compose-go/v2/types"
)

// Project is a stack's compose project as compose would load it in the
// stack's folder with the stack's environment: the files of COMPOSE_FILE
// (COMPOSE_PATH_SEPARATOR) or the default ones with their override file,
// the profiles of COMPOSE_PROFILES, the name of COMPOSE_PROJECT_NAME,
// include: and extends: followed. It is loaded on first use, once; safe
// for concurrent use.
type Project struct {
	dir, file string
	env       map[string]string

	// resolved: paths made absolute and env_file read into environment,
	// as a file deployed from elsewhere needs ([NewResolvedProject]).
	resolved bool

	once sync.Once
	p    *types.Project
	err  error
}

// NewResolvedProject is [NewProject] for a file that is deployed from
// another folder (docker stack deploy of a temporary file): relative paths
// are made absolute from the project's folder, and each service's
// env_file is read into its environment.
func NewResolvedProject(dir, file string, env map[string]string) *Project {
	return &Project{dir: dir, file: file, env: env, resolved: true}
}

// NewProject returns the project of the stack in dir (whose compose file
// kompose found is file) with its merged environment env. Nothing is read
// yet.
func NewProject(dir, file string, env map[string]string) *Project {
	return &Project{dir: dir, file: file, env: env}
}

// Load loads the project, the first time only.
func (p *Project) Load(ctx context.Context) (*types.Project, error) {
	p.once.Do(func() { p.p, p.err = p.load(ctx) })
	return p.p, p.err
}

func (p *Project) load(ctx context.Context) (*types.Project, error) {
	lookup := func(k string) (string, bool) { v, ok := p.env[k]; return v, ok }
	environ := make([]string, 0, len(p.env))
	for k, v := range p.env {
		if k == consts.ComposeFilePath {
			// compose resolves relative entries from the folder it runs
			// in, the stack's; kompose runs elsewhere.
			entries := splitComposeFile(v, lookup)
			for i, e := range entries {
				entries[i] = absFrom(p.dir, e)
			}
			sep, _ := lookup(consts.ComposePathSeparator)
			if sep == "" {
				sep = ":"
			}
			v = strings.Join(entries, sep)
		}
		environ = append(environ, k+"="+v)
	}
	if err := checkFiles(p.dir, p.file, lookup); err != nil {
		return nil, err
	}
	opts := []cli.ProjectOptionsFn{cli.WithEnv(environ)}
	var files []string
	if _, ok := p.env[consts.ComposeFilePath]; !ok {
		// The default files are found in the stack's folder (with
		// COMPOSE_FILE the project folder is the first file's). They
		// are found here, by compose's rules, so that compose-go does
		// not warn a second time about several of them.
		opts = append(opts, cli.WithWorkingDirectory(p.dir))
		files, _ = ConfigFiles(p.dir, p.file, lookup)
	}
	opts = append(opts,
		cli.WithConfigFileEnv,
		cli.WithDefaultConfigPath,
		cli.WithDefaultProfiles(),
		cli.WithResolvedPaths(p.resolved),
	)
	if !p.resolved {
		opts = append(opts, cli.WithoutEnvironmentResolution)
	}
	po, err := cli.NewProjectOptions(files, opts...)
	if err == nil {
		var proj *types.Project
		if proj, err = po.LoadProject(ctx); err == nil {
			return proj, nil
		}
	}
	what := p.dir
	if files, _ := ConfigFiles(p.dir, p.file, lookup); len(files) > 0 {
		what = strings.Join(files, ", ")
	}
	return nil, fmt.Errorf("load %s: %w", what, err)
}

// checkFiles refuses, before compose-go loads them, compose files whose
// YAML aliases expand beyond the limits of [CheckExpansion]. Files that
// cannot be read are left to compose-go, which says why.
func checkFiles(dir, file string, lookup Lookup) error {
	files, _ := ConfigFiles(dir, file, lookup)
	for _, f := range files {
		if f == "-" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if err := CheckExpansion(f, data); err != nil {
			return err
		}
	}
	return nil
}

// Services returns the project's services (those of its active profiles)
// in name order.
func (p *Project) Services(ctx context.Context) ([]Service, error) {
	proj, err := p.Load(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Service, 0, len(proj.Services))
	for name, s := range proj.Services {
		out = append(out, Service{Name: name, Image: s.Image})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
