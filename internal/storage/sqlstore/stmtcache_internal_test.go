package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
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
