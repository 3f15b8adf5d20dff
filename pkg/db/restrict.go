package db

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// psql obeys backslash meta-commands in the file it runs: \connect would
// leave the scratch database, \! runs a shell (as root, in host mode), \o
// and \w write files, \set ON_ERROR_STOP off would let a failed load look
// complete. kompose does not try to find them itself (an earlier scanner
// that followed psql's lexer disagreed with it: NUL bytes, multi-byte
// client encodings, odd numbers). psql refuses them: the stream psql reads
// starts with "\restrict KEY" (psql 17.6, 16.10, 15.14, 14.19, 13.22 and
// later), KEY a random value kompose never shows, so psql refuses every
// meta-command after it; only "\unrestrict KEY" would lift that, and the
// dump cannot know KEY.
//
// pg_dump of those versions writes its own "\restrict K" line in the
// header and "\unrestrict K" at the end. Under kompose's key psql would
// refuse both, so the header line (before any statement) is blanked and
// every line that is exactly "\unrestrict K" is blanked: lines are
// replaced by empty ones, so line numbers stay. Blanking never lets a
// command run (kompose's key stays in force); it only keeps pg_dump's own
// dumps loading.

// restrictKey returns a random key for psql's \restrict: 48 hex digits.
func restrictKey() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random key for psql \\restrict: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// dumpRestrictLine is pg_dump's \restrict line: alone on its line.
var dumpRestrictLine = regexp.MustCompile(`^\\restrict ([A-Za-z0-9]+)[ \t]*\r?\n?$`)

// restrictingReader is what psql reads for a plain dump: "\restrict KEY",
// then the dump with pg_dump's own \restrict and \unrestrict lines blanked.
type restrictingReader struct {
	br         *bufio.Reader
	pending    []byte
	err        error
	header     bool   // only blank and "--" lines so far
	lineStart  bool   // the next byte starts a line
	unrestrict []byte // pg_dump's "\unrestrict K" (without the newline)
}

func newRestrictingReader(r io.Reader, key string) *restrictingReader {
	return &restrictingReader{
		br:      bufio.NewReaderSize(r, 64<<10),
		pending: []byte(`\restrict ` + key + "\n"),
		header:  true, lineStart: true,
	}
}

func (r *restrictingReader) Read(p []byte) (int, error) {
	for len(r.pending) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		r.next()
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	return n, nil
}

// next reads one line (or the part of a long line that fits the buffer)
// into pending.
func (r *restrictingReader) next() {
	line, err := r.br.ReadSlice('\n')
	whole := r.lineStart && err != bufio.ErrBufferFull
	r.lineStart = err == nil
	if err != nil && err != bufio.ErrBufferFull {
		r.err = err
	}
	if !whole {
		r.header = false
		r.pending = line
		return
	}
	body := bytes.TrimRight(line, "\r\n \t")
	switch {
	case r.header && (len(body) == 0 || bytes.HasPrefix(body, []byte("--"))):
	case r.header && dumpRestrictLine.Match(line):
		key := dumpRestrictLine.FindSubmatch(line)[1]
		r.unrestrict = append([]byte(`\unrestrict `), key...)
		r.header = false
		line = blankLine(line)
	default:
		r.header = false
		if r.unrestrict != nil && bytes.Equal(body, r.unrestrict) {
			line = blankLine(line)
		}
	}
	r.pending = line
}

// blankLine is an empty line in place of line (its newline kept).
func blankLine(line []byte) []byte {
	if bytes.HasSuffix(line, []byte("\n")) {
		return []byte("\n")
	}
	return nil
}

// psqlRestricted is psql's refusal of a meta-command under \restrict.
const psqlRestricted = "backslash commands are restricted"

// psqlNoRestrict is an older psql's answer to \restrict.
const psqlNoRestrict = `invalid command \restrict`

// psqlStdinLine is psql's prefix of a message about its input.
var psqlStdinLine = regexp.MustCompile(`psql:<stdin>:([0-9]+):`)

// stdinNamer passes psql's error output on with "psql:<stdin>:N:" turned
// into "FILE:M:", M the line of the dump (N less the lines kompose put in
// front), and the key masked should psql ever print it.
type stdinNamer struct {
	w      io.Writer
	file   string
	offset int
	key    string
	mu     sync.Mutex
	buf    []byte
}

func (s *stdinNamer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, p...)
	for {
		i := bytes.IndexByte(s.buf, '\n')
		if i < 0 {
			break
		}
		if _, err := io.WriteString(s.w, s.rewrite(string(s.buf[:i+1]))); err != nil {
			return len(p), err
		}
		s.buf = s.buf[i+1:]
	}
	return len(p), nil
}

// Flush writes a last line without a newline.
func (s *stdinNamer) Flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.buf) > 0 {
		_, _ = io.WriteString(s.w, s.rewrite(string(s.buf)))
		s.buf = nil
	}
}

func (s *stdinNamer) rewrite(line string) string {
	line = psqlStdinLine.ReplaceAllStringFunc(line, func(m string) string {
		n, _ := strconv.Atoi(psqlStdinLine.FindStringSubmatch(m)[1])
		if n -= s.offset; n < 1 {
			return s.file + ":"
		}
		return fmt.Sprintf("%s:%d:", s.file, n)
	})
	if s.key != "" {
		line = strings.ReplaceAll(line, s.key, "****")
	}
	return line
}

// OldPsqlError is a plain SQL import refused because psql at the
// location has no \restrict.
type OldPsqlError struct {
	File    string
	Where   string // the location
	Version string // psql --version, when known
}

func (e *OldPsqlError) Error() string {
	v := ""
	if e.Version != "" {
		v = " (" + e.Version + ")"
	}
	return fmt.Sprintf("%s: refusing to import a plain SQL dump with the psql on %s%s: it has no \\restrict, so it would obey any psql meta-command in the dump (\\! runs a shell); kompose needs psql 17.6, 16.10, 15.14, 14.19, 13.22 or later there: update the PostgreSQL client (or the database image), or import a custom-format dump (db:export --format custom), which pg_restore reads without meta-commands", e.File, e.Where, v)
}
