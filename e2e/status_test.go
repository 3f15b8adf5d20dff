//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// statusDoc is the part of `status --json` the test reads.
type statusDoc struct {
	Schema string `json:"schema"`
	OK     bool   `json:"ok"`
	Stacks []struct {
		Name       string `json:"name"`
		Project    string `json:"project"`
		State      string `json:"state"`
		Running    int    `json:"running"`
		Containers int    `json:"containers"`
		Healthy    int    `json:"healthy"`
		Unhealthy  int    `json:"unhealthy"`
		Starting   int    `json:"starting"`
		OK         bool   `json:"ok"`
	} `json:"stacks"`
}

// TestStatus: status against the real engine: running and healthy,
// partial, stopped, unhealthy, never created, and a stack whose project
// is named by COMPOSE_PROJECT_NAME in its .env; exit 0 only when all the
// selected stacks run and are healthy.
func TestStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	healthy := "    healthcheck: {test: [\"CMD\", \"true\"], interval: 1s, timeout: 2s, retries: 1, start_period: 0s}\n"
	sick := "    healthcheck: {test: [\"CMD\", \"false\"], interval: 1s, timeout: 2s, retries: 1, start_period: 0s}\n"
	e.write("good/compose.yaml", "name: {{project}}\nservices:\n"+idleService("app", "hi", healthy)+idleService("worker", "hi", ""))
	e.write("part/compose.yaml", "name: {{project}}\nservices:\n"+idleService("app", "hi", "")+idleService("worker", "hi", ""))
	e.simpleStack("stopped")
	e.write("sick/compose.yaml", "name: {{project}}\nservices:\n"+idleService("app", "hi", sick))
	e.simpleStack("never")
	// no name: in the file; the .env names the project
	e.write("named/compose.yaml", "services:\n"+idleService("app", "hi", ""))
	e.write("named/.env", "COMPOSE_PROJECT_NAME={{project}}-custom\n")

	e.mustExit(e.kompose("good,part,stopped,sick,named", "up", "-d"), 0)
	e.mustExit(e.kompose("part", "stop", "worker"), 0)
	e.mustExit(e.kompose("stopped", "stop"), 0)

	var doc statusDoc
	var last result
	e.eventually(60*time.Second, func() (bool, string) {
		last = e.kompose("*", "status", "--json")
		doc = statusDoc{}
		if err := json.Unmarshal([]byte(last.stdout), &doc); err != nil {
			return false, fmt.Sprintf("%v\n%s", err, last)
		}
		got := map[string]string{}
		for _, s := range doc.Stacks {
			got[s.Name] = fmt.Sprintf("%s %d/%d h%d u%d s%d", s.State, s.Running, s.Containers, s.Healthy, s.Unhealthy, s.Starting)
		}
		want := map[string]string{
			"good":    "running 2/2 h1 u0 s0",
			"part":    "partial 1/2 h0 u0 s0",
			"stopped": "stopped 0/1 h0 u0 s0",
			"sick":    "running 1/1 h0 u1 s0",
			"never":   "not created 0/0 h0 u0 s0",
			"named":   "running 1/1 h0 u0 s0",
		}
		for k, v := range want {
			if got[k] != v {
				return false, fmt.Sprintf("%s: got %q, want %q\n%s", k, got[k], v, last)
			}
		}
		return true, ""
	})
	if last.code != 1 || doc.OK || doc.Schema != "kompose/v1" {
		t.Errorf("status of a fleet with problems: %s", last)
	}
	for _, s := range doc.Stacks {
		if s.Name == "named" && s.Project != e.project("named")+"-custom" {
			t.Errorf("named: project %q, want the one COMPOSE_PROJECT_NAME gives", s.Project)
		}
	}

	// the table, and exit 0 when every selected stack is up and healthy
	r := e.kompose("good,named", "status")
	e.mustExit(r, 0)
	if !strings.Contains(r.stdout, "running 2/2") || !strings.Contains(r.stdout, "1 healthy") {
		t.Errorf("table:\n%s", r)
	}
	r = e.kompose("*", "status")
	e.mustExit(r, 1)
	for _, w := range []string{"partial 1/2", "stopped 0/1", "1 unhealthy", "not created"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("table lacks %q:\n%s", w, r)
		}
	}
}
