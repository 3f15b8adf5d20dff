package status

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/kompose-dev/kompose/pkg/engine"
)

// fakeManager answers SwarmArgs' calls for stacks s00..s49 of two
// replicas each (web) and one global service (agent) in s00; worker2 is
// down, and one of s01's replicas is on it. It counts the calls.
type fakeManager struct {
	mu    sync.Mutex
	calls [][]string
}

func (f *fakeManager) docker(_ context.Context, _ []string, args []string) ([]byte, error) {
	f.mu.Lock()
	f.calls = append(f.calls, args)
	f.mu.Unlock()
	var b strings.Builder
	switch strings.Join(args[:2], " ") {
	case "service ls":
		for i := 0; i < 50; i++ {
			fmt.Fprintf(&b, "id%02d\n", i)
		}
		b.WriteString("idagent\n")
	case "service inspect":
		for _, id := range args[4:] {
			if id == "idagent" {
				b.WriteString(`{"Spec":{"Name":"s00_agent","Labels":{"com.docker.stack.namespace":"s00"},"Mode":{"Global":{}}}}` + "\n")
				continue
			}
			n := strings.TrimPrefix(id, "id")
			fmt.Fprintf(&b, `{"Spec":{"Name":"s%s_web","Labels":{"com.docker.stack.namespace":"s%s"},"Mode":{"Replicated":{"Replicas":2}}},"UpdateStatus":{"State":"completed"}}`+"\n", n, n)
		}
	case "service ps":
		for i := 0; i < 50; i++ {
			node := "worker1"
			if i == 1 {
				node = "worker2"
			}
			fmt.Fprintf(&b, `{"Name":"s%02d_web.1","Node":"manager","DesiredState":"Running","CurrentState":"Running 2 minutes ago"}`+"\n", i)
			fmt.Fprintf(&b, `{"Name":"s%02d_web.2","Node":"%s","DesiredState":"Running","CurrentState":"Running 2 minutes ago"}`+"\n", i, node)
		}
		for _, n := range []string{"manager", "worker1", "worker2"} {
			fmt.Fprintf(&b, `{"Name":"s00_agent.%sid","Node":"%s","DesiredState":"Running","CurrentState":"Running 1 minute ago"}`+"\n", n, n)
		}
	case "node ls":
		b.WriteString(`{"Hostname":"manager","Status":"Ready"}` + "\n" + `{"Hostname":"worker1","Status":"Ready"}` + "\n" + `{"Hostname":"worker2","Status":"Down"}` + "\n")
	default:
		return nil, fmt.Errorf("unexpected docker %v", args)
	}
	return []byte(b.String()), nil
}

// TestSwarmStatusCallsPerManager: status of 50 Swarm stacks on one
// manager costs four docker calls, not one per stack; a task on a node
// that is down does not count as running though the manager says so.
func TestSwarmStatusCallsPerManager(t *testing.T) {
	f := &fakeManager{}
	e := engine.Of(func(string) (string, bool) { return "", false })
	var targets []Target
	for i := 0; i < 50; i++ {
		targets = append(targets, Target{Name: fmt.Sprintf("s%02d", i), Project: fmt.Sprintf("s%02d", i), Engine: e, Swarm: true})
	}
	targets = append(targets, Target{Name: "gone", Project: "gone", Engine: e, Swarm: true})
	rows := Collect(context.Background(), f.docker, targets)
	if len(f.calls) != 4 {
		t.Fatalf("%d docker calls for 51 Swarm stacks on one manager, want 4: %v", len(f.calls), f.calls)
	}
	if r := rows[2]; r.State != Running || r.Running != 2 || r.Containers != 2 || !r.OK() {
		t.Errorf("s02: %+v", r)
	}
	if r := rows[1]; r.State != Degraded || r.Running != 1 || r.Containers != 2 || r.OK() || !strings.Contains(r.Pending, "worker2: node down") {
		t.Errorf("s01 (a replica on the node that is down): %+v", r)
	}
	if r := rows[0]; r.State != Degraded || r.Running != 4 || r.Containers != 5 {
		t.Errorf("s00 (a global task on the node that is down): %+v", r)
	}
	if r := rows[50]; r.State != NotCreated {
		t.Errorf("a stack with no service: %+v", r)
	}
}

// TestSwarmConverged: a paused update is final, a missing task is not.
func TestSwarmConverged(t *testing.T) {
	ok, p, final := SwarmStack{Services: []SwarmService{{Name: "a_web", Desired: 3, Running: 2, Pending: []string{"a_web.3: preparing"}}}}.Converged()
	if ok || final || p != "a_web: 2/3 running (a_web.3: preparing)" {
		t.Errorf("got %v %q %v", ok, p, final)
	}
	if ok, _, final := (SwarmStack{Services: []SwarmService{{Name: "a_web", Desired: 1, Update: "paused"}}}).Converged(); ok || !final {
		t.Errorf("a paused update: %v %v", ok, final)
	}
}

// TestSwarmRejoinedNodeSameHostname: a worker that left and joined again
// is listed twice by docker node ls until someone runs docker node rm:
// the old entry Down, the new one Ready, both with its host name. Its
// running tasks run; the stack is not degraded for ever.
func TestSwarmRejoinedNodeSameHostname(t *testing.T) {
	specs, err := parseServices([]byte(`{"Spec":{"Name":"app_web","Labels":{"com.docker.stack.namespace":"app"},"Mode":{"Replicated":{"Replicas":2}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	tasks := []swarmTask{
		{Name: "app_web.1", Node: "manager", DesiredState: "Running", CurrentState: "Running 1 minute ago"},
		{Name: "app_web.2", Node: "worker1", DesiredState: "Running", CurrentState: "Running 1 minute ago"},
	}
	nodes := []swarmNode{{"manager", "Ready"}, {"worker1", "Down"}, {"worker1", "Ready"}}
	st := assemble(specs, tasks, nodes)["app"]
	if ok, pending, _ := st.Converged(); !ok {
		t.Fatalf("a rejoined worker's running task counted as down: %s", pending)
	}
	// A host name only Down nodes have is down.
	st = assemble(specs, tasks, []swarmNode{{"manager", "Ready"}, {"worker1", "Down"}})["app"]
	if ok, _, _ := st.Converged(); ok {
		t.Fatal("a task on a node that is down counted as running")
	}
}
