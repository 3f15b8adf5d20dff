package vol

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// helperLabel marks the containers vol:export creates (never starts) to
// reach a volume no container of the stack mounts; its value is the
// project. A run removes those a killed run left.
const helperLabel = "com.kompose.vol-helper"

// helperMount is where a helper container mounts the target.
const helperMount = "/kompose-src"

// engine runs the docker CLI with the stack's folder and environment
// (DOCKER_HOST, DOCKER_CONTEXT: the stack's engine).
type engine struct {
	ex *plan.ActionEnv
}

func (e engine) cmd(argv []string, stdout, stderr io.Writer) proc.Cmd {
	c := e.ex.Cmd
	c.Argv, c.Stdin, c.Stdout, c.Stderr = argv, nil, stdout, stderr
	c.Gate, c.GateEnv, c.Report = false, nil, nil
	return c
}

// out runs docker with args and returns its output; its error names the
// subcommand and docker's last line.
func (e engine) out(ctx context.Context, args ...string) (string, error) {
	var out, errb bytes.Buffer
	argv := append([]string{"docker"}, args...)
	if err := e.ex.Proc.Run(ctx, e.cmd(argv, &out, &errb)); err != nil {
		return out.String(), dockerError(args, err, errb.String())
	}
	return out.String(), nil
}

func dockerError(args []string, err error, stderr string) error {
	what := "docker"
	if len(args) > 0 {
		what += " " + args[0]
	}
	if why := proc.LastLine(stderr); why != "" {
		return fmt.Errorf("%s: %w: %s", what, err, why)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// mount is one mount of a container, as docker inspect says.
type mount struct {
	Type        string `json:"Type"`
	Name        string `json:"Name"`
	Source      string `json:"Source"`
	Destination string `json:"Destination"`
}

// container is what vol:export needs of a container of the stack.
type container struct {
	ID     string  `json:"Id"`
	Name   string  `json:"Name"`
	Image  string  `json:"Image"` // the image's id: present on the engine
	Mounts []mount `json:"Mounts"`
	State  struct {
		Running bool `json:"Running"`
	} `json:"State"`
	Config struct {
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
}

// containers lists the project's containers, running or not, with their
// mounts: two docker calls.
func (e engine) containers(ctx context.Context, project string) ([]container, error) {
	ids, err := e.out(ctx, "ps", "-a", "-q", "--no-trunc", "--filter", "label=com.docker.compose.project="+project)
	if err != nil {
		return nil, err
	}
	list := strings.Fields(ids)
	if len(list) == 0 {
		return nil, nil
	}
	js, err := e.out(ctx, append([]string{"container", "inspect"}, list...)...)
	if err != nil {
		return nil, err
	}
	var out []container
	if err := json.Unmarshal([]byte(js), &out); err != nil {
		return nil, fmt.Errorf("docker container inspect: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// removeHelpers removes the helper containers a killed run of this
// project left.
func (e engine) removeHelpers(ctx context.Context, project string) {
	ids, err := e.out(ctx, "ps", "-a", "-q", "--filter", "label="+helperLabel+"="+project)
	if err != nil || strings.TrimSpace(ids) == "" {
		return
	}
	_, _ = e.out(ctx, append([]string{"rm", "-f"}, strings.Fields(ids)...)...)
}

// source is where a target is read from: container and path.
type source struct {
	Container string
	Path      string
	Helper    bool   // created for this archive; removed after
	Image     string // a helper's image
	Desc      string // for the output: "container k21-app-1 (stopped)"
}

// find picks a container of the stack that mounts t with nothing else
// mounted below it (docker cp would read that too), preferring a
// stopped one (nothing writes there).
func find(cs []container, t Target) (source, bool) {
	var best *source
	for _, c := range cs {
		for _, m := range c.Mounts {
			if !mounts(m, t) || nested(c.Mounts, m.Destination) {
				continue
			}
			state := "running"
			if !c.State.Running {
				state = "stopped"
			}
			s := source{Container: c.ID, Path: m.Destination, Desc: fmt.Sprintf("container %s (%s)", strings.TrimPrefix(c.Name, "/"), state)}
			if best == nil || !c.State.Running {
				best = &s
			}
			if !c.State.Running {
				return *best, true
			}
		}
	}
	if best == nil {
		return source{}, false
	}
	return *best, true
}

func mounts(m mount, t Target) bool {
	if t.Kind == Volume {
		return m.Type == "volume" && m.Name == t.Engine
	}
	return m.Type == "bind" && path.Clean(m.Source) == path.Clean(t.Engine)
}

// nested reports whether another mount lies below dest.
func nested(ms []mount, dest string) bool {
	for _, m := range ms {
		if m.Destination != dest && strings.HasPrefix(m.Destination, strings.TrimSuffix(dest, "/")+"/") {
			return true
		}
	}
	return false
}

// helper creates, never starts, a container of an image the stack already
// has (images holds candidates: the ids of its containers' images, then
// its services' image names), mounting t read-only; --pull never, no
// network.
func (e engine) helper(ctx context.Context, project string, t Target, images []string, writable bool) (source, error) {
	if t.Kind == Volume {
		// docker create would create a missing volume: an empty archive
		// of nothing. Ask first.
		if _, err := e.out(ctx, "volume", "inspect", "--format", "{{.Name}}", t.Engine); err != nil {
			return source{}, fmt.Errorf("volume %s does not exist on the engine (the stack was never up?): %w", t.Engine, err)
		}
	}
	img := ""
	for _, cand := range images {
		if cand == "" {
			continue
		}
		if _, err := e.out(ctx, "image", "inspect", "--format", "{{.Id}}", cand); err == nil {
			img = cand
			break
		}
	}
	if img == "" {
		return source{}, fmt.Errorf("no image of the stack is on the engine to reach %s %s through (kompose pulls nothing): run `up` once, or pull one", t.Kind, t.Name)
	}
	if err := e.checkBind(t); err != nil {
		return source{}, err
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	name := "kompose-vol-" + project + "-" + hex.EncodeToString(rnd[:])
	spec := "type=volume,src=" + t.Engine + ",dst=" + helperMount + ",volume-nocopy"
	if t.Kind == Bind {
		spec = "type=bind,src=" + t.Engine + ",dst=" + helperMount
	}
	if !writable {
		spec += ",readonly"
	}
	if strings.ContainsAny(t.Engine, ",\"\n") {
		return source{}, fmt.Errorf("%s %q: a ',' or '\"' in its name cannot be passed to docker --mount", t.Kind, t.Engine)
	}
	id, err := e.out(ctx, "create", "--pull", "never", "--network", "none", "--label", helperLabel+"="+project,
		"--name", name, "--entrypoint", "", "--mount", spec, img, "kompose-vol-export")
	if err != nil {
		return source{}, err
	}
	return source{Container: strings.TrimSpace(id), Path: helperMount, Helper: true, Image: img,
		Desc: "a container created (not started) from image " + shortImage(img)}, nil
}

func shortImage(s string) string {
	if strings.HasPrefix(s, "sha256:") && len(s) > 19 {
		return s[7:19]
	}
	return s
}

// remove removes a helper container; it runs even when ctx is cancelled.
func (e engine) remove(ctx context.Context, s source) {
	if s.Helper {
		_, _ = e.out(context.WithoutCancel(ctx), "rm", "-f", s.Container)
	}
}

// stream runs docker cp CONTAINER:PATH/. - with its tar stream going to w.
func (e engine) stream(ctx context.Context, s source, w io.Writer, stderr io.Writer) error {
	args := []string{"cp", s.Container + ":" + strings.TrimSuffix(s.Path, "/") + "/.", "-"}
	var tail bytes.Buffer
	err := e.ex.Proc.Run(ctx, e.cmd(append([]string{"docker"}, args...), w, io.MultiWriter(stderr, &tail)))
	if err != nil {
		return dockerError(args, err, tail.String())
	}
	return nil
}

// compose runs the stack's compose command with a subcommand (stop,
// start) and services, its output going where the stack's goes.
func (e engine) compose(ctx context.Context, sub string, services []string) error {
	argv, err := e.ex.Stack.ComposeCommand()
	if err != nil {
		return err
	}
	argv = append(append(argv[:len(argv):len(argv)], sub), services...)
	fmt.Fprintf(e.ex.Cmd.Stderr, "    %s %s\n", sub, strings.Join(services, " "))
	var tail bytes.Buffer
	if err := e.ex.Proc.Run(ctx, e.cmd(argv, e.ex.Cmd.Stdout, io.MultiWriter(e.ex.Cmd.Stderr, &tail))); err != nil {
		return fmt.Errorf("compose %s %s: %w: %s", sub, strings.Join(services, " "), err, proc.LastLine(tail.String()))
	}
	return nil
}

// checkBind refuses to have the engine mount a bind target reached
// through a symbolic link an untrusted account could have made: docker
// follows it on the host, so an app that may write the folder above its
// bind-mounted folder could point it at /etc, or at the stack's backup
// folder, and vol:import would empty and overwrite that (vol:export
// archive it), as root. A link on the way below the stack's folder is
// accepted when the folder holding the target, and every folder and link
// on the way to it, pass the trust rule: only trusted accounts could have
// made it (the admin's link to another disk). Links above the stack's
// folder are the trust rule's business where the stack is read.
func (e engine) checkBind(t Target) error {
	if t.Kind != Bind {
		return nil
	}
	real, err := filepath.EvalSymlinks(t.Engine)
	if err != nil {
		return nil // missing: docker says so
	}
	want := filepath.Clean(t.Engine)
	if e.ex != nil && e.ex.Stack != nil && e.ex.Stack.Dir != "" {
		dir := filepath.Clean(e.ex.Stack.Dir)
		if rel, err := filepath.Rel(dir, want); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			if realStack, err := filepath.EvalSymlinks(dir); err == nil {
				want = filepath.Join(realStack, rel)
			}
		}
	}
	if real == want {
		return nil // no link below the stack's folder
	}
	if err := trust.NewTree(policyOf(e.ex)).CheckDir("mount the bind folder "+t.Name, filepath.Dir(t.Engine)); err != nil {
		return fmt.Errorf("bind folder %s leads to %s through a symbolic link another account could have made (docker would mount %s); nothing was changed: %w", t.Engine, real, real, err)
	}
	return nil
}
