package oidc

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// metadataCache holds each tenant's discovery document, built once per
// tenant id and domain (the issuer follows the domain).
type metadataCache struct {
	mu sync.RWMutex
	m  map[metadataKey][]byte
}

type metadataKey struct{ tenantID, domain string }

// The headers of the two public documents, shared read-only by every
// response (a handler setting one again replaces the slice).
var (
	hdrJSON        = []string{"application/json"}
	hdrAnyOrigin   = []string{"*"}
	hdrCacheJWKS   = []string{"public, max-age=30"}
	hdrCacheConfig = []string{"public, max-age=300"}
)

// discovery serves the OpenID Provider Metadata (OpenID Connect Discovery
// 1.0 section 3) of the request's tenant, from memory.
func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	t := tenant.FromContext(r.Context())
	k := metadataKey{t.ID, t.Domain}
	p.metadata.mu.RLock()
	doc := p.metadata.m[k]
	p.metadata.mu.RUnlock()
	if doc == nil {
		doc = buildMetadata(p.issuer(r), p.baseURL(r))
		p.metadata.mu.Lock()
		if p.metadata.m == nil {
			p.metadata.m = map[metadataKey][]byte{}
		}
		p.metadata.m[k] = doc
		p.metadata.mu.Unlock()
	}
	h := w.Header()
	h["Content-Type"], h["Cache-Control"], h["Access-Control-Allow-Origin"] = hdrJSON, hdrCacheConfig, hdrAnyOrigin
	w.Write(doc)
}

func buildMetadata(iss, base string) []byte {
	doc := map[string]any{
		"issuer":                                        iss,
		"authorization_endpoint":                        iss + "/authorize",
		"token_endpoint":                                iss + "/token",
		"userinfo_endpoint":                             iss + "/userinfo",
		"jwks_uri":                                      iss + "/keys",
		"revocation_endpoint":                           iss + "/revoke",
		"introspection_endpoint":                        iss + "/introspect",
		"end_session_endpoint":                          iss + "/logout",
		"response_types_supported":                      []string{"code", "id_token", "id_token token"},
		"response_modes_supported":                      []string{"query", "fragment"},
		"grant_types_supported":                         []string{"authorization_code", "refresh_token", "client_credentials", "implicit"},
		"subject_types_supported":                       []string{"public"},
		"id_token_signing_alg_values_supported":         []string{"RS256", "ES256"},
		"scopes_supported":                              apps.KnownScopes,
		"token_endpoint_auth_methods_supported":         []string{"client_secret_basic", "client_secret_post", "none"},
		"revocation_endpoint_auth_methods_supported":    []string{"client_secret_basic", "client_secret_post", "private_key_jwt", "none"},
		"introspection_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post", "private_key_jwt"},
		"code_challenge_methods_supported":              []string{"S256"},
		"acr_values_supported":                          []string{mfa.ACRPassword, mfa.ACRMFA},
		"claims_supported": []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid", "azp",
			"name", "preferred_username", "given_name", "middle_name", "family_name", "nickname", "birthdate", "gender",
			"updated_at", "email", "email_verified", "phone_number", "phone_number_verified", "address"},
		"claims_parameter_supported":                     false,
		"request_parameter_supported":                    false,
		"request_uri_parameter_supported":                false,
		"frontchannel_logout_supported":                  false,
		"backchannel_logout_supported":                   true,
		"backchannel_logout_session_supported":           true,
		"authorization_response_iss_parameter_supported": false,
		"service_documentation":                          base + "/api/openapi.json",
	}
	js, _ := json.Marshal(doc)
	return js
}

// jwks serves the tenant's public keys, from memory. Caches may keep it 30
// s: a rotated-in key is published 90 s before it signs, and a node sees a
// rotation within 30 s, so a cached copy always has the signing key.
func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	set, err := p.Keys.JWKS(r.Context(), tenant.FromContext(r.Context()).ID)
	if err != nil {
		p.Log.ErrorContext(r.Context(), "jwks", "err", err)
		writeOAuthError(w, &oauthError{http.StatusInternalServerError, "server_error", "The keys are unavailable."})
		return
	}
	h := w.Header()
	h["Content-Type"], h["Cache-Control"], h["Access-Control-Allow-Origin"] = hdrJSON, hdrCacheJWKS, hdrAnyOrigin
	w.Write(set)
}
