package output

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// syncBuf is a buffer safe for the pipe's reader and the test.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Processes write to the pipe's file directly; after each one Sync has
// passed on all it wrote, its unfinished line ended.
func TestLinePipe(t *testing.T) {
	var out syncBuf
	p, err := NewLinePipe(NewPrefixWriter(&out, "blog | "))
	if err != nil {
		t.Fatal(err)
	}
	want := ""
	for _, tc := range []struct{ script, want string }{
		{"echo one; echo two", "blog | one\nblog | two\n"},
		{"printf 'no newline'", "blog | no newline\n"},
		{"printf '\\0\\033kompose-sync-'", "blog | \x00\x1bkompose-sync-\n"},
		{"true", ""},
	} {
		cmd := exec.Command("bash", "-c", tc.script)
		cmd.Stdout = p.W
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		if err := p.Sync(); err != nil {
			t.Fatal(err)
		}
		want += tc.want
		if got := out.String(); got != want {
			t.Fatalf("after %q: got %q, want %q", tc.script, trunc(got), trunc(want))
		}
	}
	// A long line comes through whole, in prefixed pieces.
	cmd := exec.Command("bash", "-c", "head -c 300000 /dev/zero | tr '\\0' x; echo")
	cmd.Stdout = p.W
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	rest := strings.TrimPrefix(out.String(), want)
	for _, line := range strings.Split(strings.TrimSuffix(rest, "\n"), "\n") {
		if !strings.HasPrefix(line, "blog | x") {
			t.Fatalf("line %q", trunc(line))
		}
	}
	if n := strings.Count(rest, "x"); n != 300000 {
		t.Errorf("%d x passed on, want 300000", n)
	}
}

func trunc(s string) string {
	if len(s) > 200 {
		return s[:100] + "..." + s[len(s)-100:]
	}
	return s
}

// A process left behind holding the pipe does not keep Close waiting for
// ever.
func TestLinePipeCloseWithProcessLeftBehind(t *testing.T) {
	var out syncBuf
	p, err := NewLinePipe(NewPrefixWriter(&out, "x | "))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-c", "echo before; (sleep 5; echo late) & ")
	cmd.Stdout = p.W
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if err := p.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "x | before\n" {
		t.Errorf("got %q", got)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("closed") }

// When kompose's own output fails, the pipe is still drained: a process
// printing more than a pipe holds does not block for ever.
func TestLinePipeDrainsWhenOutputFails(t *testing.T) {
	p, err := NewLinePipe(NewPrefixWriter(failWriter{}, "x | "))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-c", "for i in $(seq 20000); do echo line $i; done")
	cmd.Stdout = p.W
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	_ = p.Sync()
	_ = p.Close()
}
