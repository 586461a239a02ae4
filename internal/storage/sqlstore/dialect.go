package sqlstore

import (
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"

	"github.com/gatehouse/gatehouse/internal/storage"
)

const (
	dialectSQLite   = "sqlite"
	dialectPostgres = "postgres"
)

type dialect struct {
	name   string
	cache  sync.Map // query with '?' -> rebound query
	forUpd string   // row-lock suffix for read-modify-write selects
}

func newDialect(name string) *dialect {
	d := &dialect{name: name}
	if name == dialectPostgres {
		d.forUpd = " FOR UPDATE"
	}
	return d
}

// q rebinds a query written with '?' placeholders for the dialect.
func (d *dialect) q(query string) string {
	if d.name != dialectPostgres {
		return query
	}
	if v, ok := d.cache.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	out := b.String()
	d.cache.Store(query, out)
	return out
}

// uniqueField maps a unique index (PostgreSQL reports its name) or its last
// column (SQLite reports "table.column") to the entity and wire field.
var uniqueFields = map[string][2]string{
	"tenants_pkey":                  {"tenant", "tenant_id"},
	"tenants.id":                    {"tenant", "tenant_id"},
	"tenants_domain_uq":             {"tenant", "domain"},
	"tenants.domain":                {"tenant", "domain"},
	"organizations_pkey":            {"organization", "org_id"},
	"organizations.id":              {"organization", "org_id"},
	"organizations_code_uq":         {"organization", "code"},
	"organizations.code":            {"organization", "code"},
	"organizations_sibling_name_uq": {"organization", "name"},
	"users_pkey":                    {"user", "user_id"},
	"users.id":                      {"user", "user_id"},
	"users_user_name_key_uq":        {"user", "user_name"},
	"users.user_name_key":           {"user", "user_name"},
	"users_mobile_key_uq":           {"user", "mobile"},
	"users.mobile_key":              {"user", "mobile"},
	"users_email_key_uq":            {"user", "email"},
	"users.email_key":               {"user", "email"},
	"users_employee_id_uq":          {"user", "employee_id"},
	"users.employee_id":             {"user", "employee_id"},
	"user_orgs_pkey":                {"user", "user_org_relation_list"},
	"user_orgs.org_id":              {"user", "user_org_relation_list"},
	"api_clients_pkey":              {"api_client", "client_id"},
	"api_clients.client_id":         {"api_client", "client_id"},
	"mgmt_tokens_pkey":              {"mgmt_token", "access_token"},
	"mgmt_tokens.token_hash":        {"mgmt_token", "access_token"},
	"signing_keys_pkey":             {"signing_key", "kid"},
	"signing_keys.kid":              {"signing_key", "kid"},
	"audit_events_pkey":             {"audit_event", "id"},
	"audit_events.id":               {"audit_event", "id"},
	"settings_pkey":                 {"setting", "name"},
	"sso_sessions_pkey":             {"session", "id"},
	"sso_sessions.id_hash":          {"session", "id"},
	"sso_sessions_sid_uq":           {"session", "sid"},
	"sso_sessions.sid":              {"session", "sid"},
	"oauth_codes_pkey":              {"code", "code"},
	"oauth_codes.code_hash":         {"code", "code"},
	"refresh_tokens_pkey":           {"refresh_token", "refresh_token"},
	"refresh_tokens.token_hash":     {"refresh_token", "refresh_token"},
	"app_accounts_name_uq":          {"app_account", "account_name"},
	"app_accounts.account_name":     {"app_account", "account_name"},
	"app_accounts_user_uq":          {"app_account", "user_id"},
	"app_accounts.user_id":          {"app_account", "user_id"},
	"app_roles_code_uq":             {"app_role", "code"},
	"app_roles.code":                {"app_role", "code"},
	"app_role_members_pkey":         {"role_member", "account_Ids"},
	"app_role_members.account_id":   {"role_member", "account_Ids"},
	"app_orgs_code_uq":              {"app_org", "org_code"},
	"app_orgs.code":                 {"app_org", "org_code"},
	"app_orgs_mapped_uq":            {"app_org", "mapped_org_id"},
	"app_orgs.mapped_org_id":        {"app_org", "mapped_org_id"},
	"attribute_defs_name_uq":        {"attribute", "name"},
	"attribute_defs.name":           {"attribute", "name"},
	"cas_tickets_pkey":              {"cas_ticket", "ticket"},
	"cas_tickets.ticket_hash":       {"cas_ticket", "ticket"},
	"saml_entity_ids_pkey":          {"application", "saml.entity_id"},
	"saml_entity_ids.entity_id":     {"application", "saml.entity_id"},
	"saml_sessions_pkey":            {"saml_session", "sid"},
	"saml_sessions.application_id":  {"saml_session", "sid"},
	"saml_sessions_index":           {"saml_session", "session_index"},
	"saml_sessions.session_index":   {"saml_session", "session_index"},
	"applications_pkey":             {"application", "application_id"},
	"applications.id":               {"application", "application_id"},
	"applications_name_uq":          {"application", "name"},
	"applications.name":             {"application", "name"},
	"applications_client_id_uq":     {"application", "client_id"},
	"applications.client_id":        {"application", "client_id"},
	"settings.name":                 {"setting", "name"},
}

// mapErr turns driver errors into storage errors: unique violations become
// a *storage.ConflictError naming the field. Other errors pass through.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return conflict(pgErr.ConstraintName, err)
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() {
		case 2067, 1555: // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
			// The message ends "... failed: users.tenant_id, users.user_name_key (2067)".
			msg := sqErr.Error()
			if i := strings.LastIndex(msg, " ("); i >= 0 {
				msg = msg[:i]
			}
			cols := msg[strings.LastIndex(msg, " ")+1:]
			// An expression index is named instead: "... failed: index 'name'".
			cols = strings.Trim(cols, "'")
			return conflict(cols, err)
		}
	}
	return err
}

func conflict(key string, cause error) error {
	if f, ok := uniqueFields[key]; ok {
		return &storage.ConflictError{Entity: f[0], Field: f[1]}
	}
	return errors.Join(&storage.ConflictError{Entity: "unknown", Field: key}, cause)
}
