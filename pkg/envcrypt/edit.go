package envcrypt

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"filippo.io/age"

	"github.com/kompose-dev/kompose/pkg/encrypt"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/fleet"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
	"github.com/kompose-dev/kompose/pkg/safefile"
	"github.com/kompose-dev/kompose/pkg/trust"
)

const editHelp = "-r/--recipient AGE_PUBLIC_KEY (repeatable), --recipients-file FILE (repeatable; default: " +
	encrypt.VarRecipients + " of kompose's environment), --root-env"

// Editing is env:edit for one .env.age: decrypted to a private temporary
// file, edited with the user's editor, checked, encrypted again and put
// in place atomically; the temporary file is overwritten and removed.
type Editing struct {
	Enc        string
	Src        env.Source
	Recipients []age.Recipient
	Who        string
	Editor     []string // the program and its arguments; the file is added
	Keys       *fleet.Keys
}

func (c *commands) edit(s *plan.Stack, command string, args []string) (plan.Step, error) {
	var o options
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	o.flags(fs)
	if _, err := plan.ParseArgs(command, fs, args, 0, editHelp); err != nil {
		return plan.Step{}, err
	}
	keys := fleet.NewKeys(s.Env, s.Policy)
	if !keys.Set() {
		return plan.Step{}, plan.Usagef("%s: set %s in kompose's environment to the age identity file that decrypts the .env.age", command, encrypt.VarIdentity)
	}
	dir, src, err := c.target(s, &o)
	if err != nil {
		return plan.Step{}, err
	}
	_, enc := names(dir)
	if !exists(enc) {
		return plan.Step{}, fmt.Errorf("%s: there is no %s (make one from a .env with env:encrypt)", command, enc)
	}
	rs, who, err := recipients(s, &o, command)
	if err != nil {
		return plan.Step{}, err
	}
	x := &Editing{Enc: enc, Src: src, Recipients: rs, Who: who, Editor: Editor(s.Env), Keys: keys}
	return plan.Step{Label: command, Args: []string{enc}, Action: x}, nil
}

// Editor is the editor of kompose's own environment: VISUAL, else
// EDITOR, else vi, split at blanks ("code --wait"). A .env cannot choose
// it: it would be a program kompose runs.
func Editor(e *env.Env) []string {
	for _, k := range []string{"VISUAL", "EDITOR"} {
		if v, _ := e.FromProcess(k); strings.TrimSpace(v) != "" {
			return strings.Fields(v)
		}
	}
	return []string{"vi"}
}

// HookArgs: hook_pre_env_edit and hook_post_env_edit receive the file's
// path.
func (x *Editing) HookArgs() []string { return []string{x.Enc} }

// Describe says what env:edit does, for the dry run.
func (x *Editing) Describe() []string {
	return []string{
		"decrypts: " + x.Enc + " with the key(s) of " + encrypt.VarIdentity + ", to a private temporary file (its folder 0700, the file 0600)",
		"edits:    with " + strings.Join(x.Editor, " ") + " (VISUAL, else EDITOR, else vi, from kompose's environment)",
		"writes:   " + x.Enc + ", encrypted with age to the " + x.Who + ", replaced atomically once the edited file parses and the new file decrypts; the temporary file is overwritten and removed",
	}
}

// Run decrypts, edits, checks and encrypts again.
func (x *Editing) Run(ctx context.Context, ex *plan.ActionEnv) error {
	// The trust rule checks the name and any link on the way; what is
	// written is the file the name leads to, with that file's mode (a
	// link's own mode is 0777), so a link stays a link.
	_, perm, err := readChecked(ex.Stack.Policy, x.Enc)
	if err != nil {
		return err
	}
	dest, err := filepath.EvalSymlinks(x.Enc)
	if err != nil {
		return fmt.Errorf("env:edit: %w", err)
	}
	plain, err := x.Keys.Decrypt(x.Enc)
	if err != nil {
		return err
	}
	defer clear(plain)
	parent, err := tempParent(ex.Stack)
	if err != nil {
		return err
	}
	tmpDir, err := os.MkdirTemp(parent, "kompose-env-edit-")
	if err != nil {
		return fmt.Errorf("env:edit: temporary folder: %w", err)
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, ".env")
	defer shred(tmp)
	if err := writePrivate(tmp, plain); err != nil {
		return err
	}
	edited, err := x.runEditor(ctx, ex, tmp)
	if err != nil {
		return err
	}
	defer clear(edited)
	if bytes.Equal(edited, plain) {
		fmt.Fprintf(ex.Cmd.Stdout, "%s: no change\n", x.Enc)
		return nil
	}
	// Parsed as kompose will read it: a mistake keeps the old file.
	if err := env.FromEnviron(ex.Stack.Env.ProcessEnviron()).LoadData(x.Enc, edited, x.Src, true); err != nil {
		return fmt.Errorf("%w; %s is unchanged", err, x.Enc)
	}
	sealed, err := seal(edited, x.Recipients)
	if err != nil {
		return fmt.Errorf("encrypt %s: %w", x.Enc, err)
	}
	if err := verify(x.Keys, x.Enc, sealed, edited); err != nil {
		return fmt.Errorf("%w; %s is unchanged", err, x.Enc)
	}
	if err := safefile.WriteFile(dest, sealed, filePerm(perm)); err != nil {
		return err
	}
	fmt.Fprintf(ex.Cmd.Stdout, "wrote %s (age, %s)\n", x.Enc, x.Who)
	return nil
}

// runEditor runs the editor on tmp, with kompose's own environment (not
// the stack's: the editor needs none of its secrets), and returns what
// the file holds afterwards.
func (x *Editing) runEditor(ctx context.Context, ex *plan.ActionEnv, tmp string) ([]byte, error) {
	c := proc.Cmd{Argv: append(append([]string(nil), x.Editor...), tmp), Dir: filepath.Dir(tmp),
		Env: ex.Stack.Env.ProcessEnviron(), Stdin: ex.Cmd.Stdin, Stdout: ex.Cmd.Stdout, Stderr: ex.Cmd.Stderr}
	if err := ex.Proc.Run(ctx, c); err != nil {
		return nil, fmt.Errorf("editor %s: %w; %s is unchanged", x.Editor[0], err, x.Enc)
	}
	b, err := fleet.ReadSmall(tmp, nil)
	if err != nil {
		return nil, fmt.Errorf("%w; %s is unchanged", err, x.Enc)
	}
	return b, nil
}

// writePrivate creates path, which must not exist, readable by its owner
// only, without following a link.
func writePrivate(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("env:edit: temporary file: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("env:edit: temporary file: %w", err)
	}
	return nil
}

// shred overwrites the file at path with zeros, as long as it is, and
// removes it. An editor that saved by writing a new file and renaming it
// left the old blocks to the file system: docs/security.md says so.
func shred(path string) {
	f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err == nil {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			_, _ = f.Write(make([]byte, fi.Size()))
			_ = f.Sync()
		}
		f.Close()
	}
	_ = os.Remove(path)
}

// TempUse is what env:edit does with its temporary folder's parent, for
// trust refusals.
const TempUse = "decrypt env:edit's temporary file in"

// tempParent is where env:edit makes its private folder: $TMPDIR of
// kompose's own environment when set, else /dev/shm (memory, not a disk)
// when it is a sticky folder, else /tmp. It must pass the trust rule with
// the folders above it: the owner of a folder others may change could
// swap kompose's private folder for one of its own and read what the
// editor saves there (a sticky /tmp is fine: nobody else may rename
// kompose's folder in it).
func tempParent(s *plan.Stack) (string, error) {
	dir, _ := s.Env.FromProcess("TMPDIR")
	if dir == "" {
		dir = "/tmp"
		if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() && fi.Mode()&os.ModeSticky != 0 {
			dir = "/dev/shm"
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("env:edit: TMPDIR %s: %w", dir, err)
	}
	if err := trust.NewTree(s.Policy).CheckDir(TempUse, abs); err != nil {
		return "", fmt.Errorf("env:edit: %w (set TMPDIR to a private folder)", err)
	}
	return abs, nil
}
