package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/storage"
)

// querier is what repositories run statements on: a pool or a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Store is the SQL implementation of storage.Store.
type Store struct {
	d    *dialect
	read *sql.DB     // SQLite: reader pool; PostgreSQL: the pool
	wr   *sql.DB     // SQLite: the single writer; PostgreSQL: the pool
	lazy lazyBatcher // SQLite: lazy writes waiting for the writer
	repos
}

var _ storage.Store = (*Store)(nil)

func newStore(name string, read, wr *sql.DB) *Store {
	s := &Store{d: newDialect(name), read: read, wr: wr}
	s.repos = repos{d: s.d, r: read, w: wr, s: s}
	if name == dialectSQLite {
		s.repos.r, s.repos.w = &stmtCache{db: read}, &stmtCache{db: wr}
	}
	return s
}

// repos binds the repositories to a reader and a writer: the pools, or one
// transaction for both.
type repos struct {
	d  *dialect
	r  querier
	w  querier
	s  *Store  // for repositories that open their own transaction
	tx *sql.Tx // set inside InTx
}

func (x repos) Tenants() storage.TenantRepo               { return tenantRepo{x} }
func (x repos) Users() storage.UserRepo                   { return userRepo{x} }
func (x repos) Orgs() storage.OrgRepo                     { return orgRepo{x} }
func (x repos) APIClients() storage.APIClientRepo         { return apiClientRepo{x} }
func (x repos) MgmtTokens() storage.MgmtTokenRepo         { return mgmtTokenRepo{x} }
func (x repos) Audit() storage.AuditRepo                  { return auditRepo{x} }
func (x repos) SigningKeys() storage.SigningKeyRepo       { return signingKeyRepo{x} }
func (x repos) Settings() storage.SettingsRepo            { return settingsRepo{x} }
func (x repos) Apps() storage.AppRepo                     { return appRepo{x} }
func (x repos) Sessions() storage.SessionRepo             { return sessionRepo{x} }
func (x repos) Codes() storage.CodeRepo                   { return codeRepo{x} }
func (x repos) RefreshTokens() storage.RefreshRepo        { return refreshRepo{x} }
func (x repos) Consents() storage.ConsentRepo             { return consentRepo{x} }
func (x repos) Revocations() storage.RevocationRepo       { return revocationRepo{x} }
func (x repos) AppAccounts() storage.AppAccountRepo       { return appAccountRepo{x} }
func (x repos) AppRoles() storage.AppRoleRepo             { return appRoleRepo{x} }
func (x repos) AppOrgs() storage.AppOrgRepo               { return appOrgRepo{x} }
func (x repos) Attributes() storage.AttributeRepo         { return attributeRepo{x} }
func (x repos) CASTickets() storage.CASTicketRepo         { return casTicketRepo{x} }
func (x repos) CASLogins() storage.CASLoginRepo           { return casLoginRepo{x} }
func (x repos) OIDCLogins() storage.OIDCLoginRepo         { return oidcLoginRepo{x} }
func (x repos) SAMLArtifacts() storage.SAMLArtifactRepo   { return samlArtifactRepo{x} }
func (x repos) SAMLSessions() storage.SAMLSessionRepo     { return samlSessionRepo{x} }
func (x repos) MFACredentials() storage.MFACredentialRepo { return mfaRepo{x} }

// inTx runs fn in the current transaction, or in a new one when the repos
// are bound to the pools.
func (x repos) inTx(ctx context.Context, fn func(x repos) error) error {
	if x.tx != nil {
		return fn(x)
	}
	return x.s.inTx(ctx, fn)
}

// InTx implements storage.Store.
func (s *Store) InTx(ctx context.Context, fn func(tx storage.Repos) error) error {
	return s.inTx(ctx, func(x repos) error { return fn(x) })
}

// connWait bounds the wait for a writer connection. SQLite has one: a
// transaction started while the same goroutine holds another would wait
// forever; this turns such a bug (or a stuck writer) into an error.
const connWait = 15 * time.Second

func (s *Store) inTx(ctx context.Context, fn func(x repos) error) (err error) {
	wctx, cancel := context.WithTimeout(ctx, connWait)
	conn, err := s.wr.Conn(wctx)
	cancel()
	if err != nil {
		return fmt.Errorf("begin transaction: no database connection within %s: %w", connWait, err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = fn(repos{d: s.d, r: tx, w: tx, s: s, tx: tx}); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return mapErr(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// Ping implements storage.Store.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.wr.PingContext(ctx); err != nil {
		return err
	}
	var one int
	return s.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Dialect implements storage.Store.
func (s *Store) Dialect() string { return s.d.name }

// DBs returns the connection pools, for pool metrics: the reader and the
// writer (the same pool on PostgreSQL).
func (s *Store) DBs() (read, write *sql.DB) { return s.read, s.wr }

// Close implements storage.Store.
func (s *Store) Close() error {
	err := s.wr.Close()
	if s.read != s.wr {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// notFound maps sql.ErrNoRows to storage.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return storage.ErrNotFound
	}
	return err
}

// affectedOne reports storage.ErrNotFound when an update or delete touched
// no row.
func affectedOne(res sql.Result, err error) error {
	if err != nil {
		return mapErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return storage.ErrNotFound
	}
	return nil
}
