package vol

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/retention"
	"github.com/kompose-dev/kompose/pkg/safefile"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// splitTrusted separates the archives the trust rule accepts from files
// only named like archives (another user's, in a shared folder): those
// are never counted nor removed; why says the reason for each.
func splitTrusted(pol trust.Policy, all []Archive) (own []Archive, foreign map[string]string) {
	foreign = map[string]string{}
	for _, a := range all {
		fi, err := os.Lstat(a.Path)
		if err == nil {
			err = pol.Check("count as an archive", a.Path, fi)
		}
		var ue *trust.UnsafeError
		switch {
		case errors.As(err, &ue):
			foreign[a.Name] = ue.Reason
		case err != nil:
			foreign[a.Name] = err.Error()
		default:
			own = append(own, a)
		}
	}
	return own, foreign
}

// byBase groups archives by their target, bases sorted.
func byBase(all []Archive) ([]string, map[string][]Archive) {
	m := map[string][]Archive{}
	for _, a := range all {
		m[a.Base] = append(m[a.Base], a)
	}
	var bases []string
	for b := range m {
		bases = append(bases, b)
	}
	sort.Strings(bases)
	return bases, m
}

// Cleanup is the vol:cleanup step of one stack: for each volume with
// archives in the backup folder (volumes no longer in the compose file
// too), remove those the retention policy does not keep, with their
// manifests.
type Cleanup struct {
	Dir     string
	Policy  retention.Policy
	Now     time.Time
	Bases   []string
	Remove  map[string][]Archive
	Kept    map[string][]Archive
	Why     map[string]string // kept archive path -> reasons
	Foreign map[string]string
	// LockTimeout bounds the wait for each volume's lock.
	LockTimeout time.Duration
	// Offsite, when set, also applies the retention rules to the stack's
	// restic snapshots of its volumes (those of OffsiteNames, the volumes
	// named on the command line; every volume when none is).
	Offsite      *Offsite
	OffsiteNames []string
	// Restores are the restore folders killed `--from restic` runs may
	// have left (base -> folder names), removed under base's lock.
	Restores map[string][]string
}

// NewCleanup plans a cleanup of the archives in dir by keep.
func NewCleanup(pol trust.Policy, dir string, only []string, keep retention.Policy, now time.Time) (*Cleanup, error) {
	if err := keep.Check(); err != nil {
		return nil, err
	}
	all, err := List(dir, "")
	if err != nil {
		return nil, err
	}
	own, foreign := splitTrusted(pol, all)
	bases, groups := byBase(own)
	c := &Cleanup{Dir: dir, Policy: keep, Now: now, Foreign: foreign, Remove: map[string][]Archive{}, Kept: map[string][]Archive{}, Why: map[string]string{}}
	for _, b := range bases {
		if len(only) > 0 && !contains(only, b) {
			continue
		}
		c.Bases = append(c.Bases, b)
		list := groups[b]
		times := make([]time.Time, len(list))
		for i, a := range list {
			times[i] = a.Time
		}
		for _, d := range retention.Apply(keep, times, now) {
			a := list[d.Index]
			if d.Keep {
				c.Kept[b] = append(c.Kept[b], a)
				c.Why[a.Path] = d.Reason()
			} else {
				c.Remove[b] = append(c.Remove[b], a)
			}
		}
		if len(list) > 0 && len(c.Kept[b]) == 0 {
			return nil, fmt.Errorf("vol:cleanup of %s: %w", b, retention.ErrKeepsNothing)
		}
		c.keepNewestWithData(b)
	}
	c.Restores = restoreDirs(dir, only)
	return c, nil
}

// restoreDirs finds the restore folders in dir (restoreDirPrefix), by
// base, of the bases in only (all when empty). A restore from restic on
// a new host leaves one for a volume with no archive in the folder yet.
func restoreDirs(dir string, only []string) map[string][]string {
	m := map[string][]string{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), restoreDirStart)
		i := strings.LastIndexByte(rest, '-')
		if !ok || i <= 0 || !allDigits(rest[i+1:]) {
			continue
		}
		if b := rest[:i]; len(only) == 0 || contains(only, b) {
			m[b] = append(m[b], e.Name())
		}
	}
	return m
}

func allDigits(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

// keepNewestWithData keeps b's newest archive that holds file data when
// every archive the rules keep holds none (by their manifests): a volume
// emptied by `down -v` or a wrong mount archives as ok, and rotating the
// last real backup out behind such archives would lose the data. An
// archive without a readable manifest counts as holding data.
func (c *Cleanup) keepNewestWithData(b string) {
	for _, a := range c.Kept[b] {
		if m, err := ReadManifest(a.Path); err != nil || m.Counts.Bytes > 0 {
			return
		}
	}
	rm, best := c.Remove[b], -1
	for i, a := range rm {
		if best >= 0 && !a.Time.After(rm[best].Time) {
			continue
		}
		if m, err := ReadManifest(a.Path); err == nil && m.Counts.Bytes > 0 {
			best = i
		}
	}
	if best < 0 {
		return
	}
	a := rm[best]
	c.Remove[b] = append(rm[:best:best], rm[best+1:]...)
	c.Kept[b] = append(c.Kept[b], a)
	c.Why[a.Path] = "keep newest with contents (the newer archives hold no file data: an emptied volume?)"
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// HookArgs: hook_pre_vol_cleanup and hook_post_vol_cleanup receive the
// archives that are removed.
func (c *Cleanup) HookArgs() []string {
	var out []string
	for _, b := range c.Bases {
		for _, a := range c.Remove[b] {
			out = append(out, a.Path)
		}
	}
	return out
}

// Describe lists what would go and what stays, for the dry run.
func (c *Cleanup) Describe() []string {
	var lines []string
	if len(c.Bases) == 0 {
		lines = append(lines, "no archives in "+c.Dir)
	}
	for _, b := range c.Bases {
		lines = append(lines, fmt.Sprintf("%d archive(s) of %s in %s, keeping %s", len(c.Remove[b])+len(c.Kept[b]), b, c.Dir, c.Policy))
		for _, a := range c.Remove[b] {
			lines = append(lines, fmt.Sprintf("remove: %s (%s, %s old)", a.Name, output.HumanSize(a.Size), output.HumanAge(c.Now.Sub(a.Time))))
		}
		for _, a := range c.Kept[b] {
			lines = append(lines, fmt.Sprintf("keep:   %s (%s, %s old): %s", a.Name, output.HumanSize(a.Size), output.HumanAge(c.Now.Sub(a.Time)), c.Why[a.Path]))
		}
	}
	for _, n := range sortedKeys(c.Foreign) {
		lines = append(lines, fmt.Sprintf("not an archive of yours: %s (%s): left alone, never counted nor removed", n, c.Foreign[n]))
	}
	for _, b := range sortedKeys(c.Restores) {
		for _, n := range c.Restores[b] {
			lines = append(lines, fmt.Sprintf("remove: %s (the restore folder of a --from restic run of %s, when no such run holds its lock: one that was killed)", n, b))
		}
	}
	if c.Offsite != nil {
		lines = append(lines, c.Offsite.describeForget(c.OffsiteNames))
	}
	return lines
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Run removes the planned archives and their manifests, and, under each
// volume's lock, the temporary files of exports that were killed.
func (c *Cleanup) Run(ctx context.Context, ex *plan.ActionEnv) error {
	if _, err := os.Lstat(c.Dir); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(ex.Cmd.Stderr, "    no archives in %s\n", c.Dir)
		return c.Offsite.forget(ctx, ex, c.OffsiteNames)
	}
	if err := trust.NewTree(policyOf(ex)).CheckDir(dirUse, c.Dir); err != nil {
		return err
	}
	var errs []string
	removed, partials, restores, kept := 0, 0, 0, 0
	var freed int64
	for _, b := range c.lockBases() {
		l, err := lockTarget(ctx, policyOf(ex), c.Dir, Target{Name: b, Kind: Volume}, c.LockTimeout, "vol:cleanup of "+b)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		for _, a := range c.Remove[b] {
			if err := os.Remove(a.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err.Error())
				continue
			}
			_ = os.Remove(a.Path + ManifestSuffix)
			removed++
			freed += a.Size
		}
		kept += len(c.Kept[b])
		partials += removePartials(c.Dir, b)
		restores += removeRestoreDirs(policyOf(ex), c.Dir, b)
		l.Release()
	}
	// The folder is not synced: a removal lost in a crash leaves a backup
	// that the next cleanup removes again, and a sync per stack (a
	// millisecond or more each) was half of a 500-stack prune's time
	// (docs/performance.md).
	msg := fmt.Sprintf("    removed %d archive(s) (%s), kept %d", removed, output.HumanSize(freed), kept)
	if partials > 0 {
		msg += fmt.Sprintf(", and %d unfinished export file(s)", partials)
	}
	if restores > 0 {
		msg += fmt.Sprintf(", and %d restore folder(s) of killed --from restic runs", restores)
	}
	fmt.Fprintln(ex.Cmd.Stderr, msg)
	ferr := c.Offsite.forget(ctx, ex, c.OffsiteNames)
	if len(errs) > 0 {
		return errors.Join(fmt.Errorf("could not remove: %s", strings.Join(errs, "; ")), ferr)
	}
	return ferr
}

// removePartials removes the temporary files of base's exports in dir;
// call it holding base's lock (no export of it is running).
func removePartials(dir, base string) int {
	n := 0
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		final := safefile.PartialFinal(e.Name())
		if b, _, _, _, ok := parse(final); ok && b == base && e.Type().IsRegular() {
			if os.Remove(filepath.Join(dir, e.Name())) == nil {
				n++
			}
		}
	}
	return n
}

// lockBases are the bases Run locks: those with archives, then those
// with only restore folders.
func (c *Cleanup) lockBases() []string {
	out := slices.Clone(c.Bases)
	for _, b := range sortedKeys(c.Restores) {
		if !contains(out, b) {
			out = append(out, b)
		}
	}
	return out
}

// restoreDirPrefix starts the name of the private folder a `--from
// restic` run reads the archive of base into (os.MkdirTemp adds digits).
func restoreDirPrefix(base string) string { return restoreDirStart + base + "-" }

// restoreDirStart starts the name of every restore folder.
const restoreDirStart = ".restic-restore-"

// removeRestoreDirs removes the restore folders of base in dir that a
// killed `--from restic` run left; call it holding base's lock (such a
// run holds it while its folder exists). Only folders are removed that
// are kompose's: real directories (not symlinks) the trust rule pol
// accepts (owned by us, not writable by others), named
// restoreDirPrefix(base) and digits, so another base's ("data-x" for
// "data") is never taken.
func removeRestoreDirs(pol trust.Policy, dir, base string) int {
	n := 0
	prefix := restoreDirPrefix(base)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !allDigits(rest) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		fi, err := os.Lstat(p)
		if err != nil || !fi.IsDir() || pol.Check("remove the restore folder", p, fi) != nil {
			continue
		}
		if os.RemoveAll(p) == nil {
			n++
		}
	}
	return n
}

// Lister is the vol:list step of one stack.
type Lister struct {
	Dir string
	Now func() time.Time
	// Offsite, when set, lists the stack's restic snapshots too.
	Offsite *Offsite
}

// Run prints the stack's archives by volume, newest first, with size,
// age and what the manifest says they hold.
func (l *Lister) Run(ctx context.Context, ex *plan.ActionEnv) error {
	all, err := List(l.Dir, "")
	if err != nil {
		return err
	}
	own, foreign := splitTrusted(policyOf(ex), all)
	w := ex.Cmd.Stdout
	if len(own) == 0 {
		fmt.Fprintf(w, "    no archives in %s\n", l.Dir)
	}
	bases, groups := byBase(own)
	now := l.Now()
	for _, b := range bases {
		var total int64
		width := 0
		for _, a := range groups[b] {
			total += a.Size
			width = max(width, len(a.Name))
		}
		fmt.Fprintf(w, "    %d archive(s) of %s in %s, %s\n", len(groups[b]), b, l.Dir, output.HumanSize(total))
		for _, a := range groups[b] {
			fmt.Fprintf(w, "    %-*s  %9s  %8s  %s\n", width, a.Name, output.HumanSize(a.Size), output.HumanAge(now.Sub(a.Time)), contents(a))
		}
	}
	for _, n := range sortedKeys(foreign) {
		fmt.Fprintf(w, "    not an archive of yours: %s (%s): left alone, never counted nor removed\n", n, foreign[n])
	}
	entries, _ := os.ReadDir(l.Dir)
	for _, e := range entries {
		if _, _, _, _, ok := parse(safefile.PartialFinal(e.Name())); ok {
			fmt.Fprintf(w, "    not an archive: %s (an export running now, or one that was killed; vol:cleanup removes it)\n", e.Name())
		}
	}
	return l.listOffsite(ctx, ex)
}

// Archives are the archives vol:list shows, newest first: those in the
// folder that the trust rule pol accepts.
func (l *Lister) Archives(pol trust.Policy) ([]Archive, error) {
	all, err := List(l.Dir, "")
	if err != nil {
		return nil, err
	}
	own, _ := splitTrusted(pol, all)
	return own, nil
}

// contents says what the manifest beside an archive records.
func contents(a Archive) string {
	m, err := ReadManifest(a.Path)
	if err != nil {
		return "no manifest"
	}
	return fmt.Sprintf("%d entries, %s of files", m.Counts.Files, output.HumanSize(m.Counts.Bytes))
}
