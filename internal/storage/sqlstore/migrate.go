package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationsFS embed.FS

// migration is one embedded file, migrations/<dialect>/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations(dialect string) ([]migration, error) {
	dir := "migrations/" + dialect
	entries, err := fs.ReadDir(migrationsFS, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration file %s: want NNNN_name.sql", e.Name())
		}
		body, err := migrationsFS.ReadFile(dir + "/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// Migrate applies every embedded migration the database lacks and returns
// how many it applied. It is safe to call from several processes at once:
// PostgreSQL serialises them with an advisory lock, SQLite with its write
// lock (the whole run is one IMMEDIATE transaction).
func (s *Store) Migrate(ctx context.Context) (int, error) {
	ms, err := loadMigrations(s.d.name)
	if err != nil {
		return 0, err
	}
	if s.d.name == dialectSQLite {
		n := 0
		err := s.inTx(ctx, func(x repos) error {
			n, err = applyMigrations(ctx, x.tx, ms)
			return err
		})
		return n, err
	}
	conn, err := s.wr.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	// The lock key pairs a constant with the schema, so that test schemas
	// in one database migrate side by side.
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(7215001, hashtext(current_schema()))"); err != nil {
		return 0, fmt.Errorf("migrate: advisory lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7215001, hashtext(current_schema()))")
	total := 0
	for _, m := range ms {
		// One transaction per migration keeps a failure from undoing the
		// ones before it.
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return total, err
		}
		n, err := applyMigrations(ctx, tx, []migration{m})
		if err != nil {
			tx.Rollback()
			return total, err
		}
		if err := tx.Commit(); err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// applyMigrations applies the migrations in ms that schema_migrations lacks.
func applyMigrations(ctx context.Context, tx *sql.Tx, ms []migration) (int, error) {
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at BIGINT NOT NULL)`); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	applied := map[int]bool{}
	rows, err := tx.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return 0, err
		}
		applied[v] = true
	}
	rows.Close()
	n := 0
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return n, fmt.Errorf("migrate %s: %w", m.name, err)
		}
		// Literal values: the statement is the same in both dialects.
		ins := fmt.Sprintf("INSERT INTO schema_migrations (version, name, applied_at) VALUES (%d, '%s', %d)",
			m.version, strings.ReplaceAll(m.name, "'", ""), time.Now().UnixMilli())
		if _, err := tx.ExecContext(ctx, ins); err != nil {
			return n, fmt.Errorf("migrate %s: %w", m.name, err)
		}
		n++
	}
	return n, nil
}

// SchemaVersion returns the highest applied migration and the highest
// embedded one; serve refuses a database newer than its binary.
func (s *Store) SchemaVersion(ctx context.Context) (applied, embedded int, err error) {
	ms, err := loadMigrations(s.d.name)
	if err != nil {
		return 0, 0, err
	}
	embedded = ms[len(ms)-1].version
	var v sql.NullInt64
	err = s.read.QueryRowContext(ctx, "SELECT max(version) FROM schema_migrations").Scan(&v)
	if err != nil {
		return 0, embedded, nil // no table yet: nothing applied
	}
	return int(v.Int64), embedded, nil
}
