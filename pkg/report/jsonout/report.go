package jsonout

import (
	"os"
	"strings"
	"sync"
	"time"

	"github.com/kompose-dev/kompose/pkg/engine"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/run"
)

// Run is the document of a dry run's plan (kind "plan", --json) and of a
// run's report (kind "report", --report FILE).
type Run struct {
	Header
	Version     string   `json:"version"`
	CommandLine []string `json:"command_line"`
	Root        string   `json:"root"`
	Command     string   `json:"command"`
	Args        []string `json:"args"`
	DryRun      bool     `json:"dry_run"`
	// Env are the variables every stack gets from the root .env,
	// --network and -e.
	Env             []Var      `json:"env"`
	Started         string     `json:"started,omitempty"`
	Ended           string     `json:"ended,omitempty"`
	DurationSeconds *float64   `json:"duration_seconds,omitempty"`
	ExitCode        *int       `json:"exit_code,omitempty"`
	Interrupted     bool       `json:"interrupted"`
	Succeeded       int        `json:"succeeded"`
	Failed          int        `json:"failed"`
	Skipped         int        `json:"skipped"`
	Error           *string    `json:"error,omitempty"`
	Stacks          []RunStack `json:"stacks"`
}

// RunStack is one stack of a plan or a report.
type RunStack struct {
	Name string `json:"name"`
	Dir  string `json:"dir"`
	// Engine names the Docker Engine the stack targets (engine.Engine.Name:
	// "default", a context, or a DOCKER_HOST without its password).
	Engine string `json:"engine"`
	// Env are the variables of the stack's own .env.
	Env []Var `json:"env"`
	// Status is "planned" in a dry run; else "succeeded", "failed",
	// "interrupted", "skipped" or "not run".
	Status          string   `json:"status"`
	Error           *string  `json:"error"`
	Skip            string   `json:"skip,omitempty"`
	Started         string   `json:"started,omitempty"`
	DurationSeconds *float64 `json:"duration_seconds,omitempty"`
	Steps           []Step   `json:"steps"`
	// Dumps are the dump files a db:export wrote.
	Dumps []DumpInfo `json:"dumps,omitempty"`
	// Archives are the volume archives a vol:export or backup wrote.
	Archives []WrittenArchive `json:"archives,omitempty"`
	// Updates are what update --check found, per service.
	Updates []UpdateCheck `json:"updates,omitempty"`
	// Database is the database a db:* command worked on; absent for
	// other commands.
	Database *RunDatabase `json:"database,omitempty"`
}

// UpdateCheck is what update --check found for one service
// (plan.ImageCheck), masked.
type UpdateCheck struct {
	Service string `json:"service"`
	Image   string `json:"image"`
	// State is "up to date", "update available", "not pulled",
	// "unknown", "pinned by digest", "update too new" or "check failed".
	State string `json:"state"`
	// Local is the digest of the image the service runs, Remote the
	// registry's ("" when not known).
	Local  string `json:"local_digest,omitempty"`
	Remote string `json:"remote_digest,omitempty"`
	Why    string `json:"why,omitempty"`
}

// updateChecks are what an image check found, masked with m.
func updateChecks(ic plan.ImageChecker, m *env.Masker) []UpdateCheck {
	ms := func(v string) string {
		if m == nil {
			return v
		}
		return m.String(v)
	}
	var out []UpdateCheck
	for _, c := range ic.ImageChecks() {
		out = append(out, UpdateCheck{Service: c.Service, Image: ms(c.Image), State: c.State, Local: c.Local, Remote: c.Remote, Why: ms(c.Why)})
	}
	return out
}

// RunDatabase is the database of a db:* command in a plan or a report.
type RunDatabase struct {
	Name string `json:"name"`
	// Engine is postgres, mariadb or mysql.
	Engine string `json:"engine"`
	// NotTransactional are the tables without transactions (MyISAM,
	// Aria, ...) a MariaDB/MySQL db:export found, "ENGINE: table", which
	// the dump cannot hold consistently; absent when there are none or
	// they were not looked for (PostgreSQL, another command, a dry run).
	NotTransactional []string `json:"not_transactional,omitempty"`
}

// runDatabase is the database of st's action, nil when it names none.
func runDatabase(s *plan.Stack, st *plan.Step) *RunDatabase {
	d, ok := st.Action.(plan.DBReporter)
	if !ok || st.Kind != plan.KindCommand {
		return nil
	}
	r := d.DBResult()
	if r.Engine == "" {
		return nil // a backup of volumes only
	}
	out := &RunDatabase{Name: s.Masker.String(r.Name), Engine: r.Engine}
	for _, t := range r.NotTransactional {
		out.NotTransactional = append(out.NotTransactional, s.Masker.String(t))
	}
	return out
}

// WrittenArchive is a volume archive a run wrote.
type WrittenArchive struct {
	Volume  string  `json:"volume"`
	File    string  `json:"file"`
	Time    string  `json:"time"`
	Size    int64   `json:"size"`
	Seconds float64 `json:"seconds"`
}

// StatusName names a stack's outcome in documents.
func StatusName(s run.Status) string {
	switch s {
	case run.Succeeded:
		return "succeeded"
	case run.Failed:
		return "failed"
	case run.Interrupted:
		return "interrupted"
	case run.Skipped:
		return "skipped"
	}
	return "not run"
}

// Collector is a [run.Reporter] that builds the [Run] document of a plan
// as it runs (or is walked for a dry run). Doc returns it, complete once
// End was called. Safe for concurrent use.
type Collector struct {
	mu      sync.Mutex
	doc     Run
	stacks  map[*plan.Stack]int
	now     func() time.Time
	started time.Time
	plan    *plan.Plan
	done    bool
}

// NewCollector returns a collector; version and argv (the command line,
// masked when Begin sees the plan) go into the document.
func NewCollector(version string, argv []string, now func() time.Time) *Collector {
	c := &Collector{now: now, stacks: map[*plan.Stack]int{}}
	c.started = now()
	c.doc = Run{Header: NewHeader(KindReport), Version: version, CommandLine: append([]string{}, argv...), Args: []string{}, Env: []Var{}, Stacks: []RunStack{}, Started: Time(c.started)}
	return c
}

// Begin implements [run.Reporter].
func (c *Collector) Begin(p *plan.Plan, dryRun bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.plan = p
	d := &c.doc
	if dryRun {
		d.Kind = KindPlan
		d.Started = ""
	}
	d.DryRun, d.Root, d.Command = dryRun, p.Root, p.Command
	for _, a := range p.Args {
		d.Args = append(d.Args, p.Masker.Arg(a))
	}
	d.CommandLine = MaskArgv(d.CommandLine, p.Masker)
	d.Env = Vars(p.Global, p.Masker)
	for _, s := range p.Stacks {
		rs := RunStack{Name: s.Name, Dir: s.Dir, Engine: s.Masker.String(engine.Of(s.Env.Lookup).Name()), Env: []Var{}, Status: "not run", Error: errStr(s.Err, s.Masker), Skip: s.Masker.String(s.Skip), Steps: []Step{}}
		if dryRun {
			rs.Status = "planned"
			var own []env.Var
			for _, v := range s.Env.Layered() {
				if v.Source == env.SourceStackEnv {
					own = append(own, v)
				}
			}
			rs.Env = Vars(own, s.Masker)
		}
		c.stacks[s] = len(d.Stacks)
		d.Stacks = append(d.Stacks, rs)
	}
}

// MaskArgv masks every argument of argv with m. The value of a -e/--env
// option (-e V, -eV, -e=V, --env V, --env=V) is masked by what it is: a
// KEY=VALUE of a secret name, or of a name that is not valid, keeps only
// its name; text that is not KEY=VALUE at all (a secret typed with a
// colon, DB_PASSWORD:pw, or without its name) is masked whole, as the
// error about it hides it.
func MaskArgv(argv []string, m *env.Masker) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = m.Arg(a)
		if i > 0 && (argv[i-1] == "-e" || argv[i-1] == "--env") {
			out[i] = maskOverride(a, m)
			continue
		}
		for _, flag := range []string{"-e=", "--env=", "-e"} {
			if rest, ok := strings.CutPrefix(a, flag); ok && rest != "" && a != "--env" {
				out[i] = flag + maskOverride(rest, m)
				break
			}
		}
	}
	return out
}

// maskOverride is the value of a -e option as it may be recorded.
func maskOverride(kv string, m *env.Masker) string {
	k, _, ok := strings.Cut(kv, "=")
	switch {
	case !ok && !env.ValidName(kv):
		return env.Mask // not even a name: perhaps a value
	case !ok:
		return m.Arg(kv) // a name
	case !env.ValidName(k) || m.IsSecret(k):
		return m.Arg(k) + "=" + env.Mask
	}
	return m.Arg(kv)
}

func (c *Collector) stack(s *plan.Stack) *RunStack {
	i, ok := c.stacks[s]
	if !ok {
		return nil
	}
	return &c.doc.Stacks[i]
}

// StackStart implements [run.Reporter].
func (c *Collector) StackStart(s *plan.Stack, _, _ int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if rs := c.stack(s); rs != nil && !c.doc.DryRun {
		rs.Started = Time(c.now())
	}
}

// StepPlanned implements [run.Reporter].
func (c *Collector) StepPlanned(s *plan.Stack, st *plan.Step) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if rs := c.stack(s); rs != nil {
		rs.Steps = append(rs.Steps, PlanStep(s, st))
		if d := runDatabase(s, st); d != nil {
			rs.Database = d
		}
	}
}

// StepStart implements [run.Reporter].
func (c *Collector) StepStart(*plan.Stack, *plan.Step) {}

// StepDone implements [run.Reporter].
func (c *Collector) StepDone(s *plan.Stack, st *plan.Step, err error, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rs := c.stack(s)
	if rs == nil {
		return
	}
	step := PlanStep(s, st)
	step.Ran = true
	code := 0
	if err != nil {
		code = proc.ExitCode(err)
		step.Error = errStr(err, s.Masker)
	}
	step.ExitCode = &code
	secs := d.Seconds()
	step.DurationSeconds = &secs
	rs.Steps = append(rs.Steps, step)
	if ic, ok := st.Action.(plan.ImageChecker); ok && st.Kind == plan.KindCommand {
		rs.Updates = updateChecks(ic, s.Masker)
	}
	if d := runDatabase(s, st); d != nil {
		rs.Database = d
	}
	if a, ok := st.Action.(plan.Archiver); ok && st.Kind == plan.KindCommand {
		for _, x := range a.Archives() {
			rs.Archives = append(rs.Archives, WrittenArchive{Volume: x.Volume, File: x.File, Time: Time(x.Time), Size: x.Size, Seconds: x.Seconds})
		}
	}
	if err == nil && st.Kind == plan.KindCommand && c.plan != nil && c.plan.Command == "db:export" {
		if f, ok := st.Action.(interface{ DumpFile() string }); ok {
			if fi, err := os.Stat(f.DumpFile()); err == nil {
				rs.Dumps = append(rs.Dumps, DumpInfo{File: f.DumpFile(), Time: Time(fi.ModTime()), Size: fi.Size()})
			}
		}
	}
}

// StepSkipped implements [run.Reporter].
func (c *Collector) StepSkipped(s *plan.Stack, st *plan.Step) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if rs := c.stack(s); rs != nil {
		step := PlanStep(s, st)
		if step.Skip == "" {
			step.Skip = "not reached"
		}
		rs.Steps = append(rs.Steps, step)
	}
}

// StackDone implements [run.Reporter].
func (c *Collector) StackDone(r run.StackResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rs := c.stack(r.Stack)
	if rs == nil || c.doc.DryRun {
		return
	}
	rs.Status = StatusName(r.Status)
	if r.Err != nil {
		rs.Error = errStr(r.Err, r.Stack.Masker)
	}
	secs := r.Duration.Seconds()
	rs.DurationSeconds = &secs
}

// End implements [run.Reporter].
func (c *Collector) End(r *run.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done = true
	d := &c.doc
	d.Succeeded, d.Failed = r.Count()
	d.Skipped = r.Skipped()
	d.Interrupted = r.Interrupted
	for _, sr := range r.Stacks {
		if rs := c.stack(sr.Stack); rs != nil && !r.DryRun {
			rs.Status = StatusName(sr.Status)
		}
	}
	if r.DryRun {
		d.Succeeded = 0 // nothing ran; Failed counts the stacks that cannot run
		return
	}
	code := r.ExitCode()
	d.ExitCode = &code
	end := c.now()
	d.Ended = Time(end)
	secs := end.Sub(c.started).Seconds()
	d.DurationSeconds = &secs
}

// Fail records a failure that kept the run from starting (a usage error)
// with its exit status. m masks msg, and the command line when no plan
// has masked it yet.
func (c *Collector) Fail(code int, msg string, m *env.Masker) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return
	}
	if c.plan == nil {
		c.doc.CommandLine = MaskArgv(c.doc.CommandLine, m)
	}
	msg = m.String(msg)
	c.done = true
	c.doc.ExitCode = &code
	c.doc.Error = &msg
	end := c.now()
	c.doc.Ended = Time(end)
	secs := end.Sub(c.started).Seconds()
	c.doc.DurationSeconds = &secs
}

// Finish records the exit status of a command that ran no plan (status,
// hooks, --list), unless End or Fail did already.
func (c *Collector) Finish(code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return
	}
	c.done = true
	c.doc.ExitCode = &code
	end := c.now()
	c.doc.Ended = Time(end)
	secs := end.Sub(c.started).Seconds()
	c.doc.DurationSeconds = &secs
}

// Doc returns a copy of the document as it is now.
func (c *Collector) Doc() Run {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.doc
}
