package sqlstore

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/gatehouse/gatehouse/internal/storage"
)

type attributeRepo struct{ repos }

const attrCols = "id, entity, application_id, name, display_name, type, required, uniq, rules, shown, editable, created_at, updated_at"

func scanAttr(s scanner, tenantID string) (*storage.AttributeDef, error) {
	var d storage.AttributeDef
	var rules string
	var created, updated int64
	if err := s.Scan(&d.ID, &d.Entity, &d.ApplicationID, &d.Name, &d.DisplayName, &d.Type, &d.Required, &d.Unique, &rules,
		&d.Shown, &d.Editable, &created, &updated); err != nil {
		return nil, notFound(err)
	}
	d.TenantID, d.Rules = tenantID, json.RawMessage(rules)
	d.CreatedAt, d.UpdatedAt = fromMS(created), fromMS(updated)
	return &d, nil
}

func (x attributeRepo) Create(ctx context.Context, d *storage.AttributeDef) error {
	_, err := x.w.ExecContext(ctx, x.d.q("INSERT INTO attribute_defs (tenant_id, "+attrCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		d.TenantID, d.ID, d.Entity, d.ApplicationID, d.Name, d.DisplayName, d.Type, d.Required, d.Unique, jsonText(d.Rules),
		d.Shown, d.Editable, ms(d.CreatedAt), ms(d.UpdatedAt))
	return mapErr(err)
}

func (x attributeRepo) get(ctx context.Context, q querier, tenantID, id, suffix string) (*storage.AttributeDef, error) {
	return scanAttr(q.QueryRowContext(ctx, x.d.q("SELECT "+attrCols+" FROM attribute_defs WHERE tenant_id = ? AND id = ?"+suffix), tenantID, id), tenantID)
}

func (x attributeRepo) Get(ctx context.Context, tenantID, id string) (*storage.AttributeDef, error) {
	return x.get(ctx, x.r, tenantID, id, "")
}

func (x attributeRepo) List(ctx context.Context, tenantID, entity, appID string) ([]storage.AttributeDef, error) {
	rows, err := x.r.QueryContext(ctx, x.d.q("SELECT "+attrCols+" FROM attribute_defs WHERE tenant_id = ? AND entity = ? AND application_id = ? ORDER BY name"),
		tenantID, entity, appID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []storage.AttributeDef{}
	for rows.Next() {
		d, err := scanAttr(rows, tenantID)
		if err != nil {
			return nil, err
		}
		out = append(out, *d)
	}
	return out, rows.Err()
}

func (x attributeRepo) Update(ctx context.Context, tenantID, id string, fn func(d *storage.AttributeDef) error) (*storage.AttributeDef, error) {
	var out *storage.AttributeDef
	err := x.inTx(ctx, func(x repos) error {
		d, err := attributeRepo{x}.get(ctx, x.w, tenantID, id, x.d.forUpd)
		if err != nil {
			return err
		}
		if err := fn(d); err != nil {
			return err
		}
		if _, err := x.w.ExecContext(ctx, x.d.q(`UPDATE attribute_defs SET display_name = ?, required = ?, uniq = ?, rules = ?, shown = ?,
			editable = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`), d.DisplayName, d.Required, d.Unique, jsonText(d.Rules),
			d.Shown, d.Editable, ms(d.UpdatedAt), tenantID, id); err != nil {
			return mapErr(err)
		}
		out = d
		return nil
	})
	return out, err
}

func (x attributeRepo) Delete(ctx context.Context, tenantID, id string) error {
	return affectedOne(x.w.ExecContext(ctx, x.d.q("DELETE FROM attribute_defs WHERE tenant_id = ? AND id = ?"), tenantID, id))
}

func (x attributeRepo) SetUniqueValues(ctx context.Context, tenantID, entityID string, defIDs []string, values map[string]string) error {
	if len(defIDs) == 0 {
		return nil
	}
	return x.inTx(ctx, func(x repos) error {
		in, args := inList(tenantID, defIDs)
		args = append(args[:1], append([]any{entityID}, args[1:]...)...)
		if _, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM attribute_unique_values WHERE tenant_id = ? AND entity_id = ? AND def_id IN "+in), args...); err != nil {
			return err
		}
		for _, def := range defIDs {
			v, ok := values[def]
			if !ok {
				continue
			}
			_, err := x.w.ExecContext(ctx, x.d.q("INSERT INTO attribute_unique_values (tenant_id, def_id, value_key, entity_id) VALUES (?, ?, ?, ?)"),
				tenantID, def, v, entityID)
			if err != nil {
				if err = mapErr(err); errors.Is(err, storage.ErrConflict) {
					return &storage.ConflictError{Entity: "attribute", Field: def}
				}
				return err
			}
		}
		return nil
	})
}

func (x attributeRepo) ClearUniqueValues(ctx context.Context, tenantID, entityID string) error {
	_, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM attribute_unique_values WHERE tenant_id = ? AND entity_id = ?"), tenantID, entityID)
	return err
}
