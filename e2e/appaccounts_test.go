package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore"
)

// Bodies of the errors of application accounts, roles and organisations
// (ONEACCESS-API.md 2.11, 2.12, 3.2-3.4; docs/api.md).
const (
	errAccUnknown     = `{"error_code":"APP_ACCOUNT.0001","error_msg":"Application account does not exist."}`
	errAccExists      = `{"error_code":"APP_ACCOUNT.0002","error_msg":"Application account already exists."}`
	errAccType        = `{"error_code":"APP_ACCOUNT.0003","error_msg":"Unsupported application account. The account_type must be BASIC_ACCOUNT, ORPHAN_ACCOUNT or PUBLIC_ACCOUNT."}`
	errAccNameNeeded  = `{"error_code":"APP_ACCOUNT.0035","error_msg":"Application account name required."}`
	errAccNameInvalid = `{"error_code":"APP_ACCOUNT.0036","error_msg":"Application account name invalid."}`
	errAccUserNeeded  = `{"error_code":"APP_ACCOUNT.0009","error_msg":"The user_id is required."}`
	errAccName        = `{"error_code":"APP_ACCOUNT.0010","error_msg":"The name must be at most 100 characters, without control characters."}`
	errAccPassword    = `{"error_code":"APP_ACCOUNT.0011","error_msg":"The password must be at most 1024 bytes."}`
	errAppDisabled    = `{"error_code":"APP.0003","error_msg":"Application disabled."}`
	errUserUnknown    = `{"error_code":"USER.0001","error_msg":"User does not exist."}`
	errRoleUnknown    = `{"error_code":"APP_ROLE.0001","error_msg":"Application role does not exist."}`
	errRoleCodeNeeded = `{"error_code":"APP_ROLE.0002","error_msg":"The code is required."}`
	errRoleCode       = `{"error_code":"APP_ROLE.0003","error_msg":"The code must be 1-64 characters: letters, digits, _ . : and -."}`
	errRoleCodeTaken  = `{"error_code":"APP_ROLE.0004","error_msg":"A role with this code already exists in the application."}`
	errRoleName       = `{"error_code":"APP_ROLE.0005","error_msg":"The name must be at most 100 characters, without control characters."}`
	errRoleMembers    = `{"error_code":"APP_ROLE.0006","error_msg":"The account_Ids must list 1 to 50 application account ids."}`
	errRoleNameNeeded = `{"error_code":"APP_ROLE.0007","error_msg":"The name is required."}`
	errAppOrgUnknown  = `{"error_code":"APP.ORG.0001","error_msg":"Application organization does not exist."}`
	errAppOrgCode     = `{"error_code":"APP.ORG.0002","error_msg":"The org_code must be 1-64 characters: letters, digits, _ and -."}`
	errAppOrgName     = `{"error_code":"APP.ORG.0003","error_msg":"The name must be 1-100 characters, without control characters."}`
	errAppOrgTaken    = `{"error_code":"APP.ORG.0004","error_msg":"The org_code already exists in the application."}`
	errAppOrgChildren = `{"error_code":"APP.ORG.0005","error_msg":"The application organization has child organizations."}`
	errAppOrgCycle    = `{"error_code":"APP.ORG.0006","error_msg":"An organization cannot be moved under itself or its descendants."}`
	errAppOrgParent   = `{"error_code":"APP.ORG.0040","error_msg":"Parent application organization does not exist."}`
	errLimit          = `{"error_code":"COMMON.0001","error_msg":"The limit must be a page size from 10 to 100."}`
	// ghostID is shaped like an id but names nothing.
	ghostID = "20240101000000000-0000-000000000"
)

// TestAppAccounts walks the application-account API over HTTP on both
// backends: authorise (2.11), a user's accounts (2.12), every basic-account
// call (3.3), what deleting an application or a user does to its
// accounts, roles and organisations, tenant isolation, and who may call
// what.
func TestAppAccounts(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			g := start(t, dsn)
			root := bearer(g.token(clientID, clientSecret, nil))
			t.Run("authorise", func(t *testing.T) { testAccAuthorise(t, g, root) })
			t.Run("basic-accounts", func(t *testing.T) { testAccBasic(t, g, root) })
			t.Run("cascades", func(t *testing.T) { testAccCascades(t, g, root, dsn) })
			t.Run("tenants", func(t *testing.T) { testAccTenants(t, g, root) })
			t.Run("permissions", func(t *testing.T) { testAccPermissions(t, g, root) })
		})
	}
}

// TestAppRoles walks the application-role API (3.4) on both backends:
// roles, members with success_list/fail_list, and the member list.
func TestAppRoles(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			g := start(t, b.dsn(t))
			testRoles(t, g, bearer(g.token(clientID, clientSecret, nil)))
		})
	}
}

// TestAppOrgs walks the application-organisation API (3.2) on both
// backends: the tree rules, and what deleting one does to its accounts.
func TestAppOrgs(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			g := start(t, b.dsn(t))
			testAppOrgs(t, g, bearer(g.token(clientID, clientSecret, nil)))
		})
	}
}

func appPath(app string) string { return appsPath + "/" + app }

func authorisePath(user, app string) string {
	return "/api/v2/tenant/users/" + user + "/applications/" + app + "/accounts"
}

// newID checks an answer that must be exactly {key: id} with the status,
// and returns the id.
func newID(t *testing.T, what string, r resp, status int, key string) string {
	t.Helper()
	if r.status != status || r.header.Get("Content-Type") != "application/json;charset=UTF-8" {
		t.Fatalf("%s: %d %q %s, want %d", what, r.status, r.header.Get("Content-Type"), r.body, status)
	}
	m := r.json(t)
	id, _ := m[key].(string)
	if len(m) != 1 || !idShape.MatchString(id) {
		t.Fatalf("%s: body %s, want exactly {%s} shaped like OneAccess ids", what, r.body, key)
	}
	return id
}

// accApp registers a saml application and returns its id.
func accApp(g *gh, auth map[string]string, name string) string {
	_, _, id := g.app(auth, map[string]any{"name": name, "protocol": "saml", "saml": samlFor(name)})
	return id
}

func authorise(t *testing.T, g *gh, auth map[string]string, user, app string, body any) string {
	t.Helper()
	return newID(t, "authorise", g.call("POST", authorisePath(user, app), body, auth), 200, "account_id")
}

func basicAccount(t *testing.T, g *gh, auth map[string]string, app string, body map[string]any) string {
	t.Helper()
	return newID(t, "create basic account", g.call("POST", appPath(app)+"/accounts/basic-account", body, auth), 201, "account_id")
}

// accRole is one role of AccountDetail.roles.
type accRole struct{ id, code, name string }

// accountBody is the exact AccountDetail of an account (3.3, in this
// field order); org "" is null, ext "" is {}.
func accountBody(id, accountName, name string, disabled bool, org string, ext string, roles ...accRole) string {
	o := "null"
	if org != "" {
		o = `"` + org + `"`
	}
	if ext == "" {
		ext = "{}"
	}
	rs := make([]string, len(roles))
	for i, r := range roles {
		rs[i] = fmt.Sprintf(`{"role_id":%q,"role_code":%q,"role_name":%q,"privileges":[]}`, r.id, r.code, r.name)
	}
	return fmt.Sprintf(`{"id":%q,"account_name":%q,"account_type":"BASIC_ACCOUNT","name":%q,"disabled":%t,"org_id":%s,"roles":[%s],"extension":%s}`,
		id, accountName, name, disabled, o, strings.Join(rs, ","), ext)
}

// userAccountBody is one item of a user's accounts (2.12).
func userAccountBody(id, app, accountName, name, ext string) string {
	if ext == "" {
		ext = "{}"
	}
	return fmt.Sprintf(`{"id":%q,"application_id":%q,"account_name":%q,"account_type":"BASIC_ACCOUNT","name":%q,"extension":%s}`,
		id, app, accountName, name, ext)
}

// memberBody is one item of a role's member list (3.4).
func memberBody(id, accountName, name, org string, disabled bool, ext string) string {
	o := "null"
	if org != "" {
		o = `"` + org + `"`
	}
	if ext == "" {
		ext = "{}"
	}
	return fmt.Sprintf(`{"id":%q,"account_name":%q,"name":%q,"org_id":%s,"disabled":%t,"account_type":"BASIC_ACCOUNT","extension":%s}`,
		id, accountName, name, o, disabled, ext)
}

func idList(ids ...string) string {
	if len(ids) == 0 {
		return "[]"
	}
	return `["` + strings.Join(ids, `","`) + `"]`
}

func membersResult(success, fail []string) string {
	return `{"success_list":` + idList(success...) + `,"fail_list":` + idList(fail...) + `}`
}

func testAccAuthorise(t *testing.T, g *gh, auth map[string]string) {
	lihua := g.user(auth, map[string]any{"user_name": "lihua", "mobile": "13700000001", "name": "Li Hua"})
	wang := g.user(auth, map[string]any{"user_name": "wangfang", "mobile": "13700000002", "name": "Wang Fang"})
	zhao := g.user(auth, map[string]any{"user_name": "zhaolei", "mobile": "13700000003"})
	payroll := accApp(g, auth, "Payroll")
	wiki := accApp(g, auth, "Wiki")

	// 2.11: 200 (not 201) {account_id}; the account name defaults to the
	// user name, the name to the user's name.
	x1 := authorise(t, g, auth, lihua, payroll, map[string]string{"account_name": "lihua.pay"})
	x2 := authorise(t, g, auth, wang, payroll, nil)
	x3 := authorise(t, g, auth, lihua, wiki, map[string]any{})
	x4 := authorise(t, g, auth, zhao, wiki, map[string]string{"account_name": ""})
	acc := appPath(payroll) + "/accounts/"
	wantError(t, "get the named account", g.call("GET", acc+x1, nil, auth), 200, accountBody(x1, "lihua.pay", "Li Hua", false, "", ""))
	wantError(t, "get the default-named account", g.call("GET", acc+x2, nil, auth), 200, accountBody(x2, "wangfang", "Wang Fang", false, "", ""))
	wantError(t, "empty body object", g.call("GET", appPath(wiki)+"/accounts/"+x3, nil, auth), 200, accountBody(x3, "lihua", "Li Hua", false, "", ""))
	wantError(t, "empty account_name is the default", g.call("GET", appPath(wiki)+"/accounts/"+x4, nil, auth), 200, accountBody(x4, "zhaolei", "zhaolei", false, "", ""))

	// One account per user and application; account names are unique in it.
	wantError(t, "authorise lihua again", g.call("POST", authorisePath(lihua, payroll), nil, auth), 400, errAccExists)
	wantError(t, "authorise lihua again, another name", g.call("POST", authorisePath(lihua, payroll), map[string]string{"account_name": "other"}, auth), 400, errAccExists)
	wantError(t, "a taken account_name", g.call("POST", authorisePath(zhao, payroll), map[string]string{"account_name": "lihua.pay"}, auth), 400, errAccExists)
	dotted := g.user(auth, map[string]any{"user_name": "lihua.pay", "mobile": "13700000004"})
	wantError(t, "a default account_name that is taken", g.call("POST", authorisePath(dotted, payroll), nil, auth), 400, errAccExists)
	// Unknown user, unknown or disabled application.
	wantError(t, "unknown user", g.call("POST", authorisePath(ghostID, payroll), nil, auth), 400, errUserUnknown)
	wantError(t, "unknown application", g.call("POST", authorisePath(zhao, ghostID), nil, auth), 400, errAppUnknown)
	wantError(t, "unknown user and application", g.call("POST", authorisePath(ghostID, ghostID), nil, auth), 400, errAppUnknown)
	archive := accApp(g, auth, "Archive")
	if r := g.call("PUT", appPath(archive)+"/disable", nil, auth); r.status != 200 {
		t.Fatalf("disable Archive: %d %s", r.status, r.body)
	}
	wantError(t, "disabled application", g.call("POST", authorisePath(zhao, archive), nil, auth), 400, errAppDisabled)
	// Bad bodies.
	wantError(t, "account_name with a space", g.call("POST", authorisePath(zhao, payroll), map[string]string{"account_name": "zhao lei"}, auth), 400, errAccNameInvalid)
	wantError(t, "account_name of 129", g.call("POST", authorisePath(zhao, payroll), map[string]string{"account_name": strings.Repeat("z", 129)}, auth), 400, errAccNameInvalid)
	wantError(t, "account_name of the wrong type", g.call("POST", authorisePath(zhao, payroll), map[string]any{"account_name": true}, auth), 400,
		`{"error_code":"COMMON.0002","error_msg":"The account_name must be a string."}`)
	wantError(t, "array body", g.call("POST", authorisePath(zhao, payroll), "[]", auth), 400, `{"error_code":"COMMON.0002","error_msg":"The request body must be a JSON object."}`)
	wantError(t, "form body", g.call("POST", authorisePath(zhao, payroll), "account_name=x", with(auth, "Content-Type", "application/x-www-form-urlencoded")), 400,
		`{"error_code":"COMMON.0003","error_msg":"The Content-Type must be application/json."}`)
	if r := g.call("GET", "/api/v2/tenant/users/"+zhao+"/accounts", nil, auth); !strings.Contains(string(r.body), `"total":1,`) {
		t.Errorf("refused authorisations created accounts: %s", r.body)
	}
	// A number is taken as its text (JSON leniency).
	x5 := authorise(t, g, auth, zhao, payroll, map[string]any{"account_name": 4711})
	wantError(t, "numeric account_name", g.call("GET", acc+x5, nil, auth), 200, accountBody(x5, "4711", "zhaolei", false, "", ""))

	// 2.12: every account of a user, in creation order, no paging.
	wantError(t, "lihua's accounts", g.call("GET", "/api/v2/tenant/users/"+lihua+"/accounts", nil, auth), 200,
		`{"total":2,"accounts":[`+userAccountBody(x1, payroll, "lihua.pay", "Li Hua", "")+","+userAccountBody(x3, wiki, "lihua", "Li Hua", "")+"]}")
	nobody := g.user(auth, map[string]any{"user_name": "nobody", "mobile": "13700000009"})
	wantError(t, "a user without accounts", g.call("GET", "/api/v2/tenant/users/"+nobody+"/accounts", nil, auth), 200, `{"total":0,"accounts":[]}`)
	wantError(t, "an unknown user's accounts", g.call("GET", "/api/v2/tenant/users/"+ghostID+"/accounts", nil, auth), 400, errUserUnknown)
	// A disabled application's accounts are listed too.
	if r := g.call("PUT", appPath(wiki)+"/disable", nil, auth); r.status != 200 {
		t.Fatalf("disable Wiki: %d %s", r.status, r.body)
	}
	if r := g.call("GET", "/api/v2/tenant/users/"+lihua+"/accounts", nil, auth); r.status != 200 || !strings.Contains(string(r.body), `"total":2,`) {
		t.Errorf("accounts with a disabled application: %d %s", r.status, r.body)
	}
}

func testAccBasic(t *testing.T, g *gh, auth map[string]string) {
	lihua := g.user(auth, map[string]any{"user_name": "b-lihua", "mobile": "13710000001", "name": "Li Hua"})
	wang := g.user(auth, map[string]any{"user_name": "b-wangfang", "mobile": "13710000002", "name": "Wang Fang"})
	zhao := g.user(auth, map[string]any{"user_name": "b-zhaolei", "mobile": "13710000003", "name": "Zhao Lei"})
	app := accApp(g, auth, "Payroll B")
	other := accApp(g, auth, "Other B")
	acc := appPath(app) + "/accounts"
	head := newID(t, "create 10000", g.call("POST", appPath(app)+"/organizations", map[string]any{"org_code": "10000", "name": "Head office"}, auth), 201, "org_id")
	fin := newID(t, "create 10100", g.call("POST", appPath(app)+"/organizations", map[string]any{"org_code": "10100", "name": "Finance", "parent_id": head}, auth), 201, "org_id")
	newID(t, "other's 20000", g.call("POST", appPath(other)+"/organizations", map[string]any{"org_code": "20000", "name": "Elsewhere"}, auth), 201, "org_id")
	newOrg(t, g, auth, map[string]any{"code": "TENANT-HQ", "name": "Tenant HQ"})

	// 3.3 create: 201 {account_id}, every field; the password is never shown.
	x1 := basicAccount(t, g, auth, app, map[string]any{"user_id": lihua, "account_name": "lihua.pay", "name": "Hua Li", "org_code": "10100",
		"password": "Form-fill-9", "disabled": true, "extension": map[string]any{"grade": "P5", "level": 3, "remote": false}})
	want1 := accountBody(x1, "lihua.pay", "Hua Li", true, fin, `{"grade":"P5","level":3,"remote":false}`)
	r := g.call("GET", acc+"/"+x1, nil, auth)
	wantError(t, "get the full account", r, 200, want1)
	if strings.Contains(string(r.body), "Form-fill-9") || strings.Contains(string(r.body), "password") {
		t.Errorf("the account shows its password: %s", r.body)
	}
	// Only user_id: the defaults.
	x2 := basicAccount(t, g, auth, app, map[string]any{"user_id": wang})
	want2 := accountBody(x2, "b-wangfang", "Wang Fang", false, "", "")
	wantError(t, "get the minimal account", g.call("GET", acc+"/"+x2, nil, auth), 200, want2)

	// Create errors.
	bad := []struct {
		what string
		body any
		want string
	}{
		{"no user_id", map[string]any{"account_name": "x"}, errAccUserNeeded},
		{"empty user_id", map[string]any{"user_id": ""}, errAccUserNeeded},
		{"unknown user", map[string]any{"user_id": ghostID}, errUserUnknown},
		{"a user with an account", map[string]any{"user_id": lihua, "account_name": "second"}, errAccExists},
		{"a taken account_name", map[string]any{"user_id": zhao, "account_name": "lihua.pay"}, errAccExists},
		{"the account_name of another account", map[string]any{"user_id": zhao, "account_name": "b-wangfang"}, errAccExists},
		{"empty account_name", map[string]any{"user_id": zhao, "account_name": ""}, errAccNameNeeded},
		{"null account_name", map[string]any{"user_id": zhao, "account_name": nil}, errAccNameNeeded},
		{"account_name with a tab", map[string]any{"user_id": zhao, "account_name": "zhao\tlei"}, errAccNameInvalid},
		{"name of 101", map[string]any{"user_id": zhao, "name": strings.Repeat("n", 101)}, errAccName},
		{"name with a control character", map[string]any{"user_id": zhao, "name": "a\x01b"}, errAccName},
		{"password of 1025 bytes", map[string]any{"user_id": zhao, "password": strings.Repeat("p", 1025)}, errAccPassword},
		{"unknown org_code", map[string]any{"user_id": zhao, "org_code": "NOPE"}, errAppOrgUnknown},
		{"org_code of another application", map[string]any{"user_id": zhao, "org_code": "20000"}, errAppOrgUnknown},
		{"org_code of a tenant organisation", map[string]any{"user_id": zhao, "org_code": "TENANT-HQ"}, errAppOrgUnknown},
		{"extension array value", map[string]any{"user_id": zhao, "extension": map[string]any{"grade": []string{"P5"}}},
			`{"error_code":"APP_ACCOUNT.0007","error_msg":"The extension value of \"grade\" must be a string, number or boolean."}`},
		{"extension key of 65", map[string]any{"user_id": zhao, "extension": map[string]any{strings.Repeat("k", 65): "v"}},
			`{"error_code":"APP_ACCOUNT.0007","error_msg":"The extension keys must be 1-64 characters."}`},
		{"disabled not a boolean", map[string]any{"user_id": zhao, "disabled": "yes"}, `{"error_code":"COMMON.0002","error_msg":"The disabled must be a boolean."}`},
		{"extension not an object", map[string]any{"user_id": zhao, "extension": "x"}, `{"error_code":"COMMON.0002","error_msg":"The extension must be an object."}`},
		{"empty body", "", `{"error_code":"COMMON.0002","error_msg":"The request body must be a JSON object."}`},
	}
	for _, c := range bad {
		wantError(t, "create: "+c.what, g.call("POST", acc+"/basic-account", c.body, auth), 400, c.want)
	}
	wantError(t, "create in an unknown application", g.call("POST", appPath(ghostID)+"/accounts/basic-account", map[string]any{"user_id": zhao}, auth), 400, errAppUnknown)
	wantJSON(t, "list after the refused creates", g.call("GET", acc+"?offset=0&limit=10", nil, auth), 200, map[string]any{"total": 2, "accounts": []any{
		jsonValue(t, want1), jsonValue(t, want2)}})

	// 3.3 modify: 200 {account_id}; only what is sent changes; the
	// extension is merged key by key; user_id is ignored.
	ok1 := `{"account_id":"` + x1 + `"}`
	wantError(t, "modify every field", g.call("PUT", acc+"/"+x1, map[string]any{"account_name": "hua.li", "name": "Li Hua", "org_code": "10000",
		"password": "New-form-1", "disabled": false, "user_id": zhao, "extension": map[string]any{"grade": "P6", "level": nil, "site": "SZ"}}, auth), 200, ok1)
	want1 = accountBody(x1, "hua.li", "Li Hua", false, head, `{"grade":"P6","remote":false,"site":"SZ"}`)
	wantError(t, "after modify", g.call("GET", acc+"/"+x1, nil, auth), 200, want1)
	wantError(t, "empty modify", g.call("PUT", acc+"/"+x1, map[string]any{}, auth), 200, ok1)
	wantError(t, "after empty modify", g.call("GET", acc+"/"+x1, nil, auth), 200, want1)
	wantError(t, "leave the organisation, drop the password", g.call("PUT", acc+"/"+x1, map[string]any{"org_code": "", "password": nil}, auth), 200, ok1)
	want1 = accountBody(x1, "hua.li", "Li Hua", false, "", `{"grade":"P6","remote":false,"site":"SZ"}`)
	wantError(t, "after leaving", g.call("GET", acc+"/"+x1, nil, auth), 200, want1)
	wantError(t, "clear the extension", g.call("PUT", acc+"/"+x1, map[string]any{"extension": nil}, auth), 200, ok1)
	want1 = accountBody(x1, "hua.li", "Li Hua", false, "", "")
	wantError(t, "after clearing", g.call("GET", acc+"/"+x1, nil, auth), 200, want1)
	wantError(t, "user_id is ignored", g.call("GET", "/api/v2/tenant/users/"+lihua+"/accounts", nil, auth), 200,
		`{"total":1,"accounts":[`+userAccountBody(x1, app, "hua.li", "Li Hua", "")+"]}")
	// Modify errors; nothing changes.
	wantError(t, "modify: empty account_name", g.call("PUT", acc+"/"+x1, map[string]any{"account_name": ""}, auth), 400, errAccNameNeeded)
	wantError(t, "modify: bad account_name", g.call("PUT", acc+"/"+x1, map[string]any{"account_name": "a b"}, auth), 400, errAccNameInvalid)
	wantError(t, "modify: a taken account_name", g.call("PUT", acc+"/"+x1, map[string]any{"account_name": "b-wangfang", "name": "X"}, auth), 400, errAccExists)
	wantError(t, "modify: unknown org_code", g.call("PUT", acc+"/"+x1, map[string]any{"org_code": "NOPE"}, auth), 400, errAppOrgUnknown)
	wantError(t, "modify: long name", g.call("PUT", acc+"/"+x1, map[string]any{"name": strings.Repeat("n", 101)}, auth), 400, errAccName)
	wantError(t, "modify: unknown account", g.call("PUT", acc+"/"+ghostID, map[string]any{"name": "X"}, auth), 400, errAccUnknown)
	wantError(t, "modify: another application's path", g.call("PUT", appPath(other)+"/accounts/"+x1, map[string]any{"name": "X"}, auth), 400, errAccUnknown)
	wantError(t, "after the refused modifies", g.call("GET", acc+"/"+x1, nil, auth), 200, want1)

	// Enable and disable: 200 {account_id}, idempotent.
	for _, c := range []struct {
		action   string
		disabled bool
	}{{"disable", true}, {"disable", true}, {"enable", false}, {"enable", false}} {
		wantError(t, c.action, g.call("PUT", acc+"/"+x2+"/"+c.action, nil, auth), 200, `{"account_id":"`+x2+`"}`)
		wantError(t, "after "+c.action, g.call("GET", acc+"/"+x2, nil, auth), 200, accountBody(x2, "b-wangfang", "Wang Fang", c.disabled, "", ""))
	}
	wantError(t, "disable unknown", g.call("PUT", acc+"/"+ghostID+"/disable", nil, auth), 400, errAccUnknown)
	wantError(t, "enable unknown", g.call("PUT", acc+"/"+ghostID+"/enable", nil, auth), 400, errAccUnknown)

	// List: AccountDetail items, account_type filter, paging.
	x3 := basicAccount(t, g, auth, app, map[string]any{"user_id": zhao, "account_name": "zhao", "disabled": true})
	want3 := accountBody(x3, "zhao", "Zhao Lei", true, "", "")
	all := `{"total":3,"accounts":[` + want1 + "," + want2 + "," + want3 + "]}"
	wantError(t, "list", g.call("GET", acc+"?offset=0&limit=10", nil, auth), 200, all)
	wantError(t, "list without paging", g.call("GET", acc, nil, auth), 200, all)
	wantError(t, "list BASIC_ACCOUNT", g.call("GET", acc+"?account_type=BASIC_ACCOUNT&offset=0&limit=10", nil, auth), 200, all)
	wantError(t, "list blank account_type", g.call("GET", acc+"?account_type=&offset=0&limit=10", nil, auth), 200, all)
	wantError(t, "list PUBLIC_ACCOUNT", g.call("GET", acc+"?account_type=PUBLIC_ACCOUNT", nil, auth), 200, `{"total":0,"accounts":[]}`)
	wantError(t, "list ORPHAN_ACCOUNT", g.call("GET", acc+"?account_type=ORPHAN_ACCOUNT", nil, auth), 200, `{"total":0,"accounts":[]}`)
	wantError(t, "page past the end", g.call("GET", acc+"?offset=1&limit=10", nil, auth), 200, `{"total":3,"accounts":[]}`)
	wantError(t, "list basic", g.call("GET", acc+"?account_type=basic", nil, auth), 400, errAccType)
	wantError(t, "list bad type in an unknown application", g.call("GET", appPath(ghostID)+"/accounts?account_type=x", nil, auth), 400, errAccType)
	wantError(t, "list limit 5", g.call("GET", acc+"?offset=0&limit=5", nil, auth), 400, errLimit)
	wantError(t, "list of an unknown application", g.call("GET", appPath(ghostID)+"/accounts", nil, auth), 400, errAppUnknown)
	wantError(t, "list of the other application", g.call("GET", appPath(other)+"/accounts", nil, auth), 200, `{"total":0,"accounts":[]}`)
	wantError(t, "get unknown", g.call("GET", acc+"/"+ghostID, nil, auth), 400, errAccUnknown)
	wantError(t, "get through the other application", g.call("GET", appPath(other)+"/accounts/"+x1, nil, auth), 400, errAccUnknown)
	wantError(t, "get through an unknown application", g.call("GET", appPath(ghostID)+"/accounts/"+x1, nil, auth), 400, errAppUnknown)

	// A disabled application refuses writes but answers reads; delete works.
	if r := g.call("PUT", appPath(app)+"/disable", nil, auth); r.status != 200 {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	wantError(t, "create in a disabled application", g.call("POST", acc+"/basic-account", map[string]any{"user_id": ghostID}, auth), 400, errAppDisabled)
	wantError(t, "modify in a disabled application", g.call("PUT", acc+"/"+x1, map[string]any{"name": "X"}, auth), 400, errAppDisabled)
	wantError(t, "disable in a disabled application", g.call("PUT", acc+"/"+x1+"/disable", nil, auth), 400, errAppDisabled)
	wantError(t, "enable in a disabled application", g.call("PUT", acc+"/"+x3+"/enable", nil, auth), 400, errAppDisabled)
	wantError(t, "get in a disabled application", g.call("GET", acc+"/"+x1, nil, auth), 200, want1)
	wantError(t, "list in a disabled application", g.call("GET", acc, nil, auth), 200, all)
	r = g.call("DELETE", acc+"/"+x3, nil, auth)
	if r.status != 204 || len(r.body) != 0 {
		t.Errorf("delete in a disabled application: %d %q", r.status, r.body)
	}
	if r := g.call("PUT", appPath(app)+"/enable", nil, auth); r.status != 200 {
		t.Fatalf("enable: %d %s", r.status, r.body)
	}

	// Delete: 204; the user loses the account, and may be authorised again.
	r = g.call("DELETE", acc+"/"+x1, nil, auth)
	if r.status != 204 || len(r.body) != 0 {
		t.Errorf("delete: %d %q", r.status, r.body)
	}
	wantError(t, "get deleted", g.call("GET", acc+"/"+x1, nil, auth), 400, errAccUnknown)
	wantError(t, "delete again", g.call("DELETE", acc+"/"+x1, nil, auth), 400, errAccUnknown)
	wantError(t, "delete through the other application", g.call("DELETE", appPath(other)+"/accounts/"+x2, nil, auth), 400, errAccUnknown)
	wantError(t, "delete in an unknown application", g.call("DELETE", appPath(ghostID)+"/accounts/"+x2, nil, auth), 400, errAppUnknown)
	wantError(t, "lihua has no account", g.call("GET", "/api/v2/tenant/users/"+lihua+"/accounts", nil, auth), 200, `{"total":0,"accounts":[]}`)
	wantError(t, "the list after deletes", g.call("GET", acc, nil, auth), 200, `{"total":1,"accounts":[`+want2+"]}")
	again := authorise(t, g, auth, lihua, app, map[string]string{"account_name": "hua.li"})
	wantError(t, "authorised again, with the freed name", g.call("GET", acc+"/"+again, nil, auth), 200, accountBody(again, "hua.li", "Li Hua", false, "", ""))
}

// jsonValue decodes a JSON text for wantJSON.
func jsonValue(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return v
}

func testRoles(t *testing.T, g *gh, auth map[string]string) {
	users := make([]string, 4)
	for i := range users {
		users[i] = g.user(auth, map[string]any{"user_name": fmt.Sprintf("r-user%d", i), "mobile": fmt.Sprintf("1372000000%d", i), "name": fmt.Sprintf("User %d", i)})
	}
	app := accApp(g, auth, "Roles app")
	other := accApp(g, auth, "Roles other")
	p := appPath(app)
	x0 := authorise(t, g, auth, users[0], app, map[string]string{"account_name": "u0"})
	x1 := authorise(t, g, auth, users[1], app, map[string]string{"account_name": "u1"})
	x2 := authorise(t, g, auth, users[2], app, map[string]string{"account_name": "u2"})
	xo := authorise(t, g, auth, users[3], other, map[string]string{"account_name": "u3"})

	// Create: 200 (not 201) {role_id}; the name is optional.
	approver := newID(t, "create approver", g.call("POST", p+"/role", map[string]string{"code": "approver", "name": "Approver"}, auth), 200, "role_id")
	auditor := newID(t, "create auditor", g.call("POST", p+"/role", map[string]string{"code": "auditor"}, auth), 200, "role_id")
	otherRole := newID(t, "create in the other application", g.call("POST", appPath(other)+"/role", map[string]string{"code": "approver"}, auth), 200, "role_id")
	badCreates := []struct {
		what string
		body any
		want string
	}{
		{"a taken code", map[string]string{"code": "approver", "name": "Again"}, errRoleCodeTaken},
		{"no code", map[string]string{"name": "Clerk"}, errRoleCodeNeeded},
		{"null code", map[string]any{"code": nil}, errRoleCodeNeeded},
		{"code with a space", map[string]string{"code": "clerk role"}, errRoleCode},
		{"code with a slash", map[string]string{"code": "a/b"}, errRoleCode},
		{"code of 65", map[string]string{"code": strings.Repeat("c", 65)}, errRoleCode},
		{"name of 101", map[string]string{"code": "clerk", "name": strings.Repeat("n", 101)}, errRoleName},
		{"code of the wrong type", map[string]any{"code": true}, `{"error_code":"COMMON.0002","error_msg":"The code must be a string."}`},
	}
	for _, c := range badCreates {
		wantError(t, "create: "+c.what, g.call("POST", p+"/role", c.body, auth), 400, c.want)
	}
	wantError(t, "create in an unknown application", g.call("POST", appPath(ghostID)+"/role", map[string]string{"code": "x"}, auth), 400, errAppUnknown)
	newID(t, "codes are compared exactly", g.call("POST", p+"/role", map[string]string{"code": "Approver.v2:x-y_z"}, auth), 200, "role_id")

	// Get: {id, code, name, createdAt, updatedAt}; updatedAt null until
	// the role is modified.
	roleBody := func(id, code, name string) (string, map[string]any) {
		t.Helper()
		r := g.call("GET", p+"/role/"+id, nil, auth)
		m := r.json(t)
		created, _ := m["createdAt"].(string)
		if !stampShape.MatchString(created) || strings.NewReplacer("-", "", " ", "", ":", "", ".", "").Replace(created) != id[:17] {
			t.Errorf("role %s: createdAt %q does not match its id", code, created)
		}
		up := "null"
		if s, ok := m["updatedAt"].(string); ok {
			up = `"` + s + `"`
		}
		want := fmt.Sprintf(`{"id":%q,"code":%q,"name":%q,"createdAt":%q,"updatedAt":%s}`, id, code, name, created, up)
		wantError(t, "get role "+code, r, 200, want)
		return want, m
	}
	approverBody, m := roleBody(approver, "approver", "Approver")
	if m["updatedAt"] != nil {
		t.Errorf("a new role's updatedAt = %v, want null", m["updatedAt"])
	}
	roleBody(auditor, "auditor", "")
	wantError(t, "get unknown role", g.call("GET", p+"/role/"+ghostID, nil, auth), 400, errRoleUnknown)
	wantError(t, "get another application's role", g.call("GET", p+"/role/"+otherRole, nil, auth), 400, errRoleUnknown)
	wantError(t, "get in an unknown application", g.call("GET", appPath(ghostID)+"/role/"+approver, nil, auth), 400, errAppUnknown)

	// Modify: the name only, and it is required.
	wantError(t, "rename auditor", g.call("PUT", p+"/role/"+auditor, map[string]string{"name": "Internal auditor", "code": "ignored"}, auth), 200, `{"role_id":"`+auditor+`"}`)
	auditorBody, m := roleBody(auditor, "auditor", "Internal auditor")
	if up, _ := m["updatedAt"].(string); !stampShape.MatchString(up) || up < m["createdAt"].(string) {
		t.Errorf("updatedAt after modify = %v", m["updatedAt"])
	}
	for _, body := range []any{map[string]any{}, map[string]any{"name": ""}, map[string]any{"name": nil}, map[string]any{"code": "x"}} {
		wantError(t, fmt.Sprintf("modify with %v", body), g.call("PUT", p+"/role/"+auditor, body, auth), 400, errRoleNameNeeded)
	}
	wantError(t, "modify: long name", g.call("PUT", p+"/role/"+auditor, map[string]string{"name": strings.Repeat("n", 101)}, auth), 400, errRoleName)
	wantError(t, "modify unknown", g.call("PUT", p+"/role/"+ghostID, map[string]string{"name": "X"}, auth), 400, errRoleUnknown)
	wantError(t, "modify another application's role", g.call("PUT", p+"/role/"+otherRole, map[string]string{"name": "X"}, auth), 400, errRoleUnknown)
	wantError(t, "auditor unchanged", g.call("GET", p+"/role/"+auditor, nil, auth), 200, auditorBody)

	// role-list echoes offset and limit.
	r := g.call("GET", p+"/role-list?offset=0&limit=10", nil, auth)
	list := r.json(t)
	roles, _ := list["roles"].([]any)
	if r.status != 200 || len(list) != 4 || list["total"] != 3.0 || list["offset"] != 0.0 || list["limit"] != 10.0 || len(roles) != 3 {
		t.Fatalf("role-list: %d %s", r.status, r.body)
	}
	if !strings.HasPrefix(string(r.body), `{"total":3,"offset":0,"limit":10,"roles":[`+approverBody+","+auditorBody+",") {
		t.Errorf("role-list: %s\nwant approver, auditor first (creation order)", r.body)
	}
	wantError(t, "role-list page 1", g.call("GET", p+"/role-list?offset=1&limit=10", nil, auth), 200, `{"total":3,"offset":1,"limit":10,"roles":[]}`)
	wantError(t, "role-list limit 20", g.call("GET", p+"/role-list?offset=2&limit=20", nil, auth), 200, `{"total":3,"offset":2,"limit":20,"roles":[]}`)
	if r := g.call("GET", p+"/role-list", nil, auth); !strings.HasPrefix(string(r.body), `{"total":3,"offset":0,"limit":10,"roles":[{`) {
		t.Errorf("role-list without paging: %s", r.body)
	}
	wantError(t, "role-list limit 5", g.call("GET", p+"/role-list?limit=5", nil, auth), 400, errLimit)
	wantError(t, "role-list of an unknown application", g.call("GET", appPath(ghostID)+"/role-list", nil, auth), 400, errAppUnknown)
	wantError(t, "role-list of the other application", g.call("GET", appPath(other)+"/role-list", nil, auth), 200,
		`{"total":1,"offset":0,"limit":10,"roles":[`+roleBodyOf(t, g, auth, other, otherRole)+`]}`)

	// role-member: success_list and fail_list, in the order sent.
	members := p + "/role-member"
	add := func(role string, ids ...string) resp {
		return g.call("POST", members, map[string]any{"role_id": role, "account_Ids": ids}, auth)
	}
	remove := func(role string, ids ...string) resp {
		return g.call("DELETE", members, map[string]any{"role_id": role, "account_Ids": ids}, auth)
	}
	wantError(t, "add", add(approver, x0, x1, xo, ghostID), 200, membersResult([]string{x0, x1}, []string{xo, ghostID}))
	wantError(t, "add members again", add(approver, x1, x2, x0), 200, membersResult([]string{x2}, []string{x1, x0}))
	wantError(t, "add one twice", add(auditor, x0, x0), 200, membersResult([]string{x0}, []string{x0}))
	wantError(t, "add to the other application's role", add(otherRole, xo), 400, errRoleUnknown)
	wantError(t, "add to an unknown role", add(ghostID, x0), 400, errRoleUnknown)
	wantError(t, "add without role_id", g.call("POST", members, map[string]any{"account_Ids": []string{x0}}, auth), 400, errRoleUnknown)
	wantError(t, "add with no ids", add(approver), 400, errRoleMembers)
	wantError(t, "add without account_Ids", g.call("POST", members, map[string]any{"role_id": approver}, auth), 400, errRoleMembers)
	many := make([]string, 51)
	for i := range many {
		many[i] = x0
	}
	wantError(t, "add 51 ids", add(approver, many...), 400, errRoleMembers)
	wantError(t, "remove 51 ids", remove(approver, many...), 400, errRoleMembers)
	wantError(t, "account_Ids as a string", g.call("POST", members, map[string]any{"role_id": approver, "account_Ids": x0}, auth), 400,
		`{"error_code":"COMMON.0002","error_msg":"The account_Ids must be an array of strings."}`)
	wantError(t, "add in an unknown application", g.call("POST", appPath(ghostID)+"/role-member", map[string]any{"role_id": approver, "account_Ids": []string{x0}}, auth), 400, errAppUnknown)
	if r := add(approver, many[:50]...); r.status != 200 || !strings.HasPrefix(string(r.body), `{"success_list":[],"fail_list":["`+x0) {
		t.Errorf("add 50 ids: %d %s", r.status, r.body)
	}

	// The member list: accounts, paging echoed.
	wantError(t, "approver's members", g.call("GET", p+"/role-member-list/"+approver+"?offset=0&limit=10", nil, auth), 200,
		`{"total":3,"offset":0,"limit":10,"role_members":[`+memberBody(x0, "u0", "User 0", "", false, "")+","+
			memberBody(x1, "u1", "User 1", "", false, "")+","+memberBody(x2, "u2", "User 2", "", false, "")+"]}")
	wantError(t, "members page 1", g.call("GET", p+"/role-member-list/"+approver+"?offset=1&limit=10", nil, auth), 200, `{"total":3,"offset":1,"limit":10,"role_members":[]}`)
	wantError(t, "members limit 5", g.call("GET", p+"/role-member-list/"+approver+"?offset=0&limit=5", nil, auth), 400, errLimit)
	wantError(t, "members of an unknown role", g.call("GET", p+"/role-member-list/"+ghostID, nil, auth), 400, errRoleUnknown)
	wantError(t, "members of another application's role", g.call("GET", p+"/role-member-list/"+otherRole, nil, auth), 400, errRoleUnknown)
	wantError(t, "the other role has none", g.call("GET", appPath(other)+"/role-member-list/"+otherRole, nil, auth), 200, `{"total":0,"offset":0,"limit":10,"role_members":[]}`)
	// A member's account shows its roles, by code.
	wantError(t, "x0 with its roles", g.call("GET", p+"/accounts/"+x0, nil, auth), 200,
		accountBody(x0, "u0", "User 0", false, "", "", accRole{approver, "approver", "Approver"}, accRole{auditor, "auditor", "Internal auditor"}))
	wantError(t, "member account disabled", g.call("PUT", p+"/accounts/"+x1+"/disable", nil, auth), 200, `{"account_id":"`+x1+`"}`)
	if r := g.call("GET", p+"/role-member-list/"+approver, nil, auth); !strings.Contains(string(r.body), memberBody(x1, "u1", "User 1", "", true, "")) {
		t.Errorf("the member list does not show x1 disabled: %s", r.body)
	}

	// Remove: DELETE with a JSON body; non-members fail.
	wantError(t, "remove", remove(approver, x1, x1, xo, ghostID), 200, membersResult([]string{x1}, []string{x1, xo, ghostID}))
	wantError(t, "remove again", remove(approver, x1), 200, membersResult(nil, []string{x1}))
	wantError(t, "remove from an unknown role", remove(ghostID, x0), 400, errRoleUnknown)
	wantError(t, "remove with no ids", remove(approver), 400, errRoleMembers)
	wantError(t, "x1 has no role", g.call("GET", p+"/accounts/"+x1, nil, auth), 200, accountBody(x1, "u1", "User 1", true, "", ""))
	wantError(t, "re-add x1", add(approver, x1), 200, membersResult([]string{x1}, nil))

	// A disabled application refuses role writes; reads and delete work.
	if r := g.call("PUT", p+"/disable", nil, auth); r.status != 200 {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	wantError(t, "create in a disabled application", g.call("POST", p+"/role", map[string]string{"code": "late"}, auth), 400, errAppDisabled)
	wantError(t, "modify in a disabled application", g.call("PUT", p+"/role/"+auditor, map[string]string{"name": "X"}, auth), 400, errAppDisabled)
	wantError(t, "add in a disabled application", add(approver, x2), 400, errAppDisabled)
	wantError(t, "remove in a disabled application", remove(approver, x2), 400, errAppDisabled)
	wantError(t, "get in a disabled application", g.call("GET", p+"/role/"+approver, nil, auth), 200, approverBody)
	if r := g.call("GET", p+"/role-member-list/"+approver, nil, auth); r.status != 200 || !strings.HasPrefix(string(r.body), `{"total":3,`) {
		t.Errorf("members in a disabled application: %d %s", r.status, r.body)
	}
	if r := g.call("PUT", p+"/enable", nil, auth); r.status != 200 {
		t.Fatalf("enable: %d %s", r.status, r.body)
	}

	// Delete: 200 with an empty body; memberships go, accounts stay.
	r = g.call("DELETE", p+"/role/"+approver, nil, auth)
	if r.status != 200 || len(r.body) != 0 || r.header.Get("Content-Length") != "0" || r.header.Get("Content-Type") != "" {
		t.Errorf("delete role: %d %q, Content-Length %q, Content-Type %q; want 200, an empty body and no Content-Type",
			r.status, r.body, r.header.Get("Content-Length"), r.header.Get("Content-Type"))
	}
	wantError(t, "get deleted role", g.call("GET", p+"/role/"+approver, nil, auth), 400, errRoleUnknown)
	wantError(t, "delete again", g.call("DELETE", p+"/role/"+approver, nil, auth), 400, errRoleUnknown)
	wantError(t, "members of the deleted role", g.call("GET", p+"/role-member-list/"+approver, nil, auth), 400, errRoleUnknown)
	wantError(t, "delete another application's role", g.call("DELETE", p+"/role/"+otherRole, nil, auth), 400, errRoleUnknown)
	wantError(t, "delete in an unknown application", g.call("DELETE", appPath(ghostID)+"/role/"+auditor, nil, auth), 400, errAppUnknown)
	wantError(t, "x0 keeps auditor only", g.call("GET", p+"/accounts/"+x0, nil, auth), 200,
		accountBody(x0, "u0", "User 0", false, "", "", accRole{auditor, "auditor", "Internal auditor"}))
	wantError(t, "x2 has no role", g.call("GET", p+"/accounts/"+x2, nil, auth), 200, accountBody(x2, "u2", "User 2", false, "", ""))
	approver2 := newID(t, "the code is free again", g.call("POST", p+"/role", map[string]string{"code": "approver"}, auth), 200, "role_id")
	wantError(t, "the new approver has no members", g.call("GET", p+"/role-member-list/"+approver2, nil, auth), 200, `{"total":0,"offset":0,"limit":10,"role_members":[]}`)
	// Deleting a member's account ends its memberships.
	if r := g.call("DELETE", p+"/accounts/"+x0, nil, auth); r.status != 204 {
		t.Fatalf("delete x0: %d %s", r.status, r.body)
	}
	wantError(t, "auditor without x0", g.call("GET", p+"/role-member-list/"+auditor, nil, auth), 200, `{"total":0,"offset":0,"limit":10,"role_members":[]}`)
	wantError(t, "add the deleted account", add(auditor, x0), 200, membersResult(nil, []string{x0}))
}

// roleBodyOf is the exact body of GET role.
func roleBodyOf(t *testing.T, g *gh, auth map[string]string, app, role string) string {
	t.Helper()
	r := g.call("GET", appPath(app)+"/role/"+role, nil, auth)
	if r.status != 200 {
		t.Fatalf("get role %s: %d %s", role, r.status, r.body)
	}
	return strings.TrimSpace(string(r.body))
}

// appOrgBody is the exact get body of an application organisation (3.2).
func appOrgBody(id, code, name, parent string) string {
	p := "null"
	if parent != "" {
		p = `"` + parent + `"`
	}
	return fmt.Sprintf(`{"org_id":%q,"org_code":%q,"name":%q,"parent_id":%s,"mapped_org_id":null}`, id, code, name, p)
}

func testAppOrgs(t *testing.T, g *gh, auth map[string]string) {
	app := accApp(g, auth, "Orgs app")
	other := accApp(g, auth, "Orgs other")
	orgs := appPath(app) + "/organizations"
	create := func(body map[string]any) string {
		t.Helper()
		return newID(t, fmt.Sprintf("create %v", body), g.call("POST", orgs, body, auth), 201, "org_id")
	}
	// 3.2 create: 201 {org_id}.
	head := create(map[string]any{"org_code": "10000", "name": "Head office"})
	fin := create(map[string]any{"org_code": "10100", "name": "Finance", "parent_id": head})
	tax := create(map[string]any{"org_code": "10110", "name": "Tax", "parent_id": fin})
	sales := create(map[string]any{"org_code": "销售_2-b", "name": "Sales", "parent_id": ""})
	otherHead := newID(t, "other's 10000", g.call("POST", appPath(other)+"/organizations", map[string]any{"org_code": "10000", "name": "Head office"}, auth), 201, "org_id")
	tenantOrg := newOrg(t, g, auth, map[string]any{"code": "APPORG-HQ", "name": "Tenant HQ"})

	// Get: exactly {org_id, org_code, name, parent_id} and Gatehouse's mapped_org_id.
	wantError(t, "get Finance", g.call("GET", orgs+"/"+fin, nil, auth), 200, appOrgBody(fin, "10100", "Finance", head))
	wantError(t, "get Head office (a root)", g.call("GET", orgs+"/"+head, nil, auth), 200, appOrgBody(head, "10000", "Head office", ""))
	wantError(t, "get the Chinese one", g.call("GET", orgs+"/"+sales, nil, auth), 200, appOrgBody(sales, "销售_2-b", "Sales", ""))
	// List: flat, creation order, paged.
	full := `{"total":4,"organizations":[` + appOrgBody(head, "10000", "Head office", "") + "," + appOrgBody(fin, "10100", "Finance", head) + "," +
		appOrgBody(tax, "10110", "Tax", fin) + "," + appOrgBody(sales, "销售_2-b", "Sales", "") + "]}"
	wantError(t, "list", g.call("GET", orgs+"?offset=0&limit=10", nil, auth), 200, full)
	wantError(t, "list without paging", g.call("GET", orgs, nil, auth), 200, full)
	wantError(t, "page past the end", g.call("GET", orgs+"?offset=1&limit=10", nil, auth), 200, `{"total":4,"organizations":[]}`)
	wantError(t, "list limit 5", g.call("GET", orgs+"?limit=5", nil, auth), 400, errLimit)
	wantError(t, "the other application's list", g.call("GET", appPath(other)+"/organizations", nil, auth), 200,
		`{"total":1,"organizations":[`+appOrgBody(otherHead, "10000", "Head office", "")+"]}")

	// Create errors.
	bad := []struct {
		what string
		body any
		want string
	}{
		{"a taken org_code", map[string]any{"org_code": "10100", "name": "Again"}, errAppOrgTaken},
		{"no org_code", map[string]any{"name": "X"}, errAppOrgCode},
		{"org_code with a space", map[string]any{"org_code": "10 200", "name": "X"}, errAppOrgCode},
		{"org_code with a dot", map[string]any{"org_code": "1.2", "name": "X"}, errAppOrgCode},
		{"org_code of 65", map[string]any{"org_code": strings.Repeat("c", 65), "name": "X"}, errAppOrgCode},
		{"no name", map[string]any{"org_code": "10200"}, errAppOrgName},
		{"name of 101", map[string]any{"org_code": "10200", "name": strings.Repeat("n", 101)}, errAppOrgName},
		{"name with a control character", map[string]any{"org_code": "10200", "name": "a\x01b"}, errAppOrgName},
		{"unknown parent", map[string]any{"org_code": "10200", "name": "X", "parent_id": ghostID}, errAppOrgParent},
		{"a tenant organisation as parent", map[string]any{"org_code": "10200", "name": "X", "parent_id": tenantOrg}, errAppOrgParent},
		{"another application's organisation as parent", map[string]any{"org_code": "10200", "name": "X", "parent_id": otherHead}, errAppOrgParent},
		{"org_code of the wrong type", map[string]any{"org_code": true, "name": "X"}, `{"error_code":"COMMON.0002","error_msg":"The org_code must be a string."}`},
	}
	for _, c := range bad {
		wantError(t, "create: "+c.what, g.call("POST", orgs, c.body, auth), 400, c.want)
	}
	wantError(t, "create in an unknown application", g.call("POST", appPath(ghostID)+"/organizations", map[string]any{"org_code": "1", "name": "X"}, auth), 400, errAppUnknown)
	num := create(map[string]any{"org_code": 4711, "name": 4711})
	wantError(t, "numbers as text", g.call("GET", orgs+"/"+num, nil, auth), 200, appOrgBody(num, "4711", "4711", ""))

	// Modify: rename, move, to the root level; org_code cannot change.
	ok := `{"org_id":"` + tax + `"}`
	wantError(t, "rename", g.call("PUT", orgs+"/"+tax, map[string]any{"name": "Tax and Duties", "org_code": "99999"}, auth), 200, ok)
	wantError(t, "after rename", g.call("GET", orgs+"/"+tax, nil, auth), 200, appOrgBody(tax, "10110", "Tax and Duties", fin))
	wantError(t, "empty name keeps", g.call("PUT", orgs+"/"+tax, map[string]any{"name": ""}, auth), 200, ok)
	wantError(t, "move under Sales", g.call("PUT", orgs+"/"+tax, map[string]any{"parent_id": sales}, auth), 200, ok)
	wantError(t, "after move", g.call("GET", orgs+"/"+tax, nil, auth), 200, appOrgBody(tax, "10110", "Tax and Duties", sales))
	wantError(t, "to the root level", g.call("PUT", orgs+"/"+tax, map[string]any{"parent_id": ""}, auth), 200, ok)
	wantError(t, "after to root", g.call("GET", orgs+"/"+tax, nil, auth), 200, appOrgBody(tax, "10110", "Tax and Duties", ""))
	wantError(t, "back under Finance", g.call("PUT", orgs+"/"+tax, map[string]any{"parent_id": fin}, auth), 200, ok)
	wantError(t, "null parent is the root level", g.call("PUT", orgs+"/"+sales, map[string]any{"parent_id": nil}, auth), 200, `{"org_id":"`+sales+`"}`)
	// Cycles, unknown parents, unknown ids.
	for _, p := range []string{head, fin, tax} {
		wantError(t, "Head office under its own subtree", g.call("PUT", orgs+"/"+head, map[string]any{"parent_id": p}, auth), 400, errAppOrgCycle)
	}
	wantError(t, "Finance under Tax", g.call("PUT", orgs+"/"+fin, map[string]any{"parent_id": tax}, auth), 400, errAppOrgCycle)
	wantError(t, "move under a ghost", g.call("PUT", orgs+"/"+fin, map[string]any{"parent_id": ghostID}, auth), 400, errAppOrgParent)
	wantError(t, "move under another application's organisation", g.call("PUT", orgs+"/"+fin, map[string]any{"parent_id": otherHead}, auth), 400, errAppOrgParent)
	wantError(t, "modify: long name", g.call("PUT", orgs+"/"+fin, map[string]any{"name": strings.Repeat("n", 101)}, auth), 400, errAppOrgName)
	wantError(t, "modify unknown", g.call("PUT", orgs+"/"+ghostID, map[string]any{"name": "X"}, auth), 400, errAppOrgUnknown)
	wantError(t, "modify unknown under itself", g.call("PUT", orgs+"/"+ghostID, map[string]any{"parent_id": ghostID}, auth), 400, errAppOrgUnknown)
	wantError(t, "modify unknown under Head office", g.call("PUT", orgs+"/"+ghostID, map[string]any{"parent_id": head}, auth), 400, errAppOrgUnknown)
	wantError(t, "modify another application's organisation", g.call("PUT", orgs+"/"+otherHead, map[string]any{"name": "X"}, auth), 400, errAppOrgUnknown)
	wantError(t, "modify a tenant organisation", g.call("PUT", orgs+"/"+tenantOrg, map[string]any{"name": "X"}, auth), 400, errAppOrgUnknown)
	wantError(t, "get unknown", g.call("GET", orgs+"/"+ghostID, nil, auth), 400, errAppOrgUnknown)
	wantError(t, "get in an unknown application", g.call("GET", appPath(ghostID)+"/organizations/"+head, nil, auth), 400, errAppUnknown)
	wantError(t, "the tree after the refusals", g.call("GET", orgs+"/"+head, nil, auth), 200, appOrgBody(head, "10000", "Head office", ""))
	wantError(t, "Finance after the refusals", g.call("GET", orgs+"/"+fin, nil, auth), 200, appOrgBody(fin, "10100", "Finance", head))

	// Accounts in organisations; delete refuses children, and accounts
	// keep existing without an organisation.
	u1 := g.user(auth, map[string]any{"user_name": "o-user1", "mobile": "13730000001", "name": "Org User"})
	x1 := basicAccount(t, g, auth, app, map[string]any{"user_id": u1, "org_code": "10110"})
	wantError(t, "account in Tax", g.call("GET", appPath(app)+"/accounts/"+x1, nil, auth), 200, accountBody(x1, "o-user1", "Org User", false, tax, ""))
	wantError(t, "delete Head office with children", g.call("DELETE", orgs+"/"+head, nil, auth), 400, errAppOrgChildren)
	wantError(t, "delete Finance with a child", g.call("DELETE", orgs+"/"+fin, nil, auth), 400, errAppOrgChildren)
	r := g.call("DELETE", orgs+"/"+tax, nil, auth)
	if r.status != 204 || len(r.body) != 0 {
		t.Errorf("delete Tax (it has an account): %d %q", r.status, r.body)
	}
	wantError(t, "the account stays, without organisation", g.call("GET", appPath(app)+"/accounts/"+x1, nil, auth), 200, accountBody(x1, "o-user1", "Org User", false, "", ""))
	wantError(t, "get deleted", g.call("GET", orgs+"/"+tax, nil, auth), 400, errAppOrgUnknown)
	wantError(t, "delete again", g.call("DELETE", orgs+"/"+tax, nil, auth), 400, errAppOrgUnknown)
	wantError(t, "delete another application's organisation", g.call("DELETE", orgs+"/"+otherHead, nil, auth), 400, errAppOrgUnknown)
	wantError(t, "delete in an unknown application", g.call("DELETE", appPath(ghostID)+"/organizations/"+fin, nil, auth), 400, errAppUnknown)
	wantError(t, "the deleted code is unknown to accounts", g.call("PUT", appPath(app)+"/accounts/"+x1, map[string]any{"org_code": "10110"}, auth), 400, errAppOrgUnknown)
	tax2 := create(map[string]any{"org_code": "10110", "name": "Tax"})
	wantError(t, "the code is free again", g.call("GET", orgs+"/"+tax2, nil, auth), 200, appOrgBody(tax2, "10110", "Tax", ""))
	if r := g.call("DELETE", orgs+"/"+fin, nil, auth); r.status != 204 {
		t.Errorf("delete Finance, now a leaf: %d %s", r.status, r.body)
	}

	// A disabled application refuses writes, answers reads.
	if r := g.call("PUT", appPath(app)+"/disable", nil, auth); r.status != 200 {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	wantError(t, "create in a disabled application", g.call("POST", orgs, map[string]any{"org_code": "30000", "name": "Late"}, auth), 400, errAppDisabled)
	wantError(t, "modify in a disabled application", g.call("PUT", orgs+"/"+head, map[string]any{"name": "X"}, auth), 400, errAppDisabled)
	wantError(t, "delete in a disabled application", g.call("DELETE", orgs+"/"+tax2, nil, auth), 400, errAppDisabled)
	wantError(t, "get in a disabled application", g.call("GET", orgs+"/"+head, nil, auth), 200, appOrgBody(head, "10000", "Head office", ""))
	if r := g.call("GET", orgs, nil, auth); r.status != 200 || !strings.HasPrefix(string(r.body), `{"total":4,`) {
		t.Errorf("list in a disabled application: %d %s", r.status, r.body)
	}
}

// testAccCascades: deleting an application removes its accounts, roles
// (with members) and organisations; deleting a user removes its accounts
// and their memberships.
func testAccCascades(t *testing.T, g *gh, auth map[string]string, dsn string) {
	u1 := g.user(auth, map[string]any{"user_name": "c-user1", "mobile": "13740000001"})
	u2 := g.user(auth, map[string]any{"user_name": "c-user2", "mobile": "13740000002"})
	doomed := accApp(g, auth, "Doomed")
	kept := accApp(g, auth, "Kept")
	for _, app := range []string{doomed, kept} {
		newID(t, "organisation", g.call("POST", appPath(app)+"/organizations", map[string]any{"org_code": "1", "name": "One"}, auth), 201, "org_id")
	}
	xd1 := basicAccount(t, g, auth, doomed, map[string]any{"user_id": u1, "org_code": "1"})
	authorise(t, g, auth, u2, doomed, nil)
	xk1 := authorise(t, g, auth, u1, kept, nil)
	xk2 := authorise(t, g, auth, u2, kept, nil)
	roleD := newID(t, "doomed role", g.call("POST", appPath(doomed)+"/role", map[string]string{"code": "r"}, auth), 200, "role_id")
	roleK := newID(t, "kept role", g.call("POST", appPath(kept)+"/role", map[string]string{"code": "r"}, auth), 200, "role_id")
	if r := g.call("POST", appPath(doomed)+"/role-member", map[string]any{"role_id": roleD, "account_Ids": []string{xd1}}, auth); r.status != 200 {
		t.Fatalf("member: %d %s", r.status, r.body)
	}
	wantError(t, "kept members", g.call("POST", appPath(kept)+"/role-member", map[string]any{"role_id": roleK, "account_Ids": []string{xk1, xk2}}, auth), 200,
		membersResult([]string{xk1, xk2}, nil))

	// Delete the application: its accounts, roles and organisations go.
	if r := g.call("DELETE", appPath(doomed), nil, auth); r.status != 204 {
		t.Fatalf("delete application: %d %s", r.status, r.body)
	}
	wantError(t, "u1's accounts", g.call("GET", "/api/v2/tenant/users/"+u1+"/accounts", nil, auth), 200,
		`{"total":1,"accounts":[`+userAccountBody(xk1, kept, "c-user1", "c-user1", "")+"]}")
	wantError(t, "account of the deleted application", g.call("GET", appPath(doomed)+"/accounts/"+xd1, nil, auth), 400, errAppUnknown)
	wantError(t, "role of the deleted application", g.call("GET", appPath(doomed)+"/role/"+roleD, nil, auth), 400, errAppUnknown)
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	_, nAcc, err1 := store.AppAccounts().List(ctx, storage.DefaultTenantID, doomed, "", 0, 10)
	_, nRole, err2 := store.AppRoles().List(ctx, storage.DefaultTenantID, doomed, 0, 10)
	_, nOrg, err3 := store.AppOrgs().List(ctx, storage.DefaultTenantID, doomed, 0, 10)
	if err1 != nil || err2 != nil || err3 != nil || nAcc+nRole+nOrg != 0 {
		t.Errorf("after deleting the application: %d accounts, %d roles, %d organisations stored (%v %v %v)", nAcc, nRole, nOrg, err1, err2, err3)
	}
	if _, n, _ := store.AppOrgs().List(ctx, storage.DefaultTenantID, kept, 0, 10); n != 1 {
		t.Errorf("the kept application has %d organisations, want 1", n)
	}
	// A new application with the same name starts empty.
	reborn := accApp(g, auth, "Doomed")
	wantError(t, "the new Doomed has no accounts", g.call("GET", appPath(reborn)+"/accounts", nil, auth), 200, `{"total":0,"accounts":[]}`)

	// Delete a user: its accounts and their memberships go.
	if r := g.call("DELETE", "/api/v2/tenant/users/"+u2, nil, auth); r.status != 204 {
		t.Fatalf("delete user: %d %s", r.status, r.body)
	}
	wantError(t, "the deleted user's account", g.call("GET", appPath(kept)+"/accounts/"+xk2, nil, auth), 400, errAccUnknown)
	wantError(t, "the deleted user's accounts", g.call("GET", "/api/v2/tenant/users/"+u2+"/accounts", nil, auth), 400, errUserUnknown)
	wantError(t, "kept role without u2", g.call("GET", appPath(kept)+"/role-member-list/"+roleK, nil, auth), 200,
		`{"total":1,"offset":0,"limit":10,"role_members":[`+memberBody(xk1, "c-user1", "c-user1", "", false, "")+"]}")
	if accs, _ := store.AppAccounts().ListForUser(ctx, storage.DefaultTenantID, u2); len(accs) != 0 {
		t.Errorf("the deleted user still has %d accounts stored", len(accs))
	}
}

// testAccTenants: accounts, roles and organisations of one tenant do not
// exist for another.
func testAccTenants(t *testing.T, g *gh, root map[string]string) {
	a := orgTenant(t, g, root, "accounts-a.example.test")
	b := orgTenant(t, g, root, "accounts-b.example.test")
	uA := g.user(a, map[string]any{"user_name": "lihua", "mobile": "13750000001"})
	uB := g.user(b, map[string]any{"user_name": "lihua", "mobile": "13750000001"})
	appA := accApp(g, a, "Payroll")
	appB := accApp(g, b, "Payroll")
	xA := authorise(t, g, a, uA, appA, nil)
	xB := authorise(t, g, b, uB, appB, nil)
	roleA := newID(t, "A's role", g.call("POST", appPath(appA)+"/role", map[string]string{"code": "approver"}, a), 200, "role_id")
	roleB := newID(t, "B's role", g.call("POST", appPath(appB)+"/role", map[string]string{"code": "approver"}, b), 200, "role_id")
	orgA := newID(t, "A's organisation", g.call("POST", appPath(appA)+"/organizations", map[string]any{"org_code": "10000", "name": "HQ"}, a), 201, "org_id")

	for _, c := range []struct {
		who  string
		auth map[string]string
	}{{"tenant B", b}, {"the default tenant", root}} {
		// A's application is unknown: every path under it is APP.0001.
		pa := appPath(appA)
		calls := []struct {
			method, path string
			body         any
		}{
			{"POST", authorisePath(uA, appA), nil},
			{"POST", pa + "/accounts/basic-account", map[string]any{"user_id": uA}},
			{"GET", pa + "/accounts", nil},
			{"GET", pa + "/accounts/" + xA, nil},
			{"PUT", pa + "/accounts/" + xA, map[string]any{"name": "X"}},
			{"PUT", pa + "/accounts/" + xA + "/disable", nil},
			{"PUT", pa + "/accounts/" + xA + "/enable", nil},
			{"DELETE", pa + "/accounts/" + xA, nil},
			{"POST", pa + "/role", map[string]any{"code": "x"}},
			{"GET", pa + "/role/" + roleA, nil},
			{"PUT", pa + "/role/" + roleA, map[string]any{"name": "X"}},
			{"DELETE", pa + "/role/" + roleA, nil},
			{"GET", pa + "/role-list", nil},
			{"POST", pa + "/role-member", map[string]any{"role_id": roleA, "account_Ids": []string{xA}}},
			{"DELETE", pa + "/role-member", map[string]any{"role_id": roleA, "account_Ids": []string{xA}}},
			{"GET", pa + "/role-member-list/" + roleA, nil},
			{"POST", pa + "/organizations", map[string]any{"org_code": "1", "name": "X"}},
			{"GET", pa + "/organizations", nil},
			{"GET", pa + "/organizations/" + orgA, nil},
			{"PUT", pa + "/organizations/" + orgA, map[string]any{"name": "X"}},
			{"DELETE", pa + "/organizations/" + orgA, nil},
		}
		for _, call := range calls {
			wantError(t, c.who+": "+call.method+" "+call.path, g.call(call.method, call.path, call.body, c.auth), 400, errAppUnknown)
		}
		wantError(t, c.who+" lists A's user's accounts", g.call("GET", "/api/v2/tenant/users/"+uA+"/accounts", nil, c.auth), 400, errUserUnknown)
	}
	// Through B's own application, A's ids are unknown too.
	pb := appPath(appB)
	wantError(t, "B authorises A's user", g.call("POST", authorisePath(uA, appB), nil, b), 400, errUserUnknown)
	wantError(t, "B creates an account for A's user", g.call("POST", pb+"/accounts/basic-account", map[string]any{"user_id": uA, "account_name": "x"}, b), 400, errUserUnknown)
	wantError(t, "B gets A's account", g.call("GET", pb+"/accounts/"+xA, nil, b), 400, errAccUnknown)
	wantError(t, "B deletes A's account", g.call("DELETE", pb+"/accounts/"+xA, nil, b), 400, errAccUnknown)
	wantError(t, "B gets A's role", g.call("GET", pb+"/role/"+roleA, nil, b), 400, errRoleUnknown)
	wantError(t, "B lists A's role's members", g.call("GET", pb+"/role-member-list/"+roleA, nil, b), 400, errRoleUnknown)
	wantError(t, "B adds A's account to its role", g.call("POST", pb+"/role-member", map[string]any{"role_id": roleB, "account_Ids": []string{xA, xB}}, b), 200,
		membersResult([]string{xB}, []string{xA}))
	wantError(t, "B gets A's organisation", g.call("GET", pb+"/organizations/"+orgA, nil, b), 400, errAppOrgUnknown)
	wantError(t, "B creates under A's organisation", g.call("POST", pb+"/organizations", map[string]any{"org_code": "1", "name": "X", "parent_id": orgA}, b), 400, errAppOrgParent)
	wantError(t, "B uses A's org_code", g.call("PUT", pb+"/accounts/"+xB, map[string]any{"org_code": "10000"}, b), 400, errAppOrgUnknown)
	// A's things are unchanged.
	wantError(t, "A's account", g.call("GET", appPath(appA)+"/accounts/"+xA, nil, a), 200, accountBody(xA, "lihua", "lihua", false, "", ""))
	wantError(t, "A's role has no members", g.call("GET", appPath(appA)+"/role-member-list/"+roleA, nil, a), 200, `{"total":0,"offset":0,"limit":10,"role_members":[]}`)
	wantError(t, "A's organisation", g.call("GET", appPath(appA)+"/organizations/"+orgA, nil, a), 200, appOrgBody(orgA, "10000", "HQ", ""))
	wantError(t, "A's user's accounts", g.call("GET", "/api/v2/tenant/users/"+uA+"/accounts", nil, a), 200,
		`{"total":1,"accounts":[`+userAccountBody(xA, appA, "lihua", "lihua", "")+"]}")
}

// testAccPermissions: account and role calls need all; authorise needs
// user_all and a user's accounts user_read; application organisations
// need app_org_all. Clients are applications with api_permissions, with
// tokens from POST /api/v2/tenant/token.
func testAccPermissions(t *testing.T, g *gh, root map[string]string) {
	client := func(name string, perms ...string) map[string]string {
		t.Helper()
		r := g.call("POST", appsPath, map[string]any{"name": name, "protocol": "saml", "saml": samlFor(name), "api_permissions": perms}, root)
		if r.status != 201 {
			t.Fatalf("register %s: %d %s", name, r.status, r.body)
		}
		m := r.json(t)
		return bearer(wantToken(t, g, name, m["client_id"].(string), m["client_secret"].(string), nil))
	}
	u := g.user(root, map[string]any{"user_name": "p-user", "mobile": "13760000001"})
	u2 := g.user(root, map[string]any{"user_name": "p-user2", "mobile": "13760000002"})
	app := accApp(g, root, "Permissions app")
	x := authorise(t, g, root, u, app, nil)
	role := newID(t, "role", g.call("POST", appPath(app)+"/role", map[string]string{"code": "r"}, root), 200, "role_id")
	org := newID(t, "organisation", g.call("POST", appPath(app)+"/organizations", map[string]any{"org_code": "1", "name": "One"}, root), 201, "org_id")

	p := appPath(app)
	type call struct {
		method, path string
		body         any
	}
	accountCalls := []call{
		{"POST", p + "/accounts/basic-account", map[string]any{"user_id": u2}},
		{"PUT", p + "/accounts/" + x, map[string]any{"name": "X"}},
		{"DELETE", p + "/accounts/" + x, nil},
		{"PUT", p + "/accounts/" + x + "/enable", nil},
		{"PUT", p + "/accounts/" + x + "/disable", nil},
		{"GET", p + "/accounts/" + x, nil},
		{"GET", p + "/accounts?offset=0&limit=10", nil},
		{"GET", p + "/accounts/" + ghostID, nil}, // 403 before the lookup
	}
	roleCalls := []call{
		{"POST", p + "/role", map[string]any{"code": "x"}},
		{"PUT", p + "/role/" + role, map[string]any{"name": "X"}},
		{"DELETE", p + "/role/" + role, nil},
		{"GET", p + "/role/" + role, nil},
		{"GET", p + "/role-list?offset=0&limit=10", nil},
		{"POST", p + "/role-member", map[string]any{"role_id": role, "account_Ids": []string{x}}},
		{"DELETE", p + "/role-member", map[string]any{"role_id": role, "account_Ids": []string{x}}},
		{"GET", p + "/role-member-list/" + role, nil},
	}
	orgCalls := []call{
		{"POST", p + "/organizations", map[string]any{"org_code": "2", "name": "Two"}},
		{"PUT", p + "/organizations/" + org, map[string]any{"name": "X"}},
		{"DELETE", p + "/organizations/" + org, nil},
		{"GET", p + "/organizations/" + org, nil},
		{"GET", p + "/organizations?offset=0&limit=10", nil},
	}
	denied := func(who string, auth map[string]string, calls []call) {
		t.Helper()
		for _, c := range calls {
			wantError(t, who+": "+c.method+" "+c.path, g.call(c.method, c.path, c.body, auth), 403, errDenied)
		}
	}
	authoriseCall := call{"POST", authorisePath(u2, app), nil}
	for _, c := range []struct {
		name  string
		perms []string
	}{{"Account user reader", []string{"user_read"}}, {"Account user admin", []string{"user_all"}}, {"Account org admin", []string{"org_all"}},
		{"Account app org admin", []string{"app_org_all"}}} {
		auth := client(c.name, c.perms...)
		denied(c.name, auth, accountCalls)
		denied(c.name, auth, roleCalls)
		switch c.perms[0] {
		case "user_read":
			denied(c.name, auth, append(orgCalls, authoriseCall))
			wantError(t, "user_read lists a user's accounts", g.call("GET", "/api/v2/tenant/users/"+u+"/accounts", nil, auth), 200,
				`{"total":1,"accounts":[`+userAccountBody(x, app, "p-user", "p-user", "")+"]}")
		case "user_all":
			denied(c.name, auth, orgCalls)
			x2 := authorise(t, g, auth, u2, app, nil)
			if r := g.call("GET", "/api/v2/tenant/users/"+u2+"/accounts", nil, auth); r.status != 200 || !strings.Contains(string(r.body), x2) {
				t.Errorf("user_all lists a user's accounts: %d %s", r.status, r.body)
			}
		case "org_all":
			denied(c.name, auth, append(orgCalls, authoriseCall, call{"GET", "/api/v2/tenant/users/" + u + "/accounts", nil}))
		case "app_org_all":
			denied(c.name, auth, []call{authoriseCall, {"GET", "/api/v2/tenant/users/" + u + "/accounts", nil}})
			two := newID(t, "app_org_all creates", g.call("POST", p+"/organizations", map[string]any{"org_code": "2", "name": "Two", "parent_id": org}, auth), 201, "org_id")
			wantError(t, "app_org_all gets", g.call("GET", p+"/organizations/"+two, nil, auth), 200, appOrgBody(two, "2", "Two", org))
			wantError(t, "app_org_all modifies", g.call("PUT", p+"/organizations/"+two, map[string]any{"name": "Deux"}, auth), 200, `{"org_id":"`+two+`"}`)
			wantError(t, "app_org_all lists", g.call("GET", p+"/organizations?offset=0&limit=10", nil, auth), 200,
				`{"total":2,"organizations":[`+appOrgBody(org, "1", "One", "")+","+appOrgBody(two, "2", "Deux", org)+"]}")
			if r := g.call("DELETE", p+"/organizations/"+two, nil, auth); r.status != 204 {
				t.Errorf("app_org_all deletes: %d %s", r.status, r.body)
			}
		}
	}
	// An application's client with all may call everything.
	all := client("Account all", "all")
	if r := g.call("GET", p+"/accounts/"+x, nil, all); r.status != 200 {
		t.Errorf("all gets an account: %d %s", r.status, r.body)
	}
	if r := g.call("GET", p+"/role-member-list/"+role, nil, all); r.status != 200 {
		t.Errorf("all lists members: %d %s", r.status, r.body)
	}
	// No token, a bad token.
	wantError(t, "no token", g.call("GET", p+"/accounts", nil, nil), 401,
		`{"error":"unauthorized","error_description":"Full authentication is required to access this resource"}`)
	wantError(t, "bad token", g.call("POST", p+"/role", map[string]any{"code": "x"}, bearer("5f0c2a8e-9b7d-4c1e-a3f2-6d8b1e4c7a90")), 401, errInvalidToken)
	// Nothing the refused calls named changed.
	wantError(t, "the account after the refusals", g.call("GET", p+"/accounts/"+x, nil, root), 200, accountBody(x, "p-user", "p-user", false, "", ""))
}
