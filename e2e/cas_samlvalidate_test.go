package e2e

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// saml11Response is /samlValidate's answer, read as a SAML 1.1 CAS client
// (Apereo's Saml11TicketValidator) reads it.
type saml11Response struct {
	Body struct {
		Response struct {
			Recipient string `xml:"Recipient,attr"`
			InResp    string `xml:"InResponseTo,attr"`
			Status    struct {
				Code struct {
					Value string `xml:"Value,attr"`
				} `xml:"StatusCode"`
				Message string `xml:"StatusMessage"`
			} `xml:"Status"`
			Assertion *struct {
				Conditions struct {
					NotBefore    string `xml:"NotBefore,attr"`
					NotOnOrAfter string `xml:"NotOnOrAfter,attr"`
					Audience     string `xml:"AudienceRestrictionCondition>Audience"`
				} `xml:"Conditions"`
				Attributes struct {
					Subject    string `xml:"Subject>NameIdentifier"`
					Attributes []struct {
						Name   string   `xml:"AttributeName,attr"`
						Values []string `xml:"AttributeValue"`
					} `xml:"Attribute"`
				} `xml:"AttributeStatement"`
				Authn struct {
					Instant string `xml:"AuthenticationInstant,attr"`
					Subject string `xml:"Subject>NameIdentifier"`
				} `xml:"AuthenticationStatement"`
			} `xml:"Assertion"`
		} `xml:"Response"`
	} `xml:"Body"`
}

// TestCASSAMLValidate: SAML 1.1 validation (CAS protocol 3.0 section 4)
// with a client written here: the user and the CAS 3.0 attributes in a
// SAML 1.1 assertion for the service; the ticket is spent as by
// /p3/serviceValidate, another service's ticket and junk are refused with
// a Responder status, never a 5xx.
func TestCASSAMLValidate(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { testCASSAMLValidate(t, b.dsn(t)) })
	}
}

func testCASSAMLValidate(t *testing.T, dsn string) {
	g := start(t, dsn, "--mobile-optional")
	admin := bearer(g.token(clientID, clientSecret, nil))
	g.user(admin, map[string]any{"user_name": "alice", "password": alicePassword, "email": "alice@example.com", "name": "Alice"})
	service := "http://" + rpHost + "/saml11/app"
	g.app(admin, map[string]any{"name": "Saml11", "protocol": "cas", "cas": map[string]any{"service_patterns": []string{"http://" + rpHost + "/saml11/*"}},
		"claim_mappings": []map[string]any{{"claim": "mail", "source": "user.email"}}})
	br := newBrowser(t)
	ticket := func() string {
		t.Helper()
		p := br.signIn(g.url+"/api/v1/cas/login?service="+url.QueryEscape(service), "alice", alicePassword)
		if p.location == nil || p.location.Query().Get("ticket") == "" {
			t.Fatalf("no ticket: %d %v", p.status, p.location)
		}
		return p.location.Query().Get("ticket")
	}
	validate := func(target, body string) (int, saml11Response) {
		t.Helper()
		res, err := http.Post(g.url+"/api/v1/cas/samlValidate?TARGET="+url.QueryEscape(target), "text/xml", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var out saml11Response
		if err := xml.Unmarshal(b, &out); err != nil {
			t.Fatalf("not XML: %v\n%s", err, b)
		}
		return res.StatusCode, out
	}
	envelope := func(tk string) string {
		return `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Header/><SOAP-ENV:Body>` +
			`<samlp:Request xmlns:samlp="urn:oasis:names:tc:SAML:1.0:protocol" MajorVersion="1" MinorVersion="1" RequestID="_r1" IssueInstant="` +
			time.Now().UTC().Format("2006-01-02T15:04:05.000Z") + `"><samlp:AssertionArtifact>` + tk + `</samlp:AssertionArtifact></samlp:Request>` +
			`</SOAP-ENV:Body></SOAP-ENV:Envelope>`
	}

	tk := ticket()
	status, out := validate(service, envelope(tk))
	r := out.Body.Response
	if status != 200 || r.Status.Code.Value != "samlp:Success" || r.Assertion == nil || r.InResp != "_r1" || r.Recipient != service {
		t.Fatalf("samlValidate: %d %+v", status, r)
	}
	a := r.Assertion
	if a.Attributes.Subject != "alice" || a.Authn.Subject != "alice" || a.Conditions.Audience != service || a.Authn.Instant == "" {
		t.Errorf("assertion: %+v", a)
	}
	nb, _ := time.Parse(time.RFC3339, a.Conditions.NotBefore)
	na, _ := time.Parse(time.RFC3339, a.Conditions.NotOnOrAfter)
	if now := time.Now(); !nb.Before(now) || !na.After(now) {
		t.Errorf("conditions %s - %s", a.Conditions.NotBefore, a.Conditions.NotOnOrAfter)
	}
	attrs := map[string][]string{}
	for _, at := range a.Attributes.Attributes {
		attrs[at.Name] = at.Values
	}
	if len(attrs["mail"]) != 1 || attrs["mail"][0] != "alice@example.com" || len(attrs["isFromNewLogin"]) != 1 {
		t.Errorf("attributes %v", attrs)
	}

	// Spent; another service's ticket; junk: Responder, 200, no assertion.
	for _, c := range []struct{ what, target, body, code string }{
		{"replay", service, envelope(tk), "INVALID_TICKET"},
		{"another service", "http://" + rpHost + "/saml11/other", envelope(ticket()), "INVALID_SERVICE"},
		{"no artifact", service, envelope(""), "INVALID_REQUEST"},
		{"not SOAP", service, "<x/>", "INVALID_REQUEST"},
		{"a DTD", service, `<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`, "INVALID_REQUEST"},
	} {
		status, out := validate(c.target, c.body)
		r := out.Body.Response
		if status != 200 || r.Status.Code.Value != "samlp:Responder" || r.Assertion != nil || !strings.HasPrefix(r.Status.Message, c.code) {
			t.Errorf("%s: %d %+v", c.what, status, r)
		}
	}
}
