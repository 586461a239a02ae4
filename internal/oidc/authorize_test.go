package oidc

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/authn"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// fakeClient is an application with OneAccess's default settings and the
// given redirect URIs, changed by opts.
func fakeClient(redirects []string, opts func(*apps.OIDCSettings)) *client {
	s := apps.DefaultOIDCSettings(storage.ProtocolOIDC)
	s.RedirectURIs = redirects
	if opts != nil {
		opts(&s)
	}
	app := &apps.App{Application: storage.Application{TenantID: "t1", ID: "app-1", Name: "Payroll", Protocol: storage.ProtocolOIDC,
		ClientID: "Qx7kPz2mWc9rTb4nLs8vYh3dJf6gKa1E"}, OIDC: s}
	return &client{app: app}
}

func testProvider(t testing.TB, now time.Time) *Provider {
	s, err := secret.NewSealer("unit-test-secret-key-0123456789abcdef-0123")
	if err != nil {
		t.Fatal(err)
	}
	return &Provider{Sealer: s, Now: func() time.Time { return now }}
}

// TestNeedsSignIn pins when a session answers a request, to the second:
// prompt=login and max_age=0 ask again even right after a sign-in, and a
// sign-in made for the request always answers it, even a second later.
func TestNeedsSignIn(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	sess := func(auth time.Time) *storage.Session { return &storage.Session{AuthTime: auth} }
	req := func(prompt string, maxAge int64) *authRequest {
		return &authRequest{Prompt: prompt, MaxAge: maxAge, CreatedAt: t0.Unix()}
	}
	cases := []struct {
		what    string
		ar      *authRequest
		sess    *storage.Session
		now     time.Time
		resumed bool
		want    bool
	}{
		{"no session", req("", -1), nil, t0, false, true},
		{"no session, resumed", req("", -1), nil, t0, true, true},
		{"session, nothing asked", req("", -1), sess(t0.Add(-time.Hour)), t0, false, false},
		{"prompt=login, session an hour old", req("login", -1), sess(t0.Add(-time.Hour)), t0, false, true},
		{"prompt=login, session begun in the same second", req("login", -1), sess(t0.Add(300 * time.Millisecond)), t0.Add(400 * time.Millisecond), false, true},
		{"prompt=login, signed in for the request", req("login", -1), sess(t0.Add(2 * time.Second)), t0.Add(2 * time.Second), true, false},
		{"prompt=login, resumed with the old session", req("login", -1), sess(t0.Add(-time.Second)), t0.Add(5 * time.Second), true, true},
		{"prompt=select_account login", req("select_account login", -1), sess(t0), t0, false, true},
		{"max_age=0, session begun in the same second", req("", 0), sess(t0), t0.Add(100 * time.Millisecond), false, true},
		{"max_age=0, a second ticks between sign-in and resume", req("", 0), sess(t0.Add(999 * time.Millisecond)), t0.Add(1001 * time.Millisecond), true, false},
		{"max_age=0, resumed with the old session", req("", 0), sess(t0.Add(-10 * time.Second)), t0.Add(time.Second), true, true},
		{"max_age=60, session 30 s old", req("", 60), sess(t0.Add(-30 * time.Second)), t0, false, false},
		{"max_age=60, session 61 s old", req("", 60), sess(t0.Add(-61 * time.Second)), t0, false, true},
		{"max_age=60, session 61 s old, resumed", req("", 60), sess(t0.Add(-61 * time.Second)), t0, true, true},
		{"max_age=1, signed in for the request, resumed 3 s later", req("", 1), sess(t0), t0.Add(3 * time.Second), true, false},
	}
	for _, c := range cases {
		if got := c.ar.needsSignIn(c.sess, c.now, c.resumed); got != c.want {
			t.Errorf("%s: needsSignIn = %v, want %v", c.what, got, c.want)
		}
	}
}

// TestErrorResponseMode: errors go where the response type's answer would
// go; an unknown or missing response type answers in the query.
func TestErrorResponseMode(t *testing.T) {
	for rt, fragment := range map[string]bool{"code": false, "": false, "none": false, "bogus": false, "code bogus": false,
		"id_token": true, "id_token token": true, "token": true, "code id_token": true, "code token": true} {
		if got := (&authRequest{ResponseType: rt}).implicit(); got != fragment {
			t.Errorf("response_type %q: fragment = %v, want %v", rt, got, fragment)
		}
	}
}

// TestOAuthErrorBody: OneAccess's error body exactly, with no trailing
// newline, and the headers of RFC 6749 section 5.2.
func TestOAuthErrorBody(t *testing.T) {
	for _, c := range []struct {
		e    *oauthError
		body string
	}{
		{errInvalidCode, `{"error":"invalid_grant","error_description":"Invalid authorization code"}`},
		{errInvalidRefresh, `{"error":"invalid_grant","error_description":"Invalid refresh token"}`},
		{errBadClient, `{"error":"invalid_client","error_description":"Bad client credentials"}`},
		{&oauthError{400, "unsupported_grant_type", `Unsupported grant type: <"x">`}, `{"error":"unsupported_grant_type","error_description":"Unsupported grant type: \u003c\"x\"\u003e"}`},
		{&oauthError{400, "invalid_request", ""}, `{"error":"invalid_request"}`},
	} {
		w := httptest.NewRecorder()
		writeOAuthError(w, c.e)
		if w.Code != c.e.status || w.Body.String() != c.body || w.Header().Get("Cache-Control") != "no-store" ||
			w.Header().Get("Pragma") != "no-cache" || w.Header().Get("Content-Type") != "application/json;charset=UTF-8" {
			t.Errorf("%s: %d %q %v", c.e.Code, w.Code, w.Body.String(), w.Header())
		}
		if (w.Header().Get("WWW-Authenticate") != "") != (c.e.status == http.StatusUnauthorized) {
			t.Errorf("%s: WWW-Authenticate %q", c.e.Code, w.Header().Get("WWW-Authenticate"))
		}
	}
}

// largestRequest is the largest authorization request the parameter
// limits accept, made of the characters JSON escapes, for a client whose
// registered redirect URI is as long as allowed.
func largestRequest() (*client, url.Values) {
	redirect := "https://app.example.com/" + strings.Repeat(`"`, maxParam-len("https://app.example.com/"))
	cl := fakeClient([]string{redirect}, func(s *apps.OIDCSettings) {
		s.Scopes = apps.KnownScopes
		s.GrantTypes = append(s.GrantTypes, apps.GrantImplicit)
	})
	cl.app.Name = strings.Repeat("<", 64)
	q := url.Values{
		"response_type": {"id_token token"}, "client_id": {cl.id()}, "redirect_uri": {redirect},
		"scope": {strings.Repeat("openid ", maxParam/7-1) + "profile"},
		"state": {strings.Repeat(`"`, maxState)}, "nonce": {strings.Repeat(`\`, maxParam)},
		"prompt": {strings.Repeat(`"`, maxParam)}, "login_hint": {strings.Repeat("<", maxParam)},
		"max_age": {"3153600000"}, "response_mode": {"fragment"},
	}
	return cl, q
}

// TestLargestRequestTravels: whatever the parameter limits accept can go
// through sign-in and come back unchanged: the sealed request fits what
// openAuthRequest takes, and the sign-in page's sealed request (which
// carries it) fits what authn.OpenLoginRequest takes and what the server
// reads as a request line (64 KiB of headers).
func TestLargestRequestTravels(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	p := testProvider(t, now)
	cl, q := largestRequest()
	if problem := paramProblem(q); problem != "" {
		t.Fatalf("paramProblem: %s", problem)
	}
	ar := p.newAuthRequest("t1", cl, q)
	if ar == nil {
		t.Fatal("redirect_uri refused")
	}
	if code, desc := p.validate(ar, cl, q); code != "" {
		t.Fatalf("validate: %s %s", code, desc)
	}
	sealed := sealAuthRequest(p.Sealer, ar)
	back, err := openAuthRequest(p.Sealer, sealed, "t1", now)
	if err != nil || !reflect.DeepEqual(back, ar) {
		t.Fatalf("sealed request (%d bytes) did not come back: %v", len(sealed), err)
	}
	lr := authn.SealLoginRequest(p.Sealer, p.loginRequest(cl, ar))
	if _, err := authn.OpenLoginRequest(p.Sealer, lr, "t1", now); err != nil {
		t.Fatalf("sign-in request of %d bytes refused: %v", len(lr), err)
	}
	if n := len("GET /api/v1/login?lr=" + lr + " HTTP/1.1"); n > 60<<10 {
		t.Errorf("the sign-in URL takes %d bytes of the server's 64 KiB header limit", n)
	}
	t.Logf("sealed request %d bytes, sign-in request %d bytes", len(sealed), len(lr))
}

func TestParamProblem(t *testing.T) {
	cases := map[string]string{
		"client_id=a&client_id=b":                   "The client_id parameter is repeated.",
		"state=" + strings.Repeat("s", 4097):        "The state parameter is too long.",
		"state=" + strings.Repeat("s", 4096):        "",
		"scope=" + strings.Repeat("s", 2049):        "The scope parameter is too long.",
		"nonce=a%00b":                               "The nonce parameter holds characters that are not allowed.",
		"state=%FF":                                 "The state parameter holds characters that are not allowed.",
		"redirect_uri=https://a/cb%0D%0ASet-Cookie": "The redirect_uri parameter holds characters that are not allowed.",
		"state=caf%C3%A9+%3C%22%26%3E":              "",
		"foo=1&foo=2":                               "",
	}
	for q, want := range cases {
		form, err := url.ParseQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		if got := paramProblem(form); got != want {
			t.Errorf("%s: %q, want %q", q, got, want)
		}
	}
	if got := clip("ab\u00e9", 3); got != "ab" {
		t.Errorf("clip splits a character: %q", got)
	}
}

// Fuzz settings: bits of the fuzzer's flags byte.
const (
	fuzzDomain   = 1 << iota // redirect_uri_matching domain
	fuzzPublic               // token_endpoint_auth_method none (PKCE required)
	fuzzImplicit             // grant implicit allowed
	fuzzNoCode               // grant authorization_code not allowed
	fuzzOAuth2               // protocol oauth2 (scope get_user_info)
)

var authorizeErrors = []string{"invalid_request", "unauthorized_client", "unsupported_response_type", "invalid_scope",
	"request_not_supported", "request_uri_not_supported"}

// FuzzAuthorizeParams drives the checks of the authorization endpoint
// (paramProblem, the redirect URI, validate) with any query. It must not
// panic; a refused request names an RFC 6749 error; an accepted one has a
// registered redirect URI, only allowed scopes, an S256 challenge or none
// (and one when the client must use PKCE), the nonce and openid scope the
// implicit flow needs, and survives sealing for sign-in unchanged.
func FuzzAuthorizeParams(f *testing.F) {
	for _, s := range []struct {
		q     string
		flags uint8
	}{
		{"response_type=code&client_id=c&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&scope=openid+profile&state=xyz&nonce=n", 0},
		{"response_type=code&scope=openid", 0},
		{"response_type=code&redirect_uri=https%3A%2F%2Fapp.example.com%2Fother%3Fx%3D1&scope=openid", fuzzDomain},
		{"response_type=code&redirect_uri=https%3A%2F%2Fapp.example.com.evil.com%2Fcb", fuzzDomain},
		{"response_type=code&redirect_uri=https%3A%2F%2Fapp.example.com%40evil.com%2Fcb", fuzzDomain},
		{"response_type=code&redirect_uri=%2F%2Fevil.com%2Fcb", fuzzDomain},
		{"response_type=code&redirect_uri=javascript%3Aalert(1)", fuzzDomain},
		{"response_type=code&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256", fuzzPublic},
		{"response_type=code&code_challenge=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk&code_challenge_method=plain", 0},
		{"response_type=code", fuzzPublic},
		{"response_type=id_token+token&scope=openid&nonce=abc", fuzzImplicit},
		{"response_type=token+id_token&nonce=abc&prompt=none", fuzzImplicit},
		{"response_type=id_token&scope=profile&nonce=abc", fuzzImplicit},
		{"response_type=code+id_token&scope=openid", fuzzImplicit},
		{"response_type=code&scope=get_user_info", fuzzOAuth2},
		{"response_type=code&scope=openid+admin", 0},
		{"response_type=code&prompt=none+login&max_age=-1", 0},
		{"response_type=code&max_age=99999999999999999999", 0},
		{"response_type=code&state=%FF%FE&nonce=%00", 0},
		{"response_type=code&response_mode=form_post&request=x", fuzzNoCode},
		{"client_id=a&client_id=b", 0},
	} {
		f.Add(s.q, s.flags)
	}
	_, big := largestRequest()
	big.Del("redirect_uri")
	f.Add(big.Encode(), uint8(fuzzImplicit|fuzzDomain))

	now := time.Unix(1_700_000_000, 0)
	p := testProvider(f, now)
	f.Fuzz(func(t *testing.T, query string, flags uint8) {
		form, err := url.ParseQuery(query)
		if err != nil || paramProblem(form) != "" {
			return // an error page
		}
		registered := []string{"https://app.example.com/cb", "com.example.app:/oauth"}
		if flags&fuzzDomain != 0 {
			registered = registered[:1] // redirect_uri may then be left out
		}
		cl := fakeClient(registered, func(s *apps.OIDCSettings) {
			if flags&fuzzOAuth2 != 0 {
				*s = apps.DefaultOIDCSettings(storage.ProtocolOAuth2)
				s.RedirectURIs = registered
			}
			if flags&fuzzDomain != 0 {
				s.RedirectURIMatching = apps.MatchDomain
			}
			if flags&fuzzPublic != 0 {
				s.TokenEndpointAuthMethod, s.RequirePKCE = apps.AuthNone, true
			}
			if flags&fuzzImplicit != 0 {
				s.GrantTypes = append(s.GrantTypes, apps.GrantImplicit)
			}
			if flags&fuzzNoCode != 0 {
				s.GrantTypes = []string{apps.GrantClientCredentials}
			}
		})
		if flags&fuzzOAuth2 != 0 {
			cl.app.Protocol = storage.ProtocolOAuth2
		}
		s := &cl.app.OIDC
		ar := p.newAuthRequest("t1", cl, form)
		if ar == nil {
			return // an error page
		}
		checkRedirect(t, s, ar.RedirectURI)
		code, desc := p.validate(ar, cl, form)
		if code != "" {
			if !slices.Contains(authorizeErrors, code) || desc == "" {
				t.Fatalf("refused with %q %q", code, desc)
			}
			return
		}

		// Accepted.
		switch ar.ResponseType {
		case "code":
			if !s.Allows(apps.GrantAuthorizationCode) {
				t.Fatalf("code flow for a client without the grant")
			}
		case "id_token", "id_token token":
			if !s.Allows(apps.GrantImplicit) || ar.Nonce == "" || !slices.Contains(strings.Fields(ar.Scope), "openid") {
				t.Fatalf("implicit flow: grant %v nonce %q scope %q", s.GrantTypes, ar.Nonce, ar.Scope)
			}
		default:
			t.Fatalf("accepted response_type %q", ar.ResponseType)
		}
		scopes := strings.Fields(ar.Scope)
		if len(scopes) == 0 || strings.Join(scopes, " ") != ar.Scope {
			t.Fatalf("scope %q", ar.Scope)
		}
		for i, sc := range scopes {
			if !slices.Contains(s.Scopes, sc) || slices.Contains(scopes[:i], sc) {
				t.Fatalf("scope %q: %q not allowed or repeated", ar.Scope, sc)
			}
		}
		if ar.CodeChallenge != "" {
			if form.Get("code_challenge_method") != "S256" || len(ar.CodeChallenge) != 43 || !validVerifier(ar.CodeChallenge+"x") {
				t.Fatalf("challenge %q method %q", ar.CodeChallenge, form.Get("code_challenge_method"))
			}
		} else if form.Get("code_challenge") != "" || (s.RequirePKCE && ar.ResponseType == "code") {
			t.Fatalf("no challenge kept: sent %q, PKCE required %v", form.Get("code_challenge"), s.RequirePKCE)
		}
		if ar.MaxAge < -1 || (ar.prompts("none") && len(strings.Fields(ar.Prompt)) > 1) {
			t.Fatalf("max_age %d prompt %q", ar.MaxAge, ar.Prompt)
		}
		if ar.State != form.Get("state") || ar.Nonce != form.Get("nonce") {
			t.Fatalf("state or nonce changed")
		}
		back, err := openAuthRequest(p.Sealer, sealAuthRequest(p.Sealer, ar), "t1", now)
		if err != nil || !reflect.DeepEqual(back, ar) {
			t.Fatalf("sealed request did not come back unchanged: %v\n%+v\n%+v", err, ar, back)
		}
		if _, err := authn.OpenLoginRequest(p.Sealer, authn.SealLoginRequest(p.Sealer, p.loginRequest(cl, ar)), "t1", now); err != nil {
			t.Fatalf("sign-in request refused: %v", err)
		}
	})
}

// checkRedirect: the URI is registered, or (domain matching) on the origin
// of a registered one, with no user info and no fragment.
func checkRedirect(t *testing.T, s *apps.OIDCSettings, uri string) {
	if slices.Contains(s.RedirectURIs, uri) {
		return
	}
	if s.RedirectURIMatching != apps.MatchDomain {
		t.Fatalf("unregistered redirect %q accepted", uri)
	}
	u, err := url.Parse(uri)
	if err != nil || !equalFold(u.Scheme, "https") || !equalFold(u.Hostname(), "app.example.com") || port(u) != "443" ||
		u.User != nil || u.Fragment != "" || strings.Contains(uri, "#") {
		t.Fatalf("redirect %q accepted by domain matching: %v", uri, err)
	}
}
