package saml

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// The HTTP-Artifact binding (SAML Bindings 3.6): instead of the Response,
// the browser brings the service provider an artifact, a reference the SP
// resolves server to server, with a signed ArtifactResolve POSTed over
// SOAP to ArtifactPath; the Response then never passes through the
// browser. An artifact is type 0x0004: the endpoint index, the SHA-1 of
// the IdP's entity id (SourceID) and a random 20-byte message handle.
// The message waits, sealed, for artifactLifetime and is given once, only
// to the SP it was made for.

// ArtifactPath is the ArtifactResolutionService (SOAP binding).
const ArtifactPath = "/api/v1/saml2/idp/artifact"

const (
	artifactContext  = "saml-artifact"
	artifactLifetime = time.Minute
	artifactType     = 0x0004
	artifactLen      = 44
	nsSOAP           = "http://schemas.xmlsoap.org/soap/envelope/"
)

// answer sends msg, a Response, to p's ACS by p's binding: auto-posted
// (HTTP-POST), or as an artifact by a redirect (HTTP-Artifact).
func (s *Server) answer(w http.ResponseWriter, r *http.Request, app *apps.App, p *pending, msg []byte, lead string) {
	if !p.Artifact {
		s.postTo(w, r, p.ACS, paramResponse, msg, p.RelayState, lead, "Continue to "+app.Name)
		return
	}
	var handle [20]byte
	rand.Read(handle[:])
	err := s.Store.SAMLArtifacts().Create(r.Context(), &storage.SAMLArtifact{TenantID: p.TenantID, HandleHash: secret.Hash(string(handle[:])),
		ApplicationID: app.ID, SealedMessage: s.Sealer.Seal(msg, artifactContext), ExpiresAt: s.Now().Add(artifactLifetime)})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	art := make([]byte, 0, artifactLen)
	art = binary.BigEndian.AppendUint16(art, artifactType)
	art = binary.BigEndian.AppendUint16(art, 0) // the ArtifactResolutionService's index
	src := sha1.Sum([]byte(s.idpOf(r).entityID))
	art = append(append(art, src[:]...), handle[:]...)
	q := url.Values{"SAMLart": {base64.StdEncoding.EncodeToString(art)}}
	if p.RelayState != "" {
		q.Set("RelayState", p.RelayState)
	}
	http.Redirect(w, r, withQuery(p.ACS, q), http.StatusFound)
}

func withQuery(u string, q url.Values) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + q.Encode()
}

// faultInternal marks a resolution request that failed on Gatehouse's
// side (a SOAP Server fault, 500), not the SP's.
const faultInternal = "internal"

// errArtifact is a malformed or unacceptable resolution request.
var errArtifact = errors.New("saml: bad artifact resolution request")

// resolveArtifact is POST ArtifactPath: a SOAP envelope with a signed
// ArtifactResolve from a registered, enabled SP. The answer is a SOAP
// ArtifactResponse, signed, that holds the Response when the artifact is
// this tenant's, unexpired, unused and made for that SP, and nothing (a
// Success status, as SAML Core 3.5.3 has it) otherwise. A request that
// cannot be read or authenticated gets a SOAP fault with status 400.
func (s *Server) resolveArtifact(w http.ResponseWriter, r *http.Request) {
	ip := s.idpOf(r)
	body, err := io.ReadAll(io.LimitReader(r.Body, maxMessage+1))
	if err != nil || len(body) > maxMessage {
		soapFault(w, "The request could not be read, or it is larger than 128 KiB.")
		return
	}
	req, app, fault := s.readArtifactResolve(r, ip, body)
	if fault == faultInternal {
		soapServerFault(w)
		return
	}
	if fault != "" {
		soapFault(w, fault)
		return
	}
	sg, err := s.signer(r.Context(), ip.tenant.ID)
	if err != nil {
		s.Log.ErrorContext(r.Context(), "saml: artifact resolution", "err", err)
		soapServerFault(w)
		return
	}
	resp := artifactResponse(ip.entityID, req.ID, s.Now())
	if msg := s.takeArtifact(r, ip, app, req.Artifact); msg != nil {
		resp.AddChild(msg)
	}
	if err := sg.sign(resp); err != nil {
		s.Log.ErrorContext(r.Context(), "saml: artifact resolution", "err", err)
		soapServerFault(w)
		return
	}
	writeSOAP(w, http.StatusOK, resp)
}

// readArtifactResolve reads and authenticates the request: a bounded,
// DTD-free SOAP envelope whose body holds one ArtifactResolve, signed by a
// registered SP with one of its certificates. fault says what is wrong.
func (s *Server) readArtifactResolve(r *http.Request, ip idp, body []byte) (*saml.ArtifactResolve, *apps.App, string) {
	const unreadable = "The request is not a SOAP envelope holding a SAML 2.0 ArtifactResolve."
	root, err := parseSOAPArtifactResolve(body)
	if err != nil {
		return nil, nil, unreadable
	}
	iss := root.FindElement("./Issuer")
	if iss == nil || iss.NamespaceURI() != nsAssertion || iss.Text() == "" {
		return nil, nil, "The ArtifactResolve does not say which service provider sent it (no Issuer)."
	}
	app, err := s.Apps.GetBySAMLEntityID(r.Context(), ip.tenant.ID, iss.Text())
	if f, ok := failure.As(err); (ok && f.Code == apps.ErrAppNotFound.Code) || (err == nil && app.Disabled) {
		return nil, nil, "The service provider " + truncate(iss.Text(), 200) + " is not registered with this identity provider, or is disabled."
	}
	if err != nil {
		s.Log.ErrorContext(r.Context(), "saml: artifact resolution", "err", err)
		return nil, nil, faultInternal
	}
	verified, signed, err := verifyXML(root, spCerts(&app.SAML))
	if err != nil || !signed {
		return nil, nil, "The ArtifactResolve must be signed with one of " + app.Name + "'s registered certificates."
	}
	var req saml.ArtifactResolve
	if unmarshalElement(verified, &req) != nil || req.ID == "" || req.Artifact == "" {
		return nil, nil, unreadable
	}
	now := s.Now()
	if req.Version != "2.0" || req.IssueInstant.Before(now.Add(-maxRequestAge)) || req.IssueInstant.After(now.Add(maxRequestFuture)) {
		return nil, nil, "The ArtifactResolve is not a SAML 2.0 request issued within the last 5 minutes."
	}
	return &req, app, ""
}

// parseSOAPArtifactResolve checks an untrusted SOAP envelope and returns
// the one ArtifactResolve its body holds, read again as a message of its
// own (parseMessage: bounded, DTD-free, round-trip checked).
func parseSOAPArtifactResolve(body []byte) (*etree.Element, error) {
	if len(body) > maxMessage || noDirectives(body) != nil {
		return nil, errArtifact
	}
	doc := etree.NewDocument()
	if doc.ReadFromBytes(body) != nil || doc.Root() == nil || doc.Root().Tag != "Envelope" || doc.Root().NamespaceURI() != nsSOAP {
		return nil, errArtifact
	}
	bodyEl := doc.Root().FindElement("./Body")
	if bodyEl == nil || bodyEl.NamespaceURI() != nsSOAP || len(bodyEl.ChildElements()) != 1 {
		return nil, errArtifact
	}
	one := etree.NewDocument()
	one.SetRoot(bodyEl.ChildElements()[0].Copy())
	b, err := one.WriteToBytes()
	if err != nil {
		return nil, errArtifact
	}
	return parseMessage(b, "ArtifactResolve")
}

// takeArtifact returns the message the artifact names, parsed, when it is
// this identity provider's, unexpired and made for app; it is spent
// either way once found.
func (s *Server) takeArtifact(r *http.Request, ip idp, app *apps.App, artifact string) *etree.Element {
	raw, err := base64.StdEncoding.DecodeString(artifact)
	src := sha1.Sum([]byte(ip.entityID))
	if err != nil || len(raw) != artifactLen || binary.BigEndian.Uint16(raw) != artifactType || !bytes.Equal(raw[4:24], src[:]) {
		return nil
	}
	a, err := s.Store.SAMLArtifacts().Take(r.Context(), ip.tenant.ID, secret.Hash(string(raw[24:])))
	if err != nil {
		if !errors.Is(err, storage.ErrNotFound) {
			s.Log.ErrorContext(r.Context(), "saml: artifact resolution", "err", err)
		}
		return nil
	}
	if a.ApplicationID != app.ID || !s.Now().Before(a.ExpiresAt) {
		return nil
	}
	msg, err := s.Sealer.Open(a.SealedMessage, artifactContext)
	if err != nil {
		s.Log.ErrorContext(r.Context(), "saml: artifact resolution: a sealed message does not open", "err", err)
		return nil
	}
	doc := etree.NewDocument()
	if doc.ReadFromBytes(msg) != nil || doc.Root() == nil {
		return nil
	}
	return doc.Root()
}

// artifactResponse is an ArtifactResponse with a Success status and no
// message yet (SAML Core 3.5.2). It is built here: crewjam's type always
// serialises a Response child, empty when there is none.
func artifactResponse(issuer, inResponseTo string, now time.Time) *etree.Element {
	el := etree.NewElement("samlp:ArtifactResponse")
	el.CreateAttr("xmlns:samlp", nsProtocol)
	el.CreateAttr("xmlns:saml", nsAssertion)
	el.CreateAttr("ID", newID())
	el.CreateAttr("InResponseTo", inResponseTo)
	el.CreateAttr("Version", "2.0")
	el.CreateAttr("IssueInstant", now.UTC().Format("2006-01-02T15:04:05.000Z"))
	iss := el.CreateElement("saml:Issuer")
	iss.CreateAttr("Format", formatEntity)
	iss.SetText(issuer)
	el.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", statusSuccess)
	return el
}

// writeSOAP writes el in a SOAP 1.1 envelope.
func writeSOAP(w http.ResponseWriter, status int, el *etree.Element) {
	env := etree.NewElement("soapenv:Envelope")
	env.CreateAttr("xmlns:soapenv", nsSOAP)
	env.CreateElement("soapenv:Body").AddChild(el)
	doc := etree.NewDocument()
	doc.SetRoot(env)
	b, _ := doc.WriteToBytes()
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}

// soapFault answers a request that cannot be served with a SOAP 1.1
// Client fault, status 400 (the SP's error, said as the SP reads it).
func soapFault(w http.ResponseWriter, msg string) {
	f := etree.NewElement("soapenv:Fault")
	f.CreateElement("faultcode").SetText("soapenv:Client")
	f.CreateElement("faultstring").SetText(msg)
	writeSOAP(w, http.StatusBadRequest, f)
}

func soapServerFault(w http.ResponseWriter) {
	f := etree.NewElement("soapenv:Fault")
	f.CreateElement("faultcode").SetText("soapenv:Server")
	f.CreateElement("faultstring").SetText("Internal error.")
	writeSOAP(w, http.StatusInternalServerError, f)
}
