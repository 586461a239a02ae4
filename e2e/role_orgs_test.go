package e2e

import (
	"net/url"
	"strings"
	"testing"
)

// TestRolesThroughOrganizations gives application roles to application
// organisations: accounts in the organisation, or below it, carry the role
// at sign-in (read here from CAS 3.0 attributes; every protocol shares the
// decision), next to roles given to the account itself.
func TestRolesThroughOrganizations(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { testRolesThroughOrganizations(t, b.dsn(t)) })
	}
}

func testRolesThroughOrganizations(t *testing.T, dsn string) {
	g := start(t, dsn, "--mobile-optional")
	admin := bearer(g.token(clientID, clientSecret, nil))
	alice := g.user(admin, map[string]any{"user_name": "alice", "password": alicePassword})
	_, _, app := g.app(admin, map[string]any{"name": "Ledger", "protocol": "cas",
		"cas":            map[string]any{"service_patterns": []string{"http://" + rpHost + "/ledger"}},
		"claim_mappings": []map[string]any{{"claim": "roles", "source": "account.roles"}}})
	_, _, other := g.app(admin, map[string]any{"name": "Other", "protocol": "cas",
		"cas": map[string]any{"service_patterns": []string{"http://" + rpHost + "/other"}}})
	p := appPath(app)
	//	HQ
	//	└── FIN        (alice's account is here)
	hq := newID(t, "HQ", g.call("POST", p+"/organizations", map[string]any{"org_code": "HQ", "name": "Head office"}, admin), 201, "org_id")
	fin := newID(t, "FIN", g.call("POST", p+"/organizations", map[string]any{"org_code": "FIN", "name": "Finance", "parent_id": hq}, admin), 201, "org_id")
	otherOrg := newID(t, "other org", g.call("POST", appPath(other)+"/organizations", map[string]any{"org_code": "X", "name": "X"}, admin), 201, "org_id")
	acc := authorise(t, g, admin, alice, app, map[string]string{"account_name": "alice.l"})
	if r := g.call("PUT", p+"/accounts/"+acc, map[string]any{"org_code": "FIN"}, admin); r.status != 200 {
		t.Fatalf("put alice's account in FIN: %d %s", r.status, r.body)
	}
	viewer := newID(t, "viewer", g.call("POST", p+"/role", map[string]string{"code": "viewer"}, admin), 200, "role_id")
	poster := newID(t, "poster", g.call("POST", p+"/role", map[string]string{"code": "poster"}, admin), 200, "role_id")
	direct := newID(t, "direct", g.call("POST", p+"/role", map[string]string{"code": "approver"}, admin), 200, "role_id")

	wantError(t, "give viewer to HQ (and the other app's org)", g.call("POST", p+"/role-org",
		map[string]any{"role_id": viewer, "org_ids": []string{hq, otherOrg, hq}}, admin), 200,
		`{"success_list":["`+hq+`"],"fail_list":["`+otherOrg+`","`+hq+`"]}`)
	wantError(t, "give poster to FIN", g.call("POST", p+"/role-org", map[string]any{"role_id": poster, "org_ids": []string{fin}}, admin), 200,
		`{"success_list":["`+fin+`"],"fail_list":[]}`)
	wantError(t, "no org ids", g.call("POST", p+"/role-org", map[string]any{"role_id": poster, "org_ids": []string{}}, admin), 400,
		`{"error_code":"APP_ROLE.0008","error_msg":"The org_ids must list 1 to 50 application organization ids."}`)
	wantError(t, "unknown role", g.call("POST", p+"/role-org", map[string]any{"role_id": ghostID, "org_ids": []string{fin}}, admin), 400, errRoleUnknown)
	wantError(t, "orgs of viewer", g.call("GET", p+"/role-org-list/"+viewer, nil, admin), 200,
		`{"total":1,"offset":0,"limit":10,"organizations":[{"org_id":"`+hq+`","org_code":"HQ","name":"Head office","parent_id":null,"mapped_org_id":null}]}`)
	// A role given directly too.
	wantError(t, "approver to alice's account", g.call("POST", p+"/role-member", map[string]any{"role_id": direct,
		"account_Ids": []string{acc}}, admin), 200, `{"success_list":["`+acc+`"],"fail_list":[]}`)

	roles := func() string {
		t.Helper()
		service := "http://" + rpHost + "/ledger"
		pg := newBrowser(t).signIn(g.url+"/api/v1/cas/login?service="+url.QueryEscape(service), "alice", alicePassword)
		if pg.location == nil {
			t.Fatalf("sign-in: %d %s", pg.status, pg.body)
		}
		_, c := casGet(t, g, "/api/v1/cas/p3/serviceValidate", url.Values{"service": {service}, "ticket": {pg.location.Query().Get("ticket")}})
		if c.Success == nil {
			t.Fatalf("validate: %+v", c)
		}
		return strings.Join(c.attr("roles"), " ")
	}
	if got := roles(); got != "approver poster viewer" {
		t.Errorf("roles through FIN and HQ and directly: %q", got)
	}
	// Taking viewer back from HQ removes it at the next sign-in.
	wantError(t, "take viewer from HQ", g.call("DELETE", p+"/role-org", map[string]any{"role_id": viewer, "org_ids": []string{hq}}, admin), 200,
		`{"success_list":["`+hq+`"],"fail_list":[]}`)
	if got := roles(); got != "approver poster" {
		t.Errorf("roles after taking viewer back: %q", got)
	}
	// Deleting the role takes it from the organisations too.
	g.call("DELETE", p+"/role/"+poster, nil, admin)
	if got := roles(); got != "approver" {
		t.Errorf("roles after deleting poster: %q", got)
	}
}

// TestAppOrgMapping maps application organisations to Gatehouse
// organisations: a user's new account lands in the one mapped to the
// user's home organisation, or to the nearest organisation above it.
func TestAppOrgMapping(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { testAppOrgMapping(t, b.dsn(t)) })
	}
}

func testAppOrgMapping(t *testing.T, dsn string) {
	g := start(t, dsn, "--mobile-optional")
	admin := bearer(g.token(clientID, clientSecret, nil))
	//	Gatehouse: SALES > SALES-EU > SALES-EU-FR     MKT
	sales := newOrg(t, g, admin, map[string]any{"code": "SALES", "name": "Sales"})
	eu := newOrg(t, g, admin, map[string]any{"code": "SALES-EU", "name": "Europe", "parent_id": sales})
	newOrg(t, g, admin, map[string]any{"code": "SALES-EU-FR", "name": "France", "parent_id": eu})
	newOrg(t, g, admin, map[string]any{"code": "MKT", "name": "Marketing"})
	fr := g.user(admin, map[string]any{"user_name": "amelie", "org_code": "SALES-EU-FR"})
	se := g.user(admin, map[string]any{"user_name": "sven", "org_code": "SALES"})
	mk := g.user(admin, map[string]any{"user_name": "mia", "org_code": "MKT"})
	_, _, app := g.app(admin, map[string]any{"name": "CRM", "protocol": "cas", "cas": map[string]any{"service_patterns": []string{"https://crm.example.com/"}}})
	p := appPath(app) + "/organizations"
	c100 := newID(t, "C100", g.call("POST", p, map[string]any{"org_code": "C100", "name": "Sales", "mapped_org_id": sales}, admin), 201, "org_id")
	c110 := newID(t, "C110", g.call("POST", p, map[string]any{"org_code": "C110", "name": "Europe", "parent_id": c100}, admin), 201, "org_id")
	wantError(t, "get C100", g.call("GET", p+"/"+c100, nil, admin), 200,
		`{"org_id":"`+c100+`","org_code":"C100","name":"Sales","parent_id":null,"mapped_org_id":"`+sales+`"}`)
	wantError(t, "map to a ghost", g.call("PUT", p+"/"+c110, map[string]any{"mapped_org_id": ghostID}, admin), 400,
		`{"error_code":"APP.ORG.0041","error_msg":"The mapped_org_id is not an organization of this tenant."}`)
	wantError(t, "map twice", g.call("PUT", p+"/"+c110, map[string]any{"mapped_org_id": sales}, admin), 400,
		`{"error_code":"APP.ORG.0042","error_msg":"Another organization of the application is already mapped to this organization."}`)
	wantError(t, "map C110 to SALES-EU", g.call("PUT", p+"/"+c110, map[string]any{"mapped_org_id": eu}, admin), 200, `{"org_id":"`+c110+`"}`)

	orgOf := func(user string) string {
		t.Helper()
		acc := authorise(t, g, admin, user, app, map[string]string{})
		r := g.call("GET", appPath(app)+"/accounts/"+acc, nil, admin)
		m := r.json(t)
		id, _ := m["org_id"].(string)
		return id
	}
	if got := orgOf(fr); got != c110 { // France: nearest mapped is SALES-EU
		t.Errorf("amelie's account organisation: %q (%s)", got, g.call("GET", appPath(app)+"/accounts", nil, admin).body)
	}
	if got := orgOf(se); got != c100 {
		t.Errorf("sven's account organisation: %q", got)
	}
	if got := orgOf(mk); got != "" {
		t.Errorf("mia's account organisation: %q, want none", got)
	}
	// Deleting a Gatehouse organisation drops the mapping to it.
	r := g.call("DELETE", orgsPath+"/"+eu+"?cascade=true", nil, admin)
	if r.status/100 != 2 {
		t.Fatalf("delete SALES-EU: %d %s", r.status, r.body)
	}
	wantError(t, "C110 after SALES-EU is gone", g.call("GET", p+"/"+c110, nil, admin), 200,
		`{"org_id":"`+c110+`","org_code":"C110","name":"Europe","parent_id":"`+c100+`","mapped_org_id":null}`)
}
