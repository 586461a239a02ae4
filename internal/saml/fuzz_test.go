package saml

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/crewjam/saml"
)

// The parsers of untrusted requests, from the binding's encoding to the
// protocol struct, must never panic nor let through a message that is not
// one root of the expected type. Run with
// go test -fuzz FuzzAuthnRequest ./internal/saml (and FuzzLogoutRequest).

func redirectQuery(xml string, extra string) string {
	return "SAMLRequest=" + url.QueryEscape(base64.StdEncoding.EncodeToString(deflate([]byte(xml)))) + extra
}

const seedLogout = `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ` +
	`ID="_2" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>https://sp.example.com</saml:Issuer>` +
	`<saml:NameID>alice</saml:NameID><samlp:SessionIndex>_abc</samlp:SessionIndex></samlp:LogoutRequest>`

func seeds(f *testing.F, doc string) {
	f.Add(redirectQuery(doc, ""))
	f.Add(redirectQuery(doc, "&RelayState=r%20s&SigAlg="+url.QueryEscape("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")+"&Signature=AAAA"))
	f.Add(redirectQuery(`<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>`+doc, ""))
	f.Add(redirectQuery(strings.Replace(doc, "</saml:Issuer>", "</saml:Issuer><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo/></ds:Signature>", 1), ""))
	f.Add("SAMLRequest=%%&SAMLRequest=x")
	f.Add("SAMLRequest=" + url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(doc))))
	f.Add(base64.StdEncoding.EncodeToString([]byte(doc)))
}

// parseAll runs both bindings' decoders and the XML and protocol parsing
// on raw, as the handlers do.
func parseAll(t *testing.T, raw, local string, into any) {
	var msgs [][]byte
	if in, err := readRedirect(raw); err == nil {
		if in.Param == paramRequest && len(in.XML) == 0 {
			t.Fatal("an empty message was decoded")
		}
		msgs = append(msgs, in.XML)
	}
	if b, err := decodeBase64(raw); err == nil {
		msgs = append(msgs, b)
	}
	for _, m := range msgs {
		root, err := parseMessage(m, local)
		if err != nil {
			continue
		}
		if root.Tag != local || root.NamespaceURI() != nsProtocol {
			t.Fatalf("parseMessage returned a %s:%s for %s", root.NamespaceURI(), root.Tag, local)
		}
		verified, _, err := verifyXML(root, nil)
		if err == nil {
			unmarshalElement(verified, into)
			if local == "AuthnRequest" {
				// What the request accepts is read from the same element.
				if classes, ok := acceptedClasses(verified); ok && len(classes) > 2*maxRequestedClasses {
					t.Fatalf("%d accepted classes", len(classes))
				}
			}
		}
	}
}

func FuzzAuthnRequest(f *testing.F) {
	seeds(f, testRequestWith("https://sp.example.com"))
	f.Add(base64.StdEncoding.EncodeToString([]byte(strings.Replace(testRequestWith("https://sp.example.com"), "</samlp:AuthnRequest>",
		`<samlp:RequestedAuthnContext Comparison="minimum"><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></samlp:RequestedAuthnContext></samlp:AuthnRequest>`, 1))))
	f.Fuzz(func(t *testing.T, raw string) {
		parseAll(t, raw, "AuthnRequest", &saml.AuthnRequest{})
	})
}

func FuzzLogoutRequest(f *testing.F) {
	seeds(f, seedLogout)
	f.Fuzz(func(t *testing.T, raw string) {
		parseAll(t, raw, "LogoutRequest", &saml.LogoutRequest{})
	})
}

func testRequestWith(issuer string) string { return strings.Replace(testRequest, "ISSUER", issuer, 1) }

// FuzzArtifactResolve: the SOAP reader of artifact resolution never
// panics, and whatever it accepts is one ArtifactResolve in the protocol
// namespace.
func FuzzArtifactResolve(f *testing.F) {
	f.Add(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>` +
		`<samlp:ArtifactResolve xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z">` +
		`<saml:Issuer>https://sp.example.com</saml:Issuer><samlp:Artifact>AAQAAA==</samlp:Artifact></samlp:ArtifactResolve></soapenv:Body></soapenv:Envelope>`)
	f.Add(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body/></soapenv:Envelope>`)
	f.Add(`<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`)
	f.Fuzz(func(t *testing.T, body string) {
		root, err := parseSOAPArtifactResolve([]byte(body))
		if err == nil && (root.Tag != "ArtifactResolve" || root.NamespaceURI() != nsProtocol) {
			t.Fatalf("accepted a %s:%s", root.NamespaceURI(), root.Tag)
		}
		if err == nil {
			var req saml.ArtifactResolve
			unmarshalElement(root, &req)
		}
	})
}
