package proc

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
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

// What a gated process writes on fd 4 reaches Cmd.Report once it has
// ended, even while a background child it left still holds fd 4 open: the
// report is a file, not a pipe that would wait for that child.
func TestGateReport(t *testing.T) {
	var report bytes.Buffer
	script := GateShell + `echo first >&4; (sleep 3 &) ; echo second >&4`
	done := make(chan error, 1)
	go func() {
		done <- OS{}.Run(context.Background(), Cmd{Argv: []string{"bash", "-c", script}, Gate: true, Report: &report})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run waited for the background child holding the report open")
	}
	if report.String() != "first\nsecond\n" {
		t.Errorf("report = %q", report.String())
	}
	// Without Report, fd 4 is not open in the process.
	var out bytes.Buffer
	if err := (OS{}).Run(context.Background(), Cmd{Argv: []string{"bash", "-c", GateShell + `[[ -e /dev/fd/4 ]] && echo open || echo closed`}, Gate: true, Stdout: &out}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "closed\n" {
		t.Errorf("fd 4 without Report: %q", out.String())
	}
}
