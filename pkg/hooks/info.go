package hooks

import (
	"encoding/json"
	"os/user"
	"strconv"
	"time"
)

// Info is what a hook is told about the command it runs around: as
// KOMPOSE_* variables for every hook, and as one JSON object on the
// standard input of executable hooks. The JSON schema is part of kompose's
// contract (docs/hooks.md): fields are only ever added.
type Info struct {
	Stack   string   `json:"stack"`
	Command string   `json:"command"` // as typed: "up", "db:export"
	Args    []string `json:"args"`    // the command's arguments, never null
	Hook    string   `json:"hook"`    // the hook point: "pre-up"
	Root    string   `json:"root"`
	// RecordedAt is when kompose started, the same for every hook of one
	// run: UTC, ISO 8601, to the second.
	RecordedAt string `json:"recorded_at"`
	Performer  string `json:"performer"`
	Version    string `json:"version"`
	// Runtime is how many whole seconds the command took (rounded); set
	// for post hooks and for fail hooks after the command itself failed.
	Runtime *int64 `json:"runtime"`
	// ExitCode is the exit status of what failed; set for fail hooks.
	ExitCode *int `json:"exit_code"`
	// DumpFile is the database dump of a database command.
	DumpFile *string `json:"dump_file"`
}

// The variables every hook gets.
const (
	VarStack      = "KOMPOSE_STACK"
	VarCommand    = "KOMPOSE_COMMAND"
	VarHook       = "KOMPOSE_HOOK"
	VarRoot       = "KOMPOSE_ROOT"
	VarPerformer  = "KOMPOSE_PERFORMER"
	VarRecordedAt = "KOMPOSE_RECORDED_AT"
	VarVersion    = "KOMPOSE_VERSION"
	VarRuntime    = "KOMPOSE_RUNTIME"   // post hooks (and fail hooks after the command ran)
	VarExitCode   = "KOMPOSE_EXIT_CODE" // fail hooks
	VarDumpFile   = "KOMPOSE_DUMP_FILE" // database hooks
)

// RunVars are the variables that only some hooks get; a hook that does not
// get one must not inherit it from the environment either (a hook that
// calls kompose again).
var RunVars = [...]string{VarRuntime, VarExitCode, VarDumpFile}

// TimeFormat formats RecordedAt: 2026-11-21T03:15:07Z.
const TimeFormat = "2006-01-02T15:04:05Z"

// FormatTime formats t for RecordedAt.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// Environ returns the KOMPOSE_* variables of i as KEY=VALUE strings.
func (i *Info) Environ() []string {
	return append(i.StackEnviron(), VarHook+"="+i.Hook)
}

// StackEnviron returns the KOMPOSE_* variables of i that are the same for
// every hook of a stack in one run: all but KOMPOSE_HOOK.
func (i *Info) StackEnviron() []string {
	out := []string{
		VarStack + "=" + i.Stack,
		VarCommand + "=" + i.Command,
		VarRoot + "=" + i.Root,
		VarPerformer + "=" + i.Performer,
		VarRecordedAt + "=" + i.RecordedAt,
		VarVersion + "=" + i.Version,
	}
	return append(out, i.RunEnviron()...)
}

// RunEnviron returns the variables of i known only while the plan runs
// (runtime, exit code) and the dump file.
func (i *Info) RunEnviron() []string {
	var out []string
	if i.Runtime != nil {
		out = append(out, VarRuntime+"="+strconv.FormatInt(*i.Runtime, 10))
	}
	if i.ExitCode != nil {
		out = append(out, VarExitCode+"="+strconv.Itoa(*i.ExitCode))
	}
	if i.DumpFile != nil {
		out = append(out, VarDumpFile+"="+*i.DumpFile)
	}
	return out
}

// JSON returns i as the one-line JSON object executable hooks read on
// their standard input, newline-terminated.
func (i *Info) JSON() []byte {
	c := *i
	if c.Args == nil {
		c.Args = []string{}
	}
	b, err := json.Marshal(&c)
	if err != nil { // strings, ints and slices of strings always marshal
		panic(err)
	}
	return append(b, '\n')
}

// Seconds rounds d to whole seconds for Info.Runtime.
func Seconds(d time.Duration) *int64 {
	s := int64(d.Round(time.Second) / time.Second)
	return &s
}

// Performer returns who runs kompose, for KOMPOSE_PERFORMER: the user who
// ran sudo (SUDO_USER) when kompose runs as root through sudo, else the
// login name of the effective user, else $USER, else $LOGNAME, else the
// numeric uid. Look it up once per run.
func Performer(uid int, getenv func(string) (string, bool)) string {
	if uid == 0 {
		if s, ok := getenv("SUDO_USER"); ok && s != "" {
			return s
		}
	}
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil && u.Username != "" {
		return u.Username
	}
	for _, k := range []string{"USER", "LOGNAME"} {
		if s, ok := getenv(k); ok && s != "" {
			return s
		}
	}
	return strconv.Itoa(uid)
}
