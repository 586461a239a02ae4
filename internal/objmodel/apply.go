package objmodel

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// Codes of value failures, per entity: the family the entity's API
// answers in.
var valueCodes = map[string][2]string{ // invalid, taken
	storage.EntityUser:         {"USER.0019", "USER.0040"},
	storage.EntityOrganization: {"ORG.0014", "ORG.0016"},
	storage.EntityAppAccount:   {"APP_ACCOUNT.0007", "APP_ACCOUNT.0012"},
}

// Check validates an entity's extension against the tenant's definitions
// inside the write's transaction, and records its unique values. ext is
// the extension as it will be stored; sent lists the keys the write
// named (nil on create: every rule applies, and defaults fill the gaps).
// It returns the extension to store.
func Check(ctx context.Context, tx storage.Repos, tenantID, entity, appID, entityID string, ext json.RawMessage, sent []string) (json.RawMessage, error) {
	defs, err := tx.Attributes().List(ctx, tenantID, entity, appID)
	if err != nil || len(defs) == 0 {
		return ext, err // no definitions: any extension (of scalars) is taken
	}
	codes := valueCodes[entity]
	bad := func(format string, args ...any) error {
		return failure.Invalidf(codes[0], "extension", format, args...)
	}
	values := map[string]json.RawMessage{}
	if len(ext) > 0 {
		json.Unmarshal(ext, &values)
	}
	byName := map[string]*storage.AttributeDef{}
	for i := range defs {
		byName[defs[i].Name] = &defs[i]
	}
	creating := sent == nil
	for k := range values {
		if byName[k] == nil {
			if !creating && !contains(sent, k) {
				continue // stored before the definition went: left alone until written
			}
			return nil, bad("The extension attribute %q is not defined.", truncate(k, 64))
		}
	}
	uniqueIDs := []string{}
	uniqueKeys := map[string]string{}
	changed := false
	for i := range defs {
		d := &defs[i]
		var r Rules
		json.Unmarshal(d.Rules, &r)
		raw, ok := values[d.Name]
		if ok && strings.TrimSpace(string(raw)) == "null" {
			delete(values, d.Name)
			ok, changed = false, true
		}
		if !ok && creating && len(r.Default) > 0 && string(r.Default) != "null" {
			raw, ok = r.Default, true
			values[d.Name], changed = raw, true
		}
		if !ok {
			if d.Required && (creating || contains(sent, d.Name)) {
				return nil, bad("The extension attribute %q is required.", d.Name)
			}
			if d.Unique {
				uniqueIDs = append(uniqueIDs, d.ID)
			}
			continue
		}
		if !creating && !contains(sent, d.Name) {
			continue // unchanged: checked when it was written
		}
		key, msg := checkValue(d, &r, raw)
		if msg != "" {
			return nil, bad("The extension attribute %q %s", d.Name, msg)
		}
		if d.Unique {
			uniqueIDs = append(uniqueIDs, d.ID)
			uniqueKeys[d.ID] = key
		}
	}
	if len(uniqueIDs) > 0 {
		err := tx.Attributes().SetUniqueValues(ctx, tenantID, entityID, uniqueIDs, uniqueKeys)
		var ce *storage.ConflictError
		if errors.As(err, &ce) {
			name := ce.Field
			for _, d := range defs {
				if d.ID == ce.Field {
					name = d.Name
				}
			}
			return nil, failure.New(failure.Conflict, codes[1], "extension", "The value of the extension attribute \""+name+"\" is already used.")
		}
		if err != nil {
			return nil, err
		}
	}
	if changed {
		ext, _ = json.Marshal(values)
	}
	return ext, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
