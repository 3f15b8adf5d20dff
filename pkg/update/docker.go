package update

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
)

// engine runs the docker CLI and the stack's compose command with the
// stack's folder, environment and streams.
type engine struct {
	ex      *plan.ActionEnv
	compose []string
}

func newEngine(ex *plan.ActionEnv) (*engine, error) {
	argv, err := ex.Stack.ComposeCommand()
	if err != nil {
		return nil, err
	}
	return &engine{ex: ex, compose: argv}, nil
}

func (e *engine) cmd(argv []string, stdout, stderr io.Writer) proc.Cmd {
	c := e.ex.Cmd
	c.Argv, c.Stdin, c.Stdout, c.Stderr = argv, nil, stdout, stderr
	c.Gate, c.GateEnv, c.Report = false, nil, nil
	return c
}

// out runs argv and returns what it printed on stdout; its error says the
// last line it printed on stderr.
func (e *engine) out(ctx context.Context, argv ...string) (string, error) {
	var out, errb bytes.Buffer
	if err := e.ex.Proc.Run(ctx, e.cmd(argv, &out, &errb)); err != nil {
		return out.String(), cmdError(argv, err, errb.String())
	}
	return out.String(), nil
}

// stream runs argv with its output going where the stack's goes; its
// error says the last line it printed on stderr.
func (e *engine) stream(ctx context.Context, argv ...string) error {
	var tail bytes.Buffer
	if err := e.ex.Proc.Run(ctx, e.cmd(argv, e.ex.Cmd.Stdout, io.MultiWriter(e.ex.Cmd.Stderr, &tail))); err != nil {
		return cmdError(argv, err, tail.String())
	}
	return nil
}

func (e *engine) composeArgv(args ...string) []string {
	return append(e.compose[:len(e.compose):len(e.compose)], args...)
}

// cmdError names the program and subcommand that failed, how, and why.
func cmdError(argv []string, err error, stderr string) error {
	what := argv[0]
	for _, a := range argv[1:] {
		if strings.HasPrefix(a, "-") {
			break
		}
		what += " " + a
		if a != "compose" && a != "image" && a != "container" {
			break
		}
	}
	if why := proc.LastLine(stderr); why != "" {
		return fmt.Errorf("%s: %w: %s", what, err, why)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// services loads the stack's project as compose would and returns its
// name and services.
// session is what update and rollback start from: the stack's engine, its
// masked output, its project and services.
type session struct {
	e       *engine
	w       io.Writer
	project string
	svcs    []Service
}

// begin starts update or rollback on ex's stack. KOMPOSE_UPDATED_SERVICES
// starts empty for the hooks after it, whatever kompose inherited.
func begin(ctx context.Context, ex *plan.ActionEnv) (*session, error) {
	ex.Passed = append(ex.Passed, VarUpdated+"=")
	e, err := newEngine(ex)
	if err != nil {
		return nil, err
	}
	project, svcs, err := services(ctx, ex.Stack)
	if err != nil {
		return nil, err
	}
	return &session{e: e, w: mask(ex, ex.Cmd.Stdout), project: project, svcs: svcs}, nil
}

func services(ctx context.Context, s *plan.Stack) (string, []Service, error) {
	proj, err := compose.NewProject(s.Dir, s.ComposeFile, s.Env.Map()).Load(ctx)
	if err != nil {
		return "", nil, err
	}
	pins, err := pinned(proj)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", s.ComposeFile, err)
	}
	var out []Service
	for name, sc := range proj.Services {
		pull := sc.Image != "" && sc.Build == nil &&
			sc.PullPolicy != types.PullPolicyNever && sc.PullPolicy != types.PullPolicyBuild
		if pull && !imageRef.MatchString(sc.Image) {
			return "", nil, fmt.Errorf("service %s: image %q: not an image reference", name, sc.Image)
		}
		sv := Service{Name: name, Image: sc.Image, Pull: pull}
		if pins[name] && pull {
			sv.Pull, sv.Held = false, "pinned (x-kompose: {update: {pin: [...]}})"
		}
		out = append(out, sv)
	}
	for name := range pins {
		if _, ok := proj.Services[name]; !ok {
			return "", nil, fmt.Errorf("%s: x-kompose.update.pin: no service named %q", s.ComposeFile, name)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return proj.Name, out, nil
}

// pinned reads x-kompose: {update: {pin: [service, ...]}} of proj: the
// services update leaves alone.
func pinned(proj *types.Project) (map[string]bool, error) {
	x, ok := proj.Extensions[compose.Extension].(map[string]any)
	if !ok {
		return nil, nil
	}
	raw, ok := x["update"]
	if !ok || raw == nil {
		return nil, nil
	}
	u, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("x-kompose.update must be a mapping (update: {pin: [db]}), not %T", raw)
	}
	pins := map[string]bool{}
	for k, v := range u {
		if k != "pin" {
			return nil, fmt.Errorf("x-kompose.update.%s: unknown key (known: pin)", k)
		}
		list, ok := v.([]any)
		if s, isStr := v.(string); isStr {
			list, ok = []any{s}, true
		}
		if !ok {
			return nil, fmt.Errorf("x-kompose.update.pin must be a list of service names, not %T", v)
		}
		for _, e := range list {
			name, ok := e.(string)
			if !ok || !serviceName.MatchString(name) {
				return nil, fmt.Errorf("x-kompose.update.pin: %v is not a service name", e)
			}
			pins[name] = true
		}
	}
	return pins, nil
}

// exclude holds back the services named in names (--exclude-service),
// those of them update would pull.
func exclude(svcs []Service, names []string) []Service {
	for i, s := range svcs {
		if s.Pull && slices.Contains(names, s.Name) {
			svcs[i].Pull, svcs[i].Held = false, "--exclude-service"
		}
	}
	return svcs
}

// printHeld says which services are held back, and why.
func printHeld(w io.Writer, svcs []Service) {
	for _, s := range svcs {
		if s.Held != "" {
			fmt.Fprintf(w, "%s: %s held back: %s\n", s.Name, s.Image, s.Held)
		}
	}
}

// containers returns the containers of the stack's project (one-off
// containers of compose run left out).
func (e *engine) containers(ctx context.Context) ([]Container, error) {
	ids, err := e.out(ctx, e.composeArgv("ps", "--all", "--quiet")...)
	if err != nil {
		return nil, err
	}
	fields := strings.Fields(ids)
	if len(fields) == 0 {
		return nil, nil
	}
	const format = `{{.Id}}|{{.Image}}|{{.State.Running}}|{{index .Config.Labels "com.docker.compose.oneoff"}}|{{index .Config.Labels "com.docker.compose.service"}}`
	out, err := e.out(ctx, append([]string{"docker", "container", "inspect", "--format", format, "--"}, fields...)...)
	if err != nil {
		return nil, err
	}
	var cs []Container
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(strings.TrimSpace(line), "|")
		if len(f) != 5 {
			return nil, fmt.Errorf("docker container inspect: unexpected line %q", line)
		}
		if f[3] == "True" || f[4] == "" {
			continue
		}
		cs = append(cs, Container{ID: f[0], ImageID: f[1], Running: f[2] == "true", Service: f[4]})
	}
	return cs, nil
}

// imageID returns the ID of the local image ref names, "" when there is
// none.
func (e *engine) imageID(ctx context.Context, ref string) (string, error) {
	var out, errb bytes.Buffer
	argv := []string{"docker", "image", "inspect", "--format", "{{.Id}}", "--", ref}
	err := e.ex.Proc.Run(ctx, e.cmd(argv, &out, &errb))
	if err != nil {
		if strings.Contains(strings.ToLower(errb.String()), "no such image") {
			return "", nil
		}
		return "", cmdError(argv, err, errb.String())
	}
	id := strings.TrimSpace(out.String())
	if !imageID.MatchString(id) {
		return "", fmt.Errorf("docker image inspect %s: unexpected ID %q", ref, id)
	}
	return id, nil
}

// imageIDs returns the local image ID of each pulled service's reference.
func (e *engine) imageIDs(ctx context.Context, svcs []Service) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range svcs {
		if !s.Pull {
			continue
		}
		if _, done := out[s.Image]; done {
			continue
		}
		id, err := e.imageID(ctx, s.Image)
		if err != nil {
			return nil, err
		}
		out[s.Image] = id
	}
	return out, nil
}

// tag points ref at image id.
func (e *engine) tag(ctx context.Context, id, ref string) error {
	_, err := e.out(ctx, "docker", "image", "tag", id, ref)
	return err
}

// removeImage removes an image or a tag, without force: an image a
// container uses, or one with other tags, stays.
func (e *engine) removeImage(ctx context.Context, ref string) error {
	_, err := e.out(ctx, "docker", "image", "rm", "--", ref)
	return err
}

// repoTags returns the tags of image id; exists is false when the image is
// gone.
func (e *engine) repoTags(ctx context.Context, id string) (tags []string, exists bool, err error) {
	var out, errb bytes.Buffer
	argv := []string{"docker", "image", "inspect", "--format", "{{range .RepoTags}}{{.}} {{end}}", "--", id}
	if err := e.ex.Proc.Run(ctx, e.cmd(argv, &out, &errb)); err != nil {
		if strings.Contains(strings.ToLower(errb.String()), "no such image") {
			return nil, false, nil
		}
		return nil, false, cmdError(argv, err, errb.String())
	}
	return strings.Fields(out.String()), true, nil
}

// maskWriter writes what update says about a stack through the stack's
// masker: an image reference could be made of a secret variable.
type maskWriter struct {
	w io.Writer
	m *env.Masker
}

func (m maskWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(m.w, m.m.String(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// mask returns w (one of the stack's streams) writing through the
// stack's masker, when it has one.
func mask(ex *plan.ActionEnv, w io.Writer) io.Writer {
	if ex.Stack.Masker == nil {
		return w
	}
	return maskWriter{w: w, m: ex.Stack.Masker}
}
