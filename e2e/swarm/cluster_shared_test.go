//go:build e2e

package swarm

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/internal/swarmtest"
)

// clusterPrefix starts the ID of the three-node cluster
// (swarmtest.Options.Prefix).
const clusterPrefix = "kse-"

// threeNodes is the three-node cluster the cluster tests share: started
// by the first test that asks (sharedCluster), stopped by TestMain.
type threeNodes struct {
	once sync.Once
	mu   sync.Mutex
	c    *swarmtest.Cluster
	err  error
}

// the3 is this test binary's three-node cluster.
var the3 threeNodes

// sharedCluster is the three-node cluster (one manager, two workers,
// debianImage loaded into each, a registry on the manager). It skips t
// where no swarm or no registry can run (needSwarm, docker-registry),
// and fails it when the cluster does not start.
func sharedCluster(t *testing.T) *swarmtest.Cluster {
	t.Helper()
	needSwarm(t)
	if _, err := exec.LookPath("docker-registry"); err != nil {
		why := "docker-registry is not installed (Debian package docker-registry; scripts/install-deps.sh installs it)"
		if os.Getenv("KOMPOSE_REQUIRE_ALL") == "1" {
			t.Fatalf("%s; KOMPOSE_REQUIRE_ALL=1 makes this test required", why)
		}
		t.Skip(why)
	}
	the3.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		c, err := swarmtest.Start(ctx, swarmtest.Options{Prefix: clusterPrefix, Workers: 2, Images: []string{debianImage}, Registry: true})
		the3.mu.Lock()
		the3.c, the3.err = c, err
		the3.mu.Unlock()
		if err == nil {
			fmt.Fprintf(os.Stderr, "swarm e2e: cluster %s (1 manager, 2 workers) ready in %v\n", c.ID, c.Setup.Round(time.Millisecond))
		}
	})
	the3.mu.Lock()
	defer the3.mu.Unlock()
	if the3.err != nil {
		t.Fatalf("starting the three-node cluster: %v", the3.err)
	}
	return the3.c
}

// stop stops the cluster when it was started.
func (s *threeNodes) stop() error {
	s.mu.Lock()
	c := s.c
	s.mu.Unlock()
	if c == nil {
		return nil
	}
	begin := time.Now()
	err := c.Stop()
	fmt.Fprintf(os.Stderr, "swarm e2e: cluster %s stopped and removed in %v\n", c.ID, time.Since(begin).Round(time.Millisecond))
	return err
}

// stopOnSignal stops the cluster and exits 130 on SIGINT or SIGTERM
// (the tests' clean-ups do not run then), until the returned function is
// called.
func (s *threeNodes) stopOnSignal() func() {
	sig := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-sig:
			fmt.Fprintln(os.Stderr, "swarm e2e: interrupted: stopping the three-node cluster")
			_ = s.stop()
			os.Exit(130)
		case <-done:
		}
	}()
	return func() { signal.Stop(sig); close(done) }
}
