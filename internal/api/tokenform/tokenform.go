// Package tokenform reads what the management token endpoint and the OAuth
// 2.0 token, revocation and introspection endpoints have in common: the
// parameters of a form request and the client credentials it carries.
package tokenform

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
)

// Parse reads the request's parameters from the query and a form body
// (application/x-www-form-urlencoded or multipart/form-data) into r.Form.
// It returns a description of what is wrong, for an invalid_request
// answer, or "".
func Parse(r *http.Request) string {
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

// Credentials are the client credentials of a request.
type Credentials struct {
	ID, Secret string
	Basic      bool // sent with HTTP Basic
}

// ClientCredentials returns the Basic credentials when present, else the
// client_id and client_secret parameters. Call Parse first.
func ClientCredentials(r *http.Request) Credentials {
	if id, sec, ok := r.BasicAuth(); ok {
		return Credentials{ID: id, Secret: sec, Basic: true}
	}
	return Credentials{ID: r.Form.Get("client_id"), Secret: r.Form.Get("client_secret")}
}

// Decoded returns Basic credentials percent-decoded as RFC 6749 section
// 2.3.1 specifies, and whether that changed them. Many clients do not
// encode, so callers try the raw values first.
func (c Credentials) Decoded() (Credentials, bool) {
	if !c.Basic {
		return c, false
	}
	id, err1 := url.QueryUnescape(c.ID)
	sec, err2 := url.QueryUnescape(c.Secret)
	if err1 != nil || err2 != nil || (id == c.ID && sec == c.Secret) {
		return c, false
	}
	return Credentials{ID: id, Secret: sec, Basic: true}, true
}
