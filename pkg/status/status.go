// Package status tells, for many stacks at once, whether their compose
// projects are up: how many containers run, how many are healthy,
// unhealthy or starting, which engine each stack targets, and when its
// database (and which database engine) was last dumped.
//
// It reads each engine through the docker CLI, with one `docker ps` per
// distinct engine however many stacks target it, and matches containers to
// stacks by the com.docker.compose.project label: the project name compose
// would use for the stack (compose.ProjectName). One-off containers
// (`docker compose run`) do not count. No compose command runs.
package status

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kompose-dev/kompose/pkg/engine"
)

// The states of a stack.
const (
	Running    = "running"     // every container of the project runs
	Partial    = "partial"     // some run, some do not
	Stopped    = "stopped"     // containers exist, none runs
	NotCreated = "not created" // the engine has no container of the project
	Unknown    = "unknown"     // the engine could not be read
)

// Target is one stack to look at.
type Target struct {
	Name    string
	Project string // the compose project name
	Engine  engine.Engine
	// Environ is the stack's environment; docker runs with the
	// environment of the first stack of each engine.
	Environ []string
	// Dumps, when set, finds the newest dump of the stack's database.
	Dumps func() (*Dump, error)
	// DBEngine is the database's engine when the stack's environment
	// says it (DB_ENGINE); else the newest dump's Engine is used.
	DBEngine string
	// Archives, when set, finds the newest archive of each of the stack's
	// volumes (pkg/vol), by volume name.
	Archives func() ([]Archive, error)
	// Updates, when set, reads the stack's last update check (nil when
	// there has been none).
	Updates func() (*Updates, error)
	// Swarm is set for a stack deployed on Docker Swarm: its engine is a
	// manager, read with [SwarmArgs]' calls, and Project is the stack's
	// name there.
	Swarm bool
}

// Updates is what the stack's last update --check found.
type Updates struct {
	Time time.Time
	// Available services have a newer image; Failed could not be
	// checked; Services were looked at.
	Available, Failed, Services int
}

// files is t's row with what its files say (dumps, archives, the last
// update check), read while the engines answer.
func (t Target) files() Row {
	r := Row{Stack: t.Name, Project: t.Project, Engine: t.Engine.Name(), DB: t.Dumps != nil}
	r.Archives, r.ArchiveErr = t.newestArchives()
	if t.Dumps != nil {
		r.Dump, r.DumpErr = t.Dumps()
		r.DBEngine = t.dbEngine(r.Dump)
	}
	if t.Updates != nil {
		r.Updates, r.UpdatesErr = t.Updates()
	}
	return r
}

// newestArchives asks t.Archives, when set.
func (t Target) newestArchives() ([]Archive, error) {
	if t.Archives == nil {
		return nil, nil
	}
	return t.Archives()
}

// dbEngine is the database's engine: t.DBEngine, else the newest dump's.
func (t Target) dbEngine(newest *Dump) string {
	if t.DBEngine == "" && newest != nil {
		return newest.Engine
	}
	return t.DBEngine
}

// Archive is the newest archive of one volume of a stack.
type Archive struct {
	Volume string
	File   string
	Time   time.Time
	Size   int64
	// Verified is when an archive of the volume last passed vol:verify
	// (zero: never).
	Verified time.Time
}

// Dump is the newest dump of a stack's database.
type Dump struct {
	File string
	Time time.Time
	Size int64
	// Verified is when a dump of the database last passed db:verify
	// (zero: never, or no record).
	Verified time.Time
	// Engine is the database engine that wrote the dump (postgres,
	// mariadb, mysql), read from its header; "" when it says none.
	Engine string
}

// Row is the status of one stack.
type Row struct {
	Stack   string
	Project string
	Engine  string // engine.Engine.Name()
	State   string
	// Running of Containers containers run.
	Running, Containers int
	// Health counts over the running containers with a health check.
	Healthy, Unhealthy, Starting int
	// Err is why the engine could not be read (State is Unknown).
	Err error
	// DB is set for stacks with a database; Dump is its newest dump, nil
	// when there is none, and DumpErr why the dumps could not be listed.
	DB      bool
	Dump    *Dump
	DumpErr error
	// Updates is the last update check (nil: none), UpdatesErr why it
	// could not be read.
	Updates    *Updates
	UpdatesErr error
	// DBEngine is the database's engine: Target.DBEngine, else the
	// newest dump's; "" when neither says.
	DBEngine string
	// Archives are the newest archive of each volume with one (none:
	// empty), ArchiveErr why they could not be listed.
	Archives   []Archive
	ArchiveErr error
	// Deploy is "swarm" for a Swarm stack ("" for compose): then
	// Containers counts the tasks that should run, Running those that do
	// on a node that is up, Services each service's, and Pending says
	// what does not run.
	Deploy   string
	Services []SwarmService
	Pending  string
}

// OK reports whether the stack is running with no container unhealthy or
// still starting.
func (r Row) OK() bool {
	return r.State == Running && r.Unhealthy == 0 && r.Starting == 0 && r.Err == nil
}

// Docker runs one docker command (args after "docker") with environ and
// returns its standard output.
type Docker func(ctx context.Context, environ []string, args []string) ([]byte, error)

// Label names the compose labels status reads.
const (
	LabelProject = "com.docker.compose.project"
	LabelService = "com.docker.compose.service"
	LabelOneoff  = "com.docker.compose.oneoff"
)

// PsArgs are the arguments of the one docker command run per engine: every
// container of any compose project, stopped ones too, one JSON object per
// line with only the fields status reads (labels are read one by one, as a
// label value may hold a comma).
var PsArgs = []string{
	"ps", "--all", "--no-trunc",
	"--filter", "label=" + LabelProject,
	"--format", `{"project":{{json (.Label "` + LabelProject + `")}},"service":{{json (.Label "` + LabelService + `")}},"oneoff":{{json (.Label "` + LabelOneoff + `")}},"name":{{json .Names}},"state":{{json .State}},"status":{{json .Status}}}`,
}

// Container is one line of [PsArgs]' output.
type Container struct {
	Project string `json:"project"`
	Service string `json:"service"`
	Oneoff  string `json:"oneoff"`
	Name    string `json:"name"`
	State   string `json:"state"`
	Status  string `json:"status"`
}

// Health returns the container's health as docker ps shows it in Status:
// "healthy", "unhealthy", "starting" or "" (no health check).
func (c Container) Health() string {
	switch {
	case strings.Contains(c.Status, "(unhealthy)"):
		return "unhealthy"
	case strings.Contains(c.Status, "(healthy)"):
		return "healthy"
	case strings.Contains(c.Status, "(health: starting)"):
		return "starting"
	}
	return ""
}

// ParsePs parses the output of docker with [PsArgs].
func ParsePs(out []byte) ([]Container, error) {
	var cs []Container
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var c Container
		if err := json.Unmarshal(line, &c); err != nil {
			return nil, fmt.Errorf("docker ps output, line %d: %w", n, err)
		}
		cs = append(cs, c)
	}
	return cs, sc.Err()
}

// groupKey is the engine group of t: compose stacks and Swarm stacks of
// one engine are read apart.
func groupKey(t Target) string {
	if t.Swarm {
		return "swarm\x00" + t.Engine.Key()
	}
	return t.Engine.Key()
}

// Collect returns the status of every target, in order. It runs docker
// once per distinct engine (engine.Key) of compose stacks and
// [SwarmArgs]' four calls per manager of Swarm stacks, the engines at
// once, and lists the dumps of the stacks with a database meanwhile. An
// engine that cannot be read makes its stacks Unknown, not the others.
func Collect(ctx context.Context, docker Docker, targets []Target) []Row {
	type group struct {
		environ []string
		swarm   bool
		cs      []Container
		stacks  map[string]*SwarmStack
		err     error
	}
	groups := map[string]*group{}
	var order []string
	for _, t := range targets {
		k := groupKey(t)
		if groups[k] == nil {
			groups[k] = &group{environ: t.Environ, swarm: t.Swarm}
			order = append(order, k)
		}
	}
	rows := make([]Row, len(targets))
	var wg sync.WaitGroup
	for _, k := range order {
		g := groups[k]
		wg.Add(1)
		go func() {
			defer wg.Done()
			if g.swarm {
				g.stacks, g.err = ReadSwarm(ctx, docker, g.environ, "")
				return
			}
			out, err := docker(ctx, g.environ, PsArgs)
			if err == nil {
				g.cs, err = ParsePs(out)
			}
			g.err = err
		}()
	}
	for i, t := range targets {
		rows[i] = t.files()
	}
	wg.Wait()
	byProject := map[string]map[string][]Container{}
	for k, g := range groups {
		m := map[string][]Container{}
		for _, c := range g.cs {
			if strings.EqualFold(c.Oneoff, "true") {
				continue
			}
			m[c.Project] = append(m[c.Project], c)
		}
		byProject[k] = m
	}
	for i, t := range targets {
		r := &rows[i]
		g := groups[groupKey(t)]
		if g.err != nil {
			r.State, r.Err = Unknown, fmt.Errorf("engine %s: %w", r.Engine, g.err)
			continue
		}
		if g.swarm {
			swarmRow(r, g.stacks[t.Project])
			continue
		}
		composeRow(r, byProject[groupKey(t)][t.Project])
	}
	return rows
}

// composeRow fills r from its compose project's containers.
func composeRow(r *Row, cs []Container) {
	r.Containers = len(cs)
	for _, c := range cs {
		if c.State != "running" {
			continue
		}
		r.Running++
		switch c.Health() {
		case "healthy":
			r.Healthy++
		case "unhealthy":
			r.Unhealthy++
		case "starting":
			r.Starting++
		}
	}
	switch {
	case r.Containers == 0:
		r.State = NotCreated
	case r.Running == r.Containers:
		r.State = Running
	case r.Running == 0:
		r.State = Stopped
	default:
		r.State = Partial
	}
}
