package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	bin "encoding/binary"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// totpAt is an authenticator's code for a base32 secret at step (RFC 6238
// with SHA-1 and 6 digits), written here as an integrator would, not
// taken from Gatehouse.
func totpAt(t *testing.T, b32 string, step int64) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(b32)
	if err != nil {
		t.Fatalf("secret %q: %v", b32, err)
	}
	m := hmac.New(sha1.New, key)
	bin.Write(m, bin.BigEndian, step)
	h := m.Sum(nil)
	o := h[len(h)-1] & 15
	return fmt.Sprintf("%06d", (bin.BigEndian.Uint32(h[o:])&0x7fffffff)%1000000)
}

func stepNow() int64 { return time.Now().Unix() / 30 }

var secretRE = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)

const (
	pageMFA      = `action="/api/v1/login/mfa"`
	msgWrongCode = "That code is not right."
	msgReplayed  = "That code was used already."
	msgTooMany   = "Too many wrong codes. Sign in again."
)

// enrolPage checks the enrolment page and returns the secret it shows.
func enrolPage(t *testing.T, p page, user string) string {
	t.Helper()
	m := secretRE.FindStringSubmatch(p.body)
	if p.status != 200 || m == nil || !strings.Contains(p.body, pageMFA) {
		t.Fatalf("want the enrolment page, got %d:\n%s", p.status, p.body)
	}
	if !strings.Contains(p.body, html.EscapeString("otpauth://totp/")) || !strings.Contains(p.body, "secret="+m[1]) ||
		!strings.Contains(p.body, ":"+user+"?") {
		t.Errorf("the enrolment page lacks the otpauth URI:\n%s", p.body)
	}
	return m[1]
}

func wantCodePage(t *testing.T, what string, p page, status int, msg string) {
	t.Helper()
	if p.status != status || !strings.Contains(p.body, pageMFA) || strings.Contains(p.body, `id="totp-secret"`) ||
		strings.Contains(p.body, `name="password"`) || (msg != "" && !strings.Contains(p.body, html.EscapeString(msg))) {
		t.Fatalf("%s: want the code page (%d, %q), got %d:\n%s", what, status, msg, p.status, p.body)
	}
}

// amrOf exchanges a code and returns the verified ID token's amr and acr.
func (e *oidcEnv) amrOf(t *testing.T, a rp, code string) ([]string, string) {
	t.Helper()
	tok := tokens(t, "exchange", e.exchange(t, a, code, nil))
	idt, err := e.provider.Verifier(&oidc.Config{ClientID: a.id}).Verify(context.Background(), str(tok, "id_token"))
	if err != nil {
		t.Fatalf("id token: %v", err)
	}
	var c struct {
		AMR []string `json:"amr"`
		ACR string   `json:"acr"`
	}
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	return c.AMR, c.ACR
}

// TestMFA: an application with login.mfa "required", over HTTP on both
// backends. The first sign-in enrols an authenticator (the test computes
// codes from the secret the page shows), the next asks for a code and
// refuses a wrong one, a replayed one and, after five wrong codes, the
// pending sign-in; the ID token says amr pwd+otp+mfa, acr 2. An
// application with mfa off still takes the password alone, and a
// password-only session opening the MFA application is asked for the code,
// not the password.
func TestMFA(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			e := newOIDCEnv(t, start(t, b.dsn(t)))
			secure := e.app(t, "Vault", nil)
			if r := e.g.call("PUT", appsPath+"/"+secure.appID, map[string]any{"login": map[string]any{"mfa": "required"}}, e.admin); r.status != 200 ||
				!strings.Contains(string(r.body), `"login":{"methods":["password"],"mfa":"required"}`) {
				t.Fatalf("require mfa: %d %s", r.status, r.body)
			}
			wantError(t, "bad mfa", e.g.call("PUT", appsPath+"/"+secure.appID, map[string]any{"login": map[string]any{"mfa": "maybe"}}, e.admin),
				400, `{"error_code":"APP.0064","error_msg":"The login.mfa must be off or required."}`)
			plain := e.app(t, "Wiki", nil)

			// First sign-in: the password, then enrolment.
			br := newBrowser(t)
			p := br.signIn(e.authURL(secure, nil), "alice", alicePassword)
			sec := enrolPage(t, p, "alice")
			if w := br.submit(p, "/api/v1/login/mfa", url.Values{"code": {"000000"}}); w.status != 401 || enrolPage(t, page{status: 200, body: w.body}, "alice") != sec ||
				!strings.Contains(w.body, msgWrongCode) {
				t.Fatalf("wrong enrolment code: %d\n%s", w.status, w.body)
			}
			step := stepNow()
			first := totpAt(t, sec, step)
			p = br.submit(p, "/api/v1/login/mfa", url.Values{"code": {first}})
			amr, acr := e.amrOf(t, secure, codeOf(t, p))
			if !slices.Equal(amr, []string{"pwd", "otp", "mfa"}) || acr != "2" {
				t.Errorf("after enrolment: amr %v acr %q", amr, acr)
			}
			// The session now serves the MFA application without a code.
			e.code(t, br, secure, nil)

			// Next sign-in (a new browser): the code page, no enrolment.
			br2 := newBrowser(t)
			p = br2.signIn(e.authURL(secure, nil), "alice", alicePassword)
			wantCodePage(t, "second sign-in", p, 200, "")
			wantCodePage(t, "wrong code", br2.submit(p, "/api/v1/login/mfa", url.Values{"code": {"000000"}}), 401, msgWrongCode)
			wantCodePage(t, "replayed code", br2.submit(p, "/api/v1/login/mfa", url.Values{"code": {first}}), 401, msgReplayed)
			p = br2.submit(p, "/api/v1/login/mfa", url.Values{"code": {totpAt(t, sec, step+1)}})
			if amr, _ := e.amrOf(t, secure, codeOf(t, p)); !slices.Contains(amr, "otp") {
				t.Errorf("second sign-in: amr %v", amr)
			}

			// Five wrong codes end the pending sign-in.
			br3 := newBrowser(t)
			p = br3.signIn(e.authURL(secure, nil), "alice", alicePassword)
			for i := 1; i < 5; i++ {
				wantCodePage(t, fmt.Sprint("wrong code ", i), br3.submit(p, "/api/v1/login/mfa", url.Values{"code": {"000000"}}), 401, msgWrongCode)
			}
			last := br3.submit(p, "/api/v1/login/mfa", url.Values{"code": {"000000"}})
			if last.status != 401 || !strings.Contains(last.body, pageLogin) || !strings.Contains(last.body, msgTooMany) {
				t.Fatalf("fifth wrong code: want the password form again, got %d:\n%s", last.status, last.body)
			}
			if again := br3.submit(p, "/api/v1/login/mfa", url.Values{"code": {totpAt(t, sec, step+1)}}); !strings.Contains(again.body, pageLogin) {
				t.Fatalf("a code after the pending sign-in ended: %d\n%s", again.status, again.body)
			}

			// mfa off: the password alone; then step-up for the MFA app.
			e.newUser(t, "carol")
			br4 := newBrowser(t)
			amr, acr = e.amrOf(t, plain, codeOf(t, br4.signIn(e.authURL(plain, nil), "carol", alicePassword)))
			if !slices.Equal(amr, []string{"pwd"}) || acr != "1" {
				t.Errorf("mfa off: amr %v acr %q", amr, acr)
			}
			// prompt=none cannot step up.
			if p := br4.get(e.authURL(secure, url.Values{"prompt": {"none"}})); p.location == nil || p.location.Query().Get("error") != "interaction_required" {
				t.Errorf("prompt=none step-up: %d %v", p.status, p.location)
			}
			p = br4.get(e.authURL(secure, nil))
			csec := enrolPage(t, p, "carol") // carol has no authenticator: she enrols, without the password again
			if strings.Contains(p.body, `name="password"`) {
				t.Error("step-up asked for the password")
			}
			p = br4.submit(p, "/api/v1/login/mfa", url.Values{"code": {totpAt(t, csec, stepNow())}})
			if amr, _ := e.amrOf(t, secure, codeOf(t, p)); !slices.Equal(amr, []string{"pwd", "otp", "mfa"}) {
				t.Errorf("after step-up: amr %v", amr)
			}
			// The raised session still serves the plain app.
			e.code(t, br4, plain, nil)

			// An enrolled user with a password-only session gets the code page.
			br5 := newBrowser(t)
			codeOf(t, br5.signIn(e.authURL(plain, nil), "carol", alicePassword))
			p = br5.get(e.authURL(secure, nil))
			wantCodePage(t, "step-up", p, 200, "")
			p = br5.submit(p, "/api/v1/login/mfa", url.Values{"code": {totpAt(t, csec, stepNow()+1)}})
			if amr, _ := e.amrOf(t, secure, codeOf(t, p)); !slices.Contains(amr, "otp") {
				t.Errorf("after step-up of an enrolled user: amr %v", amr)
			}
			e.noInternalErrors(t)
		})
	}
}
