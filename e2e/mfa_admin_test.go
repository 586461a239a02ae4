package e2e

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore"
)

// TestMFAAdminReset: an administrator helps a user who lost an
// authenticator, through the management API on both backends: list the
// user's second factors (never a secret), remove one or all, and the next
// sign-in to an application that requires MFA enrols again. Unknown users,
// other tenants' users and unknown credentials are refused; every removal
// is audited with the API client as the actor.
func TestMFAAdminReset(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { testMFAAdminReset(t, b.dsn(t)) })
	}
}

var stampRE = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$`)

func testMFAAdminReset(t *testing.T, dsn string) {
	g := start(t, dsn, "--mobile-optional")
	admin := bearer(g.token(clientID, clientSecret, nil))
	aliceID := g.user(admin, map[string]any{"user_name": "alice", "password": alicePassword, "name": "Alice"})
	bobID := g.user(admin, map[string]any{"user_name": "bob", "password": alicePassword, "name": "Bob"})
	service := "http://" + rpHost + "/secure/app"
	g.app(admin, map[string]any{"name": "Secure CAS", "protocol": "cas", "login": map[string]any{"mfa": "required"},
		"cas": map[string]any{"service_patterns": []string{"http://" + rpHost + "/secure/*"}}})
	login := g.url + "/api/v1/cas/login?service=" + url.QueryEscape(service)
	credsPath := func(user string) string { return "/api/v2/tenant/users/" + user + "/mfa-credentials" }

	type cred struct {
		ID         string  `json:"id"`
		Type       string  `json:"type"`
		Label      string  `json:"label"`
		Confirmed  bool    `json:"confirmed"`
		CreatedAt  string  `json:"created_at"`
		LastUsedAt *string `json:"last_used_at"`
	}
	list := func(what, user string, secrets ...string) []cred {
		t.Helper()
		r := g.call("GET", credsPath(user), nil, admin)
		var out struct {
			Total       int    `json:"total"`
			Credentials []cred `json:"credentials"`
		}
		if r.status != 200 || json.Unmarshal(r.body, &out) != nil || out.Total != len(out.Credentials) {
			t.Fatalf("%s: list: %d %s", what, r.status, r.body)
		}
		for _, s := range secrets {
			if strings.Contains(string(r.body), s) {
				t.Fatalf("%s: the list shows a secret: %s", what, r.body)
			}
		}
		if strings.Contains(string(r.body), `"secret"`) {
			t.Fatalf("%s: the list has a secret field: %s", what, r.body)
		}
		return out.Credentials
	}

	// No credential yet.
	if got := list("before", aliceID); len(got) != 0 {
		t.Fatalf("before enrolment: %+v", got)
	}
	// alice enrols at her first sign-in; bob starts enrolling and stops.
	br := newBrowser(t)
	p := br.signIn(login, "alice", alicePassword)
	sec := enrolPage(t, p, "alice")
	step := stepNow()
	if p = br.submit(p, "/api/v1/login/mfa", url.Values{"code": {totpAt(t, sec, step)}}); p.location == nil || p.location.Query().Get("ticket") == "" {
		t.Fatalf("alice's enrolment: %d %v\n%s", p.status, p.location, p.body)
	}
	bobSec := enrolPage(t, newBrowser(t).signIn(login, "bob", alicePassword), "bob")

	got := list("after enrolment", aliceID, sec)
	if len(got) != 1 || got[0].Type != "totp" || got[0].Label != "Authenticator app" || !got[0].Confirmed ||
		!stampRE.MatchString(got[0].CreatedAt) || got[0].LastUsedAt == nil || !stampRE.MatchString(*got[0].LastUsedAt) {
		t.Fatalf("alice's credentials: %+v", got)
	}
	aliceCred := got[0].ID
	got = list("enrolment in progress", bobID, bobSec)
	if len(got) != 1 || got[0].Confirmed || got[0].LastUsedAt != nil {
		t.Fatalf("bob's credentials: %+v", got)
	}
	bobCred := got[0].ID

	// Errors: unknown user, unknown credential, another user's credential,
	// another tenant's user (the same answer as an unknown one).
	const noUser = `{"error_code":"USER.0001","error_msg":"User does not exist."}`
	const noCred = `{"error_code":"MFA.0004","error_msg":"The second factor does not exist."}`
	wantError(t, "list of an unknown user", g.call("GET", credsPath("20260101000000000-0000-000000000"), nil, admin), 400, noUser)
	wantError(t, "remove for an unknown user", g.call("DELETE", credsPath("nobody")+"/"+aliceCred, nil, admin), 400, noUser)
	wantError(t, "remove all for an unknown user", g.call("DELETE", credsPath("nobody"), nil, admin), 400, noUser)
	wantError(t, "remove an unknown credential", g.call("DELETE", credsPath(aliceID)+"/20260101000000000-0000-000000000", nil, admin), 400, noCred)
	wantError(t, "remove another user's credential", g.call("DELETE", credsPath(aliceID)+"/"+bobCred, nil, admin), 400, noCred)
	other := orgTenant(t, g, admin, "other.example.test")
	wantError(t, "list from another tenant", g.call("GET", credsPath(aliceID), nil, other), 400, noUser)
	wantError(t, "remove from another tenant", g.call("DELETE", credsPath(aliceID)+"/"+aliceCred, nil, other), 400, noUser)
	wantError(t, "remove all from another tenant", g.call("DELETE", credsPath(aliceID), nil, other), 400, noUser)
	if len(list("after the refusals", aliceID)) != 1 || len(list("after the refusals", bobID)) != 1 {
		t.Fatal("a refused call removed a credential")
	}

	// A sign-in waiting for alice's code when the credential goes: the
	// code is refused and she starts again from the password.
	waiting := newBrowser(t)
	wp := waiting.signIn(login, "alice", alicePassword)
	wantCodePage(t, "before the reset", wp, 200, "")

	// Remove alice's authenticator: the next sign-in enrols again.
	if r := g.call("DELETE", credsPath(aliceID)+"/"+aliceCred, nil, admin); r.status != 204 || len(r.body) != 0 {
		t.Fatalf("remove: %d %s", r.status, r.body)
	}
	wantError(t, "remove again", g.call("DELETE", credsPath(aliceID)+"/"+aliceCred, nil, admin), 400, noCred)
	if len(list("after the reset", aliceID)) != 0 {
		t.Fatal("the credential is still listed")
	}
	if p := waiting.submit(wp, "/api/v1/login/mfa", url.Values{"code": {totpAt(t, sec, step+1)}}); p.status != 401 ||
		!strings.Contains(p.body, pageLogin) || p.location != nil {
		t.Errorf("a code of the removed authenticator: %d %v\n%s", p.status, p.location, p.body)
	}
	br2 := newBrowser(t)
	p = br2.signIn(login, "alice", alicePassword)
	if sec2 := enrolPage(t, p, "alice"); sec2 == sec {
		t.Error("the new enrolment shows the old secret")
	} else if p = br2.submit(p, "/api/v1/login/mfa", url.Values{"code": {totpAt(t, sec2, stepNow())}}); p.location == nil || p.location.Query().Get("ticket") == "" {
		t.Fatalf("alice's new enrolment: %d %v\n%s", p.status, p.location, p.body)
	}
	// The session made before the reset still serves (it was made with a
	// second factor); the reset is about the next sign-in.
	if p := br.get(login); p.location == nil || p.location.Query().Get("ticket") == "" {
		t.Errorf("the earlier session after the reset: %d %v", p.status, p.location)
	}

	// Remove all: bob's enrolment in progress too; again is not an error.
	for i := 0; i < 2; i++ {
		if r := g.call("DELETE", credsPath(bobID), nil, admin); r.status != 204 || len(r.body) != 0 {
			t.Fatalf("remove all (%d): %d %s", i, r.status, r.body)
		}
	}
	if len(list("after remove all", bobID)) != 0 {
		t.Fatal("bob still has a credential")
	}

	// The audit trail: each removal by the API client, with the credential
	// id, and the refusals with their codes.
	store, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	events, err := store.Audit().List(context.Background(), storage.DefaultTenantID, storage.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range events {
		if e.Action == "mfa.remove" {
			if e.ActorType != "api_client" || e.ActorID != clientID {
				t.Errorf("removal event with actor %s %s", e.ActorType, e.ActorID)
			}
			count[e.TargetID+" "+e.Result+" "+e.Detail]++
		}
	}
	want := map[string]int{
		aliceID + " success " + aliceCred: 1, bobID + " success " + bobCred: 1,
		aliceID + " failure MFA.0004": 3, "nobody failure USER.0001": 2,
	}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("audit %q: %d events, want %d (all: %v)", k, count[k], n, count)
		}
	}
	(&oidcEnv{g: g}).noInternalErrors(t)
}
