package oidc

import (
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/api/tokenform"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// revoke is RFC 7009 at POST /api/v1/oauth2/revoke. A client revokes its
// own tokens: a refresh token takes its whole grant with it (section 2.1),
// an access token is revoked by its id. Unknown or foreign tokens get the
// same 200 (section 2.2), so the endpoint reveals nothing.
func (p *Provider) revoke(w http.ResponseWriter, r *http.Request) {
	if desc := tokenform.Parse(r); desc != "" {
		writeOAuthError(w, errInvalidRequest(desc))
		return
	}
	cl, oerr := p.authenticateClient(r)
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	tok := r.Form.Get("token")
	if tok == "" {
		writeOAuthError(w, errInvalidRequest("Missing token"))
		return
	}
	t := tenant.FromContext(r.Context())
	now := p.Now()
	if at, err := p.checkAccessToken(r.Context(), t.ID, tok); err == nil {
		if at.tok.ClientID == cl.id() {
			exp := time.Unix(at.tok.ExpiresAt, 0)
			if err := p.Store.Revocations().Revoke(r.Context(), t.ID, at.tok.JTI, exp); err != nil {
				p.serverErrorJSON(w, r, err)
				return
			}
		}
	} else if rt, err := p.peekRefresh(r, t.ID, tok); err == nil && rt != nil && rt.ClientID == cl.id() {
		if err := p.revokeGrant(r.Context(), t.ID, rt.GrantID, now); err != nil {
			p.serverErrorJSON(w, r, err)
			return
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

func (p *Provider) serverErrorJSON(w http.ResponseWriter, r *http.Request, err error) {
	p.Log.ErrorContext(r.Context(), "oidc", "err", err)
	writeOAuthError(w, &oauthError{http.StatusInternalServerError, "server_error", "Internal error."})
}
