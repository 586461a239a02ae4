package e2e

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// rpHost is the relying parties' host in redirect URIs: the browser stops
// at the redirect to it, where a real application would take over.
const rpHost = "rp.example.test"

// browser is a user agent with a cookie jar that follows redirects until
// one leads to an application.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == rpHost || len(via) > 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}}}
}

// page is where a navigation ended: an application callback (Location),
// or a page of Gatehouse (status, body).
type page struct {
	status   int
	body     string
	location *url.URL // set when the browser was sent to an application
	url      *url.URL
	header   http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	p := page{status: res.StatusCode, body: string(body), url: res.Request.URL, header: res.Header}
	if loc := res.Header.Get("Location"); loc != "" && res.StatusCode/100 == 3 {
		p.location, _ = url.Parse(loc)
	}
	return p
}

func (b *browser) get(u string) page {
	req, _ := http.NewRequest("GET", u, nil)
	return b.do(req)
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z]+)" value="([^"]*)">`)

// submit posts the page's form with its hidden fields plus fields.
func (b *browser) submit(p page, action string, fields url.Values) page {
	b.t.Helper()
	form := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(p.body, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	for k, v := range fields {
		form[k] = v
	}
	u := p.url.ResolveReference(&url.URL{Path: action})
	req, _ := http.NewRequest("POST", u.String(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", u.Scheme+"://"+u.Host)
	return b.do(req)
}

// signIn starts at an authorization URL, signs in on the login page when
// it shows, and returns where the browser was sent.
func (b *browser) signIn(authURL, user, password string) page {
	b.t.Helper()
	p := b.get(authURL)
	if p.location != nil {
		return p
	}
	if p.status != 200 || !strings.Contains(p.body, `action="/api/v1/login/form"`) {
		b.t.Fatalf("expected the sign-in page, got %d:\n%s", p.status, p.body)
	}
	return b.submit(p, "/api/v1/login/form", url.Values{"username": {user}, "password": {password}})
}

// app registers an application and returns its client id and secret.
func (g *gh) app(auth map[string]string, body map[string]any) (clientID, secret, appID string) {
	g.t.Helper()
	r := g.call("POST", "/api/v2/tenant/applications", body, auth)
	if r.status != 201 {
		g.t.Fatalf("register application: %d %s", r.status, r.body)
	}
	m := r.json(g.t)
	s, _ := m["client_secret"].(string)
	return m["client_id"].(string), s, m["application_id"].(string)
}

func (g *gh) user(auth map[string]string, body map[string]any) string {
	g.t.Helper()
	r := g.call("POST", "/api/v2/tenant/users", body, auth)
	if r.status != 201 {
		g.t.Fatalf("create user: %d %s", r.status, r.body)
	}
	return r.json(g.t)["user_id"].(string)
}
