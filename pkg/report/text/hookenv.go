package text

import (
	"fmt"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/hooks"
	"github.com/kompose-dev/kompose/pkg/plan"
)

// HookEnv implements [run.EnvReporter]: one line per variable, its value
// masked when the name marks a secret or when it holds one of the stack's
// secrets.
func (t *Text) HookEnv(s *plan.Stack, st *plan.Step, vars []hooks.Assignment, problems []string) {
	for _, v := range vars {
		val := env.Mask
		if !s.Masker.IsSecret(v.Name) {
			val = quoteValue(s.Masker, v.Value)
		}
		fmt.Fprintf(t.w, "    env %s=%s  %s\n", v.Name, val, t.style.Dim("(from "+st.Label+" via $"+hooks.VarEnvFile+")"))
	}
	for _, p := range problems {
		fmt.Fprintf(t.errW, "%s %s: %s\n", t.style.Yellow("warning:"), s.Name, s.Masker.String(p))
	}
}
