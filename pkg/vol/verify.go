package vol

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/kompose-dev/kompose/pkg/encrypt"
	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/safefile"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// Verify is the vol:verify step of one stack: each archive read in full
// (decrypted, decompressed, every entry parsed) and compared with its
// manifest (sha256, entries, bytes). No volume and no container is
// touched. An archive that passes is recorded in the backup folder
// (.<volume>.kompose.verified), which status shows.
type Verify struct {
	Dir      string
	Archives []string // the archives to verify
	// Restic, when set, verifies a snapshot read back from the stack's
	// repository instead (the manifest of an archive of its name, when
	// the folder still has it, is compared too).
	Restic     *FromRestic
	Identities []age.Identity
}

// HookArgs: hook_pre_vol_verify and hook_post_vol_verify receive the
// archives (restic:<ID> for a snapshot).
func (v *Verify) HookArgs() []string {
	if v.Restic != nil {
		return v.Restic.HookArgs()
	}
	return v.Archives
}

// Describe says what the verification does, for the dry run.
func (v *Verify) Describe() []string {
	var lines []string
	if v.Restic != nil {
		lines = append(lines, v.Restic.Describe()[0])
	}
	for _, a := range v.Archives {
		lines = append(lines, "verify:  "+a)
	}
	return append(lines, "how:     read in full (decrypted, decompressed, every entry parsed) and compared with the manifest beside it (sha256, entries, bytes); no volume is touched")
}

// Run verifies each archive; one that fails does not stop the others.
func (v *Verify) Run(ctx context.Context, ex *plan.ActionEnv) error {
	if v.Restic != nil {
		return v.fromRestic(ctx, ex)
	}
	var errs []string
	for _, a := range v.Archives {
		m, err := ReadManifest(a)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: verification failed: no manifest to compare with (%v)", a, err))
			continue
		}
		if err := v.one(ctx, ex, a, a, m, true); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// one verifies the archive at path (named as name) against m.
// A snapshot read back from restic may have no manifest left in the
// folder (needManifest false): it then passes on reading whole, and says
// so.
func (v *Verify) one(ctx context.Context, ex *plan.ActionEnv, path, name string, m Manifest, needManifest bool) error {
	start := time.Now()
	p, err := readPipeline(path, v.Identities)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if len(p.Layers) > 0 && len(v.Identities) == 0 {
		return fmt.Errorf("%s is encrypted (age): set %s to the file of the key that decrypts it", name, encrypt.VarIdentity)
	}
	imp := Import{Archive: path, Codec: p.Codec, Layers: p.Layers, Manifest: m}
	got, err := imp.check(ctx, ex)
	if err != nil {
		return fmt.Errorf("verification failed: %w", err)
	}
	if m.Version == 0 {
		if needManifest {
			return fmt.Errorf("verification failed: %s has no manifest to compare with (it reads whole: %d entries, %s of files)", name, got.Files, output.HumanSize(got.Bytes))
		}
		fmt.Fprintf(ex.Cmd.Stderr, "    verified %s: reads whole (%d entries, %s of files); no manifest of it left in %s to compare with\n", name, got.Files, output.HumanSize(got.Bytes), v.Dir)
		return nil
	}
	base := Target{Name: m.Volume}.FileBase()
	if err := safefile.WriteFile(VerifiedPath(v.Dir, base), []byte(strconv.FormatInt(time.Now().Unix(), 10)+"\n"), 0o600); err != nil {
		fmt.Fprintf(ex.Cmd.Stderr, "    warning: could not record the verification in %s: %v\n", VerifiedPath(v.Dir, base), err)
	}
	fmt.Fprintf(ex.Cmd.Stderr, "    verified %s: reads whole and matches its manifest (%d entries, %s of files, sha256 %.12s…) in %.1fs\n", name, got.Files, output.HumanSize(got.Bytes), m.SHA256, time.Since(start).Seconds())
	return nil
}

// fromRestic reads the snapshot back into a private folder and verifies
// it against the manifest of an archive of its name in the folder.
func (v *Verify) fromRestic(ctx context.Context, ex *plan.ActionEnv) error {
	if err := trust.NewTree(policyOf(ex)).CheckDir(dirUse, v.Dir); err != nil {
		return err
	}
	t := v.Restic.Import.Target
	l, err := lockTarget(ctx, policyOf(ex), v.Dir, t, DefaultLockTimeout, "vol:verify --from restic of "+t.Name)
	if err != nil {
		return err
	}
	defer l.Release()
	dir, err := os.MkdirTemp(v.Dir, restoreDirPrefix(t.FileBase()))
	if err != nil {
		return fmt.Errorf("restore folder: %w", err)
	}
	defer os.RemoveAll(dir)
	path, err := v.Restic.readBack(ctx, ex, dir)
	if err != nil {
		return err
	}
	m, err := ReadManifest(filepath.Join(v.Dir, filepath.Base(path)))
	if err != nil || m.Stack != v.Restic.Import.Stack || m.Volume != v.Restic.Import.Target.Name {
		m = Manifest{}
	}
	return v.one(ctx, ex, path, "restic snapshot of "+filepath.Base(path), m, false)
}

// VerifiedPath is the record of the last vol:verify that passed for the
// archives of base in dir.
func VerifiedPath(dir, base string) string {
	return filepath.Join(dir, "."+base+".kompose.verified")
}

// ReadVerified returns when an archive of base in dir last passed
// vol:verify (zero: never, or no trusted record).
func ReadVerified(dir, base string) time.Time {
	f, err := safefile.OpenReadBack(trust.NewTree(trust.Current()), "read the record of the last vol:verify", VerifiedPath(dir, base))
	if err != nil || f == nil {
		return time.Time{}
	}
	defer f.Close()
	var b [32]byte
	n, _ := f.Read(b[:])
	sec, err := strconv.ParseInt(strings.TrimSpace(string(b[:n])), 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(sec, 0)
}
