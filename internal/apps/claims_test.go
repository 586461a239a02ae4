package apps

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/storage"
)

func TestTemplateMappings(t *testing.T) {
	src := &Source{User: &storage.User{UserName: "li", Email: "li@corp.example.com", Extension: json.RawMessage(`{"teams":["red","blue"],"level":3}`)},
		Account: &storage.AppAccount{AccountName: "li.app"}}
	for _, c := range []struct{ tmpl, want string }{
		{"{user.user_name}@corp", "li@corp"},
		{"{account.account_name}/{user.extension.level}", "li.app/3"},
		{"teams:{user.extension.teams}", "teams:red,blue"},
		{"{user.mobile}", ""}, // empty source: no claim
	} {
		m := ClaimMapping{Claim: "x", Template: c.tmpl}
		if err := checkMappings([]ClaimMapping{m}); err != nil {
			t.Errorf("%s refused: %v", c.tmpl, err)
		}
		if got := m.Resolve(src); got.Str != c.want || got.IsStr != (c.want != "") {
			t.Errorf("%s = %+v, want %q", c.tmpl, got, c.want)
		}
	}
	for _, bad := range []ClaimMapping{
		{Claim: "x", Template: "no source"},
		{Claim: "x", Template: "{account.roles}"},
		{Claim: "x", Template: "{user.password}"},
		{Claim: "x", Template: "{user.email"},
		{Claim: "x", Template: "{user.email}}"},
		{Claim: "x", Template: "{user.email}", Value: "v"},
		{Claim: "x", Template: "{user.email}", Source: "user.email"},
	} {
		if checkMappings([]ClaimMapping{bad}) == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if !NeedsAccount([]ClaimMapping{{Claim: "x", Template: "a{account.name}"}}) {
		t.Error("a template reading the account does not need it")
	}
}

// TestClaimNames: token and CAS claims keep the JSON-friendly rule; a
// mapping that goes to SAML alone may be named by a URI.
func TestClaimNames(t *testing.T) {
	const aws = "https://aws.amazon.com/SAML/Attributes/Role"
	for _, tc := range []struct {
		m   ClaimMapping
		msg string // "" when accepted
	}{
		{ClaimMapping{Claim: "dept", Source: "user.name"}, ""},
		{ClaimMapping{Claim: aws, Value: "x", In: []string{"saml"}}, ""},
		{ClaimMapping{Claim: "urn:oid:0.9.2342.19200300.100.1.3", Source: "user.email", In: []string{"saml", "saml"}}, ""},
		{ClaimMapping{Claim: aws, Value: "x"},
			`The claim "https://aws.amazon.com/SAML/Attributes/Role" must be 1-64 characters: letters, digits, _ . : -, starting with a letter or _ (a mapping whose in is ["saml"] alone may use a URI).`},
		{ClaimMapping{Claim: aws, Value: "x", In: []string{"saml", "id_token"}},
			`The claim "https://aws.amazon.com/SAML/Attributes/Role" must be 1-64 characters: letters, digits, _ . : -, starting with a letter or _ (a mapping whose in is ["saml"] alone may use a URI).`},
		{ClaimMapping{Claim: `a"b`, Value: "x", In: []string{"saml"}},
			"The SAML attribute name \"a\\\"b\" must be 1-256 visible ASCII characters without quotes, < > \\ { } ^ or `, starting with a letter or _."},
		{ClaimMapping{Claim: "https://x.example.com/" + strings.Repeat("a", 240), Value: "x", In: []string{"saml"}}, "too long"},
		{ClaimMapping{Claim: "sub", Value: "x", In: []string{"saml"}}, `The claim "sub" is set by the protocol and cannot be mapped.`},
	} {
		err := checkMappings([]ClaimMapping{tc.m})
		switch {
		case tc.msg == "" && err != nil:
			t.Errorf("%q refused: %v", tc.m.Claim, err)
		case tc.msg == "too long" && err == nil:
			t.Errorf("%q accepted", tc.m.Claim)
		case tc.msg != "" && tc.msg != "too long" && (err == nil || !strings.HasSuffix(err.Error(), ": "+tc.msg)):
			t.Errorf("%q: %v, want %s", tc.m.Claim, err, tc.msg)
		}
	}
}
