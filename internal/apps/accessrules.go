package apps

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/storage"
)

// Access by organisation and account naming: the application fields that
// say who may use it (access_policy, access_org_ids) and what a user's new
// account there is called (account_name_rule).

var accessPolicies = []string{storage.AccessAllUsers, storage.AccessAuthorized, storage.AccessOrganizations, storage.AccessRulesPolicy}

const maxAccessOrgs = 100

func applyAccess(a *storage.Application, w *AppWrite) error {
	if w.AccessPolicy.Set {
		if !slices.Contains(accessPolicies, w.AccessPolicy.V) {
			return appInvalid("APP.0026", "access_policy", "The access_policy must be all_users, authorized, organizations or rules.")
		}
		a.AccessPolicy = w.AccessPolicy.V
	}
	if w.AccessOrgIDs.Set {
		ids := []string{}
		for _, id := range w.AccessOrgIDs.V {
			if id == "" || len(id) > 64 {
				return appInvalid("APP.0060", "access_org_ids", "The access_org_ids entries must be organization ids.")
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		if len(ids) > maxAccessOrgs {
			return appInvalid("APP.0060", "access_org_ids", "The access_org_ids may hold at most 100 organizations.")
		}
		a.AccessOrgIDs = ids
	}
	if w.AccessRules.Set {
		rules := w.AccessRules.V
		if w.AccessRules.Null || rules == nil {
			rules = []AccessRule{}
		}
		if err := checkAccessRules(rules); err != nil {
			return err
		}
		a.AccessRules, _ = json.Marshal(rules)
	}
	if a.AccessPolicy == storage.AccessRulesPolicy && len(Rules(a)) == 0 {
		return appInvalid("APP.0063", "access_rules", "The access_policy rules needs at least one rule in access_rules.")
	}
	if a.AccessPolicy == storage.AccessOrganizations && len(a.AccessOrgIDs) == 0 {
		return appInvalid("APP.0060", "access_org_ids", "The access_policy organizations needs at least one organization in access_org_ids.")
	}
	if w.AccountNameRule.Set {
		if err := checkAccountNameRule(w.AccountNameRule.V); err != nil {
			return err
		}
		a.AccountNameRule = w.AccountNameRule.V
	}
	return nil
}

// checkAccessOrgs refuses organisation ids the tenant does not have (on
// create, and when a modify sends access_org_ids).
func checkAccessOrgs(ctx context.Context, tx storage.Repos, a *storage.Application) error {
	for _, id := range a.AccessOrgIDs {
		_, err := tx.Orgs().Get(ctx, a.TenantID, id)
		if errors.Is(err, storage.ErrNotFound) {
			return appInvalid("APP.0060", "access_org_ids", "The access_org_ids entry %q is not an organization of this tenant.", truncate(id, 64))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Account name rules: one of these user attributes, or a template of them
// such as "{user_name}@corp.example.com".
var nameSources = map[string]func(u *storage.User) string{
	"user_name":   func(u *storage.User) string { return u.UserName },
	"email":       func(u *storage.User) string { return u.Email },
	"mobile":      func(u *storage.User) string { return u.Mobile },
	"employee_id": func(u *storage.User) string { return u.EmployeeID },
	"email_local": func(u *storage.User) string { l, _, _ := strings.Cut(u.Email, "@"); return l },
}

var placeholderRE = regexp.MustCompile(`\{([a-z_]+)\}`)

func checkAccountNameRule(r string) error {
	bad := appInvalid("APP.0061", "account_name_rule",
		"The account_name_rule must be user_name, email, mobile or employee_id, or a template of at most 128 characters using {user_name}, {email}, {email_local}, {mobile} or {employee_id}.")
	if _, ok := nameSources[r]; ok && r != "email_local" {
		return nil
	}
	if len(r) > 128 || !strings.Contains(r, "{") || strings.ContainsAny(r, " \t\r\n") {
		return bad
	}
	rest := placeholderRE.ReplaceAllStringFunc(r, func(m string) string {
		if _, ok := nameSources[m[1:len(m)-1]]; ok {
			return ""
		}
		return "{"
	})
	if strings.ContainsAny(rest, "{}") {
		return bad
	}
	return nil
}

// AccountName is the name a user's new account in a gets from its rule
// ("" when an attribute it needs is empty).
func AccountName(a *storage.Application, u *storage.User) string {
	r := a.AccountNameRule
	if r == "" {
		r = "user_name"
	}
	if f, ok := nameSources[r]; ok {
		return f(u)
	}
	empty := false
	out := placeholderRE.ReplaceAllStringFunc(r, func(m string) string {
		v := nameSources[m[1:len(m)-1]](u)
		if v == "" {
			empty = true
		}
		return v
	})
	if empty {
		return ""
	}
	return out
}
