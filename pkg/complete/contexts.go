package complete

import (
	"context"
	"strings"
	"time"

	"github.com/kompose-dev/kompose/pkg/proc"
)

// contextsTimeout bounds `docker context ls`: completion must not hang
// on a slow docker CLI.
const contextsTimeout = 2 * time.Second

// dockerContexts lists the docker contexts with `docker context ls`;
// none when docker fails.
func dockerContexts(ctx context.Context, r Request) []string {
	out, err := proc.Output(ctx, r.Proc, r.Environ, contextsTimeout, "docker", "context", "ls", "--format", "{{.Name}}")
	if err != nil {
		return nil
	}
	var names []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.ContainsAny(l, " \t") {
			names = append(names, l)
		}
	}
	return names
}
