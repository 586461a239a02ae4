package e2e

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// mellonModules is where Debian's apache2 keeps its modules.
const mellonModules = "/usr/lib/apache2/modules"

// TestBrowserSAMLMellon signs in to a real Apache service provider,
// mod_auth_mellon (Debian's libapache2-mod-auth-mellon, built on Lasso),
// through Chromium: Apache at http://localhost:PORT protects /secret/,
// Mellon sends the browser to Gatehouse with a signed HTTP-Redirect
// AuthnRequest, the user signs in on Gatehouse's page, the auto-post page
// posts the Response to Mellon's ACS, and Apache shows the NameID and a
// mapped attributes. Gatehouse registers the SP from metadata in the form
// Mellon's own mellon_create_metadata tool writes, and Mellon trusts
// Gatehouse's metadata as served. Each sign-in ends with single logout
// started at Mellon, after which /secret/ asks to sign in at Gatehouse
// again; the second and third sign-ins get assertions encrypted with
// AES-128-GCM and AES-256-GCM, which Lasso decrypts.
func TestBrowserSAMLMellon(t *testing.T) {
	apache, err := exec.LookPath("apache2")
	if err != nil {
		apache = "/usr/sbin/apache2"
	}
	if _, err := os.Stat(apache); err != nil {
		t.Skip("mellon test skipped: apache2 not installed (apt-get install apache2 libapache2-mod-auth-mellon; .ci/run does)")
	}
	if _, err := os.Stat(filepath.Join(mellonModules, "mod_auth_mellon.so")); err != nil {
		t.Skipf("mellon test skipped: %s/mod_auth_mellon.so not installed (apt-get install libapache2-mod-auth-mellon; .ci/run does)", mellonModules)
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("mellon test skipped: %s not installed (apt-get install chromium; .ci/run does)", chromium)
	}

	g := start(t, "sqlite:"+t.TempDir()+"/gh.db", "--mobile-optional")
	admin := bearer(g.token(clientID, clientSecret, nil))
	g.user(admin, map[string]any{"user_name": "alice", "password": alicePassword, "email": "alice@example.com", "name": "Alice Liddell"})

	// The SP is on another site than Gatehouse (localhost, not 127.0.0.1),
	// as in production: Mellon's cookies must survive the cross-site post.
	port := mellonFreePort(t)
	sp := fmt.Sprintf("http://localhost:%d", port)
	entityID := sp + "/mellon/metadata"
	dir := mellonDir(t)

	// The SP's key pair and metadata, in the form mellon_create_metadata
	// writes them.
	key, cert := spKey(t, "localhost")
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certB64 := base64.StdEncoding.EncodeToString(cert.Raw)
	spMD := `<EntityDescriptor entityID="` + entityID + `" xmlns="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
  <SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" AuthnRequestsSigned="true">
    <KeyDescriptor use="encryption">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data>
          <ds:X509Certificate>` + certB64 + `</ds:X509Certificate>
        </ds:X509Data>
      </ds:KeyInfo>
    </KeyDescriptor>
    <KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data>
          <ds:X509Certificate>` + certB64 + `</ds:X509Certificate>
        </ds:X509Data>
      </ds:KeyInfo>
    </KeyDescriptor>
    <SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="` + sp + `/mellon/logout"/>
    <NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</NameIDFormat>
    <AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="` + sp + `/mellon/postResponse" index="0"/>
  </SPSSODescriptor>
</EntityDescriptor>
`
	md, idpMD := idpMetadata(t, g)
	files := map[string][]byte{
		"sp-key.pem":        pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
		"sp-cert.pem":       pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
		"sp-metadata.xml":   []byte(spMD),
		"idp-metadata.xml":  idpMD,
		"htdocs/index.html": []byte("<!doctype html><title>public</title><p id=\"public\">public</p>\n"),
		"htdocs/secret/index.shtml": []byte(`<!doctype html><title>secret</title>
<p>NameID: <span id="nameid"><!--#echo var="MELLON_NAME_ID" --></span></p>
<p>User: <span id="user"><!--#echo var="REMOTE_USER" --></span></p>
<p>displayName: <span id="displayname"><!--#echo var="MELLON_displayName" --></span></p>
<p>department: <span id="department"><!--#echo var="MELLON_department" --></span></p>
<p>IdP: <span id="idp"><!--#echo var="MELLON_IDP" --></span></p>
<pre id="response"><!--#echo var="MELLON_SAML_RESPONSE" --></pre>
`),
	}
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		// Apache's children (www-data when the test runs as root) read them.
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Registered from Mellon's metadata: entity ID, ACS, SLO (Redirect),
	// the signing certificate and AuthnRequestsSigned, the NameID format.
	_, _, appID := g.app(admin, map[string]any{"name": "Apache", "protocol": "saml",
		"saml": map[string]any{"metadata_xml": spMD},
		"claim_mappings": []map[string]any{{"claim": "displayName", "source": "user.name", "in": []string{"saml"}},
			{"claim": "department", "value": "Research", "in": []string{"saml"}}}})
	r := g.call("GET", "/api/v2/tenant/applications/"+appID, nil, admin)
	s, _ := r.json(t)["saml"].(map[string]any)
	if s["entity_id"] != entityID || s["slo_url"] != sp+"/mellon/logout" || s["slo_binding"] != "redirect" ||
		s["want_authn_requests_signed"] != true || s["name_id_format"] != "email" || fmt.Sprint(s["sp_signing_certs"]) == "[]" ||
		s["sp_encryption_cert"] == "" || !strings.Contains(fmt.Sprint(s["acs"]), sp+"/mellon/postResponse") {
		t.Errorf("imported from Mellon's metadata: %s", r.body)
	}

	conf := filepath.Join(dir, "httpd.conf")
	if err := os.WriteFile(conf, []byte(mellonConf(dir, port)), 0o644); err != nil {
		t.Fatal(err)
	}
	mellonStart(t, apache, conf, dir, port)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// Start the browser with the long-lived context (the first one owns
	// it); each step then has its own deadline, so that a failure can
	// still read where the browser is.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			body, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			out, _ := os.ReadFile(filepath.Join(dir, "apache.out")) // Lasso's messages
			t.Fatalf("%s: %v\nat %s\n%s\nApache's error log:\n%s%s", what, err, loc, body, log, out)
		}
	}

	// Three rounds: the signed assertion in the clear, then encrypted to
	// the SP's encryption certificate from its metadata with each content
	// encryption Gatehouse offers. Each round signs in at Gatehouse and
	// ends with single logout started at Mellon; the next round's visit to
	// /secret/ showing the sign-in page proves both sessions ended.
	for _, enc := range []string{"", "aes128-gcm", "aes256-gcm"} {
		round := "in the clear"
		if enc != "" {
			round = "encrypted with " + enc
			r := g.call("PUT", "/api/v2/tenant/applications/"+appID,
				map[string]any{"saml": map[string]any{"encrypt_assertion": true, "encryption_method": enc}}, admin)
			if r.status != 200 {
				t.Fatalf("encrypt_assertion: %d %s", r.status, r.body)
			}
		}
		// /secret/ sends the browser to Gatehouse's sign-in page (Mellon's
		// AuthnRequest is signed: Gatehouse requires it, from the metadata).
		step(round+": Mellon to Gatehouse's sign-in page", chromedp.Navigate(sp+"/secret/"), chromedp.WaitVisible(chromedp.ID("username")))
		if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasPrefix(loc, g.url+"/") {
			t.Errorf("%s: the sign-in page is at %s, not at Gatehouse", round, loc)
		}
		if lead, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".lead"))); !strings.Contains(lead, "Apache") {
			t.Errorf("%s: the sign-in page does not name the application: %q", round, lead)
		}
		// Sign in: the auto-post page posts the Response to Mellon's ACS,
		// Mellon accepts it and sends the browser back to /secret/.
		step(round+": sign-in, then the protected page",
			chromedp.SendKeys(chromedp.ID("username"), "alice"),
			chromedp.SendKeys(chromedp.ID("password"), alicePassword),
			chromedp.Click(chromedp.CSS("button[type=submit]")),
			chromedp.WaitVisible(chromedp.ID("nameid")),
		)
		if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != sp+"/secret/" {
			t.Errorf("%s: after sign-in the browser is at %s, want %s/secret/", round, loc, sp)
		}
		want := map[string]string{"nameid": "alice@example.com", "user": "alice@example.com", "displayname": "Alice Liddell",
			"department": "Research", "idp": g.url + samlMetadata}
		for id, w := range want {
			if got, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id))); got != w {
				t.Errorf("%s: Apache shows %s = %q, want %q", round, id, got, w)
			}
		}
		// The Response Mellon accepted (MellonSamlResponseDump): encrypted
		// or not as configured; in the clear, its assertion's signature is
		// checked by xmlsec1 too.
		dump, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("response")))
		msg, err := base64.StdEncoding.DecodeString(strings.TrimSpace(dump))
		if err != nil {
			t.Fatalf("%s: MELLON_SAML_RESPONSE is not base64: %v\n%s", round, err, dump)
		}
		encrypted := strings.Contains(string(msg), "EncryptedAssertion>")
		if encrypted != (enc != "") || (enc != "" && !strings.Contains(string(msg), `Algorithm="http://www.w3.org/2009/xmlenc11#`+enc+`"`)) {
			t.Errorf("%s: the Response Mellon accepted is not as configured:\n%s", round, msg)
		}
		if !encrypted {
			xmlsecVerify(t, md, msg)
		}

		// Single logout started at Mellon: a signed LogoutRequest
		// (Redirect binding) to Gatehouse, whose signed LogoutResponse
		// Mellon checks (it answers 400 otherwise) before going on to
		// ReturnTo.
		step(round+": single logout",
			chromedp.Navigate(sp+"/mellon/logout?ReturnTo="+url.QueryEscape(sp+"/index.html")),
			chromedp.WaitVisible(chromedp.ID("public")),
		)
	}
	// Signed out at both: /secret/ goes to Gatehouse's sign-in page again.
	step("/secret/ after the last logout", chromedp.Navigate(sp+"/secret/"), chromedp.WaitVisible(chromedp.ID("username")))
}

// mellonFreePort is a free TCP port of the loopback.
func mellonFreePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// mellonDir is Apache's ServerRoot. As root, Apache serves from www-data,
// which must reach the files: the temporary directories are opened to it.
func mellonDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		os.Chmod(filepath.Dir(dir), 0o755)
		os.Chmod(dir, 0o755)
	}
	return dir
}

// mellonConf is a complete Apache configuration: nothing of /etc/apache2.
func mellonConf(dir string, port int) string {
	var b strings.Builder
	for _, m := range []string{"mpm_prefork", "authn_core", "authz_core", "authz_user", "dir", "include", "auth_mellon"} {
		fmt.Fprintf(&b, "LoadModule %s_module %s/mod_%s.so\n", m, mellonModules, m)
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "User www-data\nGroup www-data\n"
	}
	fmt.Fprintf(&b, `ServerRoot "%[1]s"
ServerName localhost
Listen 127.0.0.1:%[2]d
PidFile "%[1]s/httpd.pid"
DefaultRuntimeDir "%[1]s"
ErrorLog "%[1]s/error.log"
LogLevel warn auth_mellon:info
%[3]sStartServers 2
MinSpareServers 2
MaxSpareServers 4
KeepAlive Off
DocumentRoot "%[1]s/htdocs"
DirectoryIndex index.shtml index.html

MellonCacheSize 10
MellonLockFile "%[1]s/mellon.lock"

<Location />
    MellonEndpointPath /mellon
    MellonSPMetadataFile "%[1]s/sp-metadata.xml"
    MellonSPPrivateKeyFile "%[1]s/sp-key.pem"
    MellonSPCertFile "%[1]s/sp-cert.pem"
    MellonIdPMetadataFile "%[1]s/idp-metadata.xml"
    MellonIdP IDP
    MellonUser NAME_ID
    MellonSamlResponseDump On
    MellonSecureCookie On
</Location>
<Location /secret/>
    AuthType Mellon
    MellonEnable auth
    Require valid-user
</Location>
<Directory "%[1]s/htdocs/secret">
    Options +Includes
    <Files "*.shtml">
        ForceType text/html
        SetOutputFilter INCLUDES
    </Files>
</Directory>
`, dir, port, user)
	return b.String()
}

// mellonStart runs Apache in the foreground until the test ends.
func mellonStart(t *testing.T, apache, conf, dir string, port int) {
	t.Helper()
	cmd := exec.Command(apache, "-f", conf, "-DFOREGROUND")
	// Its own process group: on shutdown Apache signals its whole group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := os.Create(filepath.Join(dir, "apache.out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); out.Close(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	logs := func() string {
		a, _ := os.ReadFile(filepath.Join(dir, "apache.out"))
		e, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		return string(a) + string(e)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-done:
			t.Fatalf("apache2 exited at start:\n%s", logs())
		default:
		}
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("apache2 not listening after 10s:\n%s", logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
