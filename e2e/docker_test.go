//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"
)

// projectLabel is the label compose (v1 and v2) puts on every container,
// network and volume of a project.
const projectLabel = "com.docker.compose.project"

// dockerTimeout bounds every docker CLI call of the suite itself.
const dockerTimeout = 60 * time.Second

// dockerOut runs the docker CLI and returns its standard output; an error
// carries its standard error.
func dockerOut(ctx context.Context, args ...string) (string, error) {
	return runOut(ctx, "docker", args...)
}

// runOut runs a program and returns its standard output; an error carries
// its standard error.
func runOut(ctx context.Context, prog string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, dockerTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = os.TempDir() // never a folder with a compose file
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w: %s", prog, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// resource is a container, network or volume of a compose project.
type resource struct {
	Kind    string // container, network, volume
	ID      string
	Name    string
	Project string
}

func (r resource) String() string {
	return fmt.Sprintf("%s %s (project %s)", r.Kind, r.Name, r.Project)
}

// listResources returns every container, network and volume whose compose
// project name starts with prefix.
func listResources(ctx context.Context, prefix string) ([]resource, error) {
	queries := []struct {
		kind string
		args []string
	}{
		{"container", []string{"ps", "-a", "--no-trunc", "--filter", "label=" + projectLabel,
			"--format", `{{.ID}}	{{.Names}}	{{.Label "` + projectLabel + `"}}`}},
		{"network", []string{"network", "ls", "--no-trunc", "--filter", "label=" + projectLabel,
			"--format", `{{.ID}}	{{.Name}}	{{.Label "` + projectLabel + `"}}`}},
		{"volume", []string{"volume", "ls", "--filter", "label=" + projectLabel,
			"--format", `{{.Name}}	{{.Name}}	{{.Label "` + projectLabel + `"}}`}},
	}
	var out []resource
	for _, q := range queries {
		text, err := dockerOut(ctx, q.args...)
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
			f := strings.Split(line, "\t")
			if len(f) != 3 || !strings.HasPrefix(f[2], prefix) {
				continue
			}
			out = append(out, resource{Kind: q.kind, ID: f[0], Name: f[1], Project: f[2]})
		}
	}
	return out, nil
}

// removeProjects removes every project whose name starts with prefix: first
// as a user would, with `docker compose -p <project> down -v
// --remove-orphans`, then whatever is still there with docker rm/network
// rm/volume rm. It fails when anything is left.
func removeProjects(ctx context.Context, prefix string) error {
	res, err := listResources(ctx, prefix)
	if err != nil {
		return err
	}
	if len(res) == 0 {
		return nil
	}
	projects := map[string]bool{}
	for _, r := range res {
		projects[r.Project] = true
	}
	var wg sync.WaitGroup
	for p := range projects {
		wg.Go(func() {
			_, _ = dockerOut(ctx, "compose", "-p", p, "down", "-v", "--remove-orphans", "-t", "1")
		})
	}
	wg.Wait()

	res, err = listResources(ctx, prefix)
	if err != nil {
		return err
	}
	var errs []error
	for _, kind := range []string{"container", "network", "volume"} {
		var ids []string
		for _, r := range res {
			if r.Kind == kind {
				ids = append(ids, r.ID)
			}
		}
		if len(ids) == 0 {
			continue
		}
		var args []string
		switch kind {
		case "container":
			args = append([]string{"rm", "-f", "-v"}, ids...)
		case "network":
			args = append([]string{"network", "rm"}, ids...)
		case "volume":
			args = append([]string{"volume", "rm", "-f"}, ids...)
		}
		if _, err := dockerOut(ctx, args...); err != nil {
			errs = append(errs, err)
		}
	}
	res, err = listResources(ctx, prefix)
	if err != nil {
		return err
	}
	if len(res) > 0 {
		var names []string
		for _, r := range res {
			names = append(names, r.String())
		}
		errs = append(errs, fmt.Errorf("could not remove: %s", strings.Join(names, "; ")))
	}
	return errors.Join(errs...)
}

// container is a container of a project as docker sees it.
type container struct {
	ID, Name, Service, State string
}

// containers returns the containers of project, sorted by service.
func containers(ctx context.Context, project string) ([]container, error) {
	text, err := dockerOut(ctx, "ps", "-a", "--no-trunc", "--filter", "label="+projectLabel+"="+project,
		"--format", `{{.ID}}	{{.Names}}	{{.Label "com.docker.compose.service"}}	{{.State}}`)
	if err != nil {
		return nil, err
	}
	var out []container
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			continue
		}
		out = append(out, container{ID: f[0], Name: f[1], Service: f[2], State: f[3]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Service < out[j].Service })
	return out, nil
}

// containerEnv returns the environment a container was created with.
func containerEnv(ctx context.Context, id string) (map[string]string, error) {
	text, err := dockerOut(ctx, "inspect", "--format", `{{range .Config.Env}}{{println .}}{{end}}`, id)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = v
		}
	}
	return env, nil
}

// snapshot describes the containers (with their state and start time),
// networks and volumes whose project starts with prefix, one line each in
// a stable order: two equal snapshots mean nothing was created, removed,
// stopped or restarted in between.
func snapshot(ctx context.Context, prefix string) ([]string, error) {
	res, err := listResources(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, r := range res {
		line := r.Kind + " " + r.Name + " " + r.ID
		var format string
		switch r.Kind {
		case "container":
			format = "{{.State.Status}} started={{.State.StartedAt}} restarts={{.RestartCount}}"
		case "network":
			format = "created={{.Created}}"
		case "volume":
			format = "created={{.CreatedAt}}"
		}
		args := []string{"inspect", "--format", format, r.ID}
		if r.Kind != "container" {
			args = []string{r.Kind, "inspect", "--format", format, r.ID}
		}
		detail, err := dockerOut(ctx, args...)
		if err != nil {
			return nil, err
		}
		lines = append(lines, line+" "+strings.TrimSpace(detail))
	}
	sort.Strings(lines)
	return lines, nil
}
