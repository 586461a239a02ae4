package apps

import (
	"encoding/json"
	"testing"

	"github.com/gatehouse/gatehouse/internal/storage"
)

func TestAccessRules(t *testing.T) {
	u := &storage.User{UserName: "li", Email: "li@corp.example.com", Profile: json.RawMessage(`{"attr_user_type":"intern","attr_city":"Xi'an"}`),
		Extension: json.RawMessage(`{"level":3,"big":12345678901234567890,"teams":["red","blue"],"vip":true,"note":null}`)}
	c := func(src, op string, vals ...string) AccessCondition {
		return AccessCondition{Source: src, Op: op, Values: vals}
	}
	cases := []struct {
		what string
		cond AccessCondition
		want bool
	}{
		{"eq", c("user.user_name", "eq", "li"), true},
		{"eq, other value", c("user.user_name", "eq", "wang"), false},
		{"ne", c("user.user_name", "ne", "wang"), true},
		{"in", c("user.attr_user_type", "in", "regular", "intern"), true},
		{"not_in", c("user.attr_user_type", "not_in", "regular", "intern"), false},
		{"suffix", c("user.email", "suffix", "@corp.example.com"), true},
		{"prefix", c("user.email", "prefix", "wang@"), false},
		{"contains", c("user.attr_city", "contains", "'"), true},
		{"number as text", c("user.extension.level", "eq", "3"), true},
		{"number as written", c("user.extension.big", "eq", "12345678901234567890"), true},
		{"boolean as text", c("user.extension.vip", "eq", "true"), true},
		{"list item", c("user.extension.teams", "in", "blue"), true},
		{"list, ne", c("user.extension.teams", "ne", "red"), false},
		{"exists", c("user.email", "exists"), true},
		{"empty field does not exist", c("user.mobile", "exists"), false},
		{"null does not exist", c("user.extension.note", "not_exists"), true},
		{"absent, ne holds", c("user.extension.nope", "ne", "x"), true},
		{"absent, eq fails", c("user.extension.nope", "eq", "x"), false},
	}
	for _, k := range cases {
		if got := matchesRules([]AccessRule{{All: []AccessCondition{k.cond}}}, u); got != k.want {
			t.Errorf("%s: %v, want %v", k.what, got, k.want)
		}
	}
	// All conditions of a rule; any rule.
	both := AccessRule{All: []AccessCondition{c("user.email", "suffix", "@corp.example.com"), c("user.attr_user_type", "eq", "regular")}}
	if matchesRules([]AccessRule{both}, u) {
		t.Error("a rule with one failing condition matched")
	}
	if !matchesRules([]AccessRule{both, {All: []AccessCondition{c("user.user_name", "eq", "li")}}}, u) {
		t.Error("the second rule did not match")
	}
	if matchesRules(nil, u) {
		t.Error("no rules matched")
	}
	for _, bad := range [][]AccessRule{
		{{All: nil}},
		{{All: []AccessCondition{c("account.name", "eq", "x")}}},
		{{All: []AccessCondition{c("user.password", "eq", "x")}}},
		{{All: []AccessCondition{c("user.email", "like", "x")}}},
		{{All: []AccessCondition{c("user.email", "exists", "x")}}},
		{{All: []AccessCondition{c("user.email", "eq", "a", "b")}}},
		{{All: []AccessCondition{c("user.email", "in")}}},
		{{All: []AccessCondition{c("user.attr_", "exists")}}},
	} {
		if checkAccessRules(bad) == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
