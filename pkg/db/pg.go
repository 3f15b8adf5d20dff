package db

import (
	"context"

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
	create, err := p.x.createSQL(ctx, ex, liveExists)
	if err != nil {
		return err
	}
	return p.x.exec(ctx, ex, create)
}

func (p *pgServer) load(ctx context.Context, ex *plan.ActionEnv) error { return p.x.load(ctx, ex) }

func (p *pgServer) swap(ctx context.Context, ex *plan.ActionEnv, from, to string, liveExists bool) error {
	return p.x.exec(ctx, ex, swapSQL(p.x.Cfg.Name, from, to, liveExists))
}

func (p *pgServer) drop(ctx context.Context, ex *plan.ActionEnv, name string) error {
	return p.x.exec(ctx, ex, dropSQL(name))
}
