package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestOIDCBackChannelLogout: an application with a backchannel_logout_uri
// that got an ID token from the session is POSTed a logout token
// (OpenID Connect Back-Channel Logout 1.0) when the session ends, by OIDC
// RP-initiated logout or another protocol's logout: signed as its ID
// tokens (RS256 or ES256), verified here by go-oidc against the JWKS,
// with the ID token's sub and sid, the logout event, no nonce, typ
// logout+jwt. Applications without the URI hear nothing.
func TestOIDCBackChannelLogout(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { testOIDCBackChannelLogout(t, b.dsn(t)) })
	}
}

type logoutPost struct {
	path, token string
}

// newBackchannelReceiver is an OIDC application's back-channel logout
// endpoint: each logout_token POSTed to it goes to the channel.
func newBackchannelReceiver(t *testing.T) (*httptest.Server, chan logoutPost) {
	posts := make(chan logoutPost, 16)
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posts <- logoutPost{r.URL.Path, r.PostFormValue("logout_token")}
		}
	}))
	t.Cleanup(rp.Close)
	return rp, posts
}

func testOIDCBackChannelLogout(t *testing.T, dsn string) {
	ctx := context.Background()
	rp, posts := newBackchannelReceiver(t)

	g := start(t, dsn, "--mobile-optional")
	admin := bearer(g.token(clientID, clientSecret, nil))
	aliceID := g.user(admin, map[string]any{"user_name": "alice", "password": alicePassword, "name": "Alice"})
	type rpApp struct {
		conf     oauth2.Config
		verifier *oidc.IDTokenVerifier
	}
	issuer := g.url + "/api/v1/oauth2"
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	var disc struct {
		Backchannel        bool `json:"backchannel_logout_supported"`
		BackchannelSession bool `json:"backchannel_logout_session_supported"`
	}
	if err := provider.Claims(&disc); err != nil || !disc.Backchannel || !disc.BackchannelSession {
		t.Fatalf("discovery: %+v %v", disc, err)
	}
	register := func(name string, oidcSettings map[string]any) rpApp {
		oidcSettings["redirect_uris"] = []string{cb}
		id, secret, _ := g.app(admin, map[string]any{"name": name, "protocol": "oidc", "oidc": oidcSettings})
		return rpApp{oauth2.Config{ClientID: id, ClientSecret: secret, Endpoint: provider.Endpoint(), RedirectURL: cb,
			Scopes: []string{oidc.ScopeOpenID}}, provider.Verifier(&oidc.Config{ClientID: id})}
	}
	payroll := register("Payroll", map[string]any{"backchannel_logout_uri": rp.URL + "/payroll/bcl"})
	wiki := register("Wiki", map[string]any{"backchannel_logout_uri": rp.URL + "/wiki/bcl", "backchannel_logout_session_required": true,
		"id_token_signed_response_alg": "ES256"})
	quiet := register("Quiet", map[string]any{})

	br := newBrowser(t)
	// signIn gets app an ID token from br's session (signing in first
	// when there is none) and returns it verified.
	signIn := func(app rpApp) *oidc.IDToken {
		t.Helper()
		p := br.signIn(app.conf.AuthCodeURL("st"), "alice", alicePassword)
		if p.location == nil || p.location.Query().Get("code") == "" {
			t.Fatalf("no code: %d %v", p.status, p.location)
		}
		tok, err := app.conf.Exchange(ctx, p.location.Query().Get("code"))
		if err != nil {
			t.Fatal(err)
		}
		idt, err := app.verifier.Verify(ctx, tok.Extra("id_token").(string))
		if err != nil {
			t.Fatal(err)
		}
		return idt
	}
	sidOf := func(idt *oidc.IDToken) string {
		var c struct{ Sid string }
		idt.Claims(&c)
		return c.Sid
	}
	keys := oidc.NewRemoteKeySet(ctx, discoveryJWKS(t, provider))
	// want waits for the logout tokens of these paths (path → client id
	// and signing algorithm), and checks each as an RP must (section 2.6).
	want := func(what, sid string, clients map[string][2]string) {
		t.Helper()
		got := map[string]bool{}
		deadline := time.After(10 * time.Second)
		for len(got) < len(clients) {
			select {
			case p := <-posts:
				c, ok := clients[p.path]
				if !ok || got[p.path] {
					t.Fatalf("%s: an unexpected logout token at %s", what, p.path)
				}
				got[p.path] = true
				checkLogoutToken(t, what, keys, p.token, issuer, c[0], c[1], aliceID, sid)
			case <-deadline:
				t.Fatalf("%s: got %v, want %v", what, got, clients)
			}
		}
		select {
		case p := <-posts:
			t.Fatalf("%s: an extra logout token at %s", what, p.path)
		case <-time.After(300 * time.Millisecond):
		}
	}

	// RP-initiated logout.
	idt := signIn(payroll)
	sid := sidOf(idt)
	if s2 := sidOf(signIn(wiki)); s2 != sid {
		t.Fatalf("two sessions: %s, %s", sid, s2)
	}
	signIn(quiet)
	if p := br.get(issuer + "/logout"); p.status >= 400 {
		t.Fatalf("logout: %d", p.status)
	}
	want("RP-initiated logout", sid, map[string][2]string{"/payroll/bcl": {payroll.conf.ClientID, "RS256"}, "/wiki/bcl": {wiki.conf.ClientID, "ES256"}})

	// CAS logout ends the session too.
	sid = sidOf(signIn(payroll))
	if p := br.get(g.url + "/api/v1/cas/logout"); p.status != 200 {
		t.Fatalf("CAS logout: %d", p.status)
	}
	want("CAS logout", sid, map[string][2]string{"/payroll/bcl": {payroll.conf.ClientID, "RS256"}})

	// An administrator disabling the user ends its sessions: the token
	// comes, and the browser must sign in again (once enabled).
	sid = sidOf(signIn(payroll))
	if r := g.call("PUT", "/api/v2/tenant/users/"+aliceID+"/disable", nil, admin); r.status != 200 {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	want("user disabled", sid, map[string][2]string{"/payroll/bcl": {payroll.conf.ClientID, "RS256"}})
	if r := g.call("PUT", "/api/v2/tenant/users/"+aliceID+"/enable", nil, admin); r.status != 200 {
		t.Fatalf("enable: %d %s", r.status, r.body)
	}
	if p := br.get(payroll.conf.AuthCodeURL("st")); p.location != nil || !strings.Contains(p.body, `action="/api/v1/login/form"`) {
		t.Fatalf("after disable and enable: want the sign-in page, got %d %v", p.status, p.location)
	}

	// Nothing left: a second logout sends nothing; the metrics count four.
	br.get(issuer + "/logout")
	want("logout without a session", "", map[string][2]string{})
	if body := string(g.call("GET", "/metrics", nil, nil).body); !strings.Contains(body, `gatehouse_backchannel_logout_requests_total{protocol="oidc",result="ok"} 4`) {
		t.Errorf("metrics:\n%s", grepLines(body, "gatehouse_backchannel_logout"))
	}

	// Deleting the user ends its sessions too.
	sid = sidOf(signIn(payroll))
	if r := g.call("DELETE", "/api/v2/tenant/users/"+aliceID, nil, admin); r.status != 200 && r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	want("user deleted", sid, map[string][2]string{"/payroll/bcl": {payroll.conf.ClientID, "RS256"}})
}

// discoveryJWKS is the provider's jwks_uri.
func discoveryJWKS(t *testing.T, p *oidc.Provider) string {
	var d struct {
		JWKS string `json:"jwks_uri"`
	}
	if err := p.Claims(&d); err != nil {
		t.Fatal(err)
	}
	return d.JWKS
}

// checkLogoutToken validates a logout token as OpenID Connect
// Back-Channel Logout 1.0 section 2.6 asks of an RP.
func checkLogoutToken(t *testing.T, what string, keys *oidc.RemoteKeySet, token, iss, aud, alg, sub, sid string) {
	t.Helper()
	payload, err := keys.VerifySignature(context.Background(), token)
	if err != nil {
		t.Fatalf("%s: the logout token's signature: %v", what, err)
	}
	head, _ := base64.RawURLEncoding.DecodeString(strings.SplitN(token, ".", 2)[0])
	var h struct{ Typ, Alg string }
	json.Unmarshal(head, &h)
	var c struct {
		Iss, Sub, Aud, Jti, Sid, Nonce string
		Iat, Exp                       int64
		Events                         map[string]json.RawMessage
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatalf("%s: payload %s: %v", what, payload, err)
	}
	now := time.Now().Unix()
	ev, hasEvent := c.Events["http://schemas.openid.net/event/backchannel-logout"]
	if h.Typ != "logout+jwt" || h.Alg != alg || c.Iss != iss || c.Aud != aud || c.Sub != sub || c.Sid != sid || c.Jti == "" || c.Nonce != "" ||
		c.Iat > now+5 || c.Iat < now-30 || c.Exp <= now || !hasEvent || string(ev) != "{}" {
		t.Errorf("%s: logout token %s %s", what, head, payload)
	}
	if !strings.Contains(string(payload), `"sid"`) || strings.Contains(string(payload), `"nonce"`) {
		t.Errorf("%s: payload %s", what, payload)
	}
}
