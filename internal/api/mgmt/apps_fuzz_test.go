package mgmt_test

import (
	"net/http"
	"testing"
)

// FuzzRegisterAppBody: no application body makes register answer 500 or
// panic; a refusal is a 4xx with OneAccess's error body naming a code, and
// a 201 always means the application can be read back. The seeds reach
// every protocol's settings, claim mappings (SAML URI names included),
// access rules and the logout settings.
func FuzzRegisterAppBody(f *testing.F) {
	for _, seed := range []string{
		`{"name":"A","protocol":"oidc","oidc":{"redirect_uris":["https://a.example.com/cb"],"backchannel_logout_uri":"https://a.example.com/bcl"}}`,
		`{"name":"B","protocol":"cas","cas":{"service_patterns":["https://b.example.com/*"],"logout_type":"back_channel","logout_url":"https://b.example.com/slo"}}`,
		`{"name":"C","protocol":"saml","saml":{"entity_id":"https://c.example.com","acs":[{"url":"https://c.example.com/acs"}]},
		  "claim_mappings":[{"claim":"https://aws.amazon.com/SAML/Attributes/Role","value":"r","in":["saml"]}]}`,
		`{"name":"D","protocol":"form_fill","form_fill":{"login_url":"https://d.example.com/login"}}`,
		`{"name":"E","protocol":"oauth2","oidc":{"grant_types":["client_credentials"]},"access_policy":"rules",
		  "access_rules":[{"all":[{"source":"user.email","op":"ends_with","values":["@example.com"]}]}]}`,
		`{"name":"F","protocol":"oidc","login":{"mfa":"required"},"claim_mappings":[{"claim":"x","template":"{user.name}@{"}]}`,
		`{"name":"G","protocol":"cas","cas":{"service_patterns":null,"ticket_lifetime":"30"}}`,
		`{"name":"","protocol":"ldap"}`, `{"oidc":[]}`, `[]`, `{`, `null`, ``, `{"name":"\u0000"}`,
	} {
		f.Add(seed)
	}
	ta := newTestAPI(f)
	f.Fuzz(func(t *testing.T, body string) {
		rec := ta.serve("POST", "/api/v2/tenant/applications", "/api/v2/tenant/applications", body)
		switch {
		case rec.Code == http.StatusCreated:
			var out struct{ ApplicationID string }
			if err := jsonDecode(rec.Body.Bytes(), &out); err != nil || out.ApplicationID == "" {
				t.Fatalf("201 without application_id: %s", rec.Body)
			}
			got := ta.serve("GET", "/api/v2/tenant/applications/{application_id}", "/api/v2/tenant/applications/"+out.ApplicationID, "")
			if got.Code != 200 {
				t.Fatalf("registered application %s cannot be read: %d %s", out.ApplicationID, got.Code, got.Body)
			}
		case rec.Code >= 400 && rec.Code < 500:
			var e struct{ ErrorCode, ErrorMsg string }
			if err := jsonDecode(rec.Body.Bytes(), &e); err != nil || e.ErrorCode == "" || e.ErrorMsg == "" {
				t.Fatalf("%d without an error body: %s", rec.Code, rec.Body)
			}
		default:
			t.Fatalf("%d for %q: %s", rec.Code, body, rec.Body)
		}
	})
}
