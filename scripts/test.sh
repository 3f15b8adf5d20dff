#!/usr/bin/env bash
# kompose's test command: from a fresh machine, installs what the tests need
# and runs every suite.
#
#   scripts/test.sh            # everything this machine can run
#   KOMPOSE_REQUIRE_ALL=1 scripts/test.sh
#                              # as CI: a missing dependency (Docker Engine,
#                              # Compose v2, PostgreSQL) fails instead of
#                              # skipping its suite
#
# Stages: static checks (gofmt, go vet, go mod tidy), unit and CLI tests (go test ./...,
# with testscript, real bash and a real PostgreSQL server), then the
# end-to-end suite against the real Docker Engine (go test -tags e2e ./e2e).
set -euo pipefail
cd "$(dirname "$0")/.."

require_all=${KOMPOSE_REQUIRE_ALL:-}
step() { printf '\n=== %s\n' "$*"; }

step "toolchain"
command -v go >/dev/null || { echo "Go is not installed (https://go.dev/dl)" >&2; exit 1; }
go version
go mod download

step "system packages"
scripts/install-deps.sh

if docker info >/dev/null 2>&1; then
  step "docker: compose plugin and local images"
  scripts/provision.sh
elif [[ -n $require_all ]]; then
  echo "KOMPOSE_REQUIRE_ALL is set but no Docker Engine is reachable (docker info failed)" >&2
  exit 1
else
  echo "no Docker Engine reachable: the end-to-end suite will be skipped" >&2
fi

step "static checks"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [[ -n $unformatted ]]; then
  printf 'gofmt would change:\n%s\n' "$unformatted" >&2
  exit 1
fi
go vet ./...
go vet -tags e2e ./...
# go.mod and go.sum are what go mod tidy makes of the code (Go >= 1.23).
go mod tidy -diff || { echo 'go.mod/go.sum are not tidy: run go mod tidy' >&2; exit 1; }

step "unit and CLI tests"
# -timeout: the CLI scripts run real bash and PostgreSQL and take minutes on a
# loaded 2-core machine; the default 10 minutes is too tight there.
go test -count=1 -timeout 25m ./...

if [[ -d e2e ]]; then
  step "end-to-end tests (real Docker Engine)"
  # -v: each test's kompose runs with their times, and the reason of any
  # skip; -parallel 4: the tests mostly wait on the engine (docs/testing.md).
  # TestCleanupHelper is not a test of its own: TestCleanupAfterFailure runs it
  # in a copy of the test binary, so it is left out of the run here.
  # internal/swarmtest: the Swarm test harness's own tests (docs/testing.md).
  go test -count=1 -tags e2e -timeout 20m -v -parallel 4 -skip '^TestCleanupHelper$' ./e2e/... ./internal/swarmtest/
fi
