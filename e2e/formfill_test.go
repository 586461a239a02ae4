package e2e

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore"
)

// legacyApp is an application with only a login form: POST /session with
// user, pass and lang sets its own cookie; /home says who is in.
type legacyApp struct {
	*httptest.Server
	mu    sync.Mutex
	posts []url.Values
}

func newLegacyApp(t *testing.T, user, pass string) *legacyApp {
	a := &legacyApp{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/session":
			r.ParseForm()
			a.mu.Lock()
			a.posts = append(a.posts, r.PostForm)
			a.mu.Unlock()
			if r.Method != "POST" || r.PostForm.Get("user") != user || r.PostForm.Get("pass") != pass || r.PostForm.Get("lang") != "en" {
				http.Error(w, "wrong credentials", http.StatusUnauthorized)
				return
			}
			http.SetCookie(w, &http.Cookie{Name: "legacy", Value: user, Path: "/"})
			http.Redirect(w, r, "/home", http.StatusSeeOther)
		case "/home":
			c, err := r.Cookie("legacy")
			if err != nil {
				http.Error(w, "not signed in", http.StatusUnauthorized)
				return
			}
			fmt.Fprintf(w, `<!doctype html><title>Legacy</title><p id="who">Welcome, %s</p>`, html.EscapeString(c.Value))
		case "/login":
			fmt.Fprint(w, `<!doctype html><title>Legacy</title><form action="session" method="post">
<input type="hidden" name="lang" value="en"><input type="hidden" name="csrf" value="per-visit">
<label>User <input name="user"></label><label>Password <input type="password" name="pass"></label>
<button type="submit">Sign in</button></form>`)
		case "/logout":
			http.SetCookie(w, &http.Cookie{Name: "legacy", Path: "/", MaxAge: -1})
			fmt.Fprint(w, `<!doctype html><title>Legacy</title><p id="out">Signed out</p>`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *legacyApp) lastPost() url.Values {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.posts) == 0 {
		return nil
	}
	return a.posts[len(a.posts)-1]
}

var ffFieldRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// filledForm reads the auto-submit page: its action and fields.
func filledForm(t *testing.T, p page) (string, url.Values) {
	t.Helper()
	m := regexp.MustCompile(`<form id="autosubmit" method="([A-Z]+)" action="([^"]+)">`).FindStringSubmatch(p.body)
	if p.status != 200 || m == nil {
		t.Fatalf("expected the filled form, got %d:\n%s", p.status, p.body)
	}
	fields := url.Values{}
	for _, f := range ffFieldRE.FindAllStringSubmatch(p.body, -1) {
		fields.Add(html.UnescapeString(f[1]), html.UnescapeString(f[2]))
	}
	return m[1] + " " + html.UnescapeString(m[2]), fields
}

// TestFormFill launches a form-fill application over HTTP on both
// backends: sign-in first, credentials entered once by the user (or set by
// the administrator), the filled form with its CSP, access refusals.
func TestFormFill(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { testFormFill(t, b.dsn(t)) })
	}
}

func testFormFill(t *testing.T, dsn string) {
	legacy := newLegacyApp(t, "alice.legacy", "app-pw-1")
	g := start(t, dsn, "--mobile-optional")
	admin := bearer(g.token(clientID, clientSecret, nil))
	aliceID := g.user(admin, map[string]any{"user_name": "alice", "password": alicePassword, "name": "Alice"})
	bobID := g.user(admin, map[string]any{"user_name": "bob", "password": alicePassword, "name": "Bob"})
	// Detection reads the login page and proposes the settings.
	r := g.call("POST", "/api/v2/tenant/form-fill/detect", map[string]any{"login_url": legacy.URL + "/login"}, admin)
	if r.status != 200 {
		t.Fatalf("detect: %d %s", r.status, r.body)
	}
	detected := r.json(t)
	if got := jsonString(detected["form_fill"]); got != `{"action_url":"`+legacy.URL+`/session","extra_fields":{"lang":"en"},"login_url":"`+legacy.URL+
		`/login","method":"POST","password_field":"pass","user_sets_credentials":true,"username_field":"user"}` {
		t.Errorf("detected form: %s", got)
	}
	if w := jsonString(detected["warnings"]); !strings.Contains(w, `The hidden field \"csrf\" looks like a per-visit token`) {
		t.Errorf("detection warnings: %s", w)
	}
	wantError(t, "detect an unreachable page", g.call("POST", "/api/v2/tenant/form-fill/detect", map[string]any{"login_url": legacy.URL + "/nowhere"}, admin), 400,
		`{"error_code":"APP.0062","error_msg":"The login_url could not be read: HTTP status 404."}`)
	wantError(t, "detect a page without a login form", g.call("POST", "/api/v2/tenant/form-fill/detect", map[string]any{"login_url": legacy.URL + "/logout"}, admin), 400,
		`{"error_code":"APP.0062","error_msg":"The page at login_url has no form with a named password field."}`)
	wantError(t, "detect a file: URL", g.call("POST", "/api/v2/tenant/form-fill/detect", map[string]any{"login_url": "file:///etc/passwd"}, admin), 400,
		`{"error_code":"APP.0033","error_msg":"The login_url must be an absolute http(s) URL without user info."}`)
	r = g.call("POST", "/api/v2/tenant/applications", map[string]any{"name": "Legacy", "protocol": "form_fill",
		"form_fill": detected["form_fill"]}, admin)
	if r.status != 201 {
		t.Fatalf("register form_fill: %d %s", r.status, r.body)
	}
	created := r.json(t)
	appID := created["application_id"].(string)
	ff, _ := created["form_fill"].(map[string]any)
	if ff["method"] != "POST" || ff["action_url"] != legacy.URL+"/session" || ff["user_sets_credentials"] != true || created["oidc"] != nil {
		t.Errorf("form_fill as registered: %s", r.body)
	}
	launch := g.url + "/api/v1/formfill/" + appID + "/launch"

	// Alice: sign-in, then the credentials page (she has no account yet).
	br := newBrowser(t)
	p := br.signIn(launch, "alice", alicePassword)
	if p.status != 200 || !strings.Contains(p.body, `action="/api/v1/formfill/`+appID+`/credentials"`) || !strings.Contains(p.body, `value="alice"`) {
		t.Fatalf("after sign-in, want the credentials page with her user name: %d\n%s", p.status, p.body)
	}
	// No CSRF token: refused, nothing stored.
	req, _ := http.NewRequest("POST", g.url+"/api/v1/formfill/"+appID+"/credentials", strings.NewReader("account_name=x&password=y"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if q := br.do(req); q.status != 403 {
		t.Errorf("credentials without the CSRF token: %d", q.status)
	}
	if q := br.submit(p, "/api/v1/formfill/"+appID+"/credentials", url.Values{"account_name": {"alice.legacy"}, "password": {""}}); q.status != 400 || !strings.Contains(q.body, "Enter your password at Legacy.") {
		t.Errorf("credentials without a password: %d\n%s", q.status, q.body)
	}
	p = br.submit(p, "/api/v1/formfill/"+appID+"/credentials", url.Values{"account_name": {"alice.legacy"}, "password": {"app-pw-1"}})
	target, fields := filledForm(t, p)
	want := url.Values{"user": {"alice.legacy"}, "pass": {"app-pw-1"}, "lang": {"en"}}
	if target != "POST "+legacy.URL+"/session" || fields.Encode() != want.Encode() {
		t.Errorf("filled form: %s %v", target, fields)
	}
	csp := regexp.MustCompile(`'sha256-[A-Za-z0-9+/]{43}='`).ReplaceAllString(p.header.Get("Content-Security-Policy"), "'sha256-…'")
	if csp != "script-src 'sha256-…'; default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self' "+legacy.URL+"; frame-ancestors 'none'; base-uri 'none'" {
		t.Errorf("CSP of the filled form: %s", p.header.Get("Content-Security-Policy"))
	}
	if cc := p.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control of the filled form: %q", cc)
	}
	// The account now exists with the name she gave; the API never shows the password.
	r = g.call("GET", "/api/v2/tenant/users/"+aliceID+"/accounts", nil, admin)
	if r.status != 200 || !strings.Contains(string(r.body), `"account_name":"alice.legacy"`) || strings.Contains(string(r.body), "app-pw-1") {
		t.Errorf("alice's accounts: %d %s", r.status, r.body)
	}
	// The next launch goes straight to the filled form.
	if target2, fields2 := filledForm(t, br.get(launch)); target2 != target || fields2.Encode() != want.Encode() {
		t.Errorf("second launch: %s %v", target2, fields2)
	}
	// The audit trail has both launches and the account, never the password.
	store, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	events, _ := store.Audit().List(context.Background(), storage.DefaultTenantID, storage.AuditFilter{})
	launches, accounts := 0, 0
	for _, e := range events {
		if strings.Contains(jsonString(e), "app-pw-1") {
			t.Errorf("the password is in the audit trail: %+v", e)
		}
		switch {
		case e.Action == "application.launch" && e.ActorID == aliceID && e.TargetID == appID && e.Result == "success":
			launches++
		case e.Action == "app_account.create" && e.ActorID == aliceID:
			accounts++
		}
	}
	if launches != 2 || accounts != 1 {
		t.Errorf("audited %d launches and %d account creations by alice, want 2 and 1", launches, accounts)
	}

	// Bob's name at the application cannot be Alice's.
	bb := newBrowser(t)
	p = bb.signIn(launch, "bob", alicePassword)
	q := bb.submit(p, "/api/v1/formfill/"+appID+"/credentials", url.Values{"account_name": {"alice.legacy"}, "password": {"x"}})
	if q.status != 400 || !strings.Contains(q.body, "belongs to another person") {
		t.Errorf("bob taking alice's account name: %d\n%s", q.status, q.body)
	}

	// Only the administrator sets credentials: Bob (no account) is refused,
	// until an account with a password exists for him.
	r = g.call("PUT", "/api/v2/tenant/applications/"+appID, map[string]any{"form_fill": map[string]any{"user_sets_credentials": false}}, admin)
	if r.status != 200 {
		t.Fatalf("modify: %d %s", r.status, r.body)
	}
	wantErrorPage(t, "bob without credentials", bb.get(launch), 403, "Your administrator has not set your account for Legacy yet.")
	if q := bb.submit(p, "/api/v1/formfill/"+appID+"/credentials", url.Values{"account_name": {"bob.x"}, "password": {"x"}}); q.status != 403 {
		t.Errorf("bob saving credentials when only admins may: %d", q.status)
	}
	r = g.call("POST", "/api/v2/tenant/applications/"+appID+"/accounts/basic-account",
		map[string]any{"user_id": bobID, "account_name": "bob.legacy", "password": "bob-pw"}, admin)
	if r.status != 201 && r.status != 200 {
		t.Fatalf("create bob's account: %d %s", r.status, r.body)
	}
	if _, f := filledForm(t, bb.get(launch)); f.Get("user") != "bob.legacy" || f.Get("pass") != "bob-pw" {
		t.Errorf("bob's filled form: %v", f)
	}

	// Authorized users only: Alice keeps access (she has an account); a
	// user without one is refused.
	g.call("PUT", "/api/v2/tenant/applications/"+appID, map[string]any{"access_policy": "authorized"}, admin)
	g.user(admin, map[string]any{"user_name": "carol", "password": alicePassword, "name": "Carol"})
	cb := newBrowser(t)
	wantErrorPage(t, "carol not authorized", cb.signIn(launch, "carol", alicePassword), 403, "You are not authorized to use this application.")
	if _, f := filledForm(t, br.get(launch)); f.Get("user") != "alice.legacy" {
		t.Errorf("alice, authorized: %v", f)
	}

	// A disabled application, a wrong id and an application of another
	// protocol do not launch.
	_, _, oidcID := g.app(admin, map[string]any{"name": "Modern", "protocol": "oidc", "oidc": map[string]any{"redirect_uris": []string{"https://m.example.com/cb"}}})
	wantErrorPage(t, "an oidc application", br.get(g.url+"/api/v1/formfill/"+oidcID+"/launch"), 404, "There is no form-fill application with this id.")
	wantErrorPage(t, "an unknown id", br.get(g.url+"/api/v1/formfill/nope/launch"), 404, "There is no form-fill application with this id.")
	g.call("PUT", "/api/v2/tenant/applications/"+appID+"/disable", nil, admin)
	wantErrorPage(t, "disabled", br.get(launch), 403, "Legacy is disabled.")
}

// TestFormFillRegistration checks the form_fill settings' rules.
func TestFormFillRegistration(t *testing.T) {
	g := start(t, "sqlite:"+t.TempDir()+"/gh.db", "--mobile-optional")
	admin := bearer(g.token(clientID, clientSecret, nil))
	ok := map[string]any{"login_url": "https://legacy.example.com/login"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{"login_url": "https://legacy.example.com/login"}
		m[k] = v
		return map[string]any{"name": "Bad", "protocol": "form_fill", "form_fill": m}
	}
	cases := []struct {
		what string
		body any
		want string
	}{
		{"no login_url", map[string]any{"name": "Bad", "protocol": "form_fill"},
			`{"error_code":"APP.0033","error_msg":"The form_fill.login_url must be an absolute http(s) URL without user info or fragment."}`},
		{"javascript: login_url", with("login_url", "javascript:alert(1)"),
			`{"error_code":"APP.0033","error_msg":"The form_fill.login_url must be an absolute http(s) URL without user info or fragment."}`},
		{"action_url with user info", with("action_url", "https://u:p@legacy.example.com/s"),
			`{"error_code":"APP.0033","error_msg":"The form_fill.action_url must be an absolute http(s) URL without user info or fragment."}`},
		{"method PUT", with("method", "PUT"),
			`{"error_code":"APP.0034","error_msg":"The form_fill.method must be POST or GET."}`},
		{"same field names", with("password_field", "username"),
			`{"error_code":"APP.0035","error_msg":"The form field names must be 1-128 characters (letters, digits, _ . : [ ] -) and differ."}`},
		{"field name with a quote", with("username_field", `u"x`),
			`{"error_code":"APP.0035","error_msg":"The form field names must be 1-128 characters (letters, digits, _ . : [ ] -) and differ."}`},
		{"extra field shadowing the password", with("extra_fields", map[string]string{"password": "x"}),
			`{"error_code":"APP.0035","error_msg":"The extra field \"password\" must have a valid name other than the credential fields, and a value of at most 1024 bytes."}`},
		{"form_fill on an oidc app", map[string]any{"name": "Bad", "protocol": "oidc", "form_fill": ok},
			`{"error_code":"APP.0010","error_msg":"The form_fill settings apply only to form_fill applications."}`},
		{"form_fill not an object", map[string]any{"name": "Bad", "protocol": "form_fill", "form_fill": "x"},
			`{"error_code":"COMMON.0002","error_msg":"The form_fill must be an object."}`},
	}
	for _, c := range cases {
		wantError(t, c.what, g.call("POST", "/api/v2/tenant/applications", c.body, admin), 400, c.want)
	}
	r := g.call("POST", "/api/v2/tenant/applications", map[string]any{"name": "Ok", "protocol": "form_fill", "form_fill": ok}, admin)
	if r.status != 201 {
		t.Fatalf("register with defaults: %d %s", r.status, r.body)
	}
	if got := jsonString(r.json(t)["form_fill"]); got != `{"action_url":"https://legacy.example.com/login","extra_fields":{},"login_url":"https://legacy.example.com/login","method":"POST","password_field":"password","user_sets_credentials":true,"username_field":"username"}` {
		t.Errorf("defaults: %s", got)
	}
	// The defaulted action URL follows a new login URL; a set one stays.
	id := r.json(t)["application_id"].(string)
	r = g.call("PUT", "/api/v2/tenant/applications/"+id, map[string]any{"form_fill": map[string]any{"login_url": "https://new.example.com/in"}}, admin)
	if ff := r.json(t)["form_fill"].(map[string]any); ff["action_url"] != "https://new.example.com/in" {
		t.Errorf("action_url after a new login_url: %v", ff["action_url"])
	}
	g.call("PUT", "/api/v2/tenant/applications/"+id, map[string]any{"form_fill": map[string]any{"action_url": "https://new.example.com/post"}}, admin)
	r = g.call("PUT", "/api/v2/tenant/applications/"+id, map[string]any{"form_fill": map[string]any{"login_url": "https://newer.example.com/in"}}, admin)
	if ff := r.json(t)["form_fill"].(map[string]any); ff["action_url"] != "https://new.example.com/post" {
		t.Errorf("a set action_url after a new login_url: %v", ff["action_url"])
	}
	// CAS proxy callbacks are bounded like services.
	many := make([]string, 21)
	for i := range many {
		many[i] = fmt.Sprintf("https://pgt.example.com/%d", i)
	}
	wantError(t, "21 proxy callbacks", g.call("POST", "/api/v2/tenant/applications", map[string]any{"name": "Many", "protocol": "cas",
		"cas": map[string]any{"service_patterns": []string{"https://s.example.com/"}, "proxy_callback_patterns": many}}, admin), 400,
		`{"error_code":"APP.0030","error_msg":"The cas.proxy_callback_patterns may hold at most 20 URLs."}`)
}

// TestBrowserFormFill launches a form-fill application in Chromium: the
// user signs in, enters the application's credentials once, and the
// browser runs the one allowed script that posts them to the application
// (the page's CSP enforced by the real browser); the next launch goes
// straight in.
func TestBrowserFormFill(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("browser test skipped: %s not installed (apt-get install chromium; .ci/run does)", chromium)
	}
	legacy := newLegacyApp(t, "alice.legacy", "app-pw-1")
	g := start(t, "sqlite:"+t.TempDir()+"/gh.db", "--mobile-optional")
	admin := bearer(g.token(clientID, clientSecret, nil))
	g.user(admin, map[string]any{"user_name": "alice", "password": alicePassword, "name": "Alice"})
	_, _, appID := g.app(admin, map[string]any{"name": "Legacy", "protocol": "form_fill",
		"form_fill": map[string]any{"login_url": legacy.URL + "/login", "action_url": legacy.URL + "/session",
			"username_field": "user", "password_field": "pass", "extra_fields": map[string]string{"lang": "en"}}})
	launch := g.url + "/api/v1/formfill/" + appID + "/launch"

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	fail := func(what string, err error) {
		t.Helper()
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		body, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
		t.Fatalf("%s: %v\nat %s\n%s", what, err, loc, body)
	}

	err := chromedp.Do(ctx,
		chromedp.Navigate(launch),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), alicePassword),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("account_name")),
	)
	if err != nil {
		fail("sign-in, then the credentials page", err)
	}
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("account_name"), "alice.legacy"),
		chromedp.SendKeys(chromedp.ID("password"), "app-pw-1"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("who")),
	)
	if err != nil {
		fail("saving the credentials, then the application", err)
	}
	who, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("who")))
	if who != "Welcome, alice.legacy" {
		t.Errorf("the application shows %q", who)
	}
	if got := legacy.lastPost(); got.Encode() != (url.Values{"user": {"alice.legacy"}, "pass": {"app-pw-1"}, "lang": {"en"}}).Encode() {
		t.Errorf("the application received %v", got)
	}

	// Signed out of the application: the next launch posts the form again
	// with no page to fill.
	err = chromedp.Do(ctx,
		chromedp.Navigate(legacy.URL+"/logout"),
		chromedp.WaitVisible(chromedp.ID("out")),
		chromedp.Navigate(launch),
		chromedp.WaitVisible(chromedp.ID("who")),
	)
	if err != nil {
		fail("second launch", err)
	}
}
