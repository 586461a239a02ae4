package saml

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
)

const testRequest = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ` +
	`ID="_1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>ISSUER</saml:Issuer></samlp:AuthnRequest>`

func withIssuer(dtd, issuer string) []byte {
	return []byte(dtd + strings.Replace(testRequest, "ISSUER", issuer, 1))
}

func billionLaughs() string {
	s := `<!DOCTYPE lolz [<!ENTITY lol "lol">`
	for i := 1; i <= 9; i++ {
		prev := "lol"
		if i > 1 {
			prev = fmt.Sprintf("lol%d", i-1)
		}
		s += fmt.Sprintf(`<!ENTITY lol%d "%s">`, i, strings.Repeat("&"+prev+";", 10))
	}
	return s + "]>"
}

// TestHostileXML: DTDs never get through parseMessage, and the libraries
// below it (beevik/etree, which goxmldsig and crewjam/saml parse with,
// and encoding/xml under it) expand no entity even when handed one:
// external entities are not read, internal ones are not declared.
func TestHostileXML(t *testing.T) {
	passwd, _ := os.ReadFile("/etc/passwd")
	cases := []struct {
		name string
		doc  []byte
	}{
		{"external entity (XXE)", withIssuer(`<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>`, "&x;")},
		{"parameter entity", withIssuer(`<!DOCTYPE r [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>`, "x")},
		{"billion laughs", withIssuer(billionLaughs(), "&lol9;")},
		{"quadratic blowup", withIssuer(`<!DOCTYPE r [<!ENTITY a "`+strings.Repeat("a", 10000)+`">]>`, strings.Repeat("&a;", 1000))},
		{"DTD without entities", withIssuer(`<!DOCTYPE r>`, "x")},
		{"undeclared entity", withIssuer("", "&x;")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			if _, err := parseMessage(c.doc, "AuthnRequest"); err == nil {
				t.Error("parseMessage accepted it")
			}
			// What the libraries do on their own: refuse, or leave the
			// entity unexpanded; never read the file, never blow up.
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(c.doc); err == nil {
				out, _ := doc.WriteToString()
				if len(passwd) > 0 && strings.Contains(out, strings.SplitN(string(passwd), "\n", 2)[0]) {
					t.Error("etree read the external entity")
				}
				if len(out) > 2*len(c.doc) {
					t.Errorf("etree expanded entities: %d bytes from %d", len(out), len(c.doc))
				}
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
	if _, err := parseMessage(withIssuer("", "https://sp.example.com"), "AuthnRequest"); err != nil {
		t.Errorf("a plain request was refused: %v", err)
	}
	if _, err := parseMessage(withIssuer("", "x"), "LogoutRequest"); err == nil {
		t.Error("an AuthnRequest was taken for a LogoutRequest")
	}
	if _, err := parseMessage(append(withIssuer("", "x"), "<second/>"...), "AuthnRequest"); err == nil {
		t.Error("a document with two roots was accepted")
	}
}
