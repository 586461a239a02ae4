package mgmt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// The OpenAPI document (openapi.json, embedded as openAPI) must describe
// exactly the routes the server mounts, (&API{}).Routes(). These tests keep
// the two equal and the document well-formed; they use only the standard
// library.

// oaTokenPath is the one public route (no bearer token): unlike the others
// it need not list 400 and 401 (it does list them, in error shape B).
const oaTokenPath = "/api/v2/tenant/token"

// oaMethods are the operation keys of an OpenAPI path item.
var oaMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

type openAPIOp struct {
	method, path string
	op           map[string]any
	item         map[string]any // the path item, for path-level parameters
}

func (o openAPIOp) String() string { return strings.ToUpper(o.method) + " " + o.path }

func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	if !json.Valid(openAPI) {
		t.Fatal("openapi.json is not valid JSON")
	}
	var doc map[string]any
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return doc
}

// openAPIOps lists every operation of the document, in path then method order.
func openAPIOps(t *testing.T, doc map[string]any) []openAPIOp {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("openapi.json: paths is not an object")
	}
	var out []openAPIOp
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		item, ok := paths[p].(map[string]any)
		if !ok {
			t.Fatalf("openapi.json: path %s is not an object", p)
		}
		for _, m := range oaMethods {
			if op, ok := item[m].(map[string]any); ok {
				out = append(out, openAPIOp{method: m, path: p, op: op, item: item})
			}
		}
	}
	return out
}

func TestOpenAPIIsValidJSON303(t *testing.T) {
	doc := loadOpenAPI(t)
	if v := doc["openapi"]; v != "3.0.3" {
		t.Fatalf(`openapi.json: "openapi" is %v, want "3.0.3"`, v)
	}
	info, _ := doc["info"].(map[string]any)
	if s, _ := info["title"].(string); s == "" {
		t.Error("openapi.json: info.title is missing")
	}
	if s, _ := info["version"].(string); s == "" {
		t.Error("openapi.json: info.version is missing")
	}
	if _, ok := doc["components"].(map[string]any); !ok {
		t.Error("openapi.json: components is missing")
	}
}

// TestOpenAPIMatchesRoutes compares the documented (method, path) pairs with
// Routes() both ways, and each operation's permission and security with the
// route's Perm.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	routes := map[string]Route{}
	for _, rt := range (&API{}).Routes() {
		k := rt.Method + " " + rt.Path
		if _, dup := routes[k]; dup {
			t.Errorf("Routes() lists %s twice", k)
		}
		routes[k] = rt
	}
	documented := map[string]openAPIOp{}
	for _, o := range openAPIOps(t, doc) {
		documented[o.String()] = o
	}
	for _, k := range slices.Sorted(maps.Keys(routes)) {
		if _, ok := documented[k]; !ok {
			t.Errorf("route %s is served (api.go Routes) but missing from openapi.json", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(documented)) {
		if _, ok := routes[k]; !ok {
			t.Errorf("openapi.json documents %s, which is not in Routes() (api.go)", k)
		}
	}

	rootSec := doc["security"]
	for _, k := range slices.Sorted(maps.Keys(documented)) {
		o, rt := documented[k], routes[k]
		if _, ok := routes[k]; !ok {
			continue
		}
		perm, ok := o.op["x-gatehouse-permission"].(string)
		if !ok || perm != rt.Perm {
			t.Errorf("%s: x-gatehouse-permission is %q, Routes() says %q", k, o.op["x-gatehouse-permission"], rt.Perm)
		}
		sec, ok := o.op["security"]
		if !ok {
			sec = rootSec
		}
		reqs, _ := sec.([]any)
		if rt.Perm == "" {
			// Public: some alternative must not need the bearer token.
			public := false
			for _, r := range reqs {
				if m, _ := r.(map[string]any); m["bearerAuth"] == nil {
					public = true
				}
			}
			if !public {
				t.Errorf("%s is public in Routes() but openapi.json requires bearerAuth", k)
			}
			continue
		}
		if len(reqs) != 1 || !reflect.DeepEqual(reqs[0], map[string]any{"bearerAuth": []any{}}) {
			t.Errorf("%s needs permission %q, so its security must be exactly [{bearerAuth: []}]; got %v", k, rt.Perm, sec)
		}
	}
}

// TestOpenAPIOperations checks what every operation must carry.
func TestOpenAPIOperations(t *testing.T) {
	doc := loadOpenAPI(t)
	ids := map[string]string{}
	pathParam := regexp.MustCompile(`\{([^}]+)\}`)
	for _, o := range openAPIOps(t, doc) {
		id, _ := o.op["operationId"].(string)
		if id == "" {
			t.Errorf("%s: no operationId", o)
		} else if prev, dup := ids[id]; dup {
			t.Errorf("%s: operationId %q is also used by %s", o, id, prev)
		}
		ids[id] = o.String()
		if s, _ := o.op["summary"].(string); strings.TrimSpace(s) == "" {
			t.Errorf("%s: no summary", o)
		}

		responses, _ := o.op["responses"].(map[string]any)
		has2xx := false
		for code := range responses {
			if len(code) == 3 && code[0] == '2' {
				has2xx = true
			}
		}
		if !has2xx {
			t.Errorf("%s: no 2xx response", o)
		}
		if o.path != oaTokenPath {
			for _, code := range []string{"400", "401"} {
				if _, ok := responses[code]; !ok {
					t.Errorf("%s: no %s response", o, code)
				}
			}
		}
		for _, code := range slices.Sorted(maps.Keys(responses)) {
			resp := oaDeref(doc, responses[code])
			content, hasContent := resp["content"].(map[string]any)
			if desc, _ := resp["description"].(string); desc == "" {
				t.Errorf("%s: response %s has no description", o, code)
			}
			if code == "204" {
				if hasContent {
					t.Errorf("%s: response 204 must have no content", o)
				}
				continue
			}
			if !hasContent {
				t.Errorf("%s: response %s has no content", o, code)
			}
			for mt, m := range content {
				if !oaHasExample(m) {
					t.Errorf("%s: response %s (%s) has no example", o, code, mt)
				}
			}
		}
		if rb, ok := o.op["requestBody"]; ok {
			content, _ := oaDeref(doc, rb)["content"].(map[string]any)
			if len(content) == 0 {
				t.Errorf("%s: requestBody has no content", o)
			}
			for mt, m := range content {
				if !oaHasExample(m) {
					t.Errorf("%s: request body (%s) has no example", o, mt)
				}
			}
		}

		// Path parameters: exactly the template's, each in:path and required.
		declared := map[string]bool{}
		for _, list := range []any{o.item["parameters"], o.op["parameters"]} {
			ps, _ := list.([]any)
			for _, p := range ps {
				pm := oaDeref(doc, p)
				if pm["in"] != "path" {
					continue
				}
				name, _ := pm["name"].(string)
				declared[name] = true
				if pm["required"] != true {
					t.Errorf("%s: path parameter %q must be required", o, name)
				}
			}
		}
		for _, m := range pathParam.FindAllStringSubmatch(o.path, -1) {
			if !declared[m[1]] {
				t.Errorf("%s: path parameter {%s} is not declared", o, m[1])
			}
			delete(declared, m[1])
		}
		for name := range declared {
			t.Errorf("%s: declares path parameter %q that the path does not have", o, name)
		}
	}
}

func oaHasExample(mediaType any) bool {
	m, _ := mediaType.(map[string]any)
	if _, ok := m["example"]; ok {
		return true
	}
	ex, _ := m["examples"].(map[string]any)
	return len(ex) > 0
}

// TestOpenAPIRefsResolve checks that every $ref points into the document,
// and that every component is used.
func TestOpenAPIRefsResolve(t *testing.T) {
	doc := loadOpenAPI(t)
	used := map[string]bool{}
	oaWalk(doc, "#", func(at string, node map[string]any) {
		v, ok := node["$ref"]
		if !ok {
			return
		}
		ref, ok := v.(string)
		if !ok {
			t.Errorf("%s: $ref is not a string", at)
			return
		}
		if _, err := oaResolve(doc, ref); err != nil {
			t.Errorf("%s: $ref %q: %v", at, ref, err)
		}
		used[ref] = true
	})
	comps, _ := doc["components"].(map[string]any)
	for _, kind := range []string{"schemas", "parameters", "responses", "examples", "requestBodies", "headers"} {
		group, _ := comps[kind].(map[string]any)
		for name := range group {
			if ref := "#/components/" + kind + "/" + name; !used[ref] {
				t.Errorf("%s is defined but never referenced", ref)
			}
		}
	}
}

// TestOpenAPIExamplesMatchSchemas validates every example (of media types,
// parameters, headers and schemas) against its schema, so that the
// examples cannot drift from the shapes they illustrate.
func TestOpenAPIExamplesMatchSchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	n := 0
	check := func(at string, schema, value any) {
		n++
		for _, e := range oaValidate(doc, schema, value, "") {
			t.Errorf("%s: example does not match its schema: %s", at, e)
		}
	}
	oaWalk(doc, "#", func(at string, node map[string]any) {
		if schema, ok := node["schema"]; ok { // media type, parameter or header
			if ex, ok := node["example"]; ok {
				check(at+"/example", schema, ex)
			}
			exs, _ := node["examples"].(map[string]any)
			for _, name := range slices.Sorted(maps.Keys(exs)) {
				e := oaDeref(doc, exs[name])
				v, ok := e["value"]
				if !ok {
					t.Errorf("%s/examples/%s: no value", at, name)
					continue
				}
				check(at+"/examples/"+name, schema, v)
			}
			return
		}
		if ex, ok := node["example"]; ok && oaIsSchema(node) {
			check(at+"/example", node, ex)
		}
	})
	if n < 50 {
		t.Errorf("checked only %d examples; the walk is broken", n)
	}
}

func oaIsSchema(m map[string]any) bool {
	for _, k := range []string{"type", "properties", "allOf", "oneOf", "anyOf", "items"} {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

func TestOpenAPIHandler(t *testing.T) {
	rec := httptest.NewRecorder()
	OpenAPIHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/openapi.json", nil))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/openapi.json: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if !bytes.Equal(rec.Body.Bytes(), openAPI) {
		t.Fatal("GET /api/openapi.json does not serve the embedded document")
	}
}

// oaWalk calls fn on every object of the document with its JSON-pointer
// location. Example payloads are data, not document structure, so it does
// not descend into them.
func oaWalk(node any, at string, fn func(at string, node map[string]any)) {
	switch v := node.(type) {
	case map[string]any:
		fn(at, v)
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if k == "example" || (k == "value" && strings.Contains(at, "/examples/")) {
				continue
			}
			oaWalk(v[k], at+"/"+oaEscape(k), fn)
		}
	case []any:
		for i, e := range v {
			oaWalk(e, at+"/"+strconv.Itoa(i), fn)
		}
	}
}

func oaEscape(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// oaResolve follows a local JSON pointer ("#/components/schemas/X").
func oaResolve(doc map[string]any, ref string) (any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("only local references (#/...) are allowed")
	}
	var cur any = doc
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%q is not inside an object", tok)
		}
		if cur, ok = m[tok]; !ok {
			return nil, fmt.Errorf("%q not found", tok)
		}
	}
	return cur, nil
}

// oaDeref returns the object node refers to (following $ref chains), or node.
func oaDeref(doc map[string]any, node any) map[string]any {
	for range 10 {
		m, _ := node.(map[string]any)
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		node, _ = oaResolve(doc, ref)
	}
	return nil
}

// oaValidate checks v against the subset of OpenAPI 3.0 schema keywords the
// document uses, returning one line per violation.
func oaValidate(doc map[string]any, schemaNode, v any, at string) []string {
	where := at
	if where == "" {
		where = "(root)"
	}
	s := oaDeref(doc, schemaNode)
	if s == nil {
		return []string{where + ": unresolvable schema"}
	}
	bad := func(format string, args ...any) []string {
		return []string{where + ": " + fmt.Sprintf(format, args...)}
	}
	if v == nil {
		if s["nullable"] == true {
			return nil
		}
		if _, typed := s["type"]; typed {
			return bad("null but the schema is not nullable")
		}
	}
	var errs []string
	if typ, ok := s["type"].(string); ok && v != nil {
		if !oaHasType(v, typ) {
			return bad("%s is not of type %s", oaShort(v), typ)
		}
	}
	if enum, ok := s["enum"].([]any); ok && v != nil {
		if !slices.ContainsFunc(enum, func(e any) bool { return reflect.DeepEqual(e, v) }) {
			errs = append(errs, bad("%s is not one of %v", oaShort(v), enum)...)
		}
	}
	switch x := v.(type) {
	case string:
		n := float64(utf8.RuneCountInString(x))
		if min, ok := s["minLength"].(float64); ok && n < min {
			errs = append(errs, bad("%q is shorter than %v", x, min)...)
		}
		if max, ok := s["maxLength"].(float64); ok && n > max {
			errs = append(errs, bad("%q is longer than %v", x, max)...)
		}
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(x) {
			errs = append(errs, bad("%q does not match %s", x, p)...)
		}
	case float64:
		if min, ok := s["minimum"].(float64); ok && x < min {
			errs = append(errs, bad("%v is below %v", x, min)...)
		}
		if max, ok := s["maximum"].(float64); ok && x > max {
			errs = append(errs, bad("%v is above %v", x, max)...)
		}
	case map[string]any:
		req, _ := s["required"].([]any)
		for _, r := range req {
			if _, ok := x[r.(string)]; !ok {
				errs = append(errs, bad("required field %q is missing", r)...)
			}
		}
		if max, ok := s["maxProperties"].(float64); ok && float64(len(x)) > max {
			errs = append(errs, bad("more than %v properties", max)...)
		}
		props, _ := s["properties"].(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if ps, ok := props[k]; ok {
				errs = append(errs, oaValidate(doc, ps, x[k], at+"."+k)...)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					errs = append(errs, bad("field %q is not allowed", k)...)
				}
			case map[string]any:
				errs = append(errs, oaValidate(doc, ap, x[k], at+"."+k)...)
			}
		}
	case []any:
		if max, ok := s["maxItems"].(float64); ok && float64(len(x)) > max {
			errs = append(errs, bad("more than %v items", max)...)
		}
		if items, ok := s["items"]; ok {
			for i, e := range x {
				errs = append(errs, oaValidate(doc, items, e, at+"["+strconv.Itoa(i)+"]")...)
			}
		}
	}
	if all, ok := s["allOf"].([]any); ok {
		for _, sub := range all {
			errs = append(errs, oaValidate(doc, sub, v, at)...)
		}
	}
	if anyOf, ok := s["anyOf"].([]any); ok {
		if oaMatches(doc, anyOf, v, at) == 0 {
			errs = append(errs, bad("%s matches none of anyOf", oaShort(v))...)
		}
	}
	if oneOf, ok := s["oneOf"].([]any); ok {
		if n := oaMatches(doc, oneOf, v, at); n != 1 {
			errs = append(errs, bad("%s matches %d of oneOf, want exactly 1", oaShort(v), n)...)
		}
	}
	return errs
}

func oaMatches(doc map[string]any, schemas []any, v any, at string) int {
	n := 0
	for _, sub := range schemas {
		if len(oaValidate(doc, sub, v, at)) == 0 {
			n++
		}
	}
	return n
}

func oaHasType(v any, typ string) bool {
	switch typ {
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	}
	return false
}

func oaShort(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}
