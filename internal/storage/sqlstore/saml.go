package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/internal/storage"
)

func (x appRepo) SetSAMLEntityID(ctx context.Context, tenantID, appID, entityID string) error {
	return x.inTx(ctx, func(x repos) error {
		if _, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM saml_entity_ids WHERE tenant_id = ? AND application_id = ?"), tenantID, appID); err != nil {
			return err
		}
		if entityID == "" {
			return nil
		}
		_, err := x.w.ExecContext(ctx, x.d.q("INSERT INTO saml_entity_ids (tenant_id, entity_id, application_id) VALUES (?, ?, ?)"),
			tenantID, entityID, appID)
		if err = mapErr(err); errors.Is(err, storage.ErrConflict) {
			return &storage.ConflictError{Entity: "application", Field: "saml.entity_id"}
		}
		return err
	})
}

func (x appRepo) GetBySAMLEntityID(ctx context.Context, tenantID, entityID string) (*storage.Application, error) {
	return x.getWhere(ctx, x.r, "id = (SELECT application_id FROM saml_entity_ids WHERE tenant_id = applications.tenant_id AND entity_id = ?)",
		tenantID, entityID, "")
}

type samlSessionRepo struct{ repos }

const samlSessionCols = "sid, application_id, user_id, name_id, name_id_format, session_index, created_at, expires_at"

func scanSAMLSession(s scanner, tenantID string) (*storage.SAMLSession, error) {
	var v storage.SAMLSession
	var created, exp int64
	if err := s.Scan(&v.SID, &v.ApplicationID, &v.UserID, &v.NameID, &v.NameIDFormat, &v.SessionIndex, &created, &exp); err != nil {
		return nil, notFound(err)
	}
	v.TenantID, v.CreatedAt, v.ExpiresAt = tenantID, fromMS(created), fromMS(exp)
	return &v, nil
}

func (x samlSessionRepo) Put(ctx context.Context, s *storage.SAMLSession) (*storage.SAMLSession, error) {
	_, err := x.w.ExecContext(ctx, x.d.q(`INSERT INTO saml_sessions (tenant_id, `+samlSessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, sid, application_id) DO NOTHING`),
		s.TenantID, s.SID, s.ApplicationID, s.UserID, s.NameID, s.NameIDFormat, s.SessionIndex, ms(s.CreatedAt), ms(s.ExpiresAt))
	if err != nil {
		return nil, mapErr(err)
	}
	return scanSAMLSession(x.w.QueryRowContext(ctx, x.d.q("SELECT "+samlSessionCols+" FROM saml_sessions WHERE tenant_id = ? AND sid = ? AND application_id = ?"),
		s.TenantID, s.SID, s.ApplicationID), s.TenantID)
}

func (x samlSessionRepo) list(ctx context.Context, tenantID, cond string, args ...any) ([]storage.SAMLSession, error) {
	rows, err := x.r.QueryContext(ctx, x.d.q("SELECT "+samlSessionCols+" FROM saml_sessions WHERE tenant_id = ? AND "+cond+" ORDER BY created_at, application_id"),
		append([]any{tenantID}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []storage.SAMLSession{}
	for rows.Next() {
		v, err := scanSAMLSession(rows, tenantID)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, rows.Err()
}

func (x samlSessionRepo) ListForSession(ctx context.Context, tenantID, sid string) ([]storage.SAMLSession, error) {
	return x.list(ctx, tenantID, "sid = ?", sid)
}

func (x samlSessionRepo) GetBySessionIndex(ctx context.Context, tenantID, appID, sessionIndex string) (*storage.SAMLSession, error) {
	return scanSAMLSession(x.r.QueryRowContext(ctx, x.d.q("SELECT "+samlSessionCols+" FROM saml_sessions WHERE tenant_id = ? AND application_id = ? AND session_index = ?"),
		tenantID, appID, sessionIndex), tenantID)
}

func (x samlSessionRepo) ListByNameID(ctx context.Context, tenantID, appID, nameID string) ([]storage.SAMLSession, error) {
	return x.list(ctx, tenantID, "application_id = ? AND name_id = ?", appID, nameID)
}

func (x samlSessionRepo) DeleteForSession(ctx context.Context, tenantID, sid string) error {
	_, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM saml_sessions WHERE tenant_id = ? AND sid = ?"), tenantID, sid)
	return err
}

func (x samlSessionRepo) DeleteExpired(ctx context.Context, t time.Time) (int64, error) {
	res, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM saml_sessions WHERE expires_at < ?"), ms(t))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
