package directory_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore/sqltest"
)

// TestTreeListStaysFresh pages a tree large enough to be cached, changes
// it through a second service (another node, same database), and checks
// that both see the change on their next page.
func TestTreeListStaysFresh(t *testing.T) {
	for _, b := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{"sqlite", sqltest.SQLiteDSN}, {"postgres", sqltest.PostgresDSN}} {
		t.Run(b.name, func(t *testing.T) { testTreeListStaysFresh(t, b.dsn(t)) })
	}
}

func testTreeListStaysFresh(t *testing.T, dsn string) {
	ctx := context.Background()
	store := sqltest.Open(t, dsn)
	now := func() time.Time { return time.Now().UTC() }
	store.Tenants().Create(ctx, &storage.Tenant{ID: "t1", Name: "t1", CreatedAt: now()})
	rec := &audit.Recorder{Store: store, Now: now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	node1 := &directory.Orgs{Store: store, Audit: rec, Now: now}
	node2 := &directory.Orgs{Store: store, Audit: rec, Now: now}

	root, err := node1.Create(ctx, "t1", audit.System, &directory.OrgWrite{Code: opt.Some("ROOT"), Name: opt.Some("Root")})
	if err != nil {
		t.Fatal(err)
	}
	// 700 children, created straight through the store (fast).
	err = store.InTx(ctx, func(tx storage.Repos) error {
		for i := range 700 {
			o := &storage.Organization{TenantID: "t1", ID: fmt.Sprintf("org-%04d", i), Code: fmt.Sprintf("C%04d", i),
				Name: fmt.Sprintf("n%04d", i), ParentID: root, Sequence: i, CreatedAt: now(), UpdatedAt: now()}
			if err := tx.Orgs().Create(ctx, o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	page := func(n *directory.Orgs, offset int) (string, int) {
		t.Helper()
		list, total, err := n.List(ctx, "t1", root, true, offset, 3)
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for _, o := range list {
			s += o.Code + " "
		}
		return s, total
	}
	for _, n := range []*directory.Orgs{node1, node2} {
		if got, total := page(n, 1); got != "C0000 C0001 C0002 " || total != 701 {
			t.Fatalf("first read: %q of %d", got, total)
		}
		page(n, 1) // from the cache now
	}
	// node2 moves C0001 last and renames C0000; node1 sees both at once.
	if err := node2.Update(ctx, "t1", audit.System, "org-0001", &directory.OrgWrite{Sequence: opt.Value[int]{Set: true, V: 5000}}); err != nil {
		t.Fatal(err)
	}
	if err := node2.Update(ctx, "t1", audit.System, "org-0000", &directory.OrgWrite{Code: opt.Some("X0000")}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*directory.Orgs{node1, node2} {
		if got, _ := page(n, 1); got != "X0000 C0002 C0003 " {
			t.Errorf("after the move: %q", got)
		}
		if got, total := page(n, 700); got != "C0001 " || total != 701 {
			t.Errorf("last page after the move: %q of %d", got, total)
		}
	}
	// A delete shrinks the total everywhere.
	if err := node1.Delete(ctx, "t1", audit.System, "org-0699", false); err != nil {
		t.Fatal(err)
	}
	if _, total := page(node2, 0); total != 700 {
		t.Errorf("total after a delete: %d", total)
	}
	if got, total := page(node2, 1000); got != "" || total != 700 {
		t.Errorf("past the end: %q of %d", got, total)
	}
}
