package oidc

import (
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/tenant"
)

// grantClientCredentials is RFC 6749 section 4.4: the client acts for
// itself; the token's subject is the client. Requested scopes must be
// among the application's (openid is meaningless here and is dropped);
// none requested means all of them.
func (p *Provider) grantClientCredentials(r *http.Request, cl *client) (*issued, error) {
	var scopes []string
	if req := r.Form.Get("scope"); req != "" {
		kept, refused := checkScopes(cl, strings.Fields(req))
		if refused != "" {
			return nil, invalidScope(refused)
		}
		for _, s := range kept {
			if s != "openid" {
				scopes = append(scopes, s)
			}
		}
	} else {
		for _, s := range cl.app.OIDC.Scopes {
			if s != "openid" {
				scopes = append(scopes, s)
			}
		}
	}
	aud, unknown, err := p.apiAudiences(r.Context(), tenant.FromContext(r.Context()).ID, cl, scopes)
	if err != nil {
		return nil, err
	}
	if unknown != "" {
		return nil, &oauthError{http.StatusBadRequest, "invalid_scope", "The API scope " + truncate(unknown, 64) + " is not defined by any application."}
	}
	now := p.Now()
	g := &grantInfo{tenantID: tenant.FromContext(r.Context()).ID, issuer: p.issuer(r), client: cl,
		scope: strings.Join(scopes, " "), grantID: randomID(), audiences: aud}
	tok, life, err := p.mintAccessToken(r.Context(), g, now)
	if err != nil {
		return nil, err
	}
	return &issued{accessToken: tok, expiresIn: life, scope: g.scope}, nil
}
