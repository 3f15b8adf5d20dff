package report

import (
	"strings"
	"testing"
)

// TestArgvMasker: a report of a run that failed before its plan masks the
// secrets of the process environment and of every spelling of -e.
func TestArgvMasker(t *testing.T) {
	m := ArgvMasker([]string{"API_TOKEN=proc-tok-1"}, []string{"kompose", "-e", "DB_PASSWORD=pw-2", "--env=X_SECRET=sec-3",
		"-eY_TOKEN=tok-4", "-e=Z_PASSWORD=pw-5", "--env", "PLAIN=visible", "bogus", "up"})
	got := m.String("proc-tok-1 pw-2 sec-3 tok-4 pw-5 visible")
	for _, s := range []string{"proc-tok-1", "pw-2", "sec-3", "tok-4", "pw-5"} {
		if strings.Contains(got, s) {
			t.Errorf("%q not masked: %q", s, got)
		}
	}
	if !strings.Contains(got, "visible") {
		t.Errorf("a value that is no secret was masked: %q", got)
	}
}
