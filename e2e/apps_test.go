package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	clientIDShape = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)
	secretShape   = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`) // 256 bits, base64url without padding
)

const appsPath = "/api/v2/tenant/applications"

// Bodies of the errors the registry shares between calls.
const (
	errAppUnknown   = `{"error_code":"APP.0001","error_msg":"Application does not exist."}`
	errBadClient    = `{"error":"invalid_client","error_description":"Bad client credentials"}`
	errInvalidToken = `{"error":"invalid_token","error_description":"Invalid access token."}`
	errDenied       = `{"error":"access_denied","error_description":"Access is denied"}`
)

// TestApplicationRegistry walks every call of the application registry
// (GATEHOUSE-API.md, Applications) over HTTP on both backends: register,
// get, list, modify, enable/disable, new secret and delete, what each does
// to the application's client at the token endpoint, the documented errors,
// and tenant isolation.
func TestApplicationRegistry(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			g := start(t, b.dsn(t))
			auth := bearer(g.token(clientID, clientSecret, nil))
			t.Run("walkthrough", func(t *testing.T) { testAppWalkthrough(t, g, auth) })
			t.Run("public-client", func(t *testing.T) { testAppPublicClient(t, g, auth) })
			t.Run("errors", func(t *testing.T) { testAppErrors(t, g, auth) })
			t.Run("tenants", func(t *testing.T) { testAppTenants(t, g, auth) })
		})
	}
}

// oidcDefaults is the oidc object of a new application that sent none of
// its fields (GATEHOUSE-API.md; internal/apps DefaultOIDCSettings).
func oidcDefaults(protocol string) map[string]any {
	scopes := []any{"openid", "profile", "email", "phone"}
	if protocol == "oauth2" {
		scopes = []any{"get_user_info"}
	}
	return map[string]any{
		"redirect_uris": []any{}, "redirect_uri_matching": "exact", "post_logout_redirect_uris": []any{},
		"grant_types": []any{"authorization_code"}, "scopes": scopes,
		"token_endpoint_auth_method": "client_secret_post", "jwks_uri": "", "jwks": nil,
		"require_pkce": false, "require_consent": false, "access_token_lifetime": 7200.0,
		"refresh_token_lifetime": 0.0, "id_token_lifetime": 3600.0, "access_token_format": "opaque",
		"id_token_signed_response_alg": "RS256", "api_scopes": []any{}, "allowed_api_scopes": []any{},
		"backchannel_logout_uri": "", "backchannel_logout_session_required": false,
	}
}

// patched returns a copy of m with the changes applied.
func patched(m map[string]any, changes map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for k, v := range changes {
		out[k] = v
	}
	return out
}

// without returns a copy of m without the keys.
func without(m map[string]any, keys ...string) map[string]any {
	out := patched(m, nil)
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

// wantJSON checks the status and that the body is the JSON object want
// (compared as decoded JSON, so key order does not matter); it returns the
// decoded body.
func wantJSON(t *testing.T, what string, r resp, status int, want map[string]any) map[string]any {
	t.Helper()
	var got map[string]any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Errorf("%s: %d, body is not a JSON object: %s", what, r.status, r.body)
		return nil
	}
	js, _ := json.Marshal(want) // normalise: numbers become float64, slices []any
	var norm map[string]any
	json.Unmarshal(js, &norm)
	if r.status != status || !reflect.DeepEqual(got, norm) {
		t.Errorf("%s: got %d %s\nwant %d %s", what, r.status, r.body, status, js)
	}
	return got
}

// appToken asks the token endpoint for a management token of a client.
func appToken(g *gh, id, secret string, hdr map[string]string) resp {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	return g.call("POST", "/api/v2/tenant/token", form.Encode(), with(hdr, "Content-Type", "application/x-www-form-urlencoded"))
}

// wantToken checks that the client gets a token and returns it.
func wantToken(t *testing.T, g *gh, what, id, secret string, hdr map[string]string) string {
	t.Helper()
	r := appToken(g, id, secret, hdr)
	tok, _ := r.json(t)["access_token"].(string)
	if r.status != 200 || tok == "" {
		t.Fatalf("%s: token endpoint answered %d %s", what, r.status, r.body)
	}
	return tok
}

// registered checks a 201 answer of register: the shapes of the generated
// fields, the secret present or not, then the whole body against want
// (which must not hold the generated fields). It returns the body.
func registered(t *testing.T, what string, r resp, withSecret bool, want map[string]any) map[string]any {
	t.Helper()
	if r.status != 201 {
		t.Fatalf("%s: %d %s", what, r.status, r.body)
	}
	got := r.json(t)
	id, _ := got["application_id"].(string)
	cid, _ := got["client_id"].(string)
	created, _ := got["created_at"].(string)
	if !idShape.MatchString(id) || !clientIDShape.MatchString(cid) || !stampShape.MatchString(created) || got["updated_at"] != created {
		t.Errorf("%s: application_id %q, client_id %q (want 32 letters and digits), created_at %q, updated_at %v", what, id, cid, created, got["updated_at"])
	}
	if strings.NewReplacer("-", "", " ", "", ":", "", ".", "").Replace(created) != id[:min(17, len(id))] {
		t.Errorf("%s: id %s does not start with its created_at %s", what, id, created)
	}
	generated := map[string]any{"application_id": id, "client_id": cid, "created_at": created, "updated_at": created}
	sec, hasSecret := got["client_secret"].(string)
	if withSecret {
		if !secretShape.MatchString(sec) {
			t.Errorf("%s: client_secret %q is not 43 base64url characters", what, sec)
		}
		generated["client_secret"] = sec
	} else if _, ok := got["client_secret"]; ok || hasSecret {
		t.Errorf("%s: a public client got a client_secret: %s", what, r.body)
	}
	// Fields every application shows, with their defaults unless given.
	defaults := map[string]any{"category": "", "access_policy": "all_users", "access_org_ids": []any{}, "access_rules": []any{}, "account_name_rule": "user_name", "claim_mappings": []any{},
		"login": map[string]any{"methods": []any{"password"}, "mfa": "off"}}
	wantJSON(t, what, r, 201, patched(patched(defaults, want), generated))
	return got
}

func testAppWalkthrough(t *testing.T, g *gh, auth map[string]string) {
	// Register a confidential oidc application allowed to read users.
	r := g.call("POST", appsPath, map[string]any{
		"name": "Payroll", "description": "Monthly payslips", "protocol": "oidc",
		"logo_url": "https://payroll.example.com/logo.png", "home_url": "https://payroll.example.com",
		"oidc": map[string]any{
			"redirect_uris":             []string{"https://payroll.example.com/oidc/callback"},
			"post_logout_redirect_uris": []string{"https://payroll.example.com/"},
			"grant_types":               []string{"authorization_code", "refresh_token"},
			"refresh_token_lifetime":    2592000,
		},
		"api_permissions": []string{"user_read"},
	}, auth)
	if ct := r.header.Get("Content-Type"); ct != "application/json;charset=UTF-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	payrollOIDC := patched(oidcDefaults("oidc"), map[string]any{
		"redirect_uris":             []any{"https://payroll.example.com/oidc/callback"},
		"post_logout_redirect_uris": []any{"https://payroll.example.com/"},
		"grant_types":               []any{"authorization_code", "refresh_token"},
		"refresh_token_lifetime":    2592000.0,
	})
	payroll := registered(t, "register oidc", r, true, map[string]any{
		"name": "Payroll", "description": "Monthly payslips", "protocol": "oidc", "status": "enabled",
		"logo_url": "https://payroll.example.com/logo.png", "home_url": "https://payroll.example.com",
		"oidc": payrollOIDC, "api_permissions": []any{"user_read"},
	})
	id, cid, secret0 := payroll["application_id"].(string), payroll["client_id"].(string), payroll["client_secret"].(string)
	one := appsPath + "/" + id

	// oauth2: scopes default to OneAccess's get_user_info; client_credentials
	// alone needs no redirect URI.
	r = g.call("POST", appsPath, map[string]any{"name": "HR sync", "protocol": "oauth2",
		"oidc": map[string]any{"grant_types": []string{"client_credentials"}}, "api_permissions": []string{"user_all", "user_all"}}, auth)
	hrOIDC := patched(oidcDefaults("oauth2"), map[string]any{"grant_types": []any{"client_credentials"}})
	hr := registered(t, "register oauth2", r, true, map[string]any{
		"name": "HR sync", "description": "", "logo_url": "", "home_url": "", "protocol": "oauth2", "status": "enabled",
		"oidc": hrOIDC, "api_permissions": []any{"user_all"},
	})
	if sc := hr["oidc"].(map[string]any)["scopes"]; !reflect.DeepEqual(sc, []any{"get_user_info"}) {
		t.Errorf("oauth2 default scopes = %v, want [get_user_info]", sc)
	}
	// A saml application has a client and secret but no oidc object.
	r = g.call("POST", appsPath, map[string]any{"name": "Wiki", "protocol": "saml", "home_url": "https://wiki.example.com", "saml": samlFor("Wiki")}, auth)
	wiki := registered(t, "register saml", r, true, map[string]any{
		"name": "Wiki", "description": "", "logo_url": "", "home_url": "https://wiki.example.com", "protocol": "saml",
		"status": "enabled", "api_permissions": []any{}, "saml": samlReadFor("Wiki"),
	})

	// Get: the registered application without its secret.
	wantJSON(t, "get", g.call("GET", one, nil, auth), 200, without(payroll, "client_secret"))
	wantJSON(t, "get saml", g.call("GET", appsPath+"/"+wiki["application_id"].(string), nil, auth), 200, without(wiki, "client_secret"))

	// List: creation order, page index paging, no secrets.
	for i := 1; i <= 9; i++ {
		if r := g.call("POST", appsPath, map[string]any{"name": fmt.Sprintf("App %02d", i), "protocol": "cas",
			"cas": map[string]any{"service_patterns": []string{"https://app.example.com/*"}}}, auth); r.status != 201 {
			t.Fatalf("register App %02d: %d %s", i, r.status, r.body)
		}
	}
	r = g.call("GET", appsPath+"?offset=0&limit=10", nil, auth)
	list := r.json(t)
	apps, _ := list["applications"].([]any)
	if r.status != 200 || list["total"] != float64(12) || len(apps) != 10 {
		t.Fatalf("list page 0: %d %s", r.status, r.body)
	}
	if !reflect.DeepEqual(apps[0], without(payroll, "client_secret")) || apps[1].(map[string]any)["name"] != "HR sync" ||
		apps[2].(map[string]any)["name"] != "Wiki" || apps[9].(map[string]any)["name"] != "App 07" {
		t.Errorf("list page 0 is not in creation order, or differs from get: %s", r.body)
	}
	if strings.Contains(string(r.body), `"client_secret":`) {
		t.Errorf("list shows a client_secret: %s", r.body)
	}
	r = g.call("GET", appsPath+"?offset=1&limit=10", nil, auth)
	list = r.json(t)
	apps, _ = list["applications"].([]any)
	if r.status != 200 || list["total"] != float64(12) || len(apps) != 2 || apps[0].(map[string]any)["name"] != "App 08" || apps[1].(map[string]any)["name"] != "App 09" {
		t.Errorf("list page 1: %d %s", r.status, r.body)
	}
	if r = g.call("GET", appsPath+"?offset=3&limit=10", nil, auth); r.status != 200 || string(r.body) != "{\"total\":12,\"applications\":[]}\n" {
		t.Errorf("page past the end: %d %s", r.status, r.body)
	}
	if r = g.call("GET", appsPath, nil, auth); r.status != 200 || len(r.json(t)["applications"].([]any)) != 10 {
		t.Errorf("list without paging parameters: %d %s", r.status, r.body)
	}
	wantError(t, "list limit 5", g.call("GET", appsPath+"?offset=0&limit=5", nil, auth), 400,
		`{"error_code":"COMMON.0001","error_msg":"The limit must be a page size from 10 to 100."}`)
	wantError(t, "list offset -1", g.call("GET", appsPath+"?offset=-1&limit=10", nil, auth), 400,
		`{"error_code":"COMMON.0001","error_msg":"The offset must be a page index from 0 to 10000000."}`)

	// Modify: omitted fields keep their value, inside oidc too.
	r = g.call("PUT", one, map[string]any{"description": "Payslips and tax forms",
		"oidc": map[string]any{"access_token_lifetime": 3600, "require_consent": true}}, auth)
	updated, _ := r.json(t)["updated_at"].(string)
	if !stampShape.MatchString(updated) || updated < payroll["created_at"].(string) {
		t.Errorf("modify: updated_at %q, created_at %v", updated, payroll["created_at"])
	}
	payrollOIDC = patched(payrollOIDC, map[string]any{"access_token_lifetime": 3600.0, "require_consent": true})
	current := patched(without(payroll, "client_secret"), map[string]any{"description": "Payslips and tax forms", "oidc": payrollOIDC, "updated_at": updated})
	wantJSON(t, "modify description and two oidc fields", r, 200, current)
	wantJSON(t, "get after modify", g.call("GET", one, nil, auth), 200, current)
	// The same protocol may be sent; an empty body changes nothing but updated_at.
	r = g.call("PUT", one, map[string]any{"protocol": "oidc", "name": "Payroll"}, auth)
	current["updated_at"] = r.json(t)["updated_at"]
	wantJSON(t, "modify with the same protocol", r, 200, current)
	r = g.call("PUT", one, map[string]any{}, auth)
	current["updated_at"] = r.json(t)["updated_at"]
	wantJSON(t, "modify with {}", r, 200, current)
	// A list sent is replaced whole; the other oidc fields stay.
	r = g.call("PUT", one, map[string]any{"oidc": map[string]any{"redirect_uris": []string{"https://payroll.example.com/cb", "com.example.payroll:/cb"}}}, auth)
	payrollOIDC = patched(payrollOIDC, map[string]any{"redirect_uris": []any{"https://payroll.example.com/cb", "com.example.payroll:/cb"}})
	current = patched(current, map[string]any{"oidc": payrollOIDC, "updated_at": r.json(t)["updated_at"]})
	wantJSON(t, "modify redirect_uris", r, 200, current)
	// refresh_token_lifetime above 0 adds the refresh_token grant.
	hrID := hr["application_id"].(string)
	r = g.call("PUT", appsPath+"/"+hrID, map[string]any{"oidc": map[string]any{"refresh_token_lifetime": 86400}}, auth)
	hrOIDC = patched(hrOIDC, map[string]any{"refresh_token_lifetime": 86400.0, "grant_types": []any{"client_credentials", "refresh_token"}})
	wantJSON(t, "modify refresh_token_lifetime", r, 200, patched(without(hr, "client_secret"), map[string]any{"oidc": hrOIDC, "updated_at": r.json(t)["updated_at"]}))
	// A refused modify changes nothing.
	wantError(t, "modify with a bad lifetime", g.call("PUT", one, map[string]any{"description": "changed", "oidc": map[string]any{"access_token_lifetime": 1}}, auth), 400,
		`{"error_code":"APP.0017","error_msg":"The oidc.access_token_lifetime must be 60 to 86400 seconds."}`)
	wantJSON(t, "get after a refused modify", g.call("GET", one, nil, auth), 200, current)

	// The application's client gets a management token with its permissions.
	tok := wantToken(t, g, "payroll client", cid, secret0, nil)
	if r := appToken(g, cid, secret0, nil); r.json(t)["scope"] != "user_read" {
		t.Errorf("payroll token scope: %s", r.body)
	}
	appAuth := bearer(tok)
	if r := g.call("GET", "/api/v2/tenant/users?offset=0&limit=10", nil, appAuth); r.status != 200 {
		t.Errorf("user_read token lists users: %d %s", r.status, r.body)
	}
	wantError(t, "user_read token creates a user", g.call("POST", "/api/v2/tenant/users", map[string]any{"user_name": "x", "mobile": "13800000000"}, appAuth), 403, errDenied)
	wantError(t, "user_read token on the registry", g.call("GET", appsPath, nil, appAuth), 403, errDenied)
	// An application's client is never a super-admin.
	hrTok := bearer(wantToken(t, g, "hr client", hr["client_id"].(string), hr["client_secret"].(string), nil))
	wantError(t, "user_all token on the registry", g.call("POST", appsPath, map[string]any{"name": "X", "protocol": "cas"}, hrTok), 403, errDenied)
	wantError(t, "app client on the system API", g.call("GET", "/api/v2/system/tenants", nil, hrTok), 403, errDenied)
	// api_permissions follow at once, for the token already issued too.
	if r := g.call("PUT", one, map[string]any{"api_permissions": []string{"user_all"}}, auth); r.status != 200 {
		t.Fatalf("modify api_permissions: %d %s", r.status, r.body)
	}
	if r := g.call("POST", "/api/v2/tenant/users", map[string]any{"user_name": "fromapp", "mobile": "13800000001"}, appAuth); r.status != 201 {
		t.Errorf("token after api_permissions became user_all: %d %s", r.status, r.body)
	}
	if r := g.call("PUT", one, map[string]any{"api_permissions": []string{"user_read"}}, auth); r.status != 200 {
		t.Fatalf("modify api_permissions back: %d %s", r.status, r.body)
	}

	// Disable: no token for the client, and the token it holds is refused.
	wantError(t, "disable", g.call("PUT", one+"/disable", nil, auth), 200, `{"application_id":"`+id+`"}`)
	if r := g.call("GET", one, nil, auth); r.json(t)["status"] != "disabled" {
		t.Errorf("status after disable: %s", r.body)
	}
	wantError(t, "disabled app's client at the token endpoint", appToken(g, cid, secret0, nil), 401, errBadClient)
	wantError(t, "disabled app's token", g.call("GET", "/api/v2/tenant/users?offset=0&limit=10", nil, appAuth), 401, errInvalidToken)
	wantError(t, "disable again", g.call("PUT", one+"/disable", nil, auth), 200, `{"application_id":"`+id+`"}`)
	wantError(t, "enable", g.call("PUT", one+"/enable", nil, auth), 200, `{"application_id":"`+id+`"}`)
	if r := g.call("GET", one, nil, auth); r.json(t)["status"] != "enabled" {
		t.Errorf("status after enable: %s", r.body)
	}
	if r := g.call("GET", "/api/v2/tenant/users?offset=0&limit=10", nil, appAuth); r.status != 200 {
		t.Errorf("token after enable: %d %s", r.status, r.body)
	}
	wantToken(t, g, "enabled app's client", cid, secret0, nil)

	// New secret: the old one keeps working during the overlap (default one day).
	zone := time.FixedZone("", 8*3600) // the default --timezone
	untilOf := func(what string, r resp) (string, time.Time) {
		t.Helper()
		m := r.json(t)
		sec, _ := m["client_secret"].(string)
		until, _ := m["previous_valid_until"].(string)
		at, err := time.ParseInLocation("2006-01-02 15:04:05.000", until, zone)
		if r.status != 201 || len(m) != 2 || !secretShape.MatchString(sec) || err != nil {
			t.Fatalf("%s: %d %s; want 201 {client_secret, previous_valid_until}", what, r.status, r.body)
		}
		return sec, at
	}
	near := func(what string, got, want time.Time) {
		t.Helper()
		if d := got.Sub(want); d < -time.Minute || d > time.Minute {
			t.Errorf("%s: previous_valid_until %v, want about %v", what, got, want)
		}
	}
	wantError(t, "previous_valid_for too long", g.call("POST", one+"/secret", map[string]any{"previous_valid_for": 2592001}, auth), 400,
		`{"error_code":"APP.0021","error_msg":"The previous_valid_for must be 0 to 2592000 seconds."}`)
	wantError(t, "previous_valid_for negative", g.call("POST", one+"/secret", map[string]any{"previous_valid_for": -1}, auth), 400,
		`{"error_code":"APP.0021","error_msg":"The previous_valid_for must be 0 to 2592000 seconds."}`)
	wantError(t, "previous_valid_for not a number", g.call("POST", one+"/secret", map[string]any{"previous_valid_for": "1h"}, auth), 400,
		`{"error_code":"COMMON.0002","error_msg":"The previous_valid_for must be a whole number."}`)
	wantToken(t, g, "secret after refused rotations", cid, secret0, nil)

	secret1, until := untilOf("new secret", g.call("POST", one+"/secret", nil, auth))
	near("default overlap", until, time.Now().Add(24*time.Hour))
	if secret1 == secret0 {
		t.Fatal("new secret equals the old one")
	}
	wantToken(t, g, "old secret during the overlap", cid, secret0, nil)
	wantToken(t, g, "new secret", cid, secret1, nil)
	// 0 ends the replaced secret at once; only one previous secret is kept.
	secret2, until := untilOf("new secret, no overlap", g.call("POST", one+"/secret", map[string]any{"previous_valid_for": 0}, auth))
	near("no overlap", until, time.Now())
	wantError(t, "replaced secret with overlap 0", appToken(g, cid, secret1, nil), 401, errBadClient)
	wantError(t, "secret replaced two rotations ago", appToken(g, cid, secret0, nil), 401, errBadClient)
	wantToken(t, g, "newest secret", cid, secret2, nil)
	secret3, until := untilOf("new secret, one hour", g.call("POST", one+"/secret", map[string]any{"previous_valid_for": 3600}, auth))
	near("one hour overlap", until, time.Now().Add(time.Hour))
	wantToken(t, g, "secret in a one-hour overlap", cid, secret2, nil)
	wantToken(t, g, "newest secret after the third rotation", cid, secret3, nil)
	// A secret never shows in get, and a new one does not change updated_at.
	r = g.call("GET", one, nil, auth)
	if strings.Contains(string(r.body), `"client_secret":`) || strings.Contains(string(r.body), secret3) {
		t.Errorf("get shows the secret: %s", r.body)
	}

	// Delete: 204, then APP.0001; its client gets no token and its tokens stop.
	r = g.call("DELETE", one, nil, auth)
	if r.status != 204 || len(r.body) != 0 {
		t.Errorf("delete: %d %q", r.status, r.body)
	}
	wantError(t, "get deleted", g.call("GET", one, nil, auth), 400, errAppUnknown)
	wantError(t, "delete again", g.call("DELETE", one, nil, auth), 400, errAppUnknown)
	wantError(t, "deleted app's client at the token endpoint", appToken(g, cid, secret3, nil), 401, errBadClient)
	wantError(t, "deleted app's token", g.call("GET", "/api/v2/tenant/users?offset=0&limit=10", nil, appAuth), 401, errInvalidToken)
	if r = g.call("GET", appsPath+"?offset=0&limit=100", nil, auth); r.json(t)["total"] != float64(11) {
		t.Errorf("total after delete: %s", r.body)
	}
	// The name is free again; the new application has a new client.
	r = g.call("POST", appsPath, map[string]any{"name": "Payroll", "protocol": "saml", "saml": samlFor("Payroll")}, auth)
	if again := r.json(t); r.status != 201 || again["application_id"] == id || again["client_id"] == cid {
		t.Errorf("register the deleted name again: %d %s", r.status, r.body)
	}
}

// testAppPublicClient: a public client has no secret, always requires PKCE,
// and turning a client public discards its secret.
func testAppPublicClient(t *testing.T, g *gh, auth map[string]string) {
	r := g.call("POST", appsPath, map[string]any{"name": "Expenses SPA", "protocol": "oidc", "oidc": map[string]any{
		"redirect_uris": []string{"https://expenses.example.com/callback"}, "token_endpoint_auth_method": "none", "require_pkce": false}}, auth)
	spaOIDC := patched(oidcDefaults("oidc"), map[string]any{"redirect_uris": []any{"https://expenses.example.com/callback"},
		"token_endpoint_auth_method": "none", "require_pkce": true})
	spa := registered(t, "register public client", r, false, map[string]any{
		"name": "Expenses SPA", "description": "", "logo_url": "", "home_url": "", "protocol": "oidc", "status": "enabled",
		"oidc": spaOIDC, "api_permissions": []any{},
	})
	one := appsPath + "/" + spa["application_id"].(string)
	wantError(t, "new secret of a public client", g.call("POST", one+"/secret", nil, auth), 400,
		`{"error_code":"APP.0022","error_msg":"This client has no secret: it is public (token_endpoint_auth_method none) or signs its requests with its keys (private_key_jwt)."}`)
	wantError(t, "public client at the token endpoint", appToken(g, spa["client_id"].(string), "", nil), 401, errBadClient)
	r = g.call("PUT", one, map[string]any{"oidc": map[string]any{"require_pkce": false}}, auth)
	if r.status != 200 || r.json(t)["oidc"].(map[string]any)["require_pkce"] != true {
		t.Errorf("require_pkce false on a public client: %d %s", r.status, r.body)
	}

	// Confidential to public discards the secret; back to confidential, the
	// client has none until a new one is issued.
	r = g.call("POST", appsPath, map[string]any{"name": "Portal", "protocol": "oidc",
		"oidc": map[string]any{"redirect_uris": []string{"https://portal.example.com/cb"}}, "api_permissions": []string{"user_read"}}, auth)
	portal := r.json(t)
	if r.status != 201 {
		t.Fatalf("register Portal: %d %s", r.status, r.body)
	}
	pid, pcid, psec := portal["application_id"].(string), portal["client_id"].(string), portal["client_secret"].(string)
	wantToken(t, g, "confidential Portal", pcid, psec, nil)
	r = g.call("PUT", appsPath+"/"+pid, map[string]any{"oidc": map[string]any{"token_endpoint_auth_method": "none"}}, auth)
	if o, _ := r.json(t)["oidc"].(map[string]any); r.status != 200 || o["require_pkce"] != true || strings.Contains(string(r.body), `"client_secret":`) {
		t.Errorf("make Portal public: %d %s", r.status, r.body)
	}
	wantError(t, "secret of a client made public", appToken(g, pcid, psec, nil), 401, errBadClient)
	if r := g.call("PUT", appsPath+"/"+pid, map[string]any{"oidc": map[string]any{"token_endpoint_auth_method": "client_secret_basic"}}, auth); r.status != 200 {
		t.Fatalf("make Portal confidential: %d %s", r.status, r.body)
	}
	wantError(t, "old secret after public and back", appToken(g, pcid, psec, nil), 401, errBadClient)
	r = g.call("POST", appsPath+"/"+pid+"/secret", nil, auth)
	sec, _ := r.json(t)["client_secret"].(string)
	if r.status != 201 || !secretShape.MatchString(sec) {
		t.Fatalf("new secret for Portal: %d %s", r.status, r.body)
	}
	wantToken(t, g, "Portal's new secret", pcid, sec, nil)
	wantError(t, "Portal's discarded secret stays refused", appToken(g, pcid, psec, nil), 401, errBadClient)
}

func testAppErrors(t *testing.T, g *gh, auth map[string]string) {
	r := g.call("POST", appsPath, map[string]any{"name": "Taken", "protocol": "oidc", "oidc": map[string]any{"redirect_uris": []string{"https://taken.example.com/cb"}}}, auth)
	if r.status != 201 {
		t.Fatalf("register Taken: %d %s", r.status, r.body)
	}
	oidcID := r.json(t)["application_id"].(string)
	r = g.call("POST", appsPath, map[string]any{"name": "Taken SAML", "protocol": "saml", "saml": samlFor("Taken SAML")}, auth)
	if r.status != 201 {
		t.Fatalf("register Taken SAML: %d %s", r.status, r.body)
	}
	samlID := r.json(t)["application_id"].(string)

	total := func() any { return g.call("GET", appsPath+"?offset=0&limit=10", nil, auth).json(t)["total"] }
	before := total()

	cb := []string{"https://ok.example.com/cb"}
	withOIDC := func(oidc map[string]any) map[string]any {
		return map[string]any{"name": "Bad", "protocol": "oidc", "oidc": oidc}
	}
	cases := []struct {
		what string
		body any
		want string
	}{
		{"no name", map[string]any{"protocol": "oidc"},
			`{"error_code":"APP.0004","error_msg":"The name is required."}`},
		{"blank name", map[string]any{"name": "   ", "protocol": "saml"},
			`{"error_code":"APP.0004","error_msg":"The name is required."}`},
		{"long name", map[string]any{"name": strings.Repeat("n", 65), "protocol": "saml"},
			`{"error_code":"APP.0005","error_msg":"The name must be 1-64 characters, without control characters."}`},
		{"control character in name", map[string]any{"name": "a\x01b", "protocol": "saml"},
			`{"error_code":"APP.0005","error_msg":"The name must be 1-64 characters, without control characters."}`},
		{"duplicate name", map[string]any{"name": "Taken", "protocol": "saml", "saml": samlFor("Taken")},
			`{"error_code":"APP.0006","error_msg":"An application with this name already exists."}`},
		{"duplicate name after trimming", map[string]any{"name": " Taken ", "protocol": "cas", "cas": map[string]any{"service_patterns": []string{"https://t.example.com/"}}},
			`{"error_code":"APP.0006","error_msg":"An application with this name already exists."}`},
		{"no protocol", map[string]any{"name": "Bad"},
			`{"error_code":"APP.0007","error_msg":"The protocol must be oidc, oauth2, saml, cas or form_fill."}`},
		{"unknown protocol", map[string]any{"name": "Bad", "protocol": "ldap"},
			`{"error_code":"APP.0007","error_msg":"The protocol must be oidc, oauth2, saml, cas or form_fill."}`},
		{"home_url not http", map[string]any{"name": "Bad", "protocol": "saml", "home_url": "ftp://x.example.com"},
			`{"error_code":"APP.0009","error_msg":"The home_url must be an absolute http(s) URL of at most 2048 characters."}`},
		{"long description", map[string]any{"name": "Bad", "protocol": "saml", "description": strings.Repeat("d", 1025)},
			`{"error_code":"APP.0009","error_msg":"The description must be at most 1024 characters."}`},
		{"oidc on a saml app", map[string]any{"name": "Bad", "protocol": "saml", "oidc": map[string]any{}},
			`{"error_code":"APP.0010","error_msg":"The oidc settings apply only to oidc and oauth2 applications."}`},
		{"authorization_code without redirect URI", map[string]any{"name": "Bad", "protocol": "oauth2"},
			`{"error_code":"APP.0011","error_msg":"The oidc.redirect_uris must hold at least one URI for the authorization_code or implicit grant."}`},
		{"redirect URI with a fragment", withOIDC(map[string]any{"redirect_uris": []string{"https://ok.example.com/cb#top"}}),
			`{"error_code":"APP.0011","error_msg":"The oidc.redirect_uris entry \"https://ok.example.com/cb#top\" must not have a fragment."}`},
		{"redirect URI javascript:", withOIDC(map[string]any{"redirect_uris": []string{"javascript:alert(1)"}}),
			`{"error_code":"APP.0011","error_msg":"The oidc.redirect_uris entry \"javascript:alert(1)\" has a forbidden scheme."}`},
		{"relative redirect URI", withOIDC(map[string]any{"redirect_uris": []string{"/cb"}}),
			`{"error_code":"APP.0011","error_msg":"The oidc.redirect_uris entry \"/cb\" is not an absolute URI."}`},
		{"post-logout URI data:", withOIDC(map[string]any{"redirect_uris": cb, "post_logout_redirect_uris": []string{"data:text/html,x"}}),
			`{"error_code":"APP.0011","error_msg":"The oidc.post_logout_redirect_uris entry \"data:text/html,x\" has a forbidden scheme."}`},
		{"unknown matching", withOIDC(map[string]any{"redirect_uris": cb, "redirect_uri_matching": "prefix"}),
			`{"error_code":"APP.0012","error_msg":"The oidc.redirect_uri_matching must be exact or domain."}`},
		{"unknown grant", withOIDC(map[string]any{"redirect_uris": cb, "grant_types": []string{"password"}}),
			`{"error_code":"APP.0013","error_msg":"The oidc.grant_types may hold only authorization_code, refresh_token, client_credentials, implicit."}`},
		{"no grant", withOIDC(map[string]any{"redirect_uris": cb, "grant_types": []string{}}),
			`{"error_code":"APP.0013","error_msg":"The oidc.grant_types must name at least one grant type."}`},
		{"public client with client_credentials", withOIDC(map[string]any{"grant_types": []string{"client_credentials"}, "token_endpoint_auth_method": "none"}),
			`{"error_code":"APP.0013","error_msg":"A public client (token_endpoint_auth_method none) cannot use client_credentials."}`},
		{"unknown scope", withOIDC(map[string]any{"redirect_uris": cb, "scopes": []string{"openid", "admin"}}),
			`{"error_code":"APP.0014","error_msg":"The oidc.scopes may hold only openid, profile, email, phone, address, offline_access, get_user_info."}`},
		{"unknown auth method", withOIDC(map[string]any{"redirect_uris": cb, "token_endpoint_auth_method": "tls_client_auth"}),
			`{"error_code":"APP.0015","error_msg":"The oidc.token_endpoint_auth_method must be one of client_secret_post, client_secret_basic, private_key_jwt, none."}`},
		{"private_key_jwt without keys", withOIDC(map[string]any{"redirect_uris": cb, "token_endpoint_auth_method": "private_key_jwt"}),
			`{"error_code":"APP.0016","error_msg":"private_key_jwt needs oidc.jwks or oidc.jwks_uri."}`},
		{"empty key set", withOIDC(map[string]any{"redirect_uris": cb, "jwks": map[string]any{"keys": []any{}}}),
			`{"error_code":"APP.0016","error_msg":"The oidc.jwks must be a JSON Web Key Set with at least one key."}`},
		{"access token lifetime too short", withOIDC(map[string]any{"redirect_uris": cb, "access_token_lifetime": 59}),
			`{"error_code":"APP.0017","error_msg":"The oidc.access_token_lifetime must be 60 to 86400 seconds."}`},
		{"refresh token lifetime negative", withOIDC(map[string]any{"redirect_uris": cb, "refresh_token_lifetime": -1}),
			`{"error_code":"APP.0017","error_msg":"The oidc.refresh_token_lifetime must be 0 to 31536000 seconds."}`},
		{"refresh token lifetime too long", withOIDC(map[string]any{"redirect_uris": cb, "refresh_token_lifetime": 31536001}),
			`{"error_code":"APP.0017","error_msg":"The oidc.refresh_token_lifetime must be 0 to 31536000 seconds."}`},
		{"id token lifetime too long", withOIDC(map[string]any{"redirect_uris": cb, "id_token_lifetime": 86401}),
			`{"error_code":"APP.0017","error_msg":"The oidc.id_token_lifetime must be 60 to 86400 seconds."}`},
		{"unknown token format", withOIDC(map[string]any{"redirect_uris": cb, "access_token_format": "jws"}),
			`{"error_code":"APP.0018","error_msg":"The oidc.access_token_format must be opaque or jwt."}`},
		{"unknown signing alg", withOIDC(map[string]any{"redirect_uris": cb, "id_token_signed_response_alg": "HS256"}),
			`{"error_code":"APP.0019","error_msg":"The oidc.id_token_signed_response_alg must be RS256 or ES256."}`},
		{"unknown api permission", map[string]any{"name": "Bad", "protocol": "saml", "api_permissions": []string{"user_read", "root"}},
			`{"error_code":"APP.0020","error_msg":"The api_permissions may hold only all, user_all, user_read, org_all, app_org_all."}`},
		{"oidc field of the wrong type", withOIDC(map[string]any{"redirect_uris": "https://ok.example.com/cb"}),
			`{"error_code":"COMMON.0002","error_msg":"The oidc must be an object."}`},
		{"name of the wrong type", map[string]any{"name": []string{"x"}, "protocol": "saml"},
			`{"error_code":"COMMON.0002","error_msg":"The name must be a string."}`},
		{"array body", "[1]",
			`{"error_code":"COMMON.0002","error_msg":"The request body must be a JSON object."}`},
		{"empty body", "",
			`{"error_code":"COMMON.0002","error_msg":"The request body must be a JSON object."}`},
	}
	for _, c := range cases {
		wantError(t, "register: "+c.what, g.call("POST", appsPath, c.body, auth), 400, c.want)
	}
	wantError(t, "register: form body", g.call("POST", appsPath, "name=x", with(auth, "Content-Type", "application/x-www-form-urlencoded")), 400,
		`{"error_code":"COMMON.0003","error_msg":"The Content-Type must be application/json."}`)
	if after := total(); after != before {
		t.Errorf("refused registrations left applications behind: total %v, was %v", after, before)
	}

	// Modify errors.
	wantError(t, "protocol change", g.call("PUT", appsPath+"/"+oidcID, map[string]any{"protocol": "oauth2"}, auth), 400,
		`{"error_code":"APP.0008","error_msg":"The protocol cannot be changed after the application is registered."}`)
	wantError(t, "oidc on a saml app by modify", g.call("PUT", appsPath+"/"+samlID, map[string]any{"oidc": map[string]any{"require_pkce": true}}, auth), 400,
		`{"error_code":"APP.0010","error_msg":"The oidc settings apply only to oidc and oauth2 applications."}`)
	wantError(t, "rename to a taken name", g.call("PUT", appsPath+"/"+samlID, map[string]any{"name": "Taken"}, auth), 400,
		`{"error_code":"APP.0006","error_msg":"An application with this name already exists."}`)
	wantError(t, "clear the name", g.call("PUT", appsPath+"/"+samlID, map[string]any{"name": ""}, auth), 400,
		`{"error_code":"APP.0004","error_msg":"The name is required."}`)
	wantError(t, "remove the last redirect URI", g.call("PUT", appsPath+"/"+oidcID, map[string]any{"oidc": map[string]any{"redirect_uris": []string{}}}, auth), 400,
		`{"error_code":"APP.0011","error_msg":"The oidc.redirect_uris must hold at least one URI for the authorization_code or implicit grant."}`)
	wantError(t, "modify without a body", g.call("PUT", appsPath+"/"+oidcID, "", auth), 400,
		`{"error_code":"COMMON.0002","error_msg":"The request body must be a JSON object."}`)

	// An unknown id, on every call that takes one.
	const ghost = appsPath + "/20200101000000000-0000-000000000"
	wantError(t, "get unknown", g.call("GET", ghost, nil, auth), 400, errAppUnknown)
	wantError(t, "modify unknown", g.call("PUT", ghost, map[string]any{"description": "x"}, auth), 400, errAppUnknown)
	wantError(t, "enable unknown", g.call("PUT", ghost+"/enable", nil, auth), 400, errAppUnknown)
	wantError(t, "disable unknown", g.call("PUT", ghost+"/disable", nil, auth), 400, errAppUnknown)
	wantError(t, "delete unknown", g.call("DELETE", ghost, nil, auth), 400, errAppUnknown)
	wantError(t, "new secret of unknown", g.call("POST", ghost+"/secret", nil, auth), 400, errAppUnknown)

	// Without a token; a client without "all".
	wantError(t, "no token", g.call("GET", appsPath, nil, nil), 401,
		`{"error":"unauthorized","error_description":"Full authentication is required to access this resource"}`)
	wantError(t, "bad token", g.call("GET", appsPath, nil, bearer("5f0c2a8e-9b7d-4c1e-a3f2-6d8b1e4c7a90")), 401, errInvalidToken)

	for _, id := range []string{oidcID, samlID} {
		if r := g.call("DELETE", appsPath+"/"+id, nil, auth); r.status != 204 {
			t.Errorf("clean up %s: %d %s", id, r.status, r.body)
		}
	}
}

// testAppTenants: an application of one tenant is APP.0001 from another,
// names are unique per tenant only, and clients work only in their tenant.
func testAppTenants(t *testing.T, g *gh, auth map[string]string) {
	r := g.call("POST", "/api/v2/system/tenants", map[string]string{"name": "Apps Inc", "domain": "apps.example.test"}, auth)
	if r.status != 201 {
		t.Fatalf("create tenant: %d %s", r.status, r.body)
	}
	var ten struct{ TenantID, APIClientID, APIClientSecret string }
	decodeSnake(t, r.body, &ten)
	host := map[string]string{"Host": "apps.example.test"}
	authA := with(bearer(g.token(ten.APIClientID, ten.APIClientSecret, host)), "Host", "apps.example.test")

	newApp := func(auth map[string]string, name string) map[string]any {
		t.Helper()
		r := g.call("POST", appsPath, map[string]any{"name": name, "protocol": "oauth2",
			"oidc": map[string]any{"grant_types": []string{"client_credentials"}}, "api_permissions": []string{"user_read"}}, auth)
		if r.status != 201 {
			t.Fatalf("register %s: %d %s", name, r.status, r.body)
		}
		return r.json(t)
	}
	// The same name in both tenants.
	appA, appD := newApp(authA, "Shared name"), newApp(auth, "Shared name")
	idA, idD := appA["application_id"].(string), appD["application_id"].(string)
	for _, c := range []struct {
		who  string
		auth map[string]string
		id   string
	}{{"tenant A", authA, idD}, {"default tenant", auth, idA}} {
		other := appsPath + "/" + c.id
		wantError(t, c.who+" gets the other's app", g.call("GET", other, nil, c.auth), 400, errAppUnknown)
		wantError(t, c.who+" modifies the other's app", g.call("PUT", other, map[string]any{"description": "x"}, c.auth), 400, errAppUnknown)
		wantError(t, c.who+" disables the other's app", g.call("PUT", other+"/disable", nil, c.auth), 400, errAppUnknown)
		wantError(t, c.who+" enables the other's app", g.call("PUT", other+"/enable", nil, c.auth), 400, errAppUnknown)
		wantError(t, c.who+" rotates the other's secret", g.call("POST", other+"/secret", nil, c.auth), 400, errAppUnknown)
		wantError(t, c.who+" deletes the other's app", g.call("DELETE", other, nil, c.auth), 400, errAppUnknown)
	}
	r = g.call("GET", appsPath+"?offset=0&limit=100", nil, authA)
	if l := r.json(t); r.status != 200 || l["total"] != float64(1) || l["applications"].([]any)[0].(map[string]any)["application_id"] != idA {
		t.Errorf("tenant A's list: %d %s", r.status, r.body)
	}
	// Each client gets a token on its own tenant only.
	wantToken(t, g, "A's app client on A", appA["client_id"].(string), appA["client_secret"].(string), host)
	wantError(t, "A's app client on the default tenant", appToken(g, appA["client_id"].(string), appA["client_secret"].(string), nil), 401, errBadClient)
	wantError(t, "default's app client on A", appToken(g, appD["client_id"].(string), appD["client_secret"].(string), host), 401, errBadClient)
	// Both are still there and unchanged after the other tenant's attempts.
	if r := g.call("GET", appsPath+"/"+idA, nil, authA); r.status != 200 || r.json(t)["status"] != "enabled" {
		t.Errorf("A's app after the default tenant's attempts: %d %s", r.status, r.body)
	}
	if r := g.call("GET", appsPath+"/"+idD, nil, auth); r.status != 200 || r.json(t)["description"] != "" {
		t.Errorf("default's app after tenant A's attempts: %d %s", r.status, r.body)
	}
}
