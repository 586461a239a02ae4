package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore/sqltest"
)

func casTestStore(t *testing.T, dsn string) *sqlstore.Store {
	t.Helper()
	s := sqltest.Open(t, dsn)
	if err := s.Tenants().Create(context.Background(), &storage.Tenant{ID: "t1", Name: "T1", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return s
}

func casTestTicket(i int, now time.Time) *storage.CASTicket {
	return &storage.CASTicket{TenantID: "t1", Hash: []byte(fmt.Sprintf("st-%d", i)), Kind: storage.TicketService, ApplicationID: "a",
		Service: "https://app/", UserID: "u", SID: "s", AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(10 * time.Second)}
}

// TestCASTicketsConsumeOnceConcurrently: tickets written with lazy commits
// (synchronous_commit off on PostgreSQL, synchronous=NORMAL on SQLite) are
// still consumed exactly once when many validations race for them.
func TestCASTicketsConsumeOnceConcurrently(t *testing.T) {
	for _, b := range sqltest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			s := casTestStore(t, b.DSN(t))
			now := time.Now().UTC()
			const tickets, workers = 40, 8
			for i := range tickets {
				if err := s.CASTickets().Create(ctx, casTestTicket(i, now)); err != nil {
					t.Fatal(err)
				}
			}
			var wins [tickets]atomic.Int32
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for k := range tickets {
						i := (k + w*5) % tickets // workers meet on every ticket, in different orders
						tk, err := s.CASTickets().Consume(ctx, "t1", []byte(fmt.Sprintf("st-%d", i)), now)
						if err != nil {
							errs <- err
							return
						}
						if tk.UsedAt.IsZero() {
							wins[i].Add(1)
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			for i := range tickets {
				if n := wins[i].Load(); n != 1 {
					t.Errorf("ticket %d consumed %d times, want exactly once", i, n)
				}
			}
			if b.Name == "postgres" {
				checkSynchronousCommitOn(t, s)
			}
		})
	}
}

// checkSynchronousCommitOn: the lazy commit's setting ends with its
// transaction; every pooled connection is back at the server's default.
func checkSynchronousCommitOn(t *testing.T, s *sqlstore.Store) {
	t.Helper()
	ctx := context.Background()
	_, db := s.DBs()
	var conns []*sql.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range db.Stats().OpenConnections {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var v string
		if err := c.QueryRowContext(ctx, "SHOW synchronous_commit").Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != "on" {
			t.Errorf("a pooled connection has synchronous_commit=%s after ticket writes, want on", v)
		}
	}
}

// TestCASTicketsLeaveSQLiteWriterDurable: SQLite's writer connection is
// at synchronous=FULL (2) again after every ticket write, whether the
// write succeeded, failed or found nothing, so no other write is ever
// made without an fsync; tickets written inside a transaction do not wait
// for the writer the transaction already holds.
func TestCASTicketsLeaveSQLiteWriterDurable(t *testing.T) {
	ctx := context.Background()
	s := casTestStore(t, sqltest.SQLiteDSN(t))
	_, w := s.DBs()
	check := func(step string) {
		t.Helper()
		var v int
		if err := w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != 2 {
			t.Fatalf("after %s: writer at synchronous=%d, want 2 (FULL)", step, v)
		}
	}
	check("opening")
	now := time.Now().UTC()
	if err := s.CASTickets().Create(ctx, casTestTicket(1, now)); err != nil {
		t.Fatal(err)
	}
	check("a ticket insert")
	var ce *storage.ConflictError
	if err := s.CASTickets().Create(ctx, casTestTicket(1, now)); !errors.As(err, &ce) {
		t.Fatalf("a duplicate ticket: %v, want a conflict", err)
	}
	check("a failed ticket insert")
	if tk, err := s.CASTickets().Consume(ctx, "t1", []byte("st-1"), now); err != nil || !tk.UsedAt.IsZero() {
		t.Fatalf("consume: %+v, %v", tk, err)
	}
	check("a ticket consumption")
	if tk, err := s.CASTickets().Consume(ctx, "t1", []byte("st-1"), now); err != nil || tk.UsedAt.IsZero() {
		t.Fatalf("consume again: %+v, %v; want the ticket, used", tk, err)
	}
	check("a second consumption")
	if _, err := s.CASTickets().Consume(ctx, "t1", []byte("nope"), now); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("consume an unknown ticket: %v", err)
	}
	check("an unknown ticket")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.CASTickets().Create(cctx, casTestTicket(2, now)); err == nil {
		t.Fatal("a ticket insert with a cancelled context succeeded")
	}
	check("a cancelled insert")
	err := s.InTx(ctx, func(tx storage.Repos) error {
		if err := tx.CASTickets().Create(ctx, casTestTicket(3, now)); err != nil {
			return err
		}
		_, err := tx.CASTickets().Consume(ctx, "t1", []byte("st-3"), now)
		return err
	})
	if err != nil {
		t.Fatalf("ticket writes inside a transaction: %v", err)
	}
	check("ticket writes in a transaction")
}

// TestCASTicketsBatchedWritesConcurrently: with many writers at once (on
// SQLite the writes then run in grouped transactions), every new ticket is
// written, one of several inserts of the same ticket wins and the others
// are conflicts, and every ticket is consumed exactly once.
func TestCASTicketsBatchedWritesConcurrently(t *testing.T) {
	for _, b := range sqltest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			s := casTestStore(t, b.DSN(t))
			now := time.Now().UTC()
			const workers, each = 32, 8
			var created, conflicts atomic.Int32
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for k := range each {
						if err := s.CASTickets().Create(ctx, casTestTicket(1000+w*each+k, now)); err != nil {
							errs <- err
							return
						}
					}
					var ce *storage.ConflictError
					switch err := s.CASTickets().Create(ctx, casTestTicket(1, now)); {
					case err == nil:
						created.Add(1)
					case errors.As(err, &ce):
						conflicts.Add(1)
					default:
						errs <- err
					}
				}()
			}
			wg.Wait()
			if created.Load() != 1 || conflicts.Load() != workers-1 {
				t.Errorf("one ticket inserted by %d writers: %d inserts, %d conflicts; want 1 and %d", workers, created.Load(), conflicts.Load(), workers-1)
			}
			var wins [workers * each]atomic.Int32
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for k := range workers * each {
						i := (k + w*7) % (workers * each)
						tk, err := s.CASTickets().Consume(ctx, "t1", []byte(fmt.Sprintf("st-%d", 1000+i)), now)
						if err != nil {
							errs <- err
							return
						}
						if tk.UsedAt.IsZero() {
							wins[i].Add(1)
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			for i := range wins {
				if n := wins[i].Load(); n != 1 {
					t.Errorf("ticket %d consumed %d times, want exactly once", 1000+i, n)
				}
			}
		})
	}
}
