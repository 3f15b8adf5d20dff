package db

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
)

// psql runs a plain SQL dump, and psql obeys backslash meta-commands in
// it: \connect would leave the scratch database (and load into the live
// one), \! runs a shell, \i and \o read and write files, \set
// ON_ERROR_STOP off would let a failed load look complete. kompose reads
// every plain dump with a scanner that follows psql's lexer (quotes,
// E'' strings, dollar quotes, comments, parentheses, COPY ... FROM stdin
// data) and refuses any meta-command except pg_dump's own \restrict and
// \unrestrict, naming the line. It scans the whole file before anything
// changes, and again while the dump streams into psql, so that psql never
// receives a refused command even if the file changed in between.
//
// A line of COPY data (after COPY ... FROM stdin, up to the line "\.") is
// data, not a command: a value starting with a backslash is never refused.
// Server-side COPY ... TO/FROM PROGRAM is refused too when it is a
// statement of the file itself; SQL in general runs with DB_USER's rights.

// allowedMeta are the meta-commands a dump may hold: pg_dump 17.6, 16.10,
// 15.14 and later write them to keep psql from obeying other ones.
var allowedMeta = map[string]bool{"restrict": true, "unrestrict": true}

// MetaCommandError is a dump holding a psql meta-command kompose refuses.
type MetaCommandError struct {
	File    string
	Line    int
	Command string // "\connect"
}

func (e *MetaCommandError) Error() string {
	if e.Command == "COPY ... PROGRAM" {
		return fmt.Sprintf("%s:%d: COPY ... PROGRAM would run a program on the database server; kompose does not import it", e.File, e.Line)
	}
	return fmt.Sprintf("%s:%d: psql meta-command %s could leave the scratch database or reach the system; kompose imports no meta-command but pg_dump's \\restrict and \\unrestrict", e.File, e.Line, e.Command)
}

// Lexer states.
const (
	mNormal   = iota
	mQuote    // '...'
	mEQuote   // E'...' (backslash escapes)
	mIdent    // "..."
	mDollar   // $tag$...$tag$
	mBlockCmt // /* ... */, nested
	mCopy     // lines of COPY data
)

// maxLine is the longest line kompose checks outside COPY data.
const maxLine = 64 << 20

// maxStmt is how much of a statement's top-level text is kept to tell a
// COPY ... FROM stdin (its column list included).
const maxStmt = 64 << 10

var (
	copyFromStdin = regexp.MustCompile(`(?is)^\s*copy\b.*\bfrom\s+stdin\b`)
	copyProgram   = regexp.MustCompile(`(?is)^\s*copy\b.*\b(from|to)\s+program\b`)
	// allowedLine is pg_dump's \restrict or \unrestrict line, alone on
	// its line: psql would read anything after it as more commands.
	allowedLine = regexp.MustCompile(`^\\(un)?restrict [A-Za-z0-9]+[ \t]*\r?\n?$`)
)

// metaScanner follows psql's lexer line by line, as far as meta-commands
// are concerned. It is an io.WriteCloser: Write the dump's SQL through
// it, then Close; the first refusal is the error of both.
type metaScanner struct {
	file   string
	line   int
	state  int
	saved  int    // the state to return to after COPY data
	copies int    // COPY ... FROM stdin statements whose data comes next
	depth  int    // parentheses (mNormal) or comment nesting (mBlockCmt)
	esc    bool   // mEQuote: a backslash ended the previous line
	tag    []byte // mDollar: the closing $tag$
	ident  int    // length of the identifier the last bytes form (0: none)
	prev   byte
	stmt   []byte // top-level text of the statement, for COPY detection
	buf    []byte // the current line, when it spans writes
	cline  []byte // the first bytes of the current COPY data line
	err    error
}

func newMetaScanner(file string) *metaScanner { return &metaScanner{file: file, line: 1} }

func (s *metaScanner) fail(cmd string) {
	if s.err == nil {
		s.err = &MetaCommandError{File: s.file, Line: s.line, Command: cmd}
	}
}

// Write scans p.
func (s *metaScanner) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && s.err == nil {
		i := bytes.IndexByte(p, '\n')
		if s.state == mCopy {
			end := len(p)
			if i >= 0 {
				end = i
			}
			if room := 4 - len(s.cline); room > 0 {
				s.cline = append(s.cline, p[:min(room, end)]...)
			}
			if i < 0 {
				return n, nil
			}
			s.copyLineEnd()
			p = p[i+1:]
			continue
		}
		if i < 0 {
			if len(s.buf)+len(p) > maxLine {
				s.err = fmt.Errorf("%s:%d: a line longer than %d MB outside COPY data; kompose cannot check it for psql meta-commands", s.file, s.line, maxLine>>20)
				break
			}
			s.buf = append(s.buf, p...)
			return n, nil
		}
		if len(s.buf) > 0 {
			s.buf = append(s.buf, p[:i+1]...)
			s.scanLine(s.buf)
			s.buf = s.buf[:0]
		} else {
			s.scanLine(p[:i+1])
		}
		p = p[i+1:]
	}
	if s.err != nil {
		return 0, s.err
	}
	return n, nil
}

// Close scans the last line, when the file does not end with a newline.
func (s *metaScanner) Close() error {
	if s.err == nil && len(s.buf) > 0 && s.state != mCopy {
		s.scanLine(s.buf)
		s.buf = nil
	}
	return s.err
}

// copyLineEnd ends a line of COPY data: "\." ends the data.
func (s *metaScanner) copyLineEnd() {
	l := bytes.TrimSuffix(s.cline, []byte("\r"))
	if string(l) == `\.` {
		s.copies--
		if s.copies == 0 {
			s.state = s.saved
		}
	}
	s.cline = s.cline[:0]
	s.line++
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentCont(c byte) bool { return isIdentStart(c) || c == '$' || c >= '0' && c <= '9' }

func (s *metaScanner) keep(c byte) {
	if len(s.stmt) < maxStmt {
		s.stmt = append(s.stmt, c)
	}
}

// dollarOpen returns the length of a dollar-quote opening tag at the start
// of b ($$, $tag$), 0 when there is none.
func dollarOpen(b []byte) int {
	if len(b) < 2 || b[0] != '$' {
		return 0
	}
	j := 1
	if isIdentStart(b[1]) {
		for j < len(b) && isIdentCont(b[j]) && b[j] != '$' {
			j++
		}
	}
	if j < len(b) && b[j] == '$' {
		return j + 1
	}
	return 0
}

// scanLine scans one line (with its newline, except at the end of the
// file).
func (s *metaScanner) scanLine(line []byte) {
	s.prev, s.ident = '\n', 0
	for i := 0; i < len(line) && s.err == nil; {
		c := line[i]
		switch s.state {
		case mQuote:
			if j := bytes.IndexByte(line[i:], '\''); j >= 0 {
				i += j + 1
				s.state = mNormal
				continue
			}
			i = len(line)
			continue
		case mEQuote:
			if s.esc {
				s.esc = false
				i++
				continue
			}
			switch c {
			case '\\':
				if i+1 == len(line) {
					s.esc = true
				}
				i += 2
				continue
			case '\'':
				s.state = mNormal
			}
			i++
			continue
		case mIdent:
			if j := bytes.IndexByte(line[i:], '"'); j >= 0 {
				i += j + 1
				s.state = mNormal
				s.ident = 1
				continue
			}
			i = len(line)
			continue
		case mDollar:
			if j := bytes.Index(line[i:], s.tag); j >= 0 {
				i += j + len(s.tag)
				s.state = mNormal
				continue
			}
			i = len(line)
			continue
		case mBlockCmt:
			switch {
			case c == '/' && i+1 < len(line) && line[i+1] == '*':
				s.depth++
				i += 2
			case c == '*' && i+1 < len(line) && line[i+1] == '/':
				s.depth--
				i += 2
				if s.depth == 0 {
					s.state = mNormal
				}
			default:
				i++
			}
			continue
		}
		// mNormal
		switch {
		case c == '\\':
			if i+1 < len(line) && (line[i+1] == ';' || line[i+1] == ':') {
				// \; and \: put a literal ; or : into the query
				s.keep(line[i+1])
				i += 2
				continue
			}
			if i == 0 && allowedLine.Match(line) {
				i = len(line)
				continue
			}
			j := i + 1
			if j < len(line) && (isIdentCont(line[j]) && line[j] != '$') {
				for j < len(line) && isIdentCont(line[j]) && line[j] != '$' {
					j++
				}
			} else if j < len(line) && line[j] != '\n' && line[j] != '\r' {
				j++
			}
			name := string(line[i:j])
			if name == `\` {
				name = `\ (end of file)`
			}
			s.fail(name)
			return
		case c == '\'':
			if s.ident == 1 && (s.prev == 'E' || s.prev == 'e') {
				s.state = mEQuote
			} else {
				s.state = mQuote
			}
			s.keep(' ')
			s.ident = 0
			i++
			continue
		case c == '"':
			s.state = mIdent
			s.keep(' ')
			i++
			continue
		case c == '$' && s.ident == 0:
			if n := dollarOpen(line[i:]); n > 0 {
				s.tag = append(s.tag[:0], line[i:i+n]...)
				s.state = mDollar
				s.keep(' ')
				i += n
				continue
			}
		case c == '-' && i+1 < len(line) && line[i+1] == '-':
			i = len(line) // a comment, to the end of the line
			continue
		case c == '/' && i+1 < len(line) && line[i+1] == '*':
			s.state, s.depth = mBlockCmt, 1
			i += 2
			continue
		case c == '(':
			s.depth++
		case c == ')':
			if s.depth > 0 {
				s.depth--
			}
		case c == ';' && s.depth == 0:
			if copyProgram.Match(s.stmt) {
				s.fail("COPY ... PROGRAM")
				return
			}
			if copyFromStdin.Match(s.stmt) {
				s.copies++
			}
			s.stmt = s.stmt[:0]
			s.prev, s.ident = c, 0
			i++
			continue
		}
		s.keep(c)
		switch {
		case s.ident > 0 && isIdentCont(c):
			s.ident++
		case s.ident == 0 && isIdentStart(c) && !(s.prev >= '0' && s.prev <= '9'):
			s.ident = 1
		case isIdentCont(c) && s.prev >= '0' && s.prev <= '9':
			// part of a number (1e5, 0x1F): not an identifier
		default:
			s.ident = 0
		}
		s.prev = c
		i++
	}
	if s.err == nil && s.copies > 0 && len(line) > 0 && line[len(line)-1] == '\n' {
		s.saved, s.state = s.state, mCopy
		s.cline = s.cline[:0]
	}
	s.line++
}

// checkScript scans the SQL r yields for refused meta-commands.
func checkScript(file string, r io.Reader) error {
	s := newMetaScanner(file)
	if _, err := io.CopyBuffer(s, r, make([]byte, 256<<10)); err != nil {
		return err
	}
	return s.Close()
}

// scanningReader passes the SQL of r on only once the scanner has seen it:
// a refused meta-command never reaches psql. A line is held back until it
// is complete (psql would run a partial last line at the end of its
// input), except lines of COPY data, which are data.
type scanningReader struct {
	r    io.Reader
	s    *metaScanner
	data []byte // read and scanned, not yet passed on
	out  int    // how much of data may be passed on
	eof  bool
	err  error
}

func newScanningReader(r io.Reader, file string) *scanningReader {
	return &scanningReader{r: r, s: newMetaScanner(file)}
}

func (r *scanningReader) Read(p []byte) (int, error) {
	for r.out == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.eof {
			return 0, io.EOF
		}
		if len(r.data) == cap(r.data) {
			r.data = append(r.data, make([]byte, 256<<10)...)[:len(r.data)]
		}
		n, err := r.r.Read(r.data[len(r.data):cap(r.data)])
		chunk := r.data[len(r.data) : len(r.data)+n]
		r.data = r.data[:len(r.data)+n]
		if n > 0 {
			if _, serr := r.s.Write(chunk); serr != nil {
				r.err = serr
				return 0, serr
			}
		}
		switch {
		case err == io.EOF:
			if cerr := r.s.Close(); cerr != nil {
				r.err = cerr
				return 0, cerr
			}
			r.eof, r.out = true, len(r.data)
		case err != nil:
			r.err = err
			return 0, err
		default:
			r.out = len(r.data) - len(r.s.buf)
		}
	}
	n := copy(p, r.data[:r.out])
	r.out -= n
	rest := copy(r.data, r.data[n:])
	r.data = r.data[:rest]
	return n, nil
}
