package views

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/db"
	"github.com/kompose-dev/kompose/pkg/engine"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/fleet"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/report/jsonout"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/status"
	"github.com/kompose-dev/kompose/pkg/update"
	"github.com/kompose-dev/kompose/pkg/vol"
)

// Status is the model of `kompose <pattern> status`: one row per stack.
type Status struct {
	Root   string
	DryRun bool
	Now    time.Time
	// Targets are the stacks looked at; Rows their state (none in a dry
	// run).
	Targets []status.Target
	Rows    []status.Row
	mask    *env.Masker
}

// StatusTargets reads the selected stacks from f: for each, its project,
// engine, environment and where its newest dump is; envErrs[i] is why
// stack i's .env could not be read.
func StatusTargets(f *fleet.Fleet, stacks []stack.Stack) (targets []status.Target, envErrs []error) {
	targets = make([]status.Target, len(stacks))
	heads := new(db.HeadReader) // one zstd decoder for every stack's newest dump
	files := compose.NewFiles()
	envErrs = make([]error, len(stacks))
	for i, m := range f.Load(stacks) {
		s, e := m.Stack, m.Env
		envErrs[i] = m.Err
		t := status.Target{
			Name:    s.Name,
			Project: files.ProjectName(s.Dir, s.ComposeFile, e.Lookup),
			Engine:  engine.Of(e.Lookup),
			Environ: e.Environ(),
		}
		if m.Err == nil {
			// x-kompose.deploy: a read of the compose files, compose-go
			// only for files that mention x-kompose.
			set, err := files.Settings(context.Background(), s.Dir, s.ComposeFile, e.Map())
			if err != nil {
				envErrs[i] = err
			}
			t.Swarm = set.Swarm()
		}
		if cfg, ok, cerr := db.ConfigFrom(e, s.Dir); ok {
			t.Dumps = func() (*status.Dump, error) {
				if cerr != nil {
					return nil, cerr
				}
				ds, err := db.List(cfg.DumpDir, cfg.Name)
				if err != nil || len(ds) == 0 {
					return nil, err
				}
				return &status.Dump{File: ds[0].Path, Time: ds[0].Time, Size: ds[0].Size, Verified: db.ReadVerified(cfg), Engine: db.EngineOf(db.Config{}, ds[0].Path, heads)}, nil
			}
			if cerr == nil {
				t.DBEngine = db.EngineOf(cfg, "", nil)
			}
		}
		dir := s.Dir
		t.Updates = func() (*status.Updates, error) {
			rec, err := update.LoadCheck(dir)
			if rec == nil || err != nil {
				return nil, err
			}
			return &status.Updates{Time: rec.Time, Services: len(rec.Services),
				Available: rec.Count(update.StateAvailable, update.StateNotPulled), Failed: rec.Count(update.StateFailed)}, nil
		}
		if dir, err := vol.Dir(e, s.Name, s.Dir); err == nil {
			t.Archives = func() ([]status.Archive, error) { return newestArchives(dir) }
		}
		targets[i] = t
	}
	return targets, envErrs
}

// CollectStatus reads the selected stacks from f and, unless dryRun, asks
// each engine once (docker) for their containers. A stack whose .env
// cannot be read is unknown.
func CollectStatus(ctx context.Context, f *fleet.Fleet, stacks []stack.Stack, docker status.Docker, now time.Time, dryRun bool) (*Status, error) {
	if _, err := f.Base(); err != nil {
		return nil, err
	}
	targets, envErrs := StatusTargets(f, stacks)
	s := &Status{Root: f.Root(), DryRun: dryRun, Now: now, Targets: targets, mask: f.Mask()}
	if dryRun {
		return s, nil
	}
	s.Rows = status.Collect(ctx, docker, targets)
	for i := range s.Rows {
		if envErrs[i] != nil {
			s.Rows[i].State, s.Rows[i].Err = status.Unknown, envErrs[i]
		}
	}
	return s, nil
}

// OK reports whether every stack runs with no container unhealthy or
// starting (exit status 0); a dry run is OK.
func (s *Status) OK() bool {
	for _, r := range s.Rows {
		if !r.OK() {
			return false
		}
	}
	return true
}

// printErrors says on errw why a stack is unknown or its dumps unlisted.
func (s *Status) printErrors(errw io.Writer, est output.Style) {
	for _, r := range s.Rows {
		if r.Err != nil {
			fmt.Fprintf(errw, "%s %s: %s\n", est.Red("!!!"), r.Stack, s.mask.String(r.Err.Error()))
		}
		if r.DumpErr != nil {
			fmt.Fprintf(errw, "%s %s: dumps: %s\n", est.Red("!!!"), r.Stack, s.mask.String(r.DumpErr.Error()))
		}
		if r.UpdatesErr != nil {
			fmt.Fprintf(errw, "%s %s: last update check: %s\n", est.Red("!!!"), r.Stack, s.mask.String(r.UpdatesErr.Error()))
		}
		if r.ArchiveErr != nil {
			fmt.Fprintf(errw, "%s %s: volume archives: %s\n", est.Red("!!!"), r.Stack, s.mask.String(r.ArchiveErr.Error()))
		}
	}
}

// Text prints the table (a dry run: the docker command per engine); the
// errors go to errw.
func (s *Status) Text(w, errw io.Writer, st, est output.Style) error {
	if s.DryRun {
		s.plan(w)
		return nil
	}
	s.printErrors(errw, est)
	return status.Table(w, st, s.Rows, s.Now, db.HumanSize, db.HumanAge)
}

// JSON is the model as the "status" document; the errors go to errw, as
// in Text.
func (s *Status) JSON(errw io.Writer, est output.Style) jsonout.Status {
	s.printErrors(errw, est)
	return jsonout.StatusDoc(s.Root, s.Rows, s.Now, s.mask)
}

// plan prints, for a dry run, the docker command status would run for
// each engine and the stacks it serves; it runs nothing.
func (s *Status) plan(w io.Writer) {
	var order []string
	byKey := map[string][]status.Target{}
	for _, t := range s.Targets {
		k := t.Engine.Key()
		if t.Swarm {
			k = "swarm\x00" + k
		}
		if byKey[k] == nil {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], t)
	}
	fmt.Fprintf(w, "dry run: status of %d stack(s) in %s; nothing is executed\n", len(s.Targets), s.Root)
	for _, k := range order {
		ts := byKey[k]
		var names []string
		for _, t := range ts {
			names = append(names, t.Name+" (project "+s.mask.String(t.Project)+")")
		}
		if !ts[0].Swarm {
			fmt.Fprintf(w, "engine %s: %s\n", s.mask.String(ts[0].Engine.Name()), strings.Join(names, ", "))
			fmt.Fprintf(w, "--> docker %s\n", strings.Join(quoteArgs(status.PsArgs), " "))
			continue
		}
		fmt.Fprintf(w, "Swarm manager %s: %s\n", s.mask.String(ts[0].Engine.Name()), strings.Join(names, ", "))
		ls, inspect, ps, nodes := status.SwarmArgs("")
		for _, args := range [][]string{ls, append(inspect, "<ids>"), append(ps, "<ids>"), nodes} {
			fmt.Fprintf(w, "--> docker %s\n", strings.Join(quoteArgs(args), " "))
		}
	}
}

// DockerCLI runs the docker CLI in dir through p, capturing its output;
// its error says what docker printed on stderr (the last lines).
func DockerCLI(p proc.Runner, dir string) status.Docker {
	return func(ctx context.Context, environ []string, args []string) ([]byte, error) {
		var out, errb bytes.Buffer
		err := p.Run(ctx, proc.Cmd{Argv: append([]string{"docker"}, args...), Dir: dir, Env: environ, Stdout: &out, Stderr: &errb})
		if err != nil {
			msg := strings.TrimSpace(errb.String())
			if len(msg) > 500 {
				msg = "..." + msg[len(msg)-500:]
			}
			if msg != "" {
				return nil, fmt.Errorf("docker ps: %w: %s", err, msg)
			}
			return nil, fmt.Errorf("docker ps: %w", err)
		}
		return out.Bytes(), nil
	}
}

// quoteArgs quotes arguments for a shell where they need it.
func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \"'{}()$") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return out
}

// newestArchives lists the newest archive of each volume in a stack's
// backup folder (none when the folder does not exist).
func newestArchives(dir string) ([]status.Archive, error) {
	all, err := vol.List(dir, "")
	if err != nil {
		return nil, err
	}
	var out []status.Archive
	seen := map[string]bool{}
	for _, a := range all { // newest first
		if !seen[a.Base] {
			seen[a.Base] = true
			out = append(out, status.Archive{Volume: a.Base, File: a.Path, Time: a.Time, Size: a.Size, Verified: vol.ReadVerified(dir, a.Base)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Volume < out[j].Volume })
	return out, nil
}
