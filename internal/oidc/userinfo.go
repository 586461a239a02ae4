package oidc

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// userinfo is GET or POST /api/v1/oauth2/userinfo (OpenID Connect Core
// section 5.3; ONEACCESS-API.md 4.1.4). The answer carries the standard
// claims of the token's scopes and, always, OneAccess's fields id,
// userName, name, email and mobile.
func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	raw := ""
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			bearerError(w, http.StatusUnauthorized, "invalid_token", "Invalid access token.")
			return
		}
		raw = strings.TrimSpace(tok)
	} else if r.Method == http.MethodPost && r.ParseForm() == nil {
		raw = r.PostForm.Get("access_token") // RFC 6750 section 2.2
	}
	if raw == "" {
		bearerError(w, http.StatusUnauthorized, "unauthorized", "Full authentication is required to access this resource")
		return
	}
	at, err := p.checkAccessToken(r.Context(), tenant.FromContext(r.Context()).ID, raw)
	if err != nil {
		if err != errInactive {
			p.Log.ErrorContext(r.Context(), "userinfo", "err", err)
			bearerError(w, http.StatusInternalServerError, "server_error", "Internal error.")
			return
		}
		bearerError(w, http.StatusUnauthorized, "invalid_token", "Invalid access token.")
		return
	}
	if at.user == nil {
		bearerError(w, http.StatusForbidden, "insufficient_scope", "The token was issued to a client, not to a user.")
		return
	}
	u := at.user
	scopes := splitScope(at.tok.Scope)
	j := newJSON(512).str("sub", u.ID)
	mappedClaims(j, at.client.app.Mappings, apps.InUserinfo, u, at.grant)
	scopeClaims(j, u, scopes)
	j.str("id", u.ID).str("userName", u.UserName)
	if !slices.Contains(scopes, "profile") {
		j.str("name", u.Name)
	}
	if !slices.Contains(scopes, "email") || u.Email == "" {
		j.str("email", u.Email)
	}
	j.str("mobile", u.Mobile)
	noStoreJSON(w.Header(), false)
	w.Write(j.done())
}

// bearerError answers a resource request with RFC 6750's error.
func bearerError(w http.ResponseWriter, status int, code, desc string) {
	h := w.Header()
	if code == "unauthorized" {
		h.Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
	} else {
		h.Set("WWW-Authenticate", `Bearer realm="gatehouse", error="`+code+`"`)
	}
	noStoreJSON(h, false)
	w.WriteHeader(status)
	w.Write(newJSON(128).str("error", code).str("error_description", desc).done())
}
