package buildinfo

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Tool is the version of a program kompose drives, or why it could not be
// found; never both.
type Tool struct {
	Version string
	Err     error
}

// Tools are the programs `kompose version --json` reports on.
type Tools struct {
	DockerClient, DockerServer, Compose, Bash Tool
}

// Runner runs argv and returns its standard output; a non-zero exit is an
// error, but its output is returned too (docker version prints the
// client's part when the engine is down).
type Runner func(ctx context.Context, argv []string) ([]byte, error)

// Probe asks docker, compose (the command kompose would run, composeArgv)
// and bash for their versions. A program that is missing or fails gives a
// Tool with its error, never a failure of the whole.
func Probe(ctx context.Context, run Runner, composeArgv []string) Tools {
	var t Tools
	t.DockerClient, t.DockerServer = dockerVersions(ctx, run)
	t.Compose = composeVersion(ctx, run, composeArgv)
	t.Bash = bashVersion(ctx, run)
	return t
}

// dockerVersions reads `docker version --format '{{json .}}'`.
func dockerVersions(ctx context.Context, run Runner) (client, server Tool) {
	out, err := run(ctx, []string{"docker", "version", "--format", "{{json .}}"})
	var v struct {
		Client *struct{ Version string }
		Server *struct{ Version string }
	}
	if jerr := json.Unmarshal(out, &v); jerr != nil {
		if err == nil {
			err = fmt.Errorf("docker version: unreadable output: %w", jerr)
		}
		return Tool{Err: err}, Tool{Err: err}
	}
	client, server = Tool{Err: err}, Tool{Err: err}
	if v.Client != nil && v.Client.Version != "" {
		client = Tool{Version: v.Client.Version}
	}
	if v.Server != nil && v.Server.Version != "" {
		server = Tool{Version: v.Server.Version}
	}
	if client.Err == nil && client.Version == "" {
		client.Err = fmt.Errorf("docker version: no client version")
	}
	if server.Err == nil && server.Version == "" {
		server.Err = fmt.Errorf("docker version: no server version")
	}
	return client, server
}

// composeVersion is `<compose> version --short`.
func composeVersion(ctx context.Context, run Runner, argv []string) Tool {
	if len(argv) == 0 {
		return Tool{Err: fmt.Errorf("no compose command")}
	}
	out, err := run(ctx, append(append([]string{}, argv...), "version", "--short"))
	if err != nil {
		return Tool{Err: err}
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	if v == "" || strings.ContainsAny(v, " \n") {
		return Tool{Err: fmt.Errorf("%s version --short: unexpected output", strings.Join(argv, " "))}
	}
	return Tool{Version: v}
}

var bashVersionRE = regexp.MustCompile(`version (\S+)`)

// bashVersion reads the first line of `bash --version`.
func bashVersion(ctx context.Context, run Runner) Tool {
	out, err := run(ctx, []string{"bash", "--version"})
	if err != nil {
		return Tool{Err: err}
	}
	line, _, _ := strings.Cut(string(out), "\n")
	m := bashVersionRE.FindStringSubmatch(line)
	if m == nil {
		return Tool{Err: fmt.Errorf("bash --version: unexpected output %q", line)}
	}
	return Tool{Version: m[1]}
}
