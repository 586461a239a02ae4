package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
)

// Lazy commits: writes whose loss on a power failure is harmless enough
// that they need not wait for a flush to disk. Today only CAS tickets
// (single-use, alive for seconds) are written this way; every other write
// stays fully durable.
//
// What a lazy commit keeps and what it gives up, on both backends:
//   - it is atomic and isolated like any commit, and visible to every
//     reader (every node) as soon as it returns;
//   - it survives a crash of the Gatehouse process (and, on PostgreSQL, of
//     the database server process: the WAL is in the OS's page cache);
//   - a power loss or an OS crash can lose the last lazy commits (on
//     PostgreSQL those of the last wal_writer_delay × 3, 600 ms by default;
//     on SQLite those since the last durable commit or checkpoint). A
//     durable commit made after a lazy one flushes the lazy one too, on
//     both backends, because both logs are flushed in order.
//
// On PostgreSQL the statement itself sets synchronous_commit to off with
// set_config(…, true), which is SET LOCAL for the statement's own
// transaction: the commit record is then written but not waited for, and
// the setting ends with the transaction, so the pooled connection goes back
// with synchronous_commit as configured. It is done inside the statement
// rather than as BEGIN; SET LOCAL …; statement; COMMIT to keep one round
// trip instead of four.
//
// On SQLite (WAL mode) the writer connection is switched to
// synchronous=NORMAL for the statement (run in a transaction of its own)
// and back to FULL before the connection is released; if switching back fails, the connection is
// discarded (a new one opens with the DSN's synchronous=FULL), so no other
// write can ever run on a connection left at NORMAL.

// pgLazyCommit is appended to a PostgreSQL statement's WHERE clause (or
// used as its RETURNING expression) to make its transaction commit lazily.
const pgLazyCommit = "set_config('synchronous_commit', 'off', true)"

// lazyWrite runs fn, one write, with a lazy commit. Inside a transaction
// (InTx) fn simply runs there and shares that transaction's durability.
// On PostgreSQL fn must put pgLazyCommit into its statement itself (fn gets
// lazy == true); on SQLite fn runs on the writer connection while it is at
// synchronous=NORMAL.
func (x repos) lazyWrite(ctx context.Context, fn func(q querier, lazy bool) error) error {
	if x.tx != nil {
		return fn(x.w, false)
	}
	if x.d.name == dialectPostgres {
		return fn(x.w, true)
	}
	cache, _ := x.w.(*stmtCache)
	q := &txStmts{cache: cache}
	err := x.s.lazyWriteSQLite(ctx, q, fn)
	// Prepare, now that the writer is free again, what ran unprepared
	// because it was not cached yet (the statement cache prepares on the
	// writer, which lazyWriteSQLite held).
	for _, query := range q.missed {
		cache.stmt(ctx, query)
	}
	return err
}

// lazyWriteSQLite runs fn in a transaction on the writer connection,
// switched to synchronous=NORMAL for it and back to FULL before release.
func (s *Store) lazyWriteSQLite(ctx context.Context, q *txStmts, fn func(q querier, lazy bool) error) (err error) {
	wctx, cancel := context.WithTimeout(ctx, connWait)
	conn, err := s.wr.Conn(wctx)
	cancel()
	if err != nil {
		return fmt.Errorf("lazy write: no database connection within %s: %w", connWait, err)
	}
	defer func() {
		// Back to FULL whatever happened, even when ctx is cancelled.
		_, rerr := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous = FULL")
		if rerr != nil {
			// Never hand back a writer left at NORMAL: discard it.
			conn.Raw(func(any) error { return driver.ErrBadConn })
			err = errors.Join(err, fmt.Errorf("lazy write: restore synchronous=FULL: %w", rerr))
		}
		conn.Close()
	}()
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
		return fmt.Errorf("lazy write: %w", err)
	}
	// A transaction, only so that the statement can be the writer's cached
	// prepared one (database/sql reuses a statement on a connection
	// through Tx.StmtContext, not through Conn).
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("lazy write: begin: %w", err)
	}
	q.tx = tx
	if err := fn(q, false); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return mapErr(fmt.Errorf("lazy write: commit: %w", err))
	}
	return nil
}

// txStmts runs statements in a transaction of the SQLite writer, as the
// writer's cached prepared statements when they are cached, else
// unprepared (and remembered, to be prepared after the transaction).
type txStmts struct {
	tx     *sql.Tx
	cache  *stmtCache
	missed []string
}

func (q *txStmts) cached(ctx context.Context, query string) *sql.Stmt {
	if q.cache != nil {
		if v, ok := q.cache.stmts.Load(query); ok {
			return q.tx.StmtContext(ctx, v.(*sql.Stmt))
		}
		q.missed = append(q.missed, query)
	}
	return nil
}

func (q *txStmts) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := q.cached(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.tx.ExecContext(ctx, query, args...)
}

func (q *txStmts) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := q.cached(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.tx.QueryContext(ctx, query, args...)
}

func (q *txStmts) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := q.cached(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.tx.QueryRowContext(ctx, query, args...)
}
