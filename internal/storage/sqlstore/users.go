package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/gatehouse/gatehouse/internal/storage"
)

type userRepo struct{ repos }

const userCols = `id, user_name, user_name_key, name, mobile, mobile_key, email, email_key,
	employee_id, external_id, first_name, middle_name, last_name, profile, extension,
	password_hash, pwd_must_modify, pwd_changed_at, disabled, locked, grade, home_org_id,
	created_at, updated_at`

// userColsOrZero is userCols of the users row u of a LEFT JOIN: with no
// user, the NOT NULL columns read as their zero values (and id as "").
const userColsOrZero = `coalesce(u.id, ''), coalesce(u.user_name, ''), coalesce(u.user_name_key, ''), coalesce(u.name, ''),
	u.mobile, u.mobile_key, u.email, u.email_key, u.employee_id, u.external_id,
	coalesce(u.first_name, ''), coalesce(u.middle_name, ''), coalesce(u.last_name, ''),
	coalesce(u.profile, '{}'), coalesce(u.extension, '{}'), coalesce(u.password_hash, ''),
	coalesce(u.pwd_must_modify, false), coalesce(u.pwd_changed_at, 0), coalesce(u.disabled, false), coalesce(u.locked, false),
	coalesce(u.grade, 0), u.home_org_id, coalesce(u.created_at, 0), coalesce(u.updated_at, 0)`

func userArgs(u *storage.User) []any {
	return []any{u.UserName, u.UserNameKey, u.Name, nullable(u.Mobile), nullable(u.MobileKey),
		nullable(u.Email), nullable(u.EmailKey), nullable(u.EmployeeID), nullable(u.ExternalID),
		u.FirstName, u.MiddleName, u.LastName, jsonText(u.Profile), jsonText(u.Extension),
		u.PasswordHash, u.PwdMustModify, ms(u.PwdChangedAt), u.Disabled, u.Locked, u.Grade,
		nullable(u.HomeOrgID), ms(u.CreatedAt), ms(u.UpdatedAt)}
}

func jsonText(m json.RawMessage) string {
	if len(m) == 0 {
		return "{}"
	}
	return string(m)
}

func (x userRepo) Create(ctx context.Context, u *storage.User) error {
	return x.inTx(ctx, func(x repos) error {
		args := append([]any{u.TenantID, u.ID}, userArgs(u)...)
		_, err := x.w.ExecContext(ctx, x.d.q(`INSERT INTO users (tenant_id, `+userCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), args...)
		if err != nil {
			return mapErr(err)
		}
		if err := (userRepo{x}).insertOrgs(ctx, u.TenantID, u.ID, u.Orgs); err != nil {
			return err
		}
		return userRepo{x}.count(ctx, u.TenantID, 1)
	})
}

// count adds delta to the tenant's user count, on a random shard. It runs
// last in its transaction, so the shard's row lock is held only to commit.
func (x userRepo) count(ctx context.Context, tenantID string, delta int) error {
	_, err := x.w.ExecContext(ctx, x.d.q(`INSERT INTO user_counts (tenant_id, shard, n) VALUES (?, ?, ?)
		ON CONFLICT (tenant_id, shard) DO UPDATE SET n = user_counts.n + excluded.n`), tenantID, rand.IntN(16), delta)
	return err
}

func (x userRepo) insertOrgs(ctx context.Context, tenantID, userID string, orgs []storage.UserOrg) error {
	for _, o := range orgs {
		_, err := x.w.ExecContext(ctx, x.d.q("INSERT INTO user_orgs (tenant_id, user_id, org_id, relation_type) VALUES (?, ?, ?, ?)"),
			tenantID, userID, o.OrgID, o.RelationType)
		if err != nil {
			return mapErr(err)
		}
	}
	return nil
}

func (x userRepo) Get(ctx context.Context, tenantID, id string) (*storage.User, error) {
	return x.getWhere(ctx, x.r, "id = ?", tenantID, id)
}

func (x userRepo) GetWithoutOrgs(ctx context.Context, tenantID, id string) (*storage.User, error) {
	return x.getRow(ctx, x.r, "id = ?", tenantID, id)
}

func (x userRepo) GetByUserNameKey(ctx context.Context, tenantID, key string) (*storage.User, error) {
	return x.getWhere(ctx, x.r, "user_name_key = ?", tenantID, key)
}

func (x userRepo) GetByLogin(ctx context.Context, tenantID string, kind storage.LoginKind, key string) (*storage.User, error) {
	col := map[storage.LoginKind]string{storage.LoginUserName: "user_name_key", storage.LoginEmail: "email_key", storage.LoginMobile: "mobile_key"}[kind]
	if col == "" || key == "" {
		return nil, storage.ErrNotFound
	}
	return x.getWhere(ctx, x.r, col+" = ?", tenantID, key)
}

// getWhere reads one user and its organisation memberships.
func (x userRepo) getWhere(ctx context.Context, q querier, cond, tenantID, val string, suffix ...string) (*storage.User, error) {
	u, err := x.getRow(ctx, q, cond, tenantID, val, suffix...)
	if err != nil {
		return nil, err
	}
	if err := x.loadOrgs(ctx, q, tenantID, []*storage.User{u}); err != nil {
		return nil, err
	}
	return u, nil
}

const userByIDQuery = "SELECT " + userCols + " FROM users WHERE tenant_id = ? AND id = ?"

// getRow reads one user's row, without its memberships.
func (x userRepo) getRow(ctx context.Context, q querier, cond, tenantID, val string, suffix ...string) (*storage.User, error) {
	query := userByIDQuery // the usual one, not built on every call
	if cond != "id = ?" || len(suffix) > 0 {
		query = "SELECT " + userCols + " FROM users WHERE tenant_id = ? AND " + cond + strings.Join(suffix, "")
	}
	u, err := scanUser(q.QueryRowContext(ctx, x.d.q(query), tenantID, val))
	if err != nil {
		return nil, notFound(err)
	}
	u.TenantID = tenantID
	return u, nil
}

func (x userRepo) Update(ctx context.Context, tenantID, id string, fn func(u *storage.User) error) (*storage.User, error) {
	var out *storage.User
	err := x.inTx(ctx, func(x repos) error {
		r := userRepo{x}
		u, err := r.getWhere(ctx, x.w, "id = ?", tenantID, id, x.d.forUpd)
		if err != nil {
			return err
		}
		before := append([]storage.UserOrg(nil), u.Orgs...)
		if err := fn(u); err != nil {
			return err
		}
		set := `user_name = ?, user_name_key = ?, name = ?, mobile = ?, mobile_key = ?, email = ?, email_key = ?,
			employee_id = ?, external_id = ?, first_name = ?, middle_name = ?, last_name = ?, profile = ?, extension = ?,
			password_hash = ?, pwd_must_modify = ?, pwd_changed_at = ?, disabled = ?, locked = ?, grade = ?, home_org_id = ?,
			created_at = ?, updated_at = ?`
		_, err = x.w.ExecContext(ctx, x.d.q("UPDATE users SET "+set+" WHERE tenant_id = ? AND id = ?"),
			append(userArgs(u), tenantID, id)...)
		if err != nil {
			return mapErr(err)
		}
		if !sameOrgs(before, u.Orgs) {
			if _, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM user_orgs WHERE tenant_id = ? AND user_id = ?"), tenantID, id); err != nil {
				return err
			}
			if err := r.insertOrgs(ctx, tenantID, id, u.Orgs); err != nil {
				return err
			}
		}
		out = u
		return nil
	})
	return out, err
}

func sameOrgs(a, b []storage.UserOrg) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (x userRepo) Delete(ctx context.Context, tenantID, id string) error {
	return x.inTx(ctx, func(x repos) error {
		// Unique custom-attribute values of the user and of its accounts.
		if _, err := x.w.ExecContext(ctx, x.d.q(`DELETE FROM attribute_unique_values WHERE tenant_id = ? AND (entity_id = ?
			OR entity_id IN (SELECT id FROM app_accounts WHERE tenant_id = ? AND user_id = ?))`), tenantID, id, tenantID, id); err != nil {
			return err
		}
		// What hangs off the user goes with it: memberships, sessions,
		// consents and refresh tokens.
		for _, table := range []string{"user_orgs", "sso_sessions", "consents", "refresh_tokens"} {
			if _, err := x.w.ExecContext(ctx, x.d.q("DELETE FROM "+table+" WHERE tenant_id = ? AND user_id = ?"), tenantID, id); err != nil {
				return err
			}
		}
		if err := affectedOne(x.w.ExecContext(ctx, x.d.q("DELETE FROM users WHERE tenant_id = ? AND id = ?"), tenantID, id)); err != nil {
			return err
		}
		return userRepo{x}.count(ctx, tenantID, -1)
	})
}

// List pages with a deferred join: the inner query walks only the narrow
// index to skip OFFSET rows, the outer one reads the page's rows. The
// unfiltered total comes from user_counts; an organisation filter alone
// counts and pages on user_orgs without touching users (every membership
// row has its user: deleting a user deletes its memberships).
func (x userRepo) List(ctx context.Context, tenantID string, f storage.UserFilter) ([]storage.User, int, error) {
	var from, where, order string
	args := []any{tenantID}
	switch {
	case f.OrgID != "" && f.UpdatedAfter.IsZero():
		from = "user_orgs u"
		where = "u.tenant_id = ? AND u.org_id = ?"
		args = append(args, f.OrgID)
		order = "u.user_id"
	case f.OrgID != "":
		from = "user_orgs m JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id"
		where = "m.tenant_id = ? AND m.org_id = ?"
		args = append(args, f.OrgID)
		order = "m.user_id"
	default:
		from = "users u"
		where = "u.tenant_id = ?"
		order = "u.id"
	}
	if !f.UpdatedAfter.IsZero() {
		where += " AND u.updated_at > ?"
		args = append(args, ms(f.UpdatedAfter))
		order = "u.updated_at, u.id"
	}
	countQuery := "SELECT count(*) FROM " + from + " WHERE " + where
	countArgs := args
	if f.OrgID == "" && f.UpdatedAfter.IsZero() {
		countQuery, countArgs = "SELECT coalesce(sum(n), 0) FROM user_counts WHERE tenant_id = ?", []any{tenantID}
	}
	var total int
	if err := x.r.QueryRowContext(ctx, x.d.q(countQuery), countArgs...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if total == 0 || f.Offset >= total || f.Limit <= 0 {
		return []storage.User{}, total, nil
	}
	idCol := "u.id"
	if from == "user_orgs u" {
		idCol = "u.user_id"
	}
	inner := "SELECT " + idCol + " FROM " + from + " WHERE " + where + " ORDER BY " + order + " LIMIT ? OFFSET ?"
	query := "SELECT " + userCols + " FROM users WHERE tenant_id = ? AND id IN (" + inner + ")"
	qargs := append([]any{tenantID}, args...)
	qargs = append(qargs, f.Limit, f.Offset)
	rows, err := x.r.QueryContext(ctx, x.d.q(query), qargs...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	users := make([]storage.User, 0, f.Limit)
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, err
		}
		u.TenantID = tenantID
		users = append(users, *u)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	sortUsers(users, !f.UpdatedAfter.IsZero())
	ptrs := make([]*storage.User, len(users))
	for i := range users {
		ptrs[i] = &users[i]
	}
	if err := x.loadOrgs(ctx, x.r, tenantID, ptrs); err != nil {
		return nil, 0, err
	}
	return users, total, nil
}

// loadOrgs fills the organisation memberships of users in one query.
func (x userRepo) loadOrgs(ctx context.Context, q querier, tenantID string, users []*storage.User) error {
	if len(users) == 0 {
		return nil
	}
	byID := make(map[string]*storage.User, len(users))
	args := make([]any, 0, len(users)+1)
	args = append(args, tenantID)
	for _, u := range users {
		byID[u.ID] = u
		args = append(args, u.ID)
	}
	query := "SELECT user_id, org_id, relation_type FROM user_orgs WHERE tenant_id = ? AND user_id IN (?" +
		strings.Repeat(", ?", len(users)-1) + ") ORDER BY user_id, relation_type, org_id"
	rows, err := q.QueryContext(ctx, x.d.q(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var uid string
		var o storage.UserOrg
		if err := rows.Scan(&uid, &o.OrgID, &o.RelationType); err != nil {
			return err
		}
		if u := byID[uid]; u != nil {
			u.Orgs = append(u.Orgs, o)
		}
	}
	return rows.Err()
}

func scanUser(s scanner) (*storage.User, error) {
	var us userScan
	if err := s.Scan(us.dest()...); err != nil {
		return nil, err
	}
	return us.user(), nil
}

// userScan receives the userCols of one row; a query that reads more
// than the user (codeRepo.ConsumeWithUser) scans into it with the rest.
type userScan struct {
	u                                                           storage.User
	mobile, mobileKey, email, emailKey, employee, external, org sql.NullString
	profile, extension                                          string
	pwdChanged, created, updated                                int64
}

func (s *userScan) dest() []any {
	u := &s.u
	return []any{&u.ID, &u.UserName, &u.UserNameKey, &u.Name, &s.mobile, &s.mobileKey, &s.email, &s.emailKey,
		&s.employee, &s.external, &u.FirstName, &u.MiddleName, &u.LastName, &s.profile, &s.extension,
		&u.PasswordHash, &u.PwdMustModify, &s.pwdChanged, &u.Disabled, &u.Locked, &u.Grade, &s.org,
		&s.created, &s.updated}
}

func (s *userScan) user() *storage.User {
	u := &s.u
	u.Mobile, u.MobileKey = s.mobile.String, s.mobileKey.String
	u.Email, u.EmailKey = s.email.String, s.emailKey.String
	u.EmployeeID, u.ExternalID, u.HomeOrgID = s.employee.String, s.external.String, s.org.String
	u.Profile, u.Extension = json.RawMessage(s.profile), json.RawMessage(s.extension)
	u.PwdChangedAt, u.CreatedAt, u.UpdatedAt = fromMS(s.pwdChanged), fromMS(s.created), fromMS(s.updated)
	return u
}

// sortUsers restores the page order that IN (...) does not keep.
func sortUsers(users []storage.User, byUpdate bool) {
	sort.Slice(users, func(i, j int) bool {
		a, b := &users[i], &users[j]
		if byUpdate && !a.UpdatedAt.Equal(b.UpdatedAt) {
			return a.UpdatedAt.Before(b.UpdatedAt)
		}
		return a.ID < b.ID
	})
}
