// Package metrics keeps a Prometheus text file (for node_exporter's
// textfile collector) with, per stack and command, when kompose last ran
// it, when it last succeeded, how long it took, its exit status, and for
// db:export the size of the dump written; and per volume archive written
// (vol:export, backup: label volume) its size, time and duration; per
// stack with a database, its engine (kompose_db_info, label engine) and
// for MariaDB/MySQL exports the number of tables without transactions.
//
// Each run merges its own series into the file: the series of other stacks
// and commands (an earlier `up` when this run is a `db:export`) stay, and a
// failed run keeps the last success time it finds. Two runs may write the
// file at once: each takes a lock file beside it (FILE.lock), reads,
// merges, and replaces the file atomically (pkg/safefile).
package metrics

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kompose-dev/kompose/pkg/lock"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/run"
	"github.com/kompose-dev/kompose/pkg/safefile"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// The metrics kompose writes; each has the labels stack and command.
const (
	LastRun     = "kompose_last_run_timestamp_seconds"
	LastSuccess = "kompose_last_success_timestamp_seconds"
	Duration    = "kompose_last_duration_seconds"
	ExitStatus  = "kompose_last_exit_status"
	DumpSize    = "kompose_last_dump_size_bytes"
	// UpdateAvailable is written by update --check (command label
	// "update --check").
	UpdateAvailable = "kompose_update_available"
	// The series of volume archives also have the label volume.
	ArchiveSize     = "kompose_last_archive_size_bytes"
	ArchiveTime     = "kompose_last_archive_timestamp_seconds"
	ArchiveDuration = "kompose_last_archive_duration_seconds"
	// LastVerified is when db:verify (a restore drill) last passed.
	LastVerified = "kompose_last_verified_timestamp_seconds"
	// DBInfo is 1 for the engine of a stack's database (label engine, no
	// command): the info-series convention, joined on stack.
	DBInfo = "kompose_db_info"
	// NotTransactional is the number of tables without transactions the
	// last MariaDB/MySQL db:export found (0 when none).
	NotTransactional = "kompose_db_not_transactional_tables"
)

var help = map[string]string{
	LastRun:          "When kompose last ran the command for the stack (Unix time).",
	LastSuccess:      "When the command last succeeded for the stack (Unix time).",
	Duration:         "How long the stack's last run of the command took.",
	ExitStatus:       "Exit status of the stack's last run of the command: 0 ok, 1 failed, 130 interrupted.",
	DumpSize:         "Size of the dump the stack's last successful db:export wrote.",
	ArchiveSize:      "Size of the volume's last archive written by the command.",
	ArchiveTime:      "When the volume's last archive written by the command was taken (Unix time).",
	ArchiveDuration:  "How long writing the volume's last archive took.",
	LastVerified:     "When a dump of the stack last passed db:verify, a restore drill, or its archives vol:verify (Unix time; the command label says which).",
	DBInfo:           "The engine of the stack's database (postgres, mariadb, mysql), as the last db:* command found it; always 1.",
	NotTransactional: "Tables without transactions (MyISAM, Aria, ...) the last db:export found: its dump is consistent only for the others.",
	UpdateAvailable:  "How many of the stack's services have a newer image in their registry, as update --check last found (services it could not check are not counted).",
}

var order = []string{LastRun, LastSuccess, Duration, ExitStatus, DumpSize, ArchiveSize, ArchiveTime, ArchiveDuration, LastVerified, DBInfo, NotTransactional, UpdateAvailable}

// CommandCheck is the command label of update --check's series, apart
// from update's.
const CommandCheck = "update --check"

// commandLabel is the command label of a run of p.
func commandLabel(p *plan.Plan) string {
	if p.Command == "update" && slices.Contains(p.Args, "--check") {
		return CommandCheck
	}
	return p.Command
}

// perStack are the metrics of which a stack has one series: a new one
// replaces the stack's old ones (another engine) when merged.
var perStack = map[string]bool{DBInfo: true}

// Key is a series: a stack and a command (none for DBInfo), for the
// archive metrics a volume, for DBInfo an engine.
type Key struct{ Stack, Command, Volume, Engine string }

// Series are the values of the metrics, by metric and series.
type Series map[string]map[Key]float64

func (s Series) set(metric string, k Key, v float64) {
	if s[metric] == nil {
		s[metric] = map[Key]float64{}
	}
	s[metric][k] = v
}

// Parse reads the series of kompose's metrics from a text file written by
// Format; other lines are dropped.
func Parse(r io.Reader) (Series, error) {
	s := Series{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		open := strings.IndexByte(line, '{')
		closeAt := strings.LastIndexByte(line, '}')
		if open < 0 || closeAt < open {
			continue
		}
		name := line[:open]
		if help[name] == "" {
			continue
		}
		labels := parseLabels(line[open+1 : closeAt])
		v, err := strconv.ParseFloat(strings.TrimSpace(line[closeAt+1:]), 64)
		if err != nil {
			continue
		}
		s.set(name, Key{Stack: labels["stack"], Command: labels["command"], Volume: labels["volume"], Engine: labels["engine"]}, v)
	}
	return s, sc.Err()
}

// parseLabels parses `a="x",b="y"` with Prometheus escapes.
func parseLabels(s string) map[string]string {
	out := map[string]string{}
	for len(s) > 0 {
		eq := strings.IndexByte(s, '=')
		if eq < 0 || eq+1 >= len(s) || s[eq+1] != '"' {
			return out
		}
		name := strings.TrimSpace(strings.TrimLeft(s[:eq], ","))
		var val strings.Builder
		i := eq + 2
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
				switch s[i] {
				case 'n':
					val.WriteByte('\n')
				default:
					val.WriteByte(s[i])
				}
				continue
			}
			val.WriteByte(s[i])
		}
		out[name] = val.String()
		if i >= len(s) {
			return out
		}
		s = s[i+1:]
	}
	return out
}

func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// Format writes s in the Prometheus text format, metrics and series in a
// fixed order.
func Format(s Series) []byte {
	var b bytes.Buffer
	for _, m := range order {
		if len(s[m]) == 0 {
			continue
		}
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n", m, help[m], m)
		keys := make([]Key, 0, len(s[m]))
		for k := range s[m] {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if keys[i].Stack != keys[j].Stack {
				return keys[i].Stack < keys[j].Stack
			}
			if keys[i].Command != keys[j].Command {
				return keys[i].Command < keys[j].Command
			}
			if keys[i].Volume != keys[j].Volume {
				return keys[i].Volume < keys[j].Volume
			}
			return keys[i].Engine < keys[j].Engine
		})
		for _, k := range keys {
			labels := "stack=\"" + escape(k.Stack) + "\""
			if k.Command != "" || !perStack[m] {
				labels += ",command=\"" + escape(k.Command) + "\""
			}
			if k.Volume != "" {
				labels += ",volume=\"" + escape(k.Volume) + "\""
			}
			if k.Engine != "" {
				labels += ",engine=\"" + escape(k.Engine) + "\""
			}
			fmt.Fprintf(&b, "%s{%s} %s\n", m, labels, strconv.FormatFloat(s[m][k], 'f', -1, 64))
		}
	}
	return b.Bytes()
}

// Use is what kompose does with the metrics file and its folder, for
// refusals.
const Use = "keep the metrics file in"

// Merge updates the file at path with update under its lock: update's
// series replace those of the same metric and key; LastSuccess is kept
// from the file for keys update has no success for; DumpSize likewise.
//
// The file is read back, so it must be one nobody else could have written
// (a forged last success would blind the alert): its folder, and every
// folder above, must pass pol's trust rule (pkg/trust; nil: the invoking
// user's), and the file and its lock must be regular files pol accepts.
// Both are opened without following symlinks and without blocking (a FIFO
// at either name is refused, not waited on).
func Merge(ctx context.Context, path string, update Series, lockTimeout time.Duration, pol *trust.Policy) error {
	p := trust.Current()
	if pol != nil {
		p = *pol
	}
	tree := trust.NewTree(p)
	if err := safefile.CheckFolder(tree, Use, path); err != nil {
		return fmt.Errorf("metrics file %s: %w", path, err)
	}
	l, err := lock.AcquireChecked(ctx, path+".lock", lockTimeout, "kompose --metrics-file", func(f *os.File) error {
		return safefile.CheckOpened(p, Use, path+".lock", f)
	})
	if err != nil {
		return fmt.Errorf("metrics file %s: %w", path, err)
	}
	defer l.Release()
	old := Series{}
	f, err := safefile.OpenReadBack(tree, Use, path)
	if err != nil {
		return fmt.Errorf("metrics file %s: %w", path, err)
	}
	if f != nil {
		old, err = Parse(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("metrics file %s: read: %w", path, err)
		}
	}
	for m, byKey := range update {
		for k := range byKey {
			if perStack[m] {
				for ok := range old[m] {
					if ok.Stack == k.Stack {
						delete(old[m], ok)
					}
				}
			}
		}
		for k, v := range byKey {
			old.set(m, k, v)
		}
	}
	if err := safefile.WriteFile(path, Format(old), 0o644); err != nil {
		return fmt.Errorf("metrics file %s: %w", path, err)
	}
	return nil
}

// Recorder is a [run.Reporter] that merges the run's series into a
// metrics file at End. Problems are written to Warn. Safe for concurrent
// use (stacks run at once with -j).
type Recorder struct {
	Path string
	Now  func() time.Time
	Warn io.Writer
	// Policy is the trust rule for the file and its folder (see
	// [Merge]); nil means the invoking user's.
	Policy  *trust.Policy
	mu      sync.Mutex
	command string
	sizes   map[*plan.Stack]int64
	// available counts, per stack, the services update --check found an
	// update for.
	available map[*plan.Stack]int
	series    Series
}

// Begin implements [run.Reporter].
func (r *Recorder) Begin(p *plan.Plan, _ bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.command = commandLabel(p)
	r.sizes = map[*plan.Stack]int64{}
	r.available = map[*plan.Stack]int{}
	r.series = Series{}
}

// StackStart implements [run.Reporter].
func (r *Recorder) StackStart(*plan.Stack, int, int) {}

// StepPlanned implements [run.Reporter].
func (r *Recorder) StepPlanned(*plan.Stack, *plan.Step) {}

// StepStart implements [run.Reporter].
func (r *Recorder) StepStart(*plan.Stack, *plan.Step) {}

// StepSkipped implements [run.Reporter].
func (r *Recorder) StepSkipped(*plan.Stack, *plan.Step) {}

// StepDone implements [run.Reporter]: it notes the size of a dump written,
// and the archives written (also those of a step that failed for another
// volume).
func (r *Recorder) StepDone(s *plan.Stack, st *plan.Step, err error, _ time.Duration) {
	if ic, ok := st.Action.(plan.ImageChecker); ok && st.Kind == plan.KindCommand {
		n := 0
		for _, c := range ic.ImageChecks() {
			if c.State == "update available" || c.State == "not pulled" {
				n++
			}
		}
		r.mu.Lock()
		r.available[s] = n
		r.mu.Unlock()
	}
	if a, ok := st.Action.(plan.Archiver); ok && st.Kind == plan.KindCommand {
		r.mu.Lock()
		for _, x := range a.Archives() {
			k := Key{Stack: s.Name, Command: r.command, Volume: x.Volume}
			r.series.set(ArchiveSize, k, float64(x.Size))
			r.series.set(ArchiveTime, k, float64(x.Time.Unix()))
			r.series.set(ArchiveDuration, k, x.Seconds)
		}
		r.mu.Unlock()
	}
	if d, ok := st.Action.(plan.DBReporter); ok && st.Kind == plan.KindCommand {
		res := d.DBResult()
		r.mu.Lock()
		if res.Engine != "" {
			r.series.set(DBInfo, Key{Stack: s.Name, Engine: res.Engine}, 1)
		}
		if res.NotTransactionalChecked {
			r.series.set(NotTransactional, Key{Stack: s.Name, Command: r.command}, float64(len(res.NotTransactional)))
		}
		r.mu.Unlock()
	}
	if err != nil || st.Kind != plan.KindCommand || r.command != "db:export" {
		return
	}
	if f, ok := st.Action.(interface{ DumpFile() string }); ok {
		if fi, err := os.Stat(f.DumpFile()); err == nil {
			r.mu.Lock()
			r.sizes[s] = fi.Size()
			r.mu.Unlock()
		}
	}
}

// StackDone implements [run.Reporter].
func (r *Recorder) StackDone(sr run.StackResult) {
	if sr.Status == run.Skipped || sr.Status == run.NotRun {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	k := Key{Stack: sr.Stack.Name, Command: r.command}
	now := float64(r.Now().Unix())
	code := 0
	switch sr.Status {
	case run.Failed:
		code = 1
	case run.Interrupted:
		code = 130
	}
	r.series.set(LastRun, k, now)
	r.series.set(Duration, k, sr.Duration.Seconds())
	r.series.set(ExitStatus, k, float64(code))
	if n, ok := r.available[sr.Stack]; ok {
		r.series.set(UpdateAvailable, k, float64(n))
	}
	if code == 0 {
		r.series.set(LastSuccess, k, now)
		if n, ok := r.sizes[sr.Stack]; ok {
			r.series.set(DumpSize, k, float64(n))
		}
		if r.command == "db:verify" || r.command == "vol:verify" || r.command == "verify" {
			r.series.set(LastVerified, k, now)
		}
	}
}

// End implements [run.Reporter].
func (r *Recorder) End(res *run.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if res.DryRun || len(r.series) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := Merge(ctx, r.Path, r.series, 10*time.Second, r.Policy); err != nil && r.Warn != nil {
		fmt.Fprintf(r.Warn, "kompose: warning: %v\n", err)
	}
}
