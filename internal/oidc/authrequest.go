package oidc

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/web"
)

// authRequest is a validated authorization request. It travels sealed
// through sign-in and consent, so nothing is stored before the user acts.
type authRequest struct {
	TenantID      string `json:"t"`
	ClientID      string `json:"c"`
	RedirectURI   string `json:"r"`
	ResponseType  string `json:"rt"`
	Scope         string `json:"s"`
	State         string `json:"st,omitempty"`
	Nonce         string `json:"n,omitempty"`
	Prompt        string `json:"p,omitempty"`
	MaxAge        int64  `json:"ma"` // -1: absent
	LoginHint     string `json:"lh,omitempty"`
	CodeChallenge string `json:"cc,omitempty"`
	// ResponseMode is "fragment" when the client asked for it with the
	// code flow; the implicit flow always answers in the fragment.
	ResponseMode string `json:"rm,omitempty"`
	// CreatedAt is when the request arrived: prompt=login is satisfied by
	// a sign-in after it.
	CreatedAt int64 `json:"ca"`
	// ACR is "2" (mfa.ACRMFA) when acr_values asked for a second factor:
	// this request then needs one whatever the application's policy.
	ACR string `json:"acr,omitempty"`
}

func (a *authRequest) prompts(v string) bool { return slices.Contains(strings.Fields(a.Prompt), v) }

// acrFrom reads acr_values (OpenID Connect Core section 3.1.2.1): a list
// naming "2" asks for a second factor, and Gatehouse treats it as
// essential (docs/oidc.md); "1" alone, or values Gatehouse does not
// define, ask for nothing more than the application's policy.
func acrFrom(v string) string {
	if slices.Contains(strings.Fields(v), mfa.ACRMFA) {
		return mfa.ACRMFA
	}
	return ""
}

// needsSecondFactor is the step-up rule of this request: the application
// requires MFA (web.NeedsSecondFactor) or the request asked for acr 2, and
// sess has no second factor.
func (a *authRequest) needsSecondFactor(app *storage.Application, sess *storage.Session) bool {
	return web.NeedsSecondFactor(app, sess) || (a.ACR == mfa.ACRMFA && sess != nil && !mfa.HasSecondFactor(sess))
}

// implicit reports whether the response, or the error, goes in the
// fragment: the default response mode of every response type that returns
// a token from this endpoint (OAuth 2.0 Multiple Response Type Encoding
// Practices, sections 2.1, 4 and 5). code, none and unknown types use the
// query.
// inFragment reports whether the response goes in the fragment.
func (a *authRequest) inFragment() bool { return a.implicit() || a.ResponseMode == "fragment" }

func (a *authRequest) implicit() bool {
	for _, t := range strings.Fields(a.ResponseType) {
		if t == "token" || t == "id_token" {
			return true
		}
	}
	return false
}

// authorize parameter limits: generous for real clients, small enough that
// a request cannot be used to bloat sealed values or logs.
const (
	maxParam     = 2048
	maxState     = 4096
	maxLoginHint = 256
)

var singleParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "prompt",
	"max_age", "login_hint", "code_challenge", "code_challenge_method", "response_mode", "acr_values"}

// paramProblem checks repetition, size and characters of the parameters
// (RFC 6749 section 3.1: parameters must not be included more than once).
// Control characters and invalid UTF-8 are refused: state and nonce come
// back to the client and must come back unchanged, which JSON (the
// sealed request) cannot promise for invalid UTF-8; no parameter has a
// use for them (RFC 6749 Appendix A: state is printable ASCII).
func paramProblem(form url.Values) string {
	for _, k := range singleParams {
		if len(form[k]) > 1 {
			return "The " + k + " parameter is repeated."
		}
		limit := maxParam
		if k == "state" {
			limit = maxState
		}
		v := form.Get(k)
		if len(v) > limit {
			return "The " + k + " parameter is too long."
		}
		if !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
			return "The " + k + " parameter holds characters that are not allowed."
		}
	}
	return ""
}

// clip shortens s to at most n bytes without splitting a character.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

const authRequestContext = "oidc-authorize"

// authRequestLifetime bounds sign-in plus consent.
const authRequestLifetime = 30 * time.Minute

// sealAuthRequest seals a for a URL or a form. HTML escaping is off: it
// would make each <, > or & of a state six bytes, and the sealed request
// travels inside the sign-in page's sealed request, in a URL.
func sealAuthRequest(s *secret.Sealer, a *authRequest) string {
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false)
	enc.Encode(a)
	return b64.EncodeToString(s.Seal(js.Bytes(), authRequestContext))
}

var errBadAuthRequest = errors.New("oidc: invalid or expired authorization request")

func openAuthRequest(s *secret.Sealer, v, tenantID string, now time.Time) (*authRequest, error) {
	if len(v) > 32<<10 {
		return nil, errBadAuthRequest
	}
	raw, err := b64.DecodeString(v)
	if err != nil {
		return nil, errBadAuthRequest
	}
	js, err := s.Open(raw, authRequestContext)
	if err != nil {
		return nil, errBadAuthRequest
	}
	var a authRequest
	if json.Unmarshal(js, &a) != nil || a.TenantID != tenantID || now.Unix() > a.CreatedAt+int64(authRequestLifetime/time.Second) {
		return nil, errBadAuthRequest
	}
	return &a, nil
}

func parseMaxAge(v string) (int64, bool) {
	if v == "" {
		return -1, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil && n >= 0 && n <= 100*365*86400
}
