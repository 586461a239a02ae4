package e2e

import (
	"net/url"
	"strings"
	"testing"

	"github.com/crewjam/saml"
)

// TestSAMLRequestedAuthnContext: a crewjam SP's RequestedAuthnContext is
// honoured (SAML Core 3.3.2.2.1): the assertion names a class the request
// accepts; a request that accepts only two-factor classes steps a
// password session up (or, passive, hears NoPassive); one that accepts
// nothing Gatehouse can assert hears NoAuthnContext at once, signed, with
// no assertion.
func TestSAMLRequestedAuthnContext(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { testSAMLRequestedAuthnContext(t, b.dsn(t)) })
	}
}

func testSAMLRequestedAuthnContext(t *testing.T, dsn string) {
	const (
		classPassword = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"
		classREFEDS   = "https://refeds.org/profile/mfa"
	)
	g := start(t, dsn, "--mobile-optional")
	admin := bearer(g.token(clientID, clientSecret, nil))
	g.user(admin, map[string]any{"user_name": "alice", "password": alicePassword, "name": "Alice"})
	sp := newSP(t, g, "spctx", saml.HTTPPostBinding)
	// A SAML-only mapping may be named by a URI, as AWS and others expect.
	const awsName = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	registerSP(t, g, admin, "Context SAML", sp, nil, map[string]any{"claim_mappings": []map[string]any{
		{"claim": awsName, "source": "user.user_name", "in": []string{"saml"}}}})
	md, _ := idpMetadata(t, g)

	request := func(comparison, class string, passive bool) (*saml.AuthnRequest, string) {
		t.Helper()
		sp.RequestedAuthnContext = &saml.RequestedAuthnContext{Comparison: comparison, AuthnContextClassRef: class}
		return authnRedirect(t, sp, "relay-ctx", passive)
	}
	var last *saml.Assertion
	classOf := func(what string, req *saml.AuthnRequest, p page) string {
		t.Helper()
		msg := readPost(t, p).decoded(t, "SAMLResponse")
		xmlsecVerify(t, md, msg)
		a, err := parseResponse(sp, msg, []string{req.ID})
		if err != nil {
			t.Fatalf("%s: the SP refused the response: %v\n%s", what, err, msg)
		}
		if len(a.AuthnStatements) != 1 || a.AuthnStatements[0].AuthnContext.AuthnContextClassRef == nil {
			t.Fatalf("%s: no AuthnContext class", what)
		}
		last = a
		return a.AuthnStatements[0].AuthnContext.AuthnContextClassRef.Value
	}
	wantStatus := func(what, status string, p page) {
		t.Helper()
		post := readPost(t, p)
		msg := post.decoded(t, "SAMLResponse")
		if !strings.Contains(string(msg), status) || strings.Contains(string(msg), "Assertion") || post.action != sp.AcsURL.String() ||
			post.fields["RelayState"] != "relay-ctx" {
			t.Fatalf("%s: want %s without an assertion at the ACS:\n%s", what, status, msg)
		}
		xmlsecVerify(t, md, msg)
	}

	// Nothing assertable: NoAuthnContext before anyone signs in.
	br := newBrowser(t)
	_, u := request("exact", "urn:example:ac:classes:retina", false)
	wantStatus("an unknown class", "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext", br.get(u))
	_, u = request("better", "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered", false)
	wantStatus("better than two factors", "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext", br.get(u))

	// exact Password: the password sign-in, asserted as that class.
	req, u := request("exact", classPassword, false)
	if got := classOf("exact Password", req, br.signIn(u, "alice", alicePassword)); got != classPassword {
		t.Errorf("exact Password: class %q", got)
	}
	if st := last.AttributeStatements; len(st) != 1 || len(st[0].Attributes) != 1 || st[0].Attributes[0].Name != awsName ||
		st[0].Attributes[0].NameFormat != "urn:oasis:names:tc:SAML:2.0:attrname-format:uri" || st[0].Attributes[0].Values[0].Value != "alice" {
		t.Errorf("attributes: %+v", st)
	}
	req, u = request("minimum", classPasswordTransport, false)
	if got := classOf("minimum PasswordProtectedTransport", req, br.get(u)); got != classPasswordTransport {
		t.Errorf("minimum PasswordProtectedTransport, password session: class %q", got)
	}
	// REFEDS MFA, passive: no step-up possible.
	_, u = request("exact", classREFEDS, true)
	wantStatus("passive REFEDS MFA", "urn:oasis:names:tc:SAML:2.0:status:NoPassive", br.get(u))
	// REFEDS MFA: the code (alice enrols her first authenticator), then
	// the requested class.
	req, u = request("exact", classREFEDS, false)
	p := br.get(u)
	sec := enrolPage(t, p, "alice")
	if strings.Contains(p.body, `name="password"`) {
		t.Fatal("the step-up asked for the password")
	}
	p = br.submit(p, "/api/v1/login/mfa", url.Values{"code": {totpAt(t, sec, stepNow())}})
	if got := classOf("exact REFEDS MFA", req, p); got != classREFEDS {
		t.Errorf("exact REFEDS MFA after the code: class %q", got)
	}
	// The raised session: minimum PasswordProtectedTransport gets the
	// two-factor class; maximum Password stays within Password.
	req, u = request("minimum", classPasswordTransport, false)
	if got := classOf("minimum after step-up", req, br.get(u)); got != classTwoFactor {
		t.Errorf("minimum PasswordProtectedTransport, two-factor session: class %q", got)
	}
	req, u = request("maximum", classPassword, false)
	if got := classOf("maximum Password after step-up", req, br.get(u)); got != classPassword {
		t.Errorf("maximum Password, two-factor session: class %q", got)
	}
}
