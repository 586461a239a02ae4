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
	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// AppOrgs manages applications' own organisation trees (ONEACCESS-API.md 3.2).
type AppOrgs struct {
	Store storage.Store
	Audit *audit.Recorder
	Now   func() time.Time
}

// AppOrgWrite is the body of create (org_code, name, parent_id) and modify
// (name, parent_id).
type AppOrgWrite struct {
	OrgCode  opt.String `json:"org_code"`
	Name     opt.String `json:"name"`
	ParentID opt.String `json:"parent_id"`
	// MappedOrgID (Gatehouse's own) is the Gatehouse organisation this one
	// stands for; "" removes the mapping.
	MappedOrgID opt.String `json:"mapped_org_id"`
}

// Failures of the application-organisation API; APP.ORG.0040 is the code
// OneAccess-family servers send for a missing parent.
var (
	ErrAppOrgNotFound  = failure.New(failure.NotFound, "APP.ORG.0001", "org_id", "Application organization does not exist.")
	errAppOrgCode      = failure.New(failure.Invalid, "APP.ORG.0002", "org_code", "The org_code must be 1-64 characters: letters, digits, _ and -.")
	errAppOrgName      = failure.New(failure.Invalid, "APP.ORG.0003", "name", "The name must be 1-100 characters, without control characters.")
	errAppOrgCodeTaken = failure.New(failure.Conflict, "APP.ORG.0004", "org_code", "The org_code already exists in the application.")
	errAppOrgChildren  = failure.New(failure.Invalid, "APP.ORG.0005", "org_id", "The application organization has child organizations.")
	errAppOrgCycle     = failure.New(failure.Invalid, "APP.ORG.0006", "parent_id", "An organization cannot be moved under itself or its descendants.")
	errAppOrgNoParent  = failure.New(failure.Invalid, "APP.ORG.0040", "parent_id", "Parent application organization does not exist.")
	errAppOrgMapped    = failure.New(failure.Invalid, "APP.ORG.0041", "mapped_org_id", "The mapped_org_id is not an organization of this tenant.")
	errAppOrgMapTaken  = failure.New(failure.Conflict, "APP.ORG.0042", "mapped_org_id", "Another organization of the application is already mapped to this organization.")
)

func appOrgTarget(id string) audit.Target { return audit.Target{Type: "app_org", ID: id} }

func checkAppOrgCode(c string) error {
	if c == "" || utf8.RuneCountInString(c) > 64 {
		return errAppOrgCode
	}
	for _, r := range c {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' {
			return errAppOrgCode
		}
	}
	return nil
}

func checkAppOrgName(n string) error {
	if n == "" || utf8.RuneCountInString(n) > 100 || strings.ContainsFunc(n, unicode.IsControl) {
		return errAppOrgName
	}
	return nil
}

func notFoundAppOrg(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return ErrAppOrgNotFound
	}
	return err
}

// Create adds an application organisation.
func (s *AppOrgs) Create(ctx context.Context, tenantID string, a audit.Actor, appID string, w *AppOrgWrite) (string, error) {
	if err := checkAppOrgCode(w.OrgCode.V); err != nil {
		return "", err
	}
	if err := checkAppOrgName(w.Name.V); err != nil {
		return "", err
	}
	now := s.Now()
	o := &storage.AppOrg{TenantID: tenantID, ID: idgen.New(now), ApplicationID: appID, Code: w.OrgCode.V, Name: w.Name.V,
		ParentID: w.ParentID.V, MappedOrgID: w.MappedOrgID.V, CreatedAt: now, UpdatedAt: now}
	err := s.Audit.Do(ctx, tenantID, a, "app_org.create", appOrgTarget(o.ID), func(tx storage.Repos, _ *audit.Target) error {
		if _, err := appFor(ctx, tx, tenantID, appID, true); err != nil {
			return err
		}
		if o.ParentID != "" {
			if _, err := tx.AppOrgs().Get(ctx, tenantID, appID, o.ParentID); err != nil {
				if errors.Is(err, storage.ErrNotFound) {
					return errAppOrgNoParent
				}
				return err
			}
		}
		if err := checkMappedOrg(ctx, tx, tenantID, o.MappedOrgID); err != nil {
			return err
		}
		return appOrgConflict(tx.AppOrgs().Create(ctx, o))
	})
	if err != nil {
		return "", err
	}
	return o.ID, nil
}

// checkMappedOrg refuses a mapping to an organisation the tenant does not
// have ("" is no mapping).
func checkMappedOrg(ctx context.Context, tx storage.Repos, tenantID, orgID string) error {
	if orgID == "" {
		return nil
	}
	_, err := tx.Orgs().Get(ctx, tenantID, orgID)
	if errors.Is(err, storage.ErrNotFound) {
		return errAppOrgMapped
	}
	return err
}

func appOrgConflict(err error) error {
	var ce *storage.ConflictError
	switch {
	case errors.As(err, &ce) && ce.Field == "mapped_org_id":
		return errAppOrgMapTaken
	case errors.Is(err, storage.ErrConflict):
		return errAppOrgCodeTaken
	}
	return err
}

// Update renames or moves an application organisation; parent_id ""
// moves it to the root level.
func (s *AppOrgs) Update(ctx context.Context, tenantID string, a audit.Actor, appID, id string, w *AppOrgWrite) error {
	if w.Name.Set && w.Name.V != "" {
		if err := checkAppOrgName(w.Name.V); err != nil {
			return err
		}
	}
	return s.Audit.Do(ctx, tenantID, a, "app_org.update", appOrgTarget(id), func(tx storage.Repos, _ *audit.Target) error {
		if _, err := appFor(ctx, tx, tenantID, appID, true); err != nil {
			return err
		}
		// An unknown id is APP.ORG.0001 whatever parent the body names.
		if _, err := tx.AppOrgs().Get(ctx, tenantID, appID, id); err != nil {
			return notFoundAppOrg(err)
		}
		if w.ParentID.Set && w.ParentID.V != "" {
			// Walk up from the new parent: reaching id would make a cycle.
			for p := w.ParentID.V; p != ""; {
				if p == id {
					return errAppOrgCycle
				}
				o, err := tx.AppOrgs().Get(ctx, tenantID, appID, p)
				if errors.Is(err, storage.ErrNotFound) {
					return errAppOrgNoParent
				}
				if err != nil {
					return err
				}
				p = o.ParentID
			}
		}
		if w.MappedOrgID.Set {
			if err := checkMappedOrg(ctx, tx, tenantID, w.MappedOrgID.V); err != nil {
				return err
			}
		}
		_, err := tx.AppOrgs().Update(ctx, tenantID, appID, id, func(o *storage.AppOrg) error {
			if w.Name.V != "" {
				o.Name = w.Name.V
			}
			if w.ParentID.Set {
				o.ParentID = w.ParentID.V
			}
			if w.MappedOrgID.Set {
				o.MappedOrgID = w.MappedOrgID.V
			}
			o.UpdatedAt = s.Now()
			return nil
		})
		return appOrgConflict(notFoundAppOrg(err))
	})
}

// Delete removes an application organisation without children; its
// accounts stay, without an organisation.
func (s *AppOrgs) Delete(ctx context.Context, tenantID string, a audit.Actor, appID, id string) error {
	return s.Audit.Do(ctx, tenantID, a, "app_org.delete", appOrgTarget(id), func(tx storage.Repos, _ *audit.Target) error {
		if _, err := appFor(ctx, tx, tenantID, appID, true); err != nil {
			return err
		}
		if _, err := tx.AppOrgs().Get(ctx, tenantID, appID, id); err != nil {
			return notFoundAppOrg(err)
		}
		if has, err := tx.AppOrgs().HasChildren(ctx, tenantID, appID, id); err != nil || has {
			if err != nil {
				return err
			}
			return errAppOrgChildren
		}
		return notFoundAppOrg(tx.AppOrgs().Delete(ctx, tenantID, appID, id))
	})
}

// Get returns an application organisation.
func (s *AppOrgs) Get(ctx context.Context, tenantID, appID, id string) (*storage.AppOrg, error) {
	if _, err := appFor(ctx, s.Store, tenantID, appID, false); err != nil {
		return nil, err
	}
	o, err := s.Store.AppOrgs().Get(ctx, tenantID, appID, id)
	return o, notFoundAppOrg(err)
}

// List pages an application's organisations in creation order.
func (s *AppOrgs) List(ctx context.Context, tenantID, appID string, offset, limit int) ([]storage.AppOrg, int, error) {
	if _, err := appFor(ctx, s.Store, tenantID, appID, false); err != nil {
		return nil, 0, err
	}
	return s.Store.AppOrgs().List(ctx, tenantID, appID, offset, limit)
}
