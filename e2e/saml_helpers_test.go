package e2e

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"html"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

// SAML service providers in these tests are crewjam/saml's
// ServiceProvider, configured from Gatehouse's metadata as a real SP
// would be; their ACS and SLO URLs are on rpHost, where the browser stops.

const (
	samlSSO      = "/api/v1/saml2/idp/sso"
	samlSLO      = "/api/v1/saml2/idp/slo"
	samlMetadata = "/api/v1/saml2/idp/metadata"
)

// spKey makes a service provider's key pair and self-signed certificate.
func spKey(t *testing.T, cn string) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return key, cert
}

// idpMetadata reads Gatehouse's metadata as an SP would.
func idpMetadata(t *testing.T, g *gh) (*saml.EntityDescriptor, []byte) {
	t.Helper()
	r := g.call("GET", samlMetadata, nil, nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/samlmetadata+xml") {
		t.Fatalf("metadata: %d %s\n%s", r.status, r.header.Get("Content-Type"), r.body)
	}
	var md saml.EntityDescriptor
	if err := xml.Unmarshal(r.body, &md); err != nil {
		t.Fatalf("metadata is not an EntityDescriptor: %v", err)
	}
	return &md, r.body
}

// newSP is a service provider named name, trusting Gatehouse's metadata.
func newSP(t *testing.T, g *gh, name string, sloBinding string) *saml.ServiceProvider {
	t.Helper()
	md, _ := idpMetadata(t, g)
	key, cert := spKey(t, name)
	base := "http://" + rpHost + "/" + name
	mdURL, _ := url.Parse(base + "/metadata")
	acs, _ := url.Parse(base + "/acs")
	slo, _ := url.Parse(base + "/slo")
	return &saml.ServiceProvider{EntityID: mdURL.String(), Key: key, Certificate: cert, MetadataURL: *mdURL, AcsURL: *acs, SloURL: *slo,
		IDPMetadata: md, SignatureMethod: dsig.RSASHA256SignatureMethod, AuthnNameIDFormat: saml.UnspecifiedNameIDFormat,
		LogoutBindings: []string{sloBinding}}
}

// spMetadataXML is the SP's own metadata, as an administrator would
// upload it to Gatehouse.
func spMetadataXML(t *testing.T, sp *saml.ServiceProvider) string {
	t.Helper()
	b, err := xml.MarshalIndent(sp.Metadata(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// registerSP registers the SP from its metadata, plus extra saml fields.
func registerSP(t *testing.T, g *gh, auth map[string]string, name string, sp *saml.ServiceProvider, extra map[string]any, body map[string]any) string {
	t.Helper()
	s := map[string]any{"metadata_xml": spMetadataXML(t, sp)}
	for k, v := range extra {
		s[k] = v
	}
	b := map[string]any{"name": name, "protocol": "saml", "saml": s}
	for k, v := range body {
		b[k] = v
	}
	_, _, id := g.app(auth, b)
	return id
}

// authnRedirect makes sp's AuthnRequest for the Redirect binding (the
// answer by POST), passive when asked, and the URL that carries it.
func authnRedirect(t *testing.T, sp *saml.ServiceProvider, relay string, passive bool) (*saml.AuthnRequest, string) {
	t.Helper()
	req, err := sp.MakeAuthenticationRequest(sp.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		t.Fatal(err)
	}
	if passive {
		req.IsPassive = &passive
	}
	u, err := req.Redirect(relay, sp)
	if err != nil {
		t.Fatal(err)
	}
	return req, u.String()
}

// samlPost is an auto-posting page of Gatehouse: where it posts and what.
type samlPost struct {
	action string
	fields map[string]string
}

var (
	formActionRE = regexp.MustCompile(`<form id="autosubmit" method="post" action="([^"]*)">`)
	formFieldRE  = regexp.MustCompile(`<input type="hidden" name="([A-Za-z]+)" value="([^"]*)">`)
)

// readPost reads the auto-post page p, failing the test when p is not one.
func readPost(t *testing.T, p page) samlPost {
	t.Helper()
	m := formActionRE.FindStringSubmatch(p.body)
	if p.status != 200 || m == nil {
		t.Fatalf("expected the auto-post page, got %d:\n%s", p.status, p.body)
	}
	out := samlPost{action: html.UnescapeString(m[1]), fields: map[string]string{}}
	for _, f := range formFieldRE.FindAllStringSubmatch(p.body, -1) {
		out.fields[f[1]] = html.UnescapeString(f[2])
	}
	return out
}

// decoded is the base64-decoded value of a posted SAML message.
func (p samlPost) decoded(t *testing.T, name string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(p.fields[name])
	if err != nil || len(b) == 0 {
		t.Fatalf("%s is not base64: %v", name, err)
	}
	return b
}

// postForm posts fields to a Gatehouse URL with the browser.
func (b *browser) postForm(u string, fields url.Values) page {
	req, _ := http.NewRequest("POST", u, strings.NewReader(fields.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// idpCertPEM is the first signing certificate of Gatehouse's metadata.
func idpCertPEM(t *testing.T, md *saml.EntityDescriptor) []byte {
	t.Helper()
	for _, kd := range md.IDPSSODescriptors[0].KeyDescriptors {
		if kd.Use == "signing" && len(kd.KeyInfo.X509Data.X509Certificates) > 0 {
			der, err := base64.StdEncoding.DecodeString(kd.KeyInfo.X509Data.X509Certificates[0].Data)
			if err != nil {
				t.Fatal(err)
			}
			return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		}
	}
	t.Fatal("no signing certificate in the metadata")
	return nil
}

// xmlsecVerify checks a signed message with xmlsec1 against the IdP's
// certificate from its metadata. Without xmlsec1 it says so and passes.
func xmlsecVerify(t *testing.T, md *saml.EntityDescriptor, msg []byte) {
	t.Helper()
	bin, err := exec.LookPath("xmlsec1")
	if err != nil {
		t.Log("xmlsec1 IS NOT INSTALLED: skipping the independent signature check (apt-get install -y xmlsec1)")
		return
	}
	dir := t.TempDir()
	cert, doc := filepath.Join(dir, "idp.crt"), filepath.Join(dir, "msg.xml")
	os.WriteFile(cert, idpCertPEM(t, md), 0o600)
	os.WriteFile(doc, msg, 0o600)
	out, err := exec.Command(bin, "--verify", "--pubkey-cert-pem", cert,
		"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
		"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse",
		"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest",
		"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:ArtifactResponse",
		"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion", doc).CombinedOutput()
	if err != nil {
		t.Fatalf("xmlsec1 --verify refused the message: %v\n%s\n%s", err, out, msg)
	}
}

// parseResponse is the SP reading a posted Response, with crewjam's
// private reason on failure.
func parseResponse(sp *saml.ServiceProvider, msg []byte, requestIDs []string) (*saml.Assertion, error) {
	a, err := sp.ParseXMLResponse(msg, requestIDs, sp.AcsURL)
	if ire, ok := err.(*saml.InvalidResponseError); ok {
		return nil, ire.PrivateErr
	}
	return a, err
}

// attr returns the values of an assertion's attribute.
func attr(a *saml.Assertion, name string) []string {
	var out []string
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			if at.Name == name {
				for _, v := range at.Values {
					out = append(out, v.Value)
				}
			}
		}
	}
	return out
}

// b64XML is an element as the POST binding carries it.
func b64XML(t *testing.T, el *etree.Element) string {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(el)
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// inflateXML decodes a Redirect-binding message into v.
func inflateXML(t *testing.T, v string, into any) []byte {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if into != nil {
		if err := xml.Unmarshal(b, into); err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
	}
	return b
}

// samlFor is the least a saml application needs (an entity id unique in
// the tenant, and one ACS), for tests about other things.
func samlFor(name string) map[string]any {
	return map[string]any{"entity_id": "https://sp.example.com/" + url.PathEscape(name),
		"acs": []map[string]any{{"url": "https://sp.example.com/acs"}}}
}

// samlReadFor is samlFor as the API shows it, with every default.
func samlReadFor(name string) map[string]any {
	return map[string]any{"entity_id": "https://sp.example.com/" + url.PathEscape(name),
		"acs":     []any{map[string]any{"url": "https://sp.example.com/acs", "binding": "post", "index": float64(0), "default": false}},
		"slo_url": "", "slo_binding": "redirect", "sp_signing_certs": []any{}, "sp_encryption_cert": "",
		"want_authn_requests_signed": false, "sign_response": false, "sign_assertion": true, "encrypt_assertion": false,
		"encryption_method": "aes128-gcm", "name_id_format": "unspecified", "name_id_source": "user_name", "assertion_lifetime": float64(300)}
}
