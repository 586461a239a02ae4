package oidc

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/authn"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
	"github.com/gatehouse/gatehouse/internal/web"
)

// authorize is the authorization endpoint (RFC 6749 section 4.1.1, OpenID
// Connect Core section 3.1.2), GET or POST. Until the client and its
// redirect URI are known good, errors go to an error page and never to a
// redirect (RFC 6749 section 4.1.2.1); after that, to the client.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, r, http.StatusBadRequest, "The authorization request could not be read.")
		return
	}
	f := r.Form
	if problem := paramProblem(f); problem != "" {
		p.errorPage(w, r, http.StatusBadRequest, problem)
		return
	}
	t := tenant.FromContext(r.Context())
	cl, err := p.clients.get(r.Context(), t.ID, f.Get("client_id"))
	if err != nil {
		if errors.Is(err, errNoClient) {
			p.errorPage(w, r, http.StatusBadRequest, "The application (client_id) is unknown or disabled.")
		} else {
			p.serverError(w, r, err)
		}
		return
	}
	ar := p.newAuthRequest(t.ID, cl, f)
	if ar == nil {
		p.errorPage(w, r, http.StatusBadRequest, "The redirect_uri is not registered for this application.")
		return
	}
	if code, desc := p.validate(ar, cl, f); code != "" {
		p.redirectError(w, r, ar, code, desc)
		return
	}
	if _, unknown, err := p.apiAudiences(r.Context(), t.ID, cl, strings.Fields(ar.Scope)); err != nil {
		p.serverError(w, r, err)
		return
	} else if unknown != "" {
		p.redirectError(w, r, ar, "invalid_scope", "The API scope "+truncate(unknown, 64)+" is not defined by any application.")
		return
	}
	p.proceed(w, r, cl, ar, false)
}

// newAuthRequest starts the request of client cl from the parameters, or
// returns nil when its redirect URI is not registered.
func (p *Provider) newAuthRequest(tenantID string, cl *client, f url.Values) *authRequest {
	s := &cl.app.OIDC
	redirect := f.Get("redirect_uri")
	if redirect == "" && len(s.RedirectURIs) == 1 {
		redirect = s.RedirectURIs[0] // OneAccess: redirect_uri is optional
	}
	if !matchRedirect(s, redirect) {
		return nil
	}
	// login_hint only fills in the sign-in form's user name: keep no more
	// of it than that shows, so it does not weigh on the sealed request.
	return &authRequest{TenantID: tenantID, ClientID: cl.id(), RedirectURI: redirect, ResponseType: f.Get("response_type"),
		State: f.Get("state"), Nonce: f.Get("nonce"), Prompt: f.Get("prompt"), LoginHint: clip(f.Get("login_hint"), maxLoginHint),
		ACR: acrFrom(f.Get("acr_values")), CreatedAt: p.Now().Unix()}
}

// validate checks everything but the client and redirect URI, filling in
// ar; a non-empty code is an error for the client.
func (p *Provider) validate(ar *authRequest, cl *client, f url.Values) (code, desc string) {
	s := &cl.app.OIDC
	if f.Get("request") != "" {
		return "request_not_supported", "Request objects are not supported."
	}
	if f.Get("request_uri") != "" {
		return "request_uri_not_supported", "Request objects are not supported."
	}
	switch ar.ResponseType {
	case "":
		return "invalid_request", "Missing response_type"
	case "code":
		if !s.Allows(apps.GrantAuthorizationCode) {
			return "unauthorized_client", "The application may not use the authorization code flow."
		}
	case "id_token", "id_token token", "token id_token":
		if !s.Allows(apps.GrantImplicit) {
			return "unauthorized_client", "The application may not use the implicit flow."
		}
		ar.ResponseType = "id_token"
		if strings.Contains(f.Get("response_type"), "token ") || strings.HasSuffix(f.Get("response_type"), " token") {
			ar.ResponseType = "id_token token"
		}
	default:
		return "unsupported_response_type", "The response_type must be code, id_token or \"id_token token\"."
	}
	switch rm := f.Get("response_mode"); {
	case rm != "" && rm != "query" && rm != "fragment":
		return "invalid_request", "The response_mode must be query or fragment."
	case rm == "query" && ar.implicit():
		// Tokens never travel in a query string (OAuth 2.0 Multiple
		// Response Type Encoding Practices, section 2.1).
		return "invalid_request", "The implicit flow answers in the fragment; response_mode=query is not allowed."
	case rm == "fragment":
		ar.ResponseMode = rm
	}
	scope := strings.Fields(f.Get("scope"))
	if len(scope) == 0 { // OneAccess: scope is optional
		if cl.app.Protocol == storage.ProtocolOAuth2 {
			scope = []string{"get_user_info"}
		} else {
			scope = []string{"openid"}
		}
	}
	kept, refused := checkScopes(cl, scope)
	if refused != "" {
		return "invalid_scope", "The scope " + truncate(refused, 64) + " is not allowed for this application."
	}
	ar.Scope = strings.Join(kept, " ")
	if ar.implicit() {
		if !slices.Contains(kept, "openid") {
			return "invalid_scope", "The implicit flow needs the openid scope."
		}
		if ar.Nonce == "" {
			return "invalid_request", "The implicit flow needs a nonce."
		}
	}
	var ok bool
	if ar.MaxAge, ok = parseMaxAge(f.Get("max_age")); !ok {
		return "invalid_request", "The max_age must be a number of seconds."
	}
	if ar.prompts("none") && len(strings.Fields(ar.Prompt)) > 1 {
		return "invalid_request", "The prompt none cannot be combined with other values."
	}
	// PKCE (RFC 7636): S256 only; plain would let a stolen code through.
	challenge, method := f.Get("code_challenge"), f.Get("code_challenge_method")
	switch {
	case challenge == "" && method != "":
		return "invalid_request", "The code_challenge_method needs a code_challenge."
	case challenge != "" && method != "S256":
		return "invalid_request", "The code_challenge_method must be S256."
	case challenge != "" && (len(challenge) != 43 || !validVerifier(challenge+"x")):
		return "invalid_request", "The code_challenge must be the base64url SHA-256 of the verifier."
	case challenge == "" && s.RequirePKCE && !ar.implicit():
		return "invalid_request", "This application requires PKCE (code_challenge with S256)."
	}
	ar.CodeChallenge = challenge
	return "", ""
}

// resume is GET /api/v1/oauth2/authorize/resume?ar=…: the sign-in page
// sends the browser back here.
func (p *Provider) resume(w http.ResponseWriter, r *http.Request) {
	t := tenant.FromContext(r.Context())
	ar, err := openAuthRequest(p.Sealer, r.URL.Query().Get("ar"), t.ID, p.Now())
	if err != nil {
		p.errorPage(w, r, http.StatusBadRequest, "This sign-in link is invalid or has expired. Go back to the application and start again.")
		return
	}
	cl, err := p.clients.get(r.Context(), t.ID, ar.ClientID)
	if err != nil || !matchRedirect(&cl.app.OIDC, ar.RedirectURI) {
		p.errorPage(w, r, http.StatusBadRequest, "The application (client_id) is unknown or disabled.")
		return
	}
	p.proceed(w, r, cl, ar, true)
}

// proceed signs the user in if needed, asks consent if needed, and
// answers the application.
func (p *Provider) proceed(w http.ResponseWriter, r *http.Request, cl *client, ar *authRequest, resumed bool) {
	t := tenant.FromContext(r.Context())
	now := p.Now()
	sess, u, err := p.currentUser(r, t.ID, cl)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	if ar.needsSignIn(sess, now, resumed) {
		if ar.prompts("none") {
			p.redirectError(w, r, ar, "login_required", "The user is not signed in.")
			return
		}
		if resumed && sess == nil {
			// Back from the sign-in page without a session (cookies
			// blocked?): do not loop.
			p.errorPage(w, r, http.StatusBadRequest, "Signing in did not start a session. Allow cookies for this site and try again.")
			return
		}
		p.toLogin(w, r, cl, ar)
		return
	}
	if ar.needsSecondFactor(&cl.app.Application, sess) {
		if ar.prompts("none") {
			p.redirectError(w, r, ar, "interaction_required", "A second factor is required.")
			return
		}
		p.toStepUp(w, r, cl, ar, sess)
		return
	}
	grant, err := p.access(r.Context(), cl, u)
	if err != nil {
		p.denyAccess(w, r, cl, ar, u, err)
		return
	}
	if p.needConsent(r, cl, ar, u) {
		if ar.prompts("none") {
			p.redirectError(w, r, ar, "consent_required", "The user has not consented.")
			return
		}
		p.consentPage(w, r, cl, ar, u)
		return
	}
	p.respond(w, r, cl, ar, sess, u, grant)
}

// denyAccess answers a signed-in user whom the application's access policy
// refuses: audited with the reason, then an error page (or, for
// prompt=none, access_denied to the client).
func (p *Provider) denyAccess(w http.ResponseWriter, r *http.Request, cl *client, ar *authRequest, u *storage.User, err error) {
	f, ok := failure.As(err)
	if !ok {
		p.serverError(w, r, err)
		return
	}
	a := audit.Actor{Type: audit.ActorUser, ID: u.ID, SourceIP: reqinfo.From(r.Context()).IP, UserAgent: r.UserAgent()}
	if aerr := p.Store.Audit().Append(r.Context(), p.Audit.Event(ar.TenantID, a, "application.access",
		audit.Target{Type: "application", ID: cl.app.ID}, storage.ResultFailure, f.Code)); aerr != nil {
		p.Log.ErrorContext(r.Context(), "audit: cannot record a refused sign-in", "err", aerr)
	}
	if ar.prompts("none") {
		p.redirectError(w, r, ar, "access_denied", f.Message)
		return
	}
	p.errorPage(w, r, http.StatusForbidden, f.Message+" Ask your administrator for access to "+cl.app.Name+".")
}

// needsSignIn reports whether the user must sign in before sess can
// answer ar: there is no session, or the request asks for a new sign-in
// (prompt=login; max_age=0, which OpenID Connect Core section 3.1.2.1
// makes the same) or for one younger than max_age. A sign-in made after
// the request arrived, found when it resumes from the sign-in page,
// always answers it. Times are whole seconds: without these two rules a
// session begun in the same second as the request passed for a new
// sign-in, and a second ticking over between sign-in and resume sent the
// user back to the sign-in page.
func (ar *authRequest) needsSignIn(sess *storage.Session, now time.Time, resumed bool) bool {
	switch {
	case sess == nil:
		return true
	case resumed && sess.AuthTime.Unix() >= ar.CreatedAt:
		return false
	case ar.prompts("login") || ar.MaxAge == 0:
		return true
	}
	return ar.MaxAge > 0 && now.Unix()-sess.AuthTime.Unix() > ar.MaxAge
}

// currentUser returns the browser's live session and its enabled user,
// with the user's organisation memberships only when cl's access policy
// reads them (cl nil: for the session alone).
func (p *Provider) currentUser(r *http.Request, tenantID string, cl *client) (*storage.Session, *storage.User, error) {
	if cl != nil && apps.NeedsOrgs(&cl.app.Application) {
		return web.CurrentUser(r, p.Sessions, p.Store, tenantID)
	}
	return web.CurrentUserWithoutOrgs(r, p.Sessions, p.Store, tenantID)
}

// toLogin sends the browser to the sign-in page, which comes back to
// resume with the sealed request.
func (p *Provider) toLogin(w http.ResponseWriter, r *http.Request, cl *client, ar *authRequest) {
	web.ToSignIn(w, r, p.Sealer, p.loginRequest(cl, ar), &cl.app.Application, nil)
}

// toStepUp sends the browser to the sign-in page for the second factor
// the application requires and sess lacks.
func (p *Provider) toStepUp(w http.ResponseWriter, r *http.Request, cl *client, ar *authRequest, sess *storage.Session) {
	web.ToSignIn(w, r, p.Sealer, p.loginRequest(cl, ar), &cl.app.Application, sess)
}

func (p *Provider) loginRequest(cl *client, ar *authRequest) *authn.LoginRequest {
	ret := "/api/v1/oauth2/authorize/resume?ar=" + sealAuthRequest(p.Sealer, ar)
	return &authn.LoginRequest{TenantID: ar.TenantID, ReturnPath: ret, AppName: cl.app.Name, MFA: ar.ACR == mfa.ACRMFA,
		FormOrigins: []string{origin(ar.RedirectURI)}, LoginHint: clip(ar.LoginHint, maxLoginHint),
		ExpiresAt: p.Now().Add(authn.LoginRequestLifetime).Unix()}
}

// respond issues the code (or the implicit flow's tokens) and redirects
// to the application.
func (p *Provider) respond(w http.ResponseWriter, r *http.Request, cl *client, ar *authRequest, sess *storage.Session, u *storage.User, grant *apps.Grant) {
	now := p.Now()
	params := url.Values{}
	g := &grantInfo{tenantID: ar.TenantID, issuer: p.issuer(r), client: cl, user: u, scope: ar.Scope, grantID: randomID(),
		sid: sess.SID, authTime: sess.AuthTime, amr: sess.AMR, acr: sess.ACR, nonce: ar.Nonce, grant: grant}
	if ar.ResponseType == "code" {
		code := randomToken()
		err := p.Store.Codes().Create(r.Context(), &storage.AuthCode{TenantID: ar.TenantID, Hash: secret.Hash(code),
			ClientID: cl.id(), UserID: u.ID, SID: sess.SID, GrantID: g.grantID, RedirectURI: ar.RedirectURI, Scope: ar.Scope,
			Nonce: ar.Nonce, CodeChallenge: ar.CodeChallenge, AuthTime: sess.AuthTime, AMR: sess.AMR, ACR: sess.ACR,
			CreatedAt: now, ExpiresAt: now.Add(p.CodeLifetime)})
		if err != nil {
			p.serverError(w, r, err)
			return
		}
		params.Set("code", code)
	} else {
		at := ""
		if ar.ResponseType == "id_token token" {
			tok, life, err := p.mintAccessToken(r.Context(), g, now)
			if err != nil {
				p.serverError(w, r, err)
				return
			}
			at = tok
			params.Set("access_token", tok)
			params.Set("token_type", "Bearer")
			params.Set("expires_in", itoa(life))
		}
		idt, err := p.mintIDToken(r.Context(), g, at, now)
		if err != nil {
			p.serverError(w, r, err)
			return
		}
		p.recordLogin(r.Context(), g, now)
		params.Set("id_token", idt)
	}
	if ar.State != "" {
		params.Set("state", ar.State)
	}
	http.Redirect(w, r, withParams(ar.RedirectURI, params, ar.inFragment()), http.StatusFound)
}

// redirectError sends an error to the client's redirect URI (RFC 6749
// section 4.1.2.1).
func (p *Provider) redirectError(w http.ResponseWriter, r *http.Request, ar *authRequest, code, desc string) {
	params := url.Values{"error": {code}, "error_description": {desc}}
	if ar.State != "" {
		params.Set("state", ar.State)
	}
	http.Redirect(w, r, withParams(ar.RedirectURI, params, ar.inFragment()), http.StatusFound)
}

func (p *Provider) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	p.Pages.Error(w, r, status, "Sign-in error", msg)
}

func (p *Provider) serverError(w http.ResponseWriter, r *http.Request, err error) {
	p.Pages.InternalError(w, r, p.Log, "oidc", err)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
