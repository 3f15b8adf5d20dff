// Package envcrypt holds env:encrypt and env:edit, the commands that
// write a stack's (or the root's) .env.age: the .env encrypted with age,
// which pkg/fleet decrypts in memory where the plain .env would be read.
//
// Nothing decrypted is written anywhere but the private temporary file
// env:edit hands to the editor, in a folder of its own created 0700, and
// overwritten and removed when the editor is done (docs/security.md).
package envcrypt

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/kompose-dev/kompose/pkg/encrypt"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/fleet"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/safefile"
	"github.com/kompose-dev/kompose/pkg/stack"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// The commands of this package.
const (
	Encrypt = "env:encrypt"
	Edit    = "env:edit"
)

// RecipientsUse is what kompose does with a recipients file here, for
// trust refusals.
const RecipientsUse = "encrypt .env.age files to the recipients of"

// Commands returns env:encrypt and env:edit for a [plan.Builder].
func Commands() map[string]plan.CommandFunc {
	c := &commands{}
	return map[string]plan.CommandFunc{Encrypt: c.encrypt, Edit: c.edit}
}

// commands is the state of one run: whether the root's file was planned
// already (--root-env acts once, with the first stack).
type commands struct{ rootPlanned bool }

// options are the command-line options both commands share.
type options struct {
	recipients []string // -r, --recipient
	files      []string // --recipients-file
	rootEnv    bool
}

func (o *options) flags(fs *flag.FlagSet) {
	add := func(dst *[]string) func(string) error {
		return func(v string) error { *dst = append(*dst, v); return nil }
	}
	fs.Func("r", "", add(&o.recipients))
	fs.Func("recipient", "", add(&o.recipients))
	fs.Func("recipients-file", "", add(&o.files))
	fs.BoolVar(&o.rootEnv, "root-env", false, "")
}

// target says which files a command acts on: the stack's, or the root's
// with --root-env (once per run: the other stacks skip it).
func (c *commands) target(s *plan.Stack, o *options) (dir string, src env.Source, err error) {
	if !o.rootEnv {
		return s.Dir, env.SourceStackEnv, nil
	}
	if c.rootPlanned {
		return "", "", &plan.SkipError{Reason: "--root-env: the root's file is handled once, with the first stack"}
	}
	c.rootPlanned = true
	return filepath.Dir(s.Dir), env.SourceRootEnv, nil
}

// recipients are the age recipients the options name, else those of
// KOMPOSE_AGE_RECIPIENTS_FILE in kompose's own environment. what says
// how they were chosen, for the dry run.
func recipients(s *plan.Stack, o *options, command string) (rs []age.Recipient, what string, err error) {
	for _, r := range o.recipients {
		got, err := age.ParseRecipients(strings.NewReader(r))
		if err != nil || len(got) != 1 {
			// Never echoed: a private key pasted by mistake is a secret.
			return nil, "", plan.Usagef("%s: -r: not one age public key (age1…; the value is not shown)", command)
		}
		rs = append(rs, got...)
	}
	files := o.files
	what = fmt.Sprintf("%d recipient(s) of -r/--recipients-file", len(o.recipients))
	from := "--recipients-file"
	if len(rs) == 0 && len(files) == 0 {
		if p, ok := s.Env.FromProcess(encrypt.VarRecipients); ok && p != "" {
			files, from = []string{p}, encrypt.VarRecipients
		}
	}
	for _, f := range files {
		got, err := encrypt.RecipientsFrom(s.Policy, RecipientsUse, from, f)
		if err != nil {
			return nil, "", err
		}
		rs = append(rs, got...)
	}
	if len(rs) == 0 {
		return nil, "", plan.Usagef("%s: no recipients: name their age public keys with -r KEY or --recipients-file FILE, "+
			"or set %s in kompose's environment (an age file does not record its recipients)", command, encrypt.VarRecipients)
	}
	if from == encrypt.VarRecipients {
		what = fmt.Sprintf("%d recipient(s) of %s (%s)", len(rs), from, files[0])
	} else {
		what = fmt.Sprintf("%d recipient(s) of -r/--recipients-file", len(rs))
	}
	return rs, what, nil
}

// seal encrypts plain to rs, in memory.
func seal(plain []byte, rs []age.Recipient) ([]byte, error) {
	var b bytes.Buffer
	w, err := encrypt.Writer(&b, rs)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// verify checks that keys decrypt sealed (the content written for path)
// to plain.
func verify(keys *fleet.Keys, path string, sealed, plain []byte) error {
	got, err := keys.Open(path, sealed)
	if err != nil {
		return fmt.Errorf("%w: the new file would not be readable with %s: add its public key to the recipients", err, encrypt.VarIdentity)
	}
	defer clear(got)
	if !bytes.Equal(got, plain) {
		return fmt.Errorf("%s: the new file does not decrypt to what was encrypted", path)
	}
	return nil
}

// createNew writes data to path, which must not exist: first to a hidden
// temporary file in the same folder, then linked to its name, so a file
// of that name that appears meanwhile is never replaced and a failure
// leaves nothing.
func createNew(path string, data []byte, perm os.FileMode) error {
	f, err := safefile.CreatePartial(path)
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return safefile.WriteFailure(err, filepath.Dir(path), path)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists: not overwriting it", path)
		}
		return fmt.Errorf("create %s: %w", path, err)
	}
	safefile.SyncDir(filepath.Dir(path))
	return nil
}

// readChecked reads the file at path once the trust rule accepts it and
// the folders above it (as a .env).
func readChecked(pol trust.Policy, path string) ([]byte, os.FileMode, error) {
	if err := trust.NewTree(pol).CheckFile(fleet.EnvUse, path); err != nil {
		return nil, 0, err
	}
	var perm os.FileMode
	b, err := fleet.ReadSmall(path, func(fi fs.FileInfo) error {
		perm = fi.Mode().Perm()
		return pol.Check(fleet.EnvUse, path, fi)
	})
	return b, perm, err
}

// filePerm is the mode of a new .env.age: the plain file's, without
// execute bits or write for others.
func filePerm(plain os.FileMode) os.FileMode { return plain &^ 0o133 }

// exists reports whether something (a file, a link) is at path.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil || !errors.Is(err, fs.ErrNotExist)
}

// names returns the plain and the encrypted file of dir.
func names(dir string) (plain, enc string) {
	return filepath.Join(dir, stack.EnvFileName), filepath.Join(dir, stack.EnvAgeFileName)
}
