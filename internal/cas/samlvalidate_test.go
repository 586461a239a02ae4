package cas

import (
	"encoding/xml"
	"net/http/httptest"
	"testing"
	"time"
)

// FuzzSAMLValidateBody: any body is read without panicking, and the
// answer is well-formed XML whatever the request echoes into it (the
// service, the RequestID; characters XML cannot hold become U+FFFD).
func FuzzSAMLValidateBody(f *testing.F) {
	f.Add(`<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>`+
		`<samlp:Request xmlns:samlp="urn:oasis:names:tc:SAML:1.0:protocol" RequestID="_r&quot;1"><samlp:AssertionArtifact>ST-1</samlp:AssertionArtifact></samlp:Request>`+
		`</SOAP-ENV:Body></SOAP-ENV:Envelope>`, "https://app.example.com/?a=1&b=\"2\"")
	f.Add(`<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`, "<svc>")
	f.Fuzz(func(t *testing.T, body, service string) {
		var env samlValidateEnvelope
		xml.Unmarshal([]byte(body), &env)
		w := httptest.NewRecorder()
		writeSAML11(w, time.Now(), service, env.Body.Request.ID, nil, &casError{InvalidRequest, service})
		var out struct {
			XMLName xml.Name
		}
		if err := xml.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("the answer is not XML: %v\n%s", err, w.Body)
		}
	})
}
