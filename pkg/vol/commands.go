package vol

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/kompose-dev/kompose/pkg/codec"
	"github.com/kompose-dev/kompose/pkg/encrypt"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/retention"
	"github.com/kompose-dev/kompose/pkg/settings"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// Options are what the volume commands need from the command line
// around them.
type Options struct {
	Cwd string           // where a relative vol:import ./ARCHIVE is looked for
	Now func() time.Time // names the archives
}

// DefaultLockTimeout is how long a run waits for another one working on
// the same volume's archives (--vol-lock-timeout).
const DefaultLockTimeout = time.Minute

// Commands returns vol:export, vol:cleanup and vol:list for a plan [plan.Builder].
func Commands(o Options) map[string]plan.CommandFunc {
	c := &commands{o: o}
	return map[string]plan.CommandFunc{
		"vol:export":  c.export,
		"vol:cleanup": c.cleanup,
		"vol:list":    c.list,
		"vol:import":  c.importCmd,
		"vol:verify":  c.verify,
	}
}

type commands struct {
	o Options
	// importStacks counts the stacks a vol:import is planned for.
	importStacks []string
}

func (c *commands) export(s *plan.Stack, command string, args []string) (plan.Step, error) {
	const help = "[VOLUME...], --compress zstd|gzip|none (default zstd), --vol-lock-timeout DURATION, --no-offsite"
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	compress := fs.String("compress", "zstd", "")
	noOffsite := fs.Bool("no-offsite", false, "")
	lockWait := fs.Duration("vol-lock-timeout", DefaultLockTimeout, "")
	names, err := plan.ParseArgs(command, fs, args, 1<<16, help)
	if err != nil {
		return plan.Step{}, err
	}
	cod, err := codec.Parse(*compress)
	if err != nil {
		return plan.Step{}, plan.Usagef("%s: --compress %v", command, err)
	}
	if *lockWait < 0 {
		return plan.Step{}, plan.Usagef("%s: --vol-lock-timeout %s: must not be negative", command, *lockWait)
	}
	all, proj, b, err := Targets(context.Background(), s)
	if err != nil {
		return plan.Step{}, err
	}
	targets, err := Select(all, names)
	if err != nil {
		return plan.Step{}, plan.Usagef("%s: %v", command, err)
	}
	if len(targets) == 0 {
		return plan.Step{}, &plan.SkipError{Reason: "no volumes or bind mounts inside its folder"}
	}
	dir, err := Dir(s.Env, s.Name, s.Dir)
	if err != nil {
		return plan.Step{}, err
	}
	// A backup folder another user may write is refused before anything
	// runs; one that does not exist yet is checked once created.
	if _, err := os.Lstat(dir); err == nil {
		if err := trust.NewTree(s.Policy).CheckDir(dirUse, dir); err != nil {
			return plan.Step{}, err
		}
	}
	x := &Export{Stack: s.Name, Project: proj.Name, Dir: dir, Targets: targets, Time: c.o.Now(),
		Pipe: Pipeline{Codec: cod, Exclude: b.Exclude}, LockTimeout: *lockWait, Stop: b.Stop}
	if err := x.plugSeams(s, *noOffsite); err != nil {
		return plan.Step{}, err
	}
	for _, t := range targets {
		x.Paths = append(x.Paths, freePath(dir, t.FileBase(), x.Time, x.Pipe.Suffix()))
	}
	for _, t := range all {
		if t.External && len(names) == 0 {
			x.Notes = append(x.Notes, fmt.Sprintf("external volume %s (%s) left out: name it to archive it", t.Name, t.Engine))
		}
	}
	for _, n := range sortedServices(proj) {
		if img := proj.Services[n].Image; img != "" {
			x.Images = append(x.Images, img)
		} else {
			x.Images = append(x.Images, proj.Name+"-"+n) // compose's name for a built image
		}
	}
	var shown []string
	for _, p := range x.Paths {
		shown = append(shown, filepath.Base(p))
	}
	return plan.Step{Label: command, Args: shown, Action: x}, nil
}

// plugSeams plans what the stack's environment adds to the writer: the
// restic repository (the Tee) and age (the Layer).
func (x *Export) plugSeams(s *plan.Stack, noOffsite bool) error {
	var err error
	if x.Offsite, err = offsiteFor(s); err != nil {
		return err
	}
	if x.Offsite != nil {
		x.Offsite.Disable = noOffsite
	}
	enc, err := encryptionFor(s)
	if err != nil {
		return err
	}
	if enc != nil {
		x.Pipe.Layers = []Layer{enc}
	}
	return nil
}

func (c *commands) dir(s *plan.Stack) (string, error) {
	dir, err := Dir(s.Env, s.Name, s.Dir)
	if err != nil {
		return "", err
	}
	if _, err := os.Lstat(dir); err == nil {
		if err := trust.NewTree(s.Policy).CheckDir(dirUse, dir); err != nil {
			return "", err
		}
	}
	return dir, nil
}

func (c *commands) cleanup(s *plan.Stack, command string, args []string) (plan.Step, error) {
	const help = "[VOLUME...], " + retention.FlagsHelp + ", --older-than AGE (30d, 12h), --vol-lock-timeout DURATION, --prune, --no-offsite (default: --keep-last 1, or the stack's KOMPOSE_KEEP_* variables)"
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	keepFlags := retention.AddFlags(fs)
	prune := fs.Bool("prune", false, "")
	noOffsite := fs.Bool("no-offsite", false, "")
	older := fs.String("older-than", "", "")
	lockWait := fs.Duration("vol-lock-timeout", DefaultLockTimeout, "")
	names, err := plan.ParseArgs(command, fs, args, 1<<16, help)
	if err != nil {
		return plan.Step{}, err
	}
	keep, err := keepFlags.Policy(settings.FromEnv(s.Env))
	if err != nil {
		return plan.Step{}, plan.Usagef("%s: %v", command, err)
	}
	if *older != "" || isSet(fs, "older-than") {
		if keep.Within, err = retention.ParseAge(*older); err != nil {
			return plan.Step{}, plan.Usagef("%s: --older-than %q: %v", command, *older, err)
		}
	}
	if err := keep.Check(); err != nil {
		return plan.Step{}, plan.Usagef("%s: %v", command, err)
	}
	if *lockWait < 0 {
		return plan.Step{}, plan.Usagef("%s: --vol-lock-timeout %s: must not be negative", command, *lockWait)
	}
	dir, err := c.dir(s)
	if err != nil {
		return plan.Step{}, err
	}
	var only []string
	for _, n := range names {
		only = append(only, Target{Name: n}.FileBase())
	}
	x, err := NewCleanup(s.Policy, dir, only, keep, c.o.Now())
	if err != nil {
		return plan.Step{}, err
	}
	x.LockTimeout = *lockWait
	if x.Offsite, err = offsiteFor(s); err != nil {
		return plan.Step{}, err
	}
	if x.Offsite != nil {
		// No rule given at all: the repository keeps its history (the
		// folder's default of one archive is not restic's).
		x.Offsite.NoRule = !keepFlags.Given(settings.FromEnv(s.Env)) && !isSet(fs, "older-than")
		x.Offsite.Keep, x.Offsite.Prune, x.Offsite.Disable = keep.ResticArgs(), *prune, *noOffsite
		x.OffsiteNames = names
	}
	return plan.Step{Label: command, Args: args, Action: x}, nil
}

func (c *commands) list(s *plan.Stack, command string, args []string) (plan.Step, error) {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	noOffsite := fs.Bool("no-offsite", false, "")
	if _, err := plan.ParseArgs(command, fs, args, 0, "--no-offsite"); err != nil {
		return plan.Step{}, err
	}
	dir, err := c.dir(s)
	if err != nil {
		return plan.Step{}, err
	}
	l := &Lister{Dir: dir, Now: c.o.Now}
	if !*noOffsite {
		if l.Offsite, err = offsiteFor(s); err != nil {
			return plan.Step{}, err
		}
	}
	return plan.Step{Label: command, Args: []string{dir}, Action: l}, nil
}

// isSet reports whether the option name was given (even as "").
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// importCmd plans vol:import, with its safety copy sealed (age) when the
// stack encrypts its archives (sealFor).
func (c *commands) importCmd(s *plan.Stack, command string, args []string) (plan.Step, error) {
	st, err := c.importStep(s, command, args)
	if err != nil {
		return st, err
	}
	seal, err := sealFor(s)
	if err != nil {
		return plan.Step{}, fmt.Errorf("%s: %w", command, err)
	}
	switch a := st.Action.(type) {
	case *Import:
		a.Seal = seal
	case *FromRestic:
		a.Import.Seal = seal
	}
	return st, nil
}

func (c *commands) importStep(s *plan.Stack, command string, args []string) (plan.Step, error) {
	const help = "ARCHIVE | --from restic[:SNAPSHOT], --volume NAME, --force, --vol-lock-timeout DURATION"
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	volume := fs.String("volume", "", "")
	force := fs.Bool("force", false, "")
	from := fs.String("from", "", "")
	lockWait := fs.Duration("vol-lock-timeout", DefaultLockTimeout, "")
	pos, err := plan.ParseArgs(command, fs, args, 1, help)
	if err != nil {
		return plan.Step{}, err
	}
	what := *from
	if isSet(fs, "from") {
		if len(pos) != 0 {
			return plan.Step{}, plan.Usagef("%s --from %s reads the archive from the repository: it takes no ARCHIVE", command, *from)
		}
	} else if len(pos) != 1 {
		return plan.Step{}, plan.Usagef("%s: which archive? (options: %s)", command, help)
	} else {
		what = pos[0]
	}
	c.importStacks = append(c.importStacks, s.Name)
	if len(c.importStacks) > 1 {
		return plan.Step{}, plan.Usagef("%s %s: one archive goes into one stack's volume, and the pattern selects several (%s)", command, what, strings.Join(c.importStacks, ", "))
	}
	if *lockWait < 0 {
		return plan.Step{}, plan.Usagef("%s: --vol-lock-timeout %s: must not be negative", command, *lockWait)
	}
	if isSet(fs, "from") {
		return c.importFrom(s, command, *from, *volume, *force, *lockWait)
	}
	dir, err := c.dir(s)
	if err != nil {
		return plan.Step{}, err
	}
	path, err := resolveArchive(dir, c.o.Cwd, pos[0])
	if err != nil {
		return plan.Step{}, err
	}
	var ids []age.Identity
	if strings.HasSuffix(path, encrypt.Ext) {
		if ids, err = identitiesFor(s, true); err != nil {
			return plan.Step{}, fmt.Errorf("%s %s: %w", command, pos[0], err)
		}
	}
	rp, err := readPipeline(path, ids)
	if err != nil {
		return plan.Step{}, plan.Usagef("%s: %v", command, err)
	}
	m, merr := ReadManifest(path)
	all, proj, _, err := Targets(context.Background(), s)
	if err != nil {
		return plan.Step{}, err
	}
	t, err := importTarget(command, all, *volume, path, m, merr)
	if err != nil {
		return plan.Step{}, err
	}
	if !*force {
		if err := checkOrigin(command, pos[0], s.Name, t, m, merr); err != nil {
			return plan.Step{}, err
		}
	}
	x := &Import{Stack: s.Name, Project: proj.Name, Dir: dir, Target: t, Archive: path, Codec: rp.Codec, Layers: rp.Layers, Time: c.o.Now(), LockTimeout: *lockWait, Force: *force}
	if merr == nil {
		x.Manifest = m
	}
	for _, n := range sortedServices(proj) {
		if img := proj.Services[n].Image; img != "" {
			x.Images = append(x.Images, img)
		}
	}
	return plan.Step{Label: command, Args: []string{path}, Action: x}, nil
}

func (c *commands) verify(s *plan.Stack, command string, args []string) (plan.Step, error) {
	const help = "[ARCHIVE...] | --from restic[:SNAPSHOT] [--volume NAME] (default: the newest archive of each volume)"
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	from := fs.String("from", "", "")
	volume := fs.String("volume", "", "")
	pos, err := plan.ParseArgs(command, fs, args, 1<<16, help)
	if err != nil {
		return plan.Step{}, err
	}
	dir, err := c.dir(s)
	if err != nil {
		return plan.Step{}, err
	}
	v := &Verify{Dir: dir}
	if v.Identities, err = identitiesFor(s, false); err != nil {
		return plan.Step{}, err
	}
	if isSet(fs, "from") {
		if len(pos) > 0 {
			return plan.Step{}, plan.Usagef("%s --from %s reads the archive from the repository: it takes no ARCHIVE", command, *from)
		}
		st, err := c.importFrom(s, command, *from, *volume, false, 0)
		if err != nil {
			return plan.Step{}, err
		}
		v.Restic = st.Action.(*FromRestic)
		return plan.Step{Label: command, Args: []string{"--from", *from}, Action: v}, nil
	}
	for _, a := range pos {
		p, err := resolveArchive(dir, c.o.Cwd, a)
		if err != nil {
			return plan.Step{}, err
		}
		v.Archives = append(v.Archives, p)
	}
	if len(pos) == 0 {
		all, err := List(dir, "")
		if err != nil {
			return plan.Step{}, err
		}
		own, _ := splitTrusted(s.Policy, all)
		bases, groups := byBase(own)
		for _, b := range bases {
			v.Archives = append(v.Archives, groups[b][0].Path)
		}
	}
	if len(v.Archives) == 0 {
		return plan.Step{}, &plan.SkipError{Reason: "no volume archives in " + dir}
	}
	return plan.Step{Label: command, Args: args, Action: v}, nil
}

// resolveArchive finds vol:import's ARCHIVE: an absolute path, a path
// from the current folder (./x, ../x), else a name in the backup folder.
func resolveArchive(dir, cwd, arg string) (string, error) {
	path := arg
	switch {
	case filepath.IsAbs(arg):
	case strings.HasPrefix(arg, "./") || strings.HasPrefix(arg, "../"):
		path = filepath.Join(cwd, arg)
	default:
		path = filepath.Join(dir, arg)
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("archive %s not found in %s (a relative name is looked up in the backup folder; write ./%s for the current folder)", arg, filepath.Dir(path), arg)
	}
	return path, nil
}

// importTarget is the volume an archive goes into: --volume, else the
// one its manifest names, else the one its file name starts with.
func importTarget(command string, all []Target, volume, path string, m Manifest, merr error) (Target, error) {
	name := volume
	switch {
	case name != "":
	case merr == nil && m.Volume != "":
		name = m.Volume
	default:
		if b, _, _, _, ok := parse(filepath.Base(path)); ok {
			name = b
		}
	}
	if name == "" {
		return Target{}, plan.Usagef("%s: which volume does %s go into? give --volume NAME", command, filepath.Base(path))
	}
	sel, err := Select(all, []string{name})
	if err != nil {
		return Target{}, plan.Usagef("%s: %v", command, err)
	}
	return sel[0], nil
}

// checkOrigin refuses an archive without a manifest, or made for another
// stack or volume (vol:import without --force).
func checkOrigin(command, arg, stackName string, t Target, m Manifest, merr error) error {
	switch {
	case merr != nil:
		return fmt.Errorf("%s: %s has no manifest (%v), so kompose cannot tell which stack and volume it was made for; --force restores it into %s %s anyway", command, arg, merr, t.Kind, t.Name)
	case m.Stack != stackName || m.Volume != t.Name:
		return fmt.Errorf("%s: %s was made for stack %s, %s %s; this is stack %s, %s %s: --force restores it anyway", command, arg, m.Stack, m.Kind, m.Volume, stackName, t.Kind, t.Name)
	}
	return nil
}
