package buildinfo

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// execRunner runs the real programs.
func execRunner(ctx context.Context, argv []string) ([]byte, error) {
	return exec.CommandContext(ctx, argv[0], argv[1:]...).Output()
}

// TestProbeRealBash asks the machine's bash; docker and compose may be
// missing or down, which must give errors, not a failure.
func TestProbeRealBash(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	tools := Probe(context.Background(), execRunner, []string{"docker", "compose"})
	if tools.Bash.Err != nil || !strings.HasPrefix(tools.Bash.Version, "5.") && !strings.HasPrefix(tools.Bash.Version, "4.") {
		t.Errorf("bash: %+v", tools.Bash)
	}
	for name, tool := range map[string]Tool{"docker client": tools.DockerClient, "docker server": tools.DockerServer, "compose": tools.Compose} {
		if (tool.Version == "") == (tool.Err == nil) {
			t.Errorf("%s: %+v: want a version or an error", name, tool)
		}
	}
}

func TestProbeEngineDown(t *testing.T) {
	down := errors.New("exit status 1")
	run := func(_ context.Context, argv []string) ([]byte, error) {
		switch argv[0] {
		case "docker":
			if argv[1] == "version" {
				return []byte(`{"Client":{"Version":"28.2.2"},"Server":null}`), down
			}
			return nil, errors.New("docker: 'compose' is not a docker command")
		case "bash":
			return nil, exec.ErrNotFound
		}
		return nil, nil
	}
	tools := Probe(context.Background(), run, []string{"docker", "compose"})
	if tools.DockerClient.Version != "28.2.2" || tools.DockerClient.Err != nil {
		t.Errorf("client: %+v", tools.DockerClient)
	}
	if tools.DockerServer.Version != "" || tools.DockerServer.Err == nil {
		t.Errorf("server: %+v", tools.DockerServer)
	}
	if tools.Compose.Err == nil || tools.Bash.Err == nil {
		t.Errorf("compose %+v, bash %+v: want errors", tools.Compose, tools.Bash)
	}
}
