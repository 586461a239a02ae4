package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
)

// TestSAMLArtifactBinding: a crewjam SP asks for the HTTP-Artifact
// binding; the browser brings it an artifact, which it resolves itself
// over SOAP with a signed ArtifactResolve at the IdP metadata's
// ArtifactResolutionService, and reads the assertion. An artifact is
// spent once, serves only its SP, and an unsigned request gets a fault.
func TestSAMLArtifactBinding(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { testSAMLArtifactBinding(t, b.dsn(t)) })
	}
}

func testSAMLArtifactBinding(t *testing.T, dsn string) {
	g := start(t, dsn, "--mobile-optional")
	admin := bearer(g.token(clientID, clientSecret, nil))
	g.user(admin, map[string]any{"user_name": "alice", "password": alicePassword, "email": "alice@example.com", "name": "Alice"})
	sp := newSP(t, g, "spart", saml.HTTPPostBinding)
	registerSP(t, g, admin, "Artifact SAML", sp, map[string]any{"name_id_format": "email"}, nil)
	other := newSP(t, g, "spother", saml.HTTPPostBinding)
	registerSP(t, g, admin, "Other SAML", other, nil, nil)
	if sp.GetArtifactBindingLocation(saml.SOAPBinding) != g.url+"/api/v1/saml2/idp/artifact" {
		t.Fatalf("the IdP metadata's ArtifactResolutionService: %q", sp.GetArtifactBindingLocation(saml.SOAPBinding))
	}

	br := newBrowser(t)
	login := func() (*saml.AuthnRequest, string) {
		t.Helper()
		req, err := sp.MakeAuthenticationRequest(sp.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPArtifactBinding)
		if err != nil {
			t.Fatal(err)
		}
		u, err := req.Redirect("relay-art", sp)
		if err != nil {
			t.Fatal(err)
		}
		p := br.signIn(u.String(), "alice", alicePassword)
		if p.location == nil || p.location.Query().Get("SAMLart") == "" || p.location.Query().Get("RelayState") != "relay-art" ||
			!strings.HasPrefix(p.location.String(), sp.AcsURL.String()+"?") {
			t.Fatalf("want a redirect to the ACS with an artifact: %d %v\n%s", p.status, p.location, p.body)
		}
		return req, p.location.String()
	}
	resolve := func(sp *saml.ServiceProvider, acsURL string, req *saml.AuthnRequest) (*saml.Assertion, error) {
		r := httptest.NewRequest("GET", acsURL, nil).WithContext(context.Background())
		r.ParseForm()
		a, err := sp.ParseResponse(r, []string{req.ID})
		if ire, ok := err.(*saml.InvalidResponseError); ok {
			err = ire.PrivateErr
		}
		return a, err
	}

	req, acsURL := login()
	a, err := resolve(sp, acsURL, req)
	if err != nil {
		t.Fatalf("artifact resolution: %v", err)
	}
	if a.Subject.NameID.Value != "alice@example.com" {
		t.Errorf("NameID %q", a.Subject.NameID.Value)
	}
	// Spent: a second resolution finds nothing.
	if _, err := resolve(sp, acsURL, req); err == nil {
		t.Error("an artifact was resolved twice")
	}

	// Another SP cannot take it, and spends it by trying.
	req, acsURL = login()
	if _, err := resolve(other, acsURL, req); err == nil {
		t.Error("another service provider resolved the artifact")
	}
	if _, err := resolve(sp, acsURL, req); err == nil {
		t.Error("an artifact tried by another SP still resolved")
	}

	// By hand: xmlsec1 verifies the signed ArtifactResponse against the
	// IdP metadata's certificate, and crewjam reads it.
	post := func(sp *saml.ServiceProvider, acsURL string) (int, []byte, *saml.ArtifactResolve) {
		t.Helper()
		ar, err := sp.MakeArtifactResolveRequest(httptest.NewRequest("GET", acsURL, nil).URL.Query().Get("SAMLart"))
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.Post(g.url+"/api/v1/saml2/idp/artifact", "text/xml", strings.NewReader(elementString(t, ar.SoapRequest())))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, body, ar
	}
	req, acsURL = login()
	status, body, ar := post(sp, acsURL)
	if status != 200 || res(body) == "" {
		t.Fatalf("ArtifactResolve: %d %s", status, body)
	}
	md, _ := idpMetadata(t, g)
	xmlsecVerify(t, md, []byte(res(body)))
	acs, _ := url.Parse(acsURL)
	if _, err := sp.ParseXMLArtifactResponse(body, []string{req.ID}, ar.ID, *acs); err != nil {
		t.Fatalf("crewjam refused the ArtifactResponse: %v", err.(*saml.InvalidResponseError).PrivateErr)
	}

	// An unsigned ArtifactResolve: a SOAP fault, 400, and nothing given.
	req, acsURL = login()
	unsigned := *sp
	unsigned.SignatureMethod = ""
	if status, body, _ := post(&unsigned, acsURL); status != 400 || !strings.Contains(string(body), "Fault") {
		t.Errorf("unsigned ArtifactResolve: %d %s", status, body)
	}
	if _, err := resolve(sp, acsURL, req); err != nil {
		t.Errorf("the artifact after an unsigned attempt: %v", err)
	}
	// Not SOAP at all: a fault too, never a 500.
	for _, junk := range []string{"", "<x/>", `<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`, strings.Repeat("<a>", 1<<16)} {
		res, err := http.Post(g.url+"/api/v1/saml2/idp/artifact", "text/xml", strings.NewReader(junk))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 400 {
			t.Errorf("junk %.20q: %d", junk, res.StatusCode)
		}
	}
}

// res is the ArtifactResponse inside a SOAP answer, as a document of its
// own ("" when there is none).
func res(soap []byte) string {
	doc := etree.NewDocument()
	if doc.ReadFromBytes(soap) != nil {
		return ""
	}
	el := doc.FindElement("//ArtifactResponse")
	if el == nil {
		return ""
	}
	out := etree.NewDocument()
	out.SetRoot(el.Copy())
	s, _ := out.WriteToString()
	return s
}

// elementString serialises el as a document.
func elementString(t *testing.T, el *etree.Element) string {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(el)
	s, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
