package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCASClientJS drives the CAS server with an independent CAS client:
// the npm library http-cas-client 0.4.3, which protects the small web
// applications of e2e/js/cas.mjs exactly as its README shows (installed by
// `npm ci --prefix e2e/js` in .ci/run). A browser visits them; the library
// sends it to Gatehouse's sign-in, validates the ticket it brings back and
// tells its application who signed in. The test compares what the library
// reported with what the management API set up, for: CAS 3.0 with mapped
// attributes (multi-valued roles, account name as the user), CAS 2.0 through
// SSO, gateway without a session, renew with a session, a proxy-granting
// ticket through an https pgtUrl and a proxy ticket validated by a second
// application at /p3/proxyValidate, and a made-up ticket.
func TestCASClientJS(t *testing.T) {
	node := casClientNode(t)
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { testCASClientJS(t, b.dsn(t), node) })
	}
}

// casClientNode finds node and the installed library, or skips (fails
// under CI, where .ci/run installs both and a skip would hide a broken
// install step).
func casClientNode(t *testing.T) string {
	t.Helper()
	skip := t.Skipf
	if os.Getenv("CI") != "" {
		skip = t.Fatalf
	}
	node, err := exec.LookPath("node")
	if err != nil {
		skip("node is not on PATH: install Node.js 20 or later, then `npm ci --prefix e2e/js`, to run the http-cas-client test")
		return ""
	}
	if _, err := os.Stat(filepath.Join("js", "node_modules", "http-cas-client", "package.json")); err != nil {
		skip("e2e/js/node_modules has no http-cas-client: run `npm ci --prefix e2e/js --no-audit --no-fund` to run the http-cas-client test")
		return ""
	}
	return node
}

func testCASClientJS(t *testing.T, dsn, node string) {
	const (
		user     = "dora"
		password = "D0ra#Passw0rd"
		email    = "dora@example.com"
		name     = "Dora Diaz"
	)
	cert := newTestCert(t)
	g := start(t, dsn, "--mobile-optional", "--outbound-ca-file", cert.certFile)
	admin := bearer(g.token(clientID, clientSecret, nil))
	uid := g.user(admin, map[string]any{"user_name": user, "password": password, "email": email, "name": name})
	apps := startCASApps(t, node, g.url+"/api/v1/cas", cert)

	// One cas application per web application of cas.mjs.
	inCAS := []string{"cas"}
	mail := map[string]any{"claim": "mail", "source": "user.email", "in": inCAS}
	register := func(app string, cas map[string]any, mappings ...map[string]any) string {
		t.Helper()
		_, _, id := g.app(admin, map[string]any{"name": "http-cas-client " + app, "protocol": "cas", "cas": cas, "claim_mappings": mappings})
		return id
	}
	wiki := register("v3", map[string]any{"service_patterns": []string{apps["v3"] + "/*"}, "user_attribute": "account_name"}, mail,
		map[string]any{"claim": "displayName", "source": "user.name", "in": inCAS},
		map[string]any{"claim": "memberOf", "source": "account.roles", "in": inCAS},
		map[string]any{"claim": "not_for_cas", "value": "x", "in": []string{"id_token"}})
	register("v2", map[string]any{"service_patterns": []string{apps["v2"] + "/*"}}, mail)
	register("gateway", map[string]any{"service_patterns": []string{apps["gateway"] + "/*"}})
	register("renew", map[string]any{"service_patterns": []string{apps["renew"] + "/*"}})
	register("proxy", map[string]any{"service_patterns": []string{apps["proxy"] + "/*"},
		"proxy_callback_patterns": []string{apps["proxy"] + "/pgtCallback"}})
	register("backend", map[string]any{"service_patterns": []string{apps["backend"] + "/"}}, mail)
	// Dora's account in the wiki, with two roles.
	r := g.call("POST", "/api/v2/tenant/users/"+uid+"/applications/"+wiki+"/accounts", map[string]any{"account_name": "dora.wiki"}, admin)
	if r.status != 200 {
		t.Fatalf("authorise: %d %s", r.status, r.body)
	}
	account := r.json(t)["account_id"].(string)
	for _, code := range []string{"viewer", "editor"} {
		r := g.call("POST", "/api/v2/tenant/applications/"+wiki+"/role", map[string]any{"code": code, "name": code}, admin)
		if r.status != 200 {
			t.Fatalf("role %s: %d %s", code, r.status, r.body)
		}
		r = g.call("POST", "/api/v2/tenant/applications/"+wiki+"/role-member",
			map[string]any{"role_id": r.json(t)["role_id"], "account_Ids": []string{account}}, admin)
		if r.status != 200 || !strings.Contains(string(r.body), account) {
			t.Fatalf("role member %s: %d %s", code, r.status, r.body)
		}
	}

	br := newBrowser(t)
	br.c.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: cert.pool}}

	// Gateway before any sign-in: Gatehouse sends the browser back without
	// a ticket, and the library answers 403 (its gateway behaviour).
	p := br.get(apps["gateway"] + "/")
	if p.status != http.StatusForbidden || p.url.Query().Has("ticket") || !strings.HasPrefix(p.url.String(), apps["gateway"]+"/") {
		t.Errorf("gateway without a session: %d at %s: %s", p.status, p.url, p.body)
	}

	// CAS 3.0: the sign-in, then the library's validation with attributes.
	p = br.signIn(apps["v3"]+"/wiki/home", user, password)
	got := casPage(t, p)
	ticket := got.take(t, "ticket", "ST-")
	got.authDate(t)
	got.want(t, map[string]any{"app": "v3", "user": "dora.wiki", "attributes": map[string]any{
		"longTermAuthenticationRequestTokenUsed": "false", "isFromNewLogin": "true",
		"mail": email, "displayName": name, "memberOf": []string{"editor", "viewer"}}})
	if p.url.String() != apps["v3"]+"/wiki/home" {
		t.Errorf("the library should return to the page without the ticket, is at %s", p.url)
	}
	// The library spent the ticket: it cannot be validated again.
	_, c := casGet(t, g, "/api/v1/cas/p3/serviceValidate", url.Values{"service": {apps["v3"] + "/wiki/home"}, "ticket": {ticket}})
	if c.Failure == nil || c.Failure.Code != "INVALID_TICKET" {
		t.Errorf("the ticket the library validated, again: %+v", c)
	}

	// CAS 2.0 through SSO: no second sign-in, no attributes.
	got = casPage(t, br.get(apps["v2"]+"/"))
	got.take(t, "ticket", "ST-")
	got.want(t, map[string]any{"app": "v2", "user": user})

	// Proxy: the https application gets a proxy-granting ticket at its
	// pgtUrl, and its page calls the backend with a proxy ticket, which
	// the backend's library validates at /p3/proxyValidate.
	got = casPage(t, br.get(apps["proxy"]+"/"))
	got.take(t, "ticket", "ST-")
	got.authDate(t)
	backend, _ := got["backend"].(map[string]any)
	if backend == nil {
		t.Fatalf("proxy page without the backend's answer: %v", got)
	}
	bp := casAnswer(backend)
	bp.take(t, "ticket", "PT-")
	bp.authDate(t)
	delete(got, "backend")
	got.want(t, map[string]any{"app": "proxy", "user": user, "attributes": map[string]any{
		"longTermAuthenticationRequestTokenUsed": "false", "isFromNewLogin": "false"}})
	bp.want(t, map[string]any{"app": "backend", "user": user, "attributes": map[string]any{
		"longTermAuthenticationRequestTokenUsed": "false", "isFromNewLogin": "false", "mail": email}})

	// renew=true: the sign-in page again despite the session (signIn fails
	// the test if it does not show), and the ticket says so.
	got = casPage(t, br.signIn(apps["renew"]+"/", user, password))
	got.take(t, "ticket", "ST-")
	got.authDate(t)
	got.want(t, map[string]any{"app": "renew", "user": user, "attributes": map[string]any{
		"longTermAuthenticationRequestTokenUsed": "false", "isFromNewLogin": "true"}})

	// A made-up ticket: the library reports the authenticationFailure.
	p = newBrowser(t).get(apps["v2"] + "/?ticket=ST-madeup")
	if p.status != http.StatusUnauthorized || !strings.Contains(p.body, `"error"`) {
		t.Errorf("a made-up ticket: %d %s", p.status, p.body)
	}

	// The library used the endpoints its options name.
	routes := map[string]int{}
	for _, line := range strings.Split(g.log(), "\n") {
		var rec struct{ Msg, Route string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "request" {
			routes[rec.Route]++
		}
	}
	for _, route := range []string{"GET /api/v1/cas/login", "GET /api/v1/cas/p3/serviceValidate", "GET /api/v1/cas/serviceValidate",
		"GET /api/v1/cas/proxy", "GET /api/v1/cas/p3/proxyValidate"} {
		if routes[route] == 0 {
			t.Errorf("no request to %s; routes: %v", route, routes)
		}
	}
}

// casAnswer is what a page of cas.mjs said the library reported.
type casAnswer map[string]any

func casPage(t *testing.T, p page) casAnswer {
	t.Helper()
	var m casAnswer
	if p.status != http.StatusOK || json.Unmarshal([]byte(p.body), &m) != nil {
		t.Fatalf("application page at %s: %d %s", p.url, p.status, p.body)
	}
	return m
}

// take removes and returns a ticket field, which must start with prefix
// and be 32 characters long (what every CAS client must accept).
func (a casAnswer) take(t *testing.T, key, prefix string) string {
	t.Helper()
	v, _ := a[key].(string)
	if !strings.HasPrefix(v, prefix) || len(v) != 32 {
		t.Errorf("%v: %s = %q, want %s and 29 characters", a["app"], key, v, prefix)
	}
	delete(a, key)
	return v
}

// authDate removes the authenticationDate attribute after checking it is
// a recent ISO 8601 UTC time with milliseconds.
func (a casAnswer) authDate(t *testing.T) {
	t.Helper()
	attrs, _ := a["attributes"].(map[string]any)
	v, _ := attrs["authenticationDate"].(string)
	at, err := time.Parse("2006-01-02T15:04:05.000Z", v)
	if err != nil || time.Since(at) > 5*time.Minute || time.Until(at) > time.Minute {
		t.Errorf("%v: authenticationDate %q", a["app"], v)
	}
	delete(attrs, "authenticationDate")
}

func (a casAnswer) want(t *testing.T, want map[string]any) {
	t.Helper()
	if got, w := canonicalJSON(t, a), canonicalJSON(t, want); got != w {
		t.Errorf("http-cas-client reported\n%s\nwant\n%s", got, w)
	}
}

// testCert is a self-signed certificate for 127.0.0.1, trusted by
// Gatehouse (--outbound-ca-file) for the proxy callback and by the
// browser.
type testCert struct {
	certFile, keyFile string
	pool              *x509.CertPool
}

func newTestCert(t *testing.T) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c := testCert{certFile: filepath.Join(dir, "cert.pem"), keyFile: filepath.Join(dir, "key.pem"), pool: x509.NewCertPool()}
	if err := os.WriteFile(c.certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600); err != nil {
		t.Fatal(err)
	}
	parsed, _ := x509.ParseCertificate(der)
	c.pool.AddCert(parsed)
	return c
}

// startCASApps runs e2e/js/cas.mjs until the test ends and returns the
// origin of each of its applications.
func startCASApps(t *testing.T, node, casURL string, cert testCert) map[string]string {
	t.Helper()
	cmd := exec.Command(node, filepath.Join("js", "cas.mjs"), "--cas-url", casURL, "--tls-cert", cert.certFile, "--tls-key", cert.keyFile)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var stderr bytes.Buffer
	cmd.Stderr = writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return stderr.Write(b)
	})
	logs := func() string {
		mu.Lock()
		defer mu.Unlock()
		return stderr.String()
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}) // closed once cas.mjs has exited
	var exitErr error
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			first <- sc.Text()
		}
		io.Copy(io.Discard, stdout)
		exitErr = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		stdin.Close() // cas.mjs exits when its input ends
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("cas.mjs stderr:\n%s", logs())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	select {
	case line := <-first:
		var apps map[string]string
		if err := json.Unmarshal([]byte(line), &apps); err != nil || len(apps) != 6 {
			t.Fatalf("cas.mjs printed %q, want the origins of its six applications\n%s", line, logs())
		}
		return apps
	case <-done:
		t.Fatalf("cas.mjs exited before listening: %v\n%s", exitErr, logs())
	case <-ctx.Done():
		t.Fatalf("cas.mjs not listening after 30s\n%s", logs())
	}
	return nil
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
