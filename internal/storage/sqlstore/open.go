package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Options tune the connection pools. Zero values take the defaults.
type Options struct {
	// MaxConns bounds the PostgreSQL pool (default: four per CPU, at
	// least 16) and the SQLite reader pool (default: two per CPU, at
	// least 4).
	MaxConns int
	// BusyTimeout is how long an SQLite connection waits for a lock held
	// by another process before failing.
	BusyTimeout time.Duration
}

// Open connects to the database named by dsn: "sqlite:PATH" (the file is
// created when absent) or a "postgres://" / "postgresql://" URL. It does
// not migrate; call Migrate.
func Open(ctx context.Context, dsn string, opt Options) (*Store, error) {
	if opt.BusyTimeout <= 0 {
		opt.BusyTimeout = 5 * time.Second
	}
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"), opt)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return openPostgres(ctx, dsn, opt)
	}
	return nil, fmt.Errorf("database %q: want sqlite:PATH or postgres://…", redactDSN(dsn))
}

// walCheckpointPages is the SQLite writer's wal_autocheckpoint: the WAL
// grows to about this many 4 KiB pages (16 MiB) before it is copied back.
const walCheckpointPages = 4000

func openSQLite(ctx context.Context, path string, opt Options) (*Store, error) {
	if path == "" {
		return nil, fmt.Errorf("database: sqlite: needs a file path, e.g. sqlite:gatehouse.db")
	}
	if dir := filepath.Dir(path); dir != "." {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("database: sqlite: directory %s: %w", dir, err)
		}
	}
	pragmas := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)",
		opt.BusyTimeout.Milliseconds())
	base := "file:" + url.PathEscape(path) + "?" + pragmas
	// The writer checkpoints the WAL into the database file every
	// walCheckpointPages pages rather than SQLite's default 1000: each
	// checkpoint runs on the one writer, after a commit, and holds every
	// write behind it for its fsyncs; at 1000 pages, CAS sign-ins (about
	// five pages per ticket issued and validated) at 4,000/s checkpointed
	// twenty times a second. Fewer, larger checkpoints copy hot pages once
	// instead of each time; with 4000 pages the CAS benchmark made about a
	// quarter more pairs per second. Durability is unchanged: a commit is
	// as durable in the WAL as in the database file.
	w, err := sql.Open("sqlite", base+"&_txlock=immediate"+fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)", walCheckpointPages))
	if err != nil {
		return nil, fmt.Errorf("database: sqlite: %w", err)
	}
	// SQLite has one writer at a time; one connection queues writers in Go
	// rather than in busy-wait loops.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	// Switching a new file to WAL needs a moment of exclusive access and
	// SQLite answers SQLITE_BUSY at once, without its busy handler, when
	// another process (a node starting beside this one) holds the file.
	deadline := time.Now().Add(opt.BusyTimeout)
	for {
		err := w.PingContext(ctx)
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "SQLITE_BUSY") || time.Now().After(deadline) {
			w.Close()
			return nil, fmt.Errorf("database: sqlite %s: %w", path, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("database: sqlite: %w", err)
	}
	if opt.MaxConns <= 0 {
		// SQLite reads run on this node's own CPUs.
		opt.MaxConns = max(4, 2*runtime.GOMAXPROCS(0))
	}
	r.SetMaxOpenConns(opt.MaxConns)
	r.SetMaxIdleConns(opt.MaxConns)
	r.SetConnMaxIdleTime(5 * time.Minute)
	return newStore(dialectSQLite, r, w), nil
}

func openPostgres(ctx context.Context, dsn string, opt Options) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("database: postgres %s: %w", redactDSN(dsn), err)
	}
	if opt.MaxConns <= 0 {
		// A request on PostgreSQL mostly waits: for the network and for
		// commits to reach the WAL. Connections beyond the CPUs keep the
		// CPUs busy meanwhile and let commits share a flush; with two
		// per CPU, 32 concurrent code exchanges on two CPUs queued for
		// four connections (bench/README.md, "OIDC token endpoint").
		opt.MaxConns = max(16, 4*runtime.GOMAXPROCS(0))
	}
	db.SetMaxOpenConns(opt.MaxConns)
	db.SetMaxIdleConns(opt.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database: postgres %s: %w", redactDSN(dsn), err)
	}
	return newStore(dialectPostgres, db, db), nil
}

// redactDSN hides the password of a database URL for messages and logs.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
