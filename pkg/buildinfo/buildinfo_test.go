package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestStampWins(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Version: "v9.9.9"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "ffffffffffffffffffffffffffffffffffffffff"}, {Key: "vcs.time", Value: "2020-01-01T00:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	in := FromBuildInfo(Stamp{Version: "1.2.3", Commit: "0123456789abcdef0123", Date: "2026-12-06T07:00:00Z"}, bi)
	if in.Version != "1.2.3" || in.Commit != "0123456789abcdef0123" || in.Date != "2026-12-06T07:00:00Z" || in.Modified {
		t.Errorf("stamped build: %+v", in)
	}
	if s := in.String(); !strings.HasPrefix(s, "kompose version 1.2.3 (commit 0123456789ab, built 2026-12-06T07:00:00Z, go") {
		t.Errorf("String() = %q", s)
	}
}

func TestFallbacks(t *testing.T) {
	for _, tt := range []struct {
		name                  string
		bi                    *debug.BuildInfo
		version, commit, date string
		short                 string
	}{
		{"no build info", nil, "devel", "", "", "unknown"},
		{"git checkout", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abcdefabcdefabcdefabcdefabcdefabcdefabcd"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}},
			"devel", "abcdefabcdefabcdefabcdefabcdefabcdefabcd", "2026-12-01T10:00:00Z", "abcdefabcdef-dirty"},
		{"go install @v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3", "", "", "unknown"},
		{"go install @commit", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261206070000-0123456789ab"}},
			"v0.0.0-20261206070000-0123456789ab", "0123456789ab", "", "0123456789ab"},
	} {
		in := FromBuildInfo(Stamp{}, tt.bi)
		if in.Version != tt.version || in.Commit != tt.commit || in.Date != tt.date || in.Short() != tt.short {
			t.Errorf("%s: %+v (short %q)", tt.name, in, in.Short())
		}
		if s := in.String(); !strings.Contains(s, "commit "+tt.short) || (tt.date == "" && !strings.Contains(s, "built unknown")) {
			t.Errorf("%s: %q", tt.name, s)
		}
	}
}
