package compose

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
)

// TestNormalizeProjectName: the fast path gives what compose-go gives.
func TestNormalizeProjectName(t *testing.T) {
	for _, s := range []string{"", "blog", "stack001", "my-app_2", "My.App", "_x", "-x", "x_", "x-", "émile", "a b", "UPPER", "0", "__", "a/b", "tab\tx"} {
		if got, want := NormalizeProjectName(s), loader.NormalizeProjectName(s); got != want {
			t.Errorf("NormalizeProjectName(%q) = %q, compose-go says %q", s, got, want)
		}
	}
}

func BenchmarkNormalizeProjectName(b *testing.B) {
	for i := 0; i < b.N; i++ {
		NormalizeProjectName("stack001")
	}
}
