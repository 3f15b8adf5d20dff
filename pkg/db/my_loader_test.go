package db

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kompose-dev/kompose/internal/mytest"
)

// loaderAccounts lists the loading accounts on the server.
func (e *myEnv) loaderAccounts() string {
	e.t.Helper()
	return e.srv.MustSQL(e.t, "", `SELECT GROUP_CONCAT(CONCAT(User, '@', Host)) FROM mysql.user WHERE User LIKE 'kompose\_load\_%'`)
}

// myDefinersOf lists the definers of the objects of db.
func (e *myEnv) myDefinersOf(db string) string {
	e.t.Helper()
	lit := QuoteMyLiteral(db)
	return e.srv.MustSQL(e.t, "", `SELECT GROUP_CONCAT(o ORDER BY o SEPARATOR ' ') FROM (
SELECT CONCAT('view:', TABLE_NAME, '=', DEFINER) o FROM information_schema.VIEWS WHERE TABLE_SCHEMA = `+lit+`
UNION ALL SELECT CONCAT('trigger:', TRIGGER_NAME, '=', DEFINER) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = `+lit+`
UNION ALL SELECT CONCAT('routine:', ROUTINE_NAME, '=', DEFINER) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = `+lit+`
UNION ALL SELECT CONCAT('event:', EVENT_NAME, '=', DEFINER) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = `+lit+`) d`)
}

// The dump is loaded as a throwaway account: the objects it creates
// keep the dump's DEFINERs, also of an account other than DB_USER; the
// account is gone afterwards; its password is in no argument and no
// output; and an account a killed import left over is dropped by the
// next import.
func testMyLoaderAccount(t *testing.T, e *myEnv) {
	// Objects of another definer than DB_USER and root.
	e.srv.MustSQL(t, "", "CREATE USER IF NOT EXISTS 'k20c_owner'@'%' IDENTIFIED BY 'Own3r-pw!'; GRANT ALL ON *.* TO 'k20c_owner'@'%'")
	t.Cleanup(func() { _, _ = e.srv.SQL(context.Background(), "", "DROP USER IF EXISTS 'k20c_owner'@'%'") })
	e.srv.MustSQL(t, e.cfg.Name, "CREATE DEFINER=`k20c_owner`@`%` SQL SECURITY DEFINER VIEW owned_v AS SELECT id FROM items;\n"+
		"CREATE DEFINER=`k20c_owner`@`%` PROCEDURE owned_p() SELECT 1;\n"+
		"CREATE DEFINER=`k20c_owner`@`%` TRIGGER owned_t BEFORE UPDATE ON counters FOR EACH ROW SET NEW.n = NEW.n;\n")
	defsBefore := e.myDefinersOf(e.cfg.Name)
	if !strings.Contains(defsBefore, "owned_v=k20c_owner@%") || !strings.Contains(defsBefore, "items_shout=") {
		t.Fatalf("fixture: definers %s", defsBefore)
	}
	before := e.state()
	file, _ := e.export(Plain, time.Now())
	// A leftover of a killed import of the same database.
	stem := loaderStem(e.cfg.Name)
	e.srv.MustSQL(t, "", "CREATE USER '"+stem+"deadbeef'@'127.0.0.1' IDENTIFIED BY 'x'")
	var seen []string
	err, stderr := e.run(e.newImport(file), func(argv []string) []string {
		seen = append(seen, strings.Join(argv, " "))
		return argv
	})
	if err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	if got := e.state(); got != before {
		t.Errorf("round trip changed the data:\n%s\n%s", before, got)
	}
	if got := e.myDefinersOf(e.cfg.Name); got != defsBefore {
		t.Errorf("definers after the import:\n%s\nwant\n%s", got, defsBefore)
	}
	if got := e.loaderAccounts(); got != "NULL" {
		t.Errorf("loading accounts left: %s", got)
	}
	if !strings.Contains(stderr, "left over by an interrupted import") {
		t.Errorf("the leftover account was not said:\n%s", stderr)
	}
	loads := 0
	for _, s := range seen {
		if strings.Contains(s, "--local-infile=0") {
			loads++
			if !strings.Contains(s, "-u "+stem) {
				t.Errorf("the load did not run as the loading account: %s", s)
			}
		}
	}
	if loads != 1 {
		t.Errorf("%d loads in %v", loads, seen)
	}
	pw := regexp.MustCompile(`Kl-[0-9a-f]{20,}`)
	for _, s := range append(seen, stderr) {
		if pw.MatchString(s) || strings.Contains(s, "IDENTIFIED") {
			t.Errorf("the loading account's password in %q", s)
		}
	}
}

// A DB_USER that may not create accounts (an application's own user)
// is refused before anything changes, with a message naming the
// privilege and how to give it.
func testMyLoaderRefused(t *testing.T, e *myEnv) {
	app := "k20c_app"
	e.srv.MustSQL(t, "", "CREATE USER '"+app+"'@'%' IDENTIFIED BY 'App-pw-1!'; GRANT ALL ON "+QuoteMyIdent(e.cfg.Name)+".* TO '"+app+"'@'%'")
	t.Cleanup(func() { _, _ = e.srv.SQL(context.Background(), "", "DROP USER IF EXISTS '"+app+"'@'%'") })
	file, _ := e.export(Plain, time.Now())
	before := e.state()
	e.cfg.User, e.cfg.Password = app, "App-pw-1!"
	err, stderr := e.run(e.newImport(file), nil)
	e.cfg.User, e.cfg.Password = mytest.User, mytest.Password
	if err == nil {
		t.Fatalf("imported as a user that may not create accounts:\n%s", stderr)
	}
	for _, want := range []string{"CREATE USER", "GRANT", "nothing was changed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q: %v", want, err)
		}
	}
	if got := e.state(); got != before {
		t.Error("live data changed")
	}
	if side := e.sideDBs(); len(side) != 0 {
		t.Errorf("left %v", side)
	}
	if got := e.loaderAccounts(); got != "NULL" {
		t.Errorf("loading accounts left: %s", got)
	}
	if strings.Contains(stderr, "warning") {
		t.Errorf("a refused import warns about something else:\n%s", stderr)
	}
}

// An administrative DB_USER that is not root imports with the privileges
// docs/database.md names: CREATE USER, SET USER (the dump's definers are
// root's), SELECT on mysql.proc (to read back routines it did not
// define) and ALL on the stack's databases WITH GRANT OPTION; it cannot
// read mysql.user, so leftover accounts are not looked for (a warning).
func testMyLoaderLimitedAdmin(t *testing.T, e *myEnv) {
	admin := "k20c_admin"
	e.srv.MustSQL(t, "", "CREATE USER '"+admin+"'@'%' IDENTIFIED BY 'Adm1n-pw!'; GRANT CREATE USER, SET USER ON *.* TO '"+admin+"'@'%'; GRANT SELECT ON mysql.proc TO '"+admin+"'@'%'; GRANT ALL ON "+grantDB(e.cfg.Name)[:len(grantDB(e.cfg.Name))-1]+"%`.* TO '"+admin+"'@'%' WITH GRANT OPTION")
	t.Cleanup(func() { _, _ = e.srv.SQL(context.Background(), "", "DROP USER IF EXISTS '"+admin+"'@'%'") })
	file, _ := e.export(Plain, time.Now())
	before := e.state()
	defs := e.myDefinersOf(e.cfg.Name)
	e.cfg.User, e.cfg.Password = admin, "Adm1n-pw!"
	err, stderr := e.run(e.newImport(file), nil)
	e.cfg.User, e.cfg.Password = mytest.User, mytest.Password
	if err != nil {
		t.Fatalf("import as %s: %v\n%s", admin, err, stderr)
	}
	if got := e.state(); got != before {
		t.Error("round trip changed the data")
	}
	if got := e.myDefinersOf(e.cfg.Name); got != defs {
		t.Errorf("definers %s, want %s", got, defs)
	}
	if got := e.loaderAccounts(); got != "NULL" {
		t.Errorf("loading accounts left: %s", got)
	}
	if !strings.Contains(stderr, "warning: list loading accounts left over") {
		t.Errorf("no warning that leftovers were not looked for:\n%s", stderr)
	}
}
