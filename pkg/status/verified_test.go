package status

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/output"
)

// TestTableShowsLastDrill: the LAST DUMP cell says when a restore drill
// (db:verify) last passed, and says nothing when none has.
func TestTableShowsLastDrill(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	rows := []Row{
		{Stack: "blog", State: Running, DB: true, Dump: &Dump{Time: now.Add(-7 * time.Hour), Size: 10, Verified: now.Add(-3 * time.Hour)}},
		{Stack: "news", State: Running, DB: true, Dump: &Dump{Time: now.Add(-7 * time.Hour), Size: 10}},
	}
	var b bytes.Buffer
	age := func(d time.Duration) string { return d.String() }
	size := func(n int64) string { return "10 B" }
	if err := Table(&b, output.Style{}, rows, now, size, age); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if !strings.Contains(lines[1], "7h0m0s ago, 10 B, verified 3h0m0s ago") || strings.Contains(lines[2], "verified") {
		t.Errorf("table:\n%s", b.String())
	}
}
