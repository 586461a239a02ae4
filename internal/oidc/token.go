package oidc

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/api/tokenform"
	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// token is POST /api/v1/oauth2/token. The checks every grant shares run
// here, before any grant code (the client, its secret, whether the
// application may use the grant); each grant then only fills in its part.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if desc := tokenform.Parse(r); desc != "" {
		writeOAuthError(w, errInvalidRequest(desc))
		return
	}
	grant := r.Form.Get("grant_type")
	if grant == "" {
		writeOAuthError(w, errInvalidRequest("Missing grant type"))
		return
	}
	// A switch, not a map literal: the map and its three method values
	// were built again on every request.
	var handler func(*http.Request, *client) (*issued, error)
	switch grant {
	case apps.GrantAuthorizationCode:
		handler = p.grantCode
	case apps.GrantRefreshToken:
		handler = p.grantRefresh
	case apps.GrantClientCredentials:
		handler = p.grantClientCredentials
	default:
		writeOAuthError(w, &oauthError{http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant type: " + truncate(grant, 64)})
		return
	}
	cl, oerr := p.authenticateClient(r)
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	if !cl.app.OIDC.Allows(grant) {
		writeOAuthError(w, &oauthError{http.StatusBadRequest, "unauthorized_client", "The application may not use the " + grant + " grant."})
		return
	}
	out, err := handler(r, cl)
	if err != nil {
		var oe *oauthError
		if errors.As(err, &oe) {
			writeOAuthError(w, oe)
			return
		}
		p.Log.ErrorContext(r.Context(), "token endpoint", "grant", grant, "err", err)
		writeOAuthError(w, &oauthError{http.StatusInternalServerError, "server_error", "Internal error."})
		return
	}
	writeTokens(w, out)
}

// authenticateClient identifies the client: secret by Basic or form
// (either is accepted, whatever the application registered, as OneAccess's
// clients use both), or client_id alone for a public client.
func (p *Provider) authenticateClient(r *http.Request) (*client, *oauthError) {
	creds := tokenform.ClientCredentials(r)
	if creds.Basic && r.Form.Get("client_id") != "" && r.Form.Get("client_id") != creds.ID {
		if dec, ok := creds.Decoded(); !ok || dec.ID != r.Form.Get("client_id") {
			return nil, errInvalidRequest("The client_id parameter differs from the Basic credentials.")
		}
	}
	if r.Form.Get("client_assertion_type") != "" || r.Form.Get("client_assertion") != "" {
		return p.clientByAssertion(r)
	}
	t := tenant.FromContext(r.Context())
	now := p.Now()
	try := func(c tokenform.Credentials) (*client, *oauthError) {
		cl, err := p.clients.get(r.Context(), t.ID, c.ID)
		if errors.Is(err, errNoClient) {
			return nil, errBadClient
		}
		if err != nil {
			p.Log.ErrorContext(r.Context(), "client lookup", "err", err)
			return nil, &oauthError{http.StatusInternalServerError, "server_error", "Internal error."}
		}
		if cl.app.OIDC.TokenEndpointAuthMethod == apps.AuthPrivateKeyJWT {
			return nil, errBadClient // registered keys, not a secret, authenticate it
		}
		if cl.app.OIDC.Public() {
			if c.Secret != "" {
				return nil, errBadClient // a public client has no secret to present
			}
			return cl, nil
		}
		if !cl.checkSecret(c.Secret, now) {
			return nil, errBadClient
		}
		return cl, nil
	}
	cl, oerr := try(creds)
	if oerr == errBadClient {
		if dec, ok := creds.Decoded(); ok {
			return try(dec)
		}
	}
	return cl, oerr
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
