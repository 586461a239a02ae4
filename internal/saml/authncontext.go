package saml

import (
	"slices"
	"strings"

	"github.com/beevik/etree"
)

// RequestedAuthnContext (SAML Core 3.3.2.2.1): an AuthnRequest may name
// the authentication context classes it accepts and how to compare with
// them. Gatehouse knows two strengths: one factor (the password over TLS)
// and two factors (the password and a TOTP code); it can assert the
// classes below, and steps a one-factor session up to two factors when
// only two-factor classes are acceptable.

const (
	classPasswordOnly            = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"
	classUnspecified             = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified"
	classMobileTwoFactorContract = "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract"
	classTimeSyncToken           = "urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken"
	// classREFEDSMFA is the REFEDS MFA profile, which research and
	// education federations' SPs request for multi-factor sign-in.
	classREFEDSMFA = "https://refeds.org/profile/mfa"

	statusNoAuthnContext = "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"
)

// classStrength is 1 for a one-factor class, 2 for a two-factor class, 0
// for a class Gatehouse does not assert.
func classStrength(class string) int {
	switch class {
	case classPassword, classPasswordOnly, classUnspecified:
		return 1
	case classTwoFactor, classMobileTwoFactorContract, classTimeSyncToken, classREFEDSMFA:
		return 2
	}
	return 0
}

// maxRequestedClasses bounds the classes read from one request.
const maxRequestedClasses = 20

// acceptedClasses reads root's RequestedAuthnContext and returns the
// classes an answer may assert, in the request's order of preference,
// then Gatehouse's own class of each acceptable strength. nil, true: the
// request asks for nothing. ok false: no class Gatehouse can assert is
// acceptable (the SP hears NoAuthnContext).
func acceptedClasses(root *etree.Element) (classes []string, ok bool) {
	var req *etree.Element
	for _, c := range root.ChildElements() {
		if c.Tag == "RequestedAuthnContext" && c.NamespaceURI() == nsProtocol {
			req = c
			break
		}
	}
	if req == nil {
		return nil, true
	}
	var named []string
	for _, c := range req.ChildElements() {
		if c.Tag == "AuthnContextClassRef" && c.NamespaceURI() == nsAssertion && len(named) < maxRequestedClasses {
			named = append(named, strings.TrimSpace(c.Text()))
		}
	}
	var lo, hi int // the strengths the comparison admits
	strengths := []int{}
	for _, c := range named {
		if n := classStrength(c); n > 0 {
			strengths = append(strengths, n)
		}
	}
	switch req.SelectAttrValue("Comparison", "exact") {
	case "exact":
		for _, c := range named {
			if classStrength(c) > 0 && !slices.Contains(classes, c) {
				classes = append(classes, c)
			}
		}
		return classes, len(classes) > 0
	case "minimum":
		if len(strengths) == 0 {
			return nil, false
		}
		lo, hi = slices.Min(strengths), 2
	case "better":
		if len(strengths) == 0 {
			return nil, false
		}
		lo, hi = slices.Max(strengths)+1, 2
	case "maximum":
		if len(strengths) == 0 {
			return nil, false
		}
		lo, hi = 1, slices.Max(strengths)
	default:
		return nil, false
	}
	for _, c := range append(named, classTwoFactor, classPassword) {
		if n := classStrength(c); n >= lo && n <= hi && !slices.Contains(classes, c) {
			classes = append(classes, c)
		}
	}
	return classes, len(classes) > 0
}

// chooseClass is the class to assert for a session of the given strength
// among accepted (nil: the session's own class): the strongest the
// session reaches, the request's order breaking ties; "" when every
// accepted class needs more than the session has (a step-up).
func chooseClass(accepted []string, strength int, own string) string {
	if accepted == nil {
		return own
	}
	best, bestN := "", 0
	for _, c := range accepted {
		if n := classStrength(c); n <= strength && n > bestN {
			best, bestN = c, n
		}
	}
	return best
}
