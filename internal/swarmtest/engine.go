package swarmtest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// Engine is one Docker Engine of its own, not in a swarm: a dockerd in a
// network namespace of its own (with only its loopback interface), made,
// named and removed as a cluster of one node is ([Cluster.Stop], [Sweep],
// [Leftovers] with its ID). Its containers have no network outside that
// namespace. Tests reach it over its unix socket, [Node.Host].
//
// It exists because a dockerd started with --bridge=none in the machine's
// own network namespace deletes the machine's docker0 at start-up, which
// breaks the default bridge network of the machine's engine until it
// restarts.
type Engine struct {
	*Node
	// ID names the engine: <prefix><6 hex digits>.
	ID string
	// Folder is its folder, /tmp/<ID> (the node's own is [Node.Dir]).
	Folder string

	c *Cluster
}

// EngineOptions shape an [Engine].
type EngineOptions struct {
	// Prefix starts the engine's ID, as [Options.Prefix] does a
	// cluster's; DefaultPrefix when empty.
	Prefix string
	// Images are loaded from the machine's engine into the engine.
	Images []string
}

// StartEngine starts an [Engine] and returns when it answers and holds
// the images. When it fails, it has removed everything it made.
func StartEngine(ctx context.Context, opts EngineOptions) (e *Engine, err error) {
	if why := Missing(); why != "" {
		return nil, errors.New(why)
	}
	prefix := opts.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if !validPrefix(prefix) {
		return nil, fmt.Errorf("swarmtest: prefix %q: at most 8 bytes of a-z, 0-9 and -", prefix)
	}
	c, err := newCluster(prefix, 0, false)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			if serr := c.Stop(); serr != nil {
				err = fmt.Errorf("%w (and cleaning up: %v)", err, serr)
			}
			e = nil
		}
	}()
	n := c.Nodes[0]
	n.Manager = false
	for _, args := range [][]string{{"netns", "add", n.netns}, {"-n", n.netns, "link", "set", "lo", "up"}} {
		if _, err := run(ctx, nil, "ip", args...); err != nil {
			return nil, fmt.Errorf("swarmtest: network namespace of %s: %w", c.ID, err)
		}
	}
	if err := n.start(ctx); err != nil {
		return nil, err
	}
	if err := c.Load(ctx, opts.Images...); err != nil {
		return nil, err
	}
	return &Engine{Node: n, ID: c.ID, Folder: c.Dir, c: c}, nil
}

// StartEngineT starts an engine for test t ([Require] first) and stops it
// when the test ends; t fails when the engine does not start.
func StartEngineT(t testing.TB, opts EngineOptions) *Engine {
	t.Helper()
	Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	e, err := StartEngine(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Stop(); err != nil {
			t.Error(err)
		}
	})
	return e
}

// Load copies images of the machine's engine into the engine.
func (e *Engine) Load(ctx context.Context, images ...string) error {
	return e.c.Load(ctx, images...)
}

// Kill kills the engine outright (SIGKILL of its dockerd, containerd,
// shims and containers), as [Cluster.Kill] does a node.
func (e *Engine) Kill() error { return e.c.Kill(e.Node) }

// Stop removes everything the engine made and then fails if any of it
// is left, as [Cluster.Stop] does. It is safe to call more than once and
// from several goroutines.
func (e *Engine) Stop() error { return e.c.Stop() }
