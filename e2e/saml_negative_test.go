package e2e

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
)

// TestSAMLRefusals sends the identity provider what it must refuse, each
// with a clear 4xx page and nothing posted anywhere: an unknown SP, an
// unregistered ACS URL, an unsigned request where signatures are required,
// a bad signature, a replayed request ID, stale and future IssueInstants,
// XML signature wrapping, XXE and billion-laughs payloads, broken
// encodings, and logout messages that do not hold up.
func TestSAMLRefusals(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { testSAMLRefusals(t, b.dsn(t)) })
	}
}

func testSAMLRefusals(t *testing.T, dsn string) {
	g := start(t, dsn, "--mobile-optional")
	admin := bearer(g.token(clientID, clientSecret, nil))
	signed := newSP(t, g, "signed", saml.HTTPPostBinding) // its metadata says it signs: Gatehouse requires it
	registerSP(t, g, admin, "Signed SP", signed, nil, nil)
	open := newSP(t, g, "open", saml.HTTPPostBinding)
	open.SignatureMethod = "" // signs nothing
	g.app(admin, map[string]any{"name": "Open SP", "protocol": "saml", "saml": map[string]any{"entity_id": open.EntityID,
		"acs": []map[string]any{{"url": open.AcsURL.String()}}}})
	br := newBrowser(t)
	sso := g.url + samlSSO

	refused := func(what string, p page, status int, text string) {
		t.Helper()
		if p.status != status || !strings.Contains(p.body, text) || formActionRE.MatchString(p.body) || p.location != nil {
			t.Errorf("%s: got %d (location %v), want %d with %q\n%s", what, p.status, p.location, status, text, p.body)
		}
	}
	redirect := func(xml string, extra string) page {
		return br.get(sso + "?SAMLRequest=" + url.QueryEscape(deflateB64(xml)) + extra)
	}
	post := func(path, xml string) page {
		return br.postForm(g.url+path, url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString([]byte(xml))}})
	}
	now := time.Now().UTC()
	authn := func(id, issuer, acs string, issued time.Time) string {
		return fmt.Sprintf(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" `+
			`ID="%s" Version="2.0" IssueInstant="%s" AssertionConsumerServiceURL="%s"><saml:Issuer>%s</saml:Issuer></samlp:AuthnRequest>`,
			id, issued.Format(time.RFC3339), acs, issuer)
	}

	refused("unknown SP", redirect(authn("_u1", "https://unknown.example.com/sp", open.AcsURL.String(), now), ""), 400, "is not registered")
	refused("unregistered ACS URL", redirect(authn("_u2", open.EntityID, "https://evil.example.com/acs", now), ""), 400,
		"https://evil.example.com/acs is not registered")
	refused("stale IssueInstant", redirect(authn("_u3", open.EntityID, open.AcsURL.String(), now.Add(-10*time.Minute)), ""), 400, "too old")
	refused("IssueInstant in the future", redirect(authn("_u4", open.EntityID, open.AcsURL.String(), now.Add(10*time.Minute)), ""), 400, "in the future")
	refused("SAML 1.1", redirect(strings.Replace(authn("_u5", open.EntityID, open.AcsURL.String(), now), `Version="2.0"`, `Version="1.1"`, 1), ""), 400, "Only SAML 2.0")

	// A replayed request ID: the first use shows the sign-in page.
	first := redirect(authn("_replay", open.EntityID, open.AcsURL.String(), now), "")
	if !strings.Contains(first.body, `action="/api/v1/login/form"`) {
		t.Fatalf("a fresh request did not reach the sign-in page: %d %s", first.status, first.body)
	}
	refused("replayed request ID", redirect(authn("_replay", open.EntityID, open.AcsURL.String(), now), ""), 400, "already used")

	// Signatures: required but absent; present but wrong.
	refused("unsigned request to an SP that signs", redirect(authn("_s1", signed.EntityID, signed.AcsURL.String(), now), ""), 400, "must sign")
	req, _ := signed.MakeAuthenticationRequest(sso, saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	u, _ := req.Redirect("", signed)
	bad := u.Query()
	sig, _ := base64.StdEncoding.DecodeString(bad.Get("Signature"))
	sig[10] ^= 1
	refused("bad query signature", br.get(strings.Replace(u.String(), url.QueryEscape(bad.Get("Signature")), url.QueryEscape(base64.StdEncoding.EncodeToString(sig)), 1)), 400, "does not verify")
	refused("query signature with another RelayState", br.get(u.String()+"&RelayState=injected"), 400, "does not verify")
	if p := br.get(u.String()); !strings.Contains(p.body, `action="/api/v1/login/form"`) {
		t.Errorf("the untouched signed request was refused: %d %s", p.status, p.body)
	}

	// Signature wrapping with the POST binding (enveloped signatures).
	req, _ = signed.MakeAuthenticationRequest(sso, saml.HTTPPostBinding, saml.HTTPPostBinding)
	orig := xmlOf(t, req.Element())
	refused("signed request with a changed ACS", post(samlSSO, strings.Replace(orig, signed.AcsURL.String(), "https://evil.example.com/acs", 1)), 400, "does not verify")
	refused("signed request wrapped in an evil one", post(samlSSO, `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" `+
		`xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_evil" Version="2.0" IssueInstant="`+now.Format(time.RFC3339)+
		`" AssertionConsumerServiceURL="https://evil.example.com/acs"><saml:Issuer>`+signed.EntityID+`</saml:Issuer><samlp:Extensions>`+
		orig+`</samlp:Extensions></samlp:AuthnRequest>`), 400, "does not verify")
	sigEl := req.Element().FindElement("./Signature")
	moved := etree.NewDocument()
	moved.ReadFromString(authn("_moved", signed.EntityID, "https://evil.example.com/acs", now))
	moved.Root().InsertChildAt(1, sigEl.Copy())
	refused("signature moved onto another request", post(samlSSO, docString(t, moved)), 400, "does not verify")
	dup := strings.Replace(orig, "<saml:Issuer", `<saml:Issuer ID="`+req.ID+`"`, 1)
	refused("two elements with the signed ID", post(samlSSO, dup), 400, "does not verify")

	// Hostile XML: never parsed past the DTD.
	xxe := `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>` + strings.Replace(authn("_x", open.EntityID, open.AcsURL.String(), now), open.EntityID+"<", "&x;<", 1)
	refused("XXE (Redirect)", redirect(xxe, ""), 400, "not a well-formed SAML 2.0 AuthnRequest")
	refused("XXE (POST)", post(samlSSO, xxe), 400, "not a well-formed SAML 2.0 AuthnRequest")
	lol := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">`
	for i := 1; i <= 9; i++ {
		prev := "lol"
		if i > 1 {
			prev = fmt.Sprintf("lol%d", i-1)
		}
		lol += fmt.Sprintf(`<!ENTITY lol%d "%s">`, i, strings.Repeat("&"+prev+";", 10))
	}
	lol += `]>` + strings.Replace(authn("_l", open.EntityID, open.AcsURL.String(), now), open.EntityID+"<", "&lol9;<", 1)
	start := time.Now()
	refused("billion laughs", post(samlSSO, lol), 400, "not a well-formed SAML 2.0 AuthnRequest")
	if time.Since(start) > 5*time.Second {
		t.Errorf("billion laughs took %s", time.Since(start))
	}
	refused("undeclared entity", redirect(strings.Replace(authn("_e", open.EntityID, open.AcsURL.String(), now), open.EntityID+"<", "&nope;<", 1), ""), 400, "not a well-formed")
	refused("not a request", redirect(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`, ""), 400, "not a well-formed SAML 2.0 AuthnRequest")

	// Broken encodings and bombs.
	refused("not base64", br.get(sso+"?SAMLRequest=%%%"), 400, "could not be decoded")
	refused("not deflated", br.get(sso+"?SAMLRequest="+url.QueryEscape(base64.StdEncoding.EncodeToString([]byte("<x/>")))), 400, "could not be decoded")
	refused("deflate bomb", br.get(sso+"?SAMLRequest="+url.QueryEscape(deflateB64("<a>"+strings.Repeat(" ", 4<<20)+"</a>"))), 400, "could not be decoded")
	refused("nothing", br.get(sso), 400, "sp=&lt;entity id&gt;")
	refused("IdP-initiated, unknown SP", br.get(sso+"?sp="+url.QueryEscape("https://unknown.example.com/sp")), 400, "is not registered")
	refused("resume with a forged state", br.get(sso+"/resume?sr=AAAA"), 400, "invalid or has expired")

	// Logout messages.
	slo := func(xml string) page {
		return br.get(g.url + samlSLO + "?SAMLRequest=" + url.QueryEscape(deflateB64(xml)))
	}
	logout := func(id, issuer, extra string) string {
		return fmt.Sprintf(`<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" `+
			`ID="%s" Version="2.0" IssueInstant="%s"><saml:Issuer>%s</saml:Issuer><saml:NameID>alice</saml:NameID>%s</samlp:LogoutRequest>`,
			id, now.Format(time.RFC3339), issuer, extra)
	}
	refused("unsigned logout without SessionIndex", slo(logout("_o1", open.EntityID, "")), 400, "must carry the SessionIndex")
	refused("logout from an unknown SP", slo(logout("_o2", "https://unknown.example.com/sp", "")), 400, "is not registered")
	refused("unsigned logout to an SP that signs", slo(logout("_o3", signed.EntityID, "<samlp:SessionIndex>x</samlp:SessionIndex>")), 400, "must sign")
	refused("XXE in a logout request", slo(`<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>`+logout("_o4", "&x;", "")), 400, "not a well-formed SAML 2.0 LogoutRequest")
	resp := fmt.Sprintf(`<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" `+
		`ID="_r" InResponseTo="_forged" Version="2.0" IssueInstant="%s"><saml:Issuer>%s</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>`,
		now.Format(time.RFC3339), open.EntityID)
	refused("a LogoutResponse to no logout", br.get(g.url+samlSLO+"?SAMLResponse="+url.QueryEscape(deflateB64(resp))), 400, "does not answer a logout")

	if strings.Contains(g.log(), `"level":"ERROR"`) {
		t.Errorf("a refusal was logged as a server error:\n%s", g.log())
	}
}

func deflateB64(s string) string {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write([]byte(s))
	w.Close()
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

func xmlOf(t *testing.T, el *etree.Element) string {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(el)
	return docString(t, doc)
}

func docString(t *testing.T, doc *etree.Document) string {
	t.Helper()
	s, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
