#!/usr/bin/env bash
# Builds kompose's Debian package, dist/kompose_<version>_<arch>.deb, with
# nfpm (a pinned release, run with `go run`: not a dependency of the
# kompose module). See docs/packaging.md for what it installs and why.
#
#   scripts/package.sh            # the machine's architecture
#   GOARCH=arm64 scripts/package.sh
#   KOMPOSE_DIST_DIR=/tmp/out scripts/package.sh   # elsewhere than dist/
#
# The version comes from git: the tag v1.2.3 gives 1.2.3; 4 commits after
# it, 1.2.3+git4.<commit>; no tag, 0.0.0+git<YYYYmmdd>.<commit>; a work
# tree with changes adds .dirty. KOMPOSE_DEB_VERSION overrides it. The
# binary is stamped (-ldflags -X) with that version, the commit and the
# commit's date, so `kompose --version` says them. The man page and the
# completion scripts are the built binary's own (docs/kompose.1 is checked
# against it); the systemd units are examples/systemd's, pointed at
# /usr/bin/kompose.
#
# Prints the path of the package on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

nfpm_version=v2.48.0
log() { printf '[package] %s\n' "$*" >&2; }
die() {
	printf '[package] error: %s\n' "$*" >&2
	exit 1
}

command -v go >/dev/null || die "Go is not installed"
command -v git >/dev/null || die "git is not installed"
git rev-parse --git-dir >/dev/null 2>&1 || die "not a git checkout: the version comes from git"

goarch=${GOARCH:-$(go env GOARCH)}
commit=$(git rev-parse HEAD)
short=$(git rev-parse --short=12 HEAD)
date=$(git show -s --format=%cI HEAD)
dirty=
[[ -z $(git status --porcelain --untracked-files=no 2>/dev/null) ]] || dirty=.dirty

# deb_version: the package's version, from the newest v* tag reachable.
deb_version() {
	local tag n
	if tag=$(git describe --tags --abbrev=0 --match 'v[0-9]*' 2>/dev/null); then
		n=$(git rev-list --count "$tag"..HEAD)
		if ((n == 0)); then
			printf '%s%s' "${tag#v}" "${dirty:++git0$dirty}"
		else
			printf '%s+git%s.%s%s' "${tag#v}" "$n" "$short" "$dirty"
		fi
	else
		printf '0.0.0+git%s.%s%s' "$(git show -s --format=%cd --date=format:%Y%m%d HEAD)" "$short" "$dirty"
	fi
}
version=${KOMPOSE_DEB_VERSION:-$(deb_version)}
[[ $version =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || die "version '$version' is not a Debian version (it must start with a digit)"

stage=$(mktemp -d "${TMPDIR:-/tmp}/kompose-package.XXXXXX")
trap 'rm -rf "$stage"' EXIT
dist=${KOMPOSE_DIST_DIR:-dist}
mkdir -p "$stage/completions" "$stage/systemd" "$stage/doc" "$dist"
dist=$(cd "$dist" && pwd)

log "building kompose $version ($short, $date) for linux/$goarch"
CGO_ENABLED=0 GOOS=linux GOARCH=$goarch go build -trimpath -buildvcs=false \
	-ldflags "-s -w -X main.version=$version -X main.commit=$commit -X main.date=$date" \
	-o "$stage/kompose" ./cmd/kompose

# The man page and the completions come from the binary's definitions: a
# binary for another architecture cannot run here, so a native one says
# them (the same source).
helper=$stage/kompose
if [[ $goarch != "$(go env GOHOSTARCH)" ]]; then
	helper=$stage/kompose-host
	go build -buildvcs=false -o "$helper" ./cmd/kompose
fi
go test -count=1 -run '^TestPageInStep$' ./pkg/manpage >/dev/null || die "docs/kompose.1 is not what the definitions give: KOMPOSE_UPDATE_DOCS=1 go test ./pkg/manpage"
gzip -9n <docs/kompose.1 >"$stage/kompose.1.gz"
"$helper" completion bash >"$stage/completions/kompose.bash"
"$helper" completion zsh >"$stage/completions/_kompose"
"$helper" completion fish >"$stage/completions/kompose.fish"
rm -f "$stage/kompose-host"

for unit in kompose-db-backup.service kompose-db-backup.timer; do
	sed 's|/usr/local/bin/kompose|/usr/bin/kompose|g' "examples/systemd/$unit" >"$stage/systemd/$unit"
done
cp README.md "$stage/doc/README.md"
cat >"$stage/doc/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: kompose
Source: https://github.com/kompose-dev/kompose

Files: *
Copyright: the kompose developers
Comment: built from commit $commit
COPYRIGHT

out=$dist/kompose_${version}_${goarch}.deb
rm -f "$out"
log "nfpm $nfpm_version: $out"
(cd "$stage" && GOARCH=$goarch KOMPOSE_DEB_VERSION=$version \
	go run "github.com/goreleaser/nfpm/v2/cmd/nfpm@$nfpm_version" package \
	--config "$OLDPWD/packaging/nfpm.yaml" --packager deb --target "$out" >&2)
[[ -s $out ]] || die "nfpm made no package"
log "done: $(du -h "$out" | cut -f1)"
printf '%s\n' "$out"
