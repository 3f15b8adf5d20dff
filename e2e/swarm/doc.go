// Package swarm holds kompose's end-to-end tests of stacks deployed on
// Docker Swarm (x-kompose.deploy: swarm), against real swarms of test
// engines started by internal/swarmtest: a three-node cluster (one
// manager, two workers, each dockerd in its own network namespace) shared
// by the cluster tests. Its tests carry the build tag e2e:
//
//	go test -count=1 -tags e2e -v ./e2e/swarm/
//
// docs/testing.md describes the set-up and its clean-up.
package swarm
