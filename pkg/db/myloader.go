package db

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
)

// A MariaDB/MySQL dump is loaded as a throwaway account that may touch
// the scratch database only. What a dump says is the server's to
// understand, not kompose's: a USE hidden inside a line or an executable
// comment, or a name qualified with another database (DROP TABLE
// live.t), reaches the server whatever a scanner of ours or the
// client's --one-database make of it. The account cannot reach any
// other database, so such a statement fails (the client stops at the
// first error) and the live database stays as it was. (The client's
// --one-database is no guard: it follows only the client's own use
// command, and after one it skips all but SELECTs silently.)
//
// The account is created by DB_USER just before the load (SQL on the
// client's standard input, never in an argument), with a random name
// and password and ALL privileges on the scratch database only; the
// loading client gets the password in its environment (MYSQL_PWD). It is
// dropped after the load whatever happened, and one a killed import left
// behind (its name carries a digest of the live database's name) is
// dropped by the next import of the same database.
//
// Its host part is the one the server sees DB_USER's own session come
// from (USER()): the loading client connects from the same place the
// same way (TCP from the host, or the socket inside a container).
//
// DEFINER clauses: a restricted account may create views, triggers,
// routines and events only with itself as definer. The load therefore
// replaces the DEFINER= of the lines mariadb-dump (mysqldump) writes for
// them with DEFINER=CURRENT_USER and remembers the dump's definer by
// object; the swap, run by DB_USER, creates them in the live database
// with the dump's definers again. A DEFINER written any other way is
// passed on as it is and the server refuses it: the import fails,
// nothing changed.

// myLoaderPrefix starts the name of every loading account.
const myLoaderPrefix = "kompose_load_"

// myLoader is one throwaway account.
type myLoader struct {
	user, host, password string
}

// definer is the account as a DEFINER clause shows it.
func (l *myLoader) definer() string { return QuoteMyIdent(l.user) + "@" + QuoteMyIdent(l.host) }

// loaderStem is the start of the names of the loading accounts of
// imports into live: the prefix and a digest of live's name (user names
// are at most 32 characters in MySQL).
func loaderStem(live string) string {
	d := sha256.Sum256([]byte(live))
	return myLoaderPrefix + hex.EncodeToString(d[:4]) + "_"
}

// grantDB is db as the database part of a GRANT: _ and % are wildcards
// there, escaped so that the grant covers db alone.
func grantDB(db string) string {
	r := strings.NewReplacer(`\`, `\\`, `_`, `\_`, `%`, `\%`)
	return QuoteMyIdent(r.Replace(db))
}

// MissingPrivilegeError is an import refused, before anything changed,
// because DB_USER may not create the loading account.
type MissingPrivilegeError struct {
	User, Where string
	Err         error
}

func (e *MissingPrivilegeError) Error() string {
	return fmt.Sprintf("refusing the import: %s on %s may not create the throwaway account kompose loads a dump with (it needs the CREATE USER privilege, and ALL on the stack's databases WITH GRANT OPTION): %v; give them with GRANT CREATE USER ON *.* TO <DB_USER>; GRANT ALL ON `<DB_NAME>%%`.* TO <DB_USER> WITH GRANT OPTION; (or set DB_USER to an administrative account such as root)",
		e.User, e.Where, e.Err)
}

func (e *MissingPrivilegeError) Unwrap() error { return e.Err }

// newMyLoader creates a loading account with ALL on db only. The host
// part is where DB_USER's session comes from.
func (m *myServer) newMyLoader(ctx context.Context, ex *plan.ActionEnv, db string) (*myLoader, error) {
	rows, err := m.query(ctx, ex, "SELECT HEX(USER());\n")
	if err != nil {
		return nil, fmt.Errorf("read where %s connects from: %w", m.x.Cfg.User, err)
	}
	if len(rows) != 1 || len(rows[0]) != 1 {
		return nil, fmt.Errorf("read where %s connects from: unexpected answer", m.x.Cfg.User)
	}
	who := rows[0][0]
	i := strings.LastIndexByte(who, '@')
	if i < 0 {
		return nil, fmt.Errorf("read where %s connects from: unexpected USER() %q", m.x.Cfg.User, who)
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("random account for the load: %w", err)
	}
	r := hex.EncodeToString(b)
	// Upper case, a digit and a sign: what password checks (MariaDB's
	// simple_password_check, MySQL's validate_password) ask for.
	l := &myLoader{user: loaderStem(m.x.Cfg.Name) + r[:8], host: who[i+1:], password: "Kl-" + r[8:] + "#9Z"}
	acct := QuoteMyLiteral(l.user) + "@" + QuoteMyLiteral(l.host)
	if err := m.run(ctx, ex, "CREATE USER "+acct+" IDENTIFIED BY "+QuoteMyLiteral(l.password)+";\n", io.Discard); err != nil {
		// A server's message may quote the statement: never the password.
		err = errors.New(strings.ReplaceAll(err.Error(), l.password, "<password>"))
		return nil, &MissingPrivilegeError{User: m.x.Cfg.User, Where: m.x.Loc.String(), Err: err}
	}
	if err := m.run(ctx, ex, "GRANT ALL ON "+grantDB(db)+".* TO "+acct+";\n", io.Discard); err != nil {
		m.dropLoader(context.WithoutCancel(ctx), ex, l)
		return nil, &MissingPrivilegeError{User: m.x.Cfg.User, Where: m.x.Loc.String(), Err: err}
	}
	return l, nil
}

// dropLoader drops the account; a failure is said, and the next import
// drops it.
func (m *myServer) dropLoader(ctx context.Context, ex *plan.ActionEnv, l *myLoader) {
	if err := m.run(ctx, ex, "DROP USER IF EXISTS "+QuoteMyLiteral(l.user)+"@"+QuoteMyLiteral(l.host)+";\n", io.Discard); err != nil {
		fmt.Fprintf(ex.Cmd.Stderr, "    could not drop the loading account %s (%v); the next db:import drops it\n", l.user, err)
	}
}

// dropLeftoverLoaders drops the loading accounts earlier imports into
// the same live database left (killed before they could).
func (m *myServer) dropLeftoverLoaders(ctx context.Context, ex *plan.ActionEnv) error {
	stem := loaderStem(m.x.Cfg.Name)
	rows, err := m.query(ctx, ex, "SELECT HEX(User), HEX(Host) FROM mysql.user WHERE LEFT(User, "+fmt.Sprint(len(stem))+") = "+QuoteMyLiteral(stem)+";\n")
	if err != nil {
		return fmt.Errorf("list loading accounts left over: %w", err)
	}
	for _, r := range rows {
		fmt.Fprintf(ex.Cmd.Stderr, "    dropping the account %s, left over by an interrupted import\n", r[0])
		m.dropLoader(ctx, ex, &myLoader{user: r[0], host: r[1]})
	}
	return nil
}

// checkLoader refuses, before anything changes, a DB_USER that may not
// create the loading account: it creates one for db and drops it.
func (m *myServer) checkLoader(ctx context.Context, ex *plan.ActionEnv, db string) error {
	l, err := m.newMyLoader(ctx, ex, db)
	if err != nil {
		return err
	}
	m.dropLoader(context.WithoutCancel(ctx), ex, l)
	if err := m.dropLeftoverLoaders(ctx, ex); err != nil {
		// CREATE USER does not let one read mysql.user: say so, go on.
		fmt.Fprintf(ex.Cmd.Stderr, "    warning: %v; an account a killed import left (%s…) is not dropped\n", err, loaderStem(m.x.Cfg.Name))
	}
	return nil
}

// LoadRestricted streams a MariaDB/MySQL dump (plain SQL) into database
// db as a throwaway account that may touch db only (see the top of this
// file): db:import's load, and any other step that loads a dump into a
// scratch database (a restore drill). [myServer.checkClient] must have
// run first: it picks the option that turns client commands off (and
// refuses a DB_USER that may not create the account, before anything
// changes). The account is dropped before it
// returns, also when ctx is cancelled. It returns the dump's DEFINERs,
// for creating the objects again elsewhere with them ([restoreDefiners]);
// a run that failed returns them too, with the error.
func (m *myServer) LoadRestricted(ctx context.Context, ex *plan.ActionEnv, db string, dump io.Reader, stderr io.Writer) (*myLoad, error) {
	if m.noCommands == "" {
		return nil, errors.New("internal error: a dump is loaded only after checkClient turned client commands off")
	}
	l, err := m.newMyLoader(ctx, ex, db)
	if err != nil {
		return nil, err
	}
	defer m.dropLoader(context.WithoutCancel(ctx), ex, l)
	loc := m.x.Loc
	loc.cfg.User, loc.cfg.Password = l.user, l.password
	fr := newDefinerFilter(dump)
	cmd := proc.Cmd{Argv: m.loadArgvAs(loc, db), Dir: ex.Cmd.Dir, Env: loc.Env(ex.Cmd.Env),
		Stdin: fr, Stdout: io.Discard, Stderr: stderr}
	ld := &myLoad{db: db, definers: fr.definers, loader: l.definer()}
	if err := ex.Proc.Run(ctx, cmd); err != nil {
		return ld, err
	}
	// The definitions are read while their definer exists: SHOW CREATE
	// VIEW of a view whose definer is gone qualifies every column with
	// the database (the scratch one), which would not do in the live one.
	c, err := m.content(ctx, ex, db)
	if err != nil {
		return ld, &loadedReadError{err}
	}
	restoreDefiners(&c, ld)
	ld.content = &c
	return ld, nil
}

// myLoad is what a load leaves for the swap: the dump's DEFINERs, the
// loading account's (which the objects it created name), and what the
// database loaded into holds, its definitions with the dump's DEFINERs.
type myLoad struct {
	db       string
	definers myDefiners
	loader   string
	content  *myContent
}

// myDefiners are a dump's DEFINERs (`user`@`host` as written) by kind
// (VIEW, TRIGGER, PROCEDURE, FUNCTION, EVENT) and name.
type myDefiners map[[2]string]string

// myIdentRE is one backquoted identifier.
const myIdentRE = "`(?:[^`]|``)*`"

// myDefinerRE is a DEFINER clause as mariadb-dump writes it.
const myDefinerRE = "DEFINER=(" + myIdentRE + "(?:@" + myIdentRE + ")?)"

// The lines mariadb-dump (and mysqldump) writes with a DEFINER: each
// starts its line; the object's name follows on the line, or, for a
// view, starts the next one.
var (
	definerLineRE = regexp.MustCompile(`^(?:/\*!50003 CREATE\*/ /\*!50017 |/\*!50106 CREATE\*/ /\*!50117 |CREATE |/\*!50013 )` + myDefinerRE)
	definerNameRE = regexp.MustCompile(`^(?:\*/ /\*!50003 (TRIGGER)|\*/ /\*!50106 (EVENT)|(?: SQL SECURITY \w+)? *(?:\*/)?\s*$|\s+(?:AGGREGATE\s+)?(PROCEDURE|FUNCTION)) *(` + myIdentRE + `|[0-9A-Za-z_$\x{80}-\x{10FFFF}]+)?`)
	viewNameRE    = regexp.MustCompile(`^/\*!50001 VIEW (` + myIdentRE + `)`)
)

// definerFilter passes a dump on with the DEFINER clauses of its object
// definitions replaced by DEFINER=CURRENT_USER, recording them.
type definerFilter struct {
	br       *bufio.Reader
	pending  []byte
	lineEnd  bool // the last line given out was whole
	view     string
	definers myDefiners
}

func newDefinerFilter(r io.Reader) *definerFilter {
	return &definerFilter{br: bufio.NewReaderSize(r, 64<<10), lineEnd: true, definers: myDefiners{}}
}

func (f *definerFilter) Read(p []byte) (int, error) {
	for len(f.pending) == 0 {
		line, err := f.br.ReadSlice('\n')
		if len(line) > 0 {
			if f.lineEnd {
				line = f.rewrite(line)
			}
			f.lineEnd = line[len(line)-1] == '\n'
			f.pending = line
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			if len(f.pending) > 0 {
				break
			}
			return 0, err
		}
	}
	n := copy(p, f.pending)
	f.pending = f.pending[n:]
	return n, nil
}

// rewrite handles one line that starts a line of the dump.
func (f *definerFilter) rewrite(line []byte) []byte {
	if f.view != "" {
		if m := viewNameRE.FindSubmatch(line); m != nil {
			f.definers[[2]string{"VIEW", unquoteMyIdent(string(m[1]))}] = f.view
		}
		f.view = ""
	}
	m := definerLineRE.FindSubmatchIndex(line)
	if m == nil {
		return line
	}
	definer := string(line[m[2]:m[3]])
	rest := line[m[3]:]
	if n := definerNameRE.FindSubmatch(rest); n != nil {
		kind := string(bytes.Join([][]byte{n[1], n[2], n[3]}, nil))
		switch {
		case kind != "" && len(n[4]) > 0:
			f.definers[[2]string{kind, unquoteMyIdent(string(n[4]))}] = definer
		case kind == "" && bytes.HasPrefix(line, []byte("/*!50013 ")):
			f.view = definer
		}
	}
	out := make([]byte, 0, len(line))
	out = append(out, line[:m[2]]...)
	out = append(out, "CURRENT_USER"...)
	return append(out, rest...)
}

// unquoteMyIdent undoes [QuoteMyIdent].
func unquoteMyIdent(s string) string {
	if len(s) >= 2 && s[0] == '`' && s[len(s)-1] == '`' {
		return strings.ReplaceAll(s[1:len(s)-1], "``", "`")
	}
	return s
}

// restoreDefiners gives the objects the loading account created the
// definers the dump named for them; one the dump gave none (or one not
// recorded) keeps DB_USER's session as definer (DEFINER=CURRENT_USER).
func restoreDefiners(c *myContent, ld *myLoad) {
	if ld == nil {
		return
	}
	defs, loader := ld.definers, ld.loader
	for i := range c.objects {
		o := &c.objects[i]
		j := strings.Index(o.create, "DEFINER="+loader)
		if j < 0 {
			continue
		}
		d, ok := defs[[2]string{o.kind, o.name}]
		if !ok {
			d = "CURRENT_USER"
		}
		o.create = o.create[:j] + "DEFINER=" + d + o.create[j+len("DEFINER="+loader):]
	}
}

// loadedReadError is a load that ran but whose result could not be read
// back (the definitions in the database loaded into).
type loadedReadError struct{ err error }

func (e *loadedReadError) Error() string {
	return "the dump loaded, but reading back what it created failed: " + e.err.Error()
}

func (e *loadedReadError) Unwrap() error { return e.err }
