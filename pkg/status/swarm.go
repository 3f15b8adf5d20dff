package status

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Degraded is the state of a Swarm stack some of whose tasks that should
// run do not (a node is down, a task is failing).
const Degraded = "degraded"

// LabelStack is the label docker stack deploy puts on a stack's services,
// networks, tasks and containers.
const LabelStack = "com.docker.stack.namespace"

// SwarmService is what a manager says of one service of a stack:
// Desired tasks that should run, Running those that do on a node that is
// up, Starting those on their way (pending, assigned, preparing,
// starting); Pending says what is not running, for people.
type SwarmService struct {
	Name                       string // <stack>_<service>
	Desired, Running, Starting int
	Pending                    []string
	// Update is the state of the service's last update (updating,
	// paused, completed, rollback_started, rollback_completed, ...).
	Update string
}

// SwarmStack is a stack as a manager runs it.
type SwarmStack struct {
	Services []SwarmService
}

// Converged reports whether every task that should run does, and what
// is pending otherwise; final is set when waiting will not help (an
// update paused or rolled back).
func (s SwarmStack) Converged() (ok bool, pending string, final bool) {
	var wait []string
	for _, sv := range s.Services {
		if sv.Update == "paused" || sv.Update == "rollback_paused" {
			return false, sv.Name + ": update " + sv.Update, true
		}
		if sv.Running < sv.Desired {
			wait = append(wait, fmt.Sprintf("%s: %d/%d running%s", sv.Name, sv.Running, sv.Desired, pendingOf(sv)))
		}
	}
	return len(wait) == 0, strings.Join(wait, ", "), false
}

func pendingOf(sv SwarmService) string {
	if len(sv.Pending) == 0 {
		return ""
	}
	return " (" + strings.Join(sv.Pending, "; ") + ")"
}

// SwarmArgs are the docker calls that read a manager, in order: its
// stacks' services (ids), their specs, their tasks that should run, and
// the nodes (a task on a node that is down does not run, whatever the
// manager last heard). ns limits them to one stack ("": every stack).
// The second and third take the ids the first returns; none runs when
// there is no service. Four calls per manager, however many stacks.
func SwarmArgs(ns string) (services, inspect, tasks, nodes []string) {
	filter := "label=" + LabelStack
	if ns != "" {
		filter += "=" + ns
	}
	return []string{"service", "ls", "--quiet", "--filter", filter},
		[]string{"service", "inspect", "--format", "{{json .}}"},
		[]string{"service", "ps", "--no-trunc", "--filter", "desired-state=running", "--format", "{{json .}}"},
		[]string{"node", "ls", "--format", "{{json .}}"}
}

// ReadSwarm reads one manager with [SwarmArgs]' calls and returns its
// stacks by name.
func ReadSwarm(ctx context.Context, docker Docker, environ []string, ns string) (map[string]*SwarmStack, error) {
	lsArgs, inspectArgs, psArgs, nodeArgs := SwarmArgs(ns)
	out, err := docker(ctx, environ, lsArgs)
	if err != nil {
		return nil, err
	}
	ids := strings.Fields(string(out))
	stacks := map[string]*SwarmStack{}
	if len(ids) == 0 {
		return stacks, nil
	}
	if out, err = docker(ctx, environ, append(inspectArgs, ids...)); err != nil {
		return nil, err
	}
	specs, err := parseServices(out)
	if err != nil {
		return nil, err
	}
	if out, err = docker(ctx, environ, append(psArgs, ids...)); err != nil {
		return nil, err
	}
	tasks, err := parseLines[swarmTask](out, "docker service ps")
	if err != nil {
		return nil, err
	}
	if out, err = docker(ctx, environ, nodeArgs); err != nil {
		return nil, err
	}
	nodes, err := parseLines[swarmNode](out, "docker node ls")
	if err != nil {
		return nil, err
	}
	return assemble(specs, tasks, nodes), nil
}

// serviceSpec is the part of docker service inspect status reads.
type serviceSpec struct {
	Spec struct {
		Name   string
		Labels map[string]string
		Mode   struct {
			Replicated *struct{ Replicas *int }
			Global     *struct{}
		}
	}
	UpdateStatus *struct{ State string }
}

type swarmTask struct {
	Name         string
	Node         string
	DesiredState string
	CurrentState string
	Error        string
}

type swarmNode struct {
	Hostname string
	Status   string
}

func parseServices(out []byte) ([]serviceSpec, error) {
	out = bytes.TrimSpace(out)
	if len(out) > 0 && out[0] == '[' {
		var all []serviceSpec
		if err := json.Unmarshal(out, &all); err != nil {
			return nil, fmt.Errorf("docker service inspect: %w", err)
		}
		return all, nil
	}
	return parseLines[serviceSpec](out, "docker service inspect")
}

// parseLines reads one JSON object per line.
func parseLines[T any](out []byte, what string) ([]T, error) {
	var all []T
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(line, &v); err != nil {
			return nil, fmt.Errorf("%s output, line %d: %w", what, n, err)
		}
		all = append(all, v)
	}
	return all, sc.Err()
}

// assemble counts, per service, the tasks that should run and those that
// do on a node that is up.
func assemble(specs []serviceSpec, tasks []swarmTask, nodes []swarmNode) map[string]*SwarmStack {
	// docker service ps names a task's node by its host name. A node
	// that left and joined again is listed twice (the old entry Down
	// until docker node rm): a host name is down when no Ready node has
	// it.
	down := map[string]bool{}
	for _, n := range nodes {
		if _, seen := down[n.Hostname]; !seen || down[n.Hostname] {
			down[n.Hostname] = !strings.EqualFold(n.Status, "ready")
		}
	}
	byName, names, global := services(specs)
	for _, t := range tasks {
		if !strings.EqualFold(t.DesiredState, "running") {
			continue
		}
		if sv := serviceOf(t.Name, names, byName); sv != nil {
			if global[sv.Name] {
				sv.Desired++
			}
			count(sv, t, down[t.Node])
		}
	}
	stacks := map[string]*SwarmStack{}
	for _, sp := range specs {
		ns := sp.Spec.Labels[LabelStack]
		if stacks[ns] == nil {
			stacks[ns] = &SwarmStack{}
		}
		stacks[ns].Services = append(stacks[ns].Services, *byName[sp.Spec.Name])
	}
	for _, s := range stacks {
		sort.Slice(s.Services, func(i, j int) bool { return s.Services[i].Name < s.Services[j].Name })
	}
	return stacks
}

// services are the services of specs by name, their names longest first
// (so that web_api's tasks are not web's), and which are global.
func services(specs []serviceSpec) (byName map[string]*SwarmService, names []string, global map[string]bool) {
	byName, global = map[string]*SwarmService{}, map[string]bool{}
	for _, sp := range specs {
		sv := &SwarmService{Name: sp.Spec.Name}
		if r := sp.Spec.Mode.Replicated; r != nil && r.Replicas != nil {
			sv.Desired = *r.Replicas
		}
		if sp.UpdateStatus != nil {
			sv.Update = sp.UpdateStatus.State
		}
		byName[sv.Name] = sv
		names = append(names, sv.Name)
		global[sv.Name] = sp.Spec.Mode.Global != nil
	}
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	return byName, names, global
}

// serviceOf is the service a task (<service>.<slot or node id>) is of.
func serviceOf(task string, names []string, byName map[string]*SwarmService) *SwarmService {
	for _, n := range names {
		if strings.HasPrefix(task, n+".") {
			return byName[n]
		}
	}
	return nil
}

// count adds task t, which should run, to sv: running, on its way, or
// pending (its node down, failed, ...).
func count(sv *SwarmService, t swarmTask, nodeDown bool) {
	state := strings.ToLower(strings.Fields(t.CurrentState + " ?")[0])
	switch {
	case nodeDown:
		sv.Pending = append(sv.Pending, t.Name+" on "+t.Node+": node down")
	case state == "running":
		sv.Running++
	case starting(state):
		sv.Starting++
		sv.Pending = append(sv.Pending, t.Name+": "+state)
	default:
		p := t.Name + ": " + state
		if t.Error != "" {
			p += " " + t.Error
		}
		sv.Pending = append(sv.Pending, p)
	}
}

// starting reports whether a task state is on the way to running.
func starting(state string) bool {
	switch state {
	case "new", "pending", "assigned", "accepted", "preparing", "ready", "starting":
		return true
	}
	return false
}

// swarmRow fills r from the stack as its manager runs it (nil: no
// service of it).
func swarmRow(r *Row, s *SwarmStack) {
	r.Deploy = "swarm"
	if s == nil || len(s.Services) == 0 {
		r.State = NotCreated
		return
	}
	for _, sv := range s.Services {
		r.Containers += sv.Desired
		r.Running += sv.Running
		r.Starting += sv.Starting
		r.Services = append(r.Services, sv)
	}
	ok, pending, _ := s.Converged()
	r.Pending = pending
	switch {
	case ok:
		r.State = Running
	case r.Running == 0:
		r.State = Stopped
	default:
		r.State = Degraded
	}
}
