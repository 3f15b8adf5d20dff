package proc

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The start message carries any value to a real bash verbatim: quotes,
// newlines, $ and backquotes are data, never code.
func TestGateMessageReachesBashVerbatim(t *testing.T) {
	values := []string{"plain", "it's", `"$HOME" $(echo x) ` + "`id`", "two\nlines", "", "ends with '"}
	var env []string
	for i, v := range values {
		env = append(env, "V"+string(rune('0'+i))+"="+v)
	}
	script := GateShell + `for v in V0 V1 V2 V3 V4 V5; do printf '%s\0' "${!v}"; done`
	var out bytes.Buffer
	st, err := OS{}.Start(context.Background(), Cmd{Argv: []string{"bash", "-c", script}, Gate: true, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Release(env); err != nil {
		t.Fatal(err)
	}
	if err := st.Wait(); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\x00"), "\x00")
	if len(got) != len(values) {
		t.Fatalf("got %d values %q, want %d", len(got), got, len(values))
	}
	for i := range values {
		if got[i] != values[i] {
			t.Errorf("V%d = %q, want %q", i, got[i], values[i])
		}
	}
}

func TestGateMessageRefusesBadEntries(t *testing.T) {
	for _, kv := range []string{"NOEQUALS", "1X=a", "A B=c", "=v", "K=nul\x00byte"} {
		if _, err := gateMessage([]string{kv}); err == nil {
			t.Errorf("gateMessage(%q) succeeded, want an error", kv)
		}
	}
}
