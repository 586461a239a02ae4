package sqlstore

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/storage"
)

type auditRepo struct{ repos }

const auditCols = "id, time, actor_type, actor_id, action, target_type, target_id, source_ip, user_agent, result, detail"

func (x auditRepo) Append(ctx context.Context, e *storage.AuditEvent) error {
	_, err := x.w.ExecContext(ctx, x.d.q("INSERT INTO audit_events (tenant_id, "+auditCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		e.TenantID, e.ID, ms(e.Time), e.ActorType, e.ActorID, e.Action, e.TargetType, e.TargetID,
		e.SourceIP, e.UserAgent, e.Result, e.Detail)
	return mapErr(err)
}

func (x auditRepo) List(ctx context.Context, tenantID string, f storage.AuditFilter) ([]storage.AuditEvent, error) {
	query := "SELECT " + auditCols + " FROM audit_events WHERE tenant_id = ?"
	args := []any{tenantID}
	if f.Action != "" {
		query += " AND action = ?"
		args = append(args, f.Action)
	}
	if f.TargetID != "" {
		query += " AND target_id = ?"
		args = append(args, f.TargetID)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	query += " ORDER BY seq DESC LIMIT ?"
	args = append(args, limit)
	rows, err := x.r.QueryContext(ctx, x.d.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storage.AuditEvent
	for rows.Next() {
		var e storage.AuditEvent
		var t int64
		if err := rows.Scan(&e.ID, &t, &e.ActorType, &e.ActorID, &e.Action, &e.TargetType, &e.TargetID,
			&e.SourceIP, &e.UserAgent, &e.Result, &e.Detail); err != nil {
			return nil, err
		}
		e.TenantID = tenantID
		e.Time = fromMS(t)
		out = append(out, e)
	}
	return out, rows.Err()
}
