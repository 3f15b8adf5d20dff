// Package compose knows how to call Docker Compose and how to read a stack's
// compose file.
//
// It picks the compose command without starting any process: the Compose v2
// plugin when the docker CLI would find it, else the v1 docker-compose
// program, and KOMPOSE_COMPOSE (for instance "podman compose") above both. It
// also reads a stack's project as compose would, with the stack's
// environment (COMPOSE_FILE, COMPOSE_PROFILES, COMPOSE_PROJECT_NAME):
// the project name compose will use and, with compose-go, the services.
package compose

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/consts"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/template"
	"go.yaml.in/yaml/v4"
	"mvdan.cc/sh/v3/shell"
)

// OverrideVar is the variable that replaces the detected compose command.
const OverrideVar = "KOMPOSE_COMPOSE"

// Lookup reads a variable of the environment kompose runs in.
type Lookup func(name string) (string, bool)

// SystemPluginDirs returns where the docker CLI looks for plugins after
// $DOCKER_CONFIG/cli-plugins (see docker/cli's cli-plugins/manager).
func SystemPluginDirs() []string {
	return []string{
		"/usr/local/lib/docker/cli-plugins",
		"/usr/local/libexec/docker/cli-plugins",
		"/usr/lib/docker/cli-plugins",
		"/usr/libexec/docker/cli-plugins",
	}
}

// Detector finds the compose command.
type Detector struct {
	// PluginDirs replaces [SystemPluginDirs] when not nil (tests use it to
	// be independent of the machine's docker installation).
	PluginDirs []string
}

// Detect returns the compose command with the system's plugin folders: see
// [Detector.Detect].
func Detect(env Lookup) ([]string, error) { return Detector{}.Detect(env) }

// Detect returns the compose command, as argv words to which the subcommand
// and its arguments are appended. It starts no process.
func (d Detector) Detect(env Lookup) ([]string, error) {
	if v, ok := env(OverrideVar); ok && v != "" {
		// Expand with the stack's environment, not kompose's own.
		words, err := shell.Fields(v, func(name string) string { val, _ := env(name); return val })
		if err != nil || len(words) == 0 {
			return nil, fmt.Errorf("%s=%q: not a command", OverrideVar, v)
		}
		return words, nil
	}
	if d.hasPlugin(env) {
		return []string{"docker", "compose"}, nil
	}
	path, _ := env("PATH")
	if lookPath("docker-compose", path) {
		return []string{"docker-compose"}, nil
	}
	// Nothing found: let docker say so when the command runs.
	return []string{"docker", "compose"}, nil
}

func (d Detector) hasPlugin(env Lookup) bool {
	cfg, _ := env("DOCKER_CONFIG")
	if cfg == "" {
		if home, ok := env("HOME"); ok && home != "" {
			cfg = filepath.Join(home, ".docker")
		}
	}
	dirs := d.PluginDirs
	if dirs == nil {
		dirs = SystemPluginDirs()
	}
	if cfg != "" {
		dirs = append([]string{filepath.Join(cfg, "cli-plugins")}, dirs...)
	}
	for _, d := range dirs {
		if fi, err := os.Stat(filepath.Join(d, "docker-compose")); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return true
		}
	}
	return false
}

func lookPath(name, path string) bool {
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		fi, err := os.Stat(filepath.Join(dir, name))
		if err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return true
		}
	}
	return false
}

// ProjectName returns the project name compose will use for the stack in
// dir whose compose file is file, with the environment env:
// $COMPOSE_PROJECT_NAME, else the last top-level name: (interpolated) in
// the compose files compose reads ([ConfigFiles]), else the name of the
// project folder (the first file's folder), normalised the way compose
// does. It reads only the files' name: lines, not the whole project.
func ProjectName(dir, file string, env Lookup) string {
	return (*Files)(nil).ProjectName(dir, file, env)
}

// ProjectName is [ProjectName] reading through f.
func (f *Files) ProjectName(dir, file string, env Lookup) string {
	name, _ := f.ProjectNameFrom(dir, file, env)
	return name
}

// Where a project name comes from ([Files.ProjectNameFrom]).
const (
	NameFromEnv    = "COMPOSE_PROJECT_NAME"
	NameFromFile   = "name:"
	NameFromFolder = "folder"
)

// ProjectNameFrom is [ProjectName] with where the name comes from:
// [NameFromEnv], [NameFromFile] or [NameFromFolder].
func (f *Files) ProjectNameFrom(dir, file string, env Lookup) (name, from string) {
	if v, ok := env(consts.ComposeProjectName); ok && v != "" {
		return v, NameFromEnv
	}
	files, err := f.ConfigFiles(dir, file, env)
	if err != nil || len(files) == 0 {
		return NormalizeProjectName(filepath.Base(dir)), NameFromFolder
	}
	for _, p := range files {
		if n := f.nameFromFile(p, env); n != "" {
			name = n
		}
	}
	if name != "" {
		return name, NameFromFile
	}
	return NormalizeProjectName(filepath.Base(filepath.Dir(files[0]))), NameFromFolder
}

// ConfigFiles returns the compose files compose reads for the stack in dir,
// in order, as absolute paths: the entries of $COMPOSE_FILE (split at
// $COMPOSE_PATH_SEPARATOR, else ':'), relative ones taken from dir where
// compose runs; else the compose file compose finds in dir (the first of
// compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml) and
// the first override file beside it (compose.override.yml, ...). file,
// the compose file kompose found, is used when dir holds none of them.
func ConfigFiles(dir, file string, env Lookup) ([]string, error) {
	return (*Files)(nil).ConfigFiles(dir, file, env)
}

// ConfigFiles is [ConfigFiles] looking through f.
func (f *Files) ConfigFiles(dir, file string, env Lookup) ([]string, error) {
	if v, ok := env(consts.ComposeFilePath); ok {
		var out []string
		for _, entry := range splitComposeFile(v, env) {
			out = append(out, absFrom(dir, entry))
		}
		return out, nil
	}
	// kompose found file as the first of compose.yaml, compose.yml,
	// docker-compose.yaml, docker-compose.yml: compose picks the same
	// file except that it prefers docker-compose.yml to
	// docker-compose.yaml.
	out := []string{file}
	if filepath.Dir(file) != dir || filepath.Base(file) == "docker-compose.yaml" {
		for _, n := range cli.DefaultFileNames {
			if p := filepath.Join(dir, n); f.isRegular(p) {
				out[0] = p
				break
			}
		}
	}
	for _, n := range cli.DefaultOverrideFileNames {
		if p := filepath.Join(dir, n); f.isRegular(p) {
			out = append(out, p)
			break
		}
	}
	return out, nil
}

func splitComposeFile(v string, env Lookup) []string {
	sep, _ := env(consts.ComposePathSeparator)
	if sep == "" {
		sep = string(os.PathListSeparator)
	}
	return strings.Split(v, sep)
}

func absFrom(dir, p string) string {
	if p == "-" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// Files reads compose files at most once: a run that needs a stack's
// project name and its dependencies looks for and opens each file once.
// The nil *Files reads afresh each time. A Files is for one run (files may
// change between runs) and is not safe for concurrent use.
type Files struct {
	regular map[string]bool
	data    map[string]fileData
}

type fileData struct {
	b   []byte
	err error
}

// NewFiles returns an empty Files.
func NewFiles() *Files {
	return &Files{regular: map[string]bool{}, data: map[string]fileData{}}
}

func (f *Files) isRegular(p string) bool {
	if f != nil {
		if r, ok := f.regular[p]; ok {
			return r
		}
	}
	fi, err := os.Stat(p)
	r := err == nil && fi.Mode().IsRegular()
	if f != nil {
		f.regular[p] = r
	}
	return r
}

// ReadFile returns the content of the compose file p.
func (f *Files) ReadFile(p string) ([]byte, error) {
	if f == nil {
		return os.ReadFile(p)
	}
	if d, ok := f.data[p]; ok {
		return d.b, d.err
	}
	b, err := os.ReadFile(p)
	f.data[p] = fileData{b, err}
	return b, err
}

func (f *Files) nameFromFile(file string, env Lookup) string {
	data, err := f.ReadFile(file)
	if err != nil {
		return ""
	}
	if !mayNameProject(data) {
		return ""
	}
	name := ""
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var top struct {
			Name string `yaml:"name"`
		}
		if err := dec.Decode(&top); err != nil {
			break
		}
		if top.Name != "" {
			name = top.Name
		}
	}
	if name == "" {
		return ""
	}
	name, err = template.Substitute(name, template.Mapping(env))
	if err != nil {
		return ""
	}
	return NormalizeProjectName(name)
}

// mayNameProject reports whether a compose file could have a top-level
// name: key, so that the YAML parse (most of ProjectName's cost) is skipped
// for the many files that have none. A top-level key starts a line in
// block style; a file in flow style or JSON starts with '{' and is always
// parsed.
func mayNameProject(data []byte) bool {
	first := true
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		trimmed := bytes.TrimLeft(line, " \t\r\ufeff")
		if len(trimmed) == 0 || trimmed[0] == '#' || bytes.HasPrefix(trimmed, []byte("---")) {
			continue
		}
		if first && trimmed[0] == '{' {
			return true
		}
		first = false
		for _, key := range [...]string{"name", `"name"`, "'name'"} {
			if rest, ok := bytes.CutPrefix(line, []byte(key)); ok {
				if r := bytes.TrimLeft(rest, " \t"); len(r) > 0 && r[0] == ':' {
					return true
				}
			}
		}
	}
	return false
}

// Service is a service of a stack's compose project.
type Service struct {
	Name  string
	Image string // "" when the service is only built
}

// Services loads the stack's compose project as compose would with env
// (see [Project]) and returns its services in name order.
func Services(ctx context.Context, dir, file string, env map[string]string) ([]Service, error) {
	return NewProject(dir, file, env).Services(ctx)
}

// NormalizeProjectName is compose's project-name normalisation
// (loader.NormalizeProjectName: lower case, only a-z, 0-9, _ and -, no
// leading _ or -), without its cost when there is nothing to change: the
// loader compiles a regular expression on every call, and a command on one
// stack compares its project name with every other stack's folder name.
func NormalizeProjectName(s string) string {
	if isNormalProjectName(s) {
		return s
	}
	return loader.NormalizeProjectName(s)
}

// isNormalProjectName reports whether s is already as compose normalises
// it.
func isNormalProjectName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}
