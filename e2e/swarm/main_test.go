//go:build e2e

// Package swarm holds kompose's end-to-end tests on real Docker Swarms:
// a single-node swarm shared by this package's tests (TestMain starts it
// once, on a dockerd of its own in a network namespace, never the
// machine's engine), and the three-node cluster of cluster_test.go.
// Everything is made by internal/swarmtest and removed at the end, also
// when a test fails; leftovers of killed runs are swept first.
package swarm

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/internal/hostclean"
	"github.com/kompose-dev/kompose/internal/swarmtest"
)

// The image every task runs, built by scripts/build-images.sh and loaded
// into every node.
const debianImage = "kompose-test/debian:bookworm"

// single is the prefix of this package's single-node swarm.
const single = "i24s-"

// shared is what the tests of this package share; TestMain sets it.
type shared struct {
	kompose string // the kompose binary under test
	skip    string // why nothing can run here
	one     *swarmtest.Cluster
}

var the shared

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	if why := swarmtest.Missing(); why != "" {
		the.skip = why
	} else if err := exec.Command("docker", "image", "inspect", debianImage).Run(); err != nil {
		the.skip = debianImage + " is not on the machine's engine (scripts/build-images.sh builds it)"
	}
	dir, err := os.MkdirTemp("", "i24-swarm-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	the.kompose = filepath.Join(dir, "kompose")
	if out, err := exec.Command("go", "build", "-o", the.kompose, "../../cmd/kompose").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build kompose: %v\n%s", err, out)
		return 1
	}
	// The machine's engine (its docker0, its built-in networks) must come
	// out of the run as it went in.
	engineBefore := hostclean.MachineEngine(context.Background())
	if the.skip == "" {
		for _, prefix := range []string{single, clusterPrefix} {
			if removed, err := swarmtest.Sweep(prefix); err != nil || len(removed) > 0 {
				fmt.Fprintf(os.Stderr, "swarm e2e: removed leftovers of killed runs %v: %v\n", removed, err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		the.one, err = swarmtest.Start(ctx, swarmtest.Options{Prefix: single, Images: []string{debianImage}})
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "start a single-node swarm: %v\n", err)
			return 1
		}
		defer func() {
			if err := the.one.Stop(); err != nil {
				fmt.Fprintf(os.Stderr, "stop the single-node swarm: %v\n", err)
			}
		}()
	}
	// The three-node cluster (cluster_test.go) is started by the first
	// test that needs it; stopped here, or on SIGINT/SIGTERM.
	stopSignals := the3.stopOnSignal()
	code := m.Run()
	stopSignals()
	if err := the3.stop(); err != nil {
		fmt.Fprintf(os.Stderr, "swarm e2e: FAIL: %v\n", err)
		code = 1
	}
	if err := hostclean.CheckMachineEngine(context.Background(), engineBefore); err != nil {
		fmt.Fprintf(os.Stderr, "swarm e2e: FAIL: %v\n", err)
		code = 1
	}
	return code
}

// needSwarm returns the shared single-node swarm, skipping t (failing it
// with KOMPOSE_REQUIRE_ALL=1) when none can run here.
func needSwarm(t *testing.T) *swarmtest.Cluster {
	t.Helper()
	if the.skip != "" {
		if os.Getenv("KOMPOSE_REQUIRE_ALL") == "1" {
			t.Fatalf("%s; KOMPOSE_REQUIRE_ALL=1 makes this test required", the.skip)
		}
		t.Skip(the.skip)
	}
	return the.one
}
