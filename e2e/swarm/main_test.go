//go:build e2e

package swarm

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/internal/swarmtest"
)

const (
	// debianImage is the image the fixtures run (scripts/build-images.sh).
	debianImage = "kompose-test/debian:bookworm"
	// requireVar makes a missing dependency a failure (CI sets it).
	requireVar = "KOMPOSE_REQUIRE_ALL"
	// clusterPrefix starts the ID of the clusters of this package
	// (swarmtest.Options.Prefix), apart from swarmtest's own tests.
	clusterPrefix = "kse-"
)

// suite is what the tests of this package share. TestMain sets it up.
type suite struct {
	kompose string // the kompose binary under test

	clusterOnce sync.Once
	mu          sync.Mutex
	cluster     *swarmtest.Cluster // the shared 3-node cluster, once started
	clusterErr  error
}

// the is the suite of this test binary; TestMain sets it before any test
// runs.
var the *suite

func TestMain(m *testing.M) { os.Exit(runSuite(m)) }

func runSuite(m *testing.M) int {
	flag.Parse()
	the = &suite{}
	if swarmtest.Missing() == "" {
		// Clusters of earlier runs that were killed (SIGKILL, a panic,
		// go test's -timeout) before they could stop them.
		if removed, err := swarmtest.Sweep(clusterPrefix); len(removed) > 0 || err != nil {
			fmt.Fprintf(os.Stderr, "e2e/swarm: removed what killed runs left: %v %v\n", removed, err)
		}
	}
	dir, err := os.MkdirTemp("", "kompose-e2e-swarm-bin-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e/swarm: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	the.kompose = filepath.Join(dir, "kompose")
	build := exec.Command("go", "build", "-o", the.kompose, "../../cmd/kompose")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e/swarm: building kompose: %v\n", err)
		return 1
	}

	// Ctrl-C or SIGTERM: stop the cluster before going.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-sig; ok {
			fmt.Fprintln(os.Stderr, "e2e/swarm: interrupted: stopping the test cluster")
			the.stopCluster()
			os.Exit(130)
		}
	}()
	code := m.Run()
	signal.Stop(sig)
	close(sig)
	if err := the.stopCluster(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e/swarm: FAIL: %v\n", err)
		code = 1
	}
	return code
}

// sharedCluster is the three-node cluster the cluster tests share (one
// manager, two workers, debianImage loaded into each), started by the
// first test that asks and stopped by TestMain. It skips or fails t
// when it cannot start.
func sharedCluster(t *testing.T) *swarmtest.Cluster {
	t.Helper()
	swarmtest.Require(t)
	needImage(t, debianImage)
	the.clusterOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		c, err := swarmtest.Start(ctx, swarmtest.Options{Prefix: clusterPrefix, Workers: 2, Images: []string{debianImage}})
		the.mu.Lock()
		the.cluster, the.clusterErr = c, err
		the.mu.Unlock()
		if err == nil {
			fmt.Fprintf(os.Stderr, "e2e/swarm: cluster %s (1 manager, 2 workers) ready in %v\n", c.ID, c.Setup.Round(time.Millisecond))
		}
	})
	the.mu.Lock()
	defer the.mu.Unlock()
	if the.clusterErr != nil {
		t.Fatalf("starting the test cluster: %v", the.clusterErr)
	}
	return the.cluster
}

// stopCluster stops the shared cluster when it was started.
func (s *suite) stopCluster() error {
	s.mu.Lock()
	c := s.cluster
	s.mu.Unlock()
	if c == nil {
		return nil
	}
	begin := time.Now()
	err := c.Stop()
	fmt.Fprintf(os.Stderr, "e2e/swarm: cluster %s stopped and removed in %v\n", c.ID, time.Since(begin).Round(time.Millisecond))
	return err
}

// needImage skips or fails (KOMPOSE_REQUIRE_ALL=1) t when the machine's
// engine does not have image.
func needImage(t *testing.T, image string) {
	t.Helper()
	if err := exec.Command("docker", "image", "inspect", image).Run(); err == nil {
		return
	}
	why := image + " is not on the machine's Docker Engine (scripts/build-images.sh builds it)"
	if os.Getenv(requireVar) == "1" {
		t.Fatalf("%s; %s=1 makes this test required", why, requireVar)
	}
	t.Skip(why)
}
