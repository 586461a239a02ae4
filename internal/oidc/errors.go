package oidc

import "net/http"

// oauthError is an RFC 6749 section 5.2 error.
type oauthError struct {
	status int
	Code   string
	Desc   string
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Desc }

func errInvalidRequest(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_request", desc}
}

// errInvalidCode is OneAccess's answer to any bad authorization code: a
// used, expired, unknown or other-client code (ONEACCESS-API.md 4.1).
var errInvalidCode = &oauthError{http.StatusBadRequest, "invalid_grant", "Invalid authorization code"}

var errBadClient = &oauthError{http.StatusUnauthorized, "invalid_client", "Bad client credentials"}

// writeOAuthError writes a JSON OAuth error (token, revocation,
// introspection endpoints).
func writeOAuthError(w http.ResponseWriter, e *oauthError) {
	h := w.Header()
	noStoreJSON(h, true)
	if e.status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Basic realm="gatehouse"`)
	}
	w.WriteHeader(e.status)
	// Byte for byte OneAccess's body: no trailing newline (json.Encoder
	// would add one).
	w.Write(newJSON(128).str("error", e.Code).strOpt("error_description", e.Desc).done())
}
