package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore"
)

// TestAccessPolicyAndMappedClaims: an application that admits only
// authorised users puts the account's roles and the user's custom
// attributes in its ID token and userinfo exactly as mapped; removing the
// authorisation makes the next sign-in fail on a clear page, stops the
// tokens already issued, and the audit log says why.
func TestAccessPolicyAndMappedClaims(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			g := start(t, dsn, "--mobile-optional")
			testAccessAndClaims(t, g, dsn)
		})
	}
}

func testAccessAndClaims(t *testing.T, g *gh, dsn string) {
	ctx := context.Background()
	admin := bearer(g.token(clientID, clientSecret, nil))
	uid := g.user(admin, map[string]any{"user_name": "alice", "password": alicePassword, "name": "Alice",
		"employee_id": "E-7", "extension": map[string]any{"cost_center": "C-17", "level": 3}})
	cid, csec, appID := g.app(admin, map[string]any{"name": "Finance", "protocol": "oidc", "access_policy": "authorized",
		"oidc": map[string]any{"redirect_uris": []string{cb}, "access_token_format": "jwt"},
		"claim_mappings": []map[string]any{
			{"claim": "roles", "source": "account.roles"},
			{"claim": "cost_center", "source": "user.extension.cost_center"},
			{"claim": "level", "source": "user.extension.level", "in": []string{"id_token"}},
			{"claim": "login", "source": "account.account_name", "in": []string{"userinfo", "access_token"}},
			{"claim": "employee", "source": "user.employee_id"},
			{"claim": "tenant_label", "value": "acme"},
			{"claim": "upn", "template": "{account.account_name}@{user.extension.cost_center}.corp", "in": []string{"id_token"}},
			{"claim": "no_mobile", "template": "tel:{user.mobile}", "in": []string{"id_token"}},
		}})
	provider, err := oidc.NewProvider(ctx, g.url+"/api/v1/oauth2")
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: cid, ClientSecret: csec, Endpoint: provider.Endpoint(), RedirectURL: cb, Scopes: []string{"openid", "profile"}}

	// Not authorised yet: the sign-in ends on a page that says so.
	br := newBrowser(t)
	p := br.signIn(conf.AuthCodeURL("s0"), "alice", alicePassword)
	if p.location != nil || p.status != 403 || !strings.Contains(p.body, "You are not authorized to use this application.") {
		t.Fatalf("sign-in without authorisation: %d %v\n%s", p.status, p.location, p.body)
	}

	// Authorise, with an account name and two roles.
	r := g.call("POST", "/api/v2/tenant/users/"+uid+"/applications/"+appID+"/accounts", map[string]string{"account_name": "alice.fin"}, admin)
	if r.status != 200 {
		t.Fatalf("authorise: %d %s", r.status, r.body)
	}
	accID := r.json(t)["account_id"].(string)
	for _, code := range []string{"approver", "auditor"} {
		role := g.call("POST", "/api/v2/tenant/applications/"+appID+"/role", map[string]string{"code": code, "name": code}, admin).json(t)["role_id"].(string)
		m := g.call("POST", "/api/v2/tenant/applications/"+appID+"/role-member", map[string]any{"role_id": role, "account_Ids": []string{accID}}, admin)
		if m.status != 200 || !strings.Contains(string(m.body), accID) {
			t.Fatalf("role member: %d %s", m.status, m.body)
		}
	}
	p = br.get(conf.AuthCodeURL("s1"))
	if p.location == nil || p.location.Query().Get("code") == "" {
		t.Fatalf("sign-in after authorisation: %d %v\n%s", p.status, p.location, p.body)
	}
	tok, err := conf.Exchange(ctx, p.location.Query().Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: cid}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	idt.Claims(&c)
	want := map[string]any{"roles": []any{"approver", "auditor"}, "cost_center": "C-17", "level": float64(3), "employee": "E-7", "tenant_label": "acme",
		"upn": "alice.fin@C-17.corp"}
	if _, ok := c["no_mobile"]; ok {
		t.Error("a template with an empty source (alice has no mobile) gave a claim")
	}
	for k, v := range want {
		if !equalJSON(c[k], v) {
			t.Errorf("ID token %s = %v, want %v", k, c[k], v)
		}
	}
	if _, ok := c["login"]; ok {
		t.Error("login (mapped to userinfo and access_token only) is in the ID token")
	}
	ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatal(err)
	}
	var u map[string]any
	ui.Claims(&u)
	for k, v := range map[string]any{"roles": []any{"approver", "auditor"}, "login": "alice.fin", "cost_center": "C-17", "tenant_label": "acme"} {
		if !equalJSON(u[k], v) {
			t.Errorf("userinfo %s = %v, want %v", k, u[k], v)
		}
	}
	if _, ok := u["level"]; ok {
		t.Error("level (mapped to the ID token only) is in userinfo")
	}
	at := b64json(t, strings.Split(tok.AccessToken, ".")[1])
	if !strings.Contains(at, `"login":"alice.fin"`) || strings.Contains(at, "cost_center") {
		t.Errorf("JWT access token claims: %s", at)
	}

	// Remove the authorisation: the token stops, the next sign-in fails.
	if r := g.call("DELETE", "/api/v2/tenant/applications/"+appID+"/accounts/"+accID, nil, admin); r.status != 204 {
		t.Fatalf("delete account: %d %s", r.status, r.body)
	}
	if active(t, g, cid, csec, tok.AccessToken) {
		t.Error("the access token is still active after the authorisation was removed")
	}
	p = br.get(conf.AuthCodeURL("s2"))
	if p.location != nil || p.status != 403 || !strings.Contains(p.body, "You are not authorized to use this application.") {
		t.Fatalf("sign-in after removal: %d %v", p.status, p.location)
	}
	// prompt=none answers the application instead of showing a page.
	p = br.get(conf.AuthCodeURL("s3", oauth2.SetAuthURLParam("prompt", "none")))
	if p.location == nil || p.location.Query().Get("error") != "access_denied" {
		t.Fatalf("prompt=none after removal: %v", p.location)
	}

	// The audit log says why.
	store, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	events, _ := store.Audit().List(ctx, storage.DefaultTenantID, storage.AuditFilter{Action: "application.access"})
	if len(events) != 3 {
		t.Fatalf("%d refused sign-ins audited, want 3", len(events))
	}
	for _, e := range events {
		if e.Result != "failure" || e.Detail != "APP.0024" || e.ActorID != uid || e.TargetID != appID {
			t.Errorf("audit event %+v", e)
		}
	}
}

func equalJSON(a, b any) bool {
	as, bs := strings.TrimSpace(jsonString(a)), strings.TrimSpace(jsonString(b))
	return as == bs
}
