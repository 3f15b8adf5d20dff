// Package buildinfo says which kompose this is: its version, the commit it
// was built from and when, stamped by the package script with -ldflags -X
// (scripts/package.sh) or, when not stamped, read from what the Go
// toolchain recorded in the binary (debug.ReadBuildInfo: the module version
// of "go install ...@v1.2.3", vcs.revision and vcs.time of a build in a
// git checkout). It also finds the versions of the programs kompose drives
// (docker, compose, bash) for bug reports: see [Probe].
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Stamp is what the build stamped into package main with -ldflags -X;
// empty fields were not stamped.
type Stamp struct {
	Version string
	Commit  string
	Date    string
}

// Info is the build of this binary.
type Info struct {
	Version string // "1.2.3", "v1.2.3" (go install), or "devel"
	Commit  string // the full commit hash, "" when unknown
	Date    string // the commit's or the build's time (RFC 3339), "" when unknown
	// Modified: built from a work tree with uncommitted changes.
	Modified bool
	Go       string // runtime.Version()
	OS, Arch string
}

// Unknown stands for a version, commit or date nobody recorded.
const Unknown = "unknown"

// Read returns the build of this binary: the stamp's fields where set,
// else the toolchain's build information.
func Read(s Stamp) Info {
	bi, _ := debug.ReadBuildInfo()
	return FromBuildInfo(s, bi)
}

// FromBuildInfo is [Read] with the build information given (nil: none).
func FromBuildInfo(s Stamp, bi *debug.BuildInfo) Info {
	in := Info{Version: s.Version, Commit: s.Commit, Date: s.Date, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if bi == nil {
		if in.Version == "" {
			in.Version = "devel"
		}
		return in
	}
	var rev, vcsTime string
	for _, kv := range bi.Settings {
		switch kv.Key {
		case "vcs.revision":
			rev = kv.Value
		case "vcs.time":
			vcsTime = kv.Value
		case "vcs.modified":
			in.Modified = s.Commit == "" && kv.Value == "true"
		}
	}
	if in.Version == "" {
		in.Version = moduleVersion(bi.Main.Version)
	}
	if in.Commit == "" {
		in.Commit = rev
	}
	if in.Commit == "" && in.Version != "devel" {
		// go install module@v1.2.3 records no VCS data; a pseudo-version
		// (v0.0.0-20261206070000-abcdef123456) holds the commit.
		in.Commit = pseudoCommit(bi.Main.Version)
	}
	if in.Date == "" {
		in.Date = vcsTime
	}
	return in
}

// moduleVersion is the module's version as the toolchain recorded it;
// "devel" for a build inside the module's own checkout.
func moduleVersion(v string) string {
	if v == "" || v == "(devel)" {
		return "devel"
	}
	return v
}

// pseudoCommit returns the commit prefix of a Go pseudo-version, or "".
func pseudoCommit(v string) string {
	v = strings.TrimSuffix(v, "+dirty")
	i := strings.LastIndex(v, "-")
	if i < 0 || len(v)-i-1 != 12 {
		return ""
	}
	return v[i+1:]
}

// Short is the commit shortened to 12 characters, or "unknown".
func (in Info) Short() string {
	c := in.Commit
	if c == "" {
		return Unknown
	}
	if len(c) > 12 {
		c = c[:12]
	}
	if in.Modified {
		c += "-dirty"
	}
	return c
}

// String is the line --version prints:
//
//	kompose version 1.2.3 (commit 0123456789ab, built 2026-12-06T07:00:00Z, go1.26.8 linux/amd64)
func (in Info) String() string {
	date := in.Date
	if date == "" {
		date = Unknown
	}
	return fmt.Sprintf("kompose version %s (commit %s, built %s, %s %s/%s)", in.Version, in.Short(), date, in.Go, in.OS, in.Arch)
}
