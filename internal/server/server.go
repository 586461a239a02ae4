package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gatehouse/gatehouse/internal/api/mgmt"
	"github.com/gatehouse/gatehouse/internal/backchannel"
	"github.com/gatehouse/gatehouse/internal/cas"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/formfill"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/oidc"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/saml"
	"github.com/gatehouse/gatehouse/internal/tenant"
	"github.com/gatehouse/gatehouse/internal/web"
)

// Server is the HTTP face of an App.
type Server struct {
	app      *App
	cfg      *config.Config
	log      *slog.Logger
	metrics  *metrics
	handler  http.Handler
	draining atomic.Bool
	ids      *requestIDs
	// quiet are the route patterns whose successful requests are logged
	// at debug (web.Route.Public); read-only once New returns.
	quiet map[string]bool
	// notices are the back-channel logout requests, waited for at shutdown.
	notices *backchannel.Sender
}

// New builds the routes of app.
func New(app *App) (*Server, error) {
	s := &Server{app: app, cfg: app.Cfg, log: app.Log, metrics: newMetrics(app.Store), ids: newRequestIDs(), quiet: map[string]bool{}}
	pages, err := web.NewPages()
	if err != nil {
		return nil, err
	}
	secure := strings.HasPrefix(app.Cfg.BaseURL, "https://")
	csrf := &web.CSRF{Key: app.Sealer.DeriveKey("gatehouse csrf v1"), Secure: secure}
	login := &web.Login{Pages: pages, CSRF: csrf, Passwords: app.Passwords, Sessions: app.Sessions,
		Sealer: app.Sealer, MFA: app.MFA, Store: app.Store, Log: app.Log, Now: app.Now, Secure: secure}
	op := &oidc.Provider{Store: app.Store, Apps: app.Apps, Keys: app.Keys, Sessions: app.Sessions, Sealer: app.Sealer,
		Audit: app.Audit, Pages: pages, CSRF: csrf, Log: app.Log, Now: app.Now, BaseURL: app.Cfg.BaseURL, SecureCookies: secure,
		CodeLifetime: app.Cfg.CodeLifetime, Client: outboundClient(app.Cfg, 5*time.Second)}
	if err := op.Init(); err != nil {
		return nil, err
	}
	casServer := &cas.Server{Store: app.Store, Apps: app.Apps, Sessions: app.Sessions, Sealer: app.Sealer, Audit: app.Audit,
		Pages: pages, Log: app.Log, Now: app.Now, SecureCookies: secure, Client: outboundClient(app.Cfg, 5*time.Second)}
	formFill := &formfill.Server{Store: app.Store, Apps: app.Apps, Accounts: app.Accounts, Sessions: app.Sessions, Sealer: app.Sealer,
		Audit: app.Audit, Pages: pages, CSRF: csrf, Log: app.Log, Now: app.Now}
	samlIdP := &saml.Server{Store: app.Store, Apps: app.Apps, Keys: app.Keys, Sessions: app.Sessions, Sealer: app.Sealer, Audit: app.Audit,
		Pages: pages, Log: app.Log, Now: app.Now, BaseURL: app.Cfg.BaseURL, SecureCookies: secure}
	s.wireLogouts(app, op, casServer, samlIdP)
	app.Apps.Fetch = fetcher(outboundClient(app.Cfg, 10*time.Second))
	app.Apps.OnChange = func(tenantID, clientID string) {
		op.ApplicationChanged(tenantID, clientID)
		casServer.ApplicationChanged(tenantID, clientID)
	}
	api := &mgmt.API{
		Users: app.Users, Orgs: app.Orgs, Apps: app.Apps, Accounts: app.Accounts, Roles: app.Roles, AppOrgs: app.AppOrgs, Attributes: app.Attrs, Clients: app.Clients, Audit: app.Audit, Store: app.Store, Tenants: app.Tenants, Keys: app.Keys, MFA: app.MFA,
		Location: app.Cfg.Location, Log: app.Log, Now: app.Now,
		Issuer: func(r *http.Request) string {
			return tenant.BaseURL(tenant.FromContext(r.Context()), app.Cfg.BaseURL) + "/api/v1/oauth2"
		},
	}
	// One router for everything (a second one for the tenant's routes would
	// match every request twice). Operational endpoints and static files
	// answer for the process; every other route resolves the tenant first.
	mux := http.NewServeMux()
	s.handle(mux, "GET /healthz", http.HandlerFunc(s.healthz))
	s.handle(mux, "GET /readyz", http.HandlerFunc(s.readyz))
	s.handle(mux, "GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	s.handle(mux, "GET /static/", web.Static())
	tenanted := func(pattern string, h http.Handler) { s.handle(mux, pattern, s.withTenant(h)) }
	for _, rt := range api.Routes() {
		tenanted(rt.Method+" "+rt.Path, api.Handler(rt))
	}
	tenanted("GET /api/openapi.json", mgmt.OpenAPIHandler())
	for _, routes := range [][]web.Route{op.Routes(), casServer.Routes(), formFill.Routes(), samlIdP.Routes()} {
		for _, rt := range routes {
			var h http.Handler = rt.Handler
			if rt.Public {
				h = publicDocument(h)
			}
			tenanted(rt.Pattern, h)
			s.quiet[rt.Pattern] = rt.Public
		}
	}
	tenanted("GET /api/v1/login", http.HandlerFunc(login.Page))
	tenanted("POST /api/v1/login/form", http.HandlerFunc(login.Submit))
	tenanted("GET /api/v1/login/mfa", http.HandlerFunc(login.MFAPage))
	tenanted("POST /api/v1/login/mfa", http.HandlerFunc(login.MFASubmit))

	s.handler = s.observe(s.secure(mux))
	return s, nil
}

// handle mounts h at pattern, labelling its requests with the pattern.
func (s *Server) handle(mux *http.ServeMux, pattern string, h http.Handler) {
	mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if i := reqinfo.Ptr(r.Context()); i != nil {
			i.Route = pattern
		}
		h.ServeHTTP(w, r)
	}))
}

// Handler is the whole HTTP stack, for tests that serve it themselves.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writePlainJSON(w, http.StatusOK, `{"status":"ok"}`)
}

// readyz reports whether this node should get traffic: the database
// answers and the node is not draining.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writePlainJSON(w, http.StatusServiceUnavailable, `{"status":"draining"}`)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.app.Store.Ping(ctx); err != nil {
		s.log.WarnContext(r.Context(), "readiness: database unreachable", "err", err)
		writePlainJSON(w, http.StatusServiceUnavailable, `{"status":"database unreachable"}`)
		return
	}
	writePlainJSON(w, http.StatusOK, `{"status":"ready"}`)
}

// Serve serves on ln until ctx is cancelled, then stops accepting, lets
// in-flight requests finish (up to the shutdown timeout) and returns nil.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	go s.sweep(ctx)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.log.Info("shutting down: draining in-flight requests", "timeout", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	// Logouts made just before the signal still tell their applications
	// (back-channel notices), within the same grace period.
	s.notices.Wait(sctx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// sweep does the periodic chores: removing authorization codes past their
// expiry (every minute) and rotating signing keys older than --key-rotation
// (checked every ten minutes; every node checks, and a key rotated by one
// is young for the others).
func (s *Server) sweep(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.app.Store.Codes().DeleteExpired(ctx, s.app.Now().Add(-time.Minute)); err != nil && ctx.Err() == nil {
			s.log.Warn("sweeping expired authorization codes", "err", err)
		}
		if _, err := s.app.Store.CASTickets().DeleteExpired(ctx, s.app.Now().Add(-time.Minute)); err != nil && ctx.Err() == nil {
			s.log.Warn("sweeping expired CAS tickets", "err", err)
		}
		if _, err := s.app.Store.CASLogins().DeleteExpired(ctx, s.app.Now()); err != nil && ctx.Err() == nil {
			s.log.Warn("sweeping ended CAS logins", "err", err)
		}
		if _, err := s.app.Store.OIDCLogins().DeleteExpired(ctx, s.app.Now()); err != nil && ctx.Err() == nil {
			s.log.Warn("sweeping ended OIDC logins", "err", err)
		}
		if _, err := s.app.Store.SAMLArtifacts().DeleteExpired(ctx, s.app.Now()); err != nil && ctx.Err() == nil {
			s.log.Warn("sweeping expired SAML artifacts", "err", err)
		}
		if _, err := s.app.Store.SAMLSessions().DeleteExpired(ctx, s.app.Now()); err != nil && ctx.Err() == nil {
			s.log.Warn("sweeping ended SAML sessions", "err", err)
		}
		if s.cfg.KeyRotation > 0 && i%10 == 0 {
			s.rotateKeys(ctx)
		}
	}
}

func (s *Server) rotateKeys(ctx context.Context) {
	tenants, err := s.app.Store.Tenants().List(ctx)
	if err != nil {
		s.log.Warn("key rotation: listing tenants", "err", err)
		return
	}
	for _, t := range tenants {
		for _, alg := range []string{keys.RS256, keys.ES256} {
			rotated, err := s.app.Keys.RotateIfOlder(ctx, t.ID, alg, s.cfg.KeyRotation)
			if err != nil {
				s.log.Warn("key rotation", "tenant", t.ID, "alg", alg, "err", err)
			} else if rotated {
				s.log.Info("rotated signing key", "tenant", t.ID, "alg", alg)
			}
		}
	}
}
