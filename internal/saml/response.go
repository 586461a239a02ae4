package saml

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/web"
)

// responseHead is the Response element before its assertion (SAML Core
// 3.2.2, Profiles 4.1.4.2: Destination is the ACS, InResponseTo the
// request's ID when there was a request).
func responseHead(issuer, destination, inResponseTo string, status saml.Status, now time.Time) *etree.Element {
	r := &saml.Response{ID: newID(), InResponseTo: inResponseTo, Version: "2.0", IssueInstant: now.UTC(), Destination: destination,
		Issuer: &saml.Issuer{Format: formatEntity, Value: issuer}, Status: status}
	return r.Element()
}

// buildResponse makes the signed (and, as the application asks,
// encrypted) Response carrying one assertion.
func buildResponse(sg *signer, s *apps.SAMLSettings, f *assertionFacts, now time.Time) ([]byte, error) {
	assertion := buildAssertion(f, now)
	if s.SignAssertion {
		if err := sg.sign(assertion); err != nil {
			return nil, err
		}
	}
	if s.EncryptAssertion {
		cert, ok := apps.ParseCert(s.SPEncryptionCert)
		if !ok {
			return nil, errNoEncryptionCert
		}
		enc, err := encryptAssertion(assertion, cert, s.EncryptionMethod)
		if err != nil {
			return nil, err
		}
		assertion = enc
	}
	resp := responseHead(f.issuer, f.recipient, f.inResponseTo, saml.Status{StatusCode: saml.StatusCode{Value: statusSuccess}}, now)
	resp.AddChild(assertion)
	if s.SignResponse {
		if err := sg.sign(resp); err != nil {
			return nil, err
		}
	}
	return serialize(resp)
}

// buildErrorResponse makes a signed Response that carries only a status,
// e.g. Responder/NoPassive for an IsPassive request without a session.
func buildErrorResponse(sg *signer, issuer, destination, inResponseTo, top, second string, now time.Time) ([]byte, error) {
	st := saml.Status{StatusCode: saml.StatusCode{Value: top}}
	if second != "" {
		st.StatusCode.StatusCode = &saml.StatusCode{Value: second}
	}
	resp := responseHead(issuer, destination, inResponseTo, st, now)
	if err := sg.sign(resp); err != nil {
		return nil, err
	}
	return serialize(resp)
}

func serialize(el *etree.Element) ([]byte, error) {
	doc := etree.NewDocument()
	doc.SetRoot(el)
	return doc.WriteToBytes()
}

// postTo sends a protocol message with the HTTP-POST binding (SAML
// Bindings 3.5): a page that posts it to action at once. Its CSP allows
// the one auto-submit script; form-action names action's origin and, as
// browsers apply form-action to the redirects that follow a post, any
// https origin: an ACS commonly sends the browser on to the application
// on another host (Huawei Cloud's to its console). The page holds no
// markup but ours, so the wider form-action gives nothing to an attacker.
func (s *Server) postTo(w http.ResponseWriter, r *http.Request, action, param string, msg []byte, relayState, lead, button string) {
	fields := []web.FormField{{Name: param, Value: base64.StdEncoding.EncodeToString(msg)}}
	if relayState != "" {
		fields = append(fields, web.FormField{Name: "RelayState", Value: relayState})
	}
	s.Pages.RenderAutoPost(w, web.AutoPostView{View: web.View{Title: lead, TenantName: s.idpOf(r).tenant.Name},
		Lead: lead, Button: button, Action: action, Fields: fields}, originOf(action), "https:")
}

// redirectTo sends a protocol message with the HTTP-Redirect binding
// (SAML Bindings 3.4): deflated, base64, signed over the query string.
func (s *Server) redirectTo(w http.ResponseWriter, r *http.Request, sg *signer, location, param string, msg []byte, relayState string) {
	q := param + "=" + url.QueryEscape(base64.StdEncoding.EncodeToString(deflate(msg)))
	if relayState != "" {
		q += "&RelayState=" + url.QueryEscape(relayState)
	}
	q, err := sg.signQuery(q)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	sep := "?"
	if u, err := url.Parse(location); err == nil && u.RawQuery != "" {
		sep = "&"
	}
	http.Redirect(w, r, location+sep+q, http.StatusFound)
}

func originOf(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return ""
	}
	return p.Scheme + "://" + p.Host
}
