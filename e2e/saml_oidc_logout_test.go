package e2e

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
	"golang.org/x/oauth2"
)

// TestOIDCLogoutReachesSAML: a browser signed in to two SAML service
// providers that take part in single logout (one with the POST binding,
// one with Redirect), one that does not (no slo_url), and an OIDC
// application, then logs out through OIDC RP-initiated logout or
// OneAccess's global logout. The browser must visit both SPs' SLO URLs
// with LogoutRequests the SPs can trust (signature checked against the
// IdP's metadata certificate with goxmldsig and xmlsec1, or over the query
// for Redirect; Issuer, Destination, NameID and SessionIndex as the SP's
// assertion had them), come back with their LogoutResponses, and end where
// the logout would have sent it. A session without such SPs is answered at
// once, as before.
func TestOIDCLogoutReachesSAML(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { testOIDCLogoutReachesSAML(t, b.dsn(t)) })
	}
}

// sloSP is a service provider of the test and what its assertion said.
type sloSP struct {
	sp           *saml.ServiceProvider
	nameID       string
	sessionIndex string
}

type sloEnv struct {
	t          *testing.T
	g          *gh
	md         *saml.EntityDescriptor
	idpCert    *x509.Certificate
	a, b, c    *sloSP // a: SLO with POST, b: SLO with Redirect, c: no slo_url
	conf       oauth2.Config
	clientID   string
	bye        string
	oidcIssuer string
}

func testOIDCLogoutReachesSAML(t *testing.T, dsn string) {
	g := start(t, dsn, "--mobile-optional")
	admin := bearer(g.token(clientID, clientSecret, nil))
	g.user(admin, map[string]any{"user_name": "alice", "password": alicePassword, "email": "alice@example.com", "name": "Alice"})
	md, _ := idpMetadata(t, g)
	block, _ := pem.Decode(idpCertPEM(t, md))
	idpCert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	e := &sloEnv{t: t, g: g, md: md, idpCert: idpCert, bye: "http://" + rpHost + "/bye", oidcIssuer: g.url + "/api/v1/oauth2"}

	// SP A from its metadata: SLO with the POST binding, NameID e-mail.
	e.a = &sloSP{sp: newSP(t, g, "slo-a", saml.HTTPPostBinding)}
	registerSP(t, g, admin, "Payroll", e.a.sp, map[string]any{"name_id_format": "email"}, nil)
	// SP B from its metadata: SLO with the Redirect binding.
	e.b = &sloSP{sp: newSP(t, g, "slo-b", saml.HTTPRedirectBinding)}
	registerSP(t, g, admin, "Wiki", e.b.sp, nil, nil)
	// SP C: no slo_url, so it takes no part in single logout.
	e.c = &sloSP{sp: newSP(t, g, "slo-c", saml.HTTPRedirectBinding)}
	g.app(admin, map[string]any{"name": "Intranet", "protocol": "saml", "saml": map[string]any{
		"entity_id": e.c.sp.EntityID, "acs": []map[string]any{{"url": e.c.sp.AcsURL.String()}}, "sp_signing_certs": []string{certPEM(e.c.sp)}}})
	// The OIDC application.
	cid, csec, _ := g.app(admin, map[string]any{"name": "Portal", "protocol": "oidc",
		"oidc": map[string]any{"redirect_uris": []string{cb}, "post_logout_redirect_uris": []string{e.bye}}})
	e.clientID = cid
	provider, err := oidc.NewProvider(context.Background(), e.oidcIssuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	e.conf = oauth2.Config{ClientID: cid, ClientSecret: csec, Endpoint: provider.Endpoint(), RedirectURL: cb, Scopes: []string{"openid"}}

	// RP-initiated logout with a registered post_logout_redirect_uri and
	// state: the round, then the RP with its state.
	br := newBrowser(t)
	idToken := e.signInAll(br, e.a, e.b, e.c)
	end := e.round(br, br.get(e.oidcIssuer+"/logout?id_token_hint="+url.QueryEscape(idToken)+
		"&post_logout_redirect_uri="+url.QueryEscape(e.bye)+"&state=s9"), e.a, e.b)
	if end.location == nil || end.location.Host != rpHost || end.location.Path != "/bye" || end.location.Query().Get("state") != "s9" {
		t.Fatalf("after the round of RP-initiated logout: %d %v\n%s", end.status, end.location, end.body)
	}
	e.signedOut(br)

	// The same by POST, with client_id and no target: the signed-out page.
	e.signInAll(br, e.a, e.b)
	end = e.round(br, br.postForm(e.oidcIssuer+"/logout", url.Values{"client_id": {cid}}), e.a, e.b)
	if end.location != nil || end.status != 200 || !strings.Contains(end.body, "You are signed out.") {
		t.Fatalf("after the round of a logout without a target: %d %v\n%s", end.status, end.location, end.body)
	}
	e.signedOut(br)

	// OneAccess's global logout with redirect_url: the round, then there.
	e.signInAll(br, e.a, e.b, e.c)
	end = e.round(br, br.get(g.url+"/api/v1/logout?redirect_url="+url.QueryEscape(e.bye)), e.a, e.b)
	if end.location == nil || end.location.String() != e.bye {
		t.Fatalf("after the round of the global logout: %d %v\n%s", end.status, end.location, end.body)
	}
	e.signedOut(br)

	// Global logout without redirect_url: the round, then the sign-in page.
	e.signInAll(br, e.b, e.a)
	end = e.round(br, br.get(g.url+"/api/v1/logout"), e.b, e.a)
	if end.location != nil || end.url.Path != "/api/v1/login" || end.url.Host != strings.TrimPrefix(g.url, "http://") {
		t.Fatalf("after the round of the global logout without redirect_url: %d at %v\n%s", end.status, end.url, end.body)
	}
	e.signedOut(br)

	// CAS logout with a registered service: the round, then the service;
	// without one, the round, then the signed-out page.
	g.app(admin, map[string]any{"name": "Helpdesk", "protocol": "cas", "cas": map[string]any{
		"service_patterns": []string{e.bye}}})
	e.signInAll(br, e.a, e.b)
	end = e.round(br, br.get(g.url+"/api/v1/cas/logout?service="+url.QueryEscape(e.bye)), e.a, e.b)
	if end.location == nil || end.location.String() != e.bye {
		t.Fatalf("after the round of CAS logout: %d %v\n%s", end.status, end.location, end.body)
	}
	e.signedOut(br)
	e.signInAll(br, e.b)
	end = e.round(br, br.get(g.url+"/api/v1/cas/logout"), e.b)
	if end.location != nil || end.status != 200 || !strings.Contains(end.body, "You are signed out.") {
		t.Fatalf("after the round of CAS logout without a service: %d %v\n%s", end.status, end.location, end.body)
	}
	e.signedOut(br)

	// A session whose only SAML SP takes no part in single logout, and one
	// with no SAML SP at all: the logout answers at once, as before.
	idToken = e.signInAll(br, e.c)
	p := br.step("GET", e.oidcIssuer+"/logout?id_token_hint="+url.QueryEscape(idToken)+
		"&post_logout_redirect_uri="+url.QueryEscape(e.bye)+"&state=s10", nil)
	if p.status != 302 || p.location == nil || p.location.String() != e.bye+"?state=s10" || br.hasSession(g) {
		t.Fatalf("logout of a session without SLO SPs: %d %v", p.status, p.location)
	}
	e.signedOut(br)
	e.signInAll(br)
	p = br.step("GET", g.url+"/api/v1/logout?redirect_url="+url.QueryEscape(e.bye)+"&client_id="+cid, nil)
	if p.status != 302 || p.location == nil || p.location.String() != e.bye || br.hasSession(g) {
		t.Fatalf("global logout of an OIDC-only session: %d %v", p.status, p.location)
	}
	e.signedOut(br)

	// A LogoutResponse whose InResponseTo is not Gatehouse's sealed state
	// sends the browser nowhere.
	e.signInAll(br, e.b)
	p = br.get(g.url + "/api/v1/logout?redirect_url=" + url.QueryEscape(e.bye))
	if p.location == nil || !strings.HasPrefix(p.location.String(), e.b.sp.SloURL.String()+"?") {
		t.Fatalf("expected the LogoutRequest to SP B, got %d %v", p.status, p.location)
	}
	var req saml.LogoutRequest
	inflateXML(t, p.location.Query().Get("SAMLRequest"), &req)
	forged, _ := e.b.sp.MakeLogoutResponse(g.url+samlSLO, req.ID[:len(req.ID)-4]+"AAAA")
	if p := br.get(forged.Redirect("").String()); p.location != nil || p.status != 400 || !strings.Contains(p.body, "does not answer a logout") {
		t.Errorf("a LogoutResponse to a tampered state: %d %v", p.status, p.location)
	}
	// Another SP's answer to SP B's LogoutRequest is refused too.
	other, _ := e.a.sp.MakeLogoutResponse(g.url+samlSLO, req.ID)
	if p := br.get(other.Redirect("").String()); p.location != nil || p.status != 400 || !strings.Contains(p.body, "does not come from the service provider") {
		t.Errorf("a LogoutResponse from the wrong SP: %d %v", p.status, p.location)
	}
	// SP B's own answer ends the round at the target.
	resp, _ := e.b.sp.MakeLogoutResponse(g.url+samlSLO, req.ID)
	if p := br.get(resp.Redirect("").String()); p.location == nil || p.location.String() != e.bye {
		t.Errorf("SP B's answer: %d %v", p.status, p.location)
	}
}

// signInAll signs br in to the SAML SPs (the first prompts for the
// password) and to the OIDC application, and returns its ID token.
func (e *sloEnv) signInAll(br *browser, sps ...*sloSP) string {
	t := e.t
	t.Helper()
	for i, s := range sps {
		req, err := s.sp.MakeAuthenticationRequest(s.sp.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := req.Redirect("", s.sp)
		var p page
		if i == 0 {
			p = br.signIn(u.String(), "alice", alicePassword)
		} else {
			p = br.get(u.String())
		}
		post := readPost(t, p)
		a, err := parseResponse(s.sp, post.decoded(t, "SAMLResponse"), []string{req.ID})
		if err != nil {
			t.Fatalf("%s refused the response: %v", s.sp.EntityID, err)
		}
		if len(a.AuthnStatements) != 1 || a.AuthnStatements[0].SessionIndex == "" || a.Subject == nil || a.Subject.NameID == nil {
			t.Fatalf("%s: assertion without NameID or SessionIndex", s.sp.EntityID)
		}
		s.nameID, s.sessionIndex = a.Subject.NameID.Value, a.AuthnStatements[0].SessionIndex
	}
	pkce := oauth2.GenerateVerifier()
	authURL := e.conf.AuthCodeURL("st", oauth2.S256ChallengeOption(pkce), oidc.Nonce("n"))
	var p page
	if len(sps) == 0 {
		p = br.signIn(authURL, "alice", alicePassword)
	} else {
		p = br.get(authURL)
	}
	if p.location == nil || p.location.Query().Get("code") == "" {
		t.Fatalf("OIDC sign-in in the same session: %d %v\n%s", p.status, p.location, p.body)
	}
	tok, err := e.conf.Exchange(context.Background(), p.location.Query().Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	idt, _ := tok.Extra("id_token").(string)
	if idt == "" {
		t.Fatal("no ID token")
	}
	return idt
}

// round follows a logout from its first answer p through the SPs' SLO
// endpoints: each must get a valid LogoutRequest, in the order given, and
// answers with a signed LogoutResponse. It returns where the browser ends.
func (e *sloEnv) round(br *browser, p page, want ...*sloSP) page {
	t := e.t
	t.Helper()
	if br.hasSession(e.g) {
		t.Error("the session cookie survived the logout")
	}
	for _, s := range want {
		var req *saml.LogoutRequest
		if s.sp.LogoutBindings[0] == saml.HTTPPostBinding {
			post := readPost(t, p)
			if post.action != s.sp.SloURL.String() || post.fields["SAMLRequest"] == "" || post.fields["RelayState"] != "" {
				t.Fatalf("expected a posted LogoutRequest to %s, got one to %s: %v", s.sp.SloURL.String(), post.action, post.fields)
			}
			msg := post.decoded(t, "SAMLRequest")
			xmlsecVerify(t, e.md, msg)
			req = e.verifyPosted(msg)
		} else {
			if p.location == nil || !strings.HasPrefix(p.location.String(), s.sp.SloURL.String()+"?") {
				t.Fatalf("expected the LogoutRequest to %s, got %d %v\n%s", s.sp.SloURL.String(), p.status, p.location, p.body)
			}
			req = e.verifyRedirect(p.location.RawQuery)
		}
		e.checkRequest(req, s)
		resp, err := s.sp.MakeLogoutResponse(e.g.url+samlSLO, req.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s.sp.LogoutBindings[0] == saml.HTTPPostBinding {
			p = br.postForm(e.g.url+samlSLO, url.Values{"SAMLResponse": {b64XML(t, resp.Element())}})
		} else {
			p = br.get(resp.Redirect("").String())
		}
	}
	return p
}

// verifyPosted checks the enveloped signature of a posted LogoutRequest
// against the IdP's certificate, as crewjam's SP checks a Response.
func (e *sloEnv) verifyPosted(msg []byte) *saml.LogoutRequest {
	t := e.t
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(msg); err != nil {
		t.Fatal(err)
	}
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{e.idpCert}})
	vc.IdAttribute = "ID"
	signed, err := vc.Validate(doc.Root())
	if err != nil {
		t.Fatalf("the posted LogoutRequest's signature: %v\n%s", err, msg)
	}
	out := etree.NewDocument()
	out.SetRoot(signed)
	b, _ := out.WriteToBytes()
	var req saml.LogoutRequest
	if err := xml.Unmarshal(b, &req); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return &req
}

// verifyRedirect checks an HTTP-Redirect LogoutRequest's RSA-SHA256
// signature over the query's octets as sent (SAML Bindings 3.4.4.1).
func (e *sloEnv) verifyRedirect(rawQuery string) *saml.LogoutRequest {
	t := e.t
	t.Helper()
	raw := map[string]string{}
	for _, kv := range strings.Split(rawQuery, "&") {
		k, v, _ := strings.Cut(kv, "=")
		raw[k] = v
	}
	signed := "SAMLRequest=" + raw["SAMLRequest"]
	if rs, ok := raw["RelayState"]; ok {
		signed += "&RelayState=" + rs
	}
	signed += "&SigAlg=" + raw["SigAlg"]
	alg, _ := url.QueryUnescape(raw["SigAlg"])
	if alg != dsig.RSASHA256SignatureMethod {
		t.Fatalf("SigAlg %q", alg)
	}
	s, _ := url.QueryUnescape(raw["Signature"])
	sig, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("Signature: %v", err)
	}
	sum := sha256.Sum256([]byte(signed))
	if err := rsa.VerifyPKCS1v15(e.idpCert.PublicKey.(*rsa.PublicKey), crypto.SHA256, sum[:], sig); err != nil {
		t.Fatalf("the LogoutRequest's query signature does not verify with the IdP's certificate: %v", err)
	}
	m, _ := url.QueryUnescape(raw["SAMLRequest"])
	var req saml.LogoutRequest
	inflateXML(t, m, &req)
	return &req
}

// checkRequest is the SP's reading of a LogoutRequest from its IdP.
func (e *sloEnv) checkRequest(req *saml.LogoutRequest, s *sloSP) {
	t := e.t
	t.Helper()
	now := time.Now()
	switch {
	case req.Issuer == nil || req.Issuer.Value != e.md.EntityID:
		t.Errorf("LogoutRequest Issuer %+v", req.Issuer)
	case req.Destination != s.sp.SloURL.String():
		t.Errorf("LogoutRequest Destination %q", req.Destination)
	case req.NameID == nil || req.NameID.Value != s.nameID || req.NameID.SPNameQualifier != s.sp.EntityID:
		t.Errorf("LogoutRequest NameID %+v, want %q", req.NameID, s.nameID)
	case req.SessionIndex == nil || req.SessionIndex.Value != s.sessionIndex:
		t.Errorf("LogoutRequest SessionIndex %+v, want %q", req.SessionIndex, s.sessionIndex)
	case req.NotOnOrAfter == nil || !req.NotOnOrAfter.After(now) || req.IssueInstant.After(now.Add(time.Minute)) ||
		req.IssueInstant.Before(now.Add(-time.Minute)):
		t.Errorf("LogoutRequest times: IssueInstant %v, NotOnOrAfter %v", req.IssueInstant, req.NotOnOrAfter)
	case !strings.HasPrefix(req.ID, "_") || req.Version != "2.0":
		t.Errorf("LogoutRequest ID %q, Version %q", req.ID, req.Version)
	}
}

// signedOut checks that the session is over everywhere: SAML SSO and OIDC
// ask to sign in again, and an IdP-initiated logout has no SP to visit.
func (e *sloEnv) signedOut(br *browser) {
	t := e.t
	t.Helper()
	if br.hasSession(e.g) {
		t.Error("the session cookie survived the logout")
	}
	req, _ := e.a.sp.MakeAuthenticationRequest(e.a.sp.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	u, _ := req.Redirect("", e.a.sp)
	if p := br.get(u.String()); !strings.Contains(p.body, `action="/api/v1/login/form"`) {
		t.Fatalf("after logout, SAML SSO did not prompt: %d %v", p.status, p.location)
	}
	if p := br.get(e.conf.AuthCodeURL("st")); p.location != nil || !strings.Contains(p.body, `action="/api/v1/login/form"`) {
		t.Fatalf("after logout, OIDC did not prompt: %d %v", p.status, p.location)
	}
	if p := br.get(e.g.url + samlSLO); p.location != nil || p.status != 200 || !strings.Contains(p.body, "signed out") {
		t.Errorf("IdP-initiated logout after the round: %d %v", p.status, p.location)
	}
}
