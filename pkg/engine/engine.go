// Package engine names the Docker Engine a stack targets.
//
// A stack reaches its engine the way the docker CLI would: DOCKER_HOST in
// its environment (unix://, tcp://, ssh://user@host) wins over
// DOCKER_CONTEXT, which names a docker context; with neither, the CLI's
// current context (usually the local engine). kompose never talks to an
// engine itself: compose, hooks, database commands and status all go
// through the docker CLI with the stack's environment, so contexts, TLS
// and SSH behave exactly as for compose. This package tells engines apart,
// to group stacks by engine and to show where each runs, and probes them
// ([Checker]: `docker version` with a time limit, once per engine and
// run), so that a host that is down fails its stacks quickly.
package engine

import (
	"net/url"
	"strings"
)

// The variables that choose an engine, as the docker CLI reads them.
const (
	HostVar    = "DOCKER_HOST"
	ContextVar = "DOCKER_CONTEXT"
)

// Engine is the engine a stack targets. The zero value is the docker
// CLI's current context.
type Engine struct {
	Host    string // DOCKER_HOST, "" when unset
	Context string // DOCKER_CONTEXT, "" when unset (ignored when Host is set)
}

// Of returns the engine chosen by an environment.
func Of(lookup func(string) (string, bool)) Engine {
	h, _ := lookup(HostVar)
	c, _ := lookup(ContextVar)
	h, c = strings.TrimSpace(h), strings.TrimSpace(c)
	if h != "" {
		c = "" // the docker CLI: DOCKER_HOST overrides any context
	}
	return Engine{Host: h, Context: c}
}

// Default reports whether e is the CLI's current context (no variable set).
func (e Engine) Default() bool { return e.Host == "" && e.Context == "" }

// Name is how people see the engine: the context's name, the host address
// without any user name or password it holds, or "default".
func (e Engine) Name() string {
	switch {
	case e.Host != "":
		return Redact(e.Host)
	case e.Context != "":
		return e.Context
	}
	return "default"
}

// Key tells engines apart: two stacks with the same key use the same
// engine.
func (e Engine) Key() string {
	if e.Host != "" {
		return "host:" + e.Host
	}
	return "context:" + e.Context
}

// Redact returns a DOCKER_HOST address without the password a URL may
// carry (tcp://user:pass@host); the user name, which ssh:// needs, stays.
func Redact(host string) string {
	u, err := url.Parse(host)
	if err != nil || u.User == nil {
		return host
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
		return strings.Replace(u.String(), "xxxxx", "****", 1)
	}
	return host
}
