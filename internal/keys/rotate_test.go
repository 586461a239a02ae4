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

func kidOf(t *testing.T, tok string) string {
	jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	return jws.Signatures[0].Header.KeyID
}

func jwksKids(t *testing.T, b []byte) []string {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	return out
}

// TestRotation moves a clock through a rotation on two "nodes" sharing one
// database: publish first, sign later, keep the old key until its tokens
// have expired.
func TestRotation(t *testing.T) {
	ctx := context.Background()
	store := sqltest.Open(t, sqltest.SQLiteDSN(t))
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	store.Tenants().Create(ctx, &storage.Tenant{ID: "t1", Name: "t1", CreatedAt: now})
	sealer, _ := secret.NewSealer(strings.Repeat("k", 32))
	node1 := &keys.Manager{Store: store, Sealer: sealer, Now: clock}
	node2 := &keys.Manager{Store: store, Sealer: sealer, Now: clock}

	oldTok, _ := node1.Sign(ctx, "t1", keys.ES256, []byte(`{}`))
	oldKid := kidOf(t, oldTok)
	node2.Sign(ctx, "t1", keys.ES256, []byte(`{}`)) // node 2 caches the set

	newKid, err := node1.Rotate(ctx, "t1", keys.ES256)
	if err != nil || newKid == oldKid {
		t.Fatalf("rotate: %v", err)
	}
	// Published at once on the rotating node, not yet signing.
	jwks, _ := node1.JWKS(ctx, "t1")
	if kids := strings.Join(jwksKids(t, jwks), " "); !strings.Contains(kids, newKid) || !strings.Contains(kids, oldKid) {
		t.Fatalf("JWKS after rotation: %s", kids)
	}
	if tok, _ := node1.Sign(ctx, "t1", keys.ES256, []byte(`{}`)); kidOf(t, tok) != oldKid {
		t.Fatal("the new key signed before its publish delay")
	}
	// The other node sees the new key within ReloadEvery, well before it signs.
	now = now.Add(keys.ReloadEvery)
	jwks2, _ := node2.JWKS(ctx, "t1")
	if !strings.Contains(string(jwks2), newKid) {
		t.Fatal("node 2 does not publish the rotated-in key after a reload interval")
	}
	now = now.Add(keys.PublishDelay)
	for _, n := range []*keys.Manager{node1, node2} {
		tok, _ := n.Sign(ctx, "t1", keys.ES256, []byte(`{}`))
		if kidOf(t, tok) != newKid {
			t.Fatal("after the publish delay a node still signs with the old key")
		}
	}
	// Tokens of the old key still verify until the old key retires.
	if _, _, err := node2.Verify(ctx, "t1", oldTok); err != nil {
		t.Fatalf("old token no longer verifies: %v", err)
	}
	now = now.Add(keys.Retention)
	jwks, _ = node1.JWKS(ctx, "t1")
	if kids := jwksKids(t, jwks); strings.Contains(strings.Join(kids, " "), oldKid) {
		t.Fatalf("retired key still published: %v", kids)
	}
	if _, _, err := node1.Verify(ctx, "t1", oldTok); err == nil {
		t.Fatal("a token of a retired key still verifies")
	}
	// A scheduled rotation only rotates keys older than the interval.
	if rotated, _ := node1.RotateIfOlder(ctx, "t1", keys.ES256, 90*24*time.Hour); rotated {
		t.Fatal("rotated a key younger than the interval")
	}
	now = now.Add(91 * 24 * time.Hour)
	if rotated, err := node1.RotateIfOlder(ctx, "t1", keys.ES256, 90*24*time.Hour); !rotated || err != nil {
		t.Fatalf("scheduled rotation: %v %v", rotated, err)
	}
	infos, _ := node1.List(ctx, "t1")
	if len(infos) != 3 { // the new and the retiring ES256 keys, and the RS256 key JWKS made
		t.Fatalf("keys listed: %+v", infos)
	}
}
