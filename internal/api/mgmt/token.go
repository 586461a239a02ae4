package mgmt

import (
	"encoding/json"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/api/tokenform"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// tokenResponse is ONEACCESS-API.md 1.1's 200 body.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
	IDToken     string `json:"id_token"`
}

// token is POST /api/v2/tenant/token: client_credentials only, client
// authenticated by form fields or HTTP Basic, parameters also accepted in
// the query string (OneAccess's own examples put them there).
func (a *API) token(w http.ResponseWriter, r *http.Request) error {
	if desc := tokenform.Parse(r); desc != "" {
		return writeTokenError(w, http.StatusBadRequest, "invalid_request", desc)
	}
	grant := r.Form.Get("grant_type")
	switch grant {
	case "":
		return writeTokenError(w, http.StatusBadRequest, "invalid_request", "Missing grant type")
	case "client_credentials":
	default:
		return writeTokenError(w, http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant type: "+truncate(grant, 64))
	}
	creds := tokenform.ClientCredentials(r)
	t := tenant.FromContext(r.Context())
	cl, err := a.Clients.Authenticate(r.Context(), t.ID, creds.ID, creds.Secret)
	if dec, ok := creds.Decoded(); err != nil && ok {
		cl, err = a.Clients.Authenticate(r.Context(), t.ID, dec.ID, dec.Secret)
	}
	if err != nil {
		if _, ok := failure.As(err); ok {
			if creds.Basic {
				w.Header().Set("WWW-Authenticate", `Basic realm="gatehouse"`)
			}
			return writeTokenError(w, http.StatusUnauthorized, "invalid_client", "Bad client credentials")
		}
		return err
	}
	tok, err := a.Clients.IssueToken(r.Context(), cl)
	if err != nil {
		return err
	}
	claims, _ := json.Marshal(map[string]any{
		"iss": a.Issuer(r), "aud": cl.ClientID, "sub": cl.ClientID,
		"iat": a.Now().Unix(), "exp": tok.ExpiresAt.Unix(),
	})
	idToken, err := a.Keys.Sign(r.Context(), t.ID, keys.RS256, claims)
	if err != nil {
		return err
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: tok.AccessToken, TokenType: "Bearer",
		ExpiresIn: tok.ExpiresIn, Scope: tok.Scope, IDToken: idToken})
	return nil
}

func writeTokenError(w http.ResponseWriter, status int, code, desc string) error {
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, status, shapeB{code, desc})
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
