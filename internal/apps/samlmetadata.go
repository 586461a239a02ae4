package apps

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/storage"
)

// MaxSPMetadata bounds a service provider's metadata document.
const MaxSPMetadata = 512 << 10

// SAML binding URIs (SAML 2.0 Bindings, section 3).
const (
	bindingPostURI     = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
	bindingRedirectURI = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
	bindingArtifactURI = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"
)

// spMetadata is the part of a SAML metadata EntityDescriptor (SAML 2.0
// Metadata, section 2.3.2 and 2.4.4) that registers a service provider.
type spMetadata struct {
	XMLName  xml.Name
	EntityID string `xml:"entityID,attr"`
	SPSSO    []struct {
		AuthnRequestsSigned string `xml:"AuthnRequestsSigned,attr"`
		Keys                []struct {
			Use   string   `xml:"use,attr"`
			Certs []string `xml:"KeyInfo>X509Data>X509Certificate"`
		} `xml:"KeyDescriptor"`
		SLO []struct {
			Binding  string `xml:"Binding,attr"`
			Location string `xml:"Location,attr"`
		} `xml:"SingleLogoutService"`
		NameIDFormats []string `xml:"NameIDFormat"`
		ACS           []struct {
			Binding   string `xml:"Binding,attr"`
			Location  string `xml:"Location,attr"`
			Index     string `xml:"index,attr"`
			IsDefault string `xml:"isDefault,attr"`
		} `xml:"AssertionConsumerService"`
	} `xml:"SPSSODescriptor"`
}

func errMetadata(field, format string, args ...any) error {
	return appInvalid("APP.0043", field, "The service provider metadata cannot be used: "+format, args...)
}

// importSPMetadata fills s from a service provider's metadata: entity id,
// POST assertion consumer services, single logout, certificates, whether
// it signs its requests, and the first NameID format Gatehouse knows.
func importSPMetadata(doc []byte, field string, s *SAMLSettings) error {
	if len(doc) > MaxSPMetadata {
		return errMetadata(field, "it is larger than %d KiB.", MaxSPMetadata>>10)
	}
	if err := noDirectives(doc); err != nil {
		return errMetadata(field, "%s", err.Error())
	}
	var md spMetadata
	if err := xml.Unmarshal(doc, &md); err != nil {
		return errMetadata(field, "it is not well-formed XML.")
	}
	if md.XMLName.Local != "EntityDescriptor" || len(md.SPSSO) == 0 {
		return errMetadata(field, "it is not an EntityDescriptor with an SPSSODescriptor.")
	}
	sp := md.SPSSO[0]
	s.EntityID = strings.TrimSpace(md.EntityID)

	s.SLOURL, s.SLOBinding = "", SAMLBindingRedirect
	for _, e := range sp.SLO { // the first one Gatehouse can speak, POST preferred
		switch {
		case e.Binding == bindingPostURI && (s.SLOURL == "" || s.SLOBinding != SAMLBindingPost):
			s.SLOURL, s.SLOBinding = strings.TrimSpace(e.Location), SAMLBindingPost
		case e.Binding == bindingRedirectURI && s.SLOURL == "":
			s.SLOURL, s.SLOBinding = strings.TrimSpace(e.Location), SAMLBindingRedirect
		}
	}
	// A certificate listed twice (with use signing and without a use, say)
	// counts once.
	s.SPSigningCerts, s.SPEncryptionCert = []string{}, ""
	seen := map[string]bool{}
	for _, k := range sp.Keys {
		for _, c := range k.Certs {
			if k.Use == "" || k.Use == "signing" {
				if key := strings.Join(strings.Fields(c), ""); !seen[key] {
					seen[key] = true
					s.SPSigningCerts = append(s.SPSigningCerts, strings.TrimSpace(c))
				}
			}
			if (k.Use == "" || k.Use == "encryption") && s.SPEncryptionCert == "" {
				if _, ok := normaliseCert(c, true); ok {
					s.SPEncryptionCert = strings.TrimSpace(c)
				}
			}
		}
	}
	// The ACS come after the certificates: an HTTP-Artifact one is kept
	// only when the SP has a signing certificate (its artifact resolution
	// requests must be signed).
	s.ACS = []SAMLEndpoint{}
	for i, a := range sp.ACS {
		binding := ""
		switch {
		case a.Binding == bindingPostURI:
			binding = SAMLBindingPost
		case a.Binding == bindingArtifactURI && len(s.SPSigningCerts) > 0:
			binding = SAMLBindingArtifact
		default:
			continue // a binding Gatehouse does not answer with
		}
		idx := i
		if n, err := strconv.Atoi(a.Index); err == nil {
			idx = n
		}
		s.ACS = append(s.ACS, SAMLEndpoint{URL: strings.TrimSpace(a.Location), Binding: binding, Index: idx, Default: a.IsDefault == "true"})
	}
	if len(s.ACS) == 0 {
		return errMetadata(field, "it has no AssertionConsumerService with the HTTP-POST binding (or HTTP-Artifact, with a signing certificate).")
	}
	s.WantAuthnRequestsSigned = sp.AuthnRequestsSigned == "true"
	for _, f := range sp.NameIDFormats {
		if short := nameIDFormatName(strings.TrimSpace(f)); short != "" {
			s.NameIDFormat = short
			if short == "email" {
				s.NameIDSource = "email"
			}
			if short == "persistent" {
				s.NameIDSource = "user_id"
			}
			break
		}
	}
	return nil
}

func nameIDFormatName(uri string) string {
	for k, v := range NameIDFormats {
		if v == uri {
			return k
		}
	}
	return ""
}

// noDirectives refuses a document with a DTD or other <!...> directive:
// encoding/xml never expands entities, but nothing legitimate in SAML
// metadata needs one either.
func noDirectives(doc []byte) error {
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return errors.New("it is not well-formed XML.")
		}
		if _, ok := tok.(xml.Directive); ok {
			return errors.New("it has a DTD (<!DOCTYPE ...>), which is not allowed.")
		}
	}
}

// metadataURL is the saml.metadata_url w sends, if any.
func (w *AppWrite) metadataURL() string {
	if !w.SAML.Set || w.SAML.Null || !w.SAML.V.MetadataURL.Set {
		return ""
	}
	return w.SAML.V.MetadataURL.V
}

// fetchMetadata reads the saml metadata_url a write to an application of
// protocol sends, before any transaction starts (the call may take
// seconds). Only a saml application's write fetches: the others are
// refused later (APP.0010) without an outbound call.
func (s *Applications) fetchMetadata(ctx context.Context, protocol string, w *AppWrite) error {
	u := w.metadataURL()
	if protocol != storage.ProtocolSAML || u == "" {
		return nil
	}
	if err := w.SAML.V.oneMetadataSource(); err != nil {
		return err
	}
	if !samlURL(u) {
		return appInvalid("APP.0043", "saml.metadata_url", "The saml.metadata_url must be "+samlURLRule+".")
	}
	if s.Fetch == nil {
		return appInvalid("APP.0043", "saml.metadata_url", "This server does not fetch metadata; send saml.metadata_xml instead.")
	}
	b, err := s.Fetch(ctx, u, MaxSPMetadata)
	if err != nil {
		return appInvalid("APP.0043", "saml.metadata_url", "The saml.metadata_url could not be read: %s.", fetchError(err))
	}
	w.SAML.V.fetched = b
	return nil
}

// fetchError is a Fetch error as the end of a sentence, without its
// final period (the message adds one).
func fetchError(err error) string {
	return strings.TrimRight(truncate(err.Error(), 200), ".")
}
