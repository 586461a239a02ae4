// Package objmodel owns object models: the custom attributes a tenant
// defines for users, organisations and (per application) application
// accounts, and the checks every write of their values goes through
// (API, import or sync alike). Values live in each entity's extension
// object; unique ones are also indexed in the database.
//
// An entity type with no definitions takes any extension (scalars), as
// before definitions existed; once it has one, only defined attributes
// are accepted.
package objmodel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// Attribute types.
var Types = []string{"string", "number", "boolean", "date", "enum", "email", "phone"}

var entities = []string{storage.EntityUser, storage.EntityOrganization, storage.EntityAppAccount}

// Rules constrain values: min/max are a number's range or a string's
// length; pattern is a regular expression a string must match; values
// list an enum's choices; default is set on create when the value is
// absent.
type Rules struct {
	Min     *float64        `json:"min,omitempty"`
	Max     *float64        `json:"max,omitempty"`
	Pattern string          `json:"pattern,omitempty"`
	Values  []string        `json:"values,omitempty"`
	Default json.RawMessage `json:"default,omitempty"`
}

// Service manages definitions and checks values.
type Service struct {
	Store storage.Store
	Audit *audit.Recorder
	Now   func() time.Time
}

// DefWrite is the body of create and modify; entity, application_id,
// name and type are fixed once created.
type DefWrite struct {
	Entity        opt.String       `json:"entity"`
	ApplicationID opt.String       `json:"application_id"`
	Name          opt.String       `json:"name"`
	DisplayName   opt.String       `json:"display_name"`
	Type          opt.String       `json:"type"`
	Required      opt.Bool         `json:"required"`
	Unique        opt.Bool         `json:"unique"`
	Shown         opt.Bool         `json:"shown"`
	Editable      opt.Bool         `json:"editable"`
	Rules         opt.Value[Rules] `json:"rules"`
}

// Failures of the definitions API.
var (
	ErrDefNotFound = failure.New(failure.NotFound, "ATTR.0001", "attribute_id", "Attribute definition does not exist.")
	errName        = failure.New(failure.Invalid, "ATTR.0002", "name", "The name must be 1-64 characters: letters, digits and _, starting with a letter.")
	errNameTaken   = failure.New(failure.Conflict, "ATTR.0003", "name", "An attribute with this name is already defined for this entity.")
	errType        = failure.New(failure.Invalid, "ATTR.0004", "type", "The type must be one of string, number, boolean, date, enum, email, phone.")
	errEntity      = failure.New(failure.Invalid, "ATTR.0005", "entity", "The entity must be user, organization or app_account.")
	errApp         = failure.New(failure.Invalid, "ATTR.0007", "application_id", "An app_account attribute needs the application_id of an application of this tenant; other entities take none.")
	errFixed       = failure.New(failure.Invalid, "ATTR.0008", "entity", "The entity, application_id, name and type cannot change once defined.")
	errDisplay     = failure.New(failure.Invalid, "ATTR.0009", "display_name", "The display_name must be at most 100 characters.")
)

func rulesInvalid(format string, args ...any) error {
	return failure.Invalidf("ATTR.0006", "rules", format, args...)
}

var nameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)

func defTarget(id string) audit.Target { return audit.Target{Type: "attribute", ID: id} }

// Create defines an attribute.
func (s *Service) Create(ctx context.Context, tenantID string, a audit.Actor, w *DefWrite) (*storage.AttributeDef, error) {
	now := s.Now()
	d := &storage.AttributeDef{TenantID: tenantID, ID: idgen.New(now), Entity: w.Entity.V, ApplicationID: w.ApplicationID.V,
		Name: w.Name.V, Type: w.Type.V, Shown: true, CreatedAt: now, UpdatedAt: now}
	switch {
	case !slices.Contains(entities, d.Entity):
		return nil, errEntity
	case !nameRE.MatchString(d.Name):
		return nil, errName
	case !slices.Contains(Types, d.Type):
		return nil, errType
	case (d.Entity == storage.EntityAppAccount) != (d.ApplicationID != ""):
		return nil, errApp
	}
	if err := apply(d, w); err != nil {
		return nil, err
	}
	err := s.Audit.Do(ctx, tenantID, a, "attribute.create", defTarget(d.ID), func(tx storage.Repos, _ *audit.Target) error {
		if d.ApplicationID != "" {
			if _, err := tx.Apps().Get(ctx, tenantID, d.ApplicationID); err != nil {
				if errors.Is(err, storage.ErrNotFound) {
					return errApp
				}
				return err
			}
		}
		err := tx.Attributes().Create(ctx, d)
		if errors.Is(err, storage.ErrConflict) {
			return errNameTaken
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// apply copies the mutable fields w sends and checks the rules.
func apply(d *storage.AttributeDef, w *DefWrite) error {
	if w.DisplayName.Set {
		if utf8.RuneCountInString(w.DisplayName.V) > 100 {
			return errDisplay
		}
		d.DisplayName = w.DisplayName.V
	}
	for _, b := range []struct {
		dst *bool
		v   opt.Bool
	}{{&d.Required, w.Required}, {&d.Unique, w.Unique}, {&d.Shown, w.Shown}, {&d.Editable, w.Editable}} {
		if b.v.Set {
			*b.dst = b.v.V
		}
	}
	var r Rules
	if len(d.Rules) > 0 {
		json.Unmarshal(d.Rules, &r)
	}
	if w.Rules.Set {
		r = w.Rules.V
		if w.Rules.Null {
			r = Rules{}
		}
	}
	if err := checkRules(d, &r); err != nil {
		return err
	}
	d.Rules, _ = json.Marshal(r)
	return nil
}

func checkRules(d *storage.AttributeDef, r *Rules) error {
	if r.Min != nil && r.Max != nil && *r.Min > *r.Max {
		return rulesInvalid("The min must not exceed the max.")
	}
	if r.Pattern != "" {
		if d.Type != "string" {
			return rulesInvalid("A pattern applies to string attributes only.")
		}
		if len(r.Pattern) > 512 {
			return rulesInvalid("The pattern must be at most 512 characters.")
		}
		if _, err := regexp.Compile(r.Pattern); err != nil {
			return rulesInvalid("The pattern is not a valid regular expression (RE2 syntax).")
		}
	}
	if d.Type == "enum" {
		if len(r.Values) == 0 || len(r.Values) > 200 {
			return rulesInvalid("An enum needs 1 to 200 values.")
		}
	} else if len(r.Values) > 0 {
		return rulesInvalid("Values apply to enum attributes only.")
	}
	if len(r.Default) > 0 && string(r.Default) != "null" {
		if _, msg := checkValue(d, r, r.Default); msg != "" {
			return rulesInvalid("The default %s", msg)
		}
		if d.Unique {
			return rulesInvalid("A unique attribute cannot have a default.")
		}
	}
	return nil
}

// Update changes the mutable fields of a definition. Values already
// stored are checked against the new rules on their next write.
func (s *Service) Update(ctx context.Context, tenantID string, a audit.Actor, id string, w *DefWrite) (*storage.AttributeDef, error) {
	var out *storage.AttributeDef
	err := s.Audit.Do(ctx, tenantID, a, "attribute.update", defTarget(id), func(tx storage.Repos, _ *audit.Target) error {
		var err error
		out, err = tx.Attributes().Update(ctx, tenantID, id, func(d *storage.AttributeDef) error {
			if (w.Entity.Set && w.Entity.V != d.Entity) || (w.ApplicationID.Set && w.ApplicationID.V != d.ApplicationID) ||
				(w.Name.Set && w.Name.V != d.Name) || (w.Type.Set && w.Type.V != d.Type) {
				return errFixed
			}
			if w.Unique.Set && w.Unique.V && !d.Unique {
				return failure.Invalidf("ATTR.0010", "unique", "An attribute cannot be made unique after it is defined: existing values may repeat. Define a new one.")
			}
			if err := apply(d, w); err != nil {
				return err
			}
			d.UpdatedAt = s.Now()
			return nil
		})
		if errors.Is(err, storage.ErrNotFound) {
			return ErrDefNotFound
		}
		return err
	})
	return out, err
}

// Delete removes a definition; stored values stay in extensions until
// their entity is next written.
func (s *Service) Delete(ctx context.Context, tenantID string, a audit.Actor, id string) error {
	return s.Audit.Do(ctx, tenantID, a, "attribute.delete", defTarget(id), func(tx storage.Repos, _ *audit.Target) error {
		err := tx.Attributes().Delete(ctx, tenantID, id)
		if errors.Is(err, storage.ErrNotFound) {
			return ErrDefNotFound
		}
		return err
	})
}

// Get returns a definition.
func (s *Service) Get(ctx context.Context, tenantID, id string) (*storage.AttributeDef, error) {
	d, err := s.Store.Attributes().Get(ctx, tenantID, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrDefNotFound
	}
	return d, err
}

// List returns the definitions of an entity type (and application).
func (s *Service) List(ctx context.Context, tenantID, entity, appID string) ([]storage.AttributeDef, error) {
	if !slices.Contains(entities, entity) {
		return nil, errEntity
	}
	return s.Store.Attributes().List(ctx, tenantID, entity, appID)
}

var phoneRE = regexp.MustCompile(`^\+?[0-9][0-9 ()-]{3,24}$`)

// checkValue checks one value and returns its normalised form for
// uniqueness, or a message saying what is wrong.
func checkValue(d *storage.AttributeDef, r *Rules, raw json.RawMessage) (key, msg string) {
	t := strings.TrimSpace(string(raw))
	var s string
	isStr := strings.HasPrefix(t, `"`) && json.Unmarshal(raw, &s) == nil
	switch d.Type {
	case "number":
		var f float64
		if isStr {
			var err error
			if f, err = strconv.ParseFloat(s, 64); err != nil {
				return "", "must be a number."
			}
		} else if json.Unmarshal(raw, &f) != nil {
			return "", "must be a number."
		}
		if r.Min != nil && f < *r.Min || r.Max != nil && f > *r.Max {
			return "", fmt.Sprintf("must be between %s and %s.", bound(r.Min), bound(r.Max))
		}
		return strconv.FormatFloat(f, 'g', -1, 64), ""
	case "boolean":
		switch {
		case t == "true" || t == "false":
			return t, ""
		case isStr && (s == "true" || s == "false"):
			return s, ""
		}
		return "", "must be true or false."
	}
	if !isStr {
		if t == "true" || t == "false" || (len(t) > 0 && (t[0] == '-' || t[0] >= '0' && t[0] <= '9')) {
			s = t // OneAccess's clients send scalars as they are
		} else {
			return "", "must be a string."
		}
	}
	n := utf8.RuneCountInString(s)
	switch d.Type {
	case "string":
		if r.Min != nil && float64(n) < *r.Min || r.Max != nil && float64(n) > *r.Max {
			return "", fmt.Sprintf("must be %s to %s characters long.", bound(r.Min), bound(r.Max))
		}
		if n > 1024 {
			return "", "must be at most 1024 characters."
		}
		if r.Pattern != "" && !regexp.MustCompile(r.Pattern).MatchString(s) {
			return "", "does not match the pattern " + r.Pattern + "."
		}
		return s, ""
	case "date":
		if _, err := time.Parse("2006-01-02", s); err != nil {
			return "", "must be a date, yyyy-MM-dd."
		}
		return s, ""
	case "enum":
		if !slices.Contains(r.Values, s) {
			return "", "must be one of " + strings.Join(r.Values, ", ") + "."
		}
		return s, ""
	case "email":
		if a, err := mail.ParseAddress(s); err != nil || a.Address != s || len(s) > 254 {
			return "", "must be an e-mail address."
		}
		return strings.ToLower(s), ""
	case "phone":
		if !phoneRE.MatchString(s) {
			return "", "must be a phone number."
		}
		return strings.Map(func(r rune) rune {
			if r == '+' || r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s), ""
	}
	return "", "has an unknown type."
}

func bound(f *float64) string {
	if f == nil {
		return "any"
	}
	return strconv.FormatFloat(*f, 'g', -1, 64)
}
