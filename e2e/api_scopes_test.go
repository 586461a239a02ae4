package e2e

import (
	"net/url"
	"strings"
	"testing"
)

// TestAPIScopes: an application defines API scopes; another is allowed
// some of them; the token endpoint grants only those, and the token names
// the API in its audience (JWT aud and introspection).
func TestAPIScopes(t *testing.T) {
	g := start(t, "sqlite:"+t.TempDir()+"/gh.db")
	admin := bearer(g.token(clientID, clientSecret, nil))
	apiID, apiSecret, _ := g.app(admin, map[string]any{"name": "Payroll API", "protocol": "oauth2", "oidc": map[string]any{
		"grant_types": []string{"client_credentials"}, "api_scopes": []string{"payroll.read", "payroll.write"}}})
	cid, csec, _ := g.app(admin, map[string]any{"name": "Reports", "protocol": "oauth2", "oidc": map[string]any{
		"grant_types": []string{"client_credentials"}, "access_token_format": "jwt", "id_token_signed_response_alg": "ES256",
		"allowed_api_scopes": []string{"payroll.read", "ledger.read"}}})
	token := func(scope string) resp {
		return postForm(t, g, "/api/v1/oauth2/token", cid, csec, url.Values{"grant_type": {"client_credentials"}, "scope": {scope}})
	}
	r := token("payroll.read")
	if r.status != 200 || r.json(t)["scope"] != "payroll.read" {
		t.Fatalf("allowed API scope: %d %s", r.status, r.body)
	}
	at := r.json(t)["access_token"].(string)
	claims := b64json(t, strings.Split(at, ".")[1])
	if !strings.Contains(claims, `"aud":["`+cid+`","`+apiID+`"]`) {
		t.Errorf("JWT access token audience: %s", claims)
	}
	// The API introspects the token and finds itself in the audience.
	in := postForm(t, g, "/api/v1/oauth2/introspect", apiID, apiSecret, url.Values{"token": {at}})
	if aud := jsonString(in.json(t)["aud"]); in.status != 200 || !strings.Contains(aud, apiID) {
		t.Errorf("introspection audience: %s", in.body)
	}
	wantError(t, "an API scope not allowed", token("payroll.write"), 400,
		`{"error":"invalid_scope","error_description":"The scope payroll.write is not allowed for this application."}`)
	wantError(t, "an allowed scope no API defines", token("ledger.read"), 400,
		`{"error":"invalid_scope","error_description":"The API scope ledger.read is not defined by any application."}`)
	// Each API scope has one owner in the tenant.
	r = g.call("POST", "/api/v2/tenant/applications", map[string]any{"name": "Impostor", "protocol": "oauth2", "oidc": map[string]any{
		"grant_types": []string{"client_credentials"}, "api_scopes": []string{"payroll.read"}}}, admin)
	wantError(t, "a scope another application defines", r, 400,
		`{"error_code":"APP.0029","error_msg":"The API scope payroll.read is already defined by another application."}`)
	r = g.call("POST", "/api/v2/tenant/applications", map[string]any{"name": "Bad", "protocol": "oauth2", "oidc": map[string]any{
		"grant_types": []string{"client_credentials"}, "api_scopes": []string{"openid"}}}, admin)
	if r.status != 400 || r.json(t)["error_code"] != "APP.0028" {
		t.Errorf("an OpenID Connect scope as an API scope: %d %s", r.status, r.body)
	}
	// A scope listed twice counts once.
	r = g.call("POST", "/api/v2/tenant/applications", map[string]any{"name": "Ledger", "protocol": "oauth2", "oidc": map[string]any{
		"grant_types": []string{"client_credentials"}, "api_scopes": []string{"ledger.read", "ledger.read"},
		"allowed_api_scopes": []string{"payroll.read", "payroll.read"}}}, admin)
	if r.status != 201 {
		t.Fatalf("a scope listed twice: %d %s", r.status, r.body)
	}
	if o := r.json(t)["oidc"].(map[string]any); jsonString(o["api_scopes"]) != `["ledger.read"]` || jsonString(o["allowed_api_scopes"]) != `["payroll.read"]` {
		t.Errorf("a scope listed twice is kept once: %s", r.body)
	}
}
