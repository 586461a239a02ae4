package saml

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"net/http"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"

	"github.com/gatehouse/gatehouse/internal/apps"
)

// metadataCache is how long service providers may keep the metadata: it
// bounds how late they see a rotated-in signing certificate.
const metadataCache = time.Hour

// metadata is GET /api/v1/saml2/idp/metadata (ONEACCESS-API.md 4.4, SAML
// Metadata 2.4.3): the tenant's EntityDescriptor, whose entityID is this
// URL, with every published signing certificate (two while a rotation
// overlaps), the SSO and SLO endpoints for both bindings, and the NameID
// formats.
func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	ip := s.idpOf(r)
	certs, err := s.Keys.Certificates(r.Context(), ip.tenant.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	var kds []saml.KeyDescriptor
	for _, c := range certs {
		kds = append(kds, saml.KeyDescriptor{Use: "signing", KeyInfo: saml.KeyInfo{
			X509Data: saml.X509Data{X509Certificates: []saml.X509Certificate{{Data: base64.StdEncoding.EncodeToString(c.Raw)}}}}})
	}
	var formats []saml.NameIDFormat
	for _, f := range []string{"persistent", "email", "unspecified", "transient"} {
		formats = append(formats, saml.NameIDFormat(apps.NameIDFormats[f]))
	}
	no := false
	ed := saml.EntityDescriptor{
		EntityID:      ip.entityID,
		ValidUntil:    s.Now().UTC().Add(7 * 24 * time.Hour),
		CacheDuration: metadataCache,
		IDPSSODescriptors: []saml.IDPSSODescriptor{{
			SSODescriptor: saml.SSODescriptor{
				RoleDescriptor: saml.RoleDescriptor{ProtocolSupportEnumeration: nsProtocol, KeyDescriptors: kds},
				SingleLogoutServices: []saml.Endpoint{{Binding: bindingRedirURI, Location: ip.slo},
					{Binding: bindingPostURI, Location: ip.slo}},
				NameIDFormats: formats,
			},
			WantAuthnRequestsSigned: &no,
			SingleSignOnServices: []saml.Endpoint{{Binding: bindingRedirURI, Location: ip.sso},
				{Binding: bindingPostURI, Location: ip.sso}},
		}},
	}
	b, err := xml.MarshalIndent(ed, "", "  ")
	if err == nil {
		b, err = withArtifactService(b, ip.artifact)
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write([]byte(xml.Header))
	w.Write(b)
}

// withArtifactService adds the ArtifactResolutionService (SOAP, index 0)
// to the IDPSSODescriptor of md, where SAML Metadata 2.4.2 orders it:
// after the KeyDescriptors, before the SingleLogoutServices. (crewjam's
// IDPSSODescriptor shadows the indexed element with an index-less one,
// so it is added to the marshalled document.)
func withArtifactService(md []byte, location string) ([]byte, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(md); err != nil {
		return nil, err
	}
	d := doc.FindElement("//IDPSSODescriptor")
	if d == nil {
		return nil, errors.New("saml: metadata without an IDPSSODescriptor")
	}
	ars := etree.NewElement("ArtifactResolutionService")
	ars.CreateAttr("Binding", bindingSOAPURI)
	ars.CreateAttr("Location", location)
	ars.CreateAttr("index", "0")
	ars.CreateAttr("isDefault", "true")
	at := len(d.Child)
	for i, t := range d.Child {
		if c, ok := t.(*etree.Element); ok && c.Tag != "KeyDescriptor" {
			at = i
			break
		}
	}
	d.InsertChildAt(at, ars)
	doc.Indent(2)
	return doc.WriteToBytes()
}
