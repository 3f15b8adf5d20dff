package vol

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/kompose-dev/kompose/pkg/codec"
	"github.com/kompose-dev/kompose/pkg/encrypt"
	"github.com/kompose-dev/kompose/pkg/plan"
)

// ageLayer encrypts archives at rest with age (pkg/encrypt): the
// Pipeline's Layer, below the Tee, so the restic snapshot holds the
// ciphertext too. ids, when known (KOMPOSE_AGE_IDENTITY_FILE), let the
// archive be read back; without them it is sealed: written, never read.
type ageLayer struct {
	recipients []age.Recipient
	ids        []age.Identity
}

func (l *ageLayer) Suffix() string { return encrypt.Ext }

// describe is the dry run's line for the encryption.
func (l *ageLayer) describe() string {
	line := fmt.Sprintf("encrypt: age, to the %d recipient(s) of %s (.age; the compressed stream decompressed and parsed as it passes, before the age file is finished)", len(l.recipients), encrypt.VarRecipients)
	if len(l.ids) == 0 {
		return line + "; no " + encrypt.VarIdentity + ": the file is read back for its sha256 only"
	}
	return line + "; read back decrypted with " + encrypt.VarIdentity
}

func (l *ageLayer) Wrap(w io.Writer) (io.WriteCloser, error) {
	return encrypt.Writer(w, l.recipients)
}

func (l *ageLayer) Unwrap(r io.Reader) (io.Reader, error) {
	if len(l.ids) == 0 {
		return nil, fmt.Errorf("the archive is encrypted (age): set %s to the file of the key that decrypts it", encrypt.VarIdentity)
	}
	return encrypt.Reader(r, l.ids)
}

// sealed reports whether a pipeline writes what it cannot read back (an
// age layer without identities).
func (p Pipeline) sealed() bool {
	for _, l := range p.Layers {
		if a, ok := l.(*ageLayer); ok && len(a.ids) == 0 {
			return true
		}
	}
	return false
}

// streamCheck is the Layer put first (over the compressed stream) when
// later layers make the stored file unreadable here: it decompresses and
// parses the compressed stream as it passes, and its Close fails, before
// the next layer (age) is closed, when that stream is not a whole tar of
// the codec. A stream cut short thus never becomes a valid age file. The
// counts are compared with the writer's after Write.
type streamCheck struct {
	codec  codec.Codec
	counts Counts
	err    error
	pw     *io.PipeWriter
	w      io.Writer
	done   chan struct{}
}

func (c *streamCheck) Suffix() string                        { return "" }
func (c *streamCheck) Unwrap(r io.Reader) (io.Reader, error) { return r, nil }

func (c *streamCheck) Wrap(w io.Writer) (io.WriteCloser, error) {
	pr, pw := io.Pipe()
	c.pw, c.w, c.done = pw, w, make(chan struct{})
	go func() {
		defer close(c.done)
		c.counts, c.err = readTar(c.codec, pr)
		// The rest (or all, after an error) is drained: the writer
		// never blocks on the check.
		_, _ = io.Copy(io.Discard, pr)
	}()
	return c, nil
}

func (c *streamCheck) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if err != nil {
		return n, err
	}
	_, _ = c.pw.Write(p)
	return n, nil
}

// Close ends the check and says whether the stream was whole.
func (c *streamCheck) Close() error {
	c.pw.Close()
	<-c.done
	if c.err != nil {
		return fmt.Errorf("the compressed stream does not read back whole before encryption: %w", c.err)
	}
	return nil
}

// readTar decompresses r with cod and parses every entry, reading every
// byte and what follows the tar's end.
func readTar(cod codec.Codec, r io.Reader) (Counts, error) {
	var c Counts
	zr, err := cod.Reader(r)
	if err != nil {
		return c, err
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	for {
		hd, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return c, err
		}
		if hd.Typeflag == tar.TypeReg {
			n, err := io.Copy(io.Discard, tr)
			c.Bytes += n
			if err != nil {
				return c, err
			}
		}
		c.Files++
	}
	_, err = io.Copy(io.Discard, zr)
	return c, err
}

// hashStored reads a stored file in full and returns its sha256 (of a
// sealed archive, which cannot be decrypted here).
func hashStored(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, bufio.NewReaderSize(r, 1<<20)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// encryptionFor plans the age layer of a stack's archives: nil without
// KOMPOSE_AGE_RECIPIENTS_FILE; an error when the file is refused by the
// trust rule or holds no recipient. The identities are read too when
// KOMPOSE_AGE_IDENTITY_FILE is set (the archive is then read back
// decrypted after it is written).
func encryptionFor(s *plan.Stack) (*ageLayer, error) {
	path, _ := s.Env.Get(encrypt.VarRecipients)
	if path == "" {
		return nil, nil
	}
	rs, err := encrypt.Recipients(s.Policy, stackPath(s, path))
	if err != nil {
		return nil, err
	}
	ids, err := identitiesFor(s, false)
	if err != nil {
		return nil, err
	}
	return &ageLayer{recipients: rs, ids: ids}, nil
}

// identitiesFor reads KOMPOSE_AGE_IDENTITY_FILE with the trust check;
// nil when it is not set (an error instead when need).
func identitiesFor(s *plan.Stack, need bool) ([]age.Identity, error) {
	path, _ := s.Env.Get(encrypt.VarIdentity)
	if path == "" {
		if need {
			return nil, fmt.Errorf("the archive is encrypted (age): set %s to the file of the key that decrypts it", encrypt.VarIdentity)
		}
		return nil, nil
	}
	return encrypt.Identities(s.Policy, stackPath(s, path))
}

// stackPath is path, relative to the stack's folder unless absolute.
func stackPath(s *plan.Stack, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(s.Dir, path)
}

// readPipeline is the pipeline that reads an archive named name: its
// compression, and age with ids when it ends in .age.
func readPipeline(name string, ids []age.Identity) (Pipeline, error) {
	plain := strings.TrimSuffix(name, encrypt.Ext)
	cod, err := archiveCodec(plain)
	if err != nil {
		return Pipeline{}, err
	}
	p := Pipeline{Codec: cod}
	if plain != name {
		p.Layers = []Layer{&ageLayer{ids: ids}}
	}
	return p, nil
}

// abort ends a check whose writer stopped early (no Close).
func (c *streamCheck) abort() {
	if c != nil && c.pw != nil {
		c.pw.CloseWithError(errors.New("the archive was not finished"))
		<-c.done
	}
}
