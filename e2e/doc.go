// Package e2e holds kompose's end-to-end suite: it builds the kompose
// binary and runs it against the real Docker Engine, the real Compose v2
// plugin (and the v1 docker-compose where it is installed) and real
// containers of locally built images, checking every result with the
// docker CLI.
//
// The tests carry the build tag e2e:
//
//	go test -count=1 -tags e2e ./e2e/...
//
// Without a reachable Docker Engine, the Compose v2 plugin or the local
// images (scripts/provision.sh builds them) the suite is skipped with the
// reason; with KOMPOSE_REQUIRE_ALL=1 it fails instead. Every container,
// network and volume it creates belongs to a compose project named
// kompose-e2e-<run>-..., and is removed when its test ends, however it
// ends. See docs/testing.md.
package e2e
