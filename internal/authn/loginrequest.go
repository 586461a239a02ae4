package authn

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/secret"
)

// LoginRequest is what a protocol (OIDC, SAML, CAS) hands the sign-in page
// when it needs the user to sign in: where to go afterwards and what to
// show. It travels sealed in the page's URL, so no row is written before
// the user signs in, and it cannot be altered or replayed after it expires.
type LoginRequest struct {
	TenantID string `json:"t"`
	// ReturnPath is the local path (with query) to resume at after sign-in.
	ReturnPath string `json:"r"`
	// AppName is shown on the page ("Sign in to Payroll").
	AppName string `json:"a,omitempty"`
	// FormOrigins are origins the browser may be redirected to after the
	// form is posted (the application's), for the page's form-action CSP.
	FormOrigins []string `json:"o,omitempty"`
	LoginHint   string   `json:"h,omitempty"`
	// MFA: the application requires a second factor, asked right after
	// the password (the protocol checks the session again on return, so
	// this only saves the user a round trip).
	MFA bool `json:"m,omitempty"`
	// StepUp is the SID of a password-only session that only needs the
	// second factor: the page asks for the code, not the password.
	StepUp    string `json:"s,omitempty"`
	ExpiresAt int64  `json:"e"`
}

const loginRequestContext = "login-request"

// LoginRequestLifetime is how long a sign-in page stays usable.
const LoginRequestLifetime = 30 * time.Minute

// ErrBadLoginRequest means the sealed request is damaged, foreign or stale.
var ErrBadLoginRequest = errors.New("authn: invalid or expired sign-in request")

// SealLoginRequest seals r for a URL.
func SealLoginRequest(s *secret.Sealer, r *LoginRequest) string {
	js, _ := json.Marshal(r)
	return b64.EncodeToString(s.Seal(js, loginRequestContext))
}

// maxSealedLoginRequest bounds a sealed request before it is decoded. It
// must hold the largest request a protocol accepts: OIDC's, with every
// authorization parameter at its limit, seals to about 40 KiB
// (internal/oidc TestLargestRequestTravels), which still fits, as a URL,
// in the server's 64 KiB of request headers.
const maxSealedLoginRequest = 48 << 10

// OpenLoginRequest opens what SealLoginRequest made, for the tenant of the
// request it arrived on.
func OpenLoginRequest(s *secret.Sealer, v, tenantID string, now time.Time) (*LoginRequest, error) {
	if len(v) > maxSealedLoginRequest {
		return nil, ErrBadLoginRequest
	}
	raw, err := b64.DecodeString(v)
	if err != nil {
		return nil, ErrBadLoginRequest
	}
	js, err := s.Open(raw, loginRequestContext)
	if err != nil {
		return nil, ErrBadLoginRequest
	}
	var r LoginRequest
	if json.Unmarshal(js, &r) != nil || r.TenantID != tenantID || now.Unix() > r.ExpiresAt ||
		!strings.HasPrefix(r.ReturnPath, "/") || strings.HasPrefix(r.ReturnPath, "//") || strings.ContainsAny(r.ReturnPath, "\\\r\n") {
		return nil, ErrBadLoginRequest
	}
	return &r, nil
}
