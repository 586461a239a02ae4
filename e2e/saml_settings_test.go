package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crewjam/saml"
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
	mdSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
}
