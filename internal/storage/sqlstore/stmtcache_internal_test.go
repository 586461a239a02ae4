package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/storage"
)

// TestStmtCache: statements run through the cache give the results and
// errors they give unprepared; a query text is prepared once; past
// maxStmts distinct texts queries run unprepared instead of growing it.
func TestStmtCache(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := &stmtCache{db: db}
	if _, err := c.ExecContext(ctx, "CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT)"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := c.ExecContext(ctx, "INSERT INTO kv (k, v) VALUES (?, ?)", i, fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.ExecContext(ctx, "INSERT INTO kv (k, v) VALUES (?, ?)", 1, "dup"); err == nil {
		t.Fatal("a duplicate key was accepted")
	}
	st := c.stmt(ctx, "INSERT INTO kv (k, v) VALUES (?, ?)")
	if st == nil || st != c.stmt(ctx, "INSERT INTO kv (k, v) VALUES (?, ?)") {
		t.Fatal("a query text is not prepared once and kept")
	}
	rows, err := c.QueryContext(ctx, "SELECT v FROM kv WHERE k >= ? ORDER BY k", 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var v string
		rows.Scan(&v)
		got = append(got, v)
	}
	rows.Close()
	if fmt.Sprint(got) != "[v1 v2]" {
		t.Fatalf("query: %v", got)
	}
	for i := range maxStmts + 20 {
		var n int
		if err := c.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) + %d FROM kv", i)).Scan(&n); err != nil || n != i+3 {
			t.Fatalf("distinct query %d: %d, %v", i, n, err)
		}
	}
	if n := c.n.Load(); n != maxStmts {
		t.Fatalf("%d statements cached, want the bound %d", n, maxStmts)
	}
	if err := c.QueryRowContext(ctx, "SELECT nope FROM kv").Scan(new(int)); err == nil {
		t.Fatal("a query that cannot be prepared reported no error")
	}
}

// TestLazyWriteUsesCachedStatements: a ticket write on SQLite runs
// unprepared the first time (the writer it would prepare on is held),
// prepares its statement once the writer is free, and runs it prepared
// from then on, leaving the writer at synchronous=FULL each time.
func TestLazyWriteUsesCachedStatements(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "g.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Tenants().Create(ctx, &storage.Tenant{ID: "t1", Name: "T1", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	cache := s.repos.w.(*stmtCache)
	now := time.Now()
	for i := range 3 {
		tk := &storage.CASTicket{TenantID: "t1", Hash: []byte{byte(i)}, Kind: storage.TicketService, ApplicationID: "a",
			Service: "https://app/", UserID: "u", SID: "s", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
		if err := s.CASTickets().Create(ctx, tk); err != nil {
			t.Fatal(err)
		}
		if got, err := s.CASTickets().Consume(ctx, "t1", tk.Hash, now); err != nil || !got.UsedAt.IsZero() {
			t.Fatalf("consume %d: %+v, %v", i, got, err)
		}
		var sync int
		if err := s.wr.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil || sync != 2 {
			t.Fatalf("writer at synchronous=%d (%v), want 2", sync, err)
		}
	}
	n := 0
	cache.stmts.Range(func(k, _ any) bool {
		if q := k.(string); strings.HasPrefix(q, "INSERT INTO cas_tickets") || strings.HasPrefix(q, "UPDATE cas_tickets") {
			n++
		}
		return true
	})
	if n != 2 {
		t.Fatalf("%d ticket statements cached on the writer, want 2 (insert, consume)", n)
	}
}
