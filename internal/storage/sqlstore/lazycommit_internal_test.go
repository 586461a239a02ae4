package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/storage"
)

func lazyTestStore(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "l.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Tenants().Create(ctx, &storage.Tenant{ID: "t1", Name: "T1", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return s
}

func lazyTestTicket(name string, now time.Time) *storage.CASTicket {
	return &storage.CASTicket{TenantID: "t1", Hash: []byte(name), Kind: storage.TicketService, ApplicationID: "a",
		Service: "https://app/", UserID: "u", SID: "s", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
}

// waitQueued waits until n lazy writes are queued.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		s.lazy.mu.Lock()
		got := len(s.lazy.queue)
		s.lazy.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d lazy writes queued, want %d", got, n)
		}
	}
}

// TestLazyBatch: SQLite ticket writes that queue while the writer is busy
// run as one batch, and each gets the result it would get alone: new
// tickets are written, a duplicate is a conflict (and does not undo the
// others), a ticket consumed by several writes of the batch is consumed by
// exactly one, an unknown ticket is not found, and a write whose caller
// gave up while it was queued is not made. The writer is at
// synchronous=FULL afterwards.
func TestLazyBatch(t *testing.T) {
	ctx := context.Background()
	s := lazyTestStore(t)
	now := time.Now().UTC()
	for _, name := range []string{"dup", "c"} {
		if err := s.CASTickets().Create(ctx, lazyTestTicket(name, now)); err != nil {
			t.Fatal(err)
		}
	}
	// Hold the writer, as a durable transaction would.
	conn, err := s.wr.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		name string
		tk   *storage.CASTicket
		err  error
	}
	results := make(chan result, 32)
	var wg sync.WaitGroup
	create := func(ctx context.Context, name string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- result{name: "create " + name, err: s.CASTickets().Create(ctx, lazyTestTicket(name, now))}
		}()
	}
	consume := func(name string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk, err := s.CASTickets().Consume(ctx, "t1", []byte(name), now)
			results <- result{name: "consume " + name, tk: tk, err: err}
		}()
	}
	create(ctx, "n0") // the leader, waiting for the writer
	waitQueued(t, s, 1)
	cctx, cancel := context.WithCancel(ctx)
	create(cctx, "gave-up")
	waitQueued(t, s, 2)
	for i := 1; i < 10; i++ {
		create(ctx, fmt.Sprint("n", i))
	}
	create(ctx, "dup")
	for range 6 {
		consume("c")
	}
	consume("nope")
	waitQueued(t, s, 19)
	cancel()
	waitQueued(t, s, 18)
	conn.Close()
	wg.Wait()
	close(results)

	wins := 0
	for r := range results {
		var ce *storage.ConflictError
		switch {
		case r.name == "create gave-up":
			if !errors.Is(r.err, context.Canceled) {
				t.Errorf("%s: %v, want context.Canceled", r.name, r.err)
			}
		case r.name == "create dup":
			if !errors.As(r.err, &ce) {
				t.Errorf("%s: %v, want a conflict", r.name, r.err)
			}
		case r.name == "consume nope":
			if !errors.Is(r.err, storage.ErrNotFound) {
				t.Errorf("%s: %v, want ErrNotFound", r.name, r.err)
			}
		case r.name == "consume c":
			if r.err != nil {
				t.Errorf("%s: %v", r.name, r.err)
			} else if r.tk.UsedAt.IsZero() {
				wins++
			}
		default:
			if r.err != nil {
				t.Errorf("%s: %v", r.name, r.err)
			}
		}
	}
	if wins != 1 {
		t.Errorf("ticket c consumed %d times in one batch, want exactly once", wins)
	}
	for i := range 10 {
		if _, err := s.CASTickets().Get(ctx, "t1", []byte(fmt.Sprint("n", i))); err != nil {
			t.Errorf("ticket n%d: %v", i, err)
		}
	}
	if _, err := s.CASTickets().Get(ctx, "t1", []byte("gave-up")); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the write whose caller gave up: %v, want not written", err)
	}
	var sync int
	if err := s.wr.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil || sync != 2 {
		t.Fatalf("writer at synchronous=%d (%v), want 2", sync, err)
	}
}

// TestLazyBatchBound: more writes than maxLazyBatch queued at once all
// complete, in batches of at most maxLazyBatch, the lead passing from one
// caller to the next; nothing is left queued or running.
func TestLazyBatchBound(t *testing.T) {
	ctx := context.Background()
	s := lazyTestStore(t)
	now := time.Now().UTC()
	conn, err := s.wr.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 2*maxLazyBatch + 10
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.CASTickets().Create(ctx, lazyTestTicket(fmt.Sprint("b", i), now))
		}()
	}
	waitQueued(t, s, n)
	conn.Close()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var count int
	if err := s.read.QueryRowContext(ctx, "SELECT count(*) FROM cas_tickets").Scan(&count); err != nil || count != n {
		t.Fatalf("%d tickets written (%v), want %d", count, err, n)
	}
	s.lazy.mu.Lock()
	defer s.lazy.mu.Unlock()
	if len(s.lazy.queue) != 0 || s.lazy.running {
		t.Fatalf("after the writes: %d queued, running %v", len(s.lazy.queue), s.lazy.running)
	}
}

// TestSQLiteWriterCheckpointInterval: the writer checkpoints every
// walCheckpointPages pages, the reader pool keeps SQLite's default.
func TestSQLiteWriterCheckpointInterval(t *testing.T) {
	ctx := context.Background()
	s := lazyTestStore(t)
	var w, r int
	if err := s.wr.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&w); err != nil || w != walCheckpointPages {
		t.Fatalf("writer wal_autocheckpoint = %d (%v), want %d", w, err, walCheckpointPages)
	}
	if err := s.read.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&r); err != nil || r != 1000 {
		t.Fatalf("reader wal_autocheckpoint = %d (%v), want 1000", r, err)
	}
}

// TestLazyBatchPanic: a write that panics fails alone; the other writes of
// its batch are made, and later writes still run.
func TestLazyBatchPanic(t *testing.T) {
	ctx := context.Background()
	s := lazyTestStore(t)
	now := time.Now().UTC()
	conn, err := s.wr.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var perr, cerr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		perr = s.lazyWriteSQLite(ctx, func(querier, bool) error { panic("boom") })
	}()
	waitQueued(t, s, 1)
	go func() {
		defer wg.Done()
		cerr = s.CASTickets().Create(ctx, lazyTestTicket("after-panic", now))
	}()
	waitQueued(t, s, 2)
	conn.Close()
	wg.Wait()
	if perr == nil || !strings.Contains(perr.Error(), "boom") {
		t.Fatalf("the panicking write: %v, want its panic as an error", perr)
	}
	if cerr != nil {
		t.Fatalf("the other write of the batch: %v", cerr)
	}
	if err := s.CASTickets().Create(ctx, lazyTestTicket("later", now)); err != nil {
		t.Fatalf("a later write: %v", err)
	}
	for _, name := range []string{"after-panic", "later"} {
		if _, err := s.CASTickets().Get(ctx, "t1", []byte(name)); err != nil {
			t.Errorf("ticket %s: %v", name, err)
		}
	}
}
