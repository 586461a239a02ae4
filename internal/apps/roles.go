package apps

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// Roles manages application roles and their members, which are
// application accounts (ONEACCESS-API.md 3.4).
type Roles struct {
	Store storage.Store
	Audit *audit.Recorder
	Now   func() time.Time
}

// Failures of the role API (Gatehouse's codes; OneAccess documents none).
var (
	ErrRoleNotFound    = failure.New(failure.NotFound, "APP_ROLE.0001", "role_id", "Application role does not exist.")
	errRoleCodeNeeded  = failure.New(failure.Invalid, "APP_ROLE.0002", "code", "The code is required.")
	errRoleCodeInvalid = failure.New(failure.Invalid, "APP_ROLE.0003", "code", "The code must be 1-64 characters: letters, digits, _ . : and -.")
	errRoleCodeTaken   = failure.New(failure.Conflict, "APP_ROLE.0004", "code", "A role with this code already exists in the application.")
	errRoleNameInvalid = failure.New(failure.Invalid, "APP_ROLE.0005", "name", "The name must be at most 100 characters, without control characters.")
	errRoleNameNeeded  = failure.New(failure.Invalid, "APP_ROLE.0007", "name", "The name is required.")
	errMembersInvalid  = failure.New(failure.Invalid, "APP_ROLE.0006", "account_Ids", "The account_Ids must list 1 to 50 application account ids.")
	errRoleOrgsInvalid = failure.New(failure.Invalid, "APP_ROLE.0008", "org_ids", "The org_ids must list 1 to 50 application organization ids.")
)

func roleTarget(id string) audit.Target { return audit.Target{Type: "app_role", ID: id} }

func checkRoleCode(c string) error {
	if c == "" {
		return errRoleCodeNeeded
	}
	if utf8.RuneCountInString(c) > 64 {
		return errRoleCodeInvalid
	}
	for _, r := range c {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("_.:-", r) {
			return errRoleCodeInvalid
		}
	}
	return nil
}

func checkRoleName(n string) error {
	if utf8.RuneCountInString(n) > 100 || strings.ContainsFunc(n, unicode.IsControl) {
		return errRoleNameInvalid
	}
	return nil
}

func notFoundRole(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return ErrRoleNotFound
	}
	return err
}

// Create adds a role; its code is unique in the application.
func (s *Roles) Create(ctx context.Context, tenantID string, a audit.Actor, appID, code, name string) (string, error) {
	if err := checkRoleCode(code); err != nil {
		return "", err
	}
	if err := checkRoleName(name); err != nil {
		return "", err
	}
	now := s.Now() // one instant: the id's time is its createdAt
	r := &storage.AppRole{TenantID: tenantID, ID: idgen.New(now), ApplicationID: appID, Code: code, Name: name, CreatedAt: now}
	err := s.Audit.Do(ctx, tenantID, a, "app_role.create", roleTarget(r.ID), func(tx storage.Repos, _ *audit.Target) error {
		if _, err := appFor(ctx, tx, tenantID, appID, true); err != nil {
			return err
		}
		err := tx.AppRoles().Create(ctx, r)
		if errors.Is(err, storage.ErrConflict) {
			return errRoleCodeTaken
		}
		return err
	})
	if err != nil {
		return "", err
	}
	return r.ID, nil
}

// Rename sets a role's name (3.4 modify: the name is required).
func (s *Roles) Rename(ctx context.Context, tenantID string, a audit.Actor, appID, id, name string) error {
	if name == "" {
		return errRoleNameNeeded
	}
	if err := checkRoleName(name); err != nil {
		return err
	}
	return s.Audit.Do(ctx, tenantID, a, "app_role.update", roleTarget(id), func(tx storage.Repos, _ *audit.Target) error {
		if _, err := appFor(ctx, tx, tenantID, appID, true); err != nil {
			return err
		}
		_, err := tx.AppRoles().Update(ctx, tenantID, appID, id, func(r *storage.AppRole) error {
			r.Name, r.UpdatedAt = name, s.Now()
			return nil
		})
		return notFoundRole(err)
	})
}

// Delete removes a role and its memberships.
func (s *Roles) Delete(ctx context.Context, tenantID string, a audit.Actor, appID, id string) error {
	return s.Audit.Do(ctx, tenantID, a, "app_role.delete", roleTarget(id), func(tx storage.Repos, _ *audit.Target) error {
		if _, err := appFor(ctx, tx, tenantID, appID, false); err != nil {
			return err
		}
		return notFoundRole(tx.AppRoles().Delete(ctx, tenantID, appID, id))
	})
}

// Get returns a role.
func (s *Roles) Get(ctx context.Context, tenantID, appID, id string) (*storage.AppRole, error) {
	if _, err := appFor(ctx, s.Store, tenantID, appID, false); err != nil {
		return nil, err
	}
	r, err := s.Store.AppRoles().Get(ctx, tenantID, appID, id)
	return r, notFoundRole(err)
}

// List pages an application's roles.
func (s *Roles) List(ctx context.Context, tenantID, appID string, offset, limit int) ([]storage.AppRole, int, error) {
	if _, err := appFor(ctx, s.Store, tenantID, appID, false); err != nil {
		return nil, 0, err
	}
	return s.Store.AppRoles().List(ctx, tenantID, appID, offset, limit)
}

// Outcome splits account ids into those the call applied to and the rest
// (unknown, of another application, already or not a member).
type Outcome struct {
	Success []string
	Fail    []string
}

// AddMembers makes accounts of the application members of a role.
// Accounts that already are members (or are listed twice) fail without
// an INSERT: a unique violation would abort a PostgreSQL transaction and
// with it the rest of the list.
func (s *Roles) AddMembers(ctx context.Context, tenantID string, a audit.Actor, appID, roleID string, accountIDs []string) (*Outcome, error) {
	var member map[string]bool
	return s.members(ctx, tenantID, a, appID, roleID, accountIDs, "app_role.member.add", func(tx storage.Repos, id string) error {
		if member == nil {
			roles, err := tx.AppRoles().RolesOf(ctx, tenantID, accountIDs)
			if err != nil {
				return err
			}
			member = map[string]bool{}
			for acc, rs := range roles {
				for _, r := range rs {
					if r.ID == roleID {
						member[acc] = true
					}
				}
			}
		}
		if member[id] {
			return storage.ErrConflict
		}
		if err := tx.AppRoles().AddMember(ctx, tenantID, roleID, id); err != nil {
			return err
		}
		member[id] = true
		return nil
	})
}

// RemoveMembers ends accounts' membership of a role.
func (s *Roles) RemoveMembers(ctx context.Context, tenantID string, a audit.Actor, appID, roleID string, accountIDs []string) (*Outcome, error) {
	return s.members(ctx, tenantID, a, appID, roleID, accountIDs, "app_role.member.remove", func(tx storage.Repos, id string) error {
		return tx.AppRoles().RemoveMember(ctx, tenantID, roleID, id)
	})
}

func (s *Roles) members(ctx context.Context, tenantID string, a audit.Actor, appID, roleID string, ids []string, action string,
	apply func(tx storage.Repos, id string) error) (*Outcome, error) {
	return s.assign(ctx, tenantID, a, appID, roleID, ids, errMembersInvalid, action, apply)
}

// assign applies one change per id (1 to 50 of them, else badIDs) in one
// transaction, sorting ids into success and fail lists.
func (s *Roles) assign(ctx context.Context, tenantID string, a audit.Actor, appID, roleID string, ids []string, badIDs error, action string,
	apply func(tx storage.Repos, id string) error) (*Outcome, error) {
	if len(ids) == 0 || len(ids) > 50 {
		return nil, badIDs
	}
	out := &Outcome{Success: []string{}, Fail: []string{}}
	err := s.Audit.Do(ctx, tenantID, a, action, roleTarget(roleID), func(tx storage.Repos, _ *audit.Target) error {
		if _, err := appFor(ctx, tx, tenantID, appID, true); err != nil {
			return err
		}
		if _, err := tx.AppRoles().Get(ctx, tenantID, appID, roleID); err != nil {
			return notFoundRole(err)
		}
		for _, id := range ids {
			err := apply(tx, id)
			switch {
			case err == nil:
				out.Success = append(out.Success, id)
			case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrConflict):
				out.Fail = append(out.Fail, id)
			default:
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Members pages a role's member accounts.
func (s *Roles) Members(ctx context.Context, tenantID, appID, roleID string, offset, limit int) ([]storage.AppAccount, int, error) {
	if _, err := s.Get(ctx, tenantID, appID, roleID); err != nil {
		return nil, 0, err
	}
	return s.Store.AppRoles().Members(ctx, tenantID, roleID, offset, limit)
}

// AddOrgs gives a role to organisations of the application: every account
// in them, or in organisations below them, has the role. Organisations
// that are not the application's, or already have it, fail.
func (s *Roles) AddOrgs(ctx context.Context, tenantID string, a audit.Actor, appID, roleID string, orgIDs []string) (*Outcome, error) {
	return s.assign(ctx, tenantID, a, appID, roleID, orgIDs, errRoleOrgsInvalid, "app_role.org.add", func(tx storage.Repos, id string) error {
		return tx.AppRoles().AddOrg(ctx, tenantID, roleID, id)
	})
}

// RemoveOrgs takes a role back from organisations.
func (s *Roles) RemoveOrgs(ctx context.Context, tenantID string, a audit.Actor, appID, roleID string, orgIDs []string) (*Outcome, error) {
	return s.assign(ctx, tenantID, a, appID, roleID, orgIDs, errRoleOrgsInvalid, "app_role.org.remove", func(tx storage.Repos, id string) error {
		return tx.AppRoles().RemoveOrg(ctx, tenantID, roleID, id)
	})
}

// Orgs pages the organisations that have a role.
func (s *Roles) Orgs(ctx context.Context, tenantID, appID, roleID string, offset, limit int) ([]storage.AppOrg, int, error) {
	if _, err := s.Get(ctx, tenantID, appID, roleID); err != nil {
		return nil, 0, err
	}
	return s.Store.AppRoles().Orgs(ctx, tenantID, roleID, offset, limit)
}
