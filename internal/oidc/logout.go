package oidc

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
	"github.com/gatehouse/gatehouse/internal/web"
)

// logout is RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0)
// at /api/v1/oauth2/logout: it ends the SSO session and returns the browser
// to post_logout_redirect_uri, which must be registered for the client
// named by id_token_hint or client_id. Without a valid target it shows a
// signed-out page, never an open redirect. When the session had signed in
// to SAML service providers, AfterLogout sends the browser through them
// first and to the same place at the end.
func (p *Provider) logout(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, r, http.StatusBadRequest, "The logout request could not be read.")
		return
	}
	t := tenant.FromContext(r.Context())
	clientID := r.Form.Get("client_id")
	if hint := r.Form.Get("id_token_hint"); hint != "" {
		aud, err := p.idTokenAudience(r, t.ID, hint)
		if err != nil || (clientID != "" && clientID != aud) {
			p.errorPage(w, r, http.StatusBadRequest, "The id_token_hint is not an ID token of this provider.")
			return
		}
		clientID = aud
	}
	target := r.Form.Get("post_logout_redirect_uri")
	if target != "" {
		cl, err := p.clients.get(r.Context(), t.ID, clientID)
		if err != nil || !slices.Contains(cl.app.OIDC.PostLogoutRedirectURIs, target) {
			p.errorPage(w, r, http.StatusBadRequest, "The post_logout_redirect_uri is not registered for this application.")
			return
		}
	}
	if target != "" {
		if st := r.Form.Get("state"); st != "" {
			target = withParams(target, url.Values{"state": {st}}, false)
		}
	}
	if p.afterLogout(w, r, t.ID, p.endSession(w, r, t.ID), target) {
		return
	}
	if target != "" {
		http.Redirect(w, r, target, http.StatusFound)
		return
	}
	p.signedOut(w, r)
}

// globalLogout is OneAccess's GET /api/v1/logout?redirect_url=…: it ends
// the SSO session and redirects to redirect_url when that is a registered
// redirect or post-logout URI of the client named by client_id, or of any
// application of the tenant when client_id is absent (ONEACCESS-API.md 4.5).
// Without redirect_url it goes to the sign-in page. Like logout, it lets
// AfterLogout take the browser through the session's SAML service
// providers first.
func (p *Provider) globalLogout(w http.ResponseWriter, r *http.Request) {
	t := tenant.FromContext(r.Context())
	q := r.URL.Query()
	target := q.Get("redirect_url")
	if target != "" && !p.registeredLogoutTarget(r, t.ID, q.Get("client_id"), target) {
		p.errorPage(w, r, http.StatusBadRequest, "The redirect_url is not registered for any application.")
		return
	}
	if target == "" {
		target = "/api/v1/login"
	}
	if p.afterLogout(w, r, t.ID, p.endSession(w, r, t.ID), target) {
		return
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// afterLogout hands a logout that ended session sid to AfterLogout, with
// next, the validated target; it reports whether the response was taken.
func (p *Provider) afterLogout(w http.ResponseWriter, r *http.Request, tenantID, sid, next string) bool {
	return sid != "" && p.AfterLogout != nil && p.AfterLogout(w, r, tenantID, sid, next)
}

func (p *Provider) registeredLogoutTarget(r *http.Request, tenantID, clientID, target string) bool {
	ok := func(a *storage.Application) bool {
		cl, err := p.clients.get(r.Context(), tenantID, a.ClientID)
		if err != nil {
			return false
		}
		s := &cl.app.OIDC
		return slices.Contains(s.PostLogoutRedirectURIs, target) || slices.Contains(s.RedirectURIs, target)
	}
	if clientID != "" {
		cl, err := p.clients.get(r.Context(), tenantID, clientID)
		return err == nil && ok(&cl.app.Application)
	}
	for offset := 0; ; offset += 100 {
		list, total, err := p.Apps.List(r.Context(), tenantID, offset, 100)
		if err != nil {
			return false
		}
		for _, a := range list {
			if ok(&a.Application) {
				return true
			}
		}
		if offset+100 >= total {
			return false
		}
	}
}

// idTokenAudience verifies an ID token of this tenant (expired ones are
// fine: the hint only names the session's client) and returns its aud.
func (p *Provider) idTokenAudience(r *http.Request, tenantID, tok string) (string, error) {
	payload, typ, err := p.Keys.Verify(r.Context(), tenantID, tok)
	if err != nil || typ != "JWT" {
		return "", errors.New("bad id_token_hint")
	}
	c := newClaims(payload)
	if c.str("iss") != p.issuer(r) || c.str("aud") == "" {
		return "", errors.New("bad id_token_hint")
	}
	return c.str("aud"), nil
}

// endSession ends the browser's SSO session and clears its cookie. It
// returns the session's sid, read before the session ends, so that
// AfterLogout can reach the service providers it signed in to; a session
// that timed out (still stored) counts, since they may still hold theirs.
func (p *Provider) endSession(w http.ResponseWriter, r *http.Request, tenantID string) (sid string) {
	if ck, err := r.Cookie(web.SessionCookie); err == nil {
		sid = p.Sessions.SIDOf(r.Context(), tenantID, ck.Value)
		if sess, _, err := p.currentUser(r, tenantID, nil); err == nil && sess != nil {
			a := audit.Actor{Type: audit.ActorUser, ID: sess.UserID, SourceIP: reqinfo.From(r.Context()).IP, UserAgent: r.UserAgent()}
			p.Store.Audit().Append(r.Context(), p.Audit.Event(tenantID, a, "logout", audit.Target{Type: "session", ID: sess.SID}, storage.ResultSuccess, ""))
		}
		p.Sessions.End(r.Context(), tenantID, ck.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: web.SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: p.SecureCookies, SameSite: http.SameSiteLaxMode})
	return sid
}

func (p *Provider) signedOut(w http.ResponseWriter, r *http.Request) {
	t := tenant.FromContext(r.Context())
	p.Pages.Render(w, http.StatusOK, web.PageMessage, web.MessageView{View: web.View{Title: "Signed out", TenantName: t.Name},
		Message: "You are signed out."})
}

// claims reads a few string claims of a JWT payload.
type claims map[string]any

func newClaims(payload []byte) claims {
	var c claims
	json.Unmarshal(payload, &c)
	return c
}

func (c claims) str(k string) string {
	switch v := c[k].(type) {
	case string:
		return v
	case []any:
		if len(v) == 1 {
			s, _ := v[0].(string)
			return s
		}
	}
	return ""
}
