package fleet

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"syscall"

	"filippo.io/age"

	"github.com/kompose-dev/kompose/pkg/encrypt"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/trust"
)

// KeyUse is what kompose does with the identity file of a .env.age, for
// trust refusals.
const KeyUse = "decrypt .env.age files with the keys of"

// MaxEnvAge bounds a .env.age and what it decrypts to: a .env is a few
// kilobytes; anything this large is not one.
const MaxEnvAge = 1 << 20

// Set reports whether KOMPOSE_AGE_IDENTITY_FILE is set.
func (k *Keys) Set() bool { return k.path != "" }

// Keys are the age identities that decrypt .env.age files: those of the
// file KOMPOSE_AGE_IDENTITY_FILE names in kompose's own process
// environment (never a .env: the key that opens the secrets is the
// server's, not the repository's, and a .env, perhaps pulled from git,
// must not choose it), read once, when a .env.age is first met.
type Keys struct {
	path string // "" when the variable is not set
	pol  trust.Policy
	ids  []age.Identity
	err  error
	read bool
}

// NewKeys returns the keys named by KOMPOSE_AGE_IDENTITY_FILE in base's
// process layer ([env.Env.FromProcess]), checked with pol when read.
func NewKeys(base *env.Env, pol trust.Policy) *Keys {
	p, _ := base.FromProcess(encrypt.VarIdentity)
	return &Keys{path: p, pol: pol}
}

// identities reads the identity file once.
func (k *Keys) identities() ([]age.Identity, error) {
	if !k.read {
		k.read = true
		if k.path == "" {
			k.err = errors.New("it is encrypted (age) and " + encrypt.VarIdentity + " is not set in kompose's environment: " +
				"set it to the age identity file that decrypts it (a .env cannot set it)")
		} else {
			k.ids, k.err = encrypt.IdentitiesFor(k.pol, KeyUse, k.path)
		}
	}
	return k.ids, k.err
}

// Decrypt reads the .env.age at path (its trust checked by the caller)
// and returns its content, decrypted in memory; nothing is written
// anywhere. The error names the file and what is wrong, never a key or a
// value.
func (k *Keys) Decrypt(path string) ([]byte, error) {
	if _, err := k.identities(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	data, err := ReadSmall(path, func(fi fs.FileInfo) error { return k.pol.Check(EnvUse, path, fi) })
	if err != nil {
		return nil, err
	}
	return k.Open(path, data)
}

// Open decrypts data, the content of the .env.age at path, in memory
// (see [Keys.Decrypt]).
func (k *Keys) Open(path string, data []byte) ([]byte, error) {
	ids, err := k.identities()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out, err := encrypt.DecryptAll(data, ids, MaxEnvAge)
	if err != nil {
		return nil, fmt.Errorf("cannot decrypt %s: %w", path, err)
	}
	return out, nil
}

// ReadSmall reads the regular file at path, refusing one over
// [MaxEnvAge] bytes (plus age's overhead) and one that is not a regular
// file (a FIFO would block). check, when not nil, is asked about the
// opened file before anything is read (the trust rule: what is read is
// what was checked, even if the name was swapped meanwhile).
func ReadSmall(path string, check func(fs.FileInfo) error) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if check != nil {
		if err := check(fi); err != nil {
			return nil, err
		}
	}
	const limit = MaxEnvAge + 64<<10
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%s is larger than 1 MB: not an encrypted .env", path)
	}
	return b, nil
}

// loadEnvAge checks the .env.age at path and the folders above it with
// tree, as a .env, decrypts it with keys and loads it into e: every
// variable it sets is a secret ([env.Env.LoadData]).
func loadEnvAge(e *env.Env, path string, src env.Source, tree *trust.Tree, keys *Keys) error {
	if err := tree.CheckFile(EnvUse, path); err != nil {
		return err
	}
	data, err := keys.Decrypt(path)
	if err != nil {
		return err
	}
	defer clear(data)
	before := codeFolderValues(e)
	if err := e.LoadData(path, data, src, true); err != nil {
		return err
	}
	if err := checkCodeFolders(e, before, path, tree); err != nil {
		return hideFolder(err, path)
	}
	return nil
}

// refusalHead is the start of a refusal of [checkCodeFolders]: the line
// and the variable.
var refusalHead = regexp.MustCompile(`line [0-9]+: [A-Za-z_][A-Za-z0-9_]*`)

// hideFolder is a refusal of [checkCodeFolders] about the .env.age at
// path with the folder left out: a value of an encrypted .env is a
// secret, also the PATH or DOCKER_CONFIG it sets.
func hideFolder(err error, path string) error {
	head := refusalHead.FindString(err.Error())
	if head == "" {
		head = "a variable"
	}
	name := head[strings.LastIndex(head, " ")+1:]
	return &trust.UnsafeError{Use: EnvUse, Path: path,
		Reason: head + " names a folder the trust rule refuses, or an empty or relative entry (not shown: every value of an encrypted .env is a secret)",
		Fix:    "look at " + name + " with env:edit: remove the folder from it, or make it one only trusted accounts can change"}
}

// BothError is a plain .env beside a .env.age: kompose would not know
// which to read.
type BothError struct{ Plain, Encrypted string }

func (e *BothError) Error() string {
	return fmt.Sprintf("both %s and %s exist: keep one (after env:encrypt, remove the plain file, or run env:encrypt with --remove-plain)", e.Plain, e.Encrypted)
}

// loadEnvFiles loads the .env at plain or the .env.age at enc ("" when
// there is none) into e; both present is a *[BothError].
func loadEnvFiles(e *env.Env, plain, enc string, src env.Source, tree *trust.Tree, keys *Keys) error {
	if tree == nil {
		tree = trust.NewTree(trust.Current())
	}
	switch {
	case plain != "" && enc != "":
		return &BothError{Plain: plain, Encrypted: enc}
	case enc != "":
		if keys == nil {
			keys = NewKeys(e, tree.Policy)
		}
		return loadEnvAge(e, enc, src, tree, keys)
	case plain != "":
		return loadEnv(e, plain, src, tree)
	}
	return nil
}
