package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

const orgsPath = "/api/v2/tenant/organizations"

// Bodies of the organisation errors (ONEACCESS-API.md 3.1, docs/api.md).
const (
	errOrgUnknown  = `{"error_code":"ORG.0001","error_msg":"Organization does not exist."}`
	errOrgCode     = `{"error_code":"ORG.0003","error_msg":"The code must be 1-64 characters: letters, digits, _ and -."}`
	errOrgCodeDup  = `{"error_code":"ORG.0006","error_msg":"The code already exists."}`
	errOrgNameDup  = `{"error_code":"ORG.0007","error_msg":"An organization with this name already exists under the same parent."}`
	errOrgNoParent = `{"error_code":"ORG.0008","error_msg":"Parent organization does not exist."}`
	errOrgCycle    = `{"error_code":"ORG.0009","error_msg":"An organization cannot be moved under itself or its descendants."}`
	errOrgCategory = `{"error_code":"ORG.0010","error_msg":"The category must be at most 32 characters, without control characters."}`
	errOrgNoType   = `{"error_code":"ORG.0011","error_msg":"Organization type cannot be empty."}`
	errOrgChildren = `{"error_code":"ORG.0012","error_msg":"The organization has child organizations; delete them first or ask for cascade=true."}`
	errOrgMembers  = `{"error_code":"ORG.0013","error_msg":"The organization has members; remove them first or ask for cascade=true."}`
	// ghostOrg is shaped like an id but names nothing.
	ghostOrg = "20200101000000000-0000-000000000"
)

// errOrgName is ORG.0005; its message holds "&", which the server's JSON
// encoder writes as \u0026, so it is compared as decoded JSON.
var errOrgName = map[string]any{"error_code": "ORG.0005", "error_msg": "The name must be 1-100 characters: letters, digits, spaces, -, _ and &."}

// TestOrganizations walks the organisation API (ONEACCESS-API.md 3.1) over
// HTTP on both backends: the calls, the tree rules, the four listing
// modes, delete with and without cascade, how users join organisations,
// permissions and tenant isolation.
func TestOrganizations(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			g := start(t, b.dsn(t))
			root := bearer(g.token(clientID, clientSecret, nil))
			t.Run("walkthrough", func(t *testing.T) { testOrgWalkthrough(t, g, root) })
			t.Run("members", func(t *testing.T) { testOrgMembers(t, g, orgTenant(t, g, root, "members.example.test")) })
			t.Run("permissions", func(t *testing.T) { testOrgPermissions(t, g, root) })
			t.Run("tenants", func(t *testing.T) { testOrgTenants(t, g, root) })
		})
	}
}

// orgTenant creates a tenant through the system API and returns the
// headers that act as its first API client (which has all).
func orgTenant(t *testing.T, g *gh, root map[string]string, domain string) map[string]string {
	t.Helper()
	r := g.call("POST", "/api/v2/system/tenants", map[string]string{"name": domain, "domain": domain}, root)
	if r.status != 201 {
		t.Fatalf("create tenant %s: %d %s", domain, r.status, r.body)
	}
	m := r.json(t)
	host := map[string]string{"Host": domain}
	return with(bearer(g.token(m["api_client_id"].(string), m["api_client_secret"].(string), host)), "Host", domain)
}

// newOrg creates an organisation and returns its id.
func newOrg(t *testing.T, g *gh, auth map[string]string, body map[string]any) string {
	t.Helper()
	r := g.call("POST", orgsPath, body, auth)
	if r.status != 201 {
		t.Fatalf("create organisation %v: %d %s", body, r.status, r.body)
	}
	m := r.json(t)
	id, _ := m["org_id"].(string)
	if len(m) != 1 || !idShape.MatchString(id) {
		t.Fatalf("create organisation %v: body %s, want exactly {org_id} shaped like OneAccess ids", body, r.body)
	}
	return id
}

// orgBody is the exact get body of an organisation (ONEACCESS-API.md
// 3.1.4: five fields in this order, parent_id null for a root).
func orgBody(id, code, name, parent, category string) string {
	p := "null"
	if parent != "" {
		p = `"` + parent + `"`
	}
	return fmt.Sprintf(`{"org_id":%q,"org_code":%q,"name":%q,"parent_id":%s,"category":%q}`, id, code, name, p, category)
}

// orgList lists organisations and returns "total: code code …", the
// codes in the order the server sent them.
func orgList(t *testing.T, g *gh, auth map[string]string, query string) string {
	t.Helper()
	r := g.call("GET", orgsPath+"?"+query, nil, auth)
	if r.status != 200 {
		t.Fatalf("list ?%s: %d %s", query, r.status, r.body)
	}
	m := r.json(t)
	list, ok := m["organizations"].([]any)
	if len(m) != 2 || !ok {
		t.Fatalf("list ?%s: body %s, want exactly {total, organizations}", query, r.body)
	}
	codes := []string{}
	for _, o := range list {
		o := o.(map[string]any)
		if len(o) != 5 {
			t.Errorf("list ?%s: item %v, want the five OrgRead fields", query, o)
		}
		codes = append(codes, fmt.Sprint(o["org_code"]))
	}
	return fmt.Sprintf("%v: %s", m["total"], strings.Join(codes, " "))
}

func testOrgWalkthrough(t *testing.T, g *gh, auth map[string]string) {
	// 3.1.1 create: 201 {org_id}. The tree of docs/api.md:
	//
	//	HQ (0)              SALES (1)
	//	├── RND (1)         └── SALES-EU (0)
	//	│   └── RND-WEB (0)
	//	└── FIN (2)
	r := g.call("POST", orgsPath, map[string]any{"code": "HQ", "name": "Headquarters", "category": "company"}, auth)
	if r.status != 201 || r.header.Get("Content-Type") != "application/json;charset=UTF-8" {
		t.Fatalf("create HQ: %d %q %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	hq := r.json(t)["org_id"].(string)
	if !idShape.MatchString(hq) || len(r.json(t)) != 1 {
		t.Fatalf("create HQ: body %s, want exactly {org_id} shaped like OneAccess ids", r.body)
	}
	sales := newOrg(t, g, auth, map[string]any{"code": "SALES", "name": "Sales", "sequence": 1})
	rnd := newOrg(t, g, auth, map[string]any{"code": "RND", "name": "Research", "parent_id": hq, "category": "department",
		"sequence": 1, "extension": map[string]any{"cost_center": "C-17"}})
	fin := newOrg(t, g, auth, map[string]any{"code": "FIN", "name": "Finance", "parent_id": hq, "sequence": 2})
	eu := newOrg(t, g, auth, map[string]any{"code": "SALES-EU", "name": "Europe", "parent_id": sales, "sequence": nil})
	web := newOrg(t, g, auth, map[string]any{"code": "RND-WEB", "name": "Web", "parent_id": rnd})

	// 3.1.4 get: exactly {org_id, org_code, name, parent_id, category}, in
	// this order; no sequence, no extension.
	wantError(t, "get RND", g.call("GET", orgsPath+"/"+rnd, nil, auth), 200, orgBody(rnd, "RND", "Research", hq, "department"))
	wantError(t, "get HQ (a root)", g.call("GET", orgsPath+"/"+hq, nil, auth), 200, orgBody(hq, "HQ", "Headquarters", "", "company"))
	wantError(t, "get SALES-EU", g.call("GET", orgsPath+"/"+eu, nil, auth), 200, orgBody(eu, "SALES-EU", "Europe", sales, "department"))

	// 3.1.5 list: the four org_id/all_child modes, breadth-first, then
	// sequence, then code, whatever the parent.
	lists := []struct{ query, want string }{
		{"offset=0&limit=10", "2: HQ SALES"},
		{"org_id=&all_child=false&offset=0&limit=10", "2: HQ SALES"},
		{"all_child=true&offset=0&limit=10", "6: HQ SALES SALES-EU RND FIN RND-WEB"},
		{"org_id=" + hq + "&offset=0&limit=10", "3: HQ RND FIN"},
		{"org_id=" + hq + "&all_child=false", "3: HQ RND FIN"},
		{"org_id=" + hq + "&all_child=true&offset=0&limit=10", "4: HQ RND FIN RND-WEB"},
		{"org_id=" + web + "&all_child=true", "1: RND-WEB"},
		{"org_id=" + sales + "&all_child=true", "2: SALES SALES-EU"},
	}
	for _, l := range lists {
		if got := orgList(t, g, auth, l.query); got != l.want {
			t.Errorf("list ?%s = %q, want %q", l.query, got, l.want)
		}
	}
	wantError(t, "list HQ's children, whole body", g.call("GET", orgsPath+"?org_id="+hq+"&all_child=false&offset=0&limit=10", nil, auth), 200,
		`{"total":3,"organizations":[`+orgBody(hq, "HQ", "Headquarters", "", "company")+","+orgBody(rnd, "RND", "Research", hq, "department")+","+
			orgBody(fin, "FIN", "Finance", hq, "department")+"]}")

	// Paging, and ties on sequence broken by code (code points, not
	// creation order: created EU-11 first, EU-10 comes first).
	for i := 11; i >= 0; i-- {
		newOrg(t, g, auth, map[string]any{"code": fmt.Sprintf("EU-%02d", i), "name": fmt.Sprintf("Country %02d", i), "parent_id": eu, "sequence": (11 - i) / 2})
	}
	page0 := "13: SALES-EU EU-10 EU-11 EU-08 EU-09 EU-06 EU-07 EU-04 EU-05 EU-02"
	if got := orgList(t, g, auth, "org_id="+eu+"&all_child=true&offset=0&limit=10"); got != page0 {
		t.Errorf("page 0 = %q, want %q", got, page0)
	}
	if got := orgList(t, g, auth, "org_id="+eu+"&all_child=true&offset=1&limit=10"); got != "13: EU-03 EU-00 EU-01" {
		t.Errorf("page 1 = %q", got)
	}
	wantError(t, "page past the end", g.call("GET", orgsPath+"?org_id="+eu+"&all_child=true&offset=2&limit=10", nil, auth), 200, `{"total":13,"organizations":[]}`)
	if got := orgList(t, g, auth, "org_id="+eu+"&offset=0&limit=100"); !strings.HasPrefix(got, "13: SALES-EU EU-10 ") {
		t.Errorf("SALES-EU and its children = %q", got)
	}
	newOrg(t, g, auth, map[string]any{"code": "fin-a", "name": "Payables", "parent_id": fin})
	finB := newOrg(t, g, auth, map[string]any{"code": "FIN-B", "name": "Receivables", "parent_id": fin})
	if got := orgList(t, g, auth, "org_id="+fin); got != "3: FIN FIN-B fin-a" {
		t.Errorf("FIN's children = %q, want code-point order FIN-B before fin-a", got)
	}
	// The whole tree: each level by sequence then code, across parents.
	tree := "20: HQ SALES SALES-EU RND FIN EU-10 EU-11 FIN-B RND-WEB fin-a EU-08 EU-09 EU-06 EU-07 EU-04 EU-05 EU-02 EU-03 EU-00 EU-01"
	if got := orgList(t, g, auth, "all_child=true&limit=100"); got != tree {
		t.Errorf("whole tree = %q\nwant %q", got, tree)
	}

	// 3.1.2 modify: 200 {org_id}; only what is sent changes.
	ok := `{"org_id":"` + rnd + `"}`
	wantError(t, "rename", g.call("PUT", orgsPath+"/"+rnd, map[string]any{"name": "Research and Development"}, auth), 200, ok)
	wantError(t, "after rename", g.call("GET", orgsPath+"/"+rnd, nil, auth), 200, orgBody(rnd, "RND", "Research and Development", hq, "department"))
	wantError(t, "new code and category", g.call("PUT", orgsPath+"/"+rnd, map[string]any{"code": "RD", "category": " lab "}, auth), 200, ok)
	wantError(t, "after new code", g.call("GET", orgsPath+"/"+rnd, nil, auth), 200, orgBody(rnd, "RD", "Research and Development", hq, "lab"))
	wantError(t, "empty code, name, category keep", g.call("PUT", orgsPath+"/"+rnd, map[string]any{"code": "", "name": nil, "category": "", "sequence": nil}, auth), 200, ok)
	wantError(t, "empty body object", g.call("PUT", orgsPath+"/"+rnd, map[string]any{}, auth), 200, ok)
	wantError(t, "after empty fields", g.call("GET", orgsPath+"/"+rnd, nil, auth), 200, orgBody(rnd, "RD", "Research and Development", hq, "lab"))
	// Move with parent_id: the subtree comes along.
	wantError(t, "move under SALES", g.call("PUT", orgsPath+"/"+rnd, map[string]any{"parent_id": sales}, auth), 200, ok)
	wantError(t, "after move", g.call("GET", orgsPath+"/"+rnd, nil, auth), 200, orgBody(rnd, "RD", "Research and Development", sales, "lab"))
	if got := orgList(t, g, auth, "org_id="+sales+"&all_child=true&limit=100"); got != "16: SALES SALES-EU RD EU-10 EU-11 RND-WEB EU-08 EU-09 EU-06 EU-07 EU-04 EU-05 EU-02 EU-03 EU-00 EU-01" {
		t.Errorf("SALES's subtree after the move = %q", got)
	}
	if got := orgList(t, g, auth, "org_id="+hq+"&all_child=true"); got != "4: HQ FIN FIN-B fin-a" {
		t.Errorf("HQ's subtree after the move = %q", got)
	}
	// parent_id "" moves to the root level; null too.
	wantError(t, "move to root", g.call("PUT", orgsPath+"/"+rnd, map[string]any{"parent_id": ""}, auth), 200, ok)
	wantError(t, "after move to root", g.call("GET", orgsPath+"/"+rnd, nil, auth), 200, orgBody(rnd, "RD", "Research and Development", "", "lab"))
	if got := orgList(t, g, auth, ""); got != "3: HQ RD SALES" {
		t.Errorf("roots = %q, want HQ (0), RD (1, code RD < SALES), SALES (1)", got)
	}
	wantError(t, "back under HQ", g.call("PUT", orgsPath+"/"+rnd, map[string]any{"parent_id": hq, "code": "RND", "name": "Research"}, auth), 200, ok)
	wantError(t, "move to root with null", g.call("PUT", orgsPath+"/"+web, map[string]any{"parent_id": nil}, auth), 200, `{"org_id":"`+web+`"}`)
	wantError(t, "after null parent", g.call("GET", orgsPath+"/"+web, nil, auth), 200, orgBody(web, "RND-WEB", "Web", "", "department"))
	wantError(t, "web back under RND", g.call("PUT", orgsPath+"/"+web, map[string]any{"parent_id": rnd}, auth), 200, `{"org_id":"`+web+`"}`)

	// A cycle is refused: under itself, a child, a grandchild.
	for _, p := range []string{hq, rnd, web} {
		wantError(t, "HQ under its own subtree", g.call("PUT", orgsPath+"/"+hq, map[string]any{"parent_id": p}, auth), 400, errOrgCycle)
	}
	wantError(t, "HQ still a root", g.call("GET", orgsPath+"/"+hq, nil, auth), 200, orgBody(hq, "HQ", "Headquarters", "", "company"))

	// Codes are unique in the tenant.
	wantError(t, "create with a taken code", g.call("POST", orgsPath, map[string]any{"code": "FIN", "name": "Other"}, auth), 400, errOrgCodeDup)
	wantError(t, "modify to a taken code", g.call("PUT", orgsPath+"/"+rnd, map[string]any{"code": "SALES"}, auth), 400, errOrgCodeDup)
	newOrg(t, g, auth, map[string]any{"code": "hq", "name": "Lower"}) // codes compare exactly
	// Names are unique among siblings (roots too); a cousin may share one.
	wantError(t, "root with a root's name", g.call("POST", orgsPath, map[string]any{"code": "HQ2", "name": "Headquarters"}, auth), 400, errOrgNameDup)
	wantError(t, "sibling with the same name", g.call("POST", orgsPath, map[string]any{"code": "FIN2", "name": "Finance", "parent_id": hq}, auth), 400, errOrgNameDup)
	cousin := newOrg(t, g, auth, map[string]any{"code": "SALES-FIN", "name": "Finance", "parent_id": sales})
	wantError(t, "rename to a sibling's name", g.call("PUT", orgsPath+"/"+rnd, map[string]any{"name": "Finance"}, auth), 400, errOrgNameDup)
	wantError(t, "move next to a namesake", g.call("PUT", orgsPath+"/"+cousin, map[string]any{"parent_id": hq}, auth), 400, errOrgNameDup)
	newOrg(t, g, auth, map[string]any{"code": "FIN3", "name": "finance", "parent_id": hq}) // names compare exactly
	// Unknown parent.
	wantError(t, "create under a ghost", g.call("POST", orgsPath, map[string]any{"code": "X1", "name": "X", "parent_id": ghostOrg}, auth), 400, errOrgNoParent)
	wantError(t, "move under a ghost", g.call("PUT", orgsPath+"/"+rnd, map[string]any{"parent_id": ghostOrg}, auth), 400, errOrgNoParent)
	wantError(t, "RND unmoved", g.call("GET", orgsPath+"/"+rnd, nil, auth), 200, orgBody(rnd, "RND", "Research", hq, "lab"))

	// Invalid fields.
	invalid := []struct {
		what string
		body any
		want string
	}{
		{"no code", map[string]any{"name": "X"}, `{"error_code":"ORG.0002","error_msg":"The code is required."}`},
		{"empty code", map[string]any{"code": "", "name": "X"}, `{"error_code":"ORG.0002","error_msg":"The code is required."}`},
		{"code with a space", map[string]any{"code": "A B", "name": "X"}, errOrgCode},
		{"code with a dot", map[string]any{"code": "A.B", "name": "X"}, errOrgCode},
		{"code of 65", map[string]any{"code": strings.Repeat("c", 65), "name": "X"}, errOrgCode},
		{"no name", map[string]any{"code": "X1"}, `{"error_code":"ORG.0004","error_msg":"The name is required."}`},
		{"null name", map[string]any{"code": "X1", "name": nil}, `{"error_code":"ORG.0004","error_msg":"The name is required."}`},
		{"empty category", map[string]any{"code": "X1", "name": "X", "category": ""}, errOrgNoType},
		{"null category", map[string]any{"code": "X1", "name": "X", "category": nil}, errOrgNoType},
		{"blank category", map[string]any{"code": "X1", "name": "X", "category": "   "}, errOrgNoType},
		{"long category", map[string]any{"code": "X1", "name": "X", "category": strings.Repeat("k", 33)}, errOrgCategory},
		{"control character in category", map[string]any{"code": "X1", "name": "X", "category": "a\x00b"}, errOrgCategory},
		{"sequence too large", map[string]any{"code": "X1", "name": "X", "sequence": 2147483648}, `{"error_code":"ORG.0015","error_msg":"The sequence must be a whole number from -2147483648 to 2147483647."}`},
		{"sequence as a string", map[string]any{"code": "X1", "name": "X", "sequence": "1"}, `{"error_code":"COMMON.0002","error_msg":"The sequence must be a whole number."}`},
		{"extension object value", map[string]any{"code": "X1", "name": "X", "extension": map[string]any{"k": []int{1}}}, `{"error_code":"ORG.0014","error_msg":"The extension value of \"k\" must be a string, number or boolean."}`},
		{"code of the wrong type", map[string]any{"code": true, "name": "X"}, `{"error_code":"COMMON.0002","error_msg":"The code must be a string."}`},
		{"array body", "[1]", `{"error_code":"COMMON.0002","error_msg":"The request body must be a JSON object."}`},
		{"empty body", "", `{"error_code":"COMMON.0002","error_msg":"The request body must be a JSON object."}`},
	}
	for _, c := range invalid {
		wantError(t, "create: "+c.what, g.call("POST", orgsPath, c.body, auth), 400, c.want)
	}
	for _, name := range []string{"a/b", " Lead", "Trail ", strings.Repeat("n", 101), "Tab\tName"} {
		wantJSON(t, fmt.Sprintf("create named %q", name), g.call("POST", orgsPath, map[string]any{"code": "X1", "name": name}, auth), 400, errOrgName)
		wantJSON(t, fmt.Sprintf("rename to %q", name), g.call("PUT", orgsPath+"/"+rnd, map[string]any{"name": name}, auth), 400, errOrgName)
	}
	wantError(t, "modify: bad code", g.call("PUT", orgsPath+"/"+rnd, map[string]any{"code": "A B"}, auth), 400, errOrgCode)
	wantError(t, "modify: long category", g.call("PUT", orgsPath+"/"+rnd, map[string]any{"category": strings.Repeat("k", 33)}, auth), 400, errOrgCategory)
	wantError(t, "modify: blank category keeps", g.call("PUT", orgsPath+"/"+rnd, map[string]any{"category": "  "}, auth), 200, ok)
	wantError(t, "form body", g.call("POST", orgsPath, "code=X", with(auth, "Content-Type", "application/x-www-form-urlencoded")), 400,
		`{"error_code":"COMMON.0003","error_msg":"The Content-Type must be application/json."}`)
	// Letters of any script, digits, _ - in codes; & in names; a number
	// is taken as its text.
	cn := newOrg(t, g, auth, map[string]any{"code": "研发_2-b", "name": "研发 R&D_2-b", "parent_id": hq})
	wantJSON(t, "get the Chinese one", g.call("GET", orgsPath+"/"+cn, nil, auth), 200,
		map[string]any{"org_id": cn, "org_code": "研发_2-b", "name": "研发 R&D_2-b", "parent_id": hq, "category": "department"})
	num := newOrg(t, g, auth, map[string]any{"code": 4711, "name": 4711, "category": "team"})
	wantError(t, "numbers as text", g.call("GET", orgsPath+"/"+num, nil, auth), 200, orgBody(num, "4711", "4711", "", "team"))

	// Paging and boolean parameters.
	wantError(t, "limit 5", g.call("GET", orgsPath+"?offset=0&limit=5", nil, auth), 400, `{"error_code":"COMMON.0001","error_msg":"The limit must be a page size from 10 to 100."}`)
	wantError(t, "offset -1", g.call("GET", orgsPath+"?offset=-1", nil, auth), 400, `{"error_code":"COMMON.0001","error_msg":"The offset must be a page index from 0 to 10000000."}`)
	wantError(t, "all_child=1", g.call("GET", orgsPath+"?all_child=1", nil, auth), 400, `{"error_code":"COMMON.0001","error_msg":"The all_child must be true or false."}`)
	wantError(t, "cascade=yes", g.call("DELETE", orgsPath+"/"+hq+"?cascade=yes", nil, auth), 400, `{"error_code":"COMMON.0001","error_msg":"The cascade must be true or false."}`)

	// Unknown organisation, on every path.
	wantError(t, "get unknown", g.call("GET", orgsPath+"/"+ghostOrg, nil, auth), 400, errOrgUnknown)
	wantError(t, "modify unknown", g.call("PUT", orgsPath+"/"+ghostOrg, map[string]any{"name": "X"}, auth), 400, errOrgUnknown)
	wantError(t, "modify unknown under a ghost", g.call("PUT", orgsPath+"/"+ghostOrg, map[string]any{"parent_id": ghostOrg}, auth), 400, errOrgUnknown)
	wantError(t, "modify unknown under HQ", g.call("PUT", orgsPath+"/"+ghostOrg, map[string]any{"parent_id": hq}, auth), 400, errOrgUnknown)
	wantError(t, "delete unknown", g.call("DELETE", orgsPath+"/"+ghostOrg, nil, auth), 400, errOrgUnknown)
	wantError(t, "cascade-delete unknown", g.call("DELETE", orgsPath+"/"+ghostOrg+"?cascade=true", nil, auth), 400, errOrgUnknown)
	wantError(t, "list under unknown", g.call("GET", orgsPath+"?org_id="+ghostOrg, nil, auth), 400, errOrgUnknown)
	wantError(t, "list all under unknown", g.call("GET", orgsPath+"?org_id="+ghostOrg+"&all_child=true", nil, auth), 400, errOrgUnknown)

	// 3.1.3 delete: 204 and no body; refused while children exist.
	r = g.call("DELETE", orgsPath+"/"+finB, nil, auth)
	if r.status != 204 || len(r.body) != 0 {
		t.Errorf("delete a leaf: %d %q", r.status, r.body)
	}
	wantError(t, "get deleted", g.call("GET", orgsPath+"/"+finB, nil, auth), 400, errOrgUnknown)
	wantError(t, "delete again", g.call("DELETE", orgsPath+"/"+finB, nil, auth), 400, errOrgUnknown)
	wantError(t, "delete HQ with children", g.call("DELETE", orgsPath+"/"+hq, nil, auth), 400, errOrgChildren)
	wantError(t, "delete HQ, cascade=false", g.call("DELETE", orgsPath+"/"+hq+"?cascade=false", nil, auth), 400, errOrgChildren)
	// cascade=true takes the subtree; the rest of the tree stays.
	r = g.call("DELETE", orgsPath+"/"+hq+"?cascade=true", nil, auth)
	if r.status != 204 || len(r.body) != 0 {
		t.Fatalf("cascade delete HQ: %d %q", r.status, r.body)
	}
	for _, id := range []string{hq, rnd, fin, web, cn} {
		wantError(t, "subtree member after cascade", g.call("GET", orgsPath+"/"+id, nil, auth), 400, errOrgUnknown)
	}
	if got := orgList(t, g, auth, ""); got != "3: 4711 hq SALES" {
		t.Errorf("roots after the cascade = %q", got)
	}
	// The subtree's codes are free again.
	again := newOrg(t, g, auth, map[string]any{"code": "RND", "name": "Research"})
	wantError(t, "RND again, a root", g.call("GET", orgsPath+"/"+again, nil, auth), 200, orgBody(again, "RND", "Research", "", "department"))
}

// testOrgMembers: users join organisations by code (org_code,
// user_org_relation_list in both spellings) and list users filters by
// exact organisation; delete refuses an organisation with members, and a
// cascade removes the memberships but not the users.
func testOrgMembers(t *testing.T, g *gh, auth map[string]string) {
	newUser := func(body map[string]any) string {
		t.Helper()
		r := g.call("POST", "/api/v2/tenant/users", body, auth)
		if r.status != 201 {
			t.Fatalf("create user %v: %d %s", body, r.status, r.body)
		}
		return r.json(t)["user_id"].(string)
	}
	type rel struct{ org, typ string }
	wantOrgs := func(what, uid, home string, rels ...rel) map[string]any {
		t.Helper()
		r := g.call("GET", "/api/v2/tenant/users/"+uid, nil, auth)
		u := r.json(t)
		list := []any{}
		for _, x := range rels {
			list = append(list, map[string]any{"org_id": x.org, "relation_type": x.typ})
		}
		var h any
		if home != "" {
			h = home
		}
		wantJSON(t, what, r, 200, patched(u, map[string]any{"org_id": h, "user_org_relation_list": list}))
		return u
	}

	// Before any organisation exists, a new user is in none.
	nobody := newUser(map[string]any{"user_name": "nobody", "mobile": "13600000000"})
	wantOrgs("user created before any organisation", nobody, "")

	hq := newOrg(t, g, auth, map[string]any{"code": "HQ", "name": "Headquarters"})
	rnd := newOrg(t, g, auth, map[string]any{"code": "RND", "name": "Research", "parent_id": hq})
	web := newOrg(t, g, auth, map[string]any{"code": "WEB", "name": "Web", "parent_id": rnd})
	fin := newOrg(t, g, auth, map[string]any{"code": "FIN", "name": "Finance", "parent_id": hq})
	ops := newOrg(t, g, auth, map[string]any{"code": "OPS", "name": "Operations"})

	// Neither org_code nor a list: the first root organisation.
	zhao := newUser(map[string]any{"user_name": "zhao", "mobile": "13600000001"})
	wantOrgs("no organisation sent", zhao, hq, rel{hq, "0"})
	// org_code is home whatever relationType the list gives it (camelCase
	// entries, as in OneAccess's example); it reads back "0".
	lihua := newUser(map[string]any{"user_name": "lihua", "mobile": "13600000002", "org_code": "RND",
		"user_org_relation_list": []any{map[string]any{"orgCode": "RND", "relationType": 1}, map[string]any{"orgCode": "FIN", "relationType": 1}}})
	wantOrgs("org_code + camelCase list", lihua, rnd, rel{rnd, "0"}, rel{fin, "1"})
	// snake_case entries, relation types as strings, no org_code: type 0 is home.
	wang := newUser(map[string]any{"user_name": "wangfang", "mobile": "13600000003",
		"user_org_relation_list": []any{map[string]any{"org_code": "RND", "relation_type": "1"}, map[string]any{"org_code": "WEB", "relation_type": "0"}}})
	wantOrgs("snake_case list", wang, web, rel{web, "0"}, rel{rnd, "1"})
	// orgCode alone, at top level.
	chen := newUser(map[string]any{"user_name": "chen", "mobile": "13600000004", "orgCode": "OPS"})
	wantOrgs("orgCode alone", chen, ops, rel{ops, "0"})
	// Modify: org_code alone replaces the home and keeps the secondary ones.
	if r := g.call("PUT", "/api/v2/tenant/users/"+chen, map[string]any{"org_code": "FIN"}, auth); r.status != 200 {
		t.Fatalf("modify chen: %d %s", r.status, r.body)
	}
	wantOrgs("modified home", chen, fin, rel{fin, "0"})
	// Unknown codes.
	wantError(t, "unknown org_code", g.call("POST", "/api/v2/tenant/users", map[string]any{"user_name": "x1", "mobile": "13600000009", "org_code": "NOPE"}, auth), 400, errOrgUnknown)
	wantError(t, "unknown code in the list", g.call("POST", "/api/v2/tenant/users", map[string]any{"user_name": "x1", "mobile": "13600000009",
		"user_org_relation_list": []any{map[string]any{"orgCode": "NOPE", "relationType": 0}}}, auth), 400, errOrgUnknown)

	// List users with org_id: home or secondary members of exactly that
	// organisation, in creation order; sub-organisations do not count.
	members := func(org string) string {
		t.Helper()
		r := g.call("GET", "/api/v2/tenant/users?org_id="+url.QueryEscape(org)+"&offset=0&limit=10", nil, auth)
		m := r.json(t)
		if r.status != 200 {
			t.Fatalf("list users of %s: %d %s", org, r.status, r.body)
		}
		names := []string{}
		for _, u := range m["users"].([]any) {
			names = append(names, u.(map[string]any)["user_name"].(string))
		}
		return fmt.Sprintf("%v: %s", m["total"], strings.Join(names, " "))
	}
	for org, want := range map[string]string{hq: "1: zhao", rnd: "2: lihua wangfang", web: "1: wangfang", fin: "2: lihua chen", ops: "0: ", "": "5: nobody zhao lihua wangfang chen"} {
		if got := members(org); got != want {
			t.Errorf("users of %q = %q, want %q", org, got, want)
		}
	}
	wantError(t, "users of an unknown organisation", g.call("GET", "/api/v2/tenant/users?org_id="+ghostOrg, nil, auth), 400, errOrgUnknown)

	// Delete is refused while there are children or members.
	wantError(t, "delete RND (child WEB)", g.call("DELETE", orgsPath+"/"+rnd, nil, auth), 400, errOrgChildren)
	wantError(t, "delete WEB (home of wangfang)", g.call("DELETE", orgsPath+"/"+web, nil, auth), 400, errOrgMembers)
	wantError(t, "delete FIN (home of chen, secondary of lihua)", g.call("DELETE", orgsPath+"/"+fin, nil, auth), 400, errOrgMembers)
	if r := g.call("DELETE", orgsPath+"/"+ops, nil, auth); r.status != 204 {
		t.Errorf("delete the empty OPS: %d %s", r.status, r.body)
	}

	// A cascade delete of RND's subtree removes the memberships in it; the
	// users stay, and their updated_at moves so that incremental sync
	// sees the change.
	latest := ""
	for _, u := range g.call("GET", "/api/v2/tenant/users?offset=0&limit=10", nil, auth).json(t)["users"].([]any) {
		if s := u.(map[string]any)["updated_at"].(string); s > latest {
			latest = s
		}
	}
	if r := g.call("DELETE", orgsPath+"/"+rnd+"?cascade=true", nil, auth); r.status != 204 || len(r.body) != 0 {
		t.Fatalf("cascade delete RND: %d %q", r.status, r.body)
	}
	wantOrgs("lihua after the cascade: home gone, FIN kept", lihua, "", rel{fin, "1"})
	wantOrgs("wangfang after the cascade: no organisation", wang, "")
	wantOrgs("zhao untouched", zhao, hq, rel{hq, "0"})
	if got := members(""); got != "5: nobody zhao lihua wangfang chen" {
		t.Errorf("users after the cascade = %q", got)
	}
	if got := members(fin); got != "2: lihua chen" {
		t.Errorf("FIN's users after the cascade = %q", got)
	}
	r := g.call("GET", "/api/v2/tenant/users?offset=0&limit=10&updated_at_greater="+url.QueryEscape(latest), nil, auth)
	changed := []string{}
	for _, u := range r.json(t)["users"].([]any) {
		changed = append(changed, u.(map[string]any)["user_name"].(string))
	}
	if strings.Join(changed, " ") != "lihua wangfang" {
		t.Errorf("users updated after %s: %v (%s), want lihua and wangfang", latest, changed, r.body)
	}
	wantError(t, "WEB went with RND", g.call("GET", orgsPath+"/"+web, nil, auth), 400, errOrgUnknown)
	// The deleted codes are unknown to the user calls now.
	wantError(t, "join a deleted organisation", g.call("PUT", "/api/v2/tenant/users/"+lihua, map[string]any{"org_code": "WEB"}, auth), 400, errOrgUnknown)
	// FIN still has members; HQ's delete is refused for its child FIN.
	wantError(t, "delete HQ", g.call("DELETE", orgsPath+"/"+hq, nil, auth), 400, errOrgChildren)
	wantError(t, "delete FIN", g.call("DELETE", orgsPath+"/"+fin, nil, auth), 400, errOrgMembers)
}

// testOrgPermissions: organisation calls need org_all (or all).
func testOrgPermissions(t *testing.T, g *gh, root map[string]string) {
	org := newOrg(t, g, root, map[string]any{"code": "PERM", "name": "Permissions"})
	client := func(name string, perms ...string) map[string]string {
		t.Helper()
		r := g.call("POST", appsPath, map[string]any{"name": name, "protocol": "saml", "saml": samlFor(name), "api_permissions": perms}, root)
		if r.status != 201 {
			t.Fatalf("register %s: %d %s", name, r.status, r.body)
		}
		m := r.json(t)
		return bearer(wantToken(t, g, name, m["client_id"].(string), m["client_secret"].(string), nil))
	}
	for _, c := range []struct {
		name  string
		perms []string
	}{{"User reader", []string{"user_read"}}, {"User admin", []string{"user_all"}}, {"App orgs", []string{"app_org_all"}}} {
		auth := client(c.name, c.perms...)
		calls := []struct {
			method, path string
			body         any
		}{
			{"POST", orgsPath, map[string]any{"code": "NO", "name": "No"}},
			{"PUT", orgsPath + "/" + org, map[string]any{"name": "No"}},
			{"DELETE", orgsPath + "/" + org, nil},
			{"GET", orgsPath + "/" + org, nil},
			{"GET", orgsPath + "?offset=0&limit=10", nil},
			{"GET", orgsPath + "/" + ghostOrg, nil}, // 403 before the lookup
		}
		for _, call := range calls {
			wantError(t, c.name+": "+call.method+" "+call.path, g.call(call.method, call.path, call.body, auth), 403, errDenied)
		}
	}
	if r := g.call("GET", "/api/v2/tenant/users?offset=0&limit=10", nil, client("User reader 2", "user_read")); r.status != 200 {
		t.Errorf("user_read client lists users: %d %s", r.status, r.body)
	}
	// org_all: organisations yes, users no.
	orgAdmin := client("Org admin", "org_all")
	wantError(t, "org_all gets", g.call("GET", orgsPath+"/"+org, nil, orgAdmin), 200, orgBody(org, "PERM", "Permissions", "", "department"))
	child := newOrg(t, g, orgAdmin, map[string]any{"code": "PERM-1", "name": "Child", "parent_id": org})
	if r := g.call("DELETE", orgsPath+"/"+org+"?cascade=true", nil, orgAdmin); r.status != 204 {
		t.Errorf("org_all cascade delete: %d %s", r.status, r.body)
	}
	wantError(t, "child gone", g.call("GET", orgsPath+"/"+child, nil, root), 400, errOrgUnknown)
	wantError(t, "org_all lists users", g.call("GET", "/api/v2/tenant/users?offset=0&limit=10", nil, orgAdmin), 403, errDenied)
	// No token, a bad token.
	wantError(t, "no token", g.call("GET", orgsPath, nil, nil), 401,
		`{"error":"unauthorized","error_description":"Full authentication is required to access this resource"}`)
	wantError(t, "bad token", g.call("POST", orgsPath, map[string]any{"code": "NO", "name": "No"}, bearer("5f0c2a8e-9b7d-4c1e-a3f2-6d8b1e4c7a90")), 401, errInvalidToken)
}

// testOrgTenants: an organisation of one tenant does not exist for
// another, and its code is free there.
func testOrgTenants(t *testing.T, g *gh, root map[string]string) {
	a := orgTenant(t, g, root, "orgs-a.example.test")
	b := orgTenant(t, g, root, "orgs-b.example.test")
	hqA := newOrg(t, g, a, map[string]any{"code": "HQ", "name": "Headquarters"})
	childA := newOrg(t, g, a, map[string]any{"code": "HQ-1", "name": "Child", "parent_id": hqA})
	for _, id := range []string{hqA, childA} {
		wantError(t, "B gets A's organisation", g.call("GET", orgsPath+"/"+id, nil, b), 400, errOrgUnknown)
		wantError(t, "B modifies A's organisation", g.call("PUT", orgsPath+"/"+id, map[string]any{"name": "Taken"}, b), 400, errOrgUnknown)
		wantError(t, "B deletes A's organisation", g.call("DELETE", orgsPath+"/"+id, nil, b), 400, errOrgUnknown)
		wantError(t, "B cascade-deletes A's organisation", g.call("DELETE", orgsPath+"/"+id+"?cascade=true", nil, b), 400, errOrgUnknown)
		wantError(t, "B lists under A's organisation", g.call("GET", orgsPath+"?org_id="+id+"&all_child=true", nil, b), 400, errOrgUnknown)
		wantError(t, "B lists its users", g.call("GET", "/api/v2/tenant/users?org_id="+id, nil, b), 400, errOrgUnknown)
		wantError(t, "the default tenant gets A's organisation", g.call("GET", orgsPath+"/"+id, nil, root), 400, errOrgUnknown)
	}
	wantError(t, "B creates under A's organisation", g.call("POST", orgsPath, map[string]any{"code": "X", "name": "X", "parent_id": hqA}, b), 400, errOrgNoParent)
	wantError(t, "B joins a user to A's code", g.call("POST", "/api/v2/tenant/users", map[string]any{"user_name": "u", "mobile": "13500000000", "org_code": "HQ"}, b), 400, errOrgUnknown)
	// The same code and name are free in B.
	hqB := newOrg(t, g, b, map[string]any{"code": "HQ", "name": "Headquarters"})
	if hqB == hqA {
		t.Fatal("two tenants share an organisation id")
	}
	wantError(t, "A's HQ unchanged", g.call("GET", orgsPath+"/"+hqA, nil, a), 200, orgBody(hqA, "HQ", "Headquarters", "", "department"))
	wantError(t, "B sees only its own", g.call("GET", orgsPath+"?all_child=true", nil, b), 200, `{"total":1,"organizations":[`+orgBody(hqB, "HQ", "Headquarters", "", "department")+"]}")
	if got := orgList(t, g, a, "all_child=true"); got != "2: HQ HQ-1" {
		t.Errorf("A's tree = %q", got)
	}
	// A user of B joins B's HQ, not A's.
	r := g.call("POST", "/api/v2/tenant/users", map[string]any{"user_name": "u", "mobile": "13500000000", "org_code": "HQ"}, b)
	if r.status != 201 {
		t.Fatalf("user in B: %d %s", r.status, r.body)
	}
	if u := g.call("GET", "/api/v2/tenant/users/"+r.json(t)["user_id"].(string), nil, b).json(t); u["org_id"] != hqB {
		t.Errorf("B's user joined %v, want B's HQ %s", u["org_id"], hqB)
	}
	// X-tenant-id selects the tenant too.
	wantError(t, "unknown X-tenant-id", g.call("GET", orgsPath+"/"+hqA, nil, with(b, "X-tenant-id", "nope")), 400,
		`{"error_code":"TENANT.0001","error_msg":"Tenant does not exist."}`)
}
