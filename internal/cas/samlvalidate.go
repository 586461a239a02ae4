package cas

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/idgen"
)

// samlValidate is POST /api/v1/cas/samlValidate?TARGET=<service> (CAS
// protocol 3.0, section 4): the SAML 1.1 validation some CAS clients use
// (Apereo's Java client with Saml11TicketValidationFilter). The body is a
// SOAP envelope with a samlp:Request naming the service ticket as its
// AssertionArtifact; the answer, in a SOAP envelope, is a SAML 1.1
// Response whose Assertion names the user (NameIdentifier, as
// <cas:user>) with the CAS 3.0 attributes, unsigned as the protocol has
// it (the client reached Gatehouse over TLS itself). The ticket goes
// through the same checks as /p3/serviceValidate and is spent alike.
func (s *Server) samlValidate(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	service := q.Get("TARGET")
	if service == "" {
		service = q.Get("service")
	}
	var env samlValidateEnvelope
	body, err := io.ReadAll(io.LimitReader(r.Body, maxSAMLValidate+1))
	if err != nil || len(body) > maxSAMLValidate || xml.Unmarshal(body, &env) != nil || env.Body.Request.Artifact == "" {
		writeSAML11(w, s.Now(), service, "", nil, &casError{InvalidRequest, "The body must be a SOAP envelope holding a SAML 1.1 Request with an AssertionArtifact."})
		return
	}
	v, e := s.check(r, url.Values{"service": {service}, "ticket": {strings.TrimSpace(env.Body.Request.Artifact)}}, false)
	if e != nil {
		writeSAML11(w, s.Now(), service, env.Body.Request.ID, nil, e)
		return
	}
	writeSAML11(w, s.Now(), service, env.Body.Request.ID, v, nil)
}

// maxSAMLValidate bounds the request body (a ticket in a small envelope).
const maxSAMLValidate = 16 << 10

type samlValidateEnvelope struct {
	XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
	Body    struct {
		Request struct {
			XMLName  xml.Name `xml:"urn:oasis:names:tc:SAML:1.0:protocol Request"`
			ID       string   `xml:"RequestID,attr"`
			Artifact string   `xml:"urn:oasis:names:tc:SAML:1.0:protocol AssertionArtifact"`
		}
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
}

// writeSAML11 writes the SOAP-wrapped SAML 1.1 Response: Success with the
// assertion for v, or Responder with e's code and message.
func writeSAML11(w http.ResponseWriter, now time.Time, service, inResponseTo string, v *validated, e *casError) {
	now = now.UTC()
	stamp := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
	var b strings.Builder
	esc := func(s string) string { // text and attribute values (quotes escaped too)
		var e strings.Builder
		xml.EscapeText(&e, []byte(s))
		return e.String()
	}
	b.WriteString(`<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Header/><SOAP-ENV:Body>`)
	b.WriteString(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:1.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion"`)
	b.WriteString(` IssueInstant="` + stamp(now) + `" MajorVersion="1" MinorVersion="1" Recipient="` + esc(service) + `" ResponseID="_` + idgen.Alnum(32) + `"`)
	if inResponseTo != "" {
		b.WriteString(` InResponseTo="` + esc(inResponseTo) + `"`)
	}
	b.WriteString(`>`)
	if e != nil {
		b.WriteString(`<samlp:Status><samlp:StatusCode Value="samlp:Responder"/><samlp:StatusMessage>` + esc(e.code+": "+e.desc) +
			`</samlp:StatusMessage></samlp:Status></samlp:Response></SOAP-ENV:Body></SOAP-ENV:Envelope>`)
		writeXMLDoc(w, b.String())
		return
	}
	user := esc(userID(v))
	subject := `<saml:Subject><saml:NameIdentifier>` + user + `</saml:NameIdentifier><saml:SubjectConfirmation>` +
		`<saml:ConfirmationMethod>urn:oasis:names:tc:SAML:1.0:cm:artifact</saml:ConfirmationMethod></saml:SubjectConfirmation></saml:Subject>`
	b.WriteString(`<samlp:Status><samlp:StatusCode Value="samlp:Success"/></samlp:Status>`)
	b.WriteString(`<saml:Assertion AssertionID="_` + idgen.Alnum(32) + `" IssueInstant="` + stamp(now) + `" Issuer="Gatehouse" MajorVersion="1" MinorVersion="1">`)
	b.WriteString(`<saml:Conditions NotBefore="` + stamp(now.Add(-time.Minute)) + `" NotOnOrAfter="` + stamp(now.Add(time.Minute)) + `">`)
	b.WriteString(`<saml:AudienceRestrictionCondition><saml:Audience>` + esc(service) + `</saml:Audience></saml:AudienceRestrictionCondition></saml:Conditions>`)
	b.WriteString(`<saml:AttributeStatement>` + subject)
	for _, a := range attributes(v) {
		b.WriteString(`<saml:Attribute AttributeName="` + esc(a.name) + `" AttributeNamespace="http://www.ja-sig.org/products/cas/">`)
		for _, val := range a.values {
			b.WriteString(`<saml:AttributeValue>` + esc(val) + `</saml:AttributeValue>`)
		}
		b.WriteString(`</saml:Attribute>`)
	}
	b.WriteString(`</saml:AttributeStatement>`)
	b.WriteString(`<saml:AuthenticationStatement AuthenticationInstant="` + stamp(v.ticket.AuthTime) +
		`" AuthenticationMethod="urn:oasis:names:tc:SAML:1.0:am:password">` + subject + `</saml:AuthenticationStatement>`)
	b.WriteString(`</saml:Assertion></samlp:Response></SOAP-ENV:Body></SOAP-ENV:Envelope>`)
	writeXMLDoc(w, b.String())
}

// writeXMLDoc writes a /samlValidate answer (SOAP, text/xml, never cached).
func writeXMLDoc(w http.ResponseWriter, doc string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, doc)
}
