// Package sqltest gives tests fresh, migrated databases: an SQLite file in
// a temporary directory, or a new schema in the PostgreSQL server named by
// GATEHOUSE_TEST_POSTGRES (skipped, with a message, when it is unset).
package sqltest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore"
)

// PostgresEnv names the variable holding the test server's URL.
const PostgresEnv = "GATEHOUSE_TEST_POSTGRES"

// SQLiteDSN returns the DSN of a new SQLite file that is removed with the test.
func SQLiteDSN(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "gatehouse.db")
}

// PostgresDSN creates a fresh schema for the test and returns a DSN whose
// search_path selects it; the schema is dropped when the test ends. The
// test is skipped when GATEHOUSE_TEST_POSTGRES is unset.
func PostgresDSN(t testing.TB) string {
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("PostgreSQL tests skipped: set %s (e.g. postgres://postgres:postgres@127.0.0.1:5432/test)", PostgresEnv)
	}
	schema := "t_" + strings.ToLower(idgen.Alnum(12))
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("postgres: create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("postgres: %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens and migrates the database named by dsn, closing it with the test.
func Open(t testing.TB, dsn string) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

// Backends lists the backends to run a test on: SQLite always, PostgreSQL
// when configured (its entry skips itself otherwise).
var Backends = []struct {
	Name string
	DSN  func(t testing.TB) string
}{
	{"sqlite", SQLiteDSN},
	{"postgres", PostgresDSN},
}

// Describe names a DSN for messages without its password.
func Describe(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	return fmt.Sprintf("%s://%s%s", u.Scheme, u.Host, u.Path)
}
