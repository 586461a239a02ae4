package e2e

import (
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// casResponse is the CAS 2.0/3.0 XML answer, read with encoding/xml as a
// CAS client would.
type casResponse struct {
	XMLName xml.Name `xml:"http://www.yale.edu/tp/cas serviceResponse"`
	Success *struct {
		User       string   `xml:"user"`
		PGTIOU     string   `xml:"proxyGrantingTicket"`
		Proxies    []string `xml:"proxies>proxy"`
		Attributes struct {
			Items []struct {
				XMLName xml.Name
				Value   string `xml:",chardata"`
			} `xml:",any"`
		} `xml:"attributes"`
	} `xml:"authenticationSuccess"`
	Failure *struct {
		Code string `xml:"code,attr"`
		Text string `xml:",chardata"`
	} `xml:"authenticationFailure"`
	ProxySuccess *struct {
		Ticket string `xml:"proxyTicket"`
	} `xml:"proxySuccess"`
}

func (c *casResponse) attr(name string) []string {
	var out []string
	for _, a := range c.Success.Attributes.Items {
		if a.XMLName.Local == name {
			out = append(out, a.Value)
		}
	}
	return out
}

func casGet(t *testing.T, g *gh, path string, q url.Values) (resp, *casResponse) {
	t.Helper()
	r := g.call("GET", path+"?"+q.Encode(), nil, nil)
	var c casResponse
	if strings.HasPrefix(r.header.Get("Content-Type"), "application/xml") {
		if err := xml.Unmarshal(r.body, &c); err != nil {
			t.Fatalf("%s: not CAS XML: %v\n%s", path, err, r.body)
		}
	}
	return r, &c
}

// TestCAS drives the CAS server as a CAS client written here would (plain
// HTTP, XML parsing): CAS 1.0, 2.0 and 3.0 validation with attributes,
// JSON, renew, gateway, single use, service binding, proxy tickets through
// a real https callback, SSO into a second service, and logout.
func TestCAS(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { testCAS(t, b.dsn(t)) })
	}
}

func testCAS(t *testing.T, dsn string) {
	// The proxy callback: an https server whose certificate Gatehouse is
	// told to trust.
	var mu sync.Mutex
	pgts := map[string]string{} // pgtIou -> pgtId
	cbSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		pgts[r.URL.Query().Get("pgtIou")] = r.URL.Query().Get("pgtId")
		mu.Unlock()
	}))
	defer cbSrv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cbSrv.Certificate().Raw}), 0o600)

	g := start(t, dsn, "--mobile-optional", "--outbound-ca-file", ca)
	admin := bearer(g.token(clientID, clientSecret, nil))
	g.user(admin, map[string]any{"user_name": "alice", "password": alicePassword, "email": "alice@example.com", "name": "Alice"})
	service := "http://" + rpHost + "/cas/app?x=1"
	_, _, appID := g.app(admin, map[string]any{"name": "Wiki", "protocol": "cas",
		"cas": map[string]any{"service_patterns": []string{"http://" + rpHost + "/cas/*"}, "proxy_callback_patterns": []string{cbSrv.URL + "/pgt"}},
		"claim_mappings": []map[string]any{{"claim": "mail", "source": "user.email"}, {"claim": "groups", "source": "account.roles"},
			{"claim": "secret_in_id_token_only", "value": "x", "in": []string{"id_token"}}}})
	g.app(admin, map[string]any{"name": "Backend", "protocol": "cas", "cas": map[string]any{"service_patterns": []string{"http://" + rpHost + "/backend"}}})

	br := newBrowser(t)
	login := g.url + "/api/v1/cas/login?service=" + url.QueryEscape(service)
	p := br.signIn(login, "alice", alicePassword)
	if p.location == nil || !strings.HasPrefix(p.location.String(), service+"&ticket=ST-") {
		t.Fatalf("after sign-in: %d %v", p.status, p.location)
	}
	ticket := p.location.Query().Get("ticket")

	// CAS 3.0 with attributes; the ticket is single-use.
	_, c := casGet(t, g, "/api/v1/cas/p3/serviceValidate", url.Values{"service": {service}, "ticket": {ticket}})
	if c.Success == nil || c.Success.User != "alice" {
		t.Fatalf("p3/serviceValidate: %+v", c)
	}
	if got := c.attr("mail"); len(got) != 1 || got[0] != "alice@example.com" {
		t.Errorf("mail attribute = %v", got)
	}
	if got := c.attr("isFromNewLogin"); len(got) != 1 || got[0] != "true" {
		t.Errorf("isFromNewLogin = %v", got)
	}
	if len(c.attr("authenticationDate")) != 1 || len(c.attr("secret_in_id_token_only")) != 0 {
		t.Errorf("attributes: %+v", c.Success.Attributes)
	}
	_, c = casGet(t, g, "/api/v1/cas/p3/serviceValidate", url.Values{"service": {service}, "ticket": {ticket}})
	if c.Failure == nil || c.Failure.Code != "INVALID_TICKET" {
		t.Fatalf("replayed ticket: %+v", c)
	}

	// SSO: the next ticket needs no sign-in; CAS 1.0 and 2.0 validate it.
	next := func(svc string) string {
		t.Helper()
		p := br.get(g.url + "/api/v1/cas/login?service=" + url.QueryEscape(svc))
		if p.location == nil || p.location.Query().Get("ticket") == "" {
			t.Fatalf("SSO to %s: %d %v", svc, p.status, p.location)
		}
		return p.location.Query().Get("ticket")
	}
	r := g.call("GET", "/api/v1/cas/validate?"+url.Values{"service": {service}, "ticket": {next(service)}}.Encode(), nil, nil)
	if string(r.body) != "yes\nalice\n" {
		t.Errorf("CAS 1.0 validate: %q", r.body)
	}
	r = g.call("GET", "/api/v1/cas/validate?"+url.Values{"service": {service}, "ticket": {"ST-nope"}}.Encode(), nil, nil)
	if string(r.body) != "no\n\n" {
		t.Errorf("CAS 1.0 with a bad ticket: %q", r.body)
	}
	_, c = casGet(t, g, "/api/v1/cas/serviceValidate", url.Values{"service": {service}, "ticket": {next(service)}})
	if c.Success == nil || c.Success.User != "alice" || len(c.Success.Attributes.Items) != 0 {
		t.Errorf("CAS 2.0 (no attributes): %+v", c)
	}
	// A ticket for another service is refused, and spent.
	tk := next(service)
	_, c = casGet(t, g, "/api/v1/cas/serviceValidate", url.Values{"service": {"http://" + rpHost + "/cas/other"}, "ticket": {tk}})
	if c.Failure == nil || c.Failure.Code != "INVALID_SERVICE" {
		t.Errorf("ticket for another service: %+v", c)
	}
	_, c = casGet(t, g, "/api/v1/cas/serviceValidate", url.Values{"service": {service}, "ticket": {tk}})
	if c.Failure == nil || c.Failure.Code != "INVALID_TICKET" {
		t.Errorf("a ticket refused for the wrong service is spent: %+v", c)
	}
	// JSON format, and the documented failure body.
	r = g.call("GET", "/api/v1/cas/p3/serviceValidate?"+url.Values{"service": {service}, "ticket": {next(service)}, "format": {"JSON"}}.Encode(), nil, nil)
	var js struct {
		ServiceResponse struct {
			AuthenticationSuccess struct {
				User       string
				Attributes map[string][]string
			}
		}
	}
	if json.Unmarshal(r.body, &js) != nil || js.ServiceResponse.AuthenticationSuccess.User != "alice" ||
		js.ServiceResponse.AuthenticationSuccess.Attributes["mail"][0] != "alice@example.com" {
		t.Errorf("JSON: %s", r.body)
	}
	r = g.call("GET", "/api/v1/cas/serviceValidate?"+url.Values{"service": {service}, "ticket": {"ST-unknown"}, "format": {"JSON"}}.Encode(), nil, nil)
	if string(r.body) != `{"serviceResponse":{"authenticationFailure":{"code":"INVALID_TICKET","description":"Ticket ST-unknown not recognized."}}}`+"\n" {
		t.Errorf("JSON failure: %s", r.body)
	}
	_, c = casGet(t, g, "/api/v1/cas/serviceValidate", url.Values{"service": {service}})
	if c.Failure == nil || c.Failure.Code != "INVALID_REQUEST" {
		t.Errorf("missing ticket: %+v", c)
	}

	// renew=true asks for a new sign-in even with a session, and the
	// ticket says so; a ticket from SSO fails a renew validation.
	sso := next(service)
	_, c = casGet(t, g, "/api/v1/cas/serviceValidate", url.Values{"service": {service}, "ticket": {sso}, "renew": {"true"}})
	if c.Failure == nil || c.Failure.Code != "INVALID_TICKET_SPEC" {
		t.Errorf("renew validation of an SSO ticket: %+v", c)
	}
	p = br.get(login + "&renew=true")
	if p.location != nil || !strings.Contains(p.body, "login/form") {
		t.Fatalf("renew=true did not ask to sign in: %d %v", p.status, p.location)
	}

	// Proxy: a PGT through the https callback, a PT for the backend, and
	// proxyValidate shows the chain.
	_, c = casGet(t, g, "/api/v1/cas/serviceValidate", url.Values{"service": {service}, "ticket": {next(service)}, "pgtUrl": {cbSrv.URL + "/pgt"}})
	if c.Success == nil || !strings.HasPrefix(c.Success.PGTIOU, "PGTIOU-") {
		t.Fatalf("serviceValidate with pgtUrl: %+v", c)
	}
	mu.Lock()
	pgt := pgts[c.Success.PGTIOU]
	mu.Unlock()
	if !strings.HasPrefix(pgt, "PGT-") {
		t.Fatalf("the callback got no PGT for %s: %v", c.Success.PGTIOU, pgts)
	}
	backend := "http://" + rpHost + "/backend"
	_, c = casGet(t, g, "/api/v1/cas/proxy", url.Values{"pgt": {pgt}, "targetService": {backend}})
	if c.ProxySuccess == nil || !strings.HasPrefix(c.ProxySuccess.Ticket, "PT-") {
		t.Fatalf("proxy: %+v", c)
	}
	pt := c.ProxySuccess.Ticket
	_, c = casGet(t, g, "/api/v1/cas/serviceValidate", url.Values{"service": {backend}, "ticket": {pt}})
	if c.Failure == nil || c.Failure.Code != "INVALID_TICKET_SPEC" {
		t.Errorf("a proxy ticket at serviceValidate: %+v", c)
	}
	_, c = casGet(t, g, "/api/v1/cas/proxy", url.Values{"pgt": {pgt}, "targetService": {backend}})
	_, c = casGet(t, g, "/api/v1/cas/p3/proxyValidate", url.Values{"service": {backend}, "ticket": {c.ProxySuccess.Ticket}})
	if c.Success == nil || c.Success.User != "alice" || len(c.Success.Proxies) != 1 || c.Success.Proxies[0] != cbSrv.URL+"/pgt" {
		t.Errorf("proxyValidate: %+v", c)
	}
	_, c = casGet(t, g, "/api/v1/cas/serviceValidate", url.Values{"service": {service}, "ticket": {next(service)}, "pgtUrl": {"https://evil.example/pgt"}})
	if c.Failure == nil || c.Failure.Code != "INVALID_PROXY_CALLBACK" {
		t.Errorf("an unregistered pgtUrl: %+v", c)
	}
	_, c = casGet(t, g, "/api/v1/cas/proxy", url.Values{"pgt": {"PGT-nope"}, "targetService": {backend}})
	if c.ProxySuccess != nil {
		t.Errorf("a made-up PGT got a proxy ticket")
	}

	// Unknown service: an error page, never a redirect.
	p = br.get(g.url + "/api/v1/cas/login?service=" + url.QueryEscape("https://evil.example/"))
	if p.location != nil || p.status != 400 {
		t.Errorf("unknown service: %d %v", p.status, p.location)
	}
	// Logout ends the session, returns to a registered service, and
	// gateway then comes back without a ticket.
	p = br.get(g.url + "/api/v1/cas/logout?service=" + url.QueryEscape(service))
	if p.location == nil || p.location.String() != service {
		t.Fatalf("logout: %d %v", p.status, p.location)
	}
	p = br.get(login + "&gateway=true")
	if p.location == nil || p.location.String() != service {
		t.Errorf("gateway after logout: %d %v", p.status, p.location)
	}
	_ = appID
}
