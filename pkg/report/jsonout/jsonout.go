// Package jsonout is kompose's machine-readable output: the JSON documents
// of --json (--list, hooks, status, db:list, the dry-run plan) and of
// --report. Every document is one JSON object whose "schema" names the
// version of the whole schema (docs/json.md) and whose "kind" says which
// document it is. Within one schema version fields are only ever added.
//
// Every value that comes from an environment goes through the stacks'
// maskers before it is put into a document: no secret reaches it.
package jsonout

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/status"
)

// Schema is the version of kompose's JSON documents.
const Schema = "kompose/v1"

// The kinds of document.
const (
	KindList    = "list"
	KindHooks   = "hooks"
	KindStatus  = "status"
	KindDBList  = "db-list"
	KindVolList = "vol-list"
	KindPlan    = "plan"
	KindReport  = "report"
)

// Header starts every document.
type Header struct {
	Schema string `json:"schema"`
	Kind   string `json:"kind"`
}

// NewHeader returns the header of a document of kind.
func NewHeader(kind string) Header { return Header{Schema: Schema, Kind: kind} }

// Write writes doc as indented JSON and a newline.
func Write(w io.Writer, doc any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// Time formats t for a document: RFC 3339 in UTC, to the second.
func Time(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Var is a variable and where it comes from; Value is "****" for a secret.
type Var struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Source string `json:"source"`
	Secret bool   `json:"secret"`
}

// Vars converts vars, masking their values with m.
func Vars(vars []env.Var, m *env.Masker) []Var {
	out := make([]Var, 0, len(vars))
	for _, v := range vars {
		out = append(out, Var{Name: v.Name, Value: m.Value(v), Source: string(v.Source), Secret: m.IsSecret(v.Name)})
	}
	return out
}

// Status is the document of `kompose <pattern> status --json`.
type Status struct {
	Header
	Root   string        `json:"root"`
	Time   string        `json:"time"`
	OK     bool          `json:"ok"`
	Stacks []StackStatus `json:"stacks"`
}

// StackStatus is one stack's status.
type StackStatus struct {
	Name       string  `json:"name"`
	Project    string  `json:"project"`
	Engine     string  `json:"engine"`
	State      string  `json:"state"`
	Running    int     `json:"running"`
	Containers int     `json:"containers"`
	Healthy    int     `json:"healthy"`
	Unhealthy  int     `json:"unhealthy"`
	Starting   int     `json:"starting"`
	OK         bool    `json:"ok"`
	Error      *string `json:"error"`
	DB         *DBInfo `json:"db"`
	// Volumes is the newest archive of each volume that has one.
	Volumes      []ArchiveInfo `json:"volumes"`
	VolumesError *string       `json:"volumes_error,omitempty"`
	// Updates is what the last update --check found (null: never
	// checked).
	Updates *UpdatesInfo `json:"updates"`
	// Deploy is "swarm" for a stack deployed on Docker Swarm (absent for
	// compose): then containers counts the tasks that should run,
	// running those that do on a node that is up, services each
	// service's counts and pending what does not run.
	Deploy   string         `json:"deploy,omitempty"`
	Services []SwarmService `json:"services,omitempty"`
	Pending  string         `json:"pending,omitempty"`
}

// SwarmService is one service of a Swarm stack in a status document.
type SwarmService struct {
	Name     string `json:"name"`
	Desired  int    `json:"desired"`
	Running  int    `json:"running"`
	Starting int    `json:"starting"`
	Update   string `json:"update,omitempty"`
}

// UpdatesInfo is the last update --check of a stack.
type UpdatesInfo struct {
	Checked    string  `json:"checked,omitempty"`
	AgeSeconds int64   `json:"age_seconds,omitempty"`
	Available  int     `json:"available"`
	Failed     int     `json:"failed"`
	Services   int     `json:"services"`
	Error      *string `json:"error"`
}

// ArchiveInfo is the newest archive of one volume.
type ArchiveInfo struct {
	Volume     string `json:"volume"`
	File       string `json:"file"`
	Time       string `json:"time"`
	AgeSeconds int64  `json:"age_seconds"`
	Size       int64  `json:"size"`
	// LastVerified is when an archive of the volume last passed
	// vol:verify; absent when none has.
	LastVerified *Verified `json:"last_verified,omitempty"`
}

// DBInfo is the database side of a stack's status: its newest dump.
type DBInfo struct {
	// Engine is the database's engine (postgres, mariadb, mysql):
	// DB_ENGINE, else the header of the newest dump; absent when neither
	// says.
	Engine   string    `json:"engine,omitempty"`
	LastDump *DumpInfo `json:"last_dump"`
	Error    *string   `json:"error"`
	// LastVerified is when a dump last passed db:verify (a restore
	// drill); absent when none has.
	LastVerified *Verified `json:"last_verified,omitempty"`
}

// Verified is the last restore drill that passed.
type Verified struct {
	Time       string `json:"time"`
	AgeSeconds int64  `json:"age_seconds"`
}

// DumpInfo is a dump file.
type DumpInfo struct {
	File       string `json:"file"`
	Time       string `json:"time"`
	AgeSeconds int64  `json:"age_seconds"`
	Size       int64  `json:"size"`
	Format     string `json:"format,omitempty"`
}

func errStr(err error, m *env.Masker) *string {
	if err == nil {
		return nil
	}
	s := m.String(err.Error())
	return &s
}

// StatusDoc returns the status document of rows, errors masked with m.
func StatusDoc(root string, rows []status.Row, now time.Time, m *env.Masker) Status {
	doc := Status{Header: NewHeader(KindStatus), Root: root, Time: Time(now), OK: true, Stacks: []StackStatus{}}
	for _, r := range rows {
		s := StackStatus{
			Name: r.Stack, Project: m.String(r.Project), Engine: m.String(r.Engine), State: r.State,
			Running: r.Running, Containers: r.Containers,
			Healthy: r.Healthy, Unhealthy: r.Unhealthy, Starting: r.Starting,
			OK: r.OK(), Error: errStr(r.Err, m),
		}
		if r.DB {
			s.DB = &DBInfo{Engine: r.DBEngine, Error: errStr(r.DumpErr, m)}
			if d := r.Dump; d != nil {
				s.DB.LastDump = &DumpInfo{File: d.File, Time: Time(d.Time), AgeSeconds: int64(now.Sub(d.Time).Seconds()), Size: d.Size}
				if !d.Verified.IsZero() {
					s.DB.LastVerified = &Verified{Time: Time(d.Verified), AgeSeconds: int64(now.Sub(d.Verified).Seconds())}
				}
			}
		}
		if u := r.Updates; u != nil {
			s.Updates = &UpdatesInfo{Checked: Time(u.Time), AgeSeconds: int64(now.Sub(u.Time).Seconds()), Available: u.Available, Failed: u.Failed, Services: u.Services}
		} else if r.UpdatesErr != nil {
			s.Updates = &UpdatesInfo{Error: errStr(r.UpdatesErr, m)}
		}
		s.Volumes, s.VolumesError = []ArchiveInfo{}, errStr(r.ArchiveErr, m)
		for _, a := range r.Archives {
			ai := ArchiveInfo{Volume: a.Volume, File: a.File, Time: Time(a.Time), AgeSeconds: int64(now.Sub(a.Time).Seconds()), Size: a.Size}
			if !a.Verified.IsZero() {
				ai.LastVerified = &Verified{Time: Time(a.Verified), AgeSeconds: int64(now.Sub(a.Verified).Seconds())}
			}
			s.Volumes = append(s.Volumes, ai)
		}
		s.Deploy, s.Pending = r.Deploy, m.String(r.Pending)
		for _, sv := range r.Services {
			s.Services = append(s.Services, SwarmService{Name: m.String(sv.Name), Desired: sv.Desired, Running: sv.Running, Starting: sv.Starting, Update: sv.Update})
		}
		doc.OK = doc.OK && s.OK
		doc.Stacks = append(doc.Stacks, s)
	}
	return doc
}

// Step is one step of a plan or a report.
type Step struct {
	Kind   string   `json:"kind"`            // "hook" or "command"
	Phase  string   `json:"phase,omitempty"` // pre, post, fail (hooks)
	Label  string   `json:"label"`
	Args   []string `json:"args"`
	Source string   `json:"source,omitempty"`
	When   string   `json:"when"`
	// Skip says why a step is not run ("--skip-hooks"); in a report, also
	// "an earlier step failed".
	Skip string `json:"skip,omitempty"`
	// Describe is what a dry run says about a database step (the file it
	// would write).
	Describe []string `json:"describe,omitempty"`
	// Set in reports for steps that ran.
	Ran             bool     `json:"ran"`
	ExitCode        *int     `json:"exit_code,omitempty"`
	Error           *string  `json:"error,omitempty"`
	DurationSeconds *float64 `json:"duration_seconds,omitempty"`
}

// PlanStep converts a step, its arguments masked with s's masker.
func PlanStep(s *plan.Stack, st *plan.Step) Step {
	out := Step{Kind: "command", Label: st.Label, Args: make([]string, 0, len(st.Args)), Source: st.Source, When: st.When.String(), Skip: s.Masker.String(st.Skip)}
	if st.Kind == plan.KindHook {
		out.Kind = "hook"
		out.Phase = string(st.Phase)
	}
	for _, a := range st.Args {
		out.Args = append(out.Args, s.Masker.Arg(a))
	}
	if out.Source == out.Label {
		out.Source = ""
	}
	if d, ok := st.Action.(interface{ Describe() []string }); ok {
		for _, line := range d.Describe() {
			out.Describe = append(out.Describe, s.Masker.String(line))
		}
	}
	return out
}

// DBList is the document of `kompose <pattern> db:list --json`.
type DBList struct {
	Header
	Root   string    `json:"root"`
	Stacks []DBStack `json:"stacks"`
}

// DBStack is the dumps of one stack's database, newest first.
type DBStack struct {
	Name     string `json:"name"`
	Database string `json:"database,omitempty"`
	// Engine is the database's engine: postgres, mariadb or mysql
	// (DB_ENGINE, else the image of its service, else postgres).
	Engine string     `json:"engine,omitempty"`
	Dir    string     `json:"dir,omitempty"`
	Skip   string     `json:"skip,omitempty"`
	Error  *string    `json:"error"`
	Dumps  []DumpInfo `json:"dumps"`
	// KeptDatabase is the database the last db:import replaced and kept
	// (db:import --undo swaps it back); absent when there is none.
	KeptDatabase string `json:"kept_database,omitempty"`
	// Snapshots are the database's snapshots in the stack's restic
	// repository, newest first; absent when the stack has none
	// configured (or --no-offsite).
	Snapshots []SnapshotInfo `json:"snapshots,omitempty"`
	// OffsiteError is why the repository could not be listed.
	OffsiteError *string `json:"offsite_error,omitempty"`
}

// VolList is the document of `kompose <pattern> vol:list --json`.
type VolList struct {
	Header
	Root   string     `json:"root"`
	Stacks []VolStack `json:"stacks"`
}

// VolStack is the archives of one stack's volumes, by volume.
type VolStack struct {
	Name    string        `json:"name"`
	Dir     string        `json:"dir,omitempty"`
	Skip    string        `json:"skip,omitempty"`
	Error   *string       `json:"error"`
	Volumes []VolArchives `json:"volumes"`
	// OffsiteError is why the repository could not be listed.
	OffsiteError *string `json:"offsite_error,omitempty"`
}

// VolArchives are one volume's archives in the backup folder and its
// snapshots in the stack's restic repository, newest first. Volume is
// the archives' file base (the volume's name, "/" as "-").
type VolArchives struct {
	Volume   string       `json:"volume"`
	Archives []VolArchive `json:"archives"`
	// Snapshots are absent when the stack has no repository configured
	// (or --no-offsite).
	Snapshots []SnapshotInfo `json:"snapshots,omitempty"`
}

// VolArchive is one volume archive; Files and Bytes are its manifest's
// (absent without one), Note why it was made when not by vol:export.
type VolArchive struct {
	File       string `json:"file"`
	Time       string `json:"time"`
	AgeSeconds int64  `json:"age_seconds"`
	Size       int64  `json:"size"`
	Files      *int64 `json:"files,omitempty"`
	Bytes      *int64 `json:"bytes,omitempty"`
	Note       string `json:"note,omitempty"`
}

// SnapshotInfo is one snapshot of a restic repository.
type SnapshotInfo struct {
	ID         string `json:"id"`
	File       string `json:"file"`
	Time       string `json:"time"`
	AgeSeconds int64  `json:"age_seconds"`
	Host       string `json:"host"`
}

// List is the document of `kompose --list --json`.
type List struct {
	Header
	Root   string      `json:"root"`
	Stacks []ListStack `json:"stacks"`
}

// ListStack is one stack of the listing. Errors say what could not be
// read ("env: ...", "hooks: ...", "services: ...").
type ListStack struct {
	Name        string `json:"name"`
	Dir         string `json:"dir"`
	ComposeFile string `json:"compose_file"`
	// ComposeFiles are the files compose reads, in its order (the
	// override file, COMPOSE_FILE); ComposeFile is the one that makes the
	// folder a stack.
	ComposeFiles []string `json:"compose_files"`
	EnvFile      string   `json:"env_file"`
	// EnvEncrypted is set when EnvFile is a .env.age.
	EnvEncrypted bool       `json:"env_encrypted,omitempty"`
	HooksFile    string     `json:"hooks_file"`
	Project      string     `json:"project"`
	Engine       string     `json:"engine"`
	Hooks        []ListHook `json:"hooks"`
	Services     []Service  `json:"services"`
	Warnings     []string   `json:"warnings,omitempty"`
	Errors       []string   `json:"errors"`
}

// ListHook is a hook function of hooks.sh or a hook file of hooks/.
type ListHook struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	NotRun string `json:"not_run,omitempty"`
}

// Service is a compose service; Image is "" for one that is built.
type Service struct {
	Name  string `json:"name"`
	Image string `json:"image"`
}

// Hooks is the document of `kompose <pattern> hooks [command] --json`.
// With a command, each stack has the Steps of its plan; without one,
// Commands maps each command the stack has hooks for to them.
type Hooks struct {
	Header
	Root    string      `json:"root"`
	Command string      `json:"command,omitempty"`
	Stacks  []HookStack `json:"stacks"`
}

// HookStack is one stack of the hooks document.
type HookStack struct {
	Name     string                `json:"name"`
	Error    *string               `json:"error"`
	Skip     string                `json:"skip,omitempty"`
	Warnings []string              `json:"warnings,omitempty"`
	Steps    []Step                `json:"steps,omitempty"`
	NotRun   []NotRun              `json:"not_run,omitempty"`
	Commands map[string][]HookInfo `json:"commands,omitempty"`
}

// NotRun is a hook file that exists but is not run, and why.
type NotRun struct {
	Phase  string `json:"phase"`
	Source string `json:"source"`
	Reason string `json:"reason"`
}

// HookInfo is a hook found for a command.
type HookInfo struct {
	Phase       string `json:"phase"`
	Label       string `json:"label"`
	Source      string `json:"source"`
	Conditional bool   `json:"conditional,omitempty"`
	NotRun      string `json:"not_run,omitempty"`
}
