package sqlstore_test

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore/sqltest"
	"github.com/gatehouse/gatehouse/internal/storage/storagetest"
)

func TestConformance(t *testing.T) {
	for _, b := range sqltest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			storagetest.Run(t, func(t *testing.T) storage.Store { return sqltest.Open(t, b.DSN(t)) })
		})
	}
}

// Several nodes starting at once on one database must each succeed, and
// the schema must be applied exactly once.
func TestMigrateConcurrently(t *testing.T) {
	for _, b := range sqltest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			dsn := b.DSN(t)
			ctx := context.Background()
			const nodes = 4
			applied := make([]int, nodes)
			errs := make([]error, nodes)
			var wg sync.WaitGroup
			for i := range nodes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
					if err != nil {
						errs[i] = err
						return
					}
					defer s.Close()
					applied[i], errs[i] = s.Migrate(ctx)
				}()
			}
			wg.Wait()
			total := 0
			for i := range nodes {
				if errs[i] != nil {
					t.Fatalf("node %d: %v", i, errs[i])
				}
				total += applied[i]
			}
			s := sqltest.Open(t, dsn)
			got, want, err := s.SchemaVersion(ctx)
			if err != nil || got != want {
				t.Fatalf("schema version %d, want %d (%v)", got, want, err)
			}
			// Versions need not be contiguous (branches may land out of
			// order): count the files.
			files, _ := os.ReadDir("migrations/sqlite")
			if total != len(files) {
				t.Fatalf("%d migrations applied in all, want %d: some ran twice or not at all", total, len(files))
			}
		})
	}
}
