package e2e

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestTenantIsolation: a user of one tenant is invisible from another, with
// the same answer as for an id that never existed, by id, by name and in
// lists; tenants come from the system API and from the CLI.
func TestTenantIsolation(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			g := start(t, b.dsn(t))
			root := bearer(g.token(clientID, clientSecret, nil))

			// Tenant A through the system API.
			r := g.call("POST", "/api/v2/system/tenants", map[string]string{"name": "Acme", "domain": "acme.example.test"}, root)
			if r.status != 201 {
				t.Fatalf("create tenant: %d %s", r.status, r.body)
			}
			var a struct{ TenantID, Domain, APIClientID, APIClientSecret string }
			decodeSnake(t, r.body, &a)
			if len(a.TenantID) != 32 || a.Domain != "acme.example.test" || len(a.APIClientID) != 32 || len(a.APIClientSecret) < 43 {
				t.Fatalf("created tenant = %s", r.body)
			}
			hostA := map[string]string{"Host": "acme.example.test"}

			// Tenant B through the CLI, against the same database while serving.
			out, err := exec.Command(binary, "tenant", "create", "--db", g.db, "--name", "Beta", "--domain", "beta.example.test",
				"--secret-key", "e2e-secret-key-0123456789abcdef-0123456789").Output()
			if err != nil {
				t.Fatalf("gatehouse tenant create: %v", err)
			}
			var bt struct{ TenantID, Domain, APIClientID, APIClientSecret string }
			decodeSnake(t, out, &bt)
			if bytes.Count(out, []byte("\n")) != 1 || bt.Domain != "beta.example.test" || bt.APIClientSecret == "" {
				t.Fatalf("CLI printed %q; want one JSON line", out)
			}
			hostB := map[string]string{"Host": "beta.example.test"}

			tokA := g.token(a.APIClientID, a.APIClientSecret, hostA)
			var tokB string
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				r := g.call("POST", "/api/v2/tenant/token", "grant_type=client_credentials&client_id="+bt.APIClientID+"&client_secret="+bt.APIClientSecret,
					with(hostB, "Content-Type", "application/x-www-form-urlencoded"))
				if r.status == 200 {
					tokB = r.json(t)["access_token"].(string)
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("CLI-created tenant not served: %d %s", r.status, r.body)
				}
			}
			// A tenant's credentials do not work on another tenant.
			if r := g.call("POST", "/api/v2/tenant/token", "grant_type=client_credentials&client_id="+a.APIClientID+"&client_secret="+a.APIClientSecret,
				with(hostB, "Content-Type", "application/x-www-form-urlencoded")); r.status != 401 {
				t.Errorf("tenant A's client got a token on tenant B: %d", r.status)
			}
			authA, authB := with(bearer(tokA), "Host", "acme.example.test"), with(bearer(tokB), "Host", "beta.example.test")
			wantError(t, "A's token on B", g.call("GET", "/api/v2/tenant/users?offset=0&limit=10", nil, with(bearer(tokA), "Host", "beta.example.test")),
				401, `{"error":"invalid_token","error_description":"Invalid access token."}`)
			wantError(t, "A's token on the default tenant", g.call("GET", "/api/v2/tenant/users?offset=0&limit=10", nil, bearer(tokA)),
				401, `{"error":"invalid_token","error_description":"Invalid access token."}`)

			// The same user name exists in both; each sees only its own.
			newUser := func(auth map[string]string) string {
				r := g.call("POST", "/api/v2/tenant/users", map[string]string{"user_name": "zhangsan", "mobile": "13700000000"}, auth)
				if r.status != 201 {
					t.Fatalf("create in tenant: %d %s", r.status, r.body)
				}
				return r.json(t)["user_id"].(string)
			}
			idA, idB := newUser(authA), newUser(authB)
			unknown := `{"error_code":"USER.0001","error_msg":"User does not exist."}`
			wantError(t, "B gets A's user by id", g.call("GET", "/api/v2/tenant/users/"+idA, nil, authB), 400, unknown)
			wantError(t, "B modifies A's user", g.call("PUT", "/api/v2/tenant/users/"+idA, map[string]string{"name": "x"}, authB), 400, unknown)
			wantError(t, "B disables A's user", g.call("PUT", "/api/v2/tenant/users/"+idA+"/disable", nil, authB), 400, unknown)
			wantError(t, "B deletes A's user", g.call("DELETE", "/api/v2/tenant/users/"+idA, nil, authB), 400, unknown)
			wantError(t, "default gets A's user", g.call("GET", "/api/v2/tenant/users/"+idA, nil, root), 400, unknown)
			wantError(t, "default by name", g.call("POST", "/api/v2/tenant/users/user-by-username", map[string]string{"user_name": "zhangsan"}, root), 400, unknown)
			if r := g.call("POST", "/api/v2/tenant/users/user-by-username", map[string]string{"user_name": "zhangsan"}, authB); r.json(t)["user_id"] != idB {
				t.Errorf("B by name found %s, want its own user %s", r.body, idB)
			}
			for name, auth := range map[string]map[string]string{"A": authA, "B": authB} {
				l := g.call("GET", "/api/v2/tenant/users?offset=0&limit=100", nil, auth).json(t)
				if l["total"] != float64(1) {
					t.Errorf("tenant %s lists %v users, want 1", name, l["total"])
				}
			}
			if l := g.call("GET", "/api/v2/tenant/users?offset=0&limit=100", nil, root).json(t); l["total"] != float64(0) {
				t.Errorf("default tenant lists %v users, want 0", l["total"])
			}
			// X-tenant-id selects a tenant too (OneAccess's ISV variant).
			if r := g.call("GET", "/api/v2/tenant/users/"+idA, nil, with(bearer(tokA), "X-tenant-id", a.TenantID)); r.status != 200 {
				t.Errorf("X-tenant-id: %d %s", r.status, r.body)
			}

			// The system API is for the default tenant's super-admin clients only.
			wantError(t, "tenant client on system API", g.call("GET", "/api/v2/system/tenants", nil, authA), 403,
				`{"error":"access_denied","error_description":"Access is denied"}`)
			l := g.call("GET", "/api/v2/system/tenants?offset=0&limit=10", nil, root).json(t)
			if l["total"] != float64(3) {
				t.Errorf("system list: %v", l)
			}
			wantError(t, "delete default", g.call("DELETE", "/api/v2/system/tenants/default", nil, root), 400,
				`{"error_code":"TENANT.0007","error_msg":"The default tenant cannot be deleted."}`)
			wantError(t, "duplicate domain", g.call("POST", "/api/v2/system/tenants", map[string]string{"name": "Again", "domain": "ACME.example.test"}, root), 400,
				`{"error_code":"TENANT.0006","error_msg":"The domain is already used by another tenant."}`)
			if r := g.call("DELETE", "/api/v2/system/tenants/"+a.TenantID, nil, root); r.status != 204 {
				t.Fatalf("delete tenant: %d %s", r.status, r.body)
			}
			wantError(t, "deleted tenant's token", g.call("GET", "/api/v2/tenant/users?offset=0&limit=10", nil, authA), 401,
				`{"error":"invalid_token","error_description":"Invalid access token."}`)
			wantError(t, "get deleted tenant", g.call("GET", "/api/v2/system/tenants/"+a.TenantID, nil, root), 400,
				`{"error_code":"TENANT.0001","error_msg":"Tenant does not exist."}`)

			// tenant list prints one JSON line per tenant.
			out, err = exec.Command(binary, "tenant", "list", "--db", g.db, "--secret-key", "e2e-secret-key-0123456789abcdef-0123456789").Output()
			if err != nil || strings.Count(string(out), "\n") != 2 || !strings.Contains(string(out), "beta.example.test") {
				t.Errorf("tenant list: %v %q", err, out)
			}
		})
	}
}

// decodeSnake decodes a snake_case JSON object into a struct whose field
// names are the camel-case of its keys.
func decodeSnake(t *testing.T, b []byte, dst any) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not JSON: %s", b)
	}
	camel := map[string]any{}
	for k, v := range m {
		parts := strings.Split(k, "_")
		for i := range parts {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
		camel[strings.ReplaceAll(strings.Join(parts, ""), "Id", "ID")] = v
	}
	js, _ := json.Marshal(camel)
	json.Unmarshal(js, dst)
}
