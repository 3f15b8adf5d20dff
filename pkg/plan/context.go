package plan

import (
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/fleet"
)

// SourceContext is the layer of the variables --context sets.
const SourceContext = fleet.SourceContext

// SetContext makes name the docker context of e ([fleet.SetContext]).
func SetContext(e *env.Env, name string) { fleet.SetContext(e, name) }

// CheckContext refuses --context together with -e DOCKER_HOST or -e
// DOCKER_CONTEXT ([fleet.CheckContext]).
func CheckContext(name string, overrides []env.Var) error { return fleet.CheckContext(name, overrides) }
