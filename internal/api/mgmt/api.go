package mgmt

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/objmodel"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// API holds what the management handlers use.
type API struct {
	Users *directory.Users
	Orgs  *directory.Orgs
	Apps  *apps.Applications
	// Accounts, Roles and AppOrgs are what users are inside applications.
	Accounts *apps.Accounts
	Roles    *apps.Roles
	// Attributes are the tenant's custom attribute definitions.
	Attributes *objmodel.Service
	AppOrgs    *apps.AppOrgs
	Clients    *apps.Clients
	Tenants    *tenant.Service
	Keys       *keys.Manager
	// MFA lists and removes users' second factors.
	MFA   *mfa.TOTP
	Audit *audit.Recorder
	// Store is used only to append audit events of calls that manage
	// their own transactions.
	Store    storage.Store
	Location *time.Location // zone of response timestamps
	// Issuer returns the OIDC issuer of the request's tenant, which signs
	// the id_token of management tokens.
	Issuer func(r *http.Request) string
	Log    *slog.Logger
	Now    func() time.Time
}

// Route is one management endpoint. Perm is the client permission it
// needs: "" for the token endpoint (public), "system" for the system API.
type Route struct {
	Method  string
	Path    string
	Perm    string
	handler func(w http.ResponseWriter, r *http.Request) error
}

// permSystem marks the routes of the system API (super-admin clients only).
const permSystem = "system"

// Routes lists every management endpoint. The server mounts each one;
// openapi_test.go checks the OpenAPI document against this list.
func (a *API) Routes() []Route {
	return []Route{
		{"POST", "/api/v2/tenant/token", "", a.token},

		{"POST", "/api/v2/tenant/users", "user_all", a.createUser},
		{"PUT", "/api/v2/tenant/users/{user_id}", "user_all", a.updateUser},
		{"DELETE", "/api/v2/tenant/users/{user_id}", "user_all", a.deleteUser},
		{"PUT", "/api/v2/tenant/users/{user_id}/enable", "user_all", a.enableUser},
		{"PUT", "/api/v2/tenant/users/{user_id}/disable", "user_all", a.disableUser},
		{"PUT", "/api/v2/tenant/users/{user_id}/change-password", "user_all", a.setPassword},
		{"PUT", "/api/v2/tenant/users/{user_id}/change-password-verify", "user_all", a.changePassword},
		{"GET", "/api/v2/tenant/users/{user_id}", "user_read", a.getUser},
		{"POST", "/api/v2/tenant/users/user-by-username", "user_read", a.getUserByName},
		{"GET", "/api/v2/tenant/users", "user_read", a.listUsers},
		{"POST", "/api/v2/tenant/users/{user_id}/applications/{application_id}/accounts", "user_all", a.authorizeAccount},
		{"GET", "/api/v2/tenant/users/{user_id}/accounts", "user_read", a.listUserAccounts},
		{"GET", "/api/v2/tenant/users/{user_id}/mfa-credentials", "user_read", a.listMFACredentials},
		{"DELETE", "/api/v2/tenant/users/{user_id}/mfa-credentials", "user_all", a.deleteMFACredentials},
		{"DELETE", "/api/v2/tenant/users/{user_id}/mfa-credentials/{credential_id}", "user_all", a.deleteMFACredential},
		{"GET", "/api/v2/tenant/users/{user_id}/sessions", "user_read", a.listUserSessions},
		{"DELETE", "/api/v2/tenant/users/{user_id}/sessions", "user_all", a.endUserSessions},

		{"POST", "/api/v2/tenant/organizations", "org_all", a.createOrg},
		{"PUT", "/api/v2/tenant/organizations/{org_id}", "org_all", a.updateOrg},
		{"DELETE", "/api/v2/tenant/organizations/{org_id}", "org_all", a.deleteOrg},
		{"GET", "/api/v2/tenant/organizations/{org_id}", "org_all", a.getOrg},
		{"GET", "/api/v2/tenant/organizations", "org_all", a.listOrgs},

		{"POST", "/api/v2/tenant/applications", "all", a.createApp},
		{"GET", "/api/v2/tenant/applications/{application_id}", "all", a.getApp},
		{"GET", "/api/v2/tenant/applications", "all", a.listApps},
		{"POST", "/api/v2/tenant/form-fill/detect", "all", a.detectForm},
		{"PUT", "/api/v2/tenant/applications/{application_id}", "all", a.updateApp},
		{"PUT", "/api/v2/tenant/applications/{application_id}/enable", "all", a.enableApp},
		{"PUT", "/api/v2/tenant/applications/{application_id}/disable", "all", a.disableApp},
		{"DELETE", "/api/v2/tenant/applications/{application_id}", "all", a.deleteApp},
		{"POST", "/api/v2/tenant/applications/{application_id}/secret", "all", a.newAppSecret},

		{"POST", "/api/v2/tenant/applications/{application_id}/organizations", "app_org_all", a.createAppOrg},
		{"PUT", "/api/v2/tenant/applications/{application_id}/organizations/{org_id}", "app_org_all", a.updateAppOrg},
		{"DELETE", "/api/v2/tenant/applications/{application_id}/organizations/{org_id}", "app_org_all", a.deleteAppOrg},
		{"GET", "/api/v2/tenant/applications/{application_id}/organizations/{org_id}", "app_org_all", a.getAppOrg},
		{"GET", "/api/v2/tenant/applications/{application_id}/organizations", "app_org_all", a.listAppOrgs},

		{"POST", "/api/v2/tenant/applications/{application_id}/accounts/basic-account", "all", a.createAccount},
		{"PUT", "/api/v2/tenant/applications/{application_id}/accounts/{account_id}", "all", a.updateAccount},
		{"DELETE", "/api/v2/tenant/applications/{application_id}/accounts/{account_id}", "all", a.deleteAccount},
		{"PUT", "/api/v2/tenant/applications/{application_id}/accounts/{account_id}/enable", "all", a.enableAccount},
		{"PUT", "/api/v2/tenant/applications/{application_id}/accounts/{account_id}/disable", "all", a.disableAccount},
		{"GET", "/api/v2/tenant/applications/{application_id}/accounts/{account_id}", "all", a.getAccount},
		{"GET", "/api/v2/tenant/applications/{application_id}/accounts", "all", a.listAccounts},

		{"POST", "/api/v2/tenant/applications/{application_id}/role", "all", a.createRole},
		{"PUT", "/api/v2/tenant/applications/{application_id}/role/{role_id}", "all", a.updateRole},
		{"DELETE", "/api/v2/tenant/applications/{application_id}/role/{role_id}", "all", a.deleteRole},
		{"GET", "/api/v2/tenant/applications/{application_id}/role/{role_id}", "all", a.getRole},
		{"GET", "/api/v2/tenant/applications/{application_id}/role-list", "all", a.listRoles},
		{"POST", "/api/v2/tenant/applications/{application_id}/role-member", "all", a.addRoleMembers},
		{"DELETE", "/api/v2/tenant/applications/{application_id}/role-member", "all", a.removeRoleMembers},
		{"GET", "/api/v2/tenant/applications/{application_id}/role-member-list/{role_id}", "all", a.listRoleMembers},
		{"POST", "/api/v2/tenant/applications/{application_id}/role-org", "all", a.addRoleOrgs},
		{"DELETE", "/api/v2/tenant/applications/{application_id}/role-org", "all", a.removeRoleOrgs},
		{"GET", "/api/v2/tenant/applications/{application_id}/role-org-list/{role_id}", "all", a.listRoleOrgs},

		{"POST", "/api/v2/tenant/attributes", "all", a.createAttribute},
		{"GET", "/api/v2/tenant/attributes", "all", a.listAttributes},
		{"GET", "/api/v2/tenant/attributes/{attribute_id}", "all", a.getAttribute},
		{"PUT", "/api/v2/tenant/attributes/{attribute_id}", "all", a.updateAttribute},
		{"DELETE", "/api/v2/tenant/attributes/{attribute_id}", "all", a.deleteAttribute},

		{"GET", "/api/v2/tenant/keys", "all", a.listKeys},
		{"POST", "/api/v2/tenant/keys/rotate", "all", a.rotateKey},

		{"POST", "/api/v2/system/tenants", permSystem, a.createTenant},
		{"GET", "/api/v2/system/tenants", permSystem, a.listTenants},
		{"GET", "/api/v2/system/tenants/{tenant_id}", permSystem, a.getTenant},
		{"DELETE", "/api/v2/system/tenants/{tenant_id}", permSystem, a.deleteTenant},
	}
}

// Handler returns the route's handler with authentication, permission
// check and error writing around it.
func (a *API) Handler(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.Perm != "" {
			cl, err := a.authenticate(r, rt.Perm)
			if err != nil {
				writeError(a.Log, w, r, err)
				return
			}
			r = r.WithContext(withClient(r.Context(), cl))
		}
		if err := rt.handler(w, r); err != nil {
			writeError(a.Log, w, r, err)
		}
	})
}
