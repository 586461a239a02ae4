package apps

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/storage"
)

// AccessRule is one rule of the rules policy: a user matches it when every
// condition holds. A user matches the policy when any rule matches.
type AccessRule struct {
	All []AccessCondition `json:"all"`
}

// AccessCondition tests one user attribute (a claim-mapping source under
// "user."): eq, ne, in, not_in, prefix, suffix, contains (against values,
// compared exactly), or exists / not_exists (no values).
type AccessCondition struct {
	Source string   `json:"source"`
	Op     string   `json:"op"`
	Values []string `json:"values"`
}

var conditionOps = []string{"eq", "ne", "in", "not_in", "prefix", "suffix", "contains", "exists", "not_exists"}

const (
	maxAccessRules = 20
	maxConditions  = 10
	maxRuleValues  = 100
)

func checkAccessRules(rules []AccessRule) error {
	bad := func(format string, args ...any) error {
		return appInvalid("APP.0063", "access_rules", format, args...)
	}
	if len(rules) > maxAccessRules {
		return bad("The access_rules may hold at most %d rules.", maxAccessRules)
	}
	for i := range rules {
		r := &rules[i]
		if len(r.All) == 0 || len(r.All) > maxConditions {
			return bad("The access_rules rule %d must hold 1 to %d conditions in \"all\".", i+1, maxConditions)
		}
		for j := range r.All {
			c := &r.All[j]
			if c.Values == nil {
				c.Values = []string{} // reads back as [], never null
			}
			if !strings.HasPrefix(c.Source, "user.") || !validSource(c.Source) {
				return bad("The access_rules rule %d: the source %q must be a user attribute (user.email, user.attr_city, user.extension.level…).", i+1, truncate(c.Source, 64))
			}
			if !slices.Contains(conditionOps, c.Op) {
				return bad("The access_rules rule %d: the op %q must be one of %s.", i+1, truncate(c.Op, 32), strings.Join(conditionOps, ", "))
			}
			n := len(c.Values)
			switch {
			case (c.Op == "exists" || c.Op == "not_exists") && n != 0:
				return bad("The access_rules rule %d: the op %s takes no values.", i+1, c.Op)
			case c.Op != "exists" && c.Op != "not_exists" && (n == 0 || n > maxRuleValues):
				return bad("The access_rules rule %d: the op %s needs 1 to %d values.", i+1, c.Op, maxRuleValues)
			case (c.Op == "eq" || c.Op == "ne") && n != 1:
				return bad("The access_rules rule %d: the op %s takes exactly one value.", i+1, c.Op)
			}
			for _, v := range c.Values {
				if len(v) > 256 {
					return bad("The access_rules rule %d: values must be at most 256 bytes.", i+1)
				}
			}
		}
	}
	return nil
}

// Rules decodes an application's access rules.
func Rules(a *storage.Application) []AccessRule {
	var rs []AccessRule
	if len(a.AccessRules) > 0 {
		json.Unmarshal(a.AccessRules, &rs)
	}
	return rs
}

// matchesRules reports whether u matches any of rules.
func matchesRules(rules []AccessRule, u *storage.User) bool {
	src := &Source{User: u}
	for _, r := range rules {
		ok := true
		for _, c := range r.All {
			if !c.holds(src) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (c *AccessCondition) holds(src *Source) bool {
	m := ClaimMapping{Source: c.Source}
	vals := m.Resolve(src).strings()
	switch c.Op {
	case "exists":
		return len(vals) > 0
	case "not_exists":
		return len(vals) == 0
	case "ne", "not_in":
		for _, v := range vals {
			if slices.Contains(c.Values, v) {
				return false
			}
		}
		return true
	}
	for _, v := range vals {
		for _, want := range c.Values {
			switch {
			case (c.Op == "eq" || c.Op == "in") && v == want,
				c.Op == "prefix" && strings.HasPrefix(v, want),
				c.Op == "suffix" && strings.HasSuffix(v, want),
				c.Op == "contains" && strings.Contains(v, want):
				return true
			}
		}
	}
	return false
}

// strings flattens a value to the strings a condition compares: a string,
// a list, or a JSON string, number or boolean in its text form (a JSON
// array gives its scalar items).
func (v Value) strings() []string {
	switch {
	case v.IsStr:
		return []string{v.Str}
	case v.IsList:
		return v.Strs
	case len(v.Raw) == 0 || string(v.Raw) == "null":
		return nil
	}
	// Numbers keep the text they were stored with (json.Number).
	dec := json.NewDecoder(bytes.NewReader(v.Raw))
	dec.UseNumber()
	var any interface{}
	if dec.Decode(&any) != nil {
		return nil
	}
	var out []string
	var add func(x interface{})
	add = func(x interface{}) {
		switch t := x.(type) {
		case string:
			if t != "" {
				out = append(out, t)
			}
		case json.Number:
			out = append(out, t.String())
		case bool:
			b, _ := json.Marshal(t)
			out = append(out, string(b))
		case []interface{}:
			for _, e := range t {
				if _, nested := e.([]interface{}); !nested {
					add(e)
				}
			}
		}
	}
	add(any)
	return out
}
