package oidc

import (
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/secret"
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
	// CreatedAt is when the request arrived: prompt=login is satisfied by
	// a sign-in after it.
	CreatedAt int64 `json:"ca"`
}

func (a *authRequest) prompts(v string) bool { return slices.Contains(strings.Fields(a.Prompt), v) }

// implicit reports whether the response goes in the fragment.
func (a *authRequest) implicit() bool { return a.ResponseType != "code" }

// authorize parameter limits: generous for real clients, small enough that
// a request cannot be used to bloat sealed values or logs.
const (
	maxParam = 2048
	maxState = 4096
)

var singleParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "prompt",
	"max_age", "login_hint", "code_challenge", "code_challenge_method", "response_mode"}

// paramProblem checks repetition and size of the parameters (RFC 6749
// section 3.1: parameters must not be included more than once).
func paramProblem(form url.Values) string {
	for _, k := range singleParams {
		if len(form[k]) > 1 {
			return "The " + k + " parameter is repeated."
		}
		limit := maxParam
		if k == "state" {
			limit = maxState
		}
		if len(form.Get(k)) > limit {
			return "The " + k + " parameter is too long."
		}
	}
	return ""
}

const authRequestContext = "oidc-authorize"

// authRequestLifetime bounds sign-in plus consent.
const authRequestLifetime = 30 * time.Minute

func sealAuthRequest(s *secret.Sealer, a *authRequest) string {
	js, _ := json.Marshal(a)
	return b64.EncodeToString(s.Seal(js, authRequestContext))
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
