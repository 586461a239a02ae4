package apps

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// Grant is what a user has in an application at sign-in: the account
// (nil when the application lets every user in and the user has none)
// and its role codes.
type Grant struct {
	Account *storage.AppAccount
	Roles   []string
}

// Reasons a sign-in to an application is refused.
var (
	ErrNotAuthorized   = failure.New(failure.Forbidden, "APP.0024", "application_id", "You are not authorized to use this application.")
	ErrAccountDisabled = failure.New(failure.Forbidden, "APP.0025", "application_id", "Your account in this application is disabled.")
)

// Mappings decodes an application's claim mappings.
func Mappings(a *storage.Application) []ClaimMapping {
	var ms []ClaimMapping
	if len(a.ClaimMappings) > 0 {
		json.Unmarshal(a.ClaimMappings, &ms)
	}
	return ms
}

// NeedsOrgs reports whether CheckAccess reads the user's organisation
// memberships (User.Orgs) for the application: under the organizations
// policy only. Otherwise a caller may read the user with
// Users().GetWithoutOrgs, a query fewer. Claim mappings never read them.
func NeedsOrgs(a *storage.Application) bool {
	return a.AccessPolicy == storage.AccessOrganizations
}

// CheckAccess decides whether a user may use an application and returns
// the grant: one query, for the account and its roles, and only when the
// policy or the claim mappings need it; a second one, up the organisation
// tree, for a user without an account under the organizations policy, or
// up the application's organisation tree for the roles given to an
// account's organisation. It reads u.Orgs only when NeedsOrgs(a).
func CheckAccess(ctx context.Context, store storage.Repos, a *storage.Application, mappings []ClaimMapping, u *storage.User) (*Grant, error) {
	restricted := a.AccessPolicy == storage.AccessAuthorized || a.AccessPolicy == storage.AccessOrganizations ||
		a.AccessPolicy == storage.AccessRulesPolicy
	if !restricted && !NeedsAccount(mappings) {
		return &Grant{}, nil
	}
	acc, roles, err := store.AppAccounts().GetByUserWithRoles(ctx, a.TenantID, a.ID, u.ID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		if a.AccessPolicy == storage.AccessAuthorized {
			return nil, ErrNotAuthorized
		}
		if a.AccessPolicy == storage.AccessOrganizations {
			if err := inAccessOrgs(ctx, store, a, u); err != nil {
				return nil, err
			}
		}
		if a.AccessPolicy == storage.AccessRulesPolicy && !matchesRules(Rules(a), u) {
			return nil, ErrNotAuthorized
		}
		return &Grant{}, nil
	case err != nil:
		return nil, err
	case acc.Disabled && restricted:
		return nil, ErrAccountDisabled
	}
	if acc.AppOrgID != "" {
		// Roles given to the account's organisation or those above it.
		byOrg, err := store.AppRoles().RolesOfOrg(ctx, a.TenantID, acc.AppOrgID)
		if err != nil {
			return nil, err
		}
		roles = mergeSorted(roles, byOrg)
	}
	return &Grant{Account: acc, Roles: roles}, nil
}

// inAccessOrgs lets in a user without an account of an application whose
// policy is organizations when one of the user's organisations (home or
// secondary) is one of the application's or below one of them.
func inAccessOrgs(ctx context.Context, store storage.Repos, a *storage.Application, u *storage.User) error {
	ids := make([]string, 0, len(u.Orgs)+1)
	if u.HomeOrgID != "" {
		ids = append(ids, u.HomeOrgID)
	}
	for _, o := range u.Orgs {
		ids = append(ids, o.OrgID)
	}
	ok, err := store.Orgs().AnyWithin(ctx, a.TenantID, ids, a.AccessOrgIDs)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotAuthorized
	}
	return nil
}

// mergeSorted is the sorted union of two sorted lists.
func mergeSorted(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	out := make([]string, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i] < b[j]):
			out = append(out, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default: // equal
			out = append(out, a[i])
			i, j = i+1, j+1
		}
	}
	return out
}
