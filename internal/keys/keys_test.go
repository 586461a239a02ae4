package keys_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore/sqltest"
)

func TestSignAndJWKS(t *testing.T) {
	ctx := context.Background()
	store := sqltest.Open(t, sqltest.SQLiteDSN(t))
	for _, id := range []string{"t1", "t2"} {
		store.Tenants().Create(ctx, &storage.Tenant{ID: id, Name: id, Domain: id, CreatedAt: time.Now()})
	}
	sealer, _ := secret.NewSealer(strings.Repeat("k", 32))
	m := &keys.Manager{Store: store, Sealer: sealer, Now: time.Now}
	for _, alg := range []string{keys.RS256, keys.ES256} {
		tok, err := m.Sign(ctx, "t1", alg, []byte(`{"sub":"x"}`))
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		jwks, _ := m.JWKS(ctx, "t1")
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(jwks, &set); err != nil {
			t.Fatal(err)
		}
		jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
		if err != nil {
			t.Fatal(err)
		}
		kid := jws.Signatures[0].Header.KeyID
		ks := set.Key(kid)
		if len(ks) != 1 {
			t.Fatalf("%s: kid %q not in JWKS %s", alg, kid, jwks)
		}
		if !ks[0].IsPublic() {
			t.Fatal("JWKS holds a private key")
		}
		if payload, err := jws.Verify(ks[0].Key); err != nil || string(payload) != `{"sub":"x"}` {
			t.Fatalf("%s: verify: %v", alg, err)
		}
	}
	// A second manager (another node, or a restart) loads the same keys.
	m2 := &keys.Manager{Store: store, Sealer: sealer, Now: time.Now}
	a, _ := m.JWKS(ctx, "t1")
	b, _ := m2.JWKS(ctx, "t1")
	if string(a) != string(b) {
		t.Fatal("a restarted manager generated new keys")
	}
	// Tenants never share keys.
	c, _ := m.JWKS(ctx, "t2")
	if string(c) == string(a) {
		t.Fatal("tenants share a key set")
	}
	// The private key is sealed at rest.
	rows, _ := store.SigningKeys().List(ctx, "t1")
	for _, r := range rows {
		if strings.Contains(string(r.PrivateEnc), "PRIVATE") || len(r.PrivateEnc) < 100 {
			t.Fatal("private key not sealed")
		}
	}
	// The wrong secret key cannot load them.
	wrong, _ := secret.NewSealer(strings.Repeat("w", 32))
	m3 := &keys.Manager{Store: store, Sealer: wrong, Now: time.Now}
	if _, err := m3.JWKS(ctx, "t1"); err == nil {
		t.Fatal("keys opened with the wrong secret key")
	}
}
