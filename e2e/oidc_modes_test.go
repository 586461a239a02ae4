package e2e

import (
	"net/url"
	"strings"
	"testing"
)

// TestResponseModeAndRefreshScope: response_mode=fragment moves a code to
// the fragment; tokens never go in a query; narrowing a refresh narrows
// the access token but not the grant (RFC 6749 section 6).
func TestResponseModeAndRefreshScope(t *testing.T) {
	g := start(t, "sqlite:"+t.TempDir()+"/gh.db", "--mobile-optional")
	admin := bearer(g.token(clientID, clientSecret, nil))
	g.user(admin, map[string]any{"user_name": "alice", "password": alicePassword, "email": "a@example.com"})
	cid, csec, _ := g.app(admin, map[string]any{"name": "Modes", "protocol": "oidc", "oidc": map[string]any{
		"redirect_uris": []string{cb}, "grant_types": []string{"authorization_code", "implicit"}, "refresh_token_lifetime": 3600}})
	az := g.url + "/api/v1/oauth2/authorize?client_id=" + cid + "&redirect_uri=" + url.QueryEscape(cb)
	br := newBrowser(t)
	p := br.signIn(az+"&response_type=code&scope=openid+profile+email&state=s1&response_mode=fragment", "alice", alicePassword)
	if p.location == nil || p.location.RawQuery != "" || !strings.Contains(p.location.Fragment, "code=") {
		t.Fatalf("code with response_mode=fragment: %v", p.location)
	}
	frag, _ := url.ParseQuery(p.location.Fragment)
	p = br.get(az + "&response_type=id_token&scope=openid&nonce=n&state=s2&response_mode=query")
	ferr, _ := url.ParseQuery(p.location.Fragment)
	if p.location == nil || ferr.Get("error") != "invalid_request" || p.location.RawQuery != "" || strings.Contains(p.location.String(), "id_token=") {
		t.Fatalf("implicit with response_mode=query: %v", p.location)
	}
	tok := postForm(t, g, "/api/v1/oauth2/token", cid, csec, url.Values{"grant_type": {"authorization_code"}, "code": {frag.Get("code")}}).json(t)
	rt, _ := tok["refresh_token"].(string)
	if rt == "" {
		t.Fatalf("no refresh token: %v", tok)
	}
	narrow := postForm(t, g, "/api/v1/oauth2/token", cid, csec, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {"openid"}}).json(t)
	if narrow["scope"] != "openid" {
		t.Fatalf("narrowed refresh: %v", narrow)
	}
	wide := postForm(t, g, "/api/v1/oauth2/token", cid, csec, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {narrow["refresh_token"].(string)},
		"scope": {"openid email"}})
	if wide.status != 200 || wide.json(t)["scope"] != "openid email" {
		t.Fatalf("the grant lost scopes after a narrowed refresh: %d %s", wide.status, wide.body)
	}
}
