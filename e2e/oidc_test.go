package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

const (
	alicePassword = "Al1ce#Passw0rd"
	cb            = "http://" + rpHost + "/cb"
)

// TestOIDCWithGoOIDC drives the provider with golang.org/x/oauth2 and
// github.com/coreos/go-oidc/v3: discovery, code + PKCE through the real
// sign-in form, ID token verification with nonce, userinfo, SSO into a
// second application, refresh only when configured, client credentials,
// introspection, revocation and logout.
func TestOIDCWithGoOIDC(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			g := start(t, b.dsn(t), "--mobile-optional")
			testGoOIDC(t, g)
		})
	}
}

func testGoOIDC(t *testing.T, g *gh) {
	ctx := context.Background()
	admin := bearer(g.token(clientID, clientSecret, nil))
	aliceID := g.user(admin, map[string]any{"user_name": "alice", "password": alicePassword, "email": "alice@example.com",
		"mobile": "+86-13800001111", "name": "Alice Li", "first_name": "Alice", "last_name": "Li"})
	cid, csec, _ := g.app(admin, map[string]any{"name": "Payroll", "protocol": "oidc",
		"oidc": map[string]any{"redirect_uris": []string{cb}, "post_logout_redirect_uris": []string{"http://" + rpHost + "/bye"},
			"grant_types": []string{"authorization_code", "client_credentials"}, "scopes": []string{"openid", "profile", "email", "phone", "get_user_info"}}})

	issuer := g.url + "/api/v1/oauth2"
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	conf := oauth2.Config{ClientID: cid, ClientSecret: csec, Endpoint: provider.Endpoint(), RedirectURL: cb,
		Scopes: []string{oidc.ScopeOpenID, "profile", "email", "phone"}}
	verifier := provider.Verifier(&oidc.Config{ClientID: cid})

	br := newBrowser(t)
	pkce := oauth2.GenerateVerifier()
	p := br.signIn(conf.AuthCodeURL("st-1", oauth2.S256ChallengeOption(pkce), oidc.Nonce("nonce-1")), "alice", alicePassword)
	if p.location == nil || p.location.Host != rpHost || p.location.Query().Get("state") != "st-1" {
		t.Fatalf("after sign-in: %d %v\n%s", p.status, p.location, p.body)
	}
	tok, err := conf.Exchange(ctx, p.location.Query().Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if tok.RefreshToken != "" {
		t.Errorf("a refresh token was issued though the application configured no refresh lifetime")
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	var claims struct {
		Email, Name, PreferredUsername, PhoneNumber, Nonce, Sid, Acr string
		Amr                                                          []string
		AuthTime                                                     int64
	}
	decodeSnake(t, jsonOf(t, idt.Claims), &claims)
	if idt.Subject != aliceID || idt.Nonce != "nonce-1" || claims.Email != "alice@example.com" || claims.Name != "Alice Li" ||
		claims.PreferredUsername != "alice" || claims.PhoneNumber != "+8613800001111" || claims.Sid == "" || claims.AuthTime == 0 ||
		len(claims.Amr) != 1 || claims.Amr[0] != "pwd" {
		t.Errorf("ID token claims: sub %s %+v", idt.Subject, claims)
	}
	ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil || ui.Subject != aliceID || ui.Email != "alice@example.com" {
		t.Fatalf("userinfo: %+v %v", ui, err)
	}
	var oa map[string]any
	ui.Claims(&oa)
	for k, want := range map[string]any{"id": aliceID, "userName": "alice", "name": "Alice Li", "email": "alice@example.com", "mobile": "+86-13800001111"} {
		if oa[k] != want {
			t.Errorf("userinfo %s = %v, want %v (OneAccess field)", k, oa[k], want)
		}
	}

	// A second application signs in without a prompt: the SSO session.
	cid2, csec2, _ := g.app(admin, map[string]any{"name": "Wiki", "protocol": "oidc",
		"oidc": map[string]any{"redirect_uris": []string{cb + "2"}, "refresh_token_lifetime": 3600, "access_token_format": "jwt",
			"id_token_signed_response_alg": "ES256"}})
	conf2 := oauth2.Config{ClientID: cid2, ClientSecret: csec2, Endpoint: provider.Endpoint(), RedirectURL: cb + "2", Scopes: []string{"openid"}}
	p = br.get(conf2.AuthCodeURL("st-2", oidc.Nonce("nonce-2")))
	if p.location == nil || p.location.Query().Get("code") == "" {
		t.Fatalf("second application: want a code without a prompt, got %d %v", p.status, p.location)
	}
	tok2, err := conf2.Exchange(ctx, p.location.Query().Get("code"))
	if err != nil {
		t.Fatalf("second exchange: %v", err)
	}
	idt2, err := provider.Verifier(&oidc.Config{ClientID: cid2}).Verify(ctx, tok2.Extra("id_token").(string))
	if err != nil || idt2.Subject != aliceID {
		t.Fatalf("second ID token (ES256): %v", err)
	}
	var sid2 struct{ Sid string }
	idt2.Claims(&sid2)
	if sid2.Sid != claims.Sid {
		t.Errorf("the two sign-ins are not one session: sid %s and %s", claims.Sid, sid2.Sid)
	}
	// The JWT access token (RFC 9068) verifies with the JWKS too.
	if parts := strings.Split(tok2.AccessToken, "."); len(parts) != 3 || !strings.Contains(b64json(t, parts[0]), `"typ":"at+jwt"`) {
		t.Errorf("access token is not an at+jwt JWT: %s", tok2.AccessToken)
	}
	// Refresh: configured here, so present; rotation; reuse revokes the family.
	if tok2.RefreshToken == "" {
		t.Fatal("no refresh token though the application configured a lifetime")
	}
	refreshed, err := conf2.TokenSource(ctx, &oauth2.Token{RefreshToken: tok2.RefreshToken}).Token()
	if err != nil || refreshed.RefreshToken == "" || refreshed.RefreshToken == tok2.RefreshToken {
		t.Fatalf("refresh: %v (new refresh token %q)", err, refreshed.RefreshToken)
	}
	if _, err := conf2.TokenSource(ctx, &oauth2.Token{RefreshToken: tok2.RefreshToken}).Token(); err == nil ||
		!strings.Contains(err.Error(), `"invalid_grant"`) {
		t.Fatalf("reused refresh token: %v", err)
	}
	if _, err := conf2.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshed.RefreshToken}).Token(); err == nil {
		t.Fatal("the family survived a reuse: its newest refresh token still works")
	}
	if active(t, g, cid2, csec2, refreshed.AccessToken) {
		t.Error("an access token of a revoked family is still active")
	}

	// Client credentials.
	cc := clientcredentials.Config{ClientID: cid, ClientSecret: csec, TokenURL: provider.Endpoint().TokenURL}
	ctok, err := cc.Token(ctx)
	if err != nil || ctok.AccessToken == "" {
		t.Fatalf("client_credentials: %v", err)
	}
	if !active(t, g, cid, csec, ctok.AccessToken) {
		t.Error("client_credentials token not active")
	}

	// Introspection, revocation.
	if !active(t, g, cid, csec, tok.AccessToken) {
		t.Fatal("access token not active at introspection")
	}
	form := url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}}
	if r := postForm(t, g, "/api/v1/oauth2/revoke", cid, csec, form); r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if active(t, g, cid, csec, tok.AccessToken) {
		t.Error("revoked access token still active")
	}
	if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
		t.Error("userinfo accepted a revoked access token")
	}

	// RP-initiated logout ends the session: the next authorization asks to sign in.
	bye := br.get(issuer + "/logout?id_token_hint=" + url.QueryEscape(raw) + "&post_logout_redirect_uri=" + url.QueryEscape("http://"+rpHost+"/bye") + "&state=s9")
	if bye.location == nil || bye.location.Path != "/bye" || bye.location.Query().Get("state") != "s9" {
		t.Fatalf("logout: %d %v", bye.status, bye.location)
	}
	again := br.get(conf.AuthCodeURL("st-3", oauth2.S256ChallengeOption(pkce)))
	if again.location != nil || !strings.Contains(again.body, "login/form") {
		t.Fatalf("after logout the session survived: %d %v", again.status, again.location)
	}
}

// active introspects a token.
func active(t *testing.T, g *gh, id, secret, token string) bool {
	t.Helper()
	r := postForm(t, g, "/api/v1/oauth2/introspect", id, secret, url.Values{"token": {token}})
	if r.status != 200 {
		t.Fatalf("introspect: %d %s", r.status, r.body)
	}
	return r.json(t)["active"] == true
}

// postForm posts a form with HTTP Basic client authentication.
func postForm(t *testing.T, g *gh, path, id, secret string, form url.Values) resp {
	req, _ := http.NewRequest("POST", g.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, b}
}

func jsonOf(t *testing.T, claims func(any) error) []byte {
	var m map[string]any
	if err := claims(&m); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m)
	return b
}

func b64json(t *testing.T, s string) string {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("not base64url: %s", s)
	}
	return string(b)
}
