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

// CheckAccess decides whether a user may use an application and returns
// the grant: one query, for the account and its roles, and only when the
// policy or the claim mappings need it.
func CheckAccess(ctx context.Context, store storage.Repos, a *storage.Application, mappings []ClaimMapping, u *storage.User) (*Grant, error) {
	needAccount := a.AccessPolicy == storage.AccessAuthorized || NeedsAccount(mappings)
	if !needAccount {
		return &Grant{}, nil
	}
	acc, roles, err := store.AppAccounts().GetByUserWithRoles(ctx, a.TenantID, a.ID, u.ID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		if a.AccessPolicy == storage.AccessAuthorized {
			return nil, ErrNotAuthorized
		}
		return &Grant{}, nil
	case err != nil:
		return nil, err
	case acc.Disabled && a.AccessPolicy == storage.AccessAuthorized:
		return nil, ErrAccountDisabled
	}
	return &Grant{Account: acc, Roles: roles}, nil
}
