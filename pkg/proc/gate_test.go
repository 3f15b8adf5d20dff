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

// With a PathCache, a program is found on PATH once and started by its full
// path.
func TestPathCache(t *testing.T) {
	paths := &PathCache{}
	o := OS{Paths: paths}
	for i := 0; i < 2; i++ {
		var out bytes.Buffer
		// bash -c 'script' sets $0 from the next argument; read the real
		// argv[0] of the process instead.
		err := o.Run(context.Background(), Cmd{Argv: []string{"bash", "-c", `tr '\0' '\n' </proc/$$/cmdline | head -1`}, Stdout: &out})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(out.String()); !strings.HasPrefix(got, "/") || !strings.HasSuffix(got, "/bash") {
			t.Errorf("argv[0] = %q, want the full path of bash", got)
		}
	}
	if p := paths.found["bash"]; !strings.HasSuffix(p, "/bash") {
		t.Errorf("bash was not remembered: %v", paths.found)
	}
	err := o.Run(context.Background(), Cmd{Argv: []string{"kompose-no-such-program"}})
	if err == nil || !strings.Contains(err.Error(), "kompose-no-such-program") {
		t.Errorf("a missing program gave %v, want an error naming it", err)
	}
}
