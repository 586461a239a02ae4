package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// TestPrivateKeyJWT: a client authenticates with an assertion signed by a
// key it registered (RFC 7523, OpenID Connect Core section 9); replays,
// foreign keys, wrong audiences and secrets are refused.
func TestPrivateKeyJWT(t *testing.T) {
	g := start(t, "sqlite:"+t.TempDir()+"/gh.db")
	admin := bearer(g.token(clientID, clientSecret, nil))
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub := jose.JSONWebKey{Key: key.Public(), KeyID: "k1", Algorithm: "ES256", Use: "sig"}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}})
	cid, secret, _ := g.app(admin, map[string]any{"name": "Signer", "protocol": "oidc", "oidc": map[string]any{
		"grant_types": []string{"client_credentials"}, "token_endpoint_auth_method": "private_key_jwt", "jwks": json.RawMessage(jwks)}})
	if secret != "" {
		t.Errorf("a private_key_jwt client was given a secret")
	}
	tokenURL := g.url + "/api/v1/oauth2/token"
	assertion := func(signer *ecdsa.PrivateKey, kid string, claims jwt.Claims) string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: signer, KeyID: kid}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := jwt.Signed(s).Claims(claims).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := func(jti string) jwt.Claims {
		return jwt.Claims{Issuer: cid, Subject: cid, Audience: jwt.Audience{tokenURL}, ID: jti,
			Expiry: jwt.NewNumericDate(time.Now().Add(time.Minute)), IssuedAt: jwt.NewNumericDate(time.Now())}
	}
	exchange := func(a string, extra url.Values) resp {
		form := url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion": {a}}
		for k, v := range extra {
			form[k] = v
		}
		return postForm(t, g, "/api/v1/oauth2/token", "", "", form)
	}
	a1 := assertion(key, "k1", good("jti-1"))
	if r := exchange(a1, nil); r.status != 200 {
		t.Fatalf("private_key_jwt: %d %s", r.status, r.body)
	}
	badClient := `{"error":"invalid_client","error_description":"Bad client credentials"}`
	wantError(t, "replayed assertion", exchange(a1, nil), 401, badClient)
	wantError(t, "another key", exchange(assertion(other, "k1", good("jti-2")), nil), 401, badClient)
	wrongAud := good("jti-3")
	wrongAud.Audience = jwt.Audience{"https://elsewhere.example/token"}
	wantError(t, "wrong audience", exchange(assertion(key, "k1", wrongAud), nil), 401, badClient)
	expired := good("jti-4")
	expired.Expiry = jwt.NewNumericDate(time.Now().Add(-time.Minute))
	wantError(t, "expired assertion", exchange(assertion(key, "k1", expired), nil), 401, badClient)
	longLived := good("jti-5")
	longLived.Expiry = jwt.NewNumericDate(time.Now().Add(48 * time.Hour))
	wantError(t, "assertion valid for two days", exchange(assertion(key, "k1", longLived), nil), 401, badClient)
	wantError(t, "assertion and a secret", exchange(assertion(key, "k1", good("jti-6")), url.Values{"client_secret": {"x"}}), 400,
		`{"error":"invalid_request","error_description":"Use one client authentication method, not several."}`)
	r := postForm(t, g, "/api/v1/oauth2/token", cid, "a-guessed-secret", url.Values{"grant_type": {"client_credentials"}})
	wantError(t, "a secret for a private_key_jwt client", r, 401, badClient)
	// The issuer works as the audience too.
	issAud := good("jti-7")
	issAud.Audience = jwt.Audience{g.url + "/api/v1/oauth2"}
	if r := exchange(assertion(key, "k1", issAud), nil); r.status != 200 {
		t.Errorf("issuer as audience: %d %s", r.status, r.body)
	}
}
