package e2e

import (
	"net/url"
	"strings"
	"testing"
)

// TestAccessByOrganization: an application open to organisations lets in
// their members and the members of organisations below them (home or
// secondary), plus users with an enabled account; it refuses the rest.
// Sign-ins go through CAS, the shortest protocol to drive by hand; the
// decision is the one every protocol shares. Also: account_name_rule.
func TestAccessByOrganization(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { testAccessByOrganization(t, b.dsn(t)) })
	}
}

func testAccessByOrganization(t *testing.T, dsn string) {
	g := start(t, dsn, "--mobile-optional")
	admin := bearer(g.token(clientID, clientSecret, nil))
	//	SALES           MKT
	//	└── SALES-EU
	sales := newOrg(t, g, admin, map[string]any{"code": "SALES", "name": "Sales"})
	newOrg(t, g, admin, map[string]any{"code": "SALES-EU", "name": "Europe", "parent_id": sales})
	mkt := newOrg(t, g, admin, map[string]any{"code": "MKT", "name": "Marketing"})
	eve := g.user(admin, map[string]any{"user_name": "eve", "password": alicePassword, "org_code": "SALES-EU", "email": "eve@corp.example.com"})
	g.user(admin, map[string]any{"user_name": "carol", "password": alicePassword, "org_code": "MKT",
		"user_org_relation_list": []map[string]any{{"orgCode": "MKT", "relationType": 0}, {"orgCode": "SALES", "relationType": 1}}})
	bob := g.user(admin, map[string]any{"user_name": "bob", "password": alicePassword, "org_code": "MKT"})

	errOrgs := func(msg string) string { return `{"error_code":"APP.0060","error_msg":"` + msg + `"}` }
	cas := map[string]any{"service_patterns": []string{"http://" + rpHost + "/crm/*"}}
	wantError(t, "organizations without orgs", g.call("POST", appsPath, map[string]any{"name": "CRM", "protocol": "cas", "cas": cas,
		"access_policy": "organizations"}, admin), 400, errOrgs("The access_policy organizations needs at least one organization in access_org_ids."))
	wantError(t, "unknown org", g.call("POST", appsPath, map[string]any{"name": "CRM", "protocol": "cas", "cas": cas,
		"access_policy": "organizations", "access_org_ids": []string{sales, "20200101000000000-0000-000000000"}}, admin), 400,
		errOrgs(`The access_org_ids entry \"20200101000000000-0000-000000000\" is not an organization of this tenant.`))
	wantError(t, "unknown policy", g.call("POST", appsPath, map[string]any{"name": "CRM", "protocol": "cas", "cas": cas,
		"access_policy": "everyone"}, admin), 400, `{"error_code":"APP.0026","error_msg":"The access_policy must be all_users, authorized, organizations or rules."}`)
	r := g.call("POST", appsPath, map[string]any{"name": "CRM", "protocol": "cas", "cas": cas,
		"access_policy": "organizations", "access_org_ids": []string{sales, sales}, "account_name_rule": "{email_local}.crm"}, admin)
	if r.status != 201 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	m := r.json(t)
	appID := m["application_id"].(string)
	if jsonString(m["access_org_ids"]) != `["`+sales+`"]` || m["access_policy"] != "organizations" || m["account_name_rule"] != "{email_local}.crm" {
		t.Errorf("registered: %s", r.body)
	}

	service := "http://" + rpHost + "/crm/home"
	login := g.url + "/api/v1/cas/login?service=" + url.QueryEscape(service)
	signIn := func(user string) page {
		t.Helper()
		return newBrowser(t).signIn(login, user, alicePassword)
	}
	for _, u := range []string{"eve", "carol"} { // below SALES (home), in SALES (secondary)
		if p := signIn(u); p.location == nil || p.location.Query().Get("ticket") == "" {
			t.Errorf("%s, in the organisations: %d %v", u, p.status, p.location)
		}
	}
	wantErrorPage(t, "bob, in MKT only", signIn("bob"), 403, "You are not authorized to use this application.")

	// An account lets bob in too; disabling it shuts him out.
	accounts := appsPath + "/" + appID + "/accounts"
	wantError(t, "bob's account from the rule, bob has no email", g.call("POST", "/api/v2/tenant/users/"+bob+"/applications/"+appID+"/accounts", map[string]any{}, admin), 400,
		`{"error_code":"APP_ACCOUNT.0036","error_msg":"The application's account_name_rule gives no valid account name for this user ({email_local}.crm): send account_name."}`)
	r = g.call("POST", accounts+"/basic-account", map[string]any{"user_id": bob, "account_name": "bob.crm"}, admin)
	if r.status/100 != 2 {
		t.Fatalf("bob's account: %d %s", r.status, r.body)
	}
	accID, _ := r.json(t)["account_id"].(string)
	if p := signIn("bob"); p.location == nil {
		t.Errorf("bob with an account: %d %s", p.status, p.body)
	}
	g.call("PUT", accounts+"/"+accID+"/disable", nil, admin)
	wantErrorPage(t, "bob, account disabled", signIn("bob"), 403, "Your account in this application is disabled.")

	// The rule names eve's account; an explicit name wins.
	r = g.call("POST", "/api/v2/tenant/users/"+eve+"/applications/"+appID+"/accounts", map[string]any{}, admin)
	if r.status/100 != 2 {
		t.Fatalf("authorize eve: %d %s", r.status, r.body)
	}
	r = g.call("GET", "/api/v2/tenant/users/"+eve+"/accounts", nil, admin)
	if !strings.Contains(string(r.body), `"account_name":"eve.crm"`) {
		t.Errorf("eve's account from the rule: %s", r.body)
	}

	// Moving the application to MKT: eve (no longer in) keeps her account,
	// so she stays in; carol is in through MKT now.
	r = g.call("PUT", appsPath+"/"+appID, map[string]any{"access_org_ids": []string{mkt}}, admin)
	if r.status != 200 || !strings.Contains(string(r.body), `"access_org_ids":["`+mkt+`"]`) {
		t.Fatalf("modify access_org_ids: %d %s", r.status, r.body)
	}
	for _, u := range []string{"eve", "carol"} {
		if p := signIn(u); p.location == nil {
			t.Errorf("%s after the move: %d", u, p.status)
		}
	}
	wantError(t, "bad rule", g.call("PUT", appsPath+"/"+appID, map[string]any{"account_name_rule": "{first_name}"}, admin), 400,
		`{"error_code":"APP.0061","error_msg":"The account_name_rule must be user_name, email, mobile or employee_id, or a template of at most 128 characters using {user_name}, {email}, {email_local}, {mobile} or {employee_id}."}`)
	wantError(t, "organizations policy, no orgs left", g.call("PUT", appsPath+"/"+appID, map[string]any{"access_org_ids": []string{}}, admin), 400,
		errOrgs("The access_policy organizations needs at least one organization in access_org_ids."))
}

// TestAccessByRules: an application open to users whose attributes match
// one of its rules (all conditions of a rule), plus users with an account.
func TestAccessByRules(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { testAccessByRules(t, b.dsn(t)) })
	}
}

func testAccessByRules(t *testing.T, dsn string) {
	g := start(t, dsn, "--mobile-optional")
	admin := bearer(g.token(clientID, clientSecret, nil))
	g.user(admin, map[string]any{"user_name": "eve", "password": alicePassword, "email": "eve@corp.example.com", "attr_user_type": "regular"})
	g.user(admin, map[string]any{"user_name": "ivan", "password": alicePassword, "email": "ivan@gmail.example", "attr_user_type": "intern"})
	g.user(admin, map[string]any{"user_name": "olga", "password": alicePassword, "email": "olga@corp.example.com", "attr_user_type": "outsourcing"})
	rules := []map[string]any{
		{"all": []map[string]any{{"source": "user.email", "op": "suffix", "values": []string{"@corp.example.com"}},
			{"source": "user.attr_user_type", "op": "ne", "values": []string{"outsourcing"}}}},
		{"all": []map[string]any{{"source": "user.attr_user_type", "op": "eq", "values": []string{"intern"}}}},
	}
	cas := map[string]any{"service_patterns": []string{"http://" + rpHost + "/wiki"}}
	wantError(t, "rules policy without rules", g.call("POST", appsPath, map[string]any{"name": "Wiki", "protocol": "cas", "cas": cas,
		"access_policy": "rules"}, admin), 400, `{"error_code":"APP.0063","error_msg":"The access_policy rules needs at least one rule in access_rules."}`)
	wantError(t, "a rule on the password", g.call("POST", appsPath, map[string]any{"name": "Wiki", "protocol": "cas", "cas": cas,
		"access_policy": "rules", "access_rules": []map[string]any{{"all": []map[string]any{{"source": "user.password", "op": "exists"}}}}}, admin), 400,
		`{"error_code":"APP.0063","error_msg":"The access_rules rule 1: the source \"user.password\" must be a user attribute (user.email, user.attr_city, user.extension.level…)."}`)
	r := g.call("POST", appsPath, map[string]any{"name": "Wiki", "protocol": "cas", "cas": cas, "access_policy": "rules", "access_rules": rules}, admin)
	if r.status != 201 || jsonString(r.json(t)["access_rules"]) != jsonString(rules) {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	login := g.url + "/api/v1/cas/login?service=" + url.QueryEscape("http://"+rpHost+"/wiki")
	for user, in := range map[string]bool{"eve": true, "ivan": true, "olga": false} {
		p := newBrowser(t).signIn(login, user, alicePassword)
		if got := p.location != nil; got != in {
			t.Errorf("%s let in: %v, want %v (%d)", user, got, in, p.status)
		}
		if !in {
			wantErrorPage(t, user+" refused", p, 403, "You are not authorized to use this application.")
		}
	}
}
