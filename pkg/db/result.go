package db

import (
	"sync"

	"github.com/kompose-dev/kompose/pkg/plan"
)

// What the db:* actions tell the reporters (plan.DBReporter): the
// database, its engine, and for an export of a MariaDB/MySQL database
// the tables without transactions it found.

// notTransactional is what an export's check of tables without
// transactions found; safe for the reporters to read after Run.
type notTransactional struct {
	mu      sync.Mutex
	checked bool
	tables  []string // "ENGINE: table"
}

// record keeps the rows of the check (engine, table).
func (n *notTransactional) record(rows [][]string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.checked, n.tables = true, nil
	for _, r := range rows {
		n.tables = append(n.tables, r[0]+": "+r[1])
	}
}

func dbResult(cfg Config, loc Location) plan.DBResult {
	return plan.DBResult{Name: cfg.Name, Engine: loc.Engine.String()}
}

// DBResult implements plan.DBReporter.
func (x *Export) DBResult() plan.DBResult {
	r := dbResult(x.Cfg, x.Loc)
	x.notTx.mu.Lock()
	defer x.notTx.mu.Unlock()
	r.NotTransactionalChecked = x.notTx.checked
	r.NotTransactional = append([]string(nil), x.notTx.tables...)
	return r
}

// DBResult implements plan.DBReporter.
func (x *Import) DBResult() plan.DBResult { return dbResult(x.Cfg, x.Loc) }

// DBResult implements plan.DBReporter.
func (x *DecryptImport) DBResult() plan.DBResult { return dbResult(x.Cfg, x.Loc) }

// DBResult implements plan.DBReporter.
func (x *FromRestic) DBResult() plan.DBResult { return dbResult(x.Cfg, x.Loc) }

// DBResult implements plan.DBReporter.
func (u *Undo) DBResult() plan.DBResult { return dbResult(u.x.Cfg, u.x.Loc) }

// DBResult implements plan.DBReporter.
func (v *Verify) DBResult() plan.DBResult { return dbResult(v.Cfg, v.Loc) }

// The db:* actions that name their database to the reporters.
var (
	_ plan.DBReporter = (*Export)(nil)
	_ plan.DBReporter = (*Import)(nil)
	_ plan.DBReporter = (*DecryptImport)(nil)
	_ plan.DBReporter = (*FromRestic)(nil)
	_ plan.DBReporter = (*Undo)(nil)
	_ plan.DBReporter = (*Verify)(nil)
)
