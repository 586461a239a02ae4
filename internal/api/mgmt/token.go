package mgmt

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"

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
	if desc := parseTokenForm(r); desc != "" {
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
	id, sec, basic := r.BasicAuth()
	if !basic {
		id, sec = r.Form.Get("client_id"), r.Form.Get("client_secret")
	}
	t := tenant.FromContext(r.Context())
	cl, err := a.Clients.Authenticate(r.Context(), t.ID, id, sec)
	if basic && err != nil {
		// RFC 6749 section 2.3.1: Basic credentials are form-encoded first;
		// many clients skip that, so the raw values were tried above.
		did, derr1 := url.QueryUnescape(id)
		dsec, derr2 := url.QueryUnescape(sec)
		if derr1 == nil && derr2 == nil && (did != id || dsec != sec) {
			cl, err = a.Clients.Authenticate(r.Context(), t.ID, did, dsec)
		}
	}
	if err != nil {
		if _, ok := failure.As(err); ok {
			if basic {
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

// parseTokenForm reads the parameters of a token request from the query
// and a form body (urlencoded or multipart), returning a description of
// what is wrong, or "".
func parseTokenForm(r *http.Request) string {
	mt := ""
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, _ = mime.ParseMediaType(ct)
		if mt != "application/x-www-form-urlencoded" && mt != "multipart/form-data" {
			return "The Content-Type must be application/x-www-form-urlencoded."
		}
	}
	var err error
	if mt == "multipart/form-data" {
		err = r.ParseMultipartForm(64 << 10)
	} else {
		err = r.ParseForm()
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return "The request body is too large."
	case err != nil:
		return "The request body is not a valid form."
	}
	return ""
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
