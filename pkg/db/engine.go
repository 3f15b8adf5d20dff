package db

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/kompose-dev/kompose/pkg/plan"
)

// Engine is the database server a stack's database runs on. The zero
// value is PostgreSQL, what kompose.sh assumed.
type Engine int

// The engines kompose dumps and loads.
const (
	Postgres Engine = iota // pg_dump, psql, pg_restore
	MariaDB                // mariadb-dump, mariadb (--sandbox)
	MySQL                  // mysqldump, mysql: MySQL's names for the same tools
)

// VarEngine names the engine of a stack's database: postgres, mariadb or
// mysql. Unset, the image of the service the tools run in decides, else
// PostgreSQL.
const VarEngine = "DB_ENGINE"

var engineName = [...]string{Postgres: "postgres", MariaDB: "mariadb", MySQL: "mysql"}

// String is the engine's name as DB_ENGINE spells it.
func (e Engine) String() string { return engineName[e] }

// ParseEngine reads a DB_ENGINE value; postgresql and mariadb/mysql
// spellings people use are accepted.
func ParseEngine(s string) (Engine, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "postgres", "postgresql", "pg":
		return Postgres, nil
	case "mariadb":
		return MariaDB, nil
	case "mysql":
		return MySQL, nil
	}
	return 0, fmt.Errorf("%s=%q: use postgres, mariadb or mysql", VarEngine, s)
}

// isMySQLFamily reports whether the engine speaks MySQL's protocol and
// takes mysqldump-style dumps.
func (e Engine) isMySQLFamily() bool { return e == MariaDB || e == MySQL }

// mysqlImages are image names (last path element, without tag) that run
// a MariaDB or MySQL server, with the engine each one is.
var mysqlImages = map[string]Engine{
	"mariadb": MariaDB, "mariadb-galera": MariaDB,
	"mysql": MySQL, "percona": MySQL, "percona-server": MySQL, "mysql-server": MySQL,
}

// imageEngine returns the engine an image reference runs, and false when
// it is no database server kompose knows: postgres, mariadb, mysql,
// percona, bitnami/mariadb, linuxserver/mariadb, ... with any registry
// and tag.
func imageEngine(image string) (Engine, bool) {
	if IsPostgresImage(image) {
		return Postgres, true
	}
	if image == "" {
		return 0, false
	}
	ref, _, _ := strings.Cut(image, "@")
	name := path.Base(ref)
	if i := strings.LastIndex(name, ":"); i >= 0 {
		name = name[:i]
	}
	e, ok := mysqlImages[strings.ToLower(name)]
	return e, ok
}

// IsMySQLImage reports whether an image reference is a MariaDB or MySQL
// server image.
func IsMySQLImage(image string) bool {
	e, ok := imageEngine(image)
	return ok && e.isMySQLFamily()
}

// server is what an import, its --undo and db:cleanup ask of a database
// server, whatever its engine: the shared steps (lock, checks of the
// dump, scratch name, swap only after a complete load, keep the replaced
// data, report) are written once in [Import.Run] over it.
type server interface {
	// checkClient refuses, before anything changes, a client that would
	// obey commands hidden in a dump (psql without \restrict, a mariadb
	// client without --sandbox).
	checkClient(ctx context.Context, ex *plan.ActionEnv) error
	// databases lists the server's databases.
	databases(ctx context.Context, ex *plan.ActionEnv) ([]string, error)
	// create creates the empty scratch database, with the live one's
	// settings when it exists.
	create(ctx context.Context, ex *plan.ActionEnv, scratch string, liveExists bool) error
	// load streams the dump into the scratch database.
	load(ctx context.Context, ex *plan.ActionEnv) error
	// swap makes from's content the live database's and keeps what the
	// live database held as to (when it exists).
	swap(ctx context.Context, ex *plan.ActionEnv, from, to string, liveExists bool) error
	// drop drops a database (a scratch or kept one).
	drop(ctx context.Context, ex *plan.ActionEnv, name string) error
	// quote quotes a database name for messages and SQL.
	quote(name string) string
}

// server returns the engine-specific half of the import.
func (x *Import) server() server {
	if x.Loc.Engine.isMySQLFamily() {
		return &myServer{x: x}
	}
	return &pgServer{x: x}
}
