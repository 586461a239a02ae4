package e2e

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestUserSessionsAPI: an administrator lists a user's live SSO sessions
// (no cookie in the answer) and signs the user out everywhere: the
// browsers must sign in again and the CAS application with back-channel
// logout hears of each session. A user_read client may list, not end.
func TestUserSessionsAPI(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { testUserSessionsAPI(t, b.dsn(t)) })
	}
}

func testUserSessionsAPI(t *testing.T, dsn string) {
	svc, notices := newLogoutReceiver(t)
	g := start(t, dsn, "--mobile-optional")
	admin := bearer(g.token(clientID, clientSecret, nil))
	alice := g.user(admin, map[string]any{"user_name": "alice", "password": alicePassword, "name": "Alice"})
	g.app(admin, map[string]any{"name": "Wiki", "protocol": "cas",
		"cas": map[string]any{"service_patterns": []string{svc.URL + "/*"}, "logout_type": "back_channel"}})
	rid, rsecret, _ := g.app(admin, map[string]any{"name": "Reader", "protocol": "oauth2", "oidc": map[string]any{"grant_types": []string{"client_credentials"}},
		"api_permissions": []string{"user_read"}})
	reader := bearer(wantToken(t, g, "reader", rid, rsecret, nil))
	path := "/api/v2/tenant/users/" + alice + "/sessions"

	login := g.url + "/api/v1/cas/login?service=" + url.QueryEscape(svc.URL+"/home")
	var browsers []*browser
	for range 2 {
		br := newBrowser(t)
		stopAtApp(br, svc)
		p := br.signIn(login, "alice", alicePassword)
		tk := ""
		if p.location != nil {
			tk = p.location.Query().Get("ticket")
		}
		if _, c := casGet(t, g, "/api/v1/cas/p3/serviceValidate", url.Values{"service": {svc.URL + "/home"}, "ticket": {tk}}); c.Success == nil {
			t.Fatalf("sign-in and validation: %d %v %+v", p.status, p.location, c)
		}
		browsers = append(browsers, br)
	}

	var list struct {
		Total    int
		Sessions []map[string]any
	}
	r := g.call("GET", path, nil, reader)
	decodeSnake(t, r.body, &list)
	if r.status != 200 || list.Total != 2 || len(list.Sessions) != 2 || list.Sessions[0]["sid"] == list.Sessions[1]["sid"] {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	for _, s := range list.Sessions {
		for _, k := range []string{"sid", "auth_time", "amr", "acr", "created_at", "last_seen", "expires_at"} {
			if _, ok := s[k]; !ok {
				t.Errorf("a session without %s: %v", k, s)
			}
		}
		if len(s) != 7 || s["acr"] != "1" {
			t.Errorf("session %v", s)
		}
	}
	wantError(t, "a reader ends sessions", g.call("DELETE", path, nil, reader), 403, errDenied)
	wantError(t, "unknown user", g.call("GET", "/api/v2/tenant/users/20200101000000000-0000-000000000/sessions", nil, admin), 400,
		`{"error_code":"USER.0001","error_msg":"User does not exist."}`)

	if r := g.call("DELETE", path, nil, admin); r.status != 204 {
		t.Fatalf("end sessions: %d %s", r.status, r.body)
	}
	// Each session's notice goes to the service its ticket was for.
	for range 2 {
		select {
		case n := <-notices:
			if n.Path != "/home" || !strings.HasPrefix(n.Index, "ST-") {
				t.Errorf("notice %+v", n)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a session's notice did not come")
		}
	}
	for i, br := range browsers {
		if p := br.get(login); p.location != nil || !strings.Contains(p.body, `action="/api/v1/login/form"`) {
			t.Errorf("browser %d after the sign-out: %d %v", i, p.status, p.location)
		}
	}
	r = g.call("GET", path, nil, admin)
	if r.status != 200 || !strings.Contains(string(r.body), `"total":0`) {
		t.Errorf("list after: %d %s", r.status, r.body)
	}
	if r := g.call("DELETE", path, nil, admin); r.status != 204 {
		t.Errorf("end sessions again: %d %s", r.status, r.body)
	}
}
