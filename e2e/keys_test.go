package e2e

import (
	"encoding/json"
	"testing"
)

// TestSigningKeyRotation: an on-demand rotation publishes the new key in
// the JWKS at once (pending), keeps the old one (current), and both are
// listed by the management API.
func TestSigningKeyRotation(t *testing.T) {
	g := start(t, "sqlite:"+t.TempDir()+"/gh.db")
	auth := bearer(g.token(clientID, clientSecret, nil))
	r := g.call("POST", "/api/v2/tenant/keys/rotate", map[string]string{"algorithm": "RS256"}, auth)
	if r.status != 201 {
		t.Fatalf("rotate: %d %s", r.status, r.body)
	}
	kid := r.json(t)["kid"].(string)
	_, body := g.get("/api/v1/oauth2/keys", nil)
	var jwks struct {
		Keys []struct{ Kid, Alg, Use string }
	}
	json.Unmarshal(body, &jwks)
	found, rs := map[string]bool{}, 0
	for _, k := range jwks.Keys {
		found[k.Kid] = true
		if k.Use != "sig" || (k.Alg != "RS256" && k.Alg != "ES256") {
			t.Errorf("JWKS key %+v", k)
		}
		if k.Alg == "RS256" {
			rs++
		}
	}
	// The rotated-in RS256 key and the current one, beside the ES256 key
	// made together with the first RS256 key.
	if rs != 2 || len(jwks.Keys) != 3 || !found[kid] {
		t.Fatalf("JWKS after rotation: %s", body)
	}
	list := g.call("GET", "/api/v2/tenant/keys", nil, auth).json(t)
	states := map[string]string{}
	for _, k := range list["keys"].([]any) {
		m := k.(map[string]any)
		states[m["kid"].(string)] = m["status"].(string)
	}
	if states[kid] != "pending" || len(states) != 3 {
		t.Errorf("key states after rotation: %v", states)
	}
	wantError(t, "bad algorithm", g.call("POST", "/api/v2/tenant/keys/rotate", map[string]string{"algorithm": "HS256"}, auth), 400,
		`{"error_code":"KEY.0001","error_msg":"The algorithm must be RS256 or ES256."}`)
}
