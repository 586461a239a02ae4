package oidc

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/tenant"
)

// grantClientCredentials is RFC 6749 section 4.4: the client acts for
// itself; the token's subject is the client. Requested scopes must be
// among the application's (openid is meaningless here and is dropped);
// none requested means all of them.
func (p *Provider) grantClientCredentials(r *http.Request, cl *client) (*issued, error) {
	allowed := cl.app.OIDC.Scopes
	var scopes []string
	if req := r.Form.Get("scope"); req != "" {
		for _, s := range strings.Fields(req) {
			if !slices.Contains(allowed, s) {
				return nil, &oauthError{http.StatusBadRequest, "invalid_scope", "The scope " + truncate(s, 64) + " is not allowed for this application."}
			}
			if s != "openid" && !slices.Contains(scopes, s) {
				scopes = append(scopes, s)
			}
		}
	} else {
		for _, s := range allowed {
			if s != "openid" {
				scopes = append(scopes, s)
			}
		}
	}
	now := p.Now()
	g := &grantInfo{tenantID: tenant.FromContext(r.Context()).ID, issuer: p.issuer(r), client: cl,
		scope: strings.Join(scopes, " "), grantID: randomID()}
	tok, life, err := p.mintAccessToken(r.Context(), g, now)
	if err != nil {
		return nil, err
	}
	return &issued{accessToken: tok, expiresIn: life, scope: g.scope}, nil
}
