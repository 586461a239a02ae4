package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Lazy commits: writes whose loss on a power failure is harmless enough
// that they need not wait for a flush to disk. Today only CAS tickets
// (single-use, alive for seconds) and the CAS logins kept for back-channel
// logout (losing one costs one logout request) are written this way;
// every other write stays fully durable.
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
// On SQLite (WAL mode) lazy writes are grouped: a write that arrives while
// another batch of lazy writes holds the writer waits, and the next batch
// runs every waiting write (at most maxLazyBatch) in ONE transaction on the
// writer, switched to synchronous=NORMAL for it, with one COMMIT. A write
// that arrives while nothing is running runs at once, alone: no write ever
// waits for company. The writer goes back to FULL before it is released; if
// switching back fails, the connection is discarded (a new one opens with
// the DSN's synchronous=FULL), so no other write can ever run on a
// connection left at NORMAL.
//
// Each write in a batch gets its own result, as if it had run alone: a
// failing statement (a constraint error) is undone by SQLite alone, the
// rest of the batch goes on and commits; a failed COMMIT fails every write
// of the batch that had succeeded. A batch runs its statements with a
// context of its own that is never cancelled (an interrupted SQLite write
// would roll back the whole transaction, everyone's writes with it); a
// caller whose context ends before its write starts gets the context's
// error and its write is not made. Writes of one batch run one after
// another on the one connection, so a ticket consumed twice in one batch
// is seen unused by the first consumption only.

// pgLazyCommit is appended to a PostgreSQL statement's WHERE clause (or
// used as its RETURNING expression) to make its transaction commit lazily.
const pgLazyCommit = "set_config('synchronous_commit', 'off', true)"

// lazyWrite runs fn, one write, with a lazy commit. Inside a transaction
// (InTx) fn simply runs there and shares that transaction's durability.
// On PostgreSQL fn must put pgLazyCommit into its statement itself (fn gets
// lazy == true); on SQLite fn runs in a batch on the writer connection
// while it is at synchronous=NORMAL, and must not wait for anything but
// the statements it runs on q.
func (x repos) lazyWrite(ctx context.Context, fn func(q querier, lazy bool) error) error {
	if x.tx != nil {
		return fn(x.w, false)
	}
	if x.d.name == dialectPostgres {
		return fn(x.w, true)
	}
	return x.s.lazyWriteSQLite(ctx, fn)
}

// maxLazyBatch bounds the writes of one SQLite lazy batch.
const maxLazyBatch = 64

// lazyBatcher queues SQLite lazy writes. At most one caller (the leader)
// runs a batch at a time; when it is done it hands the lead to the first
// write still waiting, so no caller serves others for longer than one
// batch.
type lazyBatcher struct {
	mu      sync.Mutex
	queue   []*lazyJob
	running bool // a leader is running or about to run a batch
}

// lazyJob is one caller's write.
type lazyJob struct {
	ctx  context.Context
	fn   func(q querier, lazy bool) error
	err  error
	done chan bool // true: lead the next batch; false: err is the result
}

func (s *Store) lazyWriteSQLite(ctx context.Context, fn func(q querier, lazy bool) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b := &s.lazy
	j := &lazyJob{ctx: ctx, fn: fn, done: make(chan bool, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, j)
	lead := !b.running
	b.running = true
	b.mu.Unlock()
	if !lead && !j.wait(b) {
		return j.err
	}
	s.leadLazyBatch(j)
	return j.err
}

// wait waits for j's result (false) or for the lead (true). A caller whose
// context ends while its write is still queued leaves the queue.
func (j *lazyJob) wait(b *lazyBatcher) bool {
	select {
	case lead := <-j.done:
		return lead
	case <-j.ctx.Done():
	}
	b.mu.Lock()
	select {
	case lead := <-j.done: // the lead or the result came meanwhile
		b.mu.Unlock()
		return lead
	default:
	}
	if i := slices.Index(b.queue, j); i >= 0 {
		// Still queued, and not handed the lead (that is sent under
		// b.mu): leave without writing.
		b.queue = slices.Delete(b.queue, i, i+1)
		b.mu.Unlock()
		j.err = j.ctx.Err()
		return false
	}
	b.mu.Unlock()
	return <-j.done // in a running batch: its result follows
}

// leadLazyBatch waits for the writer, then runs the next batch (which
// holds self, the first queued write, and whatever queued meanwhile), hands
// the lead on, and delivers the other writes' results.
func (s *Store) leadLazyBatch(self *lazyJob) {
	ctx := context.WithoutCancel(self.ctx)
	wctx, cancel := context.WithTimeout(ctx, connWait)
	conn, cerr := s.wr.Conn(wctx)
	cancel()

	b := &s.lazy
	b.mu.Lock()
	n := min(len(b.queue), maxLazyBatch)
	batch := make([]*lazyJob, n)
	copy(batch, b.queue)
	rest := copy(b.queue, b.queue[n:])
	clear(b.queue[rest:])
	b.queue = b.queue[:rest]
	b.mu.Unlock()

	// However the batch ends, even by a panic (every write of the batch
	// then fails with it), the lead passes on and every waiting caller
	// gets a result.
	defer func() {
		if p := recover(); p != nil {
			for _, j := range batch {
				j.err = fmt.Errorf("lazy write: panic: %v", p)
			}
			s.endLazyBatch(self, batch)
			panic(p)
		}
		s.endLazyBatch(self, batch)
	}()
	if cerr != nil {
		for _, j := range batch {
			j.err = fmt.Errorf("lazy write: no database connection within %s: %w", connWait, cerr)
		}
		return
	}
	s.runLazyBatch(ctx, conn, batch)
}

// endLazyBatch hands the lead to the first queued write, if any, and
// delivers the results of the batch to its other callers.
func (s *Store) endLazyBatch(self *lazyJob, batch []*lazyJob) {
	b := &s.lazy
	b.mu.Lock()
	if len(b.queue) > 0 {
		b.queue[0].done <- true
	} else {
		b.running = false
	}
	b.mu.Unlock()
	for _, j := range batch {
		if j != self {
			j.done <- false
		}
	}
}

// runLazyBatch runs the writes of batch in one transaction on conn, the
// writer, switched to synchronous=NORMAL for it and back to FULL before
// release, and sets each write's err.
func (s *Store) runLazyBatch(ctx context.Context, conn *sql.Conn, batch []*lazyJob) {
	cache, _ := s.repos.w.(*stmtCache)
	q := &txStmts{cache: cache, ctx: ctx}
	released := false
	defer func() {
		if !released { // a panic: never hand back this connection
			conn.Raw(func(any) error { return driver.ErrBadConn })
			conn.Close()
		}
	}()
	err := runLazyTx(ctx, conn, q, batch)
	// Back to FULL whatever happened.
	if _, rerr := conn.ExecContext(ctx, "PRAGMA synchronous = FULL"); rerr != nil {
		// Never hand back a writer left at NORMAL: discard it.
		conn.Raw(func(any) error { return driver.ErrBadConn })
		rerr = fmt.Errorf("lazy write: restore synchronous=FULL: %w", rerr)
		for _, j := range batch {
			j.err = errors.Join(j.err, rerr)
		}
	}
	conn.Close()
	released = true
	if err != nil {
		for _, j := range batch {
			if j.err == nil {
				j.err = err
			}
		}
	}
	// Prepare, now that the writer is free again, what ran unprepared
	// because it was not cached yet (the statement cache prepares on the
	// writer, which the batch held).
	if cache != nil {
		for _, query := range q.missed {
			cache.stmt(ctx, query)
		}
	}
}

// runLazyTx runs the batch's writes in a transaction on conn; the error is
// one that fails every write that succeeded (no transaction, or no commit).
func runLazyTx(ctx context.Context, conn *sql.Conn, q *txStmts, batch []*lazyJob) error {
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
		return fmt.Errorf("lazy write: %w", err)
	}
	// A transaction also lets the statements be the writer's cached
	// prepared ones (database/sql reuses a statement on a connection
	// through Tx.StmtContext, not through Conn).
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("lazy write: begin: %w", err)
	}
	q.tx = tx
	ok := 0
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.err = err
			continue
		}
		if j.err = runLazyJob(q, j); j.err == nil {
			ok++
		}
	}
	if ok == 0 {
		tx.Rollback()
		return nil
	}
	if err := tx.Commit(); err != nil {
		return mapErr(fmt.Errorf("lazy write: commit: %w", err))
	}
	return nil
}

// runLazyJob runs one write; a panic becomes its error, so that the other
// writes of the batch still get their results.
func runLazyJob(q *txStmts, j *lazyJob) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("lazy write: panic: %v", p)
		}
	}()
	return j.fn(q, false)
}

// txStmts runs statements in a transaction of the SQLite writer, as the
// writer's cached prepared statements when they are cached, else
// unprepared (and remembered, to be prepared after the transaction).
//
// Its statements run with its own context (ctx): a lazy batch's, never
// cancelled, whatever context the caller passes.
type txStmts struct {
	ctx    context.Context
	tx     *sql.Tx
	cache  *stmtCache
	stmts  map[string]*sql.Stmt // the transaction's copies of cached statements
	missed []string
}

func (q *txStmts) cached(query string) *sql.Stmt {
	if q.cache == nil {
		return nil
	}
	if st := q.stmts[query]; st != nil {
		return st
	}
	if v, ok := q.cache.stmts.Load(query); ok {
		st := q.tx.StmtContext(q.ctx, v.(*sql.Stmt))
		if q.stmts == nil {
			q.stmts = make(map[string]*sql.Stmt, 4)
		}
		q.stmts[query] = st
		return st
	}
	if !slices.Contains(q.missed, query) {
		q.missed = append(q.missed, query)
	}
	return nil
}

func (q *txStmts) ExecContext(_ context.Context, query string, args ...any) (sql.Result, error) {
	if st := q.cached(query); st != nil {
		return st.ExecContext(q.ctx, args...)
	}
	return q.tx.ExecContext(q.ctx, query, args...)
}

func (q *txStmts) QueryContext(_ context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := q.cached(query); st != nil {
		return st.QueryContext(q.ctx, args...)
	}
	return q.tx.QueryContext(q.ctx, query, args...)
}

func (q *txStmts) QueryRowContext(_ context.Context, query string, args ...any) *sql.Row {
	if st := q.cached(query); st != nil {
		return st.QueryRowContext(q.ctx, args...)
	}
	return q.tx.QueryRowContext(q.ctx, query, args...)
}
