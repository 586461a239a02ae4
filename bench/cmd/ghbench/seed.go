package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/server"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore"
)

func runSeed(args []string) error {
	fs := flag.NewFlagSet("ghbench seed", flag.ContinueOnError)
	var c common
	var sh shape
	var batch, workers int
	var sqliteAnalyze bool
	fs.IntVar(&sh.users, "users", 1_000_000, "users the directory should hold (existing seeded users are kept)")
	fs.IntVar(&sh.divisions, "divisions", 100, "divisions under the root organisation")
	fs.IntVar(&sh.depts, "depts", 10_000, "departments (the users' home organisations)")
	fs.IntVar(&sh.projects, "projects", 10, "project organisations (every tenth user is a secondary member of one)")
	fs.IntVar(&batch, "batch", 5000, "users per transaction")
	fs.IntVar(&workers, "workers", 0, "concurrent transactions (default: 1 on SQLite, which has one writer; 2 on PostgreSQL)")
	fs.BoolVar(&sqliteAnalyze, "sqlite-analyze", false, "run ANALYZE on SQLite afterwards (Gatehouse itself never does, so the default keeps the planner as a real deployment has it)")
	if err := parseFlags(fs, &c, args); err != nil {
		return err
	}
	if sh.users < 0 || sh.depts < 1 || sh.divisions < 1 || sh.projects < 0 || batch < 1 {
		return errors.New("--users, --projects must be >= 0; --depts, --divisions, --batch >= 1")
	}
	if workers <= 0 {
		workers = 1
		if c.backend() == "postgres" {
			workers = 2
		}
	}
	ctx := context.Background()
	if c.backend() == "postgres" {
		if err := ensurePostgresDatabase(ctx, c.db); err != nil {
			return err
		}
	}
	app, err := openApp(ctx, &c)
	if err != nil {
		return err
	}
	defer app.Close()
	fmt.Fprintln(os.Stderr, machine(c.backend()))
	start := time.Now()
	orgs, err := seedOrgs(ctx, app.Store, sh, os.Stderr)
	if err != nil {
		return err
	}
	made, err := seedUsers(ctx, app.Store, orgs, sh.users, batch, workers, os.Stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "seeded %d new users in %s\n", made, time.Since(start).Round(time.Second))
	if made > 0 || sqliteAnalyze {
		if err := afterSeed(ctx, app.Store, sqliteAnalyze, os.Stderr); err != nil {
			return err
		}
	}
	return nil
}

// openApp opens, migrates and bootstraps the database exactly as
// "gatehouse serve" does, with the harness's secret key and API client.
func openApp(ctx context.Context, c *common) (*server.App, error) {
	cfg := &config.Config{}
	fs := flag.NewFlagSet("gatehouse", flag.ContinueOnError)
	cfg.Bind(fs)
	env := map[string]string{
		"GATEHOUSE_DB":                          c.db,
		"GATEHOUSE_SECRET_KEY":                  c.secretKey,
		"GATEHOUSE_BOOTSTRAP_API_CLIENT_ID":     benchClientID,
		"GATEHOUSE_BOOTSTRAP_API_CLIENT_SECRET": benchClientSecret,
	}
	if err := config.Parse(fs, cfg, nil, func(k string) string { return env[k] }); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	app, err := server.Open(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	if err := app.Bootstrap(ctx); err != nil {
		app.Close()
		return nil, err
	}
	return app, nil
}

// ensurePostgresDatabase creates the database named in dsn when the
// server says it does not exist (SQLSTATE 3D000), connecting to the
// "postgres" maintenance database to do so.
func ensurePostgresDatabase(ctx context.Context, dsn string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	err = db.PingContext(ctx)
	db.Close()
	var pgErr *pgconn.PgError
	if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "3D000" {
		return err
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return err
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" || strings.ContainsAny(name, `"/`) {
		return fmt.Errorf("database name %q: want a plain name", name)
	}
	u.Path = "/postgres"
	admin, err := sql.Open("pgx", u.String())
	if err != nil {
		return err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	fmt.Fprintf(os.Stderr, "created PostgreSQL database %s\n", name)
	return nil
}

// seedOrgs creates whichever seeded organisations are missing, in one
// transaction, and returns the ids of all of them.
func seedOrgs(ctx context.Context, st storage.Store, sh shape, log io.Writer) (*orgIDs, error) {
	start := time.Now()
	ids := &orgIDs{depts: make([]string, sh.depts), projects: make([]string, sh.projects)}
	created := 0
	err := st.InTx(ctx, func(tx storage.Repos) error {
		created = 0
		at := dataEpoch.Add(-30 * 24 * time.Hour)
		ensure := func(code, name, parent string) (string, error) {
			o, err := tx.Orgs().GetByCode(ctx, storage.DefaultTenantID, code)
			if err == nil {
				return o.ID, nil
			}
			if !errors.Is(err, storage.ErrNotFound) {
				return "", err
			}
			at = at.Add(time.Millisecond)
			n := &storage.Organization{TenantID: storage.DefaultTenantID, ID: idgen.New(at), Code: code, Name: name,
				ParentID: parent, Category: "department", CreatedAt: at, UpdatedAt: at}
			created++
			return n.ID, tx.Orgs().Create(ctx, n)
		}
		var err error
		if ids.root, err = ensure(rootCode, "Bench Corp", ""); err != nil {
			return err
		}
		divisions := make([]string, sh.divisions)
		for i := range divisions {
			if divisions[i], err = ensure(divisionCode(i), fmt.Sprintf("Division %d", i), ids.root); err != nil {
				return err
			}
		}
		for i := range ids.depts {
			if ids.depts[i], err = ensure(deptCode(i), fmt.Sprintf("Department %d", i), divisions[i%len(divisions)]); err != nil {
				return err
			}
		}
		for i := range ids.projects {
			if ids.projects[i], err = ensure(projectCode(i), fmt.Sprintf("Project %d", i), ids.root); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("organisations: %w", err)
	}
	fmt.Fprintf(log, "organisations: %d created, %d in all (%s)\n", created, 1+sh.divisions+sh.depts+sh.projects,
		time.Since(start).Round(time.Millisecond))
	return ids, nil
}

// seedUsers creates users 0..n-1 in batches, one transaction each, with
// workers transactions at a time. Batches already there are skipped (see
// seedBatch), so an interrupted or smaller earlier seed is resumed. It
// returns how many users it created.
func seedUsers(ctx context.Context, st storage.Store, orgs *orgIDs, n, batch, workers int, log io.Writer) (int, error) {
	batches := (n + batch - 1) / batch
	next := make(chan int)
	var made, skipped atomic.Int64
	var firstErr error
	var errOnce sync.Once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range next {
				lo, hi := b*batch, min((b+1)*batch, n)
				k, err := seedBatch(ctx, st, orgs, lo, hi)
				if err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("users %d-%d: %w", lo, hi-1, err); cancel() })
					return
				}
				skipped.Add(int64(hi - lo - k))
				made.Add(int64(k))
			}
		}()
	}
	start := time.Now()
	stopProgress := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stopProgress:
				return
			case <-t.C:
				m, s := made.Load(), skipped.Load()
				rate := float64(m) / time.Since(start).Seconds()
				left := time.Duration(0)
				if rate > 0 {
					left = time.Duration(float64(int64(n)-m-s)/rate) * time.Second
				}
				fmt.Fprintf(log, "users: %d/%d done (%d created, %d already there), %.0f/s, about %s left\n",
					m+s, n, m, s, rate, left.Round(time.Second))
			}
		}
	}()
send:
	for b := range batches {
		select {
		case next <- b:
		case <-ctx.Done():
			break send
		}
	}
	close(next)
	wg.Wait()
	close(stopProgress)
	<-progressDone
	m := made.Load()
	fmt.Fprintf(log, "users: %d created, %d already there, %.0f/s\n", m, skipped.Load(), float64(m)/time.Since(start).Seconds())
	return int(m), firstErr
}

// seedBatch creates users lo..hi-1 in one transaction through the storage
// layer and returns how many it made. A batch whose first and last users
// exist is complete (batches commit whole); one whose first user exists
// but not its last was cut by an earlier seed with a smaller --users or
// another --batch, and gets only its missing users.
func seedBatch(ctx context.Context, st storage.Store, orgs *orgIDs, lo, hi int) (int, error) {
	exists := func(r storage.Repos, i int) (bool, error) {
		_, err := r.Users().GetByUserNameKey(ctx, storage.DefaultTenantID, seededUserName(i))
		if errors.Is(err, storage.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	first, err := exists(st, lo)
	if err != nil {
		return 0, err
	}
	last, err := exists(st, hi-1)
	if err != nil || (first && last) {
		return 0, err
	}
	made := 0
	err = st.InTx(ctx, func(tx storage.Repos) error {
		made = 0
		for i := lo; i < hi; i++ {
			if first { // a partial batch: skip who is there
				there, err := exists(tx, i)
				if err != nil {
					return err
				}
				if there {
					continue
				}
			}
			if err := tx.Users().Create(ctx, seededUser(i, orgs)); err != nil {
				return err
			}
			made++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return made, nil
}

// afterSeed refreshes the planner statistics: VACUUM ANALYZE on
// PostgreSQL (as autovacuum would do soon after a bulk load), ANALYZE on
// SQLite only when asked; then it checkpoints SQLite's WAL.
func afterSeed(ctx context.Context, st *sqlstore.Store, sqliteAnalyze bool, log io.Writer) error {
	_, w := st.DBs()
	start := time.Now()
	var stmts []string
	if st.Dialect() == "postgres" {
		stmts = []string{"VACUUM (ANALYZE) organizations", "VACUUM (ANALYZE) users", "VACUUM (ANALYZE) user_orgs"}
	} else {
		if sqliteAnalyze {
			stmts = append(stmts, "ANALYZE")
		}
		stmts = append(stmts, "PRAGMA wal_checkpoint(TRUNCATE)")
	}
	for _, s := range stmts {
		if _, err := w.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	fmt.Fprintf(log, "%s: %s\n", strings.Join(stmts, "; "), time.Since(start).Round(time.Millisecond))
	return nil
}
