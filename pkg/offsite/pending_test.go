package offsite

import (
	"bytes"
	"io"
	"testing"
)

// TestNilPending: a stack without a repository has a nil Pending, and
// every use of it is a no-op (no writer to tee into, nothing committed).
func TestNilPending(t *testing.T) {
	var p *Pending
	if w := p.Writer(); w != nil {
		t.Errorf("Writer of nil Pending = %v, want nil", w)
	}
	var b bytes.Buffer
	if w := p.Tee(&b); w != io.Writer(&b) {
		t.Errorf("Tee of nil Pending is not w itself")
	}
	p.Close()
	if err := p.Commit(&b, "x.sql", "dump", func(s string) string { return s }); err != nil || b.Len() != 0 {
		t.Errorf("Commit of nil Pending: %v, wrote %q", err, b.String())
	}
}

// TestParseFrom: --from restic[:ID] and its refusals.
func TestParseFrom(t *testing.T) {
	for v, want := range map[string]string{"restic": "", "restic:latest": "", "restic:1a2B3c4d": "1a2B3c4d"} {
		if got, err := ParseFrom(v); err != nil || got != want {
			t.Errorf("ParseFrom(%q) = %q, %v; want %q", v, got, err, want)
		}
	}
	for _, v := range []string{"s3:x", "restic:../x", "restic:abc;rm", ""} {
		if _, err := ParseFrom(v); err == nil {
			t.Errorf("ParseFrom(%q) accepted", v)
		}
	}
	if HookArg("") != "restic:latest" || HookArg("ab12") != "restic:ab12" || Which("") != "the newest snapshot" {
		t.Errorf("HookArg/Which")
	}
}
