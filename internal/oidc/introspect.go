package oidc

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/api/tokenform"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// introspect is RFC 7662 at POST /api/v1/oauth2/introspect, for
// confidential clients. Access tokens of any client of the tenant can be
// introspected (a resource server checks tokens issued to its callers);
// refresh tokens only by their own client.
func (p *Provider) introspect(w http.ResponseWriter, r *http.Request) {
	if desc := tokenform.Parse(r); desc != "" {
		writeOAuthError(w, errInvalidRequest(desc))
		return
	}
	cl, oerr := p.authenticateClient(r)
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	if cl.app.OIDC.Public() {
		writeOAuthError(w, errBadClient)
		return
	}
	tok := r.Form.Get("token")
	if tok == "" {
		writeOAuthError(w, errInvalidRequest("Missing token"))
		return
	}
	t := tenant.FromContext(r.Context())
	inactive := []byte(`{"active":false}`)
	at, err := p.checkAccessToken(r.Context(), t.ID, tok)
	switch {
	case err == nil:
		aud, _, err := p.apiAudiences(r.Context(), t.ID, at.client, splitScope(at.tok.Scope))
		if err != nil {
			p.serverErrorJSON(w, r, err)
			return
		}
		j := newJSON(512).boolean("active", true).str("client_id", at.tok.ClientID).str("scope", at.tok.Scope).
			str("sub", at.tok.Subject).num("exp", at.tok.ExpiresAt).num("iat", at.tok.IssuedAt).
			str("iss", p.issuer(r)).str("token_type", "Bearer")
		if len(aud) > 0 {
			j.strs("aud", append([]string{at.tok.ClientID}, aud...))
		} else {
			j.str("aud", at.tok.ClientID)
		}
		j.strOpt("jti", at.tok.JTI)
		if at.user != nil {
			j.str("username", at.user.UserName).strOpt("sid", at.tok.SID)
		}
		writeJSONBody(w, j.done())
		return
	case !errors.Is(err, errInactive):
		p.Log.ErrorContext(r.Context(), "introspect", "err", err)
		writeOAuthError(w, &oauthError{http.StatusInternalServerError, "server_error", "Internal error."})
		return
	}
	// Not an access token: maybe one of this client's refresh tokens.
	rt, err := p.peekRefresh(r, t.ID, tok)
	if err != nil || rt == nil || rt.ClientID != cl.id() {
		writeJSONBody(w, inactive)
		return
	}
	// Active only if the refresh grant would take it: the application's
	// access policy holds for refresh tokens already issued.
	if u, err := p.userFor(r.Context(), cl, t.ID, rt.UserID); err != nil || u.Disabled {
		writeJSONBody(w, inactive)
		return
	} else if _, err := p.access(r.Context(), cl, u); err != nil {
		if _, refused := failure.As(err); !refused {
			p.Log.ErrorContext(r.Context(), "introspect", "err", err)
			writeOAuthError(w, &oauthError{http.StatusInternalServerError, "server_error", "Internal error."})
			return
		}
		writeJSONBody(w, inactive)
		return
	}
	j := newJSON(256).boolean("active", true).str("client_id", rt.ClientID).str("scope", rt.Scope).str("sub", rt.UserID).
		num("exp", rt.ExpiresAt.Unix()).num("iat", rt.CreatedAt.Unix()).str("iss", p.issuer(r)).str("token_type", "refresh_token")
	writeJSONBody(w, j.done())
}

// peekRefresh returns a live, unused refresh token without spending it.
func (p *Provider) peekRefresh(r *http.Request, tenantID, tok string) (*storage.RefreshToken, error) {
	if len(tok) > 256 {
		return nil, nil
	}
	rt, err := p.Store.RefreshTokens().Get(r.Context(), tenantID, secret.Hash(tok))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := p.Now()
	if !rt.UsedAt.IsZero() || !now.Before(rt.ExpiresAt) {
		return nil, nil
	}
	if revoked, err := p.Store.Revocations().AnyRevoked(r.Context(), tenantID, rt.GrantID); err != nil || revoked {
		return nil, err
	}
	u, err := p.Store.Users().GetWithoutOrgs(r.Context(), tenantID, rt.UserID) // only whether it is enabled
	if err != nil || u.Disabled {
		return nil, nil
	}
	return rt, nil
}

func writeJSONBody(w http.ResponseWriter, b []byte) {
	noStoreJSON(w.Header(), false)
	w.Write(b)
}
