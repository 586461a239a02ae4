package saml

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/authn"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
	"github.com/gatehouse/gatehouse/internal/web"
)

// Paths of the identity provider.
const (
	MetadataPath = "/api/v1/saml2/idp/metadata"
	SSOPath      = "/api/v1/saml2/idp/sso"
	SLOPath      = "/api/v1/saml2/idp/slo"
	resumePath   = SSOPath + "/resume"
)

// Server is the SAML identity provider of every tenant.
type Server struct {
	Store    storage.Store
	Apps     *apps.Applications
	Keys     *keys.Manager
	Sessions *authn.Sessions
	Sealer   *secret.Sealer
	Audit    *audit.Recorder
	Pages    *web.Pages
	Log      *slog.Logger
	Now      func() time.Time
	// BaseURL is the default tenant's base URL (others use their domain).
	BaseURL string
	// SecureCookies sets the Secure flag on cookies (https deployments).
	SecureCookies bool
	// OnSessionEnd, when set, is called when a SAML logout ends the SSO
	// session sid (the wiring tells the session's CAS applications).
	OnSessionEnd func(ctx context.Context, tenantID, sid string)
}

// Routes lists the SAML endpoints.
func (s *Server) Routes() []web.Route {
	return []web.Route{
		{Pattern: "GET " + MetadataPath, Handler: s.metadata},
		{Pattern: "GET " + SSOPath, Handler: s.ssoRedirect},
		{Pattern: "POST " + SSOPath, Handler: s.ssoPost},
		{Pattern: "GET " + resumePath, Handler: s.resume},
		{Pattern: "GET " + SLOPath, Handler: s.sloRedirect},
		{Pattern: "POST " + SLOPath, Handler: s.sloPost},
		{Pattern: "POST " + ArtifactPath, Handler: s.resolveArtifact},
	}
}

// idp is the tenant's identity provider: its entity id and endpoints.
type idp struct {
	tenant   *storage.Tenant
	entityID string
	sso, slo string
	artifact string // the ArtifactResolutionService
}

// idpOf returns the identity provider of the request's tenant. The entity
// id is the metadata URL, {tenant base URL}/api/v1/saml2/idp/metadata.
func (s *Server) idpOf(r *http.Request) idp {
	t := tenant.FromContext(r.Context())
	base := tenant.BaseURL(t, s.BaseURL)
	return idp{tenant: t, entityID: base + MetadataPath, sso: base + SSOPath, slo: base + SLOPath, artifact: base + ArtifactPath}
}

// errorPage tells the user why the request was refused. Nothing goes back
// to the service provider: its URLs are not trusted before the request is.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.Pages.Error(w, r, status, "Sign-in error", msg)
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.Pages.InternalError(w, r, s.Log, "saml", err)
}

// refusal is a request refused for a reason the user may read.
type refusal struct {
	status int
	msg    string
	err    error // set for our own failures (a logged 500)
}

func refuse(status int, msg string) *refusal { return &refusal{status: status, msg: msg} }

func internal(err error) *refusal { return &refusal{status: http.StatusInternalServerError, err: err} }

func (s *Server) actor(r *http.Request, userID string) audit.Actor {
	return audit.Actor{Type: audit.ActorUser, ID: userID, SourceIP: reqinfo.From(r.Context()).IP, UserAgent: r.UserAgent()}
}

// record appends an audit event; a failure to record is logged, not shown.
func (s *Server) record(r *http.Request, tenantID string, a audit.Actor, action string, target audit.Target, result, detail string) {
	if err := s.Store.Audit().Append(r.Context(), s.Audit.Event(tenantID, a, action, target, result, detail)); err != nil {
		s.Log.ErrorContext(r.Context(), "saml: audit", "err", err)
	}
}
