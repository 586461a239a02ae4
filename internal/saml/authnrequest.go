package saml

import (
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/failure"
)

// Freshness of requests: IssueInstant may be this old, or this far ahead
// of our clock (the SP's clock may run ahead a little).
const (
	maxRequestAge    = 5 * time.Minute
	maxRequestFuture = 90 * time.Second
)

var errNoEncryptionCert = errors.New("saml: the application's encryption certificate cannot be read")

// signedMessage is a request from a known service provider whose
// signature, if any, verified; root is what may be read.
type signedMessage struct {
	app    *apps.App
	root   *etree.Element
	signed bool
}

// checkSender reads a protocol message's Issuer, finds its service
// provider and verifies its signature (query or enveloped). A service
// provider that wants signed requests gets nothing unsigned through.
func (s *Server) checkSender(ctx context.Context, tenantID string, in *inbound, root *etree.Element) (*signedMessage, *refusal) {
	iss := root.FindElement("./Issuer")
	if iss == nil || iss.NamespaceURI() != nsAssertion || iss.Text() == "" {
		return nil, refuse(http.StatusBadRequest, "The SAML message does not say which service provider sent it (no Issuer).")
	}
	app, err := s.Apps.GetBySAMLEntityID(ctx, tenantID, iss.Text())
	if f, ok := failure.As(err); ok && f.Code == apps.ErrAppNotFound.Code {
		return nil, refuse(http.StatusBadRequest, "The service provider "+truncate(iss.Text(), 200)+" is not registered with this identity provider.")
	}
	if err != nil {
		return nil, internal(err)
	}
	if app.Disabled {
		return nil, refuse(http.StatusForbidden, "The application "+app.Name+" is disabled.")
	}
	certs := spCerts(&app.SAML)
	m := &signedMessage{app: app, root: root}
	if in.Signature != nil {
		if verifyQuery(in, certs) != nil {
			return nil, refuse(http.StatusBadRequest, "The signature of the SAML message does not verify with "+app.Name+"'s registered certificates.")
		}
		m.signed = true
	}
	verified, signed, err := verifyXML(root, certs)
	if err != nil {
		return nil, refuse(http.StatusBadRequest, "The signature of the SAML message does not verify with "+app.Name+"'s registered certificates.")
	}
	if signed {
		m.root, m.signed = verified, true
	}
	if app.SAML.WantAuthnRequestsSigned && !m.signed {
		return nil, refuse(http.StatusBadRequest, app.Name+" must sign its SAML requests, and this one is not signed.")
	}
	return m, nil
}

func spCerts(s *apps.SAMLSettings) []*x509.Certificate {
	var out []*x509.Certificate
	for _, p := range s.SPSigningCerts {
		if c, ok := apps.ParseCert(p); ok {
			out = append(out, c)
		}
	}
	return out
}

// checkFresh applies the rules every request shares: version 2.0, an ID,
// an IssueInstant neither stale nor ahead, a Destination (when given)
// that is this endpoint, and an ID never seen before from this SP.
func (s *Server) checkFresh(ctx context.Context, tenantID, appID, id, version string, issued time.Time, destination, endpoint string) *refusal {
	now := s.Now()
	switch {
	case version != "2.0":
		return refuse(http.StatusBadRequest, "Only SAML 2.0 requests are accepted.")
	case id == "" || len(id) > 256:
		return refuse(http.StatusBadRequest, "The SAML request has no valid ID.")
	case issued.Before(now.Add(-maxRequestAge)):
		return refuse(http.StatusBadRequest, "The SAML request is too old (IssueInstant more than 5 minutes ago). Go back to the application and start again.")
	case issued.After(now.Add(maxRequestFuture)):
		return refuse(http.StatusBadRequest, "The SAML request was issued in the future (IssueInstant ahead of this server's clock).")
	case destination != "" && destination != endpoint:
		return refuse(http.StatusBadRequest, "The SAML request was meant for another endpoint (Destination "+truncate(destination, 200)+").")
	}
	first, err := s.Store.Revocations().Claim(ctx, tenantID, "saml-request:"+appID+":"+id, issued.Add(maxRequestAge+maxRequestFuture))
	if err != nil {
		return internal(err)
	}
	if !first {
		return refuse(http.StatusBadRequest, "This SAML request was already used. Go back to the application and start again.")
	}
	return nil
}

// authnRequest is a checked AuthnRequest and where its answer goes.
type authnRequest struct {
	app        *apps.App
	id         string
	acs        string
	artifact   bool // the answer goes by the HTTP-Artifact binding
	forceAuthn bool
	isPassive  bool
	// classes are the AuthnContext classes the answer may assert (nil:
	// any); noContext: none Gatehouse can assert (acceptedClasses).
	classes   []string
	noContext bool
}

// checkAuthnRequest reads and checks an AuthnRequest (SAML Core 3.4.1,
// Profiles 4.1.4.1) for the identity provider ip.
func (s *Server) checkAuthnRequest(ctx context.Context, ip idp, in *inbound) (*authnRequest, *refusal) {
	if in.Param != paramRequest {
		return nil, refuse(http.StatusBadRequest, "A SAMLRequest was expected.")
	}
	root, err := parseMessage(in.XML, "AuthnRequest")
	if err != nil {
		return nil, refuse(http.StatusBadRequest, "The SAMLRequest is not a well-formed SAML 2.0 AuthnRequest.")
	}
	m, rf := s.checkSender(ctx, ip.tenant.ID, in, root)
	if rf != nil {
		return nil, rf
	}
	var req saml.AuthnRequest
	if err := unmarshalElement(m.root, &req); err != nil {
		return nil, refuse(http.StatusBadRequest, "The SAMLRequest is not a well-formed SAML 2.0 AuthnRequest.")
	}
	// A signed request names its Destination (SAML Bindings 3.4.5.2).
	if m.signed && req.Destination == "" {
		return nil, refuse(http.StatusBadRequest, "A signed SAML request must name its Destination.")
	}
	if rf := s.checkFresh(ctx, ip.tenant.ID, m.app.ID, req.ID, req.Version, req.IssueInstant, req.Destination, ip.sso); rf != nil {
		return nil, rf
	}
	if req.ProtocolBinding != "" && req.ProtocolBinding != bindingPostURI && req.ProtocolBinding != bindingArtifactURI {
		return nil, refuse(http.StatusBadRequest, "Gatehouse answers with the HTTP-POST or HTTP-Artifact binding; the request asks for "+truncate(req.ProtocolBinding, 100)+".")
	}
	acs, rf := chooseACS(&m.app.SAML, &req)
	if rf != nil {
		return nil, rf
	}
	classes, ok := acceptedClasses(m.root)
	return &authnRequest{app: m.app, id: req.ID, acs: acs.URL, artifact: acs.Binding == apps.SAMLBindingArtifact, forceAuthn: req.ForceAuthn != nil && *req.ForceAuthn,
		isPassive: req.IsPassive != nil && *req.IsPassive, classes: classes, noContext: !ok}, nil
}

// chooseACS finds where the response goes: the registered ACS the request
// names by index or by exact URL, else the default one, with the binding
// the request asks for (ProtocolBinding) when it names one. A URL that is
// not registered is refused: nothing is ever sent to it.
func chooseACS(s *apps.SAMLSettings, req *saml.AuthnRequest) (*apps.SAMLEndpoint, *refusal) {
	binding := ""
	switch req.ProtocolBinding {
	case bindingPostURI:
		binding = apps.SAMLBindingPost
	case bindingArtifactURI:
		binding = apps.SAMLBindingArtifact
	}
	wrongBinding := refuse(http.StatusBadRequest, "The assertion consumer service the request names does not take the binding it asks for.")
	switch {
	case req.AssertionConsumerServiceIndex != "":
		i, err := strconv.Atoi(req.AssertionConsumerServiceIndex)
		e := s.ACSByIndex(i)
		if err != nil || e == nil {
			return nil, refuse(http.StatusBadRequest, "The request names an assertion consumer service index that is not registered.")
		}
		if req.AssertionConsumerServiceURL != "" && req.AssertionConsumerServiceURL != e.URL {
			return nil, refuse(http.StatusBadRequest, "The request's assertion consumer service URL and index disagree.")
		}
		if binding != "" && e.Binding != binding {
			return nil, wrongBinding
		}
		return e, nil
	case req.AssertionConsumerServiceURL != "":
		u := req.AssertionConsumerServiceURL
		if e := s.ACSByURLBinding(u, cmp.Or(binding, apps.SAMLBindingPost)); e != nil {
			return e, nil
		}
		if e := s.ACSByURL(u); e != nil {
			if binding != "" {
				return nil, wrongBinding
			}
			return e, nil
		}
		return nil, refuse(http.StatusBadRequest, "The assertion consumer service URL "+truncate(u, 200)+
			" is not registered for this service provider.")
	}
	e := s.DefaultACS()
	if e == nil {
		return nil, refuse(http.StatusBadRequest, "The service provider has no assertion consumer service registered.")
	}
	if binding != "" && e.Binding != binding {
		for i := range s.ACS { // the default one takes the other binding
			if s.ACS[i].Binding == binding {
				return &s.ACS[i], nil
			}
		}
		return nil, wrongBinding
	}
	return e, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
