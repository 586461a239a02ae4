package apps

import (
	"encoding/json"
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
