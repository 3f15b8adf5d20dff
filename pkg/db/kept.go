package db

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kompose-dev/kompose/pkg/safefile"
)

// The database an import replaced is kept, renamed
// <db>__kompose_previous_<time>, until the next successful import (which
// drops it) or db:cleanup. Its name is recorded beside the lock, in
// <dump folder>/.<DB_NAME>.kompose.kept, so that db:list shows it and
// db:cleanup drops it without asking the server first. The record is
// written and read under the database's lock; a name in it that is not a
// kept database of DB_NAME is ignored (never dropped).

// KeptPath is the record of the database the last import kept.
func KeptPath(dir, db string) string { return filepath.Join(dir, "."+db+".kompose.kept") }

// writeKept records name as the database kept for cfg ("" removes the
// record).
func writeKept(cfg Config, name string) error {
	path := KeptPath(cfg.DumpDir, cfg.Name)
	if name == "" {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	return safefile.WriteFile(path, []byte(name+"\n"), 0o600)
}

// ReadKept returns the database the last import of cfg's database kept,
// "" when there is none (or the record is not kompose's).
func ReadKept(cfg Config) string {
	path := KeptPath(cfg.DumpDir, cfg.Name)
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > 1024 {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	name := strings.TrimSuffix(string(b), "\n")
	if !isSide(cfg.Name, previousInfix, name) {
		return ""
	}
	return name
}

// keptLine is db:list's line for a kept database.
func keptLine(name string) string {
	return fmt.Sprintf("kept by the last import: database %s (db:import --undo swaps it back; the next import or db:cleanup drops it)", QuoteIdent(name))
}
