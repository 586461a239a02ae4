package e2e

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"
)

// logoutNotice is a back-channel logout request as a CAS client reads it.
type logoutNotice struct {
	Path    string
	XMLName xml.Name `xml:"urn:oasis:names:tc:SAML:2.0:protocol LogoutRequest"`
	ID      string   `xml:"ID,attr"`
	Version string   `xml:"Version,attr"`
	Instant string   `xml:"IssueInstant,attr"`
	NameID  string   `xml:"urn:oasis:names:tc:SAML:2.0:assertion NameID"`
	Index   string   `xml:"urn:oasis:names:tc:SAML:2.0:protocol SessionIndex"`
}

// TestCASBackChannelLogout: every logout (CAS's own, OneAccess's global
// logout) POSTs a CAS logoutRequest to each application with
// cas.logout_type back_channel that validated a ticket of the session,
// at its logout_url or the ticket's service, naming that ticket; not to
// applications without it, nor for tickets never validated.
func TestCASBackChannelLogout(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { testCASBackChannelLogout(t, b.dsn(t)) })
	}
}

// newLogoutReceiver is a CAS application that takes back-channel logout:
// each logoutRequest POSTed to it, read as a CAS client reads it, goes to
// the channel; one to /mail-slo is answered 503 (a refusal).
func newLogoutReceiver(t *testing.T) (*httptest.Server, chan logoutNotice) {
	notices := make(chan logoutNotice, 16)
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			return
		}
		n := logoutNotice{Path: r.URL.Path}
		if err := xml.Unmarshal([]byte(r.PostFormValue("logoutRequest")), &n); err != nil || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("logout request to %s: %v (%s)", r.URL.Path, err, r.Header.Get("Content-Type"))
		}
		notices <- n
		if r.URL.Path == "/mail-slo" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(svc.Close)
	return svc, notices
}

// stopAtApp makes br stop at the application's pages too, as it does at
// rpHost, so that the ticket in the redirect can be read.
func stopAtApp(br *browser, app *httptest.Server) {
	host := strings.TrimPrefix(app.URL, "http://")
	br.c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == host || req.URL.Host == rpHost || len(via) > 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}
}

func testCASBackChannelLogout(t *testing.T, dsn string) {
	svc, notices := newLogoutReceiver(t)

	g := start(t, dsn, "--mobile-optional")
	admin := bearer(g.token(clientID, clientSecret, nil))
	g.user(admin, map[string]any{"user_name": "alice", "password": alicePassword, "email": "alice@example.com", "name": "Alice"})
	register := func(name string, cas map[string]any) {
		cas["service_patterns"] = []string{svc.URL + "/" + strings.ToLower(name) + "/*"}
		g.app(admin, map[string]any{"name": name, "protocol": "cas", "cas": cas})
	}
	register("Wiki", map[string]any{"logout_type": "back_channel"})
	register("Mail", map[string]any{"logout_type": "back_channel", "logout_url": svc.URL + "/mail-slo"})
	register("Quiet", map[string]any{})

	br := newBrowser(t)
	stopAtApp(br, svc)
	ticketFor := func(app string, validate bool) string {
		t.Helper()
		service := svc.URL + "/" + app + "/home"
		p := br.get(g.url + "/api/v1/cas/login?service=" + url.QueryEscape(service))
		tk := ""
		if p.location != nil {
			tk = p.location.Query().Get("ticket")
		}
		if tk == "" {
			t.Fatalf("no ticket for %s: %d %v", app, p.status, p.location)
		}
		if validate {
			if _, c := casGet(t, g, "/api/v1/cas/p3/serviceValidate", url.Values{"service": {service}, "ticket": {tk}}); c.Success == nil {
				t.Fatalf("validation for %s: %+v", app, c)
			}
		}
		return tk
	}
	// want waits for exactly the notices of want (path → ticket).
	want := func(what string, want map[string]string) {
		t.Helper()
		got := map[string]string{}
		deadline := time.After(10 * time.Second)
		for len(got) < len(want) {
			select {
			case n := <-notices:
				if n.Version != "2.0" || !strings.HasPrefix(n.ID, "LR-") || n.NameID != "@NOT_USED@" {
					t.Errorf("%s: notice %+v", what, n)
				}
				if _, err := time.Parse(time.RFC3339, n.Instant); err != nil {
					t.Errorf("%s: IssueInstant %q", what, n.Instant)
				}
				got[n.Path] = n.Index
			case <-deadline:
				t.Fatalf("%s: got %v, want %v", what, got, want)
			}
		}
		select {
		case n := <-notices:
			t.Fatalf("%s: an extra notice %+v", what, n)
		case <-time.After(300 * time.Millisecond):
		}
		for path, tk := range want {
			if got[path] != tk {
				t.Fatalf("%s: got %v, want %v", what, got, want)
			}
		}
	}

	// CAS logout.
	first := ""
	br.signIn(g.url+"/api/v1/cas/login?service="+url.QueryEscape(svc.URL+"/quiet/home"), "alice", alicePassword)
	wiki := ticketFor("wiki", true)
	mail := ticketFor("mail", true)
	ticketFor("quiet", true)
	ticketFor("wiki", false) // issued, never validated: the application has no session for it
	if p := br.get(g.url + "/api/v1/cas/logout"); p.status != 200 {
		t.Fatalf("CAS logout: %d", p.status)
	}
	want("CAS logout", map[string]string{"/wiki/home": wiki, "/mail-slo": mail})
	first = wiki

	// OneAccess's global logout, on a new session.
	br.signIn(g.url+"/api/v1/cas/login?service="+url.QueryEscape(svc.URL+"/quiet/home"), "alice", alicePassword)
	wiki = ticketFor("wiki", true)
	if wiki == first {
		t.Fatal("the same ticket twice")
	}
	if p := br.get(g.url + "/api/v1/logout"); p.status >= 400 {
		t.Fatalf("global logout: %d", p.status)
	}
	want("global logout", map[string]string{"/wiki/home": wiki})

	// SAML single logout, started by a service provider the session also
	// signed in to.
	sp := newSP(t, g, "spcasslo", saml.HTTPPostBinding)
	registerSP(t, g, admin, "Payroll", sp, map[string]any{"name_id_format": "email"}, nil)
	br.signIn(g.url+"/api/v1/cas/login?service="+url.QueryEscape(svc.URL+"/quiet/home"), "alice", alicePassword)
	wiki = ticketFor("wiki", true)
	req, u := authnRedirect(t, sp, "", false)
	if _, err := parseResponse(sp, readPost(t, br.get(u)).decoded(t, "SAMLResponse"), []string{req.ID}); err != nil {
		t.Fatalf("SAML SSO: %v", err)
	}
	lr, err := sp.MakeLogoutRequest(sp.GetSLOBindingLocation(saml.HTTPRedirectBinding), "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if post := readPost(t, br.get(lr.Redirect("").String())); post.action != sp.SloURL.String() {
		t.Fatalf("SAML logout answered at %s", post.action)
	}
	want("SAML single logout", map[string]string{"/wiki/home": wiki})

	// Nothing is left to send: a second logout tells no one.
	br.get(g.url + "/api/v1/cas/logout")
	want("logout without a session", map[string]string{})

	// The metrics count them by result.
	deadline := time.Now().Add(5 * time.Second)
	for {
		body := string(g.call("GET", "/metrics", nil, nil).body)
		ok := strings.Contains(body, `gatehouse_backchannel_logout_requests_total{protocol="cas",result="ok"} 3`) &&
			strings.Contains(body, `gatehouse_backchannel_logout_requests_total{protocol="cas",result="refused"} 1`)
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("logout metrics:\n%s", grepLines(body, "gatehouse_backchannel_logout"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
