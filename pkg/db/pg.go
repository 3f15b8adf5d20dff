package db

import (
	"context"
	"fmt"
	"strings"

	"github.com/kompose-dev/kompose/pkg/plan"
)

// pgServer is the PostgreSQL half of an import: psql on the maintenance
// database for CREATE, ALTER and DROP DATABASE, psql under \restrict or
// pg_restore for the load, and a swap that renames whole databases in
// one transaction.
type pgServer struct{ x *Import }

func (p *pgServer) quote(name string) string { return QuoteIdent(name) }

func (p *pgServer) checkClient(ctx context.Context, ex *plan.ActionEnv) error {
	return p.x.checkRestrict(ctx, ex)
}

func (p *pgServer) databases(ctx context.Context, ex *plan.ActionEnv) ([]string, error) {
	return p.x.query(ctx, ex, "SELECT datname FROM pg_database;\n")
}

func (p *pgServer) create(ctx context.Context, ex *plan.ActionEnv, scratch string, liveExists bool) error {
	x := p.x
	create := "CREATE DATABASE " + QuoteIdent(scratch) + " TEMPLATE template0"
	if liveExists {
		// The new database gets the live one's owner, encoding and locale.
		rows, err := x.query(ctx, ex, fmt.Sprintf("SELECT pg_encoding_to_char(encoding) || '|' || datcollate || '|' || datctype || '|' || pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s;\n", QuoteLiteral(x.Cfg.Name)))
		if err != nil {
			return fmt.Errorf("read settings of %s: %w", QuoteIdent(x.Cfg.Name), err)
		}
		if len(rows) == 1 {
			if f := strings.Split(rows[0], "|"); len(f) == 4 {
				create += fmt.Sprintf(" ENCODING %s LC_COLLATE %s LC_CTYPE %s OWNER %s", QuoteLiteral(f[0]), QuoteLiteral(f[1]), QuoteLiteral(f[2]), QuoteIdent(f[3]))
			}
		}
	}
	return x.exec(ctx, ex, create+";\n")
}

func (p *pgServer) load(ctx context.Context, ex *plan.ActionEnv) error { return p.x.load(ctx, ex) }

func (p *pgServer) swap(ctx context.Context, ex *plan.ActionEnv, from, to string, liveExists bool) error {
	return p.x.exec(ctx, ex, swapSQL(p.x.Cfg.Name, from, to, liveExists))
}

func (p *pgServer) drop(ctx context.Context, ex *plan.ActionEnv, name string) error {
	return p.x.exec(ctx, ex, dropSQL(name))
}
