package plan

import (
	"fmt"

	"github.com/kompose-dev/kompose/pkg/engine"
	"github.com/kompose-dev/kompose/pkg/env"
)

// SourceContext is the layer of the variables --context sets.
const SourceContext env.Source = "--context"

// SetContext makes name the docker context of e, above every .env: it
// sets DOCKER_CONTEXT and empties DOCKER_HOST, which the docker CLI (and
// so compose) would otherwise prefer to any context. The command line
// wins over a stack's .env, as -e does; an empty DOCKER_HOST is unset for
// the docker CLI.
func SetContext(e *env.Env, name string) {
	e.Override(engine.ContextVar, name, SourceContext)
	e.Override(engine.HostVar, "", SourceContext)
}

// CheckContext refuses --context together with -e DOCKER_HOST or -e
// DOCKER_CONTEXT: two engines asked for on one command line.
func CheckContext(name string, overrides []env.Var) error {
	if name == "" {
		return nil
	}
	for _, v := range overrides {
		if v.Name == engine.HostVar || v.Name == engine.ContextVar {
			return fmt.Errorf("--context %s and -e %s=...: give one of them", name, v.Name)
		}
	}
	return nil
}
