package oidc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// jwtBearer is RFC 7523's client assertion type.
const jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// maxAssertionLife bounds how far in the future an assertion's exp may
// be: a long-lived assertion is a password in disguise.
const maxAssertionLife = time.Hour

// clientByAssertion authenticates a private_key_jwt client (OpenID Connect
// Core section 9, RFC 7523 section 3): an assertion signed with a key the
// application registered, iss and sub its client id, aud this token
// endpoint or the issuer, unexpired, and its jti never seen before.
func (p *Provider) clientByAssertion(r *http.Request) (*client, *oauthError) {
	if r.Form.Get("client_assertion_type") != jwtBearer {
		return nil, errInvalidRequest("The client_assertion_type must be " + jwtBearer + ".")
	}
	if r.Form.Get("client_secret") != "" || r.Header.Get("Authorization") != "" {
		return nil, errInvalidRequest("Use one client authentication method, not several.")
	}
	raw := r.Form.Get("client_assertion")
	if len(raw) > 8192 {
		return nil, errBadClient
	}
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.PS256, jose.ES384, jose.RS384, jose.EdDSA})
	if err != nil || len(jws.Signatures) != 1 {
		return nil, errBadClient
	}
	var c struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Exp int64           `json:"exp"`
		JTI string          `json:"jti"`
	}
	if json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &c) != nil || c.Sub == "" || c.Iss != c.Sub {
		return nil, errBadClient
	}
	if id := r.Form.Get("client_id"); id != "" && id != c.Sub {
		return nil, errBadClient
	}
	t := tenant.FromContext(r.Context())
	cl, err := p.clients.get(r.Context(), t.ID, c.Sub)
	if err != nil || cl.app.OIDC.TokenEndpointAuthMethod != apps.AuthPrivateKeyJWT {
		return nil, errBadClient
	}
	set, err := p.clientKeys(r.Context(), &cl.app.OIDC)
	if err != nil {
		p.Log.WarnContext(r.Context(), "private_key_jwt: client keys unavailable", "client_id", c.Sub, "err", err)
		return nil, errBadClient
	}
	kid := jws.Signatures[0].Header.KeyID
	verified := false
	for _, k := range set.Keys {
		if (kid == "" || k.KeyID == kid) && k.Use != "enc" {
			if _, err := jws.Verify(k.Key); err == nil {
				verified = true
				break
			}
		}
	}
	if !verified {
		return nil, errBadClient
	}
	now := p.Now()
	if c.Exp <= now.Unix() || c.Exp > now.Add(maxAssertionLife).Unix() || c.JTI == "" || len(c.JTI) > 256 {
		return nil, errBadClient
	}
	if !audienceOK(c.Aud, p.issuer(r)) {
		return nil, errBadClient
	}
	first, err := p.Store.Revocations().Claim(r.Context(), t.ID, "client-assertion:"+c.Sub+":"+c.JTI, time.Unix(c.Exp, 0))
	if err != nil {
		p.Log.ErrorContext(r.Context(), "private_key_jwt: recording jti", "err", err)
		return nil, &oauthError{http.StatusInternalServerError, "server_error", "Internal error."}
	}
	if !first {
		return nil, errBadClient // a replayed assertion
	}
	return cl, nil
}

// audienceOK accepts the token endpoint, the issuer, or any endpoint URL of
// this provider (some libraries use the endpoint being called).
func audienceOK(raw json.RawMessage, issuer string) bool {
	var list []string
	var one string
	if json.Unmarshal(raw, &one) == nil {
		list = []string{one}
	} else if json.Unmarshal(raw, &list) != nil {
		return false
	}
	ok := []string{issuer, issuer + "/token", issuer + "/introspect", issuer + "/revoke"}
	for _, a := range list {
		if slices.Contains(ok, a) {
			return true
		}
	}
	return false
}

// jwksCache keeps keys fetched from applications' jwks_uri for a while.
type jwksCache struct {
	mu sync.Mutex
	m  map[string]cachedJWKS
}

type cachedJWKS struct {
	set     *jose.JSONWebKeySet
	fetched time.Time
}

const jwksCacheTTL = 5 * time.Minute

var jwksClient = &http.Client{Timeout: 5 * time.Second}

// clientKeys returns the application's registered keys: inline, or from
// its jwks_uri (cached; an outbound call with a timeout).
func (p *Provider) clientKeys(ctx context.Context, s *apps.OIDCSettings) (*jose.JSONWebKeySet, error) {
	if len(s.JWKS) > 0 && string(s.JWKS) != "null" {
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(s.JWKS, &set); err != nil {
			return nil, err
		}
		return &set, nil
	}
	if s.JWKSURI == "" {
		return nil, fmt.Errorf("no keys registered")
	}
	p.clientJWKS.mu.Lock()
	c, ok := p.clientJWKS.m[s.JWKSURI]
	p.clientJWKS.mu.Unlock()
	if ok && p.Now().Sub(c.fetched) < jwksCacheTTL {
		return c.set, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.JWKSURI, nil)
	if err != nil {
		return nil, err
	}
	hc := p.Client
	if hc == nil {
		hc = jwksClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks_uri answered %d", res.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, 256<<10))
	if err != nil {
		return nil, err
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, err
	}
	p.clientJWKS.mu.Lock()
	if p.clientJWKS.m == nil {
		p.clientJWKS.m = map[string]cachedJWKS{}
	}
	p.clientJWKS.m[s.JWKSURI] = cachedJWKS{set: &set, fetched: p.Now()}
	p.clientJWKS.mu.Unlock()
	return &set, nil
}
