package db

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/retention"
	"github.com/kompose-dev/kompose/pkg/settings"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// Options are what the database commands need from the command line
// around them.
type Options struct {
	Cwd string           // where a relative db:import FILE is looked for first
	Now func() time.Time // names the dumps and ages them
	TTY bool             // the error stream is a terminal: progress by default
}

// DefaultLockTimeout is how long a run waits for another one working on the
// same database (--db-lock-timeout); the stack lock's default is
// plan.DefaultLockTimeout (--lock-timeout).
const DefaultLockTimeout = time.Minute

// Commands returns the db:export, db:import, db:cleanup, db:list and db:verify
// commands for a plan [plan.Builder].
func Commands(o Options) map[string]plan.CommandFunc {
	c := &commands{o: o}
	return map[string]plan.CommandFunc{
		"db:export":  c.export,
		"db:import":  c.importCmd,
		"db:cleanup": c.cleanup,
		"db:list":    c.list,
		"db:verify":  c.verify,
	}
}

// commands holds what the commands learn while one plan is built.
type commands struct {
	o Options
	// importStacks counts the stacks a db:import FILE is planned for.
	importStacks []string
}

// usagef is a mistake in the options: exit status 2 (plan.ErrUsage).
func usagef(format string, a ...any) error { return plan.Usagef(format, a...) }

// progressFlags adds --progress and --no-progress.
func (c *commands) progressFlags(fs *flag.FlagSet) func() Progress {
	on := fs.Bool("progress", false, "")
	off := fs.Bool("no-progress", false, "")
	return func() Progress {
		show := c.o.TTY
		if *on {
			show = true
		}
		if *off {
			show = false
		}
		return Progress{Show: show, TTY: c.o.TTY}
	}
}

// stackConfig reads the stack's database settings; a stack without
// DB_NAME is skipped.
func (c *commands) stackConfig(s *plan.Stack, command string) (Config, error) {
	cfg, ok, err := ConfigFrom(s.Env, s.Dir)
	if err != nil {
		return cfg, err
	}
	if !ok {
		return cfg, &plan.SkipError{Reason: "no " + VarName + " in its environment"}
	}
	// A dump folder another user may write is refused before anything
	// runs; one that does not exist yet is checked by db:export once it
	// has created it.
	if _, err := os.Lstat(cfg.DumpDir); err == nil {
		if err := trust.NewTree(s.Policy).CheckDir(dumpDirUse, cfg.DumpDir); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

func (c *commands) export(s *plan.Stack, command string, args []string) (plan.Step, error) {
	const help = "--compress none|gzip|zstd, --format plain|custom, --db-lock-timeout DURATION, --progress, --no-progress, --no-offsite"
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	noOffsite := fs.Bool("no-offsite", false, "")
	compress := fs.String("compress", "none", "")
	format := fs.String("format", "plain", "")
	lockTimeout := lockTimeoutFlag(fs)
	progress := c.progressFlags(fs)
	if _, err := plan.ParseArgs(command, fs, args, 0, help); err != nil {
		return plan.Step{}, err
	}
	lockWait, err := lockTimeout(command)
	if err != nil {
		return plan.Step{}, err
	}
	var f Format
	switch *format {
	case "plain", "sql":
		switch *compress {
		case "none", "":
			f = Plain
		case "gzip", "gz":
			f = Gzip
		case "zstd", "zst":
			f = Zstd
		default:
			return plan.Step{}, usagef("%s: --compress %q: use none, gzip or zstd", command, *compress)
		}
	case "custom":
		if *compress != "none" && *compress != "" {
			return plan.Step{}, usagef("%s: --format custom is compressed by pg_dump itself; drop --compress", command)
		}
		f = Custom
	default:
		return plan.Step{}, usagef("%s: --format %q: use plain or custom", command, *format)
	}
	cfg, err := c.stackConfig(s, command)
	if err != nil {
		return plan.Step{}, err
	}
	loc, err := Locate(context.Background(), cfg, s.Stack, s.Env, s.ExecCommand)
	if err != nil {
		return plan.Step{}, err
	}
	if f == Custom && loc.Engine.isMySQLFamily() {
		return plan.Step{}, usagef("%s: --format custom is pg_dump's; %s dumps are plain SQL (--compress gzip or zstd)", command, loc.Engine)
	}
	x := NewExport(cfg, loc, f, c.o.Now())
	x.LockTimeout, x.Progress = lockWait, progress()
	if x.Encrypt, err = encryptionFor(s); err != nil {
		return plan.Step{}, err
	}
	if x.Encrypt != nil {
		x.Path = x.freePath(cfg.DumpDir)
	}
	if x.Offsite, err = offsiteFor(s, cfg); err != nil {
		return plan.Step{}, err
	}
	if x.Offsite != nil {
		x.Offsite.Disable = *noOffsite
	}
	return plan.Step{Label: command, Args: x.Argv, Cmd: proc.Cmd{Argv: x.Argv}, Action: x}, nil
}

func (c *commands) importCmd(s *plan.Stack, command string, args []string) (plan.Step, error) {
	const help = "[FILE], --from restic[:SNAPSHOT], --from-other-db, --undo, --db-lock-timeout DURATION, --progress, --no-progress"
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	from := fs.String("from", "", "")
	fs.Bool("keep-previous", false, "") // the replaced data is always kept now
	fromOther := fs.Bool("from-other-db", false, "")
	undo := fs.Bool("undo", false, "")
	lockTimeout := lockTimeoutFlag(fs)
	progress := c.progressFlags(fs)
	pos, err := plan.ParseArgs(command, fs, args, 1, help)
	if err != nil {
		return plan.Step{}, err
	}
	lockWait, err := lockTimeout(command)
	if err != nil {
		return plan.Step{}, err
	}
	if *undo && (len(pos) > 0 || *fromOther) {
		return plan.Step{}, usagef("%s --undo swaps back the data the last import replaced: it takes no FILE and no --from-other-db", command)
	}
	if isSet(fs, "from") {
		return c.importFrom(s, command, *from, pos, *undo, *fromOther, lockWait, progress())
	}
	file := ""
	if len(pos) == 1 {
		file = pos[0]
		c.importStacks = append(c.importStacks, s.Name)
		if len(c.importStacks) > 1 {
			return plan.Step{}, usagef("%s %s: one file goes into one stack's database, and the pattern selects several (%s)", command, file, strings.Join(c.importStacks, ", "))
		}
	}
	cfg, err := c.stackConfig(s, command)
	if err != nil {
		return plan.Step{}, err
	}
	if *undo {
		loc, err := Locate(context.Background(), cfg, s.Stack, s.Env, s.ExecCommand)
		if err != nil {
			return plan.Step{}, err
		}
		return plan.Step{Label: command, Args: []string{"--undo"}, Action: NewUndo(cfg, loc, c.o.Now(), lockWait)}, nil
	}
	path, err := ResolveFile(cfg, c.o.Cwd, file)
	if err != nil {
		return plan.Step{}, err
	}
	if err := CheckDumpFile(s.Policy, path); err != nil {
		return plan.Step{}, err
	}
	loc, err := Locate(context.Background(), cfg, s.Stack, s.Env, s.ExecCommand)
	if err != nil {
		return plan.Step{}, err
	}
	if strings.HasSuffix(path, ageExt) {
		ids, err := identitiesFor(s, path)
		if err != nil {
			return plan.Step{}, err
		}
		x := &DecryptImport{Cfg: cfg, Loc: loc, File: path, Identities: ids, Now: c.o.Now(), FromOther: *fromOther, LockTimeout: lockWait, Progress: progress()}
		return plan.Step{Label: command, Args: []string{path}, Action: x}, nil
	}
	x, err := NewImport(cfg, loc, path, c.o.Now())
	if err != nil {
		return plan.Step{}, err
	}
	x.FromOther, x.LockTimeout, x.Progress = *fromOther, lockWait, progress()
	if err := x.CheckOrigin(); err != nil {
		return plan.Step{}, err
	}
	return plan.Step{Label: command, Args: []string{path}, Action: x}, nil
}

func (c *commands) cleanup(s *plan.Stack, command string, args []string) (plan.Step, error) {
	const help = retention.FlagsHelp + ", --older-than AGE (30d, 12h), --db-lock-timeout DURATION, --prune, --no-offsite (default: --keep-last 1, or the stack's KOMPOSE_KEEP_* variables)"
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	keepFlags := retention.AddFlags(fs)
	prune := fs.Bool("prune", false, "")
	noOffsite := fs.Bool("no-offsite", false, "")
	older := fs.String("older-than", "", "")
	lockTimeout := lockTimeoutFlag(fs)
	if _, err := plan.ParseArgs(command, fs, args, 0, help); err != nil {
		return plan.Step{}, err
	}
	lockWait, err := lockTimeout(command)
	if err != nil {
		return plan.Step{}, err
	}
	keep, err := keepFlags.Policy(settings.FromEnv(s.Env))
	if err != nil {
		return plan.Step{}, usagef("%s: %v", command, err)
	}
	if isSet(fs, "older-than") {
		if keep.Within, err = ParseAge(*older); err != nil {
			return plan.Step{}, usagef("%s: --older-than %q: %v", command, *older, err)
		}
	}
	if err := keep.Check(); err != nil {
		return plan.Step{}, usagef("%s: %v", command, err)
	}
	cfg, err := c.stackConfig(s, command)
	if err != nil {
		return plan.Step{}, err
	}
	x, err := NewCleanup(s.Policy, cfg, keep, c.o.Now())
	if err != nil {
		return plan.Step{}, err
	}
	x.LockTimeout = lockWait
	if x.Offsite, err = offsiteFor(s, cfg); err != nil {
		return plan.Step{}, err
	}
	if x.Offsite != nil {
		// No rule given at all (option or KOMPOSE_KEEP_*): the folder's
		// default of the newest dump is not a rule for the repository's
		// history, which is left alone.
		x.Offsite.NoRule = !keepFlags.Given(settings.FromEnv(s.Env)) && !isSet(fs, "older-than")
		x.Offsite.Keep, x.Offsite.Prune, x.Offsite.Disable = keep.ResticArgs(), *prune, *noOffsite
	}
	// The database the last import kept goes too: the server is asked
	// only when there is one.
	if x.KeptDB = ReadKept(cfg); x.KeptDB != "" {
		if x.Loc, err = Locate(context.Background(), cfg, s.Stack, s.Env, s.ExecCommand); err != nil {
			return plan.Step{}, err
		}
	}
	return plan.Step{Label: command, Args: args, Action: x}, nil
}

func (c *commands) list(s *plan.Stack, command string, args []string) (plan.Step, error) {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	noOffsite := fs.Bool("no-offsite", false, "")
	if _, err := plan.ParseArgs(command, fs, args, 0, "--no-offsite"); err != nil {
		return plan.Step{}, err
	}
	cfg, err := c.stackConfig(s, command)
	if err != nil {
		return plan.Step{}, err
	}
	engine := cfg.Engine
	if loc, err := Locate(context.Background(), cfg, s.Stack, s.Env, s.ExecCommand); err == nil {
		engine = loc.Engine
	}
	l := &Lister{Cfg: cfg, Now: c.o.Now, Engine: engine}
	if !*noOffsite {
		if l.Offsite, err = offsiteFor(s, cfg); err != nil {
			return plan.Step{}, err
		}
	}
	return plan.Step{Label: command, Args: []string{cfg.Name, cfg.DumpDir}, Action: l}, nil
}

// MaxAge is the longest --older-than kompose accepts: 100 years.
const MaxAge = retention.MaxAge

// ParseAge parses an age: a number of days (30d) or weeks (2w), or a Go
// duration (12h, 90m) ([retention.ParseAge]).
func ParseAge(s string) (time.Duration, error) { return retention.ParseAge(s) }

// isSet reports whether the option name was given (even as "").
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// LockTimeoutFlag is the option of db:export, db:import and db:cleanup
// that bounds the wait for the database lock. It is not the global
// --lock-timeout, the stack lock's wait: the two locks have two names.
const LockTimeoutFlag = "db-lock-timeout"

// oldLockTimeoutFlag is the database lock's option as it was spelled
// before it had a name of its own; still accepted after a db command, as
// crontabs may hold it.
const oldLockTimeoutFlag = "lock-timeout"

// lockTimeoutFlag adds --db-lock-timeout (and its old spelling,
// --lock-timeout); its check refuses a negative value, and both at once.
func lockTimeoutFlag(fs *flag.FlagSet) func(command string) (time.Duration, error) {
	d := DefaultLockTimeout
	fs.DurationVar(&d, LockTimeoutFlag, DefaultLockTimeout, "")
	fs.DurationVar(&d, oldLockTimeoutFlag, DefaultLockTimeout, "")
	return func(command string) (time.Duration, error) {
		name := LockTimeoutFlag
		if isSet(fs, oldLockTimeoutFlag) {
			if isSet(fs, LockTimeoutFlag) {
				return 0, usagef("%s: --%s and --%s: give one of them", command, LockTimeoutFlag, oldLockTimeoutFlag)
			}
			name = oldLockTimeoutFlag
		}
		if d < 0 {
			return 0, usagef("%s: --%s %s: must not be negative (0 means do not wait)", command, name, d)
		}
		return d, nil
	}
}

// dumpDirUse is what kompose does with a dump folder, for trust messages.
const dumpDirUse = "write dumps into"

// checkDumpDir refuses, at run time, a dump folder (and the folders above
// it) that another user may write: they could swap a dump, or plant a
// symlink where kompose writes.
func checkDumpDir(cfg Config, ex *plan.ActionEnv) error {
	p := policyOf(ex)
	// A folder not created yet (db:import of a FILE from elsewhere): the
	// part of it that exists is checked; kompose creates the rest.
	dir := cfg.DumpDir
	for {
		if _, err := os.Stat(dir); err == nil || filepath.Dir(dir) == dir {
			break
		}
		dir = filepath.Dir(dir)
	}
	return trust.NewTree(p).CheckDir(dumpDirUse, dir)
}

// lockDumps is how every database action starts at run time: it refuses a
// dump folder others may write (checkDumpDir), then takes the database's
// lock in dir, waiting up to timeout; what names the action for the lock's
// holder line and the busy message.
func lockDumps(ctx context.Context, ex *plan.ActionEnv, cfg Config, dir string, timeout time.Duration, what string) (*Lock, error) {
	if err := checkDumpDir(cfg, ex); err != nil {
		return nil, err
	}
	return AcquireLock(ctx, policyOf(ex), LockPath(dir, cfg.Name), timeout, what)
}

// policyOf is the trust policy of the stack an action runs for.
func policyOf(ex *plan.ActionEnv) trust.Policy {
	if ex != nil && ex.Stack != nil {
		return ex.Stack.Policy
	}
	return trust.Current()
}

// errorLine picks the line of a tool's error output that says what went
// wrong: the first ERROR/FATAL/error line (psql, pg_restore), not the
// CONTEXT or DETAIL lines after it; else the last line.
func errorLine(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for _, l := range lines {
		if strings.Contains(l, "ERROR:") || strings.Contains(l, "FATAL:") || strings.Contains(l, "error:") {
			return strings.TrimSpace(l)
		}
	}
	return strings.TrimSpace(lines[len(lines)-1])
}
