package oidc

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/authn"
	"github.com/gatehouse/gatehouse/internal/backchannel"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
	"github.com/gatehouse/gatehouse/internal/web"
)

// Provider is the OAuth 2.0 / OIDC provider of every tenant.
type Provider struct {
	Store    storage.Store
	Apps     *apps.Applications
	Keys     *keys.Manager
	Sessions *authn.Sessions
	Sealer   *secret.Sealer
	Audit    *audit.Recorder
	Pages    *web.Pages
	CSRF     *web.CSRF
	Log      *slog.Logger
	Now      func() time.Time
	// BaseURL is the configured public URL of the default tenant.
	BaseURL string
	// SecureCookies sets the Secure flag on cookies (https deployments).
	SecureCookies bool
	// CodeLifetime is how long an authorization code may wait for its
	// exchange.
	CodeLifetime time.Duration
	// Client makes outbound calls (clients' jwks_uri).
	Client *http.Client
	// AfterLogout, when set, is called by both logouts once they have
	// ended the browser's SSO session sid, with next, the validated URL the
	// browser would go to now ("" for the signed-out page). It returns true
	// when it has taken over the response (the wiring sends the browser
	// through the session's SAML service providers first, and to next at
	// the end); false leaves the response to the provider, as without it.
	AfterLogout func(w http.ResponseWriter, r *http.Request, tenantID, sid, next string) bool
	// Notices sends back-channel logout tokens (BackChannelLogout); nil:
	// none are sent.
	Notices *backchannel.Sender

	clients    *clientCache
	opaque     *opaqueCodec
	metadata   metadataCache
	clientJWKS jwksCache
}

// Init prepares the provider's caches and token codec.
func (p *Provider) Init() error {
	p.clients = &clientCache{apps: p.Apps, store: p.Store, now: p.Now}
	c, err := newOpaqueCodec(p.Sealer.DeriveKey("gatehouse access token v1"))
	if err != nil {
		return err
	}
	p.opaque = c
	if p.CodeLifetime == 0 {
		p.CodeLifetime = time.Minute
	}
	return nil
}

// ApplicationChanged drops a client from the cache (wire it to
// apps.Applications.OnChange).
func (p *Provider) ApplicationChanged(tenantID, clientID string) {
	p.clients.Forget(tenantID, clientID)
}

// Routes lists the provider's endpoints (ONEACCESS-API.md 4.1, 4.2, 4.5).
func (p *Provider) Routes() []web.Route {
	return []web.Route{
		{Pattern: "GET /api/v1/oauth2/.well-known/openid-configuration", Handler: p.discovery, Public: true},
		{Pattern: "GET /.well-known/openid-configuration", Handler: p.discovery, Public: true},
		{Pattern: "GET /api/v1/oauth2/keys", Handler: p.jwks, Public: true},
		{Pattern: "GET /api/v1/oauth2/authorize", Handler: p.authorize},
		{Pattern: "POST /api/v1/oauth2/authorize", Handler: p.authorize},
		{Pattern: "GET /api/v1/oauth2/authorize/resume", Handler: p.resume},
		{Pattern: "POST /api/v1/oauth2/consent", Handler: p.consentSubmit},
		{Pattern: "POST /api/v1/oauth2/token", Handler: p.token},
		{Pattern: "GET /api/v1/oauth2/userinfo", Handler: p.userinfo},
		{Pattern: "POST /api/v1/oauth2/userinfo", Handler: p.userinfo},
		{Pattern: "POST /api/v1/oauth2/introspect", Handler: p.introspect},
		{Pattern: "POST /api/v1/oauth2/revoke", Handler: p.revoke},
		{Pattern: "GET /api/v1/oauth2/logout", Handler: p.logout},
		{Pattern: "POST /api/v1/oauth2/logout", Handler: p.logout},
		{Pattern: "GET /api/v1/logout", Handler: p.globalLogout},
	}
}

// issuer is the request's tenant's issuer, {base URL}/api/v1/oauth2.
func (p *Provider) issuer(r *http.Request) string {
	return p.baseURL(r) + "/api/v1/oauth2"
}

func (p *Provider) baseURL(r *http.Request) string {
	return tenant.BaseURL(tenant.FromContext(r.Context()), p.BaseURL)
}
