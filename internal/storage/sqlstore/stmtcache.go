package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// stmtCache runs the statements of SQLite's pools as prepared statements,
// one per query text, prepared on first use. The SQLite driver parses and
// plans a statement on every call otherwise: that was about a fifth of the
// server's CPU on a CAS sign-in (session, user, ticket queries), more than
// executing them. PostgreSQL needs none: pgx keeps its own per-connection
// statement cache.
//
// Only the pools go through it; a transaction (InTx) and a lazy write run
// their statements as before. A query that cannot be prepared (or any query
// once maxStmts are cached, so that queries built with a variable number
// of placeholders cannot grow the cache without bound) runs unprepared, so
// errors are reported as before.
type stmtCache struct {
	db    *sql.DB
	stmts sync.Map // query → *sql.Stmt
	n     atomic.Int32
}

const maxStmts = 512

var _ querier = (*stmtCache)(nil)

func (c *stmtCache) stmt(ctx context.Context, query string) *sql.Stmt {
	if v, ok := c.stmts.Load(query); ok {
		return v.(*sql.Stmt)
	}
	if c.n.Load() >= maxStmts {
		return nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	if v, loaded := c.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return v.(*sql.Stmt)
	}
	c.n.Add(1)
	return st
}

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := c.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.db.ExecContext(ctx, query, args...)
}

func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.db.QueryContext(ctx, query, args...)
}

func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.db.QueryRowContext(ctx, query, args...)
}
