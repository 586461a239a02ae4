package saml

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// SAML URIs Gatehouse asserts with.
const (
	formatEntity  = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
	methodBearer  = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	classPassword = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
	// classTwoFactor is asserted for a session made with the password and
	// a second factor (a TOTP code from an authenticator app on the
	// user's device): SAML Authentication Context's class for two-factor
	// authentication with a device not registered with a mobile operator.
	classTwoFactor     = "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered"
	attrFormatBasic    = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
	attrFormatURI      = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
	bindingPostURI     = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
	bindingRedirURI    = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
	bindingArtifactURI = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"
	bindingSOAPURI     = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP"
	statusSuccess      = "urn:oasis:names:tc:SAML:2.0:status:Success"
	statusRequester    = "urn:oasis:names:tc:SAML:2.0:status:Requester"
	statusResponder    = "urn:oasis:names:tc:SAML:2.0:status:Responder"
	statusNoPassive    = "urn:oasis:names:tc:SAML:2.0:status:NoPassive"
	statusPartLogout   = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout"
	statusAuthnFailed  = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"
)

// clockSkew is how far NotBefore lies in the past, for service providers
// whose clocks run behind.
const clockSkew = time.Minute

// newID is a message or assertion ID: an xs:ID (starts with a letter or
// underscore) with 160 random bits.
func newID() string {
	var b [20]byte
	rand.Read(b[:])
	return "_" + hex.EncodeToString(b[:])
}

// assertionFacts is what one assertion states.
type assertionFacts struct {
	issuer       string // the IdP's entity id
	audience     string // the SP's entity id
	recipient    string // the ACS URL
	inResponseTo string // the AuthnRequest's ID ("" for IdP-initiated)
	nameID       string
	nameIDFormat string
	sessionIndex string
	authnInstant time.Time
	authnClass   string // "" means classPassword
	sessionEnd   time.Time
	lifetime     time.Duration
	attributes   []saml.Attribute
}

// buildAssertion makes the assertion (SAML Core 2.3.3, Profiles 4.1.4.2:
// bearer subject confirmation with Recipient, NotOnOrAfter and
// InResponseTo; an audience restriction; an AuthnStatement with the
// SessionIndex single logout uses; attributes when any are mapped).
func buildAssertion(f *assertionFacts, now time.Time) *etree.Element {
	now = now.UTC()
	end := now.Add(f.lifetime)
	class := f.authnClass
	if class == "" {
		class = classPassword
	}
	a := &saml.Assertion{
		ID: newID(), IssueInstant: now, Version: "2.0",
		Issuer: saml.Issuer{Format: formatEntity, Value: f.issuer},
		Subject: &saml.Subject{
			NameID: &saml.NameID{Format: f.nameIDFormat, SPNameQualifier: f.audience, Value: f.nameID},
			SubjectConfirmations: []saml.SubjectConfirmation{{Method: methodBearer,
				SubjectConfirmationData: &saml.SubjectConfirmationData{InResponseTo: f.inResponseTo, NotOnOrAfter: end, Recipient: f.recipient}}},
		},
		Conditions: &saml.Conditions{NotBefore: now.Add(-clockSkew), NotOnOrAfter: end,
			AudienceRestrictions: []saml.AudienceRestriction{{Audience: saml.Audience{Value: f.audience}}}},
		AuthnStatements: []saml.AuthnStatement{{AuthnInstant: f.authnInstant.UTC(), SessionIndex: f.sessionIndex,
			AuthnContext: saml.AuthnContext{AuthnContextClassRef: &saml.AuthnContextClassRef{Value: class}}}},
	}
	if !f.sessionEnd.IsZero() {
		se := f.sessionEnd.UTC()
		a.AuthnStatements[0].SessionNotOnOrAfter = &se
	}
	if len(f.attributes) > 0 {
		a.AttributeStatements = []saml.AttributeStatement{{Attributes: f.attributes}}
	}
	return a.Element()
}

// authnClassFor is the AuthnContext class of a session with the methods
// amr (RFC 8176): two-factor when a second factor was used.
func authnClassFor(amr []string) string {
	if slices.Contains(amr, mfa.AMRMFA) {
		return classTwoFactor
	}
	return classPassword
}

// nameIDFor is the NameID the application gets for the user, as its
// name_id_source says; "" when the user lacks that attribute. Transient
// NameIDs are random: the session's row keeps the first one.
func nameIDFor(s *apps.SAMLSettings, u *storage.User, g *apps.Grant) string {
	if s.NameIDFormat == "transient" {
		return newID()
	}
	switch s.NameIDSource {
	case "user_id":
		return u.ID
	case "email":
		return u.Email
	case "mobile":
		return u.Mobile
	case "employee_id":
		return u.EmployeeID
	case "account_name": // the user name when the user has no account, as CAS does
		if g != nil && g.Account != nil && g.Account.AccountName != "" {
			return g.Account.AccountName
		}
	}
	return u.UserName
}

// attributesFor resolves the application's claim mappings for saml into
// attributes: one value, or one per list item.
func attributesFor(ms []apps.ClaimMapping, u *storage.User, g *apps.Grant) []saml.Attribute {
	var out []saml.Attribute
	src := apps.Source{User: u}
	if g != nil {
		src.Account, src.Roles = g.Account, g.Roles
	}
	for i := range ms {
		m := &ms[i]
		if !m.Goes(apps.InSAML) {
			continue
		}
		var vals []string
		switch v := m.Resolve(&src); {
		case v.IsStr:
			vals = []string{v.Str}
		case v.IsList:
			vals = v.Strs
		case v.Raw != nil:
			vals = []string{rawText(v.Raw)}
		}
		if len(vals) == 0 {
			continue
		}
		a := saml.Attribute{Name: m.Claim, NameFormat: attrFormatBasic}
		if strings.Contains(m.Claim, ":") {
			a.NameFormat = attrFormatURI
		}
		for _, v := range vals {
			a.Values = append(a.Values, saml.AttributeValue{Type: "xs:string", Value: v})
		}
		out = append(out, a)
	}
	return out
}

// rawText is a stored JSON scalar as text: strings unquoted.
func rawText(raw []byte) string {
	s := strings.TrimSpace(string(raw))
	if unq, err := strconv.Unquote(s); err == nil && strings.HasPrefix(s, `"`) {
		return unq
	}
	return s
}
