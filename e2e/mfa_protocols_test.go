package e2e

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/crewjam/saml"
)

const (
	classPasswordTransport = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
	classTwoFactor         = "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered"
)

// TestMFAStepUpProtocols: applications of the other protocols with
// login.mfa "required", opened by a browser whose SSO session was made
// with the password only. CAS login, SAML SSO and form-fill launch must ask
// for the code (never the password) before the ticket, the assertion or
// the filled form; requests that allow no interaction (CAS gateway, SAML
// IsPassive) return without one.
func TestMFAStepUpProtocols(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { testMFAStepUpProtocols(t, b.dsn(t)) })
	}
}

func testMFAStepUpProtocols(t *testing.T, dsn string) {
	g := start(t, dsn, "--mobile-optional")
	admin := bearer(g.token(clientID, clientSecret, nil))
	for _, u := range []string{"alice", "bob"} {
		g.user(admin, map[string]any{"user_name": u, "password": alicePassword, "name": u})
	}
	required := map[string]any{"mfa": "required"}
	plainService := "http://" + rpHost + "/plain/app"
	secureService := "http://" + rpHost + "/secure/app?x=1"
	g.app(admin, map[string]any{"name": "Plain CAS", "protocol": "cas", "cas": map[string]any{"service_patterns": []string{"http://" + rpHost + "/plain/*"}}})
	g.app(admin, map[string]any{"name": "Secure CAS", "protocol": "cas", "login": required,
		"cas": map[string]any{"service_patterns": []string{"http://" + rpHost + "/secure/*"}}})
	casLogin := func(service string, extra string) string {
		return g.url + "/api/v1/cas/login?service=" + url.QueryEscape(service) + extra
	}
	// passwordSession is a browser signed in with the password only (to
	// the plain CAS application).
	passwordSession := func(user string) *browser {
		t.Helper()
		br := newBrowser(t)
		if p := br.signIn(casLogin(plainService, ""), user, alicePassword); p.location == nil || p.location.Query().Get("ticket") == "" {
			t.Fatalf("password sign-in of %s: %d %v\n%s", user, p.status, p.location, p.body)
		}
		return br
	}
	validate := func(what, service, ticket, user string) {
		t.Helper()
		_, c := casGet(t, g, "/api/v1/cas/p3/serviceValidate", url.Values{"service": {service}, "ticket": {ticket}})
		if c.Success == nil || c.Success.User != user {
			t.Fatalf("%s: validation of %s: %+v", what, ticket, c)
		}
		if got := c.attr("isFromNewLogin"); len(got) != 1 || got[0] != "true" {
			t.Errorf("%s: isFromNewLogin = %v (a step-up is a new sign-in)", what, got)
		}
	}
	ticketOf := func(what, service string, p page) string {
		t.Helper()
		if p.location == nil || !strings.HasPrefix(p.location.String(), service+"&ticket=ST-") {
			t.Fatalf("%s: want a redirect to the service with a ticket, got %d %v\n%s", what, p.status, p.location, p.body)
		}
		return p.location.Query().Get("ticket")
	}

	// (a) CAS. gateway=true: back to the service without a ticket, no page.
	br := passwordSession("alice")
	p := br.get(casLogin(secureService, "&gateway=true"))
	if p.location == nil || p.location.String() != secureService {
		t.Fatalf("CAS gateway with a password-only session: want %s without a ticket, got %d %v\n%s", secureService, p.status, p.location, p.body)
	}
	// Without gateway: the code (alice has no authenticator yet, so the
	// enrolment page), not the password; then the ticket, which validates.
	p = br.get(casLogin(secureService, ""))
	sec := enrolPage(t, p, "alice")
	if strings.Contains(p.body, `name="password"`) {
		t.Fatal("CAS step-up asked for the password")
	}
	// The code page may post on to the service's origin (the redirect
	// after the code goes there).
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' http://"+rpHost) {
		t.Errorf("CSP of the CAS code page: %s", csp)
	}
	aliceStep := stepNow()
	p = br.submit(p, "/api/v1/login/mfa", url.Values{"code": {totpAt(t, sec, aliceStep)}})
	validate("CAS after step-up", secureService, ticketOf("CAS after step-up", secureService, p), "alice")
	// The raised session: SSO to the MFA service (gateway too), and the
	// plain one, without a prompt.
	ticketOf("CAS SSO after step-up", secureService, br.get(casLogin(secureService, "")))
	ticketOf("CAS gateway after step-up", secureService, br.get(casLogin(secureService, "&gateway=true")))
	if p := br.get(casLogin(plainService, "")); p.location == nil || p.location.Query().Get("ticket") == "" {
		t.Errorf("plain CAS after step-up: %d %v", p.status, p.location)
	}
	// A fresh sign-in to the MFA service: the password, then the code.
	brNew := newBrowser(t)
	p = brNew.signIn(casLogin(secureService, ""), "bob", alicePassword)
	bobSec := enrolPage(t, p, "bob")
	bobStep := stepNow()
	p = brNew.submit(p, "/api/v1/login/mfa", url.Values{"code": {totpAt(t, bobSec, bobStep)}})
	validate("CAS fresh sign-in", secureService, ticketOf("CAS fresh sign-in", secureService, p), "bob")

	// (b) SAML. Two SPs: one without MFA, one requiring it.
	spPlain := newSP(t, g, "spplain", saml.HTTPPostBinding)
	registerSP(t, g, admin, "Plain SAML", spPlain, nil, nil)
	spSecure := newSP(t, g, "spsecure", saml.HTTPPostBinding)
	registerSP(t, g, admin, "Secure SAML", spSecure, nil, map[string]any{"login": required})
	md, _ := idpMetadata(t, g)
	authnRequest := func(sp *saml.ServiceProvider, passive bool) (*saml.AuthnRequest, string) {
		t.Helper()
		return authnRedirect(t, sp, "relay-mfa", passive)
	}
	assertion := func(what string, sp *saml.ServiceProvider, req *saml.AuthnRequest, p page) *saml.Assertion {
		t.Helper()
		post := readPost(t, p)
		msg := post.decoded(t, "SAMLResponse")
		xmlsecVerify(t, md, msg)
		a, err := parseResponse(sp, msg, []string{req.ID})
		if err != nil {
			t.Fatalf("%s: the SP refused the response: %v\n%s", what, err, msg)
		}
		if post.action != sp.AcsURL.String() || post.fields["RelayState"] != "relay-mfa" {
			t.Errorf("%s: posted to %s with RelayState %q", what, post.action, post.fields["RelayState"])
		}
		return a
	}
	classOf := func(a *saml.Assertion) string {
		if len(a.AuthnStatements) != 1 || a.AuthnStatements[0].AuthnContext.AuthnContextClassRef == nil {
			return ""
		}
		return a.AuthnStatements[0].AuthnContext.AuthnContextClassRef.Value
	}
	br = passwordSession("alice")
	req, u := authnRequest(spPlain, false)
	if a := assertion("SAML without MFA", spPlain, req, br.get(u)); classOf(a) != classPasswordTransport {
		t.Errorf("password-only session: AuthnContext class %q", classOf(a))
	}
	// IsPassive cannot step up: NoPassive, no page.
	req, u = authnRequest(spSecure, true)
	post := readPost(t, br.get(u))
	if msg := post.decoded(t, "SAMLResponse"); !strings.Contains(string(msg), "urn:oasis:names:tc:SAML:2.0:status:NoPassive") ||
		strings.Contains(string(msg), "Assertion") || post.action != spSecure.AcsURL.String() {
		t.Errorf("IsPassive with a password-only session: want NoPassive without an assertion:\n%s", msg)
	} else {
		xmlsecVerify(t, md, msg)
	}
	// SP-initiated: the code page (alice is enrolled), then the Response.
	req, u = authnRequest(spSecure, false)
	p = br.get(u)
	wantCodePage(t, "SAML step-up", p, 200, "")
	wantCodePage(t, "SAML step-up, wrong code", br.submit(p, "/api/v1/login/mfa", url.Values{"code": {"000000"}}), 401, msgWrongCode)
	a := assertion("SAML after step-up", spSecure, req, br.submit(p, "/api/v1/login/mfa", url.Values{"code": {totpAt(t, sec, aliceStep+1)}}))
	if a.Subject.NameID.Value != "alice" || classOf(a) != classTwoFactor {
		t.Errorf("after step-up: NameID %q, AuthnContext class %q, want %s", a.Subject.NameID.Value, classOf(a), classTwoFactor)
	}
	// The raised session answers both SPs, passively too, with the
	// two-factor class.
	req, u = authnRequest(spSecure, true)
	if a := assertion("SAML IsPassive after step-up", spSecure, req, br.get(u)); classOf(a) != classTwoFactor {
		t.Errorf("IsPassive after step-up: class %q", classOf(a))
	}
	req, u = authnRequest(spPlain, false)
	if a := assertion("plain SAML after step-up", spPlain, req, br.get(u)); classOf(a) != classTwoFactor {
		t.Errorf("plain SP after step-up: class %q", classOf(a))
	}

	// (c) Form-fill: the launch URL asks for the code before anything of
	// the application is shown.
	legacy := newLegacyApp(t, "bob.legacy", "app-pw-1")
	_, _, ffID := g.app(admin, map[string]any{"name": "Legacy", "protocol": "form_fill", "login": required,
		"form_fill": map[string]any{"login_url": legacy.URL + "/login", "action_url": legacy.URL + "/session", "method": "POST",
			"username_field": "user", "password_field": "pass", "extra_fields": map[string]any{"lang": "en"}, "user_sets_credentials": true}})
	launch := g.url + "/api/v1/formfill/" + ffID + "/launch"
	br = passwordSession("bob")
	p = br.get(launch)
	wantCodePage(t, "form-fill step-up", p, 200, "")
	if strings.Contains(p.body, "/credentials") {
		t.Fatal("the form-fill code page shows the credentials form")
	}
	p = br.submit(p, "/api/v1/login/mfa", url.Values{"code": {totpAt(t, bobSec, bobStep+1)}})
	if p.status != 200 || !strings.Contains(p.body, `action="/api/v1/formfill/`+ffID+`/credentials"`) {
		t.Fatalf("after the code, want the credentials page: %d\n%s", p.status, p.body)
	}
	p = br.submit(p, "/api/v1/formfill/"+ffID+"/credentials", url.Values{"account_name": {"bob.legacy"}, "password": {"app-pw-1"}})
	if target, fields := filledForm(t, p); target != "POST "+legacy.URL+"/session" || fields.Get("user") != "bob.legacy" {
		t.Errorf("filled form: %s %v", target, fields)
	}
	// A launch without a session: the password, then the code.
	br = newBrowser(t)
	p = br.signIn(launch, "bob", alicePassword)
	wantCodePage(t, "form-fill fresh sign-in", p, 200, "")

	(&oidcEnv{g: g}).noInternalErrors(t)
}

// TestMFAACRValues: OIDC acr_values=2 asks for a second factor for that
// request even when the application's policy is off (docs/oidc.md);
// discovery lists the levels sessions get.
func TestMFAACRValues(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			e := newOIDCEnv(t, start(t, b.dsn(t)))
			var disc struct {
				ACR []string `json:"acr_values_supported"`
			}
			if err := e.provider.Claims(&disc); err != nil || strings.Join(disc.ACR, ",") != "1,2" {
				t.Errorf("discovery acr_values_supported = %v (%v)", disc.ACR, err)
			}
			plain := e.app(t, "Wiki", nil)
			acr2 := url.Values{"acr_values": {"2"}}

			// A fresh sign-in asking for acr 2: the password, then the code.
			br := newBrowser(t)
			p := br.signIn(e.authURL(plain, acr2), "alice", alicePassword)
			sec := enrolPage(t, p, "alice")
			step := stepNow()
			p = br.submit(p, "/api/v1/login/mfa", url.Values{"code": {totpAt(t, sec, step)}})
			if amr, acr := e.amrOf(t, plain, codeOf(t, p)); acr != "2" || !slices.Contains(amr, "otp") {
				t.Errorf("fresh sign-in with acr_values=2: amr %v acr %q", amr, acr)
			}

			// A password-only session: acr_values=1 (or none) is answered at
			// once; prompt=none with 2 cannot step up; 2 asks for the code.
			br = newBrowser(t)
			if _, acr := e.amrOf(t, plain, codeOf(t, br.signIn(e.authURL(plain, nil), "alice", alicePassword))); acr != "1" {
				t.Errorf("password sign-in: acr %q", acr)
			}
			if _, acr := e.amrOf(t, plain, e.code(t, br, plain, url.Values{"acr_values": {"1"}})); acr != "1" {
				t.Errorf("acr_values=1: acr %q", acr)
			}
			if p := br.get(e.authURL(plain, url.Values{"acr_values": {"2 1"}, "prompt": {"none"}})); p.location == nil ||
				p.location.Query().Get("error") != "interaction_required" || p.location.Query().Get("state") != "st-1" {
				t.Errorf("prompt=none with acr_values=2: %d %v", p.status, p.location)
			}
			p = br.get(e.authURL(plain, url.Values{"acr_values": {"urn:example:gold 2"}}))
			wantCodePage(t, "acr_values=2 step-up", p, 200, "")
			p = br.submit(p, "/api/v1/login/mfa", url.Values{"code": {totpAt(t, sec, step+1)}})
			if amr, acr := e.amrOf(t, plain, codeOf(t, p)); acr != "2" || !slices.Equal(amr, []string{"pwd", "otp", "mfa"}) {
				t.Errorf("after the acr_values=2 step-up: amr %v acr %q", amr, acr)
			}
			// The raised session answers acr_values=2 without a prompt.
			if _, acr := e.amrOf(t, plain, e.code(t, br, plain, acr2)); acr != "2" {
				t.Errorf("raised session: acr %q", acr)
			}
			// A repeated acr_values is refused like any repeated parameter.
			wantErrorPage(t, "repeated acr_values", br.get(e.authURL(plain, url.Values{"acr_values": {"1", "2"}})), 400, "The acr_values parameter is repeated.")
			e.noInternalErrors(t)
		})
	}
}
