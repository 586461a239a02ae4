package apps

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// SAMLSettings are a saml application's settings, its "saml" object: the
// service provider Gatehouse asserts to.
type SAMLSettings struct {
	// EntityID is the service provider's entity id, the Issuer of its
	// requests and the Audience of Gatehouse's assertions; unique among the
	// tenant's saml applications.
	EntityID string `json:"entity_id"`
	// ACS are the assertion consumer services; responses go only to these.
	ACS []SAMLEndpoint `json:"acs"`
	// SLOURL receives LogoutRequests and LogoutResponses ("" : the SP
	// takes no part in single logout), with SLOBinding post or redirect.
	SLOURL     string `json:"slo_url"`
	SLOBinding string `json:"slo_binding"`
	// SPSigningCerts verify the service provider's signed requests (PEM).
	SPSigningCerts []string `json:"sp_signing_certs"`
	// SPEncryptionCert is the service provider's RSA certificate that
	// encrypted assertions are encrypted to (PEM).
	SPEncryptionCert string `json:"sp_encryption_cert"`
	// WantAuthnRequestsSigned refuses unsigned AuthnRequests and
	// LogoutRequests.
	WantAuthnRequestsSigned bool `json:"want_authn_requests_signed"`
	SignResponse            bool `json:"sign_response"`
	SignAssertion           bool `json:"sign_assertion"`
	EncryptAssertion        bool `json:"encrypt_assertion"`
	// EncryptionMethod is aes128-gcm (default) or aes256-gcm; the key is
	// sent with RSA-OAEP.
	EncryptionMethod string `json:"encryption_method"`
	// NameIDFormat is persistent, email, unspecified (default) or transient.
	NameIDFormat string `json:"name_id_format"`
	// NameIDSource is what the NameID holds: user_id, user_name (default),
	// email, mobile, employee_id or account_name. Setting NameIDFormat to
	// email or persistent without a source sets it to email or user_id.
	// Transient NameIDs are random, one per session and service provider.
	NameIDSource string `json:"name_id_source"`
	// AssertionLifetime is how long an assertion may be presented, in
	// seconds (default 300).
	AssertionLifetime int `json:"assertion_lifetime"`
}

// SAMLEndpoint is an assertion consumer service.
type SAMLEndpoint struct {
	URL     string `json:"url"`
	Binding string `json:"binding"`
	Index   int    `json:"index"`
	Default bool   `json:"default"`
}

// SAML bindings, as the saml object names them.
const (
	SAMLBindingPost     = "post"
	SAMLBindingRedirect = "redirect"
	// SAMLBindingArtifact (an ACS only): the browser brings an artifact,
	// which the service provider resolves over SOAP with a signed
	// ArtifactResolve.
	SAMLBindingArtifact = "artifact"
)

// NameIDFormats maps the saml object's NameID formats to their URIs.
var NameIDFormats = map[string]string{
	"persistent":  "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
	"email":       "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
	"unspecified": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
	"transient":   "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
}

var nameIDSources = []string{"user_id", "user_name", "email", "mobile", "employee_id", "account_name"}

// SAMLWrite is the "saml" object of AppWrite. MetadataXML or MetadataURL
// (the service provider's metadata, fetched once at write time) fill the
// fields the same write does not send.
type SAMLWrite struct {
	EntityID                opt.String                `json:"entity_id"`
	ACS                     opt.Value[[]SAMLEndpoint] `json:"acs"`
	SLOURL                  opt.String                `json:"slo_url"`
	SLOBinding              opt.String                `json:"slo_binding"`
	SPSigningCerts          opt.Value[[]string]       `json:"sp_signing_certs"`
	SPEncryptionCert        opt.String                `json:"sp_encryption_cert"`
	WantAuthnRequestsSigned opt.Bool                  `json:"want_authn_requests_signed"`
	SignResponse            opt.Bool                  `json:"sign_response"`
	SignAssertion           opt.Bool                  `json:"sign_assertion"`
	EncryptAssertion        opt.Bool                  `json:"encrypt_assertion"`
	EncryptionMethod        opt.String                `json:"encryption_method"`
	NameIDFormat            opt.String                `json:"name_id_format"`
	NameIDSource            opt.String                `json:"name_id_source"`
	AssertionLifetime       opt.Value[int]            `json:"assertion_lifetime"`
	MetadataXML             opt.String                `json:"metadata_xml"`
	MetadataURL             opt.String                `json:"metadata_url"`

	// fetched is what MetadataURL answered (read before the transaction).
	fetched []byte
}

// DefaultSAMLSettings are a new saml application's settings.
func DefaultSAMLSettings() SAMLSettings {
	return SAMLSettings{ACS: []SAMLEndpoint{}, SLOBinding: SAMLBindingRedirect, SPSigningCerts: []string{}, SignAssertion: true,
		EncryptionMethod: "aes128-gcm", NameIDFormat: "unspecified", NameIDSource: "user_name", AssertionLifetime: 300}
}

// apply reads the metadata, if any, then copies what w sends onto s.
func (w *SAMLWrite) apply(s *SAMLSettings) error {
	if err := w.oneMetadataSource(); err != nil {
		return err
	}
	field := ""
	switch {
	case w.MetadataXML.Set && w.MetadataXML.V != "":
		field = "saml.metadata_xml"
		if err := importSPMetadata([]byte(w.MetadataXML.V), field, s); err != nil {
			return err
		}
	case w.fetched != nil:
		field = "saml.metadata_url"
		if err := importSPMetadata(w.fetched, field, s); err != nil {
			return err
		}
	}
	// Metadata with more signing certificates than an application holds
	// is the metadata's fault, unless the write chooses the certificates.
	if field != "" && !w.SPSigningCerts.Set && len(s.SPSigningCerts) > maxSPSigningCerts {
		return errMetadata(field, "it has %d signing certificates, and at most %d are accepted (send saml.sp_signing_certs to choose them).",
			len(s.SPSigningCerts), maxSPSigningCerts)
	}
	if w.EntityID.Set {
		s.EntityID = strings.TrimSpace(w.EntityID.V)
	}
	if w.ACS.Set {
		s.ACS = append([]SAMLEndpoint{}, w.ACS.V...)
	}
	for _, f := range []struct {
		dst *string
		v   opt.String
	}{{&s.SLOURL, w.SLOURL}, {&s.SLOBinding, w.SLOBinding}, {&s.SPEncryptionCert, w.SPEncryptionCert},
		{&s.EncryptionMethod, w.EncryptionMethod}, {&s.NameIDFormat, w.NameIDFormat}, {&s.NameIDSource, w.NameIDSource}} {
		if f.v.Set {
			*f.dst = f.v.V
		}
	}
	// A format that implies its source sets it, unless the write names one.
	if w.NameIDFormat.Set && !w.NameIDSource.Set {
		switch w.NameIDFormat.V {
		case "email":
			s.NameIDSource = "email"
		case "persistent":
			s.NameIDSource = "user_id"
		}
	}
	if w.SPSigningCerts.Set {
		s.SPSigningCerts = append([]string{}, w.SPSigningCerts.V...)
	}
	for _, f := range []struct {
		dst *bool
		v   opt.Bool
	}{{&s.WantAuthnRequestsSigned, w.WantAuthnRequestsSigned}, {&s.SignResponse, w.SignResponse},
		{&s.SignAssertion, w.SignAssertion}, {&s.EncryptAssertion, w.EncryptAssertion}} {
		if f.v.Set {
			*f.dst = f.v.V
		}
	}
	if w.AssertionLifetime.Set && !w.AssertionLifetime.Null {
		s.AssertionLifetime = w.AssertionLifetime.V
	}
	return nil
}

// oneMetadataSource refuses a write that sends the metadata both inline
// and by URL (one of them would be ignored).
func (w *SAMLWrite) oneMetadataSource() error {
	if w.MetadataXML.Set && w.MetadataXML.V != "" && w.MetadataURL.Set && w.MetadataURL.V != "" {
		return appInvalid("APP.0043", "saml.metadata_url",
			"The saml.metadata_xml and saml.metadata_url cannot both be sent: send the metadata inline or by URL, not both.")
	}
	return nil
}

// maxSPSigningCerts bounds an application's saml.sp_signing_certs.
const maxSPSigningCerts = 4

// maxEntityID bounds an entity id, in characters (SAML Metadata 2.3.2).
const maxEntityID = 1024

// samlURLRule says what samlURL accepts, for messages.
const samlURLRule = "an absolute http(s) URL of at most 2048 characters, without user info, fragment, spaces or control characters"

func (s *SAMLSettings) validate() error {
	if s.EntityID == "" || utf8.RuneCountInString(s.EntityID) > maxEntityID || strings.ContainsFunc(s.EntityID, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return appInvalid("APP.0036", "saml.entity_id", "The saml.entity_id is required: 1-1024 characters without spaces or control characters.")
	}
	if err := s.validateACS(); err != nil {
		return err
	}
	if s.SLOURL != "" && !samlURL(s.SLOURL) {
		return appInvalid("APP.0038", "saml.slo_url", "The saml.slo_url must be "+samlURLRule+".")
	}
	if s.SLOBinding != SAMLBindingPost && s.SLOBinding != SAMLBindingRedirect {
		return appInvalid("APP.0038", "saml.slo_binding", "The saml.slo_binding must be post or redirect.")
	}
	if len(s.SPSigningCerts) > maxSPSigningCerts {
		return appInvalid("APP.0039", "saml.sp_signing_certs", "The saml.sp_signing_certs may hold at most %d certificates.", maxSPSigningCerts)
	}
	for i, c := range s.SPSigningCerts {
		p, ok := normaliseCert(c, false)
		if !ok {
			return appInvalid("APP.0039", "saml.sp_signing_certs", "The saml.sp_signing_certs entry %d is not an RSA or ECDSA X.509 certificate (PEM or base64 DER).", i+1)
		}
		s.SPSigningCerts[i] = p
	}
	if s.SPEncryptionCert != "" {
		p, ok := normaliseCert(s.SPEncryptionCert, true)
		if !ok {
			return appInvalid("APP.0039", "saml.sp_encryption_cert", "The saml.sp_encryption_cert is not an RSA X.509 certificate (PEM or base64 DER).")
		}
		s.SPEncryptionCert = p
	}
	if _, ok := NameIDFormats[s.NameIDFormat]; !ok {
		return appInvalid("APP.0040", "saml.name_id_format", "The saml.name_id_format must be persistent, email, unspecified or transient.")
	}
	if !slices.Contains(nameIDSources, s.NameIDSource) {
		return appInvalid("APP.0040", "saml.name_id_source", "The saml.name_id_source must be one of %s.", strings.Join(nameIDSources, ", "))
	}
	if s.AssertionLifetime < 30 || s.AssertionLifetime > 3600 {
		return appInvalid("APP.0041", "saml.assertion_lifetime", "The saml.assertion_lifetime must be 30 to 3600 seconds.")
	}
	switch {
	case !s.SignResponse && !s.SignAssertion:
		return appInvalid("APP.0042", "saml.sign_assertion", "The saml.sign_assertion and saml.sign_response cannot both be false: sign the assertion, the response or both.")
	case s.WantAuthnRequestsSigned && len(s.SPSigningCerts) == 0:
		return appInvalid("APP.0042", "saml.want_authn_requests_signed", "The saml.want_authn_requests_signed needs saml.sp_signing_certs to check the signatures with.")
	case s.EncryptAssertion && s.SPEncryptionCert == "":
		return appInvalid("APP.0042", "saml.encrypt_assertion", "The saml.encrypt_assertion needs saml.sp_encryption_cert.")
	case s.EncryptionMethod != "aes128-gcm" && s.EncryptionMethod != "aes256-gcm":
		return appInvalid("APP.0042", "saml.encryption_method", "The saml.encryption_method must be aes128-gcm or aes256-gcm.")
	}
	return nil
}

func (s *SAMLSettings) validateACS() error {
	if len(s.ACS) == 0 || len(s.ACS) > 20 {
		return appInvalid("APP.0037", "saml.acs", "The saml.acs must hold 1 to 20 assertion consumer services.")
	}
	indexes, defaults := map[int]bool{}, 0
	for i := range s.ACS {
		e := &s.ACS[i]
		if e.Binding == "" {
			e.Binding = SAMLBindingPost
		}
		switch {
		case !samlURL(e.URL):
			return appInvalid("APP.0037", "saml.acs", "The saml.acs url %q must be "+samlURLRule+".", truncate(e.URL, 100))
		case e.Binding != SAMLBindingPost && e.Binding != SAMLBindingArtifact:
			return appInvalid("APP.0037", "saml.acs", "The saml.acs binding must be post or artifact: Gatehouse sends responses with the HTTP-POST or HTTP-Artifact binding.")
		case e.Binding == SAMLBindingArtifact && len(s.SPSigningCerts) == 0:
			return appInvalid("APP.0037", "saml.acs", "An artifact saml.acs needs saml.sp_signing_certs: the service provider's artifact resolution requests are accepted only signed.")
		case e.Index < 0 || e.Index > 65535 || indexes[e.Index]:
			return appInvalid("APP.0037", "saml.acs", "Each saml.acs index must be 0 to 65535 and unique.")
		}
		indexes[e.Index] = true
		if e.Default {
			defaults++
		}
	}
	if defaults > 1 {
		return appInvalid("APP.0037", "saml.acs", "At most one saml.acs entry may be the default.")
	}
	return nil
}

// DefaultACS is the ACS a request that names none gets: the default one,
// else the one with the lowest index.
func (s *SAMLSettings) DefaultACS() *SAMLEndpoint {
	var best *SAMLEndpoint
	for i := range s.ACS {
		e := &s.ACS[i]
		if e.Default {
			return e
		}
		if best == nil || e.Index < best.Index {
			best = e
		}
	}
	return best
}

// ACSByURL returns the ACS whose URL is exactly u.
func (s *SAMLSettings) ACSByURL(u string) *SAMLEndpoint {
	for i := range s.ACS {
		if s.ACS[i].URL == u {
			return &s.ACS[i]
		}
	}
	return nil
}

// ACSByURLBinding returns the ACS whose URL is exactly u with that binding.
func (s *SAMLSettings) ACSByURLBinding(u, binding string) *SAMLEndpoint {
	for i := range s.ACS {
		if s.ACS[i].URL == u && s.ACS[i].Binding == binding {
			return &s.ACS[i]
		}
	}
	return nil
}

// ACSByIndex returns the ACS with that index.
func (s *SAMLSettings) ACSByIndex(index int) *SAMLEndpoint {
	for i := range s.ACS {
		if s.ACS[i].Index == index {
			return &s.ACS[i]
		}
	}
	return nil
}

// samlURL is the rule samlURLRule states.
func samlURL(v string) bool {
	if utf8.RuneCountInString(v) > 2048 || strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return false
	}
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil && !strings.Contains(v, "#")
}

// normaliseCert reads a certificate in PEM or bare base64 DER and returns
// it as PEM; rsaOnly refuses other keys (encryption needs RSA-OAEP).
func normaliseCert(v string, rsaOnly bool) (string, bool) {
	c, ok := ParseCert(v)
	if !ok || len(v) > 16<<10 {
		return "", false
	}
	switch c.PublicKey.(type) {
	case *rsa.PublicKey:
	case *ecdsa.PublicKey:
		if rsaOnly {
			return "", false
		}
	default:
		return "", false
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})), true
}

// ParseCert reads a certificate in PEM or bare base64 DER.
func ParseCert(v string) (*x509.Certificate, bool) {
	var der []byte
	if b, _ := pem.Decode([]byte(v)); b != nil {
		if b.Type != "CERTIFICATE" {
			return nil, false
		}
		der = b.Bytes
	} else {
		var err error
		der, err = base64.StdEncoding.DecodeString(strings.Map(func(r rune) rune {
			if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
				return -1
			}
			return r
		}, v))
		if err != nil {
			return nil, false
		}
	}
	c, err := x509.ParseCertificate(der)
	return c, err == nil
}

// setSAMLEntityID keeps the tenant's index of entity ids, which refuses an
// entity id another saml application has.
func setSAMLEntityID(ctx context.Context, tx storage.Repos, app *storage.Application, s *SAMLSettings) error {
	if app.Protocol != storage.ProtocolSAML {
		return nil
	}
	err := tx.Apps().SetSAMLEntityID(ctx, app.TenantID, app.ID, s.EntityID)
	var ce *storage.ConflictError
	if errors.As(err, &ce) {
		return failure.New(failure.Conflict, "APP.0044", "saml.entity_id", "Another saml application already has this saml.entity_id.")
	}
	return err
}

// GetBySAMLEntityID returns the saml application of a service provider.
func (s *Applications) GetBySAMLEntityID(ctx context.Context, tenantID, entityID string) (*App, error) {
	if entityID == "" || utf8.RuneCountInString(entityID) > maxEntityID {
		return nil, ErrAppNotFound
	}
	a, err := s.Store.Apps().GetBySAMLEntityID(ctx, tenantID, entityID)
	if err != nil {
		return nil, notFoundApp(err)
	}
	return decode(a)
}
