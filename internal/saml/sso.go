package saml

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/authn"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/web"
)

// pending is a checked sign-in waiting for the user's session: sealed
// into the resume URL, so nothing is written before the user signs in.
type pending struct {
	TenantID   string `json:"t"`
	AppID      string `json:"a"`
	RequestID  string `json:"i,omitempty"` // "" for IdP-initiated
	ACS        string `json:"u"`
	RelayState string `json:"r,omitempty"`
	ForceAuthn bool   `json:"f,omitempty"`
	IsPassive  bool   `json:"p,omitempty"`
	CreatedAt  int64  `json:"c"` // Unix ms: ForceAuthn needs a sign-in after this
	// Classes are the AuthnContext classes the request accepts (nil: any).
	Classes []string `json:"k,omitempty"`
	// Artifact: the answer goes by the HTTP-Artifact binding.
	Artifact bool `json:"b,omitempty"`
}

const pendingContext = "saml-sso"

var b64 = base64.RawURLEncoding

// ssoRedirect is GET /api/v1/saml2/idp/sso: an AuthnRequest with the
// HTTP-Redirect binding, or IdP-initiated sign-in with ?sp=<entity id>.
func (s *Server) ssoRedirect(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	hasRequest := hasParam(r.URL.RawQuery, paramRequest)
	if sp := q.Get("sp"); sp != "" && !hasRequest {
		s.idpInitiated(w, r, sp, q.Get("RelayState"))
		return
	}
	if !hasRequest {
		s.errorPage(w, r, http.StatusBadRequest, "This address takes a SAMLRequest from a service provider, or sp=<entity id> to sign in to one.")
		return
	}
	in, err := readRedirect(r.URL.RawQuery)
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "The SAMLRequest could not be decoded (HTTP-Redirect binding: deflate, then base64, then URL encoding).")
		return
	}
	p, app, ok := s.authnPending(w, r, in)
	if ok {
		s.proceed(w, r, app, p, false)
	}
}

// ssoPost is POST /api/v1/saml2/idp/sso (HTTP-POST binding). The post
// comes from the service provider's site, so the browser sends no
// SameSite=Lax session cookie with it: the checked request continues as a
// GET of the resume URL, which carries the cookie.
func (s *Server) ssoPost(w http.ResponseWriter, r *http.Request) {
	in, err := readPost(r)
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "The SAMLRequest could not be decoded (HTTP-POST binding: base64 in a form field).")
		return
	}
	p, _, ok := s.authnPending(w, r, in)
	if ok {
		http.Redirect(w, r, s.resumeURL(p), http.StatusSeeOther)
	}
}

// authnPending checks an AuthnRequest and makes its pending sign-in; on
// failure it has written the answer: the error page, or a NoAuthnContext
// Response to the ACS when no class it accepts can be asserted.
func (s *Server) authnPending(w http.ResponseWriter, r *http.Request, in *inbound) (*pending, *apps.App, bool) {
	ip := s.idpOf(r)
	ar, rf := s.checkAuthnRequest(r.Context(), ip, in)
	if rf != nil {
		s.refused(w, r, rf)
		return nil, nil, false
	}
	p := &pending{TenantID: ip.tenant.ID, AppID: ar.app.ID, RequestID: ar.id, ACS: ar.acs, RelayState: in.RelayState,
		ForceAuthn: ar.forceAuthn, IsPassive: ar.isPassive, CreatedAt: s.Now().UnixMilli(), Classes: ar.classes, Artifact: ar.artifact}
	if ar.noContext {
		// Nothing Gatehouse can assert would do: say so at once (SAML
		// Core 3.3.2.2.1), before anyone signs in.
		s.answerStatus(w, r, ar.app, p, statusResponder, statusNoAuthnContext)
		return nil, nil, false
	}
	return p, ar.app, true
}

// idpInitiated signs the user in to the service provider sp at its
// default ACS, unasked (ONEACCESS-API.md 4.4).
func (s *Server) idpInitiated(w http.ResponseWriter, r *http.Request, sp, relayState string) {
	ip := s.idpOf(r)
	app, err := s.Apps.GetBySAMLEntityID(r.Context(), ip.tenant.ID, sp)
	if f, ok := failure.As(err); ok && f.Code == apps.ErrAppNotFound.Code {
		s.errorPage(w, r, http.StatusBadRequest, "The service provider "+truncate(sp, 200)+" is not registered with this identity provider.")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if app.Disabled {
		s.errorPage(w, r, http.StatusForbidden, "The application "+app.Name+" is disabled.")
		return
	}
	if len(relayState) > maxRelayState {
		s.errorPage(w, r, http.StatusBadRequest, "The RelayState is too long.")
		return
	}
	acs := app.SAML.DefaultACS()
	if acs == nil {
		s.errorPage(w, r, http.StatusBadRequest, "The service provider has no assertion consumer service registered.")
		return
	}
	s.proceed(w, r, app, &pending{TenantID: ip.tenant.ID, AppID: app.ID, ACS: acs.URL, RelayState: relayState, CreatedAt: s.Now().UnixMilli(),
		Artifact: acs.Binding == apps.SAMLBindingArtifact}, false)
}

// resume is where the sign-in page (and the POST binding) come back to.
func (s *Server) resume(w http.ResponseWriter, r *http.Request) {
	ip := s.idpOf(r)
	p, ok := s.openPending(r.URL.Query().Get("sr"), ip.tenant.ID)
	if !ok {
		s.errorPage(w, r, http.StatusBadRequest, "This sign-in link is invalid or has expired. Go back to the application and start again.")
		return
	}
	app, err := s.Apps.Get(r.Context(), ip.tenant.ID, p.AppID)
	binding := apps.SAMLBindingPost
	if p.Artifact {
		binding = apps.SAMLBindingArtifact
	}
	if err != nil || app.Protocol != storage.ProtocolSAML || app.Disabled || app.SAML.ACSByURLBinding(p.ACS, binding) == nil {
		s.errorPage(w, r, http.StatusBadRequest, "The service provider is no longer registered as it was. Go back to the application and start again.")
		return
	}
	s.proceed(w, r, app, p, true)
}

// proceed answers a checked sign-in: with the browser's session (fresh
// enough for ForceAuthn) a Response goes to the ACS; without one the user
// signs in first, or, for IsPassive, the SP hears NoPassive.
func (s *Server) proceed(w http.ResponseWriter, r *http.Request, app *apps.App, p *pending, resumed bool) {
	sess, u, err := web.CurrentUser(r, s.Sessions, s.Store, p.TenantID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if sess == nil || (p.ForceAuthn && sess.AuthTime.UnixMilli() < p.CreatedAt) {
		switch {
		case p.IsPassive:
			s.answerStatus(w, r, app, p, statusResponder, statusNoPassive)
		case resumed:
			s.errorPage(w, r, http.StatusBadRequest, "Signing in did not start a session. Allow cookies for this site and try again.")
		default:
			s.toLogin(w, r, app, p, nil)
		}
		return
	}
	// The class to assert: the session's own, or the strongest of the
	// request's it reaches; none reached asks for the second factor.
	strength := 1
	if mfa.HasSecondFactor(sess) {
		strength = 2
	}
	class := chooseClass(p.Classes, strength, authnClassFor(sess.AMR))
	if web.NeedsSecondFactor(&app.Application, sess) || class == "" {
		if p.IsPassive {
			s.answerStatus(w, r, app, p, statusResponder, statusNoPassive)
			return
		}
		s.toLogin(w, r, app, p, sess)
		return
	}
	grant, err := apps.CheckAccess(r.Context(), s.Store, &app.Application, app.Mappings, u)
	if f, ok := failure.As(err); ok {
		s.record(r, p.TenantID, s.actor(r, u.ID), "application.access", audit.Target{Type: "application", ID: app.ID}, storage.ResultFailure, f.Code)
		s.errorPage(w, r, http.StatusForbidden, f.Message+" Ask your administrator for access to "+app.Name+".")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	nameID := nameIDFor(&app.SAML, u, grant)
	if nameID == "" {
		s.record(r, p.TenantID, s.actor(r, u.ID), "application.access", audit.Target{Type: "application", ID: app.ID}, storage.ResultFailure, "saml.name_id")
		s.errorPage(w, r, http.StatusForbidden, app.Name+" identifies users by their "+app.SAML.NameIDSource+", and your account has none. Ask your administrator.")
		return
	}
	now := s.Now()
	row, err := s.Store.SAMLSessions().Put(r.Context(), &storage.SAMLSession{TenantID: p.TenantID, SID: sess.SID, ApplicationID: app.ID,
		UserID: u.ID, NameID: nameID, NameIDFormat: apps.NameIDFormats[app.SAML.NameIDFormat], SessionIndex: newID(),
		CreatedAt: now, ExpiresAt: sess.ExpiresAt})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	sg, err := s.signer(r.Context(), p.TenantID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	ip := s.idpOf(r)
	msg, err := buildResponse(sg, &app.SAML, &assertionFacts{issuer: ip.entityID, audience: app.SAML.EntityID, recipient: p.ACS,
		inResponseTo: p.RequestID, nameID: row.NameID, nameIDFormat: row.NameIDFormat, sessionIndex: row.SessionIndex,
		authnInstant: sess.AuthTime, authnClass: class, sessionEnd: sess.ExpiresAt, lifetime: time.Duration(app.SAML.AssertionLifetime) * time.Second,
		attributes: attributesFor(app.Mappings, u, grant)}, now)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.answer(w, r, app, p, msg, "Signing you in to "+app.Name+"…")
}

// answerStatus posts a Response without assertion (e.g. NoPassive).
func (s *Server) answerStatus(w http.ResponseWriter, r *http.Request, app *apps.App, p *pending, top, second string) {
	sg, err := s.signer(r.Context(), p.TenantID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	msg, err := buildErrorResponse(sg, s.idpOf(r).entityID, p.ACS, p.RequestID, top, second, s.Now())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.answer(w, r, app, p, msg, "Returning to "+app.Name+"…")
}

// toLogin sends the browser to the sign-in page; with stepUp, only for
// the second factor the application requires and that session lacks.
func (s *Server) toLogin(w http.ResponseWriter, r *http.Request, app *apps.App, p *pending, stepUp *storage.Session) {
	l := &authn.LoginRequest{TenantID: p.TenantID, ReturnPath: s.resumeURL(p), AppName: app.Name,
		ExpiresAt: s.Now().Add(authn.LoginRequestLifetime).Unix(),
		// A request that accepts only two-factor classes asks for the code.
		MFA: chooseClass(p.Classes, 1, classPassword) == ""}
	web.ToSignIn(w, r, s.Sealer, l, &app.Application, stepUp)
}

func (s *Server) resumeURL(p *pending) string {
	js, _ := json.Marshal(p)
	return resumePath + "?sr=" + b64.EncodeToString(s.Sealer.Seal(js, pendingContext))
}

func (s *Server) openPending(v, tenantID string) (*pending, bool) {
	if v == "" || len(v) > 16<<10 {
		return nil, false
	}
	raw, err := b64.DecodeString(v)
	if err != nil {
		return nil, false
	}
	js, err := s.Sealer.Open(raw, pendingContext)
	if err != nil {
		return nil, false
	}
	var p pending
	if json.Unmarshal(js, &p) != nil || p.TenantID != tenantID || s.Now().UnixMilli()-p.CreatedAt > authn.LoginRequestLifetime.Milliseconds() {
		return nil, false
	}
	return &p, true
}

// refused writes a refusal's page; an empty message means our fault.
func (s *Server) refused(w http.ResponseWriter, r *http.Request, rf *refusal) {
	if rf.err != nil {
		s.serverError(w, r, rf.err)
		return
	}
	s.errorPage(w, r, rf.status, rf.msg)
}
