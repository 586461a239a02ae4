package oidc

import (
	"context"
	"slices"
	"strings"
)

// apiAudiences returns, for the API scopes among scopes (those that are
// not the client's OpenID Connect scopes), the client ids of the
// applications that define them: the audiences of the access token. The
// first API scope no application defines any more is returned as unknown.
// Without API scopes it returns nothing and reads nothing.
func (p *Provider) apiAudiences(ctx context.Context, tenantID string, cl *client, scopes []string) (aud []string, unknown string, err error) {
	var api []string
	for _, s := range scopes {
		if !slices.Contains(cl.app.OIDC.Scopes, s) {
			api = append(api, s)
		}
	}
	if len(api) == 0 {
		return nil, "", nil
	}
	owners, err := p.Store.Apps().APIScopeOwners(ctx, tenantID, api)
	if err != nil {
		return nil, "", err
	}
	for _, s := range api {
		o, ok := owners[s]
		if !ok {
			return nil, s, nil
		}
		if !slices.Contains(aud, o) && o != cl.id() {
			aud = append(aud, o)
		}
	}
	return aud, "", nil
}

// checkScopes applies the client's scope rules to requested scopes:
// allowed ones are kept once each, in order; the first not allowed is
// returned as refused.
func checkScopes(cl *client, requested []string) (kept []string, refused string) {
	for _, sc := range requested {
		if ok, _ := cl.app.OIDC.MayRequest(sc); !ok {
			return nil, sc
		}
		if !slices.Contains(kept, sc) {
			kept = append(kept, sc)
		}
	}
	return kept, ""
}

func invalidScope(s string) *oauthError {
	return &oauthError{400, "invalid_scope", "The scope " + truncate(s, 64) + " is not allowed for this application."}
}

func joinScopes(s []string) string { return strings.Join(s, " ") }
