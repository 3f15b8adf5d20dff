package status

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/pkg/engine"
)

const ps = `{"project":"web","service":"app","oneoff":"","name":"web-app-1","state":"running","status":"Up 2 hours (healthy)"}
{"project":"web","service":"app","oneoff":"True","name":"web-app-run-1","state":"exited","status":"Exited (0)"}
{"project":"web","service":"db","oneoff":"","name":"web-db-1","state":"restarting","status":"Restarting (1) 2 seconds ago"}

{"project":"old","service":"app","oneoff":"","name":"old-app-1","state":"exited","status":"Exited (0) 3 days ago"}
`

func TestCollect(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]int{}
	docker := func(_ context.Context, environ []string, args []string) ([]byte, error) {
		mu.Lock()
		calls[strings.Join(environ, " ")]++
		mu.Unlock()
		if args[0] != "ps" {
			t.Errorf("docker %v", args)
		}
		if len(environ) > 0 && environ[0] == "DOCKER_HOST=tcp://down:2375" {
			return nil, errors.New("cannot connect")
		}
		return []byte(ps), nil
	}
	down := engine.Engine{Host: "tcp://down:2375"}
	targets := []Target{
		{Name: "web", Project: "web"},
		{Name: "old", Project: "old", Dumps: func() (*Dump, error) { return nil, nil }},
		{Name: "new", Project: "new"},
		{Name: "far", Project: "web", Engine: down, Environ: []string{"DOCKER_HOST=tcp://down:2375"}},
		{Name: "far2", Project: "old", Engine: down, Environ: []string{"DOCKER_HOST=tcp://down:2375"}},
	}
	rows := Collect(context.Background(), docker, targets)
	if len(calls) != 2 || calls[""] != 1 || calls["DOCKER_HOST=tcp://down:2375"] != 1 {
		t.Errorf("docker calls: %v, want one per engine", calls)
	}
	want := []string{
		"web partial 1/2 h1 ok=false",
		"old stopped 0/1 h0 ok=false",
		"new not created 0/0 h0 ok=false",
		"far unknown 0/0 h0 ok=false",
		"far2 unknown 0/0 h0 ok=false",
	}
	for i, r := range rows {
		got := fmt.Sprintf("%s %s %d/%d h%d ok=%v", r.Stack, r.State, r.Running, r.Containers, r.Healthy, r.OK())
		if got != want[i] {
			t.Errorf("row %d: %q, want %q", i, got, want[i])
		}
	}
	if rows[3].Err == nil || !strings.Contains(rows[3].Err.Error(), "engine tcp://down:2375: cannot connect") {
		t.Errorf("far: %v", rows[3].Err)
	}
	if !rows[1].DB || rows[0].DB {
		t.Error("DB set for the wrong stacks")
	}
}

func TestHealth(t *testing.T) {
	for status, want := range map[string]string{
		"Up 2 hours (healthy)":             "healthy",
		"Up 2 hours (unhealthy)":           "unhealthy",
		"Up 3 seconds (health: starting)":  "starting",
		"Up 2 hours":                       "",
		"Exited (0) 3 days ago":            "",
		"Up 1 second (unhealthy) (paused)": "unhealthy",
	} {
		if got := (Container{Status: status}).Health(); got != want {
			t.Errorf("%q: %q, want %q", status, got, want)
		}
	}
}

func TestParsePsError(t *testing.T) {
	_, err := ParsePs([]byte("{\"project\":\"a\"}\nnot json\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("error %v, want one naming line 2", err)
	}
}

// The UPDATES cell: what the last update check found and when.
func TestUpdatesCell(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	age := func(d time.Duration) string { return d.String() }
	for want, r := range map[string]Row{
		"-":                                   {},
		"error (see stderr)":                  {UpdatesErr: errors.New("bad")},
		"up to date (2h0m0s ago)":             {Updates: &Updates{Time: now.Add(-2 * time.Hour), Services: 2}},
		"2 available (1h0m0s ago)":            {Updates: &Updates{Time: now.Add(-time.Hour), Available: 2, Services: 3}},
		"1 available, 1 not checked (0s ago)": {Updates: &Updates{Time: now, Available: 1, Failed: 1, Services: 3}},
	} {
		if got := updates(r, now, age); got != want {
			t.Errorf("updates(%+v) = %q, want %q", r, got, want)
		}
	}
}
