package saml

import (
	"slices"
	"testing"
)

// TestAcceptedClasses: what each comparison admits, in the request's
// order then Gatehouse's own classes; unknown classes are skipped; a
// request nothing answers is refused.
func TestAcceptedClasses(t *testing.T) {
	const head = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="x" Version="2.0">`
	rac := func(comparison string, classes ...string) string {
		s := head + `<samlp:RequestedAuthnContext`
		if comparison != "" {
			s += ` Comparison="` + comparison + `"`
		}
		s += `>`
		for _, c := range classes {
			s += `<saml:AuthnContextClassRef> ` + c + ` </saml:AuthnContextClassRef>`
		}
		return s + `</samlp:RequestedAuthnContext></samlp:AuthnRequest>`
	}
	for _, tc := range []struct {
		what, xml string
		want      []string
		ok        bool
	}{
		{"none", head + `</samlp:AuthnRequest>`, nil, true},
		{"exact by default, unknown skipped", rac("", "urn:x", classREFEDSMFA, classPasswordOnly, classREFEDSMFA), []string{classREFEDSMFA, classPasswordOnly}, true},
		{"exact, nothing known", rac("exact", "urn:x"), nil, false},
		{"exact, a declaration only", head + `<samlp:RequestedAuthnContext><saml:AuthnContextDeclRef>urn:d</saml:AuthnContextDeclRef></samlp:RequestedAuthnContext></samlp:AuthnRequest>`, nil, false},
		{"minimum one factor", rac("minimum", classPasswordOnly), []string{classPasswordOnly, classTwoFactor, classPassword}, true},
		{"minimum two factors", rac("minimum", classTimeSyncToken, "urn:x"), []string{classTimeSyncToken, classTwoFactor}, true},
		{"better than one factor", rac("better", classPassword), []string{classTwoFactor}, true},
		{"better than two factors", rac("better", classREFEDSMFA), nil, false},
		{"maximum two factors", rac("maximum", classREFEDSMFA), []string{classREFEDSMFA, classTwoFactor, classPassword}, true},
		{"maximum one factor", rac("maximum", classUnspecified), []string{classUnspecified, classPassword}, true},
		{"an unknown comparison", rac("roughly", classPassword), nil, false},
		{"a class in another namespace", head + `<samlp:RequestedAuthnContext><samlp:AuthnContextClassRef>` + classPassword + `</samlp:AuthnContextClassRef></samlp:RequestedAuthnContext></samlp:AuthnRequest>`, nil, false},
	} {
		root, err := parseMessage([]byte(tc.xml), "AuthnRequest")
		if err != nil {
			t.Fatalf("%s: %v", tc.what, err)
		}
		got, ok := acceptedClasses(root)
		if ok != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v %v, want %v %v", tc.what, got, ok, tc.want, tc.ok)
		}
	}
}

// TestChooseClass: the strongest accepted class the session reaches, the
// request's order breaking ties; "" asks for a step-up.
func TestChooseClass(t *testing.T) {
	for _, tc := range []struct {
		accepted []string
		strength int
		want     string
	}{
		{nil, 1, classPassword},
		{[]string{classREFEDSMFA}, 1, ""},
		{[]string{classREFEDSMFA}, 2, classREFEDSMFA},
		{[]string{classPasswordOnly, classTwoFactor, classPassword}, 1, classPasswordOnly},
		{[]string{classPasswordOnly, classTwoFactor, classPassword}, 2, classTwoFactor},
		{[]string{classTimeSyncToken, classREFEDSMFA}, 2, classTimeSyncToken},
	} {
		if got := chooseClass(tc.accepted, tc.strength, classPassword); got != tc.want {
			t.Errorf("chooseClass(%v, %d) = %q, want %q", tc.accepted, tc.strength, got, tc.want)
		}
	}
}
