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
