package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

var idShape = regexp.MustCompile(`^\d{17}-[0-9A-F]{4}-[0-9A-F]{9}$`)
var stampShape = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$`)

// TestUserManagement walks every user operation of ONEACCESS-API.md
// section 2 over HTTP, with its documented status codes, bodies and errors.
func TestUserManagement(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			g := start(t, b.dsn(t))
			testUserWalkthrough(t, g)
		})
	}
}

func testUserWalkthrough(t *testing.T, g *gh) {
	auth := bearer(g.token(clientID, clientSecret, nil))

	// 2.1 create: 201 {user_id}.
	r := g.call("POST", "/api/v2/tenant/users", map[string]any{
		"user_name": "lihua", "mobile": "+86-13800001111", "email": "lihua@example.com",
		"password": "Xk9#pq2!vb", "pwd_must_modify": true, "attr_user_type": "regular",
		"attr_birthday": "1990-05-01", "employee_id": "E-1001",
		"extension": map[string]any{"cost_center": "C-17"},
	}, auth)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json;charset=UTF-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	created := r.json(t)
	id, _ := created["user_id"].(string)
	if len(created) != 1 || !idShape.MatchString(id) {
		t.Fatalf("create body = %s, want exactly {user_id} shaped like OneAccess ids", r.body)
	}

	// 2.8 get by id: every UserRead field, nothing more.
	r = g.call("GET", "/api/v2/tenant/users/"+id, nil, auth)
	if r.status != 200 {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
	u := r.json(t)
	wantKeys := []string{"user_id", "org_id", "user_name", "name", "mobile", "email", "pwd_must_modify",
		"pwd_change_at", "created_at", "updated_at", "disabled", "grade", "locked", "extension", "user_org_relation_list"}
	if len(u) != len(wantKeys) {
		t.Errorf("UserRead has %d fields, want %d: %s", len(u), len(wantKeys), r.body)
	}
	for _, k := range wantKeys {
		if _, ok := u[k]; !ok {
			t.Errorf("UserRead lacks %q", k)
		}
	}
	for k, want := range map[string]any{"user_id": id, "user_name": "lihua", "name": "lihua", "mobile": "+86-13800001111",
		"email": "lihua@example.com", "pwd_must_modify": true, "disabled": false, "grade": float64(0), "locked": "false"} {
		if u[k] != want {
			t.Errorf("%s = %#v, want %#v", k, u[k], want)
		}
	}
	if strings.Contains(string(r.body), "password") || strings.Contains(string(r.body), "argon2") || strings.Contains(string(r.body), "attr_") {
		t.Errorf("UserRead leaks a password hash or attr_* fields: %s", r.body)
	}
	for _, k := range []string{"created_at", "updated_at", "pwd_change_at"} {
		if s, _ := u[k].(string); !stampShape.MatchString(s) {
			t.Errorf("%s = %v, want yyyy-MM-dd HH:mm:ss.SSS", k, u[k])
		}
	}
	if c, _ := u["created_at"].(string); strings.NewReplacer("-", "", " ", "", ":", "", ".", "").Replace(c) != id[:17] {
		t.Errorf("id %s does not start with its created_at %s", id, c)
	}
	if ext, _ := u["extension"].(map[string]any); ext["cost_center"] != "C-17" {
		t.Errorf("extension = %v", u["extension"])
	}

	// 2.9 get by user name (case-insensitive).
	r = g.call("POST", "/api/v2/tenant/users/user-by-username", map[string]string{"user_name": "LiHua"}, auth)
	if r.status != 200 || r.json(t)["user_id"] != id {
		t.Fatalf("by name: %d %s", r.status, r.body)
	}

	// 2.2 modify: only what is sent changes.
	r = g.call("PUT", "/api/v2/tenant/users/"+id, map[string]any{"name": "Li Hua", "attr_city": "Xi'an"}, auth)
	wantError(t, "modify", r, 200, `{"user_id":"`+id+`"}`)
	u = g.call("GET", "/api/v2/tenant/users/"+id, nil, auth).json(t)
	if u["name"] != "Li Hua" || u["email"] != "lihua@example.com" || u["mobile"] != "+86-13800001111" {
		t.Errorf("after modify: %v", u)
	}

	// 2.5 / 2.4 disable and enable.
	wantError(t, "disable", g.call("PUT", "/api/v2/tenant/users/"+id+"/disable", nil, auth), 200, `{"user_id":"`+id+`"}`)
	if u = g.call("GET", "/api/v2/tenant/users/"+id, nil, auth).json(t); u["disabled"] != true {
		t.Errorf("disabled = %v after disable", u["disabled"])
	}
	wantError(t, "enable", g.call("PUT", "/api/v2/tenant/users/"+id+"/enable", nil, auth), 200, `{"user_id":"`+id+`"}`)
	if u = g.call("GET", "/api/v2/tenant/users/"+id, nil, auth).json(t); u["disabled"] != false {
		t.Errorf("disabled = %v after enable", u["disabled"])
	}

	// 2.6 admin password change; pwd_must_modify as sent.
	r = g.call("PUT", "/api/v2/tenant/users/"+id+"/change-password", map[string]any{"password": "N3w#Passw0rd", "pwd_must_modify": false}, auth)
	wantError(t, "change-password", r, 200, `{"user_id":"`+id+`"}`)
	if u = g.call("GET", "/api/v2/tenant/users/"+id, nil, auth).json(t); u["pwd_must_modify"] != false {
		t.Errorf("pwd_must_modify = %v after change-password with false", u["pwd_must_modify"])
	}

	// 2.7 verify the original password, then change; a wrong one is USER.0044.
	r = g.call("PUT", "/api/v2/tenant/users/"+id+"/change-password-verify", map[string]string{"old_password": "Xk9#pq2!vb", "password": "An0ther#Pass"}, auth)
	wantError(t, "verify with the old password", r, 400, `{"error_code":"USER.0044","error_msg":"Original password incorrect."}`)
	r = g.call("PUT", "/api/v2/tenant/users/"+id+"/change-password-verify", map[string]string{"old_password": "N3w#Passw0rd", "password": "An0ther#Pass"}, auth)
	wantError(t, "verify with the current password", r, 200, `{"user_id":"`+id+`"}`)
	r = g.call("PUT", "/api/v2/tenant/users/"+id+"/change-password-verify", map[string]string{"old_password": "An0ther#Pass", "password": "weak"}, auth)
	if r.status != 400 || r.json(t)["error_code"] != "USER.0009" || !strings.Contains(string(r.body), "password") {
		t.Errorf("weak new password: %d %s", r.status, r.body)
	}

	// 2.10 list: paging by page index, 10..100 per page.
	for i := range 12 {
		r := g.call("POST", "/api/v2/tenant/users", map[string]any{"user_name": fmt.Sprintf("user%02d", i), "mobile": fmt.Sprintf("1390000%04d", i)}, auth)
		if r.status != 201 {
			t.Fatalf("create user%02d: %d %s", i, r.status, r.body)
		}
	}
	r = g.call("GET", "/api/v2/tenant/users?org_id=&offset=1&limit=10", nil, auth)
	list := r.json(t)
	if r.status != 200 || list["total"] != float64(13) || len(list["users"].([]any)) != 3 {
		t.Fatalf("list page 1: %d %s", r.status, r.body)
	}
	if first := list["users"].([]any)[0].(map[string]any); first["user_name"] != "user09" {
		t.Errorf("page 1 starts at %v, want user09 (creation order)", first["user_name"])
	}
	if r = g.call("GET", "/api/v2/tenant/users?offset=5&limit=10", nil, auth); r.status != 200 || string(r.body) != "{\"total\":13,\"users\":[]}\n" {
		t.Errorf("page past the end: %d %s", r.status, r.body)
	}
	since := time.Now().Add(-time.Hour).In(time.FixedZone("", 8*3600)).Format("2006-01-02 15:04:05")
	if r = g.call("GET", "/api/v2/tenant/users?offset=0&limit=100&updated_at_greater="+strings.ReplaceAll(since, " ", "%20"), nil, auth); r.json(t)["total"] != float64(13) {
		t.Errorf("updated_at_greater an hour ago: %s", r.body)
	}

	// Documented errors.
	// Duplicate user name (any case), mobile, e-mail, employee id.
	dups := []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"user_name": "LIHUA", "mobile": "13800009999"}, `{"error_code":"USER.0004","error_msg":"The user_name already exists."}`},
		{map[string]any{"user_name": "other", "mobile": "+86 1380000 1111"}, `{"error_code":"USER.0006","error_msg":"The mobile number already exists."}`},
		{map[string]any{"user_name": "other", "mobile": "13800009999", "email": "LIHUA@example.com"}, `{"error_code":"USER.0008","error_msg":"The email already exists."}`},
		{map[string]any{"user_name": "other", "mobile": "13800009999", "employee_id": "E-1001"}, `{"error_code":"USER.0033","error_msg":"Employee ID already exists."}`},
	}
	for _, d := range dups {
		wantError(t, fmt.Sprint("duplicate ", d.body), g.call("POST", "/api/v2/tenant/users", d.body, auth), 400, d.want)
	}
	// Invalid field values: each names its field.
	invalid := []struct {
		body  any
		code  string
		field string
	}{
		{map[string]any{"mobile": "13800009999"}, "USER.0002", "user_name"},
		{map[string]any{"user_name": "has space", "mobile": "13800009999"}, "USER.0003", "user_name"},
		{map[string]any{"user_name": "nomobile"}, "USER.0005", "mobile"},
		{map[string]any{"user_name": "badmobile", "mobile": "call me"}, "USER.0038", "mobile"},
		{map[string]any{"user_name": "bademail", "mobile": "13800009999", "email": "not-an-email"}, "USER.0007", "email"},
		{map[string]any{"user_name": "weakpw", "mobile": "13800009999", "password": "password"}, "USER.0009", "password"},
		{map[string]any{"user_name": "baddate", "mobile": "13800009999", "attr_birthday": "1990-13-01"}, "USER.0014", "attr_birthday"},
		{map[string]any{"user_name": "badtype", "mobile": "13800009999", "attr_user_type": "boss"}, "USER.0015", "attr_user_type"},
		{map[string]any{"user_name": "badgender", "mobile": "13800009999", "attr_gender": "x"}, "USER.0013", "attr_gender"},
		{map[string]any{"user_name": "badorg", "mobile": "13800009999", "org_code": "NOPE"}, "ORG.0001", ""},
		{map[string]any{"user_name": "badmgr", "mobile": "13800009999", "attr_manager_id": "nope"}, "USER.0017", "attr_manager_id"},
		{map[string]any{"user_name": "badext", "mobile": "13800009999", "extension": map[string]any{"x": map[string]any{}}}, "USER.0019", "extension"},
		{map[string]any{"user_name": 12, "mobile": "13800009999", "pwd_must_modify": "maybe"}, "COMMON.0002", "pwd_must_modify"},
		{map[string]any{"user_name": "longname", "mobile": "13800009999", "name": strings.Repeat("x", 101)}, "USER.0010", "name"},
		{"[1,2]", "COMMON.0002", ""},
		{"{\"user_name\":", "COMMON.0002", ""},
	}
	for _, c := range invalid {
		r := g.call("POST", "/api/v2/tenant/users", c.body, auth)
		m := r.json(t)
		if r.status != 400 || m["error_code"] != c.code || !strings.Contains(fmt.Sprint(m["error_msg"]), c.field) {
			t.Errorf("create %v: %d %s; want 400 %s naming %q", c.body, r.status, r.body, c.code, c.field)
		}
	}
	wantError(t, "password in modify", g.call("PUT", "/api/v2/tenant/users/"+id, map[string]any{"password": "Xk9#pq2!vb"}, auth),
		400, `{"error_code":"USER.0020","error_msg":"The password cannot be changed by modify; use change-password."}`)
	wantError(t, "paging limit", g.call("GET", "/api/v2/tenant/users?offset=0&limit=5", nil, auth),
		400, `{"error_code":"COMMON.0001","error_msg":"The limit must be a page size from 10 to 100."}`)
	r = g.call("POST", "/api/v2/tenant/users", "user_name=x", with(auth, "Content-Type", "application/x-www-form-urlencoded"))
	wantError(t, "form body", r, 400, `{"error_code":"COMMON.0003","error_msg":"The Content-Type must be application/json."}`)

	// Unknown user, by every path that takes an id or a name.
	unknown := `{"error_code":"USER.0001","error_msg":"User does not exist."}`
	const ghost = "20200101000000000-0000-000000000"
	wantError(t, "get unknown", g.call("GET", "/api/v2/tenant/users/"+ghost, nil, auth), 400, unknown)
	wantError(t, "modify unknown", g.call("PUT", "/api/v2/tenant/users/"+ghost, map[string]any{"name": "x"}, auth), 400, unknown)
	wantError(t, "delete unknown", g.call("DELETE", "/api/v2/tenant/users/"+ghost, nil, auth), 400, unknown)
	wantError(t, "enable unknown", g.call("PUT", "/api/v2/tenant/users/"+ghost+"/enable", nil, auth), 400, unknown)
	wantError(t, "disable unknown", g.call("PUT", "/api/v2/tenant/users/"+ghost+"/disable", nil, auth), 400, unknown)
	wantError(t, "password of unknown", g.call("PUT", "/api/v2/tenant/users/"+ghost+"/change-password", map[string]string{"password": "N3w#Passw0rd"}, auth), 400, unknown)
	wantError(t, "by unknown name", g.call("POST", "/api/v2/tenant/users/user-by-username", map[string]string{"user_name": "ghost"}, auth), 400, unknown)

	// Missing and invalid tokens (expired: TestExpiredToken).
	wantError(t, "no token", g.call("GET", "/api/v2/tenant/users/"+id, nil, nil), 401,
		`{"error":"unauthorized","error_description":"Full authentication is required to access this resource"}`)
	wantError(t, "invalid token", g.call("GET", "/api/v2/tenant/users/"+id, nil, bearer("5f0c2a8e-9b7d-4c1e-a3f2-6d8b1e4c7a90")), 401,
		`{"error":"invalid_token","error_description":"Invalid access token."}`)
	wantError(t, "not bearer", g.call("GET", "/api/v2/tenant/users/"+id, nil, map[string]string{"Authorization": "Basic eDp5"}), 401,
		`{"error":"invalid_token","error_description":"Invalid access token."}`)

	// 2.3 delete: 204, and the user is gone.
	r = g.call("DELETE", "/api/v2/tenant/users/"+id, nil, auth)
	if r.status != 204 || len(r.body) != 0 {
		t.Errorf("delete: %d %q", r.status, r.body)
	}
	wantError(t, "get deleted", g.call("GET", "/api/v2/tenant/users/"+id, nil, auth), 400, unknown)
}

// TestTokenEndpoint checks the management token contract (ONEACCESS-API.md 1.1).
func TestTokenEndpoint(t *testing.T) {
	g := start(t, "sqlite:"+t.TempDir()+"/gh.db")
	form := "application/x-www-form-urlencoded"
	post := func(body string, hdr map[string]string) resp {
		return g.call("POST", "/api/v2/tenant/token", body, with(hdr, "Content-Type", form))
	}
	r := post("grant_type=client_credentials&client_id="+clientID+"&client_secret="+clientSecret, nil)
	m := r.json(t)
	if r.status != 200 || m["token_type"] != "Bearer" || m["expires_in"] != float64(1800) || m["scope"] != "all" || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("token: %d %v %s", r.status, r.header, r.body)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(m["access_token"].(string)) {
		t.Errorf("access_token %v is not UUID-shaped", m["access_token"])
	}
	if parts := strings.Split(fmt.Sprint(m["id_token"]), "."); len(parts) != 3 {
		t.Errorf("id_token %v is not a JWT", m["id_token"])
	}
	// Asking again returns the same live token (OneAccess reuses it).
	again := post("grant_type=client_credentials&client_id="+clientID+"&client_secret="+clientSecret, nil).json(t)
	if again["access_token"] != m["access_token"] {
		t.Errorf("second request issued a new token; want the live one reused")
	}
	// HTTP Basic, and parameters in the query string, work too.
	basic := g.call("POST", "/api/v2/tenant/token?grant_type=client_credentials", "", map[string]string{
		"Authorization": "Basic " + b64(clientID+":"+clientSecret), "Content-Type": form})
	if basic.status != 200 {
		t.Errorf("basic auth: %d %s", basic.status, basic.body)
	}
	wantError(t, "wrong secret", post("grant_type=client_credentials&client_id="+clientID+"&client_secret=nope", nil), 401,
		`{"error":"invalid_client","error_description":"Bad client credentials"}`)
	wantError(t, "unknown client", post("grant_type=client_credentials&client_id=nobody&client_secret=x", nil), 401,
		`{"error":"invalid_client","error_description":"Bad client credentials"}`)
	wantError(t, "no grant", post("client_id="+clientID, nil), 400, `{"error":"invalid_request","error_description":"Missing grant type"}`)
	wantError(t, "oversized form", post("grant_type=client_credentials&x="+strings.Repeat("y", 2<<20), nil), 400,
		`{"error":"invalid_request","error_description":"The request body is too large."}`)
	wantError(t, "unknown X-tenant-id", post("grant_type=client_credentials", map[string]string{"X-tenant-id": "nope"}), 400,
		`{"error":"invalid_request","error_description":"Tenant does not exist."}`)
	multipart := "--B\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nclient_credentials\r\n--B\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\n" + clientID +
		"\r\n--B\r\nContent-Disposition: form-data; name=\"client_secret\"\r\n\r\n" + clientSecret + "\r\n--B--\r\n"
	if r := g.call("POST", "/api/v2/tenant/token", multipart, map[string]string{"Content-Type": "multipart/form-data; boundary=B"}); r.status != 200 {
		t.Errorf("multipart form: %d %s", r.status, r.body)
	}
	wantError(t, "password grant", post("grant_type=password&client_id="+clientID, nil), 400,
		`{"error":"unsupported_grant_type","error_description":"Unsupported grant type: password"}`)
}

// TestExpiredToken runs a server whose tokens live one second.
func TestExpiredToken(t *testing.T) {
	g := start(t, "sqlite:"+t.TempDir()+"/gh.db", "--mgmt-token-lifetime", "1s")
	tok := g.token(clientID, clientSecret, nil)
	if r := g.call("GET", "/api/v2/tenant/users?offset=0&limit=10", nil, bearer(tok)); r.status != 200 {
		t.Fatalf("fresh token: %d %s", r.status, r.body)
	}
	time.Sleep(1100 * time.Millisecond) // the binary's clock cannot be moved from here
	wantError(t, "expired token", g.call("GET", "/api/v2/tenant/users?offset=0&limit=10", nil, bearer(tok)), 401,
		`{"error":"invalid_token","error_description":"Invalid access token."}`)
}
