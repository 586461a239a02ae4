package apps

import (
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// OIDCSettings are an oidc or oauth2 application's OAuth 2.0 / OpenID
// Connect settings, stored as the application's Settings and shown as its
// "oidc" object (GATEHOUSE-API.md).
type OIDCSettings struct {
	RedirectURIs            []string        `json:"redirect_uris"`
	RedirectURIMatching     string          `json:"redirect_uri_matching"`
	PostLogoutRedirectURIs  []string        `json:"post_logout_redirect_uris"`
	GrantTypes              []string        `json:"grant_types"`
	Scopes                  []string        `json:"scopes"`
	TokenEndpointAuthMethod string          `json:"token_endpoint_auth_method"`
	JWKSURI                 string          `json:"jwks_uri"`
	JWKS                    json.RawMessage `json:"jwks"`
	RequirePKCE             bool            `json:"require_pkce"`
	RequireConsent          bool            `json:"require_consent"`
	AccessTokenLifetime     int             `json:"access_token_lifetime"`
	RefreshTokenLifetime    int             `json:"refresh_token_lifetime"`
	IDTokenLifetime         int             `json:"id_token_lifetime"`
	AccessTokenFormat       string          `json:"access_token_format"`
	IDTokenSignedAlg        string          `json:"id_token_signed_response_alg"`
	// APIScopes are the scopes this application defines as an API
	// (resource server); each is unique in the tenant.
	APIScopes []string `json:"api_scopes"`
	// AllowedAPIScopes are other applications' API scopes this
	// application's clients may request; the token endpoint refuses others.
	AllowedAPIScopes []string `json:"allowed_api_scopes"`
	// BackchannelLogoutURI receives a logout token when an SSO session the
	// application got an ID token from ends by a logout (OpenID Connect
	// Back-Channel Logout 1.0); "" (default): it is not told.
	BackchannelLogoutURI string `json:"backchannel_logout_uri"`
	// BackchannelLogoutSessionRequired is the registration parameter of
	// the same name: the logout token must name the session (sid), which
	// Gatehouse's always do.
	BackchannelLogoutSessionRequired bool `json:"backchannel_logout_session_required"`
}

// Grant types, client authentication methods and formats.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	// GrantImplicit enables OneAccess's implicit responses
	// (response_type=id_token and "id_token token"); off by default.
	GrantImplicit = "implicit"

	AuthSecretPost    = "client_secret_post"
	AuthSecretBasic   = "client_secret_basic"
	AuthPrivateKeyJWT = "private_key_jwt"
	AuthNone          = "none"

	MatchExact  = "exact"
	MatchDomain = "domain"

	FormatOpaque = "opaque"
	FormatJWT    = "jwt"
)

var (
	allGrants = []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials, GrantImplicit}
	allAuth   = []string{AuthSecretPost, AuthSecretBasic, AuthPrivateKeyJWT, AuthNone}
	// KnownScopes are the scopes an application may be allowed: OIDC's,
	// and OneAccess's get_user_info for plain OAuth 2.0 applications.
	KnownScopes = []string{"openid", "profile", "email", "phone", "address", "offline_access", "get_user_info"}
	allPerms    = []string{storage.PermAll, storage.PermUserAll, storage.PermUserRead, storage.PermOrgAll, storage.PermAppOrgAll}
)

// DefaultOIDCSettings are a new application's settings, OneAccess's
// defaults where it has them: opaque access tokens living 7200 s, no
// refresh token, RS256 ID tokens.
func DefaultOIDCSettings(protocol string) OIDCSettings {
	s := OIDCSettings{
		RedirectURIs: []string{}, RedirectURIMatching: MatchExact, PostLogoutRedirectURIs: []string{},
		GrantTypes: []string{GrantAuthorizationCode}, Scopes: []string{"openid", "profile", "email", "phone"},
		TokenEndpointAuthMethod: AuthSecretPost, AccessTokenLifetime: 7200, IDTokenLifetime: 3600,
		AccessTokenFormat: FormatOpaque, IDTokenSignedAlg: "RS256", APIScopes: []string{}, AllowedAPIScopes: []string{},
	}
	if protocol == storage.ProtocolOAuth2 {
		s.Scopes = []string{"get_user_info"}
	}
	return s
}

// Public reports whether the client cannot authenticate (a browser or
// native app).
func (s *OIDCSettings) Public() bool { return s.TokenEndpointAuthMethod == AuthNone }

// Secretless reports whether the client has no secret: a public client,
// or one that authenticates with its registered keys (private_key_jwt).
func (s *OIDCSettings) Secretless() bool {
	return s.Public() || s.TokenEndpointAuthMethod == AuthPrivateKeyJWT
}

// Allows reports whether the application may use a grant type.
func (s *OIDCSettings) Allows(grant string) bool { return slices.Contains(s.GrantTypes, grant) }

func appInvalid(code, field, format string, args ...any) *failure.Failure {
	return failure.Invalidf(code, field, format, args...)
}

// validate checks the settings as a whole and applies the rules that
// settings imply (a public client always requires PKCE).
func (s *OIDCSettings) validate() error {
	if s.RedirectURIMatching != MatchExact && s.RedirectURIMatching != MatchDomain {
		return appInvalid("APP.0012", "oidc.redirect_uri_matching", "The oidc.redirect_uri_matching must be exact or domain.")
	}
	for _, g := range s.GrantTypes {
		if !slices.Contains(allGrants, g) {
			return appInvalid("APP.0013", "oidc.grant_types", "The oidc.grant_types may hold only %s.", strings.Join(allGrants, ", "))
		}
	}
	if len(s.GrantTypes) == 0 {
		return appInvalid("APP.0013", "oidc.grant_types", "The oidc.grant_types must name at least one grant type.")
	}
	needsRedirect := s.Allows(GrantAuthorizationCode) || s.Allows(GrantImplicit)
	if needsRedirect && len(s.RedirectURIs) == 0 {
		return appInvalid("APP.0011", "oidc.redirect_uris", "The oidc.redirect_uris must hold at least one URI for the authorization_code or implicit grant.")
	}
	for _, list := range []struct {
		field string
		uris  []string
	}{{"oidc.redirect_uris", s.RedirectURIs}, {"oidc.post_logout_redirect_uris", s.PostLogoutRedirectURIs}} {
		if len(list.uris) > 20 {
			return appInvalid("APP.0011", list.field, "The %s may hold at most 20 URIs.", list.field)
		}
		for _, u := range list.uris {
			if err := CheckRedirectURI(u); err != "" {
				return appInvalid("APP.0011", list.field, "The %s entry %q %s.", list.field, truncate(u, 100), err)
			}
		}
	}
	for _, sc := range s.Scopes {
		if !slices.Contains(KnownScopes, sc) {
			return appInvalid("APP.0014", "oidc.scopes", "The oidc.scopes may hold only %s.", strings.Join(KnownScopes, ", "))
		}
	}
	if !slices.Contains(allAuth, s.TokenEndpointAuthMethod) {
		return appInvalid("APP.0015", "oidc.token_endpoint_auth_method", "The oidc.token_endpoint_auth_method must be one of %s.", strings.Join(allAuth, ", "))
	}
	if s.TokenEndpointAuthMethod == AuthPrivateKeyJWT {
		if s.JWKSURI == "" && len(s.JWKS) == 0 {
			return appInvalid("APP.0016", "oidc.jwks", "private_key_jwt needs oidc.jwks or oidc.jwks_uri.")
		}
	}
	if s.BackchannelLogoutURI != "" {
		u, err := url.Parse(s.BackchannelLogoutURI)
		if err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || u.Fragment != "" || u.User != nil || len(s.BackchannelLogoutURI) > 2048 {
			return appInvalid("APP.0068", "oidc.backchannel_logout_uri", "The oidc.backchannel_logout_uri must be an absolute http or https URL without user info or fragment, at most 2048 characters.")
		}
	}
	if s.JWKSURI != "" {
		if u, err := url.Parse(s.JWKSURI); err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
			return appInvalid("APP.0016", "oidc.jwks_uri", "The oidc.jwks_uri must be an absolute http(s) URL.")
		}
	}
	if len(s.JWKS) > 0 && string(s.JWKS) != "null" {
		var set struct {
			Keys []json.RawMessage `json:"keys"`
		}
		if json.Unmarshal(s.JWKS, &set) != nil || len(set.Keys) == 0 {
			return appInvalid("APP.0016", "oidc.jwks", "The oidc.jwks must be a JSON Web Key Set with at least one key.")
		}
	}
	if s.Public() {
		s.RequirePKCE = true
		if s.Allows(GrantClientCredentials) {
			return appInvalid("APP.0013", "oidc.grant_types", "A public client (token_endpoint_auth_method none) cannot use client_credentials.")
		}
	}
	for _, l := range []struct {
		field    string
		v        int
		min, max int
	}{
		{"oidc.access_token_lifetime", s.AccessTokenLifetime, 60, 86400},
		{"oidc.refresh_token_lifetime", s.RefreshTokenLifetime, 0, 365 * 86400},
		{"oidc.id_token_lifetime", s.IDTokenLifetime, 60, 86400},
	} {
		if l.v < l.min || l.v > l.max {
			return appInvalid("APP.0017", l.field, "The %s must be %d to %d seconds.", l.field, l.min, l.max)
		}
	}
	if s.RefreshTokenLifetime > 0 && !s.Allows(GrantRefreshToken) {
		s.GrantTypes = append(s.GrantTypes, GrantRefreshToken)
	}
	if s.AccessTokenFormat != FormatOpaque && s.AccessTokenFormat != FormatJWT {
		return appInvalid("APP.0018", "oidc.access_token_format", "The oidc.access_token_format must be opaque or jwt.")
	}
	for _, l := range []struct {
		field  string
		scopes []string
	}{{"oidc.api_scopes", s.APIScopes}, {"oidc.allowed_api_scopes", s.AllowedAPIScopes}} {
		if len(l.scopes) > 50 {
			return appInvalid("APP.0028", l.field, "The %s may hold at most 50 scopes.", l.field)
		}
		for _, sc := range l.scopes {
			if !apiScopeRE.MatchString(sc) || slices.Contains(KnownScopes, sc) {
				return appInvalid("APP.0028", l.field, "The API scope %q must be 1-128 characters: a-z, 0-9, _ . : / -, and not an OpenID Connect scope.", truncate(sc, 64))
			}
		}
	}
	// A scope listed twice counts once (it would otherwise clash with
	// itself when the scopes are claimed).
	s.APIScopes, s.AllowedAPIScopes = dedupe(s.APIScopes), dedupe(s.AllowedAPIScopes)
	if s.IDTokenSignedAlg != "RS256" && s.IDTokenSignedAlg != "ES256" {
		return appInvalid("APP.0019", "oidc.id_token_signed_response_alg", "The oidc.id_token_signed_response_alg must be RS256 or ES256.")
	}
	return nil
}

var apiScopeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.:/-]{0,127}$`)

// MayRequest reports whether the client may ask for scope: one of its
// OpenID Connect scopes, or an API scope it is allowed (whose existence
// the caller checks).
func (s *OIDCSettings) MayRequest(scope string) (allowed, isAPI bool) {
	if slices.Contains(s.Scopes, scope) {
		return true, false
	}
	return slices.Contains(s.AllowedAPIScopes, scope), true
}

// CheckRedirectURI returns why u cannot be a registered redirect URI, or
// "": it must be absolute, without a fragment (RFC 6749 section 3.1.2), and
// not of a scheme a browser would run (javascript:, data:, ...). Custom
// schemes of native apps (com.example.app:/cb) are allowed.
func CheckRedirectURI(u string) string {
	if len(u) > 2048 {
		return "is longer than 2048 characters"
	}
	p, err := url.Parse(u)
	switch {
	case err != nil || !p.IsAbs():
		return "is not an absolute URI"
	case p.Fragment != "" || strings.Contains(u, "#"):
		return "must not have a fragment"
	case slices.Contains([]string{"javascript", "data", "vbscript", "file", "blob", "about"}, strings.ToLower(p.Scheme)):
		return "has a forbidden scheme"
	case (p.Scheme == "http" || p.Scheme == "https") && p.Host == "":
		return "has no host"
	case p.User != nil:
		return "must not carry user info"
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// dedupe keeps the first of each value, in order (never nil).
func dedupe(list []string) []string {
	out := make([]string, 0, len(list))
	for _, v := range list {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
