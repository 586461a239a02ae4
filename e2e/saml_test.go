package e2e

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/crewjam/saml"
)

// TestSAML drives the identity provider with crewjam/saml service
// providers configured from its metadata, as integrators' SPs would be:
// SP-initiated sign-in with the Redirect and POST bindings, IdP-initiated
// sign-in, RelayState, NameID and mapped attributes, SSO without a second
// prompt after a CAS sign-in, ForceAuthn and IsPassive, tampering, an
// encrypted assertion, and single logout across two SPs. Every Response is
// also checked by xmlsec1.
func TestSAML(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { testSAML(t, b.dsn(t)) })
	}
}

func testSAML(t *testing.T, dsn string) {
	g := start(t, dsn, "--mobile-optional")
	admin := bearer(g.token(clientID, clientSecret, nil))
	g.user(admin, map[string]any{"user_name": "alice", "password": alicePassword, "email": "alice@example.com", "name": "Alice",
		"employee_id": "E-1001"})
	md, _ := idpMetadata(t, g)
	checkMetadata(t, g, md)

	// SP A: registered from its metadata (which says it signs its
	// requests), NameID = e-mail, attributes mapped from the user and fixed.
	spA := newSP(t, g, "spa", saml.HTTPPostBinding)
	registerSP(t, g, admin, "Payroll", spA, map[string]any{"name_id_format": "email"}, map[string]any{
		"claim_mappings": []map[string]any{{"claim": "mail", "source": "user.email", "in": []string{"saml"}},
			{"claim": "displayName", "source": "user.name", "in": []string{"saml"}},
			{"claim": "IAM_SAML_Attributes_domain_id", "value": "0123456789abcdef", "in": []string{"saml"}},
			{"claim": "only_in_id_token", "value": "x", "in": []string{"id_token"}}}})
	br := newBrowser(t)

	// SP-initiated, HTTP-Redirect binding, signed query: sign in, then the
	// Response is posted to the ACS with the RelayState.
	req, err := spA.MakeAuthenticationRequest(spA.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := req.Redirect("relay-A1", spA)
	post := readPost(t, br.signIn(u.String(), "alice", alicePassword))
	if post.action != spA.AcsURL.String() || post.fields["RelayState"] != "relay-A1" {
		t.Fatalf("posted to %s with RelayState %q", post.action, post.fields["RelayState"])
	}
	msg := post.decoded(t, "SAMLResponse")
	xmlsecVerify(t, md, msg)
	a, err := parseResponse(spA, msg, []string{req.ID})
	if err != nil {
		t.Fatalf("SP A refused the response: %v\n%s", err, msg)
	}
	if a.Subject.NameID.Value != "alice@example.com" || a.Subject.NameID.Format != "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" {
		t.Errorf("NameID = %+v", a.Subject.NameID)
	}
	if got := attr(a, "mail"); len(got) != 1 || got[0] != "alice@example.com" {
		t.Errorf("mail = %v", got)
	}
	if got := attr(a, "IAM_SAML_Attributes_domain_id"); len(got) != 1 || got[0] != "0123456789abcdef" {
		t.Errorf("fixed attribute = %v", got)
	}
	if len(attr(a, "only_in_id_token")) != 0 || len(attr(a, "displayName")) != 1 {
		t.Errorf("attributes: %+v", a.AttributeStatements)
	}
	if len(a.AuthnStatements) != 1 || a.AuthnStatements[0].SessionIndex == "" {
		t.Errorf("AuthnStatement: %+v", a.AuthnStatements)
	}
	if !strings.Contains(string(msg), `InResponseTo="`+req.ID+`"`) {
		t.Error("the Response does not name the request in InResponseTo")
	}

	// Tampered: the SP refuses a Response whose NameID was changed.
	forged := bytes.Replace(msg, []byte("alice@example.com"), []byte("mallory@example.com"), -1)
	if _, err := parseResponse(spA, forged, []string{req.ID}); err == nil {
		t.Error("the SP accepted a tampered Response")
	}

	// SP-initiated, HTTP-POST binding (signed XML): SSO, no prompt. The
	// post goes through a GET that carries the SameSite=Lax cookie.
	req2, _ := spA.MakeAuthenticationRequest(spA.GetSSOBindingLocation(saml.HTTPPostBinding), saml.HTTPPostBinding, saml.HTTPPostBinding)
	post = readPost(t, br.postForm(g.url+samlSSO, url.Values{"SAMLRequest": {b64XML(t, req2.Element())}, "RelayState": {"relay-A2"}}))
	msg = post.decoded(t, "SAMLResponse")
	xmlsecVerify(t, md, msg)
	if _, err := parseResponse(spA, msg, []string{req2.ID}); err != nil || post.fields["RelayState"] != "relay-A2" {
		t.Fatalf("POST binding: %v (RelayState %q)", err, post.fields["RelayState"])
	}

	// IdP-initiated: ?sp=<entity id>, default ACS, no InResponseTo.
	idpInit := br.get(g.url + samlSSO + "?sp=" + url.QueryEscape(spA.EntityID) + "&RelayState=deep-link")
	// The page runs one script, pinned by hash, and posts only to the ACS
	// (and to https origins the ACS may redirect the post to).
	if csp := idpInit.header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "script-src 'sha256-") ||
		!strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "form-action 'self' http://"+rpHost+" https:;") {
		t.Errorf("CSP of the auto-post page: %s", csp)
	}
	post = readPost(t, idpInit)
	msg = post.decoded(t, "SAMLResponse")
	xmlsecVerify(t, md, msg)
	spA.AllowIDPInitiated = true
	if _, err := parseResponse(spA, msg, nil); err != nil || post.fields["RelayState"] != "deep-link" || strings.Contains(string(msg), "InResponseTo") {
		t.Fatalf("IdP-initiated: %v (RelayState %q)", err, post.fields["RelayState"])
	}
	spA.AllowIDPInitiated = false

	// ForceAuthn asks to sign in again although a session exists.
	force := true
	req3, _ := spA.MakeAuthenticationRequest(spA.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	req3.ForceAuthn = &force
	u, _ = req3.Redirect("", spA)
	if p := br.get(u.String()); !strings.Contains(p.body, `action="/api/v1/login/form"`) {
		t.Fatalf("ForceAuthn did not ask to sign in: %d", p.status)
	}

	// SP B: manual fields, encrypted and response-signed assertions,
	// persistent NameID from the user id, SLO with the Redirect binding.
	spB := newSP(t, g, "spb", saml.HTTPRedirectBinding)
	_, _, _ = g.app(admin, map[string]any{"name": "Wiki", "protocol": "saml", "saml": map[string]any{
		"entity_id": spB.EntityID, "acs": []map[string]any{{"url": spB.AcsURL.String(), "index": 1, "default": true}},
		"slo_url": spB.SloURL.String(), "slo_binding": "redirect",
		"sp_signing_certs": []string{certPEM(spB)}, "sp_encryption_cert": certPEM(spB),
		"encrypt_assertion": true, "sign_response": true, "name_id_format": "persistent", "name_id_source": "user_id"}})
	// IsPassive with a session: an answer without a prompt.
	passive := true
	req4, _ := spB.MakeAuthenticationRequest(spB.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	req4.IsPassive = &passive
	u, _ = req4.Redirect("", spB)
	post = readPost(t, br.get(u.String()))
	msg = post.decoded(t, "SAMLResponse")
	xmlsecVerify(t, md, msg)
	if !strings.Contains(string(msg), "EncryptedAssertion") || strings.Contains(string(msg), "alice") {
		t.Fatalf("the assertion is not encrypted:\n%s", msg)
	}
	a, err = parseResponse(spB, msg, []string{req4.ID})
	if err != nil {
		t.Fatalf("SP B could not read the encrypted assertion: %v", err)
	}
	if a.Subject.NameID.Format != "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" || len(a.Subject.NameID.Value) < 10 {
		t.Errorf("persistent NameID = %+v", a.Subject.NameID)
	}

	// SSO after a CAS sign-in in another browser: no second prompt.
	g.app(admin, map[string]any{"name": "CAS app", "protocol": "cas", "cas": map[string]any{"service_patterns": []string{"http://" + rpHost + "/cas/*"}}})
	br2 := newBrowser(t)
	if p := br2.signIn(g.url+"/api/v1/cas/login?service="+url.QueryEscape("http://"+rpHost+"/cas/x"), "alice", alicePassword); p.location == nil {
		t.Fatalf("CAS sign-in: %d", p.status)
	}
	req5, _ := spA.MakeAuthenticationRequest(spA.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	u, _ = req5.Redirect("", spA)
	post = readPost(t, br2.get(u.String()))
	if _, err := parseResponse(spA, post.decoded(t, "SAMLResponse"), []string{req5.ID}); err != nil {
		t.Fatalf("SSO after CAS: %v", err)
	}
	// IsPassive without a session: NoPassive, no prompt.
	br3 := newBrowser(t)
	req6, _ := spA.MakeAuthenticationRequest(spA.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	req6.IsPassive = &passive
	u, _ = req6.Redirect("", spA)
	post = readPost(t, br3.get(u.String()))
	msg = post.decoded(t, "SAMLResponse")
	xmlsecVerify(t, md, msg)
	if !strings.Contains(string(msg), "urn:oasis:names:tc:SAML:2.0:status:NoPassive") {
		t.Errorf("IsPassive without a session:\n%s", msg)
	}

	testSLO(t, g, md, br, spA, spB)
}

// testSLO: SP A (signed in with br, as is SP B) logs out with a signed
// Redirect-binding LogoutRequest; Gatehouse ends the session, sends SP B a
// signed LogoutRequest through the browser, takes SP B's answer, and
// answers SP A. The next sign-in prompts again.
func testSLO(t *testing.T, g *gh, md *saml.EntityDescriptor, br *browser, spA, spB *saml.ServiceProvider) {
	lr, err := spA.MakeLogoutRequest(spA.GetSLOBindingLocation(saml.HTTPRedirectBinding), "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	p := br.get(lr.Redirect("slo-relay").String())
	// SP B's turn: a LogoutRequest with the Redirect binding, signed over
	// the query.
	if p.location == nil || !strings.HasPrefix(p.location.String(), spB.SloURL.String()+"?") {
		t.Fatalf("expected the LogoutRequest to SP B, got %d %v\n%s", p.status, p.location, p.body)
	}
	q := p.location.Query()
	if q.Get("SigAlg") != "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" || q.Get("Signature") == "" {
		t.Errorf("LogoutRequest to SP B is not query-signed: %v", q)
	}
	var toB saml.LogoutRequest
	inflateXML(t, q.Get("SAMLRequest"), &toB)
	if toB.SessionIndex == nil || toB.SessionIndex.Value == "" || toB.Issuer.Value != md.EntityID {
		t.Errorf("LogoutRequest to SP B: %+v", toB)
	}
	resp, err := spB.MakeLogoutResponse(g.url+samlSLO, toB.ID)
	if err != nil {
		t.Fatal(err)
	}
	// SP A's answer: a signed LogoutResponse, POST binding.
	post := readPost(t, br.get(resp.Redirect("").String()))
	if post.action != spA.SloURL.String() || post.fields["RelayState"] != "slo-relay" {
		t.Fatalf("LogoutResponse to %s with RelayState %q", post.action, post.fields["RelayState"])
	}
	xmlsecVerify(t, md, post.decoded(t, "SAMLResponse"))
	if err := spA.ValidateLogoutResponseForm(post.fields["SAMLResponse"]); err != nil {
		if ire, ok := err.(*saml.InvalidResponseError); ok {
			err = ire.PrivateErr
		}
		t.Fatalf("SP A refused the LogoutResponse: %v", err)
	}
	// The session is over: the next sign-in prompts.
	req, _ := spA.MakeAuthenticationRequest(spA.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	u, _ := req.Redirect("", spA)
	if p := br.get(u.String()); !strings.Contains(p.body, `action="/api/v1/login/form"`) {
		t.Fatalf("after logout, SSO did not prompt: %d\n%s", p.status, p.body)
	}
	// IdP-initiated logout without a session just says so.
	if p := br.get(g.url + samlSLO); p.status != 200 || !strings.Contains(p.body, "signed out") {
		t.Errorf("IdP-initiated logout: %d %s", p.status, p.body)
	}
}

func checkMetadata(t *testing.T, g *gh, md *saml.EntityDescriptor) {
	t.Helper()
	if md.EntityID != g.url+samlMetadata || len(md.IDPSSODescriptors) != 1 {
		t.Fatalf("entity id %q", md.EntityID)
	}
	d := md.IDPSSODescriptors[0]
	want := map[string]bool{}
	for _, e := range d.SingleSignOnServices {
		want["sso "+e.Binding+" "+e.Location] = true
	}
	for _, e := range d.SingleLogoutServices {
		want["slo "+e.Binding+" "+e.Location] = true
	}
	for _, k := range []string{"sso " + saml.HTTPRedirectBinding + " " + g.url + samlSSO, "sso " + saml.HTTPPostBinding + " " + g.url + samlSSO,
		"slo " + saml.HTTPRedirectBinding + " " + g.url + samlSLO, "slo " + saml.HTTPPostBinding + " " + g.url + samlSLO} {
		if !want[k] {
			t.Errorf("metadata lacks %s", k)
		}
	}
	if len(d.NameIDFormats) != 4 || len(d.KeyDescriptors) == 0 {
		t.Errorf("NameID formats %v, %d keys", d.NameIDFormats, len(d.KeyDescriptors))
	}
}

func certPEM(sp *saml.ServiceProvider) string {
	return "-----BEGIN CERTIFICATE-----\n" + base64.StdEncoding.EncodeToString(sp.Certificate.Raw) + "\n-----END CERTIFICATE-----\n"
}
