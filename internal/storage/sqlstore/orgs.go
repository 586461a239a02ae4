package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/gatehouse/gatehouse/internal/storage"
)

type orgRepo struct{ repos }

const orgCols = "id, code, name, parent_id, category, sequence, extension, created_at, updated_at"

func (x orgRepo) Create(ctx context.Context, o *storage.Organization) error {
	_, err := x.w.ExecContext(ctx, x.d.q("INSERT INTO organizations (tenant_id, "+orgCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		o.TenantID, o.ID, o.Code, o.Name, nullable(o.ParentID), o.Category, o.Sequence, jsonText(o.Extension),
		ms(o.CreatedAt), ms(o.UpdatedAt))
	return mapErr(err)
}

func (x orgRepo) Get(ctx context.Context, tenantID, id string) (*storage.Organization, error) {
	return x.getWhere(ctx, "id = ?", tenantID, id)
}

func (x orgRepo) GetByCode(ctx context.Context, tenantID, code string) (*storage.Organization, error) {
	return x.getWhere(ctx, "code = ?", tenantID, code)
}

func (x orgRepo) FirstRoot(ctx context.Context, tenantID string) (*storage.Organization, error) {
	return x.getWhere(ctx, "parent_id IS NULL ORDER BY created_at, id LIMIT 1", tenantID)
}

func (x orgRepo) getWhere(ctx context.Context, cond, tenantID string, args ...any) (*storage.Organization, error) {
	row := x.r.QueryRowContext(ctx, x.d.q("SELECT "+orgCols+" FROM organizations WHERE tenant_id = ? AND "+cond),
		append([]any{tenantID}, args...)...)
	o, err := scanOrg(row)
	if err != nil {
		return nil, notFound(err)
	}
	o.TenantID = tenantID
	return o, nil
}

func scanOrg(s scanner) (*storage.Organization, error) {
	var o storage.Organization
	var parent sql.NullString
	var ext string
	var created, updated int64
	if err := s.Scan(&o.ID, &o.Code, &o.Name, &parent, &o.Category, &o.Sequence, &ext, &created, &updated); err != nil {
		return nil, err
	}
	o.ParentID = parent.String
	o.Extension = json.RawMessage(ext)
	o.CreatedAt, o.UpdatedAt = fromMS(created), fromMS(updated)
	return &o, nil
}
