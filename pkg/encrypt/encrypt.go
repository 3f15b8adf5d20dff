// Package encrypt encrypts kompose's backups at rest with age
// (filippo.io/age, the library of the age tool): a dump or an archive is
// encrypted as it is written, to the recipients (public keys) of
// KOMPOSE_AGE_RECIPIENTS_FILE, and decrypted for import with the
// identities (private keys) of KOMPOSE_AGE_IDENTITY_FILE. Files it
// encrypts end in ".age" and are read by the `age` command as well.
//
// Both files are read only when the trust rule accepts them and the
// folders that hold them (pkg/trust): another account that could add a
// recipient could read every later backup, and one that could change the
// identity file could swap what an import loads. What is read is what was
// checked (one open file, its owner and mode checked on it).
package encrypt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"filippo.io/age"

	"github.com/kompose-dev/kompose/pkg/trust"
)

// The variables naming the key files, and the extension of encrypted
// files.
const (
	VarRecipients = "KOMPOSE_AGE_RECIPIENTS_FILE"
	VarIdentity   = "KOMPOSE_AGE_IDENTITY_FILE"
	Ext           = ".age"
)

// Magic is how an age file starts.
var magic = []byte("age-encryption.org/v1\n")

// IsEncrypted reports whether head (a file's first bytes) is an age file.
func IsEncrypted(head []byte) bool { return bytes.HasPrefix(head, magic) }

// maxKeyFile bounds a recipients or identity file.
const maxKeyFile = 1 << 20

// readTrusted reads the file at path once the trust rule accepts it and
// the folders leading to it; its owner and mode are checked again on the
// open file, so the content read is the content checked. A private file
// (a key) must also be unreadable by group and others, as ssh requires
// of a private key.
func readTrusted(pol trust.Policy, use, path string, private bool) ([]byte, error) {
	if err := trust.NewTree(pol).CheckFile(use, path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if err := pol.Check(use, path, fi); err != nil {
		return nil, err
	}
	if perm := fi.Mode().Perm(); private && perm&0o077 != 0 {
		return nil, fmt.Errorf("%s is readable by its group or others (mode %04o): a private key must be its owner's only; run chmod 600 %s", path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxKeyFile {
		return nil, fmt.Errorf("%s is larger than 1 MB: not a key file", path)
	}
	return b, nil
}

// Recipients reads the recipients file at path (one age public key,
// age1…, per line; # comments): those every backup is encrypted to.
func Recipients(pol trust.Policy, path string) ([]age.Recipient, error) {
	return RecipientsFrom(pol, "encrypt backups to the recipients of", VarRecipients, path)
}

// RecipientsFrom is [Recipients] for another use (use says what kompose
// does with them, for trust refusals); what names where path came from
// in errors (a variable, an option).
func RecipientsFrom(pol trust.Policy, use, what, path string) ([]age.Recipient, error) {
	b, err := readTrusted(pol, use, path, false)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	rs, err := age.ParseRecipients(bytes.NewReader(b))
	if err != nil {
		// age's parse errors name the line, never a private key's
		// value (this file holds public keys).
		return nil, fmt.Errorf("%s=%s: %v", what, path, err)
	}
	return rs, nil
}

// Identities reads the identity file at path (age private keys,
// AGE-SECRET-KEY-1…, as age-keygen writes them). It refuses a file
// readable by group or others (age-keygen writes 0600): the key should
// have been private, and a backup encrypted to it is not.
func Identities(pol trust.Policy, path string) ([]age.Identity, error) {
	return IdentitiesFor(pol, "decrypt backups with the keys of", path)
}

// IdentitiesFor is [Identities] for another use of the keys (use says
// what kompose does with them, for trust refusals: "decrypt .env.age
// files with the keys of").
func IdentitiesFor(pol trust.Policy, use, path string) ([]age.Identity, error) {
	b, err := readTrusted(pol, use, path, true)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", VarIdentity, err)
	}
	ids, err := age.ParseIdentities(bytes.NewReader(b))
	if err != nil {
		// Never age's message: it may quote the line, a private key.
		return nil, fmt.Errorf("%s=%s: not an age identity file (age-keygen writes one)", VarIdentity, path)
	}
	return ids, nil
}

// Writer encrypts what is written to it into w, to rs. Close writes the
// last chunk and the file's authentication; it does not close w. Until
// Close, what w holds is not a valid age file: a writer that stops early
// leaves a file age refuses.
func Writer(w io.Writer, rs []age.Recipient) (io.WriteCloser, error) {
	if len(rs) == 0 {
		return nil, errors.New("no age recipients")
	}
	return age.Encrypt(w, rs...)
}

// Reader decrypts r with ids. A file cut short or changed makes Read fail;
// it never ends early with io.EOF.
func Reader(r io.Reader, ids []age.Identity) (io.Reader, error) {
	dr, err := age.Decrypt(r, ids...)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return nil, errors.New("none of the keys of " + VarIdentity + " can decrypt it")
		}
		return nil, fmt.Errorf("not a readable age file: %v", err)
	}
	return dr, nil
}

// DecryptAll decrypts the age file data with ids, in memory, and returns
// its content, at most max bytes. Its errors name no key and no content:
// a wrong key, a file cut short or changed since it was encrypted.
func DecryptAll(data []byte, ids []age.Identity, max int64) ([]byte, error) {
	if !IsEncrypted(data) {
		return nil, errors.New("not an age file (it does not start with the age header)")
	}
	r, err := Reader(bytes.NewReader(data), ids)
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		clear(out)
		return nil, fmt.Errorf("cut short or changed since it was encrypted (%v)", err)
	}
	if int64(len(out)) > max {
		clear(out)
		return nil, fmt.Errorf("decrypts to more than %d bytes", max)
	}
	return out, nil
}

// Plain is name without the .age extension.
func Plain(name string) string { return strings.TrimSuffix(name, Ext) }
