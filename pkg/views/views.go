// Package views holds kompose's read-only views (hosts, status, hooks,
// --list): each collects one model from the fleet (pkg/fleet), and prints
// it as text for people or as its JSON document (pkg/report/jsonout,
// docs/json.md). Text and JSON print the same model: nothing is computed
// twice.
//
// A view starts no process but what it exists for (hosts: one docker
// version per engine; status: one docker ps per engine) and runs no hook.
package views

import (
	"fmt"
	"io"

	"github.com/kompose-dev/kompose/pkg/output"
)

// Problem is a stack that could not be read, with why, masked.
type Problem struct {
	Stack string
	Err   string
}

// printProblems writes one "!!! stack: why" line per problem to w (the
// error stream).
func printProblems(w io.Writer, st output.Style, ps []Problem) {
	for _, p := range ps {
		fmt.Fprintf(w, "%s %s: %s\n", st.Red("!!!"), p.Stack, p.Err)
	}
}
