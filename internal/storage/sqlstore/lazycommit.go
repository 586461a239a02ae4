package sqlstore

import (
	"context"
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
// synchronous=NORMAL for the statement and back to FULL before the
// connection is released; if switching back fails, the connection is
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
func (x repos) lazyWrite(ctx context.Context, fn func(q querier, lazy bool) error) (err error) {
	if x.tx != nil {
		return fn(x.w, false)
	}
	if x.d.name == dialectPostgres {
		return fn(x.w, true)
	}
	wctx, cancel := context.WithTimeout(ctx, connWait)
	conn, err := x.s.wr.Conn(wctx)
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
	return fn(conn, false)
}
