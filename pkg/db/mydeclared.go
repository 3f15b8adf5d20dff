package db

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// What a MariaDB/MySQL dump declares, for the restore drill: the tables
// it creates and the rows its INSERT statements hold, counted by reading
// the dump as the server reads it, statement by statement, and not line
// by line. A counter of lines or of "),(" would believe what the data
// says: a string value may hold "),(", a quote, a newline followed by
// "INSERT INTO `t` VALUES (1);", or "-- Dump completed"; each is one
// value here, because strings ('…', "…", with backslash escapes and
// doubled quotes), quoted names (`…`) and comments are read as the
// server reads them. Version comments (/*!40000 … */, /*M!100100 … */)
// are read as code, as the server runs them: rows hidden in one are
// counted. Whatever the counter and the server still read differently
// (a dump that turns NO_BACKSLASH_ESCAPES on, say) can only make the
// counts differ, so the drill fails; it never makes a dump pass.

// myDeclared is what a dump declares.
type myDeclared struct {
	// created are the tables the dump creates (CREATE TABLE, not dropped
	// again later, as the placeholder tables of views are).
	created map[string]bool
	// rows are the rows of the INSERT (REPLACE) statements, by table.
	rows map[string]int64
	// structure and data are the tables mariadb-dump's section comments
	// name ("-- Table structure for table `t`", "-- Dumping data for
	// table `t`"): a table named there and not created, or, in a dump
	// with data sections, a table with a structure section and none for
	// its data, is a dump cut in the middle.
	structure, data map[string]bool
}

// myLexer reads SQL as the MariaDB client and server split it.
type myLexer struct {
	r     *bufio.Reader
	delim []byte
	// inVersion is true inside a /*!…*/ comment, read as code.
	inVersion bool
	// stmtStart is true before the first token of a statement.
	stmtStart bool
}

// Token kinds of [myLexer.next].
const (
	tokEOF     = iota
	tokWord    // a bare word or number
	tokIdent   // a `quoted` name
	tokString  // a '…' or "…" string (text not kept)
	tokPunct   // one other character
	tokEnd     // the statement's delimiter
	tokComment // a -- or # comment (its text)
)

type myToken struct {
	kind int
	text string
}

// errDumpSyntax is a dump the counter cannot read to its end (a string
// or comment that does not end).
var errDumpSyntax = errors.New("the dump's SQL does not end where it should")

func (l *myLexer) peekIs(s []byte) bool {
	b, _ := l.r.Peek(len(s))
	return bytes.Equal(b, s)
}

// next returns the next token.
func (l *myLexer) next() (myToken, error) {
	for {
		c, err := l.r.ReadByte()
		if err == io.EOF {
			return myToken{kind: tokEOF}, nil
		}
		if err != nil {
			return myToken{}, err
		}
		if len(l.delim) > 0 && c == l.delim[0] && l.peekIs(l.delim[1:]) {
			_, _ = l.r.Discard(len(l.delim) - 1)
			l.stmtStart = true
			return myToken{kind: tokEnd}, nil
		}
		t, skipped, err := l.skip(c)
		if err != nil || !skipped {
			if !skipped {
				return l.token(c)
			}
			return myToken{}, err
		}
		if t != nil {
			return *t, nil
		}
	}
}

// skip reads what is no token at c: blanks, the DELIMITER command,
// comments (a -- or # comment is returned, for its text), the opening
// and end of a version comment. skipped is false when c starts a token.
func (l *myLexer) skip(c byte) (comment *myToken, skipped bool, err error) {
	switch {
	case isSpace(c):
		return nil, true, nil
	case l.stmtStart && (c == 'd' || c == 'D') && l.isDelimiterCommand():
		return nil, true, l.readDelimiter()
	case c == '#' || (c == '-' && l.dashComment()):
		line, err := l.readLine()
		if err != nil {
			return nil, true, err
		}
		return &myToken{kind: tokComment, text: strings.TrimSpace(strings.TrimPrefix(line, "-"))}, true, nil
	case c == '/' && l.peekIs([]byte("*")):
		return nil, true, l.blockComment()
	case c == '*' && l.inVersion && l.peekIs([]byte("/")):
		_, _ = l.r.Discard(1)
		l.inVersion = false
		return nil, true, nil
	}
	return nil, false, nil
}

// token reads the token c starts: a string, a quoted name, a word, or
// one character.
func (l *myLexer) token(c byte) (myToken, error) {
	l.stmtStart = false
	switch {
	case c == '\'' || c == '"':
		return myToken{kind: tokString}, l.skipString(c)
	case c == '`':
		name, err := l.quotedName()
		return myToken{kind: tokIdent, text: name}, err
	case isWordByte(c):
		w := []byte{c}
		for {
			buf := l.buffered()
			n := 0
			for n < len(buf) && isWordByte(buf[n]) {
				n++
			}
			w = append(w, buf[:min(n, max(0, maxKept-len(w)))]...)
			_, _ = l.r.Discard(n)
			if n < len(buf) || n == 0 {
				break
			}
		}
		return myToken{kind: tokWord, text: string(w)}, nil
	}
	return myToken{kind: tokPunct, text: string(c)}, nil
}

func isSpace(c byte) bool { return c == ' ' || ('\t' <= c && c <= '\r') }

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// dashComment: "--" followed by a space or control character (MariaDB's
// rule; "1--1" is arithmetic).
func (l *myLexer) dashComment() bool {
	b, err := l.r.Peek(2)
	if err != nil && len(b) < 1 {
		return false
	}
	if len(b) == 1 {
		return b[0] == '-'
	}
	return b[0] == '-' && (b[1] <= ' ')
}

// isDelimiterCommand: the client's DELIMITER command at a statement's
// start (the 'd' read already).
func (l *myLexer) isDelimiterCommand() bool {
	b, _ := l.r.Peek(9)
	return len(b) == 9 && strings.EqualFold(string(b[:8]), "elimiter") && (b[8] == ' ' || b[8] == '\t')
}

func (l *myLexer) readDelimiter() error {
	line, err := l.readLine()
	if err != nil {
		return err
	}
	d := strings.TrimSpace(line[len("elimiter"):])
	if f := strings.Fields(d); len(f) > 0 {
		d = f[0]
	}
	if d == "" {
		return fmt.Errorf("%w: a DELIMITER command without a delimiter", errDumpSyntax)
	}
	l.delim = []byte(d)
	return nil
}

// maxKept is how much of a word, a quoted name or a comment line the
// lexer keeps: what it looks at is short (keywords, table names of at
// most 64 characters, mariadb-dump's section comments), and a hostile
// dump's gigabyte-long line must not become a gigabyte of memory. The
// rest is read and dropped.
const maxKept = 1024

// readLine reads the rest of a line (to its newline or the end), keeping
// at most maxKept bytes of it.
func (l *myLexer) readLine() (string, error) {
	var kept []byte
	for {
		chunk, err := l.r.ReadSlice('\n')
		kept = append(kept, chunk[:min(len(chunk), max(0, maxKept-len(kept)))]...)
		switch err {
		case nil, io.EOF:
			return string(kept), nil
		case bufio.ErrBufferFull:
			continue
		}
		return "", err
	}
}

// blockComment skips a /* … */ comment (the '/' read); a version comment
// /*!NNNNN or /*M!NNNNNN is code: only its opening is skipped.
func (l *myLexer) blockComment() error {
	_, _ = l.r.Discard(1) // '*'
	if l.peekIs([]byte("!")) || l.peekIs([]byte("M!")) {
		if l.peekIs([]byte("M")) {
			_, _ = l.r.Discard(1)
		}
		_, _ = l.r.Discard(1)
		for {
			b, err := l.r.Peek(1)
			if err != nil || b[0] < '0' || b[0] > '9' {
				break
			}
			_, _ = l.r.Discard(1)
		}
		l.inVersion = true
		return nil
	}
	prev := byte(0)
	for {
		c, err := l.r.ReadByte()
		if err != nil {
			return fmt.Errorf("%w: a /* comment does not end", errDumpSyntax)
		}
		if prev == '*' && c == '/' {
			return nil
		}
		prev = c
	}
}

// buffered returns the bytes read ahead, reading more when there are
// none; empty at the end of the input.
func (l *myLexer) buffered() []byte {
	if l.r.Buffered() == 0 {
		_, _ = l.r.Peek(1)
	}
	b, _ := l.r.Peek(l.r.Buffered())
	return b
}

// skipString reads a string to its closing quote: a backslash escapes
// the next byte, a doubled quote is one quote. It skips whole runs of
// ordinary bytes at once (most of a dump is in strings).
func (l *myLexer) skipString(q byte) error {
	stops := string([]byte{q, '\\'})
	for {
		buf := l.buffered()
		if len(buf) == 0 {
			return fmt.Errorf("%w: a string does not end", errDumpSyntax)
		}
		i := bytes.IndexAny(buf, stops)
		if i < 0 {
			_, _ = l.r.Discard(len(buf))
			continue
		}
		c := buf[i]
		_, _ = l.r.Discard(i + 1)
		switch c {
		case '\\':
			if _, err := l.r.ReadByte(); err != nil {
				return fmt.Errorf("%w: a string does not end", errDumpSyntax)
			}
		case q:
			if !l.peekIs([]byte{q}) {
				return nil
			}
			_, _ = l.r.Discard(1)
		}
	}
}

// quotedName reads a `name` (the first backtick read); two backticks
// in it are one.
func (l *myLexer) quotedName() (string, error) {
	var b []byte
	for {
		c, err := l.r.ReadByte()
		if err != nil {
			return "", fmt.Errorf("%w: a `name` does not end", errDumpSyntax)
		}
		if c == '`' {
			if !l.peekIs([]byte("`")) {
				return string(b), nil
			}
			_, _ = l.r.Discard(1)
		}
		if len(b) < maxKept {
			b = append(b, c)
		}
	}
}

// myStmt follows one statement's tokens.
type myStmt struct {
	kind  string // "INSERT", "CREATE", "DROP", "" (other)
	n     int    // tokens seen
	table string // the table named
	// state: for INSERT, 0 before the table, 1 after it (columns), 2 in
	// VALUES, 3 done; for CREATE, 0 before TABLE, 1 after, 2 done; for
	// DROP, 0 before TABLE, 1 names, 2 done.
	state  int
	depth  int
	dotted bool // the last name ended with '.': a qualified name follows
}

// countMyDump reads a dump of mariadb-dump or mysqldump and returns what
// it declares.
func countMyDump(r io.Reader) (*myDeclared, error) {
	d := &myDeclared{created: map[string]bool{}, rows: map[string]int64{}, structure: map[string]bool{}, data: map[string]bool{}}
	l := &myLexer{r: bufio.NewReaderSize(r, 256<<10), delim: []byte(";"), stmtStart: true}
	var s myStmt
	for {
		t, err := l.next()
		if err != nil {
			return nil, fmt.Errorf("read the dump: %w", err)
		}
		switch t.kind {
		case tokEOF:
			if l.inVersion {
				return nil, fmt.Errorf("%w: a /*! comment does not end", errDumpSyntax)
			}
			return d, nil
		case tokEnd:
			s = myStmt{}
			continue
		case tokComment:
			if s.n == 0 {
				d.noteSection(t.text)
			}
			continue
		}
		s.n++
		d.feed(&s, t)
	}
}

// noteSection records the table a section comment of mariadb-dump
// names.
func (d *myDeclared) noteSection(text string) {
	for p, set := range map[string]map[string]bool{"Table structure for table ": d.structure, "Dumping data for table ": d.data} {
		if rest, ok := strings.CutPrefix(text, p); ok && len(rest) >= 2 && rest[0] == '`' && rest[len(rest)-1] == '`' {
			set[strings.ReplaceAll(rest[1:len(rest)-1], "``", "`")] = true
		}
	}
}

// name takes a table name token, a qualified one (db.t) as "db.t".
func (s *myStmt) name(t myToken) bool {
	if t.kind == tokPunct && t.text == "." && s.table != "" {
		s.dotted = true
		return true
	}
	if t.kind != tokIdent && t.kind != tokWord {
		return false
	}
	if s.dotted {
		s.table += "." + t.text
		s.dotted = false
	} else {
		s.table = t.text
	}
	return true
}

func isDot(t myToken) bool { return t.kind == tokPunct && t.text == "." }

// feed advances the statement by one token.
func (d *myDeclared) feed(s *myStmt, t myToken) {
	w := ""
	if t.kind == tokWord {
		w = strings.ToUpper(t.text)
	}
	if s.n == 1 {
		switch w {
		case "INSERT", "REPLACE":
			s.kind = "INSERT"
		case "CREATE", "DROP":
			s.kind = w
		}
		return
	}
	switch s.kind {
	case "INSERT":
		d.feedInsert(s, t, w)
	case "CREATE":
		d.feedCreate(s, t, w)
	case "DROP":
		d.feedDrop(s, t, w)
	}
}

// nameNext reports whether t continues the statement's table name: the
// first name, or the part after a dot.
func (s *myStmt) nameNext(t myToken) bool { return s.table == "" || s.dotted || isDot(t) }

// feedCreate follows CREATE [OR REPLACE] TABLE [IF NOT EXISTS] name …:
// the table is created once a token follows its name.
func (d *myDeclared) feedCreate(s *myStmt, t myToken, w string) {
	switch {
	case s.state == 0 && w == "TABLE":
		s.state = 1
	case s.state == 0 && (w == "OR" || w == "REPLACE"):
	case s.state == 0:
		s.state = 2 // a view, a trigger, a temporary table, ...
	case s.state == 1 && s.table == "" && (w == "IF" || w == "NOT" || w == "EXISTS"):
	case s.state == 1 && s.nameNext(t) && s.name(t):
	case s.state == 1:
		d.created[s.table] = true
		s.state = 2
	}
}

// feedDrop follows DROP [TEMPORARY] TABLE [IF EXISTS] a, b: each table
// named is no longer created.
func (d *myDeclared) feedDrop(s *myStmt, t myToken, w string) {
	switch {
	case s.state == 0 && w == "TABLE":
		s.state = 1
	case s.state == 0 && w != "TEMPORARY":
		s.state = 2
	case s.state == 1 && (w == "IF" || w == "EXISTS"):
	case s.state == 1 && t.kind == tokPunct && t.text == ",":
		delete(d.created, s.table)
		s.table = ""
	case s.state == 1 && s.nameNext(t) && s.name(t):
		delete(d.created, s.table)
	}
}

// feedInsert follows INSERT [modifiers] [INTO] name [(columns)] VALUES
// (…),(…): each parenthesis opened at the top level of VALUES is a row.
func (d *myDeclared) feedInsert(s *myStmt, t myToken, w string) {
	switch s.state {
	case 0:
		switch w {
		case "INTO", "IGNORE", "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY":
			return
		}
		s.state = 3
		if s.name(t) {
			s.state = 1
		}
	case 1:
		d.feedInsertHead(s, t, w)
	case 2:
		d.feedValues(s, t)
	}
}

// feedInsertHead follows what is between an INSERT's table and VALUES:
// the rest of a qualified name, a column list.
func (d *myDeclared) feedInsertHead(s *myStmt, t myToken, w string) {
	switch {
	case s.depth == 0 && (s.dotted || isDot(t)):
		s.name(t)
	case s.depth == 0 && (w == "VALUES" || w == "VALUE"):
		s.state, s.depth = 2, 0
		d.rows[s.table] += 0
	case isPunct(t, "("):
		s.depth++
	case isPunct(t, ")"):
		s.depth--
	case s.depth == 0:
		s.state = 3 // INSERT … SELECT, SET: no rows to count
	}
}

// feedValues counts the rows of VALUES (…),(…).
func (d *myDeclared) feedValues(s *myStmt, t myToken) {
	switch {
	case isPunct(t, "("):
		if s.depth == 0 {
			d.rows[s.table]++
		}
		s.depth++
	case isPunct(t, ")"):
		s.depth--
	case s.depth == 0 && t.kind == tokWord:
		s.state = 3 // ON DUPLICATE KEY UPDATE …
	}
}

func isPunct(t myToken, p string) bool { return t.kind == tokPunct && t.text == p }

// compareMy says where the loaded tables differ from what the dump
// declares: a table named or filled but not created, one created but
// not loaded, one loaded the dump does not create, and row counts.
func compareMy(d *myDeclared, loaded map[string]int64) []string {
	var diffs []string
	for _, n := range sortedKeys(d.structure) {
		if !d.created[n] {
			diffs = append(diffs, fmt.Sprintf("the dump has a section for table %s but does not create it (a dump cut in the middle?)", QuoteMyIdent(n)))
		}
		if len(d.data) > 0 && !d.data[n] {
			diffs = append(diffs, fmt.Sprintf("the dump has no data section for table %s (a dump cut in the middle?)", QuoteMyIdent(n)))
		}
	}
	for _, n := range sortedKeys(d.data) {
		if !d.structure[n] && !d.created[n] {
			diffs = append(diffs, fmt.Sprintf("the dump has a data section for table %s but does not create it (a dump cut in the middle?)", QuoteMyIdent(n)))
		}
	}
	for _, n := range sortedKeys(d.rows) {
		if !d.created[n] && !d.structure[n] && !d.data[n] {
			diffs = append(diffs, fmt.Sprintf("the dump inserts %d row(s) into %s, a table it does not create", d.rows[n], QuoteMyIdent(n)))
		}
	}
	for _, n := range sortedKeys(d.created) {
		got, ok := loaded[n]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("table %s (%d rows in the dump) is not in the loaded database", QuoteMyIdent(n), d.rows[n]))
		case got != d.rows[n]:
			diffs = append(diffs, fmt.Sprintf("table %s has %d rows loaded, the dump holds %d", QuoteMyIdent(n), got, d.rows[n]))
		}
	}
	for _, n := range sortedKeys(loaded) {
		if !d.created[n] {
			diffs = append(diffs, fmt.Sprintf("table %s is in the loaded database, and the dump does not create it", QuoteMyIdent(n)))
		}
	}
	return diffs
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
