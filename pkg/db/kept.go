package db

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kompose-dev/kompose/pkg/safefile"
	"github.com/kompose-dev/kompose/pkg/trust"
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
// "" when there is none (or the record is not kompose's). The record is
// opened as every file kompose reads back is ([safefile.OpenReadBack]):
// without following a symlink or blocking on a FIFO, and only a regular
// file with one name, owned by root or the user running kompose, counts:
// a dump folder may be a sticky shared folder, where another user could
// plant a record naming a database for db:cleanup to drop or --undo to
// swap in.
func ReadKept(cfg Config) string {
	path := KeptPath(cfg.DumpDir, cfg.Name)
	f, err := safefile.OpenReadBack(trust.NewTree(trust.Current()), "read the record of the kept database", path)
	if err != nil || f == nil {
		return ""
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1025))
	if err != nil || len(b) > 1024 {
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
