package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/authn"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/objmodel"
	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// App is Gatehouse's services on an open, migrated store.
type App struct {
	Cfg       *config.Config
	Log       *slog.Logger
	Store     *sqlstore.Store
	Sealer    *secret.Sealer
	Audit     *audit.Recorder
	Keys      *keys.Manager
	Clients   *apps.Clients
	Users     *directory.Users
	Orgs      *directory.Orgs
	Apps      *apps.Applications
	Accounts  *apps.Accounts
	Roles     *apps.Roles
	AppOrgs   *apps.AppOrgs
	Attrs     *objmodel.Service
	Tenants   *tenant.Service
	Resolver  *tenant.Resolver
	Sessions  *authn.Sessions
	Passwords *authn.Passwords
	MFA       *mfa.TOTP
	Now       func() time.Time
}

// settingKeyCheck holds the check value of the secret key the database was
// first started with.
const settingKeyCheck = "secret_key_check"

// Open opens and migrates the database, loads the secret key and builds
// the services. cfg must have passed Validate.
func Open(ctx context.Context, cfg *config.Config, log *slog.Logger) (*App, error) {
	store, err := sqlstore.Open(ctx, cfg.DB, sqlstore.Options{MaxConns: cfg.DBMaxConns})
	if err != nil {
		return nil, err
	}
	a, err := build(ctx, cfg, log, store)
	if err != nil {
		store.Close()
		return nil, err
	}
	return a, nil
}

func build(ctx context.Context, cfg *config.Config, log *slog.Logger, store *sqlstore.Store) (*App, error) {
	n, err := store.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("database migration: %w", err)
	}
	if applied, embedded, err := store.SchemaVersion(ctx); err == nil && applied > embedded {
		return nil, fmt.Errorf("database schema version %d is newer than this binary's %d: run a newer gatehouse", applied, embedded)
	}
	if n > 0 {
		log.Info("database migrated", "migrations", n, "dialect", store.Dialect())
	}
	key := cfg.SecretKey
	if key == "" {
		var created bool
		key, created, err = secret.LoadOrCreateKeyFile(cfg.KeyFilePath())
		if err != nil {
			return nil, err
		}
		if created {
			log.Warn("generated a new secret key; keep it safe and give every node the same one (--secret-key or --secret-key-file)",
				"file", cfg.KeyFilePath())
		}
	}
	sealer, err := secret.NewSealer(key)
	if err != nil {
		return nil, err
	}
	stored, err := store.Settings().PutIfAbsent(ctx, settingKeyCheck, sealer.Check())
	if err != nil {
		return nil, err
	}
	if stored != sealer.Check() {
		return nil, errors.New("the secret key does not match the one this database was first started with (check --secret-key / --secret-key-file)")
	}
	// Times carry the display zone, so OneAccess-shaped ids (which start
	// with the creation time) agree with the created_at the API prints.
	loc := cfg.Location
	now := func() time.Time { return time.Now().In(loc) }
	a := &App{Cfg: cfg, Log: log, Store: store, Sealer: sealer, Now: now}
	a.Audit = &audit.Recorder{Store: store, Now: now, Log: log}
	a.Keys = &keys.Manager{Store: store, Sealer: sealer, Now: now}
	a.Clients = &apps.Clients{Store: store, Sealer: sealer, Now: now, TokenLifetime: cfg.MgmtTokenLifetime}
	hasher := password.NewHasher(cfg.Argon2)
	a.Users = &directory.Users{Store: store, Audit: a.Audit, Hasher: hasher,
		Policy: directory.DefaultPasswordPolicy, Now: now, MobileOptional: cfg.MobileOptional, SessionIdle: cfg.SessionIdle}
	a.Sessions = &authn.Sessions{Store: store, Now: now, Idle: cfg.SessionIdle, Absolute: cfg.SessionLifetime}
	a.Passwords = &authn.Passwords{Store: store, Hasher: hasher, Audit: a.Audit, Now: now}
	a.MFA = &mfa.TOTP{Store: store, Sealer: sealer, Audit: a.Audit, Now: now}
	a.Orgs = &directory.Orgs{Store: store, Audit: a.Audit, Now: now}
	a.Apps = &apps.Applications{Store: store, Audit: a.Audit, Now: now}
	a.Accounts = &apps.Accounts{Store: store, Audit: a.Audit, Sealer: sealer, Now: now}
	a.Roles = &apps.Roles{Store: store, Audit: a.Audit, Now: now}
	a.AppOrgs = &apps.AppOrgs{Store: store, Audit: a.Audit, Now: now}
	a.Attrs = &objmodel.Service{Store: store, Audit: a.Audit, Now: now}
	a.Resolver = &tenant.Resolver{Store: store, Now: now, DefaultHost: hostOf(cfg.BaseURL)}
	a.Tenants = &tenant.Service{Store: store, Clients: a.Clients, Audit: a.Audit, Resolver: a.Resolver, Now: now}
	return a, nil
}

// Close closes the store.
func (a *App) Close() error { return a.Store.Close() }

// Bootstrap creates the default tenant, its signing key, and the first
// admin user and API client named by the GATEHOUSE_BOOTSTRAP_* variables.
// Every step is skipped when already done, so it is safe on every start
// and on several nodes at once.
func (a *App) Bootstrap(ctx context.Context) error {
	created, err := a.Tenants.EnsureDefault(ctx)
	if err != nil {
		return fmt.Errorf("bootstrap: default tenant: %w", err)
	}
	if created {
		a.Log.Info("created the default tenant")
	}
	if err := a.Keys.Ensure(ctx, storage.DefaultTenantID, keys.RS256); err != nil {
		return fmt.Errorf("bootstrap: signing key: %w", err)
	}
	c := a.Cfg
	if c.BootstrapAPIClientID != "" {
		made, err := a.Clients.EnsureBootstrap(ctx, storage.DefaultTenantID, c.BootstrapAPIClientID, c.BootstrapAPIClientSecret)
		if err != nil {
			return fmt.Errorf("bootstrap: API client: %w", err)
		}
		if made {
			a.Log.Info("bootstrap: created the management-API client", "client_id", c.BootstrapAPIClientID)
		}
	}
	if c.BootstrapAdminUser != "" {
		_, err := a.Users.GetByUserName(ctx, storage.DefaultTenantID, c.BootstrapAdminUser)
		if err == nil {
			return nil
		}
		w := &directory.UserWrite{UserName: opt.Some(c.BootstrapAdminUser), Password: opt.Some(c.BootstrapAdminPassword),
			PwdMustModify: opt.Bool{Set: true, V: false}}
		users := *a.Users
		users.MobileOptional = true // the first admin need not have a mobile number
		if _, err := users.Create(ctx, storage.DefaultTenantID, audit.System, w); err != nil {
			if f, ok := failure.As(err); ok && f.Code == "USER.0004" { // another node created it
				return nil
			}
			return fmt.Errorf("bootstrap: admin user %q: %w", c.BootstrapAdminUser, err)
		}
		a.Log.Info("bootstrap: created the admin user", "user_name", c.BootstrapAdminUser)
	}
	return nil
}

// hostOf is the Host header a request for base carries: the base URL's
// host and port, lower-cased ("" when base is not a URL).
func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}
