package db

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/kompose-dev/kompose/pkg/compose"
	"github.com/kompose-dev/kompose/pkg/env"
	"github.com/kompose-dev/kompose/pkg/stack"
)

// Mode is where pg_dump, psql and pg_restore run.
type Mode int

// The places the PostgreSQL tools can run.
const (
	Host      Mode = iota // on this machine, against DB_HOST:DB_PORT
	Service               // docker compose exec -T in a service of the stack
	Container             // docker exec -i in any container
)

// Location says where and how the PostgreSQL tools run for one stack.
type Location struct {
	Mode Mode
	// Service is the compose service (Service mode); Container the
	// container (Container mode).
	Service   string
	Container string
	// Why explains the choice ("DB_SERVICE", "image postgres:16").
	Why string
	// Compose is the compose command (docker compose) for Service mode.
	Compose []string
	cfg     Config
}

// Locate decides where the PostgreSQL tools run for a stack, in the
// contract's order: DB_SERVICE, DB_CONTAINER, a service of the stack whose
// image is PostgreSQL, else the host. composeCmd gives the stack's compose
// command (plan.Stack.ComposeCommand), asked for in service mode only. It starts no process;
// finding the service by image loads the compose file with compose-go.
func Locate(ctx context.Context, cfg Config, st stack.Stack, e *env.Env, composeCmd func() ([]string, error)) (Location, error) {
	l := Location{cfg: cfg}
	switch {
	case cfg.Service != "":
		l.Mode, l.Service, l.Why = Service, cfg.Service, VarService
	case cfg.Container != "":
		l.Mode, l.Container, l.Why = Container, cfg.Container, VarContainer
	default:
		services, err := compose.Services(ctx, st.Dir, st.ComposeFile, e.Map())
		if err != nil {
			return l, fmt.Errorf("looking for the PostgreSQL service: %w (set %s, %s or %s to say where the database is)", err, VarService, VarContainer, VarHost)
		}
		var found []compose.Service
		for _, s := range services {
			if IsPostgresImage(s.Image) {
				found = append(found, s)
			}
		}
		switch len(found) {
		case 0:
			l.Mode, l.Why = Host, "no PostgreSQL service in the stack"
		case 1:
			l.Mode, l.Service, l.Why = Service, found[0].Name, "image "+found[0].Image
		default:
			names := make([]string, len(found))
			for i, s := range found {
				names[i] = s.Name
			}
			return l, fmt.Errorf("several PostgreSQL services (%s): set %s to the one holding %s", strings.Join(names, ", "), VarService, cfg.Name)
		}
	}
	if l.Mode == Service {
		argv, err := composeCmd()
		if err != nil {
			return l, err
		}
		l.Compose = argv
	}
	return l, nil
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

// String describes the location for people.
func (l Location) String() string {
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
			argv = append(argv, "-e", PasswordVar)
		}
		argv = append(argv, l.Service)
	case Container:
		argv = append(argv, "docker", "exec", "-i")
		if l.cfg.Password != "" {
			argv = append(argv, "-e", PasswordVar)
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
// (the stack's environment) with PGPASSWORD set to DB_PASSWORD. Without
// DB_PASSWORD, base is returned as it is (a PGPASSWORD or ~/.pgpass of the
// user's own still works on the host).
func (l Location) Env(base []string) []string {
	if l.cfg.Password == "" {
		return base
	}
	out := make([]string, 0, len(base)+1)
	for _, kv := range base {
		if strings.HasPrefix(kv, PasswordVar+"=") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, PasswordVar+"="+l.cfg.Password)
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
