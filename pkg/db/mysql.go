package db

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/proc"
)

// MariaDB and MySQL have no RENAME DATABASE. An import loads the dump
// into a scratch database on the same server, like PostgreSQL's, and
// the swap then moves tables: one RENAME TABLE statement moves every
// table of the live database into the database that keeps the replaced
// data and every table of the scratch database into the live one, which
// is atomic: a session sees the old tables or the new ones, never a mix.
//
// RENAME TABLE does not move the rest, so the swap moves it by
// definition, read with SHOW CREATE from the database it lives in:
//   - triggers block a table's move to another database (MariaDB refuses
//     "Trigger in wrong schema"): those of both databases are dropped
//     just before the RENAME and created again on the tables in their new
//     places just after;
//   - views cannot change database: the live ones are dropped and those
//     the dump created are created in the live database; the old ones are
//     created in the kept database (so --undo has them back);
//   - routines (procedures, functions) and events belong to a database:
//     moved the same way.
// For the moment between the RENAME and the triggers' creation, writes to
// the tables run without triggers: a stack whose application writes
// during an import should stop it in hook_pre_db_import.

// myCompleteMarker is the line mariadb-dump and mysqldump write last (with
// the date), unless --skip-comments was given.
const myCompleteMarker = "-- Dump completed"

// myServer is the MariaDB/MySQL half of an import.
type myServer struct {
	x *Import
	// noCommands is the client option that turns client commands off:
	// --sandbox (MariaDB's client), or --commands=OFF (MySQL's 8.0.40 and
	// later); set by checkClient.
	noCommands string
	// loaded is what the load left for the swap (nil before a load).
	loaded *myLoad
}

// QuoteMyIdent quotes a MariaDB/MySQL identifier: `a“b`.
func QuoteMyIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// QuoteMyLiteral quotes a MariaDB/MySQL string literal, whatever
// sql_mode says about backslashes: 'a\'b' would break under
// NO_BACKSLASH_ESCAPES, so quotes are doubled and backslashes are
// written as a CONCAT of CHAR(92).
func QuoteMyLiteral(s string) string {
	parts := strings.Split(s, `\`)
	for i, p := range parts {
		parts[i] = "'" + strings.ReplaceAll(p, "'", "''") + "'"
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "CONCAT(" + strings.Join(parts, ", CHAR(92), ") + ")"
}

func (m *myServer) quote(name string) string { return QuoteMyIdent(name) }

// clientArgv is the client's command line (connection options first), its
// standard input read as SQL.
func (m *myServer) clientArgv(args ...string) []string {
	return m.x.Loc.Argv(m.x.Loc.clientTool(), args...)
}

// run runs the client with SQL on its standard input, in batch mode,
// with client commands off; out receives its output.
func (m *myServer) run(ctx context.Context, ex *plan.ActionEnv, sql string, out io.Writer, args ...string) error {
	var errb bytes.Buffer
	base := []string{"--batch"}
	if m.noCommands != "" {
		base = append(base, m.noCommands)
	}
	cmd := proc.Cmd{Argv: m.clientArgv(append(base, args...)...), Dir: ex.Cmd.Dir, Env: m.x.Loc.Env(ex.Cmd.Env),
		Stdin: strings.NewReader(sql), Stdout: out, Stderr: &errb}
	if err := ex.Proc.Run(ctx, cmd); err != nil {
		if msg := myErrorLine(errb.String()); msg != "" {
			return fmt.Errorf("%s: %w (%s)", m.x.Loc.clientTool(), err, msg)
		}
		return fmt.Errorf("%s: %w", m.x.Loc.clientTool(), err)
	}
	return nil
}

// myErrorLine picks the client's error line ("ERROR 1064 (42000) at line
// 3: ...").
func myErrorLine(stderr string) string {
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if strings.HasPrefix(l, "ERROR") || strings.Contains(l, "unknown option") || strings.Contains(l, "error:") {
			return strings.TrimSpace(l)
		}
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// exec runs statements; lock waits are bounded, so a long transaction
// of the application makes the step fail instead of hanging.
func (m *myServer) exec(ctx context.Context, ex *plan.ActionEnv, sql string) error {
	return m.run(ctx, ex, "SET SESSION lock_wait_timeout = 60;\n"+sql, io.Discard)
}

// query runs one SELECT whose columns are all HEX(...) and returns its
// rows decoded: any byte in a name survives the trip.
func (m *myServer) query(ctx context.Context, ex *plan.ActionEnv, sql string) ([][]string, error) {
	var out bytes.Buffer
	if err := m.run(ctx, ex, sql, &out, "--skip-column-names"); err != nil {
		return nil, err
	}
	var rows [][]string
	for _, line := range strings.Split(out.String(), "\n") {
		if line == "" {
			continue
		}
		var row []string
		for _, h := range strings.Split(line, "\t") {
			b, err := hex.DecodeString(h)
			if err != nil {
				return nil, fmt.Errorf("unexpected output from %s: %q", m.x.Loc.clientTool(), line)
			}
			row = append(row, string(b))
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// checkClient runs the client once with client commands off: MariaDB's
// --sandbox (10.5.25, 10.6.18, 10.11.8, 11.0.6 and later), else, for
// MySQL, --commands=OFF (8.0.40, 8.4.3, 9.1 and later). A client with
// neither is refused: it would obey \! (a shell, as root in host mode),
// \. or tee in a dump, and kompose does not scan for them itself.
func (m *myServer) checkClient(ctx context.Context, ex *plan.ActionEnv) error {
	opts := []string{"--sandbox"}
	if m.x.Loc.Engine == MySQL {
		opts = append(opts, "--commands=OFF")
	}
	var last error
	for _, o := range opts {
		m.noCommands = o
		err := m.run(ctx, ex, "SELECT 1;\n", io.Discard)
		if err == nil {
			return m.checkLoader(ctx, ex, m.x.Scratch)
		}
		if !strings.Contains(err.Error(), "unknown option") && !strings.Contains(err.Error(), "unknown variable") {
			return fmt.Errorf("%s on %s: %w", m.x.Loc.clientTool(), m.x.Loc, err)
		}
		last = err
	}
	m.noCommands = ""
	return &NoSandboxError{File: m.x.File, Where: m.x.Loc.String(), Tool: m.x.Loc.clientTool(), Err: last}
}

// NoSandboxError is an import refused because the client at the location
// cannot turn client commands off.
type NoSandboxError struct {
	File, Where, Tool string
	Err               error
}

func (e *NoSandboxError) Error() string {
	return fmt.Sprintf("%s: refusing to import with the %s client on %s: it has no --sandbox (nor --commands=OFF), so it would obey client commands in the dump (\\! runs a shell); kompose needs the MariaDB client 10.5.25, 10.6.18, 10.11.8, 11.0.6 or later (or MySQL's 8.0.40, 8.4.3, 9.1 or later) there: update the client or the database image (%v)", e.File, e.Tool, e.Where, e.Err)
}

func (m *myServer) databases(ctx context.Context, ex *plan.ActionEnv) ([]string, error) {
	rows, err := m.query(ctx, ex, "SELECT HEX(SCHEMA_NAME) FROM information_schema.SCHEMATA;\n")
	if err != nil {
		return nil, err
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r[0]
	}
	return out, nil
}

// create creates the scratch database with the live one's character set
// and collation (the server's defaults when there is no live one).
func (m *myServer) create(ctx context.Context, ex *plan.ActionEnv, scratch string, liveExists bool) error {
	sql := "CREATE DATABASE " + QuoteMyIdent(scratch)
	if liveExists {
		rows, err := m.query(ctx, ex, "SELECT HEX(DEFAULT_CHARACTER_SET_NAME), HEX(DEFAULT_COLLATION_NAME) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = "+QuoteMyLiteral(m.x.Cfg.Name)+";\n")
		if err != nil {
			return fmt.Errorf("read settings of %s: %w", QuoteMyIdent(m.x.Cfg.Name), err)
		}
		if len(rows) == 1 && len(rows[0]) == 2 {
			sql += " CHARACTER SET " + QuoteMyLiteral(rows[0][0]) + " COLLATE " + QuoteMyLiteral(rows[0][1])
		}
	}
	return m.exec(ctx, ex, sql+";\n")
}

func (m *myServer) drop(ctx context.Context, ex *plan.ActionEnv, name string) error {
	return m.exec(ctx, ex, "DROP DATABASE IF EXISTS "+QuoteMyIdent(name)+";\n")
}

// loadArgv is the client reading the dump into the scratch database, as
// the dry run shows it ([myServer.LoadRestricted] runs it).
func (m *myServer) loadArgv() []string {
	loc := m.x.Loc
	loc.cfg.User = myLoaderPrefix + "<random>"
	return m.loadArgvAs(loc, m.x.Scratch)
}

// loadArgvAs is the client loading a dump into db at loc: client
// commands off, no LOAD DATA LOCAL INFILE (the client would read any file
// of the machine it runs on, as root on the host in host mode, into a
// table: the client library allows it unless told not to). No
// --one-database: it follows only the client's own use command, and
// after one naming another database it silently skips every statement
// but SELECTs, to the end of the dump (an empty database, "loaded");
// the loading account is what keeps a dump in db.
func (m *myServer) loadArgvAs(loc Location, db string) []string {
	args := []string{"--batch", "--local-infile=0"}
	if m.noCommands != "" {
		args = append(args, m.noCommands)
	}
	return loc.Argv(loc.clientTool(), append(args, "--default-character-set=utf8mb4", "--", db)...)
}

// load streams the dump into the scratch database, as an account that
// can touch nothing else.
func (m *myServer) load(ctx context.Context, ex *plan.ActionEnv) error {
	x := m.x
	var raw counter
	body, err := x.openBody(&raw)
	if err != nil {
		return err
	}
	defer body.Close()
	tail := newTail(1024)
	src := &recordingReader{r: io.TeeReader(body, tail)}
	var errb bytes.Buffer
	pr := x.Progress.start(ex.Cmd.Stderr, "loaded", x.Size, raw.Load)
	ld, runErr := m.LoadRestricted(ctx, ex, x.Scratch, src, io.MultiWriter(ex.Cmd.Stderr, &errb))
	pr.Stop()
	var missing *MissingPrivilegeError
	var readBack *loadedReadError
	if errors.As(runErr, &missing) || errors.As(runErr, &readBack) {
		return runErr
	}
	if rerr := src.Err(); rerr != nil {
		return fmt.Errorf("%s is corrupt or truncated: %w", x.File, rerr)
	}
	if runErr != nil {
		msg := myErrorLine(errb.String())
		switch {
		case errors.As(runErr, new(*proc.InterruptedError)):
		case strings.Contains(errb.String(), "Not allowed in the sandbox mode"):
			return fmt.Errorf("%s: %s refused a client command in the dump (%s): kompose loads dumps with client commands off, so none runs; nothing was changed", x.File, x.Loc.clientTool(), msg)
		case strings.Contains(msg, "ERROR 1227"):
			return fmt.Errorf("%s: the dump needs a privilege beyond its own database (%s): kompose loads a dump as an account that may touch the scratch database %s only; a DEFINER written otherwise than mariadb-dump writes it, or a SET of a server or replication setting, is refused; the load stopped", x.File, msg, QuoteMyIdent(x.Scratch))
		case strings.Contains(msg, "ERROR 1044") || strings.Contains(msg, "ERROR 1142") || strings.Contains(msg, "ERROR 1045"):
			return fmt.Errorf("%s: the dump reached for something outside the scratch database %s (%s): kompose loads a dump as an account that may touch that database only, so it was refused and the load stopped; a dump of one database by mariadb-dump (db:export) never does this", x.File, QuoteMyIdent(x.Scratch), msg)
		case strings.Contains(msg, "ERROR 1419"):
			return fmt.Errorf("%s stopped: %w (%s: %s): the server keeps a binary log, and then only an account with SUPER may create functions and triggers, which the loading account has not; set log_bin_trust_function_creators=1 on the server", x.Loc.clientTool(), runErr, x.File, msg)
		case msg != "":
			return fmt.Errorf("%s stopped: %w (%s: %s)", x.Loc.clientTool(), runErr, x.File, msg)
		}
		return fmt.Errorf("%s stopped: %w", x.Loc.clientTool(), runErr)
	}
	if !tail.myComplete() {
		return fmt.Errorf("%s is truncated: it does not end with the %q line", x.File, myCompleteMarker)
	}
	m.loaded = ld
	return nil
}

// myObject is a view, trigger, routine or event: what RENAME TABLE does
// not move.
type myObject struct {
	kind string // VIEW, TRIGGER, PROCEDURE, FUNCTION, EVENT
	name string
	// create is its CREATE statement as SHOW CREATE gives it with its
	// database the default one (names in it unqualified); mode, charset
	// and collation the session settings it was created under.
	create, mode, charset, collation string
}

// myContent is what a database holds, by kind.
type myContent struct {
	tables  []string // base tables
	objects []myObject
}

// content reads the tables and the definitions of everything else in db.
func (m *myServer) content(ctx context.Context, ex *plan.ActionEnv, db string) (myContent, error) {
	var c myContent
	lit := QuoteMyLiteral(db)
	rows, err := m.query(ctx, ex, fmt.Sprintf(`SELECT HEX(kind), HEX(name) FROM (
SELECT IF(TABLE_TYPE = 'VIEW', 'VIEW', 'TABLE') AS kind, TABLE_NAME AS name, 0 AS ord FROM information_schema.TABLES WHERE TABLE_SCHEMA = %[1]s
UNION ALL SELECT ROUTINE_TYPE, ROUTINE_NAME, 1 FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %[1]s
UNION ALL SELECT 'TRIGGER', TRIGGER_NAME, 2 + ACTION_ORDER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %[1]s
UNION ALL SELECT 'EVENT', EVENT_NAME, 1 FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %[1]s
) o ORDER BY ord, name;
`, lit))
	if err != nil {
		return c, fmt.Errorf("list the content of %s: %w", QuoteMyIdent(db), err)
	}
	var show strings.Builder
	show.WriteString("USE " + QuoteMyIdent(db) + ";\n")
	for _, r := range rows {
		if r[0] == "TABLE" {
			c.tables = append(c.tables, r[1])
			continue
		}
		c.objects = append(c.objects, myObject{kind: r[0], name: r[1]})
		fmt.Fprintf(&show, "SHOW CREATE %s %s;\n", r[0], QuoteMyIdent(r[1]))
	}
	if len(c.objects) == 0 {
		return c, nil
	}
	var out bytes.Buffer
	if err := m.run(ctx, ex, show.String(), &out, "--xml"); err != nil {
		return c, fmt.Errorf("read the definitions in %s: %w", QuoteMyIdent(db), err)
	}
	sets, err := parseXMLResults(out.Bytes())
	if err != nil {
		return c, fmt.Errorf("read the definitions in %s: %w", QuoteMyIdent(db), err)
	}
	if len(sets) != len(c.objects) {
		return c, fmt.Errorf("read the definitions in %s: %d answers for %d objects", QuoteMyIdent(db), len(sets), len(c.objects))
	}
	for i := range c.objects {
		o := &c.objects[i]
		f := sets[i]
		switch o.kind {
		case "VIEW":
			o.create = f["Create View"]
		case "TRIGGER":
			o.create = f["SQL Original Statement"]
		case "PROCEDURE":
			o.create = f["Create Procedure"]
		case "FUNCTION":
			o.create = f["Create Function"]
		case "EVENT":
			o.create = f["Create Event"]
		}
		o.mode, o.charset, o.collation = f["sql_mode"], f["character_set_client"], f["collation_connection"]
		if o.create == "" {
			return c, fmt.Errorf("no definition of %s %s in %s (missing privileges?)", strings.ToLower(o.kind), QuoteMyIdent(o.name), QuoteMyIdent(db))
		}
	}
	return c, nil
}

// parseXMLResults reads the client's --xml output: one map of field
// name to value per result set (each SHOW CREATE answers one row).
func parseXMLResults(b []byte) ([]map[string]string, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var sets []map[string]string
	var field string
	var in bool
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return sets, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "resultset":
				sets = append(sets, map[string]string{})
			case "field":
				for _, a := range t.Attr {
					if a.Name.Local == "name" {
						field = a.Value
					}
				}
				in = true
				text.Reset()
			}
		case xml.CharData:
			if in {
				text.Write(t)
			}
		case xml.EndElement:
			if t.Name.Local == "field" && in && len(sets) > 0 {
				sets[len(sets)-1][field] = text.String()
				in = false
			}
		}
	}
}

// swap moves from's tables into the live database and the live
// database's into to (created here), in one RENAME TABLE; then the
// objects RENAME TABLE does not move (see the top of this file). It runs
// in two client sessions: up to the RENAME, then the rest. When the
// first fails (a lock held past lock_wait_timeout), the triggers it
// dropped are created again and to is dropped: the live database is as
// it was. When the second fails, the tables are swapped and a
// [PartialSwapError] says what is missing.
func (m *myServer) swap(ctx context.Context, ex *plan.ActionEnv, from, to string, liveExists bool) error {
	live := m.x.Cfg.Name
	var err error
	var src myContent
	if m.loaded != nil && m.loaded.db == from && m.loaded.content != nil {
		src = *m.loaded.content // read while the loading account existed
	} else if src, err = m.content(ctx, ex, from); err != nil {
		return err
	}
	var old myContent
	if liveExists {
		if old, err = m.content(ctx, ex, live); err != nil {
			return err
		}
	}
	create := "CREATE DATABASE IF NOT EXISTS " + QuoteMyIdent(live)
	if liveExists {
		rows, err := m.query(ctx, ex, "SELECT HEX(DEFAULT_CHARACTER_SET_NAME), HEX(DEFAULT_COLLATION_NAME) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = "+QuoteMyLiteral(live)+";\n")
		if err != nil {
			return err
		}
		create = "CREATE DATABASE " + QuoteMyIdent(to)
		if len(rows) == 1 && len(rows[0]) == 2 {
			create += " CHARACTER SET " + QuoteMyLiteral(rows[0][0]) + " COLLATE " + QuoteMyLiteral(rows[0][1])
		}
	}
	// 1. Up to the atomic step: triggers block a table's move to
	// another database, so those of both databases go first.
	s, err := newMyScript(m.lockWait())
	if err != nil {
		return err
	}
	s.add("%s", create)
	s.dropKind(live, old, "TRIGGER")
	s.dropKind(from, src, "TRIGGER")
	var moves []string
	for _, t := range old.tables {
		moves = append(moves, QuoteMyIdent(live)+"."+QuoteMyIdent(t)+" TO "+QuoteMyIdent(to)+"."+QuoteMyIdent(t))
	}
	for _, t := range src.tables {
		moves = append(moves, QuoteMyIdent(from)+"."+QuoteMyIdent(t)+" TO "+QuoteMyIdent(live)+"."+QuoteMyIdent(t))
	}
	if len(moves) > 0 {
		s.add("RENAME TABLE %s", strings.Join(moves, ", "))
	}
	if err := m.run(ctx, ex, s.String(), io.Discard); err != nil {
		return m.undoFirst(context.WithoutCancel(ctx), ex, err, live, to, old, liveExists)
	}
	// 2. The rest: the live database's views, routines and events make
	// room for the dump's; the old ones go with the old tables.
	s, err = newMyScript(m.lockWait())
	if err != nil {
		return err
	}
	for _, kind := range []string{"VIEW", "PROCEDURE", "FUNCTION", "EVENT"} {
		s.dropKind(live, old, kind)
	}
	s.createAll(live, src)
	if liveExists {
		s.createAll(to, old)
	}
	s.add("DROP DATABASE %s", QuoteMyIdent(from))
	if err := m.run(context.WithoutCancel(ctx), ex, s.String(), io.Discard); err != nil {
		return &PartialSwapError{Live: live, Kept: to, Scratch: from, Err: err}
	}
	return nil
}

// undoFirst puts back what the first session of a failed swap changed:
// the live database's triggers it dropped (those still there are left
// alone: creating them again would wait for the same lock), and the
// empty database that was to keep the old tables.
func (m *myServer) undoFirst(ctx context.Context, ex *plan.ActionEnv, cause error, live, to string, old myContent, liveExists bool) error {
	rows, err := m.query(ctx, ex, "SELECT HEX(TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = "+QuoteMyLiteral(live)+";\n")
	if err != nil {
		return fmt.Errorf("%w; could not check the triggers of %s afterwards: %v", cause, QuoteMyIdent(live), err)
	}
	there := map[string]bool{}
	for _, r := range rows {
		there[r[0]] = true
	}
	var missing myContent
	for _, o := range old.objects {
		if o.kind == "TRIGGER" && !there[o.name] {
			missing.objects = append(missing.objects, o)
		}
	}
	s, err := newMyScript(m.lockWait())
	if err != nil {
		return cause
	}
	if len(missing.objects) > 0 {
		s.createAll(live, missing)
	}
	if liveExists {
		s.add("DROP DATABASE IF EXISTS %s", QuoteMyIdent(to))
	}
	if err := m.run(ctx, ex, s.String(), io.Discard); err != nil {
		return fmt.Errorf("%w; putting back the triggers of %s failed too: %v", cause, QuoteMyIdent(live), err)
	}
	return cause
}

// lockWait is the swap's lock_wait_timeout in seconds.
func (m *myServer) lockWait() int {
	if m.x.SwapLockWait > 0 {
		return int(m.x.SwapLockWait.Seconds() + 0.5)
	}
	return 60
}

// PartialSwapError is a MariaDB/MySQL swap whose tables were swapped
// (the RENAME TABLE succeeded) but whose views, triggers, routines or
// events could not all be created again afterwards.
type PartialSwapError struct {
	Live, Kept, Scratch string
	Err                 error
}

func (e *PartialSwapError) Error() string {
	return fmt.Sprintf("the tables of the dump are live in %s and the replaced ones kept in %s, but creating the views, triggers, routines and events again failed: %v; the definitions still missing are in %s (left in place) and %s", QuoteMyIdent(e.Live), QuoteMyIdent(e.Kept), e.Err, QuoteMyIdent(e.Scratch), QuoteMyIdent(e.Kept))
}

func (e *PartialSwapError) Unwrap() error { return e.Err }

// myScript is SQL for one client session, statements ended by a random
// delimiter: the client keeps at most 15 bytes of one; this one cannot be
// in a definition by chance (random), nor on purpose (secret).
type myScript struct {
	b     strings.Builder
	delim string
}

func newMyScript(lockWait int) (*myScript, error) {
	key, err := restrictKey()
	if err != nil {
		return nil, err
	}
	s := &myScript{delim: "@k_" + key[:12]}
	s.b.WriteString("DELIMITER " + s.delim + "\n")
	s.add("SET SESSION lock_wait_timeout = %d", lockWait)
	return s, nil
}

func (s *myScript) add(format string, a ...any) {
	fmt.Fprintf(&s.b, format+s.delim+"\n", a...)
}

func (s *myScript) String() string { return s.b.String() }

// dropKind drops db's objects of one kind.
func (s *myScript) dropKind(db string, c myContent, kind string) {
	for _, o := range c.objects {
		if o.kind == kind {
			s.add("DROP %s %s.%s", o.kind, QuoteMyIdent(db), QuoteMyIdent(o.name))
		}
	}
}

// createAll creates c's objects in db, each under the settings it was
// created with.
func (s *myScript) createAll(db string, c myContent) {
	s.add("USE %s", QuoteMyIdent(db))
	for _, o := range orderViews(c.objects) {
		s.add("SET SESSION sql_mode = %s, character_set_client = %s, collation_connection = %s", QuoteMyLiteral(o.mode), QuoteMyLiteral(orDefault(o.charset, "utf8mb4")), QuoteMyLiteral(orDefault(o.collation, "utf8mb4_general_ci")))
		s.add("%s", o.create)
	}
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// orderViews puts the objects in an order they can be created in: views
// a view uses before it (by name in its definition), then routines,
// events and triggers in the order read (triggers by ACTION_ORDER).
func orderViews(objs []myObject) []myObject {
	var views, rest []myObject
	for _, o := range objs {
		if o.kind == "VIEW" {
			views = append(views, o)
		} else {
			rest = append(rest, o)
		}
	}
	var out []myObject
	done := map[string]bool{}
	for len(views) > 0 {
		progress := false
		var next []myObject
		for _, v := range views {
			ready := true
			for _, u := range views {
				if u.name != v.name && !done[u.name] && strings.Contains(v.create, QuoteMyIdent(u.name)) {
					ready = false
				}
			}
			if ready {
				out = append(out, v)
				done[v.name] = true
				progress = true
			} else {
				next = append(next, v)
			}
		}
		if !progress { // a cycle by name only: keep the order read
			out = append(out, next...)
			break
		}
		views = next
	}
	return append(out, rest...)
}
