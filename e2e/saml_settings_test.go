package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/crewjam/saml"

	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore"
)

// TestSAMLSettings: the saml object of an application: registration from
// metadata_url (fetched by the server), the fields it fills, a unique
// entity id, and every validation error with its code and field.
func TestSAMLSettings(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { testSAMLSettings(t, b.dsn(t)) })
	}
}

func testSAMLSettings(t *testing.T, dsn string) {
	g := start(t, dsn)
	auth := bearer(g.token(clientID, clientSecret, nil))
	sp := newSP(t, g, "fetched", saml.HTTPPostBinding)
	spXML := spMetadataXML(t, sp)
	var fetches atomic.Int32
	mdSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		switch r.URL.Path {
		case "/metadata":
			w.Write([]byte(spXML))
		case "/big":
			w.Write([]byte("<x>" + strings.Repeat(" ", 600<<10) + "</x>"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer mdSrv.Close()

	r := g.call("POST", appsPath, map[string]any{"name": "Fetched", "protocol": "saml",
		"saml": map[string]any{"metadata_url": mdSrv.URL + "/metadata", "sign_response": true}}, auth)
	if r.status != 201 {
		t.Fatalf("register from metadata_url: %d %s", r.status, r.body)
	}
	s := r.json(t)["saml"].(map[string]any)
	acs := s["acs"].([]any)[0].(map[string]any)
	if s["entity_id"] != sp.EntityID || acs["url"] != sp.AcsURL.String() || s["slo_url"] != sp.SloURL.String() || s["slo_binding"] != "post" ||
		s["want_authn_requests_signed"] != true || len(s["sp_signing_certs"].([]any)) != 1 || !strings.HasPrefix(s["sp_encryption_cert"].(string), "-----BEGIN CERTIFICATE-----") ||
		s["sign_response"] != true || s["sign_assertion"] != true {
		t.Errorf("imported settings: %s", r.body)
	}
	if _, ok := s["metadata_url"]; ok {
		t.Error("metadata_url is kept in the settings")
	}
	id := r.json(t)["application_id"].(string)
	// Modify keeps what is not sent.
	r = g.call("PUT", appsPath+"/"+id, map[string]any{"saml": map[string]any{"assertion_lifetime": 120}}, auth)
	if r.status != 200 {
		t.Fatalf("modify: %d %s", r.status, r.body)
	}
	if s := g.call("GET", appsPath+"/"+id, nil, auth).json(t)["saml"].(map[string]any); s["assertion_lifetime"] != float64(120) || s["entity_id"] != sp.EntityID {
		t.Errorf("after modify: %v", s)
	}

	bad := func(what string, settings map[string]any, code, field string) {
		t.Helper()
		body := map[string]any{"name": "Bad", "protocol": "saml"}
		if settings != nil {
			body["saml"] = settings
		}
		r := g.call("POST", appsPath, body, auth)
		m := map[string]any{}
		if r.status == 400 {
			m = r.json(t)
		}
		if r.status != 400 || m["error_code"] != code || !strings.Contains(m["error_msg"].(string), field) {
			t.Errorf("%s: %d %s (want %s naming %s)", what, r.status, r.body, code, field)
		}
	}
	ok := func(extra map[string]any) map[string]any {
		out := samlFor("Bad")
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	bad("no saml object", nil, "APP.0036", "saml.entity_id")
	bad("entity id with a space", ok(map[string]any{"entity_id": "https://x y"}), "APP.0036", "saml.entity_id")
	bad("entity id taken", ok(map[string]any{"entity_id": sp.EntityID}), "APP.0044", "saml.entity_id")
	bad("no acs", ok(map[string]any{"acs": []any{}}), "APP.0037", "saml.acs")
	bad("acs not a URL", ok(map[string]any{"acs": []map[string]any{{"url": "javascript:alert(1)"}}}), "APP.0037", "saml.acs")
	bad("acs with redirect binding", ok(map[string]any{"acs": []map[string]any{{"url": "https://a.example.com/acs", "binding": "redirect"}}}), "APP.0037", "saml.acs")
	bad("acs index twice", ok(map[string]any{"acs": []map[string]any{{"url": "https://a.example.com/1", "index": 1}, {"url": "https://a.example.com/2", "index": 1}}}), "APP.0037", "saml.acs")
	bad("two default acs", ok(map[string]any{"acs": []map[string]any{{"url": "https://a.example.com/1", "index": 1, "default": true}, {"url": "https://a.example.com/2", "index": 2, "default": true}}}), "APP.0037", "saml.acs")
	bad("slo url", ok(map[string]any{"slo_url": "ftp://x.example.com"}), "APP.0038", "saml.slo_url")
	bad("slo binding", ok(map[string]any{"slo_binding": "soap"}), "APP.0038", "saml.slo_binding")
	bad("signing cert", ok(map[string]any{"sp_signing_certs": []string{"not a certificate"}}), "APP.0039", "saml.sp_signing_certs")
	bad("encryption cert", ok(map[string]any{"sp_encryption_cert": "MIIB"}), "APP.0039", "saml.sp_encryption_cert")
	bad("name id format", ok(map[string]any{"name_id_format": "kerberos"}), "APP.0040", "saml.name_id_format")
	bad("name id source", ok(map[string]any{"name_id_source": "password"}), "APP.0040", "saml.name_id_source")
	bad("assertion lifetime", ok(map[string]any{"assertion_lifetime": 5}), "APP.0041", "saml.assertion_lifetime")
	bad("nothing signed", ok(map[string]any{"sign_assertion": false}), "APP.0042", "saml.sign_assertion")
	bad("signed requests without certs", ok(map[string]any{"want_authn_requests_signed": true}), "APP.0042", "saml.want_authn_requests_signed")
	bad("encryption without cert", ok(map[string]any{"encrypt_assertion": true}), "APP.0042", "saml.encrypt_assertion")
	bad("encryption method", ok(map[string]any{"encryption_method": "aes128-cbc"}), "APP.0042", "saml.encryption_method")
	bad("metadata not XML", map[string]any{"metadata_xml": "{}"}, "APP.0043", "metadata")
	bad("metadata with a DTD", map[string]any{"metadata_xml": `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>` + spXML}, "APP.0043", "DTD")
	bad("metadata_url not found", map[string]any{"metadata_url": mdSrv.URL + "/nope"}, "APP.0043", "saml.metadata_url")
	bad("metadata_url too large", map[string]any{"metadata_url": mdSrv.URL + "/big"}, "APP.0043", "saml.metadata_url")
	bad("metadata_url not http", map[string]any{"metadata_url": "file:///etc/passwd"}, "APP.0043", "saml.metadata_url")
	r = g.call("POST", appsPath, map[string]any{"name": "Bad", "protocol": "cas", "saml": samlFor("x"),
		"cas": map[string]any{"service_patterns": []string{"https://c.example.com/"}}}, auth)
	wantError(t, "saml on a cas app", r, 400, `{"error_code":"APP.0010","error_msg":"The saml settings apply only to saml applications."}`)

	// The protocol, the application and the metadata fields are checked
	// before the metadata_url is fetched.
	notSAML := `{"error_code":"APP.0010","error_msg":"The saml settings apply only to saml applications."}`
	both := `{"error_code":"APP.0043","error_msg":"The saml.metadata_xml and saml.metadata_url cannot both be sent: send the metadata inline or by URL, not both."}`
	unfetched := func(what string, r resp, status int, body string) {
		t.Helper()
		wantError(t, what, r, status, body)
		if n := fetches.Swap(0); n != 0 {
			t.Errorf("%s: the metadata_url was fetched %d times", what, n)
		}
	}
	fetches.Store(0)
	unfetched("metadata_url on a cas app", g.call("POST", appsPath, map[string]any{"name": "Cas", "protocol": "cas",
		"saml": map[string]any{"metadata_url": mdSrv.URL + "/nope"}, "cas": map[string]any{"service_patterns": []string{"https://c.example.com/"}}}, auth),
		400, notSAML)
	r = g.call("POST", appsPath, map[string]any{"name": "Cas", "protocol": "cas", "cas": map[string]any{"service_patterns": []string{"https://c.example.com/"}}}, auth)
	if r.status != 201 {
		t.Fatalf("register cas: %d %s", r.status, r.body)
	}
	casID := r.json(t)["application_id"].(string)
	unfetched("metadata_url to a cas app", g.call("PUT", appsPath+"/"+casID, map[string]any{"saml": map[string]any{"metadata_url": mdSrv.URL + "/nope"}}, auth),
		400, notSAML)
	unfetched("metadata_url to an unknown application", g.call("PUT", appsPath+"/20200101000000000-0000-000000000",
		map[string]any{"saml": map[string]any{"metadata_url": mdSrv.URL + "/metadata"}}, auth), 400, errAppUnknown)
	unfetched("both metadata fields", g.call("POST", appsPath, map[string]any{"name": "Both", "protocol": "saml",
		"saml": map[string]any{"metadata_url": mdSrv.URL + "/metadata", "metadata_xml": spXML}}, auth), 400, both)
	unfetched("both metadata fields on modify", g.call("PUT", appsPath+"/"+id,
		map[string]any{"saml": map[string]any{"metadata_url": mdSrv.URL + "/metadata", "metadata_xml": spXML}}, auth), 400, both)
	wantError(t, "metadata_url not found", g.call("POST", appsPath, map[string]any{"name": "Bad", "protocol": "saml",
		"saml": map[string]any{"metadata_url": mdSrv.URL + "/nope"}}, auth), 400,
		`{"error_code":"APP.0043","error_msg":"The saml.metadata_url could not be read: HTTP status 404."}`)
	wantError(t, "metadata_url too large", g.call("PUT", appsPath+"/"+id, map[string]any{"saml": map[string]any{"metadata_url": mdSrv.URL + "/big"}}, auth), 400,
		`{"error_code":"APP.0043","error_msg":"The saml.metadata_url could not be read: the document is larger than 512 KiB."}`)
	if n := fetches.Swap(0); n != 2 {
		t.Errorf("%d fetches, want 2", n)
	}

	// URL messages name every rule.
	urlRule := "an absolute http(s) URL of at most 2048 characters, without user info, fragment, spaces or control characters."
	wantError(t, "acs with user info", g.call("POST", appsPath, map[string]any{"name": "Bad", "protocol": "saml",
		"saml": ok(map[string]any{"acs": []map[string]any{{"url": "https://u:p@a.example.com/acs"}}})}, auth), 400,
		`{"error_code":"APP.0037","error_msg":"The saml.acs url \"https://u:p@a.example.com/acs\" must be `+urlRule+`"}`)
	wantError(t, "slo_url too long", g.call("POST", appsPath, map[string]any{"name": "Bad", "protocol": "saml",
		"saml": ok(map[string]any{"slo_url": "https://a.example.com/" + strings.Repeat("x", 2048)})}, auth), 400,
		`{"error_code":"APP.0038","error_msg":"The saml.slo_url must be `+urlRule+`"}`)

	// Metadata with more than 4 signing certificates is a metadata error,
	// unless the write chooses the certificates.
	der := sp.Certificate.Raw
	manyCerts := ""
	for i := range 5 {
		_, c := spKey(t, "extra"+string(rune('a'+i)))
		manyCerts += `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>` +
			base64.StdEncoding.EncodeToString(c.Raw) + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`
	}
	fiveXML := `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://five.example.com/md">` +
		`<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` + manyCerts +
		`<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://five.example.com/acs" index="0"/>` +
		`</md:SPSSODescriptor></md:EntityDescriptor>`
	wantError(t, "metadata with five signing certificates", g.call("POST", appsPath, map[string]any{"name": "Five", "protocol": "saml",
		"saml": map[string]any{"metadata_xml": fiveXML}}, auth), 400,
		`{"error_code":"APP.0043","error_msg":"The service provider metadata cannot be used: it has 5 signing certificates, and at most 4 are accepted (send saml.sp_signing_certs to choose them)."}`)
	r = g.call("POST", appsPath, map[string]any{"name": "Five", "protocol": "saml",
		"saml": map[string]any{"metadata_xml": fiveXML, "sp_signing_certs": []string{base64.StdEncoding.EncodeToString(der)}}}, auth)
	if r.status != 201 || len(r.json(t)["saml"].(map[string]any)["sp_signing_certs"].([]any)) != 1 {
		t.Errorf("five in the metadata, one chosen: %d %s", r.status, r.body)
	}

	testLegacySAMLApp(t, g, dsn, auth)
}

// testLegacySAMLApp: a saml application registered before Gatehouse spoke
// SAML (settings {}, no entity id) reads back, lists, and takes writes
// that leave its saml object alone; a write that sends saml completes it.
// Until then no service provider can sign in to it.
func testLegacySAMLApp(t *testing.T, g *gh, dsn string, auth map[string]string) {
	r := g.call("POST", appsPath, map[string]any{"name": "Legacy SAML", "protocol": "saml", "saml": samlFor("Legacy SAML")}, auth)
	if r.status != 201 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	id := r.json(t)["application_id"].(string)
	// Make it what an application of the previous version is.
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Apps().Update(ctx, storage.DefaultTenantID, id, func(a *storage.Application) error {
		a.Settings = json.RawMessage(`{}`)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := store.Apps().SetSAMLEntityID(ctx, storage.DefaultTenantID, id, ""); err != nil {
		t.Fatal(err)
	}
	one := appsPath + "/" + id
	if s := g.call("GET", one, nil, auth).json(t)["saml"].(map[string]any); s["entity_id"] != "" || len(s["acs"].([]any)) != 0 {
		t.Errorf("legacy saml settings: %v", s)
	}
	if p := g.call("GET", samlSSO+"?sp="+"https://sp.example.com/Legacy%2520SAML", nil, nil); p.status != 400 ||
		!strings.Contains(string(p.body), "is not registered with this identity provider.") {
		t.Errorf("sign-in to the legacy app: %d %s", p.status, p.body)
	}
	r = g.call("PUT", one, map[string]any{"description": "from before SAML", "access_policy": "all_users"}, auth)
	if r.status != 200 || r.json(t)["description"] != "from before SAML" {
		t.Fatalf("modify the description of a legacy saml app: %d %s", r.status, r.body)
	}
	r = g.call("GET", appsPath+"?limit=100", nil, auth)
	if r.status != 200 || !strings.Contains(string(r.body), `"application_id":"`+id+`"`) {
		t.Errorf("list with a legacy saml app: %d %s", r.status, r.body)
	}
	// A write that sends saml must make it whole.
	wantError(t, "half a saml object", g.call("PUT", one, map[string]any{"saml": map[string]any{"assertion_lifetime": 120}}, auth), 400,
		`{"error_code":"APP.0036","error_msg":"The saml.entity_id is required: 1-1024 characters without spaces or control characters."}`)
	r = g.call("PUT", one, map[string]any{"saml": samlFor("Legacy SAML")}, auth)
	if r.status != 200 || r.json(t)["saml"].(map[string]any)["entity_id"] != "https://sp.example.com/Legacy%20SAML" {
		t.Fatalf("complete the legacy saml app: %d %s", r.status, r.body)
	}
	if p := g.call("GET", samlSSO+"?sp="+"https://sp.example.com/Legacy%2520SAML", nil, nil); strings.Contains(string(p.body), "is not registered") {
		t.Errorf("sign-in to the completed app: %d %s", p.status, p.body)
	}
	// Now complete, it is checked on every write again.
	wantError(t, "entity id removed", g.call("PUT", one, map[string]any{"saml": map[string]any{"entity_id": ""}}, auth), 400,
		`{"error_code":"APP.0036","error_msg":"The saml.entity_id is required: 1-1024 characters without spaces or control characters."}`)
}
