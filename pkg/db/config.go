package db

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/kompose-dev/kompose/pkg/env"
)

// The variables a stack's database is described by (kompose.sh's names,
// plus DB_SERVICE, DB_CONTAINER and DB_DUMP_DIR).
const (
	VarName      = "DB_NAME"
	VarUser      = "DB_USER"
	VarPassword  = "DB_PASSWORD"
	VarHost      = "DB_HOST"
	VarPort      = "DB_PORT"
	VarService   = "DB_SERVICE"
	VarContainer = "DB_CONTAINER"
	VarDumpDir   = "DB_DUMP_DIR"
)

// PasswordVar is the variable libpq reads the password from. It is set in
// the environment of pg_dump, psql and pg_restore (or of the docker client
// that runs them), never on a command line.
const PasswordVar = "PGPASSWORD"

// MySQLPasswordVar is the variable the MariaDB and MySQL clients read the
// password from: set in the environment of mariadb-dump and mariadb (or of
// the docker client that runs them), never on a command line.
const MySQLPasswordVar = "MYSQL_PWD"

// Config is a stack's database as its environment describes it.
type Config struct {
	Name     string
	User     string
	Password string
	Host     string
	Port     string
	// Service and Container are DB_SERVICE and DB_CONTAINER.
	Service   string
	Container string
	// DumpDir is the absolute folder dumps are written to and read from:
	// DB_DUMP_DIR (relative to the stack's folder), else the stack's folder.
	DumpDir string
	// Engine is DB_ENGINE; EngineSet is false when it is not set (the
	// image of the database's service decides, else PostgreSQL).
	Engine    Engine
	EngineSet bool
}

// ConfigFrom reads the database settings of the stack in dir from its
// merged environment. ok is false when DB_NAME is not set: the stack has no
// database.
func ConfigFrom(e *env.Env, dir string) (c Config, ok bool, err error) {
	get := func(k string) string { v, _ := e.Get(k); return v }
	c = Config{
		Name: get(VarName), User: get(VarUser), Password: get(VarPassword),
		Host: get(VarHost), Port: get(VarPort),
		Service: get(VarService), Container: get(VarContainer),
		DumpDir: dir,
	}
	if c.Name == "" {
		return c, false, nil
	}
	if strings.ContainsAny(c.Name, "/\\\x00") || c.Name == "." || c.Name == ".." {
		return c, true, fmt.Errorf("%s=%q cannot be part of a file name", VarName, c.Name)
	}
	if v := get(VarEngine); v != "" {
		if c.Engine, err = ParseEngine(v); err != nil {
			return c, true, err
		}
		c.EngineSet = true
	}
	if d := get(VarDumpDir); d != "" {
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		c.DumpDir = filepath.Clean(d)
	}
	return c, true, nil
}
