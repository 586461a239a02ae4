package directory

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/objmodel"
	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// Orgs is the organisation service: a tree per tenant (ONEACCESS-API.md 3.1).
type Orgs struct {
	Store storage.Store
	Audit *audit.Recorder
	Now   func() time.Time

	trees treeCache
}

// OrgWrite is the body of create and modify.
type OrgWrite struct {
	Code      opt.String                            `json:"code"`
	Name      opt.String                            `json:"name"`
	ParentID  opt.String                            `json:"parent_id"`
	Category  opt.String                            `json:"category"`
	Sequence  opt.Value[int]                        `json:"sequence"`
	Extension opt.Value[map[string]json.RawMessage] `json:"extension"`
}

// Failures of the organisation API. ORG.0008 and ORG.0011 keep the texts
// OneAccess-family servers send.
var (
	ErrOrgNotFound    = failure.New(failure.NotFound, "ORG.0001", "org_id", "Organization does not exist.")
	errOrgCodeNeeded  = failure.New(failure.Invalid, "ORG.0002", "code", "The code is required.")
	errOrgCodeInvalid = failure.New(failure.Invalid, "ORG.0003", "code", "The code must be 1-64 characters: letters, digits, _ and -.")
	errOrgNameNeeded  = failure.New(failure.Invalid, "ORG.0004", "name", "The name is required.")
	errOrgNameInvalid = failure.New(failure.Invalid, "ORG.0005", "name", "The name must be 1-100 characters: letters, digits, spaces, -, _ and &.")
	errOrgCodeTaken   = failure.New(failure.Conflict, "ORG.0006", "code", "The code already exists.")
	errOrgNameTaken   = failure.New(failure.Conflict, "ORG.0007", "name", "An organization with this name already exists under the same parent.")
	errOrgNoParent    = failure.New(failure.Invalid, "ORG.0008", "parent_id", "Parent organization does not exist.")
	errOrgCycle       = failure.New(failure.Invalid, "ORG.0009", "parent_id", "An organization cannot be moved under itself or its descendants.")
	errOrgCategory    = failure.New(failure.Invalid, "ORG.0011", "category", "Organization type cannot be empty.")
	errOrgChildren    = failure.New(failure.Invalid, "ORG.0012", "org_id", "The organization has child organizations; delete them first or ask for cascade=true.")
	errOrgMembers     = failure.New(failure.Invalid, "ORG.0013", "org_id", "The organization has members; remove them first or ask for cascade=true.")
	errOrgCatInvalid  = failure.New(failure.Invalid, "ORG.0010", "category", "The category must be at most 32 characters, without control characters.")
	errOrgSequence    = failure.New(failure.Invalid, "ORG.0015", "sequence", "The sequence must be a whole number from -2147483648 to 2147483647.")
)

func checkOrgCode(c string) *failure.Failure {
	if c == "" {
		return errOrgCodeNeeded
	}
	if utf8.RuneCountInString(c) > 64 {
		return errOrgCodeInvalid
	}
	for _, r := range c {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' {
			return errOrgCodeInvalid
		}
	}
	return nil
}

func checkOrgName(n string) *failure.Failure {
	if n == "" {
		return errOrgNameNeeded
	}
	if utf8.RuneCountInString(n) > 100 || strings.TrimSpace(n) != n {
		return errOrgNameInvalid
	}
	for _, r := range n {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(" -_&", r) {
			return errOrgNameInvalid
		}
	}
	return nil
}

func orgTarget(id string) audit.Target { return audit.Target{Type: "organization", ID: id} }

func orgConflict(err error) error {
	var ce *storage.ConflictError
	if errors.As(err, &ce) {
		switch ce.Field {
		case "code":
			return errOrgCodeTaken
		case "name":
			return errOrgNameTaken
		}
	}
	return err
}

// Create adds an organisation and returns its id.
func (s *Orgs) Create(ctx context.Context, tenantID string, a audit.Actor, w *OrgWrite) (string, error) {
	now := s.Now()
	o := &storage.Organization{TenantID: tenantID, ID: idgen.New(now), Category: "department", CreatedAt: now, UpdatedAt: now}
	if f := checkOrgCode(w.Code.V); f != nil {
		return "", f
	}
	if f := checkOrgName(w.Name.V); f != nil {
		return "", f
	}
	o.Code, o.Name, o.ParentID = w.Code.V, w.Name.V, w.ParentID.V
	if err := applyOrgExtras(o, w); err != nil {
		return "", err
	}
	err := s.Audit.Do(ctx, tenantID, a, "organization.create", orgTarget(o.ID), func(tx storage.Repos, _ *audit.Target) error {
		if o.ParentID != "" {
			if _, err := tx.Orgs().Get(ctx, tenantID, o.ParentID); err != nil {
				if errors.Is(err, storage.ErrNotFound) {
					return errOrgNoParent
				}
				return err
			}
		}
		var err error
		if o.Extension, err = objmodel.Check(ctx, tx, tenantID, storage.EntityOrganization, "", o.ID, o.Extension, nil); err != nil {
			return err
		}
		return orgConflict(tx.Orgs().Create(ctx, o))
	})
	if err != nil {
		return "", err
	}
	return o.ID, nil
}

// applyOrgExtras copies category, sequence and extension when sent.
func applyOrgExtras(o *storage.Organization, w *OrgWrite) error {
	if w.Category.Set {
		c := strings.TrimSpace(w.Category.V)
		if c == "" {
			return errOrgCategory
		}
		if checkText("ORG.0010", "category", c, 32) != nil {
			return errOrgCatInvalid
		}
		o.Category = c
	}
	if w.Sequence.Set && !w.Sequence.Null {
		// OneAccess's sequence is a Java Integer, and so is the column.
		if w.Sequence.V < math.MinInt32 || w.Sequence.V > math.MaxInt32 {
			return errOrgSequence
		}
		o.Sequence = w.Sequence.V
	}
	if w.Extension.Set {
		base := o.Extension
		if w.Extension.Null {
			base = nil
		}
		ext, f := mergeExtensionCode("ORG.0014", base, w.Extension.V)
		if f != nil {
			return f
		}
		o.Extension = ext
	}
	return nil
}

// Update changes what w sends: an empty code or name keeps the present
// one (OneAccess), parent_id "" moves the organisation to the root level.
func (s *Orgs) Update(ctx context.Context, tenantID string, a audit.Actor, id string, w *OrgWrite) error {
	if w.Code.V != "" {
		if f := checkOrgCode(w.Code.V); f != nil {
			return f
		}
	}
	if w.Name.V != "" {
		if f := checkOrgName(w.Name.V); f != nil {
			return f
		}
	}
	if w.Category.Set && strings.TrimSpace(w.Category.V) == "" {
		w.Category = opt.String{} // empty = unchanged, like code and name
	}
	return s.Audit.Do(ctx, tenantID, a, "organization.update", orgTarget(id), func(tx storage.Repos, _ *audit.Target) error {
		// An unknown organisation is ORG.0001 whatever parent_id names.
		if _, err := tx.Orgs().Get(ctx, tenantID, id); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return ErrOrgNotFound
			}
			return err
		}
		if w.ParentID.Set && w.ParentID.V != "" {
			if _, err := tx.Orgs().Get(ctx, tenantID, w.ParentID.V); err != nil {
				if errors.Is(err, storage.ErrNotFound) {
					return errOrgNoParent
				}
				return err
			}
			sub, err := tx.Orgs().Subtree(ctx, tenantID, id)
			if err != nil {
				return err
			}
			for _, d := range sub {
				if d == w.ParentID.V {
					return errOrgCycle
				}
			}
		}
		_, err := tx.Orgs().Update(ctx, tenantID, id, func(o *storage.Organization) error {
			if w.Code.V != "" {
				o.Code = w.Code.V
			}
			if w.Name.V != "" {
				o.Name = w.Name.V
			}
			if w.ParentID.Set {
				o.ParentID = w.ParentID.V
			}
			if err := applyOrgExtras(o, w); err != nil {
				return err
			}
			var err error
			if o.Extension, err = objmodel.Check(ctx, tx, tenantID, storage.EntityOrganization, "", o.ID, o.Extension, sentKeys(w.Extension)); err != nil {
				return err
			}
			o.UpdatedAt = s.Now()
			return nil
		})
		if errors.Is(err, storage.ErrNotFound) {
			return ErrOrgNotFound
		}
		return orgConflict(err)
	})
}

// Delete removes an organisation. Without cascade it is refused while the
// organisation has children or members; with cascade its whole subtree
// goes, and every membership in it.
func (s *Orgs) Delete(ctx context.Context, tenantID string, a audit.Actor, id string, cascade bool) error {
	return s.Audit.Do(ctx, tenantID, a, "organization.delete", orgTarget(id), func(tx storage.Repos, t *audit.Target) error {
		if _, err := tx.Orgs().Get(ctx, tenantID, id); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return ErrOrgNotFound
			}
			return err
		}
		ids := []string{id}
		if cascade {
			var err error
			if ids, err = tx.Orgs().Subtree(ctx, tenantID, id); err != nil {
				return err
			}
			if err := s.touchMembers(ctx, tx, tenantID, ids); err != nil {
				return err
			}
		} else {
			if has, err := tx.Orgs().HasChildren(ctx, tenantID, id); err != nil || has {
				if err != nil {
					return err
				}
				return errOrgChildren
			}
			if has, err := tx.Orgs().HasMembers(ctx, tenantID, ids); err != nil || has {
				if err != nil {
					return err
				}
				return errOrgMembers
			}
		}
		return tx.Orgs().Delete(ctx, tenantID, ids)
	})
}

// touchMembers moves updated_at of every member of the organisations, whose
// memberships a cascade delete removes, so that incremental sync
// (ListUsers updated_at_greater) sees the change.
func (s *Orgs) touchMembers(ctx context.Context, tx storage.Repos, tenantID string, ids []string) error {
	const page = 100
	seen := map[string]bool{}
	var users []string
	for _, id := range ids {
		for off := 0; ; off += page {
			list, total, err := tx.Users().List(ctx, tenantID, storage.UserFilter{OrgID: id, Offset: off, Limit: page})
			if err != nil {
				return err
			}
			for _, u := range list {
				if !seen[u.ID] {
					seen[u.ID] = true
					users = append(users, u.ID)
				}
			}
			if off+page >= total {
				break
			}
		}
	}
	now := s.Now()
	for _, uid := range users {
		if _, err := tx.Users().Update(ctx, tenantID, uid, func(u *storage.User) error {
			u.UpdatedAt = now
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// Get returns an organisation.
func (s *Orgs) Get(ctx context.Context, tenantID, id string) (*storage.Organization, error) {
	o, err := s.Store.Orgs().Get(ctx, tenantID, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrOrgNotFound
	}
	return o, err
}

// List follows ONEACCESS-API.md 3.1.5: no org_id lists the roots (with
// allChild, the whole tree); org_id lists it and its children (with
// allChild, its whole subtree). Breadth-first, then sequence, then code.
func (s *Orgs) List(ctx context.Context, tenantID, orgID string, allChild bool, offset, limit int) ([]storage.Organization, int, error) {
	depth := 0
	switch {
	case orgID == "" && !allChild:
		depth = 1
	case orgID != "" && !allChild:
		depth = 2
	}
	if orgID != "" {
		if _, err := s.Get(ctx, tenantID, orgID); err != nil {
			return nil, 0, err
		}
	}
	return s.treePage(ctx, tenantID, orgID, depth, offset, limit)
}
