package e2e

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestTwoNodesLogout: two Gatehouse nodes on one PostgreSQL database, one
// public base URL. A user signs in on node A (CAS and OIDC), the tickets
// and codes are redeemed there, and the logout goes to node B: B knows
// the session, ends it, and sends the CAS logoutRequest and the OIDC
// logout token that node A's sign-ins recorded. Nothing lives in one
// node's memory.
func TestTwoNodesLogout(t *testing.T) {
	dsn := postgresDSN(t)
	ctx := context.Background()
	a := start(t, dsn, "--mobile-optional")
	b := start(t, dsn, "--mobile-optional", "--base-url", a.url) // one public URL, as behind a load balancer
	admin := bearer(a.token(clientID, clientSecret, nil))
	a.user(admin, map[string]any{"user_name": "alice", "password": alicePassword, "name": "Alice"})

	svc, notices := newLogoutReceiver(t)
	a.app(admin, map[string]any{"name": "Wiki", "protocol": "cas",
		"cas": map[string]any{"service_patterns": []string{svc.URL + "/*"}, "logout_type": "back_channel"}})
	rp, posts := newBackchannelReceiver(t)
	cid, csecret, _ := a.app(admin, map[string]any{"name": "Payroll", "protocol": "oidc",
		"oidc": map[string]any{"redirect_uris": []string{cb}, "backchannel_logout_uri": rp.URL + "/bcl"}})

	// Node A: CAS sign-in and validation, then an OIDC code exchanged.
	br := newBrowser(t)
	stopAtApp(br, svc)
	service := svc.URL + "/home"
	p := br.signIn(a.url+"/api/v1/cas/login?service="+url.QueryEscape(service), "alice", alicePassword)
	if p.location == nil {
		t.Fatalf("CAS sign-in on node A: %d", p.status)
	}
	tk := p.location.Query().Get("ticket")
	if _, c := casGet(t, a, "/api/v1/cas/p3/serviceValidate", url.Values{"service": {service}, "ticket": {tk}}); c.Success == nil {
		t.Fatalf("validation on node A: %+v", c)
	}
	provider, err := oidc.NewProvider(ctx, a.url+"/api/v1/oauth2")
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: cid, ClientSecret: csecret, Endpoint: provider.Endpoint(), RedirectURL: cb, Scopes: []string{oidc.ScopeOpenID}}
	p = br.get(conf.AuthCodeURL("st"))
	if p.location == nil || p.location.Query().Get("code") == "" {
		t.Fatalf("OIDC SSO on node A: %d %v", p.status, p.location)
	}
	tok, err := conf.Exchange(ctx, p.location.Query().Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: cid}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var claims struct{ Sid string }
	idt.Claims(&claims)

	// Node B ends the session (the browser's cookie is the same host's).
	if p := br.get(b.url + "/api/v1/cas/logout"); p.status != 200 {
		t.Fatalf("CAS logout on node B: %d", p.status)
	}
	select {
	case n := <-notices:
		if n.Index != tk {
			t.Errorf("CAS notice names %q, want %q", n.Index, tk)
		}
	case <-time.After(10 * time.Second):
		t.Error("node B's logout sent no CAS logoutRequest")
	}
	select {
	case lp := <-posts:
		checkLogoutToken(t, "node B", oidc.NewRemoteKeySet(ctx, discoveryJWKS(t, provider)), lp.token, a.url+"/api/v1/oauth2", cid, "RS256", idt.Subject, claims.Sid)
	case <-time.After(10 * time.Second):
		t.Error("node B's logout sent no OIDC logout token")
	}
	// And the session is over on node A too.
	if p := br.get(a.url + "/api/v1/cas/login?service=" + url.QueryEscape(service)); p.location != nil {
		t.Errorf("node A after node B's logout: %v", p.location)
	}
}
