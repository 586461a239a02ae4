package apps

import (
	"encoding/json"

	"github.com/gatehouse/gatehouse/internal/opt"
)

// AppWrite is the body of register and modify (GATEHOUSE-API.md); fields
// omitted on modify keep their value, inside "oidc" too.
type AppWrite struct {
	Name           opt.String               `json:"name"`
	Description    opt.String               `json:"description"`
	LogoURL        opt.String               `json:"logo_url"`
	HomeURL        opt.String               `json:"home_url"`
	Category       opt.String               `json:"category"`
	Protocol       opt.String               `json:"protocol"`
	OIDC           opt.Value[OIDCWrite]     `json:"oidc"`
	CAS            opt.Value[CASWrite]      `json:"cas"`
	FormFill       opt.Value[FormFillWrite] `json:"form_fill"`
	SAML           opt.Value[SAMLWrite]     `json:"saml"`
	APIPermissions opt.Value[[]string]      `json:"api_permissions"`
	// AccessPolicy: all_users (default), authorized (users with an
	// enabled account of the application) or organizations (those, and
	// members of AccessOrgIDs or organisations below them).
	AccessPolicy    opt.String                `json:"access_policy"`
	AccessOrgIDs    opt.Value[[]string]       `json:"access_org_ids"`
	AccessRules     opt.Value[[]AccessRule]   `json:"access_rules"`
	AccountNameRule opt.String                `json:"account_name_rule"`
	ClaimMappings   opt.Value[[]ClaimMapping] `json:"claim_mappings"`
	// Login: the first factors allowed and the MFA policy (LoginSettings).
	Login opt.Value[LoginWrite] `json:"login"`
}

// OIDCWrite is the "oidc" object of AppWrite.
type OIDCWrite struct {
	RedirectURIs            opt.Value[[]string]        `json:"redirect_uris"`
	RedirectURIMatching     opt.String                 `json:"redirect_uri_matching"`
	PostLogoutRedirectURIs  opt.Value[[]string]        `json:"post_logout_redirect_uris"`
	GrantTypes              opt.Value[[]string]        `json:"grant_types"`
	Scopes                  opt.Value[[]string]        `json:"scopes"`
	TokenEndpointAuthMethod opt.String                 `json:"token_endpoint_auth_method"`
	JWKSURI                 opt.String                 `json:"jwks_uri"`
	JWKS                    opt.Value[json.RawMessage] `json:"jwks"`
	RequirePKCE             opt.Bool                   `json:"require_pkce"`
	RequireConsent          opt.Bool                   `json:"require_consent"`
	AccessTokenLifetime     opt.Value[int]             `json:"access_token_lifetime"`
	RefreshTokenLifetime    opt.Value[int]             `json:"refresh_token_lifetime"`
	IDTokenLifetime         opt.Value[int]             `json:"id_token_lifetime"`
	AccessTokenFormat       opt.String                 `json:"access_token_format"`
	IDTokenSignedAlg        opt.String                 `json:"id_token_signed_response_alg"`
	APIScopes               opt.Value[[]string]        `json:"api_scopes"`
	AllowedAPIScopes        opt.Value[[]string]        `json:"allowed_api_scopes"`
	BackchannelLogoutURI    opt.String                 `json:"backchannel_logout_uri"`
	// BackchannelLogoutSessionRequired: true or false (null keeps it).
	BackchannelLogoutSessionRequired opt.Bool `json:"backchannel_logout_session_required"`
}

// apply copies what w sends onto s.
func (w *OIDCWrite) apply(s *OIDCSettings) {
	setList := func(dst *[]string, v opt.Value[[]string]) {
		if v.Set {
			*dst = append([]string{}, v.V...)
		}
	}
	setStr := func(dst *string, v opt.String) {
		if v.Set {
			*dst = v.V
		}
	}
	setInt := func(dst *int, v opt.Value[int]) {
		if v.Set && !v.Null {
			*dst = v.V
		}
	}
	setList(&s.RedirectURIs, w.RedirectURIs)
	setStr(&s.RedirectURIMatching, w.RedirectURIMatching)
	setList(&s.PostLogoutRedirectURIs, w.PostLogoutRedirectURIs)
	setList(&s.GrantTypes, w.GrantTypes)
	setList(&s.Scopes, w.Scopes)
	setStr(&s.TokenEndpointAuthMethod, w.TokenEndpointAuthMethod)
	setStr(&s.JWKSURI, w.JWKSURI)
	if w.JWKS.Set {
		s.JWKS = w.JWKS.V
		if w.JWKS.Null {
			s.JWKS = nil
		}
	}
	if w.RequirePKCE.Set {
		s.RequirePKCE = w.RequirePKCE.V
	}
	if w.RequireConsent.Set {
		s.RequireConsent = w.RequireConsent.V
	}
	setInt(&s.AccessTokenLifetime, w.AccessTokenLifetime)
	setInt(&s.RefreshTokenLifetime, w.RefreshTokenLifetime)
	setInt(&s.IDTokenLifetime, w.IDTokenLifetime)
	setStr(&s.AccessTokenFormat, w.AccessTokenFormat)
	setStr(&s.IDTokenSignedAlg, w.IDTokenSignedAlg)
	setList(&s.APIScopes, w.APIScopes)
	setList(&s.AllowedAPIScopes, w.AllowedAPIScopes)
	setStr(&s.BackchannelLogoutURI, w.BackchannelLogoutURI)
	if w.BackchannelLogoutSessionRequired.Set {
		s.BackchannelLogoutSessionRequired = w.BackchannelLogoutSessionRequired.V
	}
}
