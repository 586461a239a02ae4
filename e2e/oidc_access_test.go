package e2e

import (
	"fmt"
	"net/url"
	"testing"
)

// testOrgAccess: under the organizations policy, a user let in only by a
// secondary membership (no account in the application) signs in and
// keeps the tokens: a code from the sign-in and one from the session, the
// code exchange, the refresh, introspection and userinfo all see the
// membership. The token paths read users without their memberships for
// the other policies, so this is the case that must still load them.
// Moving the application to another organisation stops the tokens at
// once and refuses the next authorization.
func (e *oidcEnv) testOrgAccess(t *testing.T) {
	sales := newOrg(t, e.g, e.admin, map[string]any{"code": "OA-SALES", "name": "Sales"})
	newOrg(t, e.g, e.admin, map[string]any{"code": "OA-MKT", "name": "Marketing"})
	hr := newOrg(t, e.g, e.admin, map[string]any{"code": "OA-HR", "name": "People"})
	e.n++
	e.g.user(e.admin, map[string]any{"user_name": "dora", "password": alicePassword, "mobile": fmt.Sprintf("+86-139%08d", e.n),
		"org_code": "OA-MKT", "user_org_relation_list": []map[string]any{{"orgCode": "OA-MKT", "relationType": 0}, {"orgCode": "OA-SALES", "relationType": 1}}})
	id, sec, appID := e.g.app(e.admin, map[string]any{"name": "Sales portal", "protocol": "oidc",
		"oidc":          map[string]any{"redirect_uris": []string{cb}, "refresh_token_lifetime": 3600},
		"access_policy": "organizations", "access_org_ids": []string{sales}})
	a := rp{id, sec, appID, cb}

	br := newBrowser(t)
	issued := tokens(t, "exchange", e.exchange(t, a, codeOf(t, br.signIn(e.authURL(a, nil), "dora", alicePassword)), nil))
	e.wantAlive(t, "a secondary member's access token", a, str(issued, "access_token"))
	fromSession := tokens(t, "exchange of a code from the session", e.exchange(t, a, e.code(t, br, a, nil), nil))
	e.wantAlive(t, "a token from the session's code", a, str(fromSession, "access_token"))
	refreshed := tokens(t, "refresh", e.refresh(a, str(issued, "refresh_token")))
	e.wantAlive(t, "a refreshed access token", a, str(refreshed, "access_token"))
	if r := e.introspect(t, a, str(refreshed, "refresh_token")); r.status != 200 || r.json(t)["active"] != true {
		t.Errorf("introspecting the new refresh token: %d %s", r.status, r.body)
	}

	r := e.g.call("PUT", appsPath+"/"+appID, map[string]any{"access_org_ids": []string{hr}}, e.admin)
	if r.status != 200 {
		t.Fatalf("move the application to OA-HR: %d %s", r.status, r.body)
	}
	e.wantDead(t, "the access token of a user no longer let in", a, str(refreshed, "access_token"))
	if r := e.introspect(t, a, str(refreshed, "refresh_token")); r.status != 200 || r.json(t)["active"] != false {
		t.Errorf("introspecting the refresh token of a user no longer let in: %d %s", r.status, r.body)
	}
	wantExact(t, "the refresh token of a user no longer let in", e.refresh(a, str(refreshed, "refresh_token")), 400, errInvalidRefresh)
	wantErrorPage(t, "authorization of a user no longer let in", br.get(e.authURL(a, url.Values{})), 403,
		"You are not authorized to use this application.")
}
