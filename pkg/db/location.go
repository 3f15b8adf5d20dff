package db

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path"
	"strings"

	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/stack"
)

// Mode is where the database tools (pg_dump, psql, mariadb-dump, ...) run.
type Mode int

// The places the PostgreSQL tools can run.
const (
	Host      Mode = iota // on this machine, against DB_HOST:DB_PORT
	Service               // docker compose exec -T in a service of the stack
	Container             // docker exec -i in any container
)

// Location says where and how the database tools run for one stack.
type Location struct {
	Mode Mode
	// Engine is the database's engine: DB_ENGINE, else the image of the
	// service found, else PostgreSQL.
	Engine Engine
	// Service is the compose service (Service mode); Container the
	// container (Container mode).
	Service   string
	Container string
	// Why explains the choice ("DB_SERVICE", "image postgres:16").
	Why string
	// Compose is the compose command (docker compose) for Service mode.
	Compose []string
	cfg     Config
	// hostTools is, on the host, the MariaDB tools' names found there
	// (mariadb-dump and mariadb, else mysqldump and mysql).
	hostTools [2]string
}

// Locate decides where the database tools run for a stack, in the
// contract's order: DB_SERVICE, DB_CONTAINER, the one database service of
// the stack found by image, else the host; and which engine they are
// for: DB_ENGINE, else the image of the service they run in, else
// PostgreSQL. composeCmd gives the stack's compose command
// (plan.Stack.ComposeCommand), asked for in service mode only. It starts
// no process; finding services by image loads the compose file with
// compose-go.
func Locate(ctx context.Context, cfg Config, st stack.Stack, e *env.Env, composeCmd func() ([]string, error)) (Location, error) {
	l := Location{cfg: cfg, Engine: cfg.Engine}
	switch {
	case cfg.Service != "":
		l.Mode, l.Service, l.Why = Service, cfg.Service, VarService
		if !cfg.EngineSet {
			// The service's image says the engine; a compose file
			// kompose cannot read leaves PostgreSQL, as before.
			services, _ := compose.Services(ctx, st.Dir, st.ComposeFile, e.Map())
			for _, s := range services {
				if eng, ok := imageEngine(s.Image); ok && s.Name == cfg.Service {
					l.Engine, l.Why = eng, VarService+", image "+s.Image
				}
			}
		}
	case cfg.Container != "":
		// A container's image is not known without asking docker:
		// DB_ENGINE says a MariaDB or MySQL one.
		l.Mode, l.Container, l.Why = Container, cfg.Container, VarContainer
	default:
		if err := l.findService(ctx, cfg, st, e); err != nil {
			return l, err
		}
	}
	if l.Mode == Service {
		argv, err := composeCmd()
		switch {
		case errors.Is(err, plan.ErrSwarmExec) && cfg.Service == "" && cfg.Host == "":
			// Without DB_HOST the tools would use this machine's
			// socket: some other database, never the Swarm's.
			return l, fmt.Errorf("a Swarm stack's database service %s (found by its image) is not on this machine: set %s to the address where it publishes its port, or %s (the task's container) with the engine of its node (docs/swarm.md)", l.Service, VarHost, VarContainer)
		case errors.Is(err, plan.ErrSwarmExec) && cfg.Service == "":
			// A Swarm stack's database service found by its image:
			// the tools run here, against DB_HOST.
			l.Mode, l.Service, l.Why = Host, "", "a Swarm stack: host mode, against "+VarHost
		case err != nil:
			return l, err
		default:
			l.Compose = argv
		}
	}
	if l.Mode == Host && l.Engine.isMySQLFamily() {
		l.hostTools = hostMySQLTools(l.Engine)
	}
	return l, nil
}

// findService looks for the stack's database service by image: one of
// DB_ENGINE's engine when it is set, else one of any engine kompose
// knows. None: the host. Several: DB_SERVICE must say which.
func (l *Location) findService(ctx context.Context, cfg Config, st stack.Stack, e *env.Env) error {
	services, err := compose.Services(ctx, st.Dir, st.ComposeFile, e.Map())
	if err != nil {
		return fmt.Errorf("looking for the database service: %w (set %s, %s or %s to say where the database is)", err, VarService, VarContainer, VarHost)
	}
	var found []compose.Service
	var engines []Engine
	for _, s := range services {
		eng, ok := imageEngine(s.Image)
		if !ok || (cfg.EngineSet && eng.isMySQLFamily() != cfg.Engine.isMySQLFamily()) {
			continue
		}
		found = append(found, s)
		engines = append(engines, eng)
	}
	what := "database"
	if cfg.EngineSet {
		what = map[bool]string{false: "PostgreSQL", true: "MariaDB/MySQL"}[cfg.Engine.isMySQLFamily()]
	}
	switch len(found) {
	case 0:
		l.Mode, l.Why = Host, "no "+what+" service in the stack"
	case 1:
		l.Mode, l.Service, l.Why = Service, found[0].Name, "image "+found[0].Image
		if !cfg.EngineSet {
			l.Engine = engines[0]
		}
	default:
		// One engine among them: "several PostgreSQL services (a, b)";
		// mixed ones show their images.
		mixed := false
		for _, e := range engines {
			mixed = mixed || e.isMySQLFamily() != engines[0].isMySQLFamily()
		}
		if !mixed {
			what = map[bool]string{false: "PostgreSQL", true: "MariaDB/MySQL"}[engines[0].isMySQLFamily()]
		}
		names := make([]string, len(found))
		for i, s := range found {
			names[i] = s.Name
			if mixed {
				names[i] += " (" + s.Image + ")"
			}
		}
		return fmt.Errorf("several %s services (%s): set %s to the one holding %s", what, strings.Join(names, ", "), VarService, cfg.Name)
	}
	return nil
}

// hostMySQLTools are the dump and client programs on this machine for
// engine: MariaDB's names (mariadb-dump, mariadb) for MariaDB when they
// are installed, else MySQL's (mysqldump, mysql), which MariaDB's
// packages also install.
func hostMySQLTools(eng Engine) [2]string {
	if eng == MariaDB {
		if _, err := exec.LookPath("mariadb-dump"); err == nil {
			if _, err := exec.LookPath("mariadb"); err == nil {
				return [2]string{"mariadb-dump", "mariadb"}
			}
		}
	}
	return [2]string{"mysqldump", "mysql"}
}

// dumpTool and clientTool are the names of the engine's dump program and
// client where they run: in a MariaDB container mariadb-dump and mariadb
// (images from 11.0 have no mysql* names), in a MySQL one mysqldump and
// mysql, on the host what is installed.
func (l Location) dumpTool() string {
	switch {
	case l.Engine == Postgres:
		return "pg_dump"
	case l.hostTools[0] != "":
		return l.hostTools[0]
	case l.Engine == MariaDB:
		return "mariadb-dump"
	}
	return "mysqldump"
}

func (l Location) clientTool() string {
	switch {
	case l.Engine == Postgres:
		return "psql"
	case l.hostTools[1] != "":
		return l.hostTools[1]
	case l.Engine == MariaDB:
		return "mariadb"
	}
	return "mysql"
}

// passwordVar is the variable the engine's tools read the password from.
func (l Location) passwordVar() string {
	if l.Engine.isMySQLFamily() {
		return MySQLPasswordVar
	}
	return PasswordVar
}

// postgresImages are image names (the last path element, without tag)
// that run a PostgreSQL server.
var postgresImages = [...]string{"postgres", "postgresql", "postgis", "timescaledb", "timescaledb-ha", "pgvector", "citus", "postgresql-repmgr", "supabase-postgres"}

// IsPostgresImage reports whether an image reference is a PostgreSQL
// server image: postgres, postgis/postgis, timescale/timescaledb,
// bitnami/postgresql, pgvector/pgvector, ... with any registry and tag.
func IsPostgresImage(image string) bool {
	if image == "" {
		return false
	}
	ref, _, _ := strings.Cut(image, "@")
	name := path.Base(ref)
	if i := strings.LastIndex(name, ":"); i >= 0 {
		name = name[:i]
	}
	name = strings.ToLower(name)
	for _, p := range postgresImages {
		if name == p {
			return true
		}
	}
	return strings.HasPrefix(name, "postgres")
}

// String describes the location for people; a MariaDB or MySQL one
// names its engine first (PostgreSQL, the default, is not named, as
// before engines were added).
func (l Location) String() string {
	if l.Engine.isMySQLFamily() {
		return l.Engine.String() + ", " + l.where()
	}
	return l.where()
}

func (l Location) where() string {
	switch l.Mode {
	case Service:
		return fmt.Sprintf("service %s (%s)", l.Service, l.Why)
	case Container:
		return fmt.Sprintf("container %s (%s)", l.Container, l.Why)
	default:
		h, p := l.cfg.Host, l.cfg.Port
		if h == "" {
			h = "local socket"
		}
		if p != "" {
			h += ":" + p
		}
		return "host, " + h
	}
}

// Argv returns the command that runs tool (pg_dump, psql, pg_restore) with
// args at this location, connection options included. The password is not
// in it: see [Location.Env].
func (l Location) Argv(tool string, args ...string) []string {
	var argv []string
	conn := l.connArgs()
	switch l.Mode {
	case Service:
		argv = append(argv, l.Compose...)
		argv = append(argv, "exec", "-T")
		if l.cfg.Password != "" {
			argv = append(argv, "-e", l.passwordVar())
		}
		argv = append(argv, l.Service)
	case Container:
		argv = append(argv, "docker", "exec", "-i")
		if l.cfg.Password != "" {
			argv = append(argv, "-e", l.passwordVar())
		}
		argv = append(argv, l.Container)
	}
	argv = append(argv, tool)
	argv = append(argv, conn...)
	return append(argv, args...)
}

// connArgs are the connection options. On the host they point at
// DB_HOST:DB_PORT; inside a container the tools use the server's local
// socket and default port (DB_HOST and DB_PORT there usually name the
// service for the application, or a port published on the host).
func (l Location) connArgs() []string {
	var a []string
	if l.Engine.isMySQLFamily() {
		// --no-defaults is not given: a [client] section of the user's
		// own option file still applies, as ~/.pgpass does for psql.
		if l.Mode == Host {
			if l.cfg.Host != "" {
				a = append(a, "-h", l.cfg.Host)
			}
			if l.cfg.Port != "" {
				a = append(a, "-P", l.cfg.Port)
			}
		}
		if l.cfg.User != "" {
			a = append(a, "-u", l.cfg.User)
		}
		return a // no -p: the client never prompts, MYSQL_PWD carries the password
	}
	if l.Mode == Host {
		if l.cfg.Host != "" {
			a = append(a, "-h", l.cfg.Host)
		}
		if l.cfg.Port != "" {
			a = append(a, "-p", l.cfg.Port)
		}
	}
	if l.cfg.User != "" {
		a = append(a, "-U", l.cfg.User)
	}
	return append(a, "-w") // never prompt for a password: fail instead
}

// Env returns the environment of the process [Location.Argv] starts: base
// (the stack's environment) with PGPASSWORD (MYSQL_PWD for MariaDB and
// MySQL) set to DB_PASSWORD. Without DB_PASSWORD, base is returned as it
// is (a PGPASSWORD or ~/.pgpass of the user's own still works on the
// host).
func (l Location) Env(base []string) []string {
	if l.cfg.Password == "" {
		return base
	}
	v := l.passwordVar()
	out := make([]string, 0, len(base)+1)
	for _, kv := range base {
		if strings.HasPrefix(kv, v+"=") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, v+"="+l.cfg.Password)
}

// dbArg is the value of -d (--dbname) for database name: the name itself,
// or, when libpq would read the name as a connection string (it has "="
// or is a URI), a connection string naming it.
func dbArg(name string) string {
	if !strings.Contains(name, "=") && !strings.Contains(name, "://") {
		return name
	}
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "dbname='" + r.Replace(name) + "'"
}
