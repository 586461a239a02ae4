package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Exact bodies of the OAuth errors (ONEACCESS-API.md 0.8 shape B, 4.1).
const (
	errInvalidCode    = `{"error":"invalid_grant","error_description":"Invalid authorization code"}`
	errInvalidRefresh = `{"error":"invalid_grant","error_description":"Invalid refresh token"}`
	errInactive       = `{"active":false}`
)

// Messages of the error pages the authorization endpoint shows instead of
// redirecting (RFC 6749 section 4.1.2.1).
const (
	pageBadRedirect   = "The redirect_uri is not registered for this application."
	pageUnknownClient = "The application (client_id) is unknown or disabled."
	pageLogin         = `action="/api/v1/login/form"`
	pageConsent       = `action="/api/v1/oauth2/consent"`
)

// TestOIDCTokenErrors runs on both backends what depends on the store: the
// token response's exact shape, the exact invalid_grant bodies, revocation
// of what a replayed code issued, and what disabling or deleting a user
// does to its sessions, codes and tokens.
func TestOIDCTokenErrors(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			e := newOIDCEnv(t, start(t, b.dsn(t)))
			t.Run("token-response", e.testTokenResponse)
			t.Run("code-replay", e.testCodeReplay)
			t.Run("disabled-user", func(t *testing.T) { e.testUserGone(t, false) })
			t.Run("deleted-user", func(t *testing.T) { e.testUserGone(t, true) })
			t.Run("org-access", e.testOrgAccess)
			e.noInternalErrors(t)
		})
	}
}

// TestOIDCCodeLifetime: a code is refused once --oauth-code-lifetime has
// passed, with the same body as any bad code.
func TestOIDCCodeLifetime(t *testing.T) {
	t.Parallel()
	e := newOIDCEnv(t, start(t, "sqlite:"+t.TempDir()+"/gh.db", "--oauth-code-lifetime", "1s"))
	a := e.app(t, "Expiry", nil)
	br := newBrowser(t)
	fresh := e.signedInCode(t, br, a, nil)
	if r := e.exchange(t, a, fresh, nil); r.status != 200 {
		t.Fatalf("a fresh code: %d %s", r.status, r.body)
	}
	stale := e.code(t, br, a, nil)
	time.Sleep(1200 * time.Millisecond)
	wantExact(t, "expired code", e.exchange(t, a, stale, nil), 400, errInvalidCode)
	e.noInternalErrors(t)
}

// TestOIDCAuthorizeErrors is the matrix of bad requests, on SQLite: each
// gets its exact OAuth error (a redirect with error parameters, a JSON
// body, or an error page where redirecting would be unsafe), never a 500.
func TestOIDCAuthorizeErrors(t *testing.T) {
	t.Parallel()
	e := newOIDCEnv(t, start(t, "sqlite:"+t.TempDir()+"/gh.db"))
	t.Run("client-auth", e.testClientAuth)
	t.Run("disabled-app", e.testDisabledApp)
	t.Run("redirect-uri", e.testRedirectURI)
	t.Run("open-redirect", e.testOpenRedirect)
	t.Run("pkce", e.testPKCE)
	t.Run("oversized", e.testOversized)
	t.Run("prompt", e.testPrompt)
	t.Run("response-type", e.testResponseType)
	t.Run("implicit", e.testImplicit)
	t.Run("scope-and-grant", e.testScopeAndGrant)
	t.Run("consent", e.testConsent)
	t.Run("sign-in-form", e.testSignInForm)
	t.Run("global-logout", e.testGlobalLogout)
	e.noInternalErrors(t)
}

// noInternalErrors fails the test when the server answered any request
// with a 5xx or logged an error: a bad request is never our fault.
func (e *oidcEnv) noInternalErrors(t *testing.T) {
	t.Helper()
	for _, line := range strings.Split(e.g.log(), "\n") {
		var rec struct {
			Level  string
			Status int
		}
		if json.Unmarshal([]byte(line), &rec) == nil && (rec.Level == "ERROR" || rec.Status >= 500) {
			t.Errorf("the server failed: %s", line)
		}
	}
}

// oidcEnv is a running server with an administrator's token and a user.
type oidcEnv struct {
	g        *gh
	admin    map[string]string
	issuer   string
	provider *oidc.Provider
	userID   string // alice, who has a password, an e-mail and a mobile number
	n        int    // numbers the users made by newUser
}

const (
	aliceEmail  = "alice@example.com"
	aliceMobile = "+86-13800001111"
)

func newOIDCEnv(t *testing.T, g *gh) *oidcEnv {
	e := &oidcEnv{g: g, admin: bearer(g.token(clientID, clientSecret, nil)), issuer: g.url + "/api/v1/oauth2"}
	p, err := oidc.NewProvider(context.Background(), e.issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	e.provider = p
	e.userID = g.user(e.admin, map[string]any{"user_name": "alice", "password": alicePassword, "email": aliceEmail,
		"mobile": aliceMobile, "name": "Alice Li"})
	return e
}

// rp is a registered application.
type rp struct{ id, secret, appID, redirect string }

// app registers an oidc application whose only redirect URI is cb;
// oidcSettings adds to or replaces its default settings.
func (e *oidcEnv) app(t *testing.T, name string, oidcSettings map[string]any) rp {
	t.Helper()
	s := map[string]any{"redirect_uris": []string{cb}}
	for k, v := range oidcSettings {
		s[k] = v
	}
	id, sec, appID := e.g.app(e.admin, map[string]any{"name": name, "protocol": "oidc", "oidc": s})
	return rp{id, sec, appID, s["redirect_uris"].([]string)[0]}
}

// newUser creates a user with a unique mobile number; it returns its id.
func (e *oidcEnv) newUser(t *testing.T, name string) string {
	e.n++
	return e.g.user(e.admin, map[string]any{"user_name": name, "password": alicePassword, "mobile": fmt.Sprintf("+86-139%08d", e.n)})
}

// authURL is an authorization request of a; extra adds or, with an empty
// value, removes parameters.
func (e *oidcEnv) authURL(a rp, extra url.Values) string {
	q := url.Values{"response_type": {"code"}, "client_id": {a.id}, "redirect_uri": {a.redirect}, "scope": {"openid profile"},
		"state": {"st-1"}, "nonce": {"n-1"}}
	for k, v := range extra {
		if len(v) == 1 && v[0] == "" {
			delete(q, k)
			continue
		}
		q[k] = v
	}
	return e.issuer + "/authorize?" + q.Encode()
}

// signedInCode signs alice in (when the browser has no session) and
// returns the code the application received.
func (e *oidcEnv) signedInCode(t *testing.T, br *browser, a rp, extra url.Values) string {
	t.Helper()
	p := br.signIn(e.authURL(a, extra), "alice", alicePassword)
	return codeOf(t, p)
}

// code runs an authorization with the browser's session.
func (e *oidcEnv) code(t *testing.T, br *browser, a rp, extra url.Values) string {
	t.Helper()
	return codeOf(t, br.get(e.authURL(a, extra)))
}

func codeOf(t *testing.T, p page) string {
	t.Helper()
	if p.location == nil || p.location.Query().Get("code") == "" {
		t.Fatalf("want a redirect with a code, got %d %v\n%s", p.status, p.location, p.body)
	}
	return p.location.Query().Get("code")
}

// exchange posts the authorization_code grant with a's credentials in the
// form; extra adds or replaces parameters.
func (e *oidcEnv) exchange(t *testing.T, a rp, code string, extra url.Values) resp {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {a.id}, "client_secret": {a.secret},
		"redirect_uri": {a.redirect}}
	for k, v := range extra {
		form[k] = v
	}
	return e.tokenCall(form)
}

func (e *oidcEnv) tokenCall(form url.Values) resp {
	return e.g.call("POST", "/api/v1/oauth2/token", form.Encode(), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

func (e *oidcEnv) refresh(a rp, rt string) resp {
	return e.tokenCall(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {a.id}, "client_secret": {a.secret}})
}

// tokens decodes a successful token response.
func tokens(t *testing.T, what string, r resp) map[string]any {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("%s: %d %s", what, r.status, r.body)
	}
	return r.json(t)
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func (e *oidcEnv) userinfo(at string) resp {
	return e.g.call("GET", "/api/v1/oauth2/userinfo", nil, bearer(at))
}

// introspect introspects a token as a's client.
func (e *oidcEnv) introspect(t *testing.T, a rp, tok string) resp {
	return postForm(t, e.g, "/api/v1/oauth2/introspect", a.id, a.secret, url.Values{"token": {tok}})
}

// wantDead checks that an access token is refused everywhere at once.
func (e *oidcEnv) wantDead(t *testing.T, what string, a rp, at string) {
	t.Helper()
	wantExact(t, what+": introspection", e.introspect(t, a, at), 200, errInactive)
	wantExact(t, what+": userinfo", e.userinfo(at), 401, errInvalidToken)
}

func (e *oidcEnv) wantAlive(t *testing.T, what string, a rp, at string) {
	t.Helper()
	if r := e.introspect(t, a, at); r.status != 200 || r.json(t)["active"] != true {
		t.Errorf("%s: introspection: %d %s", what, r.status, r.body)
	}
	if r := e.userinfo(at); r.status != 200 {
		t.Errorf("%s: userinfo: %d %s", what, r.status, r.body)
	}
}

// wantExact checks the status and the body byte for byte.
func wantExact(t *testing.T, what string, r resp, status int, body string) {
	t.Helper()
	if r.status != status || string(r.body) != body {
		t.Errorf("%s: got %d %q\nwant %d %q", what, r.status, r.body, status, body)
	}
	if r.status >= 400 && r.header.Get("Content-Type") != "application/json;charset=UTF-8" {
		t.Errorf("%s: Content-Type %q", what, r.header.Get("Content-Type"))
	}
}

// step sends one request with the browser's cookies and does not follow
// a redirect, wherever it points.
func (b *browser) step(method, u string, form url.Values) page {
	b.t.Helper()
	c := *b.c
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	var req *http.Request
	if form != nil {
		req, _ = http.NewRequest(method, u, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req, _ = http.NewRequest(method, u, nil)
	}
	return (&browser{t: b.t, c: &c}).do(req)
}

// hasSession reports whether the browser holds a session cookie.
func (b *browser) hasSession(g *gh) bool {
	u, _ := url.Parse(g.url)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "gh_session" && c.Value != "" {
			return true
		}
	}
	return false
}

// wantErrorPage checks an error page: the status, the message, and no
// redirect at all.
func wantErrorPage(t *testing.T, what string, p page, status int, msg string) {
	t.Helper()
	if p.status != status || p.location != nil || !strings.Contains(p.body, html.EscapeString(msg)) ||
		!strings.HasPrefix(p.body, "<!doctype html>") {
		t.Errorf("%s: want error page %d %q, got %d location %v\n%.600s", what, status, msg, p.status, p.location, p.body)
	}
}

// wantRedirectError checks an error sent to the application: to its
// redirect URI, in the query (code flow) or the fragment (implicit), with
// exactly error, error_description and the state.
func wantRedirectError(t *testing.T, what string, p page, redirect string, fragment bool, code, desc, state string) {
	t.Helper()
	if p.location == nil {
		t.Errorf("%s: want a redirect with error=%s, got %d\n%.600s", what, code, p.status, p.body)
		return
	}
	got := *p.location
	params := got.Query()
	if fragment {
		params, _ = url.ParseQuery(got.Fragment)
		if got.RawQuery != "" {
			t.Errorf("%s: parameters in the query of an implicit response: %s", what, got.RawQuery)
		}
	} else if got.Fragment != "" {
		t.Errorf("%s: a fragment in a code flow response: %s", what, got.Fragment)
	}
	got.RawQuery, got.Fragment = "", ""
	want := url.Values{"error": {code}, "error_description": {desc}}
	if state != "" {
		want.Set("state", state)
	}
	if got.String() != redirect || params.Encode() != want.Encode() {
		t.Errorf("%s: got %s\nwant %s with %v", what, p.location, redirect, want)
	}
}

// ---- token endpoint ------------------------------------------------------

// tokenShape is the whole default token response, in OneAccess's field
// order: no refresh_token unless the application has a refresh lifetime.
var tokenShape = regexp.MustCompile(`^\{"access_token":"[A-Za-z0-9_-]+","token_type":"Bearer","expires_in":7200,"scope":"openid profile","id_token":"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"\}$`)

func (e *oidcEnv) testTokenResponse(t *testing.T) {
	ctx := context.Background()
	a := e.app(t, "Shape", nil)
	br := newBrowser(t)
	r := e.exchange(t, a, e.signedInCode(t, br, a, nil), nil)
	if r.status != 200 || !tokenShape.Match(r.body) {
		t.Fatalf("token response: %d %s", r.status, r.body)
	}
	for k, want := range map[string]string{"Cache-Control": "no-store", "Pragma": "no-cache", "Content-Type": "application/json;charset=UTF-8"} {
		if got := r.header.Get(k); got != want {
			t.Errorf("token response %s = %q, want %q", k, got, want)
		}
	}
	var body map[string]json.RawMessage
	json.Unmarshal(r.body, &body)
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if strings.Join(keys, " ") != "access_token expires_in id_token scope token_type" {
		t.Errorf("token response fields: %v", keys)
	}
	if string(body["expires_in"]) != "7200" || string(body["token_type"]) != `"Bearer"` || string(body["scope"]) != `"openid profile"` {
		t.Errorf("expires_in %s token_type %s scope %s", body["expires_in"], body["token_type"], body["scope"])
	}
	var idt string
	json.Unmarshal(body["id_token"], &idt)
	tok, err := e.provider.Verifier(&oidc.Config{ClientID: a.id}).Verify(ctx, idt)
	if err != nil || tok.Subject != e.userID || tok.Nonce != "n-1" {
		t.Errorf("ID token: %v (sub %v)", err, tok)
	}

	// Every bad code gets the one body, byte for byte, and no-store.
	code := e.code(t, br, a, nil)
	tokens(t, "exchange", e.exchange(t, a, code, nil))
	r = e.exchange(t, a, code, nil)
	wantExact(t, "used code", r, 400, errInvalidCode)
	if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Pragma") != "no-cache" {
		t.Errorf("error response headers: %v", r.header)
	}
	wantExact(t, "unknown code", e.exchange(t, a, "bm90LWEtY29kZQ", nil), 400, errInvalidCode)
	wantExact(t, "overlong code", e.exchange(t, a, strings.Repeat("x", 300), nil), 400, errInvalidCode)
	other := e.app(t, "Shape other", nil)
	stolen := e.code(t, br, a, nil)
	wantExact(t, "another client's code", e.exchange(t, other, stolen, nil), 400, errInvalidCode)
	// The other client's attempt did not spend it: its own client still can.
	tokens(t, "exchange after another client tried the code", e.exchange(t, a, stolen, nil))
	wantExact(t, "missing code", e.exchange(t, a, "", nil), 400, `{"error":"invalid_request","error_description":"Missing code"}`)

	// With a refresh lifetime, the response has a refresh token; bad ones
	// get OneAccess's refresh body.
	ra := e.app(t, "Shape refresh", map[string]any{"refresh_token_lifetime": 3600})
	rt := tokens(t, "exchange", e.exchange(t, ra, e.code(t, br, ra, nil), nil))
	if str(rt, "refresh_token") == "" || len(rt) != 6 {
		t.Fatalf("with refresh_token_lifetime: %v", rt)
	}
	wantExact(t, "unknown refresh token", e.refresh(ra, "bm90LWEtdG9rZW4"), 400, errInvalidRefresh)
	next := tokens(t, "refresh", e.refresh(ra, str(rt, "refresh_token")))
	if str(next, "refresh_token") == "" || str(next, "refresh_token") == str(rt, "refresh_token") || str(next, "id_token") == "" || len(next) != 6 {
		t.Errorf("refresh response: %v", next)
	}
	wantExact(t, "spent refresh token", e.refresh(ra, str(rt, "refresh_token")), 400, errInvalidRefresh)
	wantExact(t, "another client's refresh token", e.refresh(e.app(t, "Shape refresh 2", map[string]any{"refresh_token_lifetime": 3600}),
		str(next, "refresh_token")), 400, errInvalidRefresh)
	// (That family is revoked by the reuse above; a fresh one shows the
	// other client's attempt spends nothing.)
	fresh := tokens(t, "exchange", e.exchange(t, ra, e.code(t, br, ra, nil), nil))
	wantExact(t, "another client's fresh refresh token", e.refresh(e.app(t, "Shape refresh 3", map[string]any{"refresh_token_lifetime": 3600}),
		str(fresh, "refresh_token")), 400, errInvalidRefresh)
	tokens(t, "refresh after another client tried the token", e.refresh(ra, str(fresh, "refresh_token")))

	// Client authentication.
	bad := a
	bad.secret = "wrong-" + a.secret
	wantExact(t, "wrong client secret", e.exchange(t, bad, e.code(t, br, a, nil), nil), 401, errBadClient)
}

// testCodeReplay: a code exchanged twice revokes what its first exchange
// issued (RFC 6749 section 4.1.2): access token and refresh token.
func (e *oidcEnv) testCodeReplay(t *testing.T) {
	a := e.app(t, "Replay", map[string]any{"refresh_token_lifetime": 3600})
	br := newBrowser(t)
	code := e.signedInCode(t, br, a, nil)
	first := tokens(t, "first exchange", e.exchange(t, a, code, nil))
	at, rt := str(first, "access_token"), str(first, "refresh_token")
	e.wantAlive(t, "before the replay", a, at)
	wantExact(t, "replayed code", e.exchange(t, a, code, nil), 400, errInvalidCode)
	e.wantDead(t, "the first exchange's access token after the replay", a, at)
	wantExact(t, "the first exchange's refresh token after the replay", e.refresh(a, rt), 400, errInvalidRefresh)
	wantExact(t, "introspecting that refresh token", e.introspect(t, a, rt), 200, errInactive)

	// Only that grant: another authorization of the same session lives on.
	other := tokens(t, "another exchange", e.exchange(t, a, e.code(t, br, a, nil), nil))
	e.wantAlive(t, "a token of another grant", a, str(other, "access_token"))
}

// testUserGone: disabling or deleting a user ends its session, refuses
// its pending codes and refresh tokens, and stops its access tokens at
// once.
func (e *oidcEnv) testUserGone(t *testing.T, deleted bool) {
	name := "bob"
	if deleted {
		name = "carol"
	}
	uid := e.newUser(t, name)
	a := e.app(t, "Gone "+name, map[string]any{"refresh_token_lifetime": 3600})
	br := newBrowser(t)
	p := br.signIn(e.authURL(a, nil), name, alicePassword)
	issued := tokens(t, "exchange", e.exchange(t, a, codeOf(t, p), nil))
	pending := e.code(t, br, a, nil)
	e.wantAlive(t, "before", a, str(issued, "access_token"))

	if deleted {
		if r := e.g.call("DELETE", "/api/v2/tenant/users/"+uid, nil, e.admin); r.status != 204 {
			t.Fatalf("delete user: %d %s", r.status, r.body)
		}
	} else {
		wantError(t, "disable user", e.g.call("PUT", "/api/v2/tenant/users/"+uid+"/disable", nil, e.admin), 200, `{"user_id":"`+uid+`"}`)
	}
	e.wantDead(t, "an issued access token", a, str(issued, "access_token"))
	wantExact(t, "an issued refresh token", e.refresh(a, str(issued, "refresh_token")), 400, errInvalidRefresh)
	wantExact(t, "a pending code", e.exchange(t, a, pending, nil), 400, errInvalidCode)

	// The session yields no more codes: silent authorization fails, an
	// interactive one asks to sign in, and signing in fails.
	wantRedirectError(t, "prompt=none", br.get(e.authURL(a, url.Values{"prompt": {"none"}})), cb, false,
		"login_required", "The user is not signed in.", "st-1")
	p = br.get(e.authURL(a, nil))
	if p.location != nil || p.status != 200 || !strings.Contains(p.body, pageLogin) {
		t.Fatalf("authorize with the session of a gone user: %d %v", p.status, p.location)
	}
	msg := "This account is disabled."
	if deleted {
		msg = "Invalid account name or password."
	}
	p = br.submit(p, "/api/v1/login/form", url.Values{"username": {name}, "password": {alicePassword}})
	if p.status != 401 || p.location != nil || !strings.Contains(p.body, msg) || !strings.Contains(p.body, pageLogin) {
		t.Errorf("sign-in of a gone user: %d %v\n%.800s", p.status, p.location, p.body)
	}
}

// ---- authorization endpoint matrix (SQLite) ------------------------------

func (e *oidcEnv) testClientAuth(t *testing.T) {
	a := e.app(t, "Auth", nil)
	br := newBrowser(t)
	code := e.signedInCode(t, br, a, nil)
	bad := a
	bad.secret = "x" + a.secret
	wantExact(t, "wrong secret in the form", e.exchange(t, bad, code, nil), 401, errBadClient)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {cb}}
	wantExact(t, "wrong secret by Basic", postForm(t, e.g, "/api/v1/oauth2/token", a.id, "x"+a.secret, form), 401, errBadClient)
	wantExact(t, "no secret", e.exchange(t, a, code, url.Values{"client_secret": {""}}), 401, errBadClient)
	wantExact(t, "unknown client", e.exchange(t, rp{id: "nobody", secret: "x", redirect: cb}, code, nil), 401, errBadClient)
	// The failed attempts did not spend the code.
	tokens(t, "exchange after failed client authentication", postForm(t, e.g, "/api/v1/oauth2/token", a.id, a.secret, form))
}

func (e *oidcEnv) testDisabledApp(t *testing.T) {
	a := e.app(t, "Disabled", nil)
	br := newBrowser(t)
	code := e.signedInCode(t, br, a, nil)
	wantError(t, "disable app", e.g.call("PUT", appsPath+"/"+a.appID+"/disable", nil, e.admin), 200, `{"application_id":"`+a.appID+`"}`)
	wantErrorPage(t, "authorize at a disabled app", br.step("GET", e.authURL(a, nil), nil), 400, pageUnknownClient)
	wantExact(t, "token at a disabled app", e.exchange(t, a, code, nil), 401, errBadClient)
}

func (e *oidcEnv) testRedirectURI(t *testing.T) {
	a := e.app(t, "Redirects", nil)
	br := newBrowser(t)
	anon := newBrowser(t)
	e.signedInCode(t, br, a, nil)
	for _, b := range []*browser{anon, br} {
		wantErrorPage(t, "unregistered redirect_uri", b.step("GET", e.authURL(a, url.Values{"redirect_uri": {cb + "/other"}}), nil), 400, pageBadRedirect)
		// A bad redirect_uri wins over every other error: nothing goes to it.
		wantErrorPage(t, "unregistered redirect_uri and bad response_type", b.step("GET",
			e.authURL(a, url.Values{"redirect_uri": {"http://evil.example/cb"}, "response_type": {"bogus"}}), nil), 400, pageBadRedirect)
		wantErrorPage(t, "unknown client_id", b.step("GET", e.authURL(rp{id: "no-such-client", redirect: cb}, nil), nil), 400, pageUnknownClient)
		wantErrorPage(t, "missing client_id", b.step("GET", e.authURL(a, url.Values{"client_id": {""}}), nil), 400, pageUnknownClient)
	}
	// redirect_uri may be omitted when one is registered.
	codeOf(t, br.get(e.authURL(a, url.Values{"redirect_uri": {""}})))
	two := e.app(t, "Redirects two", map[string]any{"redirect_uris": []string{cb, cb + "2"}})
	wantErrorPage(t, "no redirect_uri with two registered", br.step("GET", e.authURL(two, url.Values{"redirect_uri": {""}}), nil), 400, pageBadRedirect)

	// At the token endpoint the redirect_uri must be the authorization's.
	code := e.code(t, br, two, nil)
	wantExact(t, "redirect_uri mismatch at the token endpoint", e.exchange(t, two, code, url.Values{"redirect_uri": {cb + "2"}}), 400, errInvalidCode)
}

// testOpenRedirect: no unregistered target ever receives a redirect,
// whatever the matching mode and whether a session exists.
func (e *oidcEnv) testOpenRedirect(t *testing.T) {
	exact := e.app(t, "Exact", nil)
	domain := e.app(t, "Domain", map[string]any{"redirect_uri_matching": "domain"})
	signed := newBrowser(t)
	e.signedInCode(t, signed, exact, nil)
	attacks := []string{
		"http://evil.example/cb",
		"https://evil.example/cb",
		"http://rp.example.test@evil.example/cb",
		"http://rp.example.test:x@evil.example/cb",
		"http://rp.example.test.evil.com/cb",
		"https://rp.example.test.evil.com/cb",
		"http://evil.example/http://rp.example.test/cb",
		"http://evil.example?http://rp.example.test/cb",
		"//evil.example/cb",
		"//rp.example.test/cb",
		"/cb",
		"javascript:alert(1)",
		"javascript://rp.example.test/%0aalert(1)",
		"JavaScript://rp.example.test/cb",
		"data:text/html,<script>alert(1)</script>",
		"http://rp.example.test/cb#@evil.example",
		"http://rp.example.test:8080/cb",
		"https://rp.example.test/cb",
		`http://rp.example.test\@evil.example/cb`,
		`http:/\evil.example/cb`,
		"http:evil.example/cb",
		"http://rp.example.test%2eevil.example/cb",
		"http://rp.example.test%40evil.example/cb",
		"http://127.0.0.1/cb",
		"http://rp.example.test/cb\r\nLocation: http://evil.example/",
		"http://rp.example.test/cb\x00",
		" http://rp.example.test/cb",
	}
	for _, a := range []rp{exact, domain} {
		for _, b := range []*browser{newBrowser(t), signed} {
			for _, target := range attacks {
				p := b.step("GET", e.authURL(a, url.Values{"redirect_uri": {target}}), nil)
				msg := pageBadRedirect
				if strings.ContainsAny(target, "\r\n\x00") {
					msg = "The redirect_uri parameter holds characters that are not allowed."
				}
				wantErrorPage(t, "redirect_uri "+target, p, 400, msg)
			}
		}
	}
	// Domain matching does let any URL on the registered origin through.
	p := signed.get(e.authURL(domain, url.Values{"redirect_uri": {"http://rp.example.test/other?x=1"}}))
	if p.location == nil || p.location.Host != rpHost || p.location.Path != "/other" || p.location.Query().Get("x") != "1" ||
		p.location.Query().Get("code") == "" {
		t.Errorf("domain matching, same origin: %d %v", p.status, p.location)
	}
}

func (e *oidcEnv) testPKCE(t *testing.T) {
	a := e.app(t, "PKCE", nil)
	br := newBrowser(t)
	e.signedInCode(t, br, a, nil)
	verifier := oauth2.GenerateVerifier()
	challenge := oauth2.S256ChallengeFromVerifier(verifier)
	withPKCE := url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	wantExact(t, "verifier mismatch", e.exchange(t, a, e.code(t, br, a, withPKCE), url.Values{"code_verifier": {oauth2.GenerateVerifier()}}), 400, errInvalidCode)
	wantExact(t, "verifier missing", e.exchange(t, a, e.code(t, br, a, withPKCE), nil), 400, errInvalidCode)
	wantExact(t, "verifier too short", e.exchange(t, a, e.code(t, br, a, withPKCE), url.Values{"code_verifier": {"abc"}}), 400, errInvalidCode)
	wantExact(t, "verifier without a challenge", e.exchange(t, a, e.code(t, br, a, nil), url.Values{"code_verifier": {verifier}}), 400, errInvalidCode)
	tokens(t, "the right verifier", e.exchange(t, a, e.code(t, br, a, withPKCE), url.Values{"code_verifier": {verifier}}))

	for _, c := range []struct {
		what   string
		params url.Values
		desc   string
	}{
		{"plain method", url.Values{"code_challenge": {verifier}, "code_challenge_method": {"plain"}}, "The code_challenge_method must be S256."},
		{"no method (plain by default)", url.Values{"code_challenge": {challenge}}, "The code_challenge_method must be S256."},
		{"method without challenge", url.Values{"code_challenge_method": {"S256"}}, "The code_challenge_method needs a code_challenge."},
		{"malformed challenge", url.Values{"code_challenge": {"short"}, "code_challenge_method": {"S256"}}, "The code_challenge must be the base64url SHA-256 of the verifier."},
	} {
		wantRedirectError(t, c.what, br.step("GET", e.authURL(a, c.params), nil), cb, false, "invalid_request", c.desc, "st-1")
	}

	// A public client must send a challenge, and cannot skip the verifier.
	pub := e.app(t, "Public", map[string]any{"token_endpoint_auth_method": "none"})
	wantRedirectError(t, "public client without PKCE", br.step("GET", e.authURL(pub, nil), nil), cb, false,
		"invalid_request", "This application requires PKCE (code_challenge with S256).", "st-1")
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {pub.id}, "redirect_uri": {cb}}
	form.Set("code", e.code(t, br, pub, withPKCE))
	wantExact(t, "public client without verifier", e.tokenCall(form), 400, errInvalidCode)
	form.Set("code", e.code(t, br, pub, withPKCE))
	form.Set("code_verifier", verifier)
	if r := e.tokenCall(form); r.status != 200 || str(r.json(t), "access_token") == "" {
		t.Errorf("public client with PKCE: %d %s", r.status, r.body)
	}
}

func (e *oidcEnv) testOversized(t *testing.T) {
	a := e.app(t, "Sizes", nil)
	br := newBrowser(t)
	for _, b := range []*browser{newBrowser(t), br} {
		wantErrorPage(t, "state of 5000", b.step("GET", e.authURL(a, url.Values{"state": {strings.Repeat("s", 5000)}}), nil), 400, "The state parameter is too long.")
		wantErrorPage(t, "scope of 3000", b.step("GET", e.authURL(a, url.Values{"scope": {strings.Repeat("openid ", 430)}}), nil), 400, "The scope parameter is too long.")
		wantErrorPage(t, "repeated client_id", b.step("GET", e.authURL(a, url.Values{"client_id": {a.id, a.id}}), nil), 400, "The client_id parameter is repeated.")
		wantErrorPage(t, "repeated redirect_uri", b.step("GET", e.authURL(a, url.Values{"redirect_uri": {cb, cb}}), nil), 400, "The redirect_uri parameter is repeated.")
		wantErrorPage(t, "nonce of 3000", b.step("GET", e.authURL(a, url.Values{"nonce": {strings.Repeat("n", 3000)}}), nil), 400, "The nonce parameter is too long.")
		wantErrorPage(t, "client_id of 3000", b.step("GET", e.authURL(a, url.Values{"client_id": {strings.Repeat("c", 3000)}}), nil), 400, "The client_id parameter is too long.")
		// A state that could not come back unchanged is refused.
		wantErrorPage(t, "state not UTF-8", b.step("GET", e.authURL(a, url.Values{"state": {"\xff\xfe"}}), nil), 400, "The state parameter holds characters that are not allowed.")
		wantErrorPage(t, "state with a newline", b.step("GET", e.authURL(a, url.Values{"state": {"a\nb"}}), nil), 400, "The state parameter holds characters that are not allowed.")
	}
	// The largest request accepted makes the whole trip through sign-in
	// and comes back unchanged: every parameter at its limit, of the
	// characters JSON escapes.
	big := url.Values{"state": {strings.Repeat("<\"&\\", 4096/4)}, "nonce": {strings.Repeat("\"", 2048)},
		"login_hint": {strings.Repeat("<", 2048)}, "prompt": {strings.Repeat("&", 2048)}}
	p := br.signIn(e.authURL(a, big), "alice", alicePassword)
	if p.location == nil || p.location.Query().Get("state") != big.Get("state") {
		t.Fatalf("the largest request accepted did not survive sign-in: %d %v\n%.600s", p.status, p.location, p.body)
	}
	r := e.exchange(t, a, codeOf(t, p), nil)
	tok, err := e.provider.Verifier(&oidc.Config{ClientID: a.id}).Verify(context.Background(), str(tokens(t, "exchange", r), "id_token"))
	if err != nil || tok.Nonce != big.Get("nonce") {
		t.Errorf("nonce after the trip: %v", err)
	}
	// A POST body larger than the server takes is refused, not a 500.
	form := url.Values{"client_id": {a.id}, "x": {strings.Repeat("x", 2<<20)}}
	if res, err := http.PostForm(e.issuer+"/authorize", form); err == nil {
		res.Body.Close()
		if res.StatusCode != 400 && res.StatusCode != 413 {
			t.Errorf("a 2 MiB authorization request: %d", res.StatusCode)
		}
	} // else the server closed the connection while the body was sent: fine too

}

func (e *oidcEnv) testPrompt(t *testing.T) {
	a := e.app(t, "Prompt", nil)
	anon := newBrowser(t)
	wantRedirectError(t, "prompt=none without a session", anon.step("GET", e.authURL(a, url.Values{"prompt": {"none"}}), nil), cb, false,
		"login_required", "The user is not signed in.", "st-1")
	wantRedirectError(t, "prompt=none with another prompt", anon.step("GET", e.authURL(a, url.Values{"prompt": {"none login"}}), nil), cb, false,
		"invalid_request", "The prompt none cannot be combined with other values.", "st-1")
	wantRedirectError(t, "max_age not a number", anon.step("GET", e.authURL(a, url.Values{"max_age": {"soon"}}), nil), cb, false,
		"invalid_request", "The max_age must be a number of seconds.", "st-1")

	br := newBrowser(t)
	e.signedInCode(t, br, a, nil)
	codeOf(t, br.get(e.authURL(a, url.Values{"prompt": {"none"}})))
	// prompt=login and max_age=0 ask again, right after a sign-in too; the
	// new sign-in then yields the code.
	for _, extra := range []url.Values{{"prompt": {"login"}}, {"max_age": {"0"}}, {"prompt": {"select_account login"}}} {
		p := br.get(e.authURL(a, extra))
		if p.location != nil || p.status != 200 || !strings.Contains(p.body, pageLogin) {
			t.Errorf("%v with a session: want the sign-in page, got %d %v", extra, p.status, p.location)
			continue
		}
		p = br.submit(p, "/api/v1/login/form", url.Values{"username": {"alice"}, "password": {alicePassword}})
		code := codeOf(t, p)
		if p.location.Query().Get("state") != "st-1" {
			t.Errorf("%v: state %v", extra, p.location)
		}
		tokens(t, "exchange after re-authentication", e.exchange(t, a, code, nil))
	}
	// A generous max_age does not.
	codeOf(t, br.get(e.authURL(a, url.Values{"max_age": {"3600"}})))
}

func (e *oidcEnv) testResponseType(t *testing.T) {
	a := e.app(t, "Response types", nil)
	br := newBrowser(t)
	e.signedInCode(t, br, a, nil)
	for _, b := range []*browser{newBrowser(t), br} {
		wantRedirectError(t, "no response_type", b.step("GET", e.authURL(a, url.Values{"response_type": {""}}), nil), cb, false,
			"invalid_request", "Missing response_type", "st-1")
		// The error goes where the response type's answer would: the
		// fragment for those returning tokens, else the query.
		for _, rt := range []string{"token", "code id_token", "code token", "none", "bogus"} {
			frag := rt != "none" && rt != "bogus"
			wantRedirectError(t, "response_type="+rt, b.step("GET", e.authURL(a, url.Values{"response_type": {rt}}), nil), cb, frag,
				"unsupported_response_type", `The response_type must be code, id_token or "id_token token".`, "st-1")
		}
		// The implicit flow is off by default: unauthorized_client, in
		// the fragment where its answer would go.
		for _, rt := range []string{"id_token", "id_token token"} {
			wantRedirectError(t, "response_type="+rt+" (implicit off)", b.step("GET", e.authURL(a, url.Values{"response_type": {rt}}), nil), cb, true,
				"unauthorized_client", "The application may not use the implicit flow.", "st-1")
		}
		wantRedirectError(t, "response_mode=form_post", b.step("GET", e.authURL(a, url.Values{"response_mode": {"form_post"}}), nil), cb, false,
			"invalid_request", "The response_mode must be query or fragment.", "st-1")
		wantRedirectError(t, "request object", b.step("GET", e.authURL(a, url.Values{"request": {"eyJhbGciOiJub25lIn0.e30."}}), nil), cb, false,
			"request_not_supported", "Request objects are not supported.", "st-1")
	}
}

func (e *oidcEnv) testImplicit(t *testing.T) {
	ctx := context.Background()
	a := e.app(t, "Implicit", map[string]any{"grant_types": []string{"authorization_code", "implicit"}})
	br := newBrowser(t)
	e.signedInCode(t, br, a, nil)
	verifier := e.provider.Verifier(&oidc.Config{ClientID: a.id})

	p := br.get(e.authURL(a, url.Values{"response_type": {"id_token"}, "nonce": {"imp-1"}}))
	frag := fragmentOf(t, p)
	if len(frag) != 2 || frag.Get("state") != "st-1" || frag.Get("id_token") == "" {
		t.Fatalf("response_type=id_token: %v", frag)
	}
	idt, err := verifier.Verify(ctx, frag.Get("id_token"))
	if err != nil || idt.Nonce != "imp-1" || idt.Subject != e.userID || idt.AccessTokenHash != "" {
		t.Errorf("implicit ID token: %v %+v", err, idt)
	}

	p = br.get(e.authURL(a, url.Values{"response_type": {"id_token token"}, "nonce": {"imp-2"}}))
	frag = fragmentOf(t, p)
	keys := []string{}
	for k := range frag {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if strings.Join(keys, " ") != "access_token expires_in id_token state token_type" || frag.Get("token_type") != "Bearer" ||
		frag.Get("expires_in") != "7200" {
		t.Fatalf(`response_type="id_token token": %v`, frag)
	}
	at := frag.Get("access_token")
	idt, err = verifier.Verify(ctx, frag.Get("id_token"))
	if err != nil || idt.Nonce != "imp-2" {
		t.Fatalf("implicit ID token with access token: %v", err)
	}
	sum := sha256.Sum256([]byte(at))
	if idt.AccessTokenHash != base64.RawURLEncoding.EncodeToString(sum[:16]) || idt.VerifyAccessToken(at) != nil {
		t.Errorf("at_hash %q does not match the access token", idt.AccessTokenHash)
	}
	if r := e.userinfo(at); r.status != 200 || str(r.json(t), "sub") != e.userID {
		t.Errorf("userinfo with the implicit access token: %d %s", r.status, r.body)
	}
	// "token id_token" is the same response type.
	if f := fragmentOf(t, br.get(e.authURL(a, url.Values{"response_type": {"token id_token"}, "nonce": {"imp-3"}}))); f.Get("access_token") == "" {
		t.Errorf(`response_type="token id_token": %v`, f)
	}

	for _, rt := range []string{"id_token", "id_token token"} {
		wantRedirectError(t, rt+" without nonce", br.step("GET", e.authURL(a, url.Values{"response_type": {rt}, "nonce": {""}}), nil), cb, true,
			"invalid_request", "The implicit flow needs a nonce.", "st-1")
		wantRedirectError(t, rt+" without openid", br.step("GET", e.authURL(a, url.Values{"response_type": {rt}, "scope": {"profile"}}), nil), cb, true,
			"invalid_scope", "The implicit flow needs the openid scope.", "st-1")
	}
	// Without a session, prompt=none fails in the fragment too.
	wantRedirectError(t, "implicit prompt=none without a session", newBrowser(t).step("GET",
		e.authURL(a, url.Values{"response_type": {"id_token"}, "prompt": {"none"}}), nil), cb, true, "login_required", "The user is not signed in.", "st-1")
}

// fragmentOf returns the parameters of an implicit response.
func fragmentOf(t *testing.T, p page) url.Values {
	t.Helper()
	if p.location == nil || p.location.Host != rpHost || p.location.RawQuery != "" {
		t.Fatalf("want a redirect to the application with a fragment, got %d %v\n%.600s", p.status, p.location, p.body)
	}
	v, err := url.ParseQuery(p.location.Fragment)
	if err != nil {
		t.Fatalf("fragment %q: %v", p.location.Fragment, err)
	}
	return v
}

func (e *oidcEnv) testScopeAndGrant(t *testing.T) {
	a := e.app(t, "Scopes", nil)
	br := newBrowser(t)
	e.signedInCode(t, br, a, nil)
	for _, c := range []struct{ scope, bad string }{{"openid admin", "admin"}, {"openid address", "address"}, {"get_user_info", "get_user_info"}} {
		wantRedirectError(t, "scope "+c.scope, br.step("GET", e.authURL(a, url.Values{"scope": {c.scope}}), nil), cb, false,
			"invalid_scope", "The scope "+c.bad+" is not allowed for this application.", "st-1")
	}
	// Grants the application may not use.
	code := e.code(t, br, a, nil)
	for _, g := range []string{"client_credentials", "refresh_token"} {
		form := url.Values{"grant_type": {g}, "client_id": {a.id}, "client_secret": {a.secret}, "refresh_token": {"x"}}
		wantExact(t, g+" not allowed", e.tokenCall(form), 400, `{"error":"unauthorized_client","error_description":"The application may not use the `+g+` grant."}`)
	}
	wantExact(t, "unknown grant", e.tokenCall(url.Values{"grant_type": {"password"}, "client_id": {a.id}, "client_secret": {a.secret}}), 400,
		`{"error":"unsupported_grant_type","error_description":"Unsupported grant type: password"}`)
	wantExact(t, "no grant", e.tokenCall(url.Values{"client_id": {a.id}, "client_secret": {a.secret}}), 400,
		`{"error":"invalid_request","error_description":"Missing grant type"}`)
	tokens(t, "the code survives the refused grants", e.exchange(t, a, code, nil))

	m2m := e.app(t, "Machine", map[string]any{"grant_types": []string{"client_credentials"}, "redirect_uris": []string{cb}})
	wantRedirectError(t, "code flow for a client_credentials app", br.step("GET", e.authURL(m2m, nil), nil), cb, false,
		"unauthorized_client", "The application may not use the authorization code flow.", "st-1")
}

func (e *oidcEnv) testConsent(t *testing.T) {
	a := e.app(t, "Consent", map[string]any{"require_consent": true})
	br := newBrowser(t)
	p := br.signIn(e.authURL(a, nil), "alice", alicePassword)
	wantConsentPage(t, "first authorization", p)
	wantRedirectError(t, "deny", br.submit(p, "/api/v1/oauth2/consent", url.Values{"decision": {"deny"}}), cb, false,
		"access_denied", "The user denied access.", "st-1")
	// Denying is not remembered; prompt=none cannot ask.
	wantRedirectError(t, "prompt=none before consent", br.get(e.authURL(a, url.Values{"prompt": {"none"}})), cb, false,
		"consent_required", "The user has not consented.", "st-1")
	p = br.get(e.authURL(a, nil))
	wantConsentPage(t, "after deny", p)
	// The form is protected against cross-site posts.
	wantErrorPage(t, "consent without csrf", br.submit(p, "/api/v1/oauth2/consent", url.Values{"decision": {"allow"}, "csrf": {""}}), 403,
		"The consent form expired or came from another site.")
	wantErrorPage(t, "consent with a forged request", br.submit(p, "/api/v1/oauth2/consent", url.Values{"decision": {"allow"}, "ar": {"Zm9yZ2Vk"}}), 400,
		"This consent form is invalid or has expired. Go back to the application and start again.")
	code := codeOf(t, br.submit(p, "/api/v1/oauth2/consent", url.Values{"decision": {"allow"}}))
	tokens(t, "exchange after consent", e.exchange(t, a, code, nil))

	// Remembered: no page for the same scopes, or fewer.
	codeOf(t, br.get(e.authURL(a, nil)))
	codeOf(t, br.get(e.authURL(a, url.Values{"scope": {"openid"}, "prompt": {"none"}})))
	// prompt=consent asks again, and so does a wider scope.
	p = br.get(e.authURL(a, url.Values{"prompt": {"consent"}}))
	wantConsentPage(t, "prompt=consent", p)
	codeOf(t, br.submit(p, "/api/v1/oauth2/consent", url.Values{"decision": {"allow"}}))
	p = br.get(e.authURL(a, url.Values{"scope": {"openid profile email"}}))
	wantConsentPage(t, "wider scope", p)
	if !strings.Contains(p.body, "See your e-mail address") {
		t.Errorf("consent page does not list the e-mail scope:\n%s", p.body)
	}
}

func wantConsentPage(t *testing.T, what string, p page) {
	t.Helper()
	if p.location != nil || p.status != 200 || !strings.Contains(p.body, pageConsent) || !strings.Contains(p.body, "Allow access?") {
		t.Fatalf("%s: want the consent page, got %d %v\n%.600s", what, p.status, p.location, p.body)
	}
}

func (e *oidcEnv) testSignInForm(t *testing.T) {
	a := e.app(t, "Sign-in", nil)
	other := newBrowser(t)
	otherPage := other.get(e.authURL(a, nil))
	foreignCSRF := hiddenField(otherPage, "csrf")

	br := newBrowser(t)
	p := br.get(e.authURL(a, nil))
	if p.status != 200 || !strings.Contains(p.body, pageLogin) {
		t.Fatalf("sign-in page: %d", p.status)
	}
	creds := url.Values{"username": {"alice"}, "password": {alicePassword}}
	for _, c := range []struct{ what, csrf string }{{"no csrf", ""}, {"wrong csrf", "d3Jvbmc"}, {"another browser's csrf", foreignCSRF}} {
		fields := url.Values{"csrf": {c.csrf}}
		for k, v := range creds {
			fields[k] = v
		}
		got := br.submit(p, "/api/v1/login/form", fields)
		wantErrorPage(t, c.what, got, 403, "The sign-in form expired or came from another site.")
		if br.hasSession(e.g) {
			t.Fatalf("%s: a session cookie was set", c.what)
		}
	}
	wantRedirectError(t, "prompt=none after the refused posts", br.step("GET", e.authURL(a, url.Values{"prompt": {"none"}}), nil), cb, false,
		"login_required", "The user is not signed in.", "st-1")

	got := br.submit(p, "/api/v1/login/form", url.Values{"username": {"alice"}, "password": {"wrong" + alicePassword}})
	if got.status != 401 || got.location != nil || !strings.Contains(got.body, "Invalid account name or password.") || !strings.Contains(got.body, pageLogin) ||
		!strings.Contains(got.body, `value="alice"`) || br.hasSession(e.g) {
		t.Fatalf("wrong password: %d %v\n%.800s", got.status, got.location, got.body)
	}
	got = br.submit(got, "/api/v1/login/form", url.Values{"username": {"nobody"}, "password": {alicePassword}})
	if got.status != 401 || !strings.Contains(got.body, "Invalid account name or password.") {
		t.Errorf("unknown user: %d", got.status)
	}
	// The page after a failure still signs in.
	codeOf(t, br.submit(got, "/api/v1/login/form", creds))

	for _, login := range []string{aliceEmail, strings.ToUpper(aliceEmail), aliceMobile, "+8613800001111"} {
		b := newBrowser(t)
		code := codeOf(t, b.signIn(e.authURL(a, nil), login, alicePassword))
		idt, err := e.provider.Verifier(&oidc.Config{ClientID: a.id}).Verify(context.Background(),
			str(tokens(t, "exchange", e.exchange(t, a, code, nil)), "id_token"))
		if err != nil || idt.Subject != e.userID {
			t.Errorf("sign-in as %s: %v", login, err)
		}
	}
}

func hiddenField(p page, name string) string {
	for _, m := range hiddenRE.FindAllStringSubmatch(p.body, -1) {
		if m[1] == name {
			return html.UnescapeString(m[2])
		}
	}
	return ""
}

func (e *oidcEnv) testGlobalLogout(t *testing.T) {
	a := e.app(t, "Logout", map[string]any{"post_logout_redirect_uris": []string{"http://" + rpHost + "/bye"}})
	b := e.app(t, "Logout other", map[string]any{"redirect_uris": []string{"http://" + rpHost + "/other"}})
	gone := e.app(t, "Logout disabled", map[string]any{"redirect_uris": []string{"http://" + rpHost + "/gone"}})
	wantError(t, "disable app", e.g.call("PUT", appsPath+"/"+gone.appID+"/disable", nil, e.admin), 200, `{"application_id":"`+gone.appID+`"}`)
	br := newBrowser(t)
	e.signedInCode(t, br, a, nil)
	logout := e.g.url + "/api/v1/logout?redirect_url="
	for _, target := range []string{"http://evil.example/", "http://" + rpHost + "/bye/x", "http://" + rpHost + "/gone", "//evil.example/", "javascript:alert(1)"} {
		wantErrorPage(t, "logout to "+target, br.step("GET", logout+url.QueryEscape(target), nil), 400, "The redirect_url is not registered for any application.")
	}
	// With client_id, only that application's URLs.
	wantErrorPage(t, "logout to another app's URL", br.step("GET", logout+url.QueryEscape("http://"+rpHost+"/other")+"&client_id="+a.id, nil), 400,
		"The redirect_url is not registered for any application.")
	codeOf(t, br.get(e.authURL(a, url.Values{"prompt": {"none"}})))

	// A redirect URI or post-logout URI of any application is fine.
	for _, target := range []string{"http://" + rpHost + "/bye", b.redirect} {
		p := br.step("GET", logout+url.QueryEscape(target), nil)
		if p.status != 302 || p.location == nil || p.location.String() != target || br.hasSession(e.g) {
			t.Errorf("logout to %s: %d %v (session cookie kept: %v)", target, p.status, p.location, br.hasSession(e.g))
		}
		wantRedirectError(t, "prompt=none after logout", br.step("GET", e.authURL(a, url.Values{"prompt": {"none"}}), nil), cb, false,
			"login_required", "The user is not signed in.", "st-1")
		e.signedInCode(t, br, a, nil)
	}
	// The session is gone on the server, not only in this browser.
	stolen := newBrowser(t)
	e.signedInCode(t, stolen, a, nil)
	u, _ := url.Parse(e.g.url)
	jar := stolen.c.Jar.Cookies(u)
	stolen.step("GET", e.g.url+"/api/v1/logout", nil)
	replay := newBrowser(t)
	replay.c.Jar.SetCookies(u, jar)
	wantRedirectError(t, "a session cookie kept past logout", replay.step("GET", e.authURL(a, url.Values{"prompt": {"none"}}), nil), cb, false,
		"login_required", "The user is not signed in.", "st-1")
	if p := newBrowser(t).step("GET", e.g.url+"/api/v1/logout", nil); p.status != 302 || p.location == nil || p.location.Path != "/api/v1/login" {
		t.Errorf("logout without redirect_url: %d %v", p.status, p.location)
	}
}
