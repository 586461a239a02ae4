package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
)

// TestBrowserMFA: in Chromium (no script runs on these pages, under their
// strict CSP), the enrolment page of an application requiring MFA shows a
// secret whose code completes the sign-in; a second browser gets the code
// page after the password.
func TestBrowserMFA(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("browser test skipped: %s not installed (apt-get install chromium; .ci/run does)", chromium)
	}
	g := start(t, "sqlite:"+t.TempDir()+"/gh.db", "--mobile-optional")
	admin := bearer(g.token(clientID, clientSecret, nil))
	g.user(admin, map[string]any{"user_name": "alice", "password": alicePassword, "name": "Alice"})
	provider, err := oidc.NewProvider(context.Background(), g.url+"/api/v1/oauth2")
	if err != nil {
		t.Fatal(err)
	}
	vault := newRP(t, provider, "Vault", func(redirect string) (string, string) {
		id, secret, _ := g.app(admin, map[string]any{"name": "Vault", "protocol": "oidc", "oidc": map[string]any{"redirect_uris": []string{redirect}},
			"login": map[string]any{"mfa": "required"}})
		return id, secret
	})
	newChromium := func() context.Context {
		opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.UserDataDir(t.TempDir()), chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true))
		actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
		t.Cleanup(cancel)
		ctx, cancel := chromedp.NewContext(actx)
		t.Cleanup(cancel)
		ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
		t.Cleanup(cancel)
		return ctx
	}
	password := func(ctx context.Context, next string) {
		t.Helper()
		err := chromedp.Do(ctx,
			chromedp.Navigate(vault.URL+"/login"),
			chromedp.WaitVisible(chromedp.ID("username")),
			chromedp.SendKeys(chromedp.ID("username"), "alice"),
			chromedp.SendKeys(chromedp.ID("password"), alicePassword),
			chromedp.Click(chromedp.CSS("button[type=submit]")),
			chromedp.WaitVisible(chromedp.ID(next)),
		)
		if err != nil {
			body, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
			t.Fatalf("after the password, waiting for #%s: %v\n%s", next, err, body)
		}
	}
	enterCode := func(ctx context.Context, code string) {
		t.Helper()
		err := chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.ID("code"), code),
			chromedp.Click(chromedp.CSS("button[type=submit]")),
			chromedp.WaitVisible(chromedp.ID("who")),
		)
		if err != nil {
			body, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
			t.Fatalf("after the code: %v\n%s", err, body)
		}
		if who, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("who"))); who != "Signed in to Vault as alice" {
			t.Errorf("the application shows %q", who)
		}
	}

	// Enrolment page: title, secret, setup link; the first code signs in.
	a := newChromium()
	password(a, "totp-secret")
	title, _ := chromedp.Run(a, chromedp.Title())
	secret, _ := chromedp.Run(a, chromedp.Text(chromedp.ID("totp-secret")))
	if !strings.Contains(title, "Set up two-step verification") || len(secret) != 32 {
		t.Fatalf("enrolment page: title %q, secret %q", title, secret)
	}
	step := stepNow()
	enterCode(a, totpAt(t, secret, step))

	// Code page in another browser, then the application.
	b := newChromium()
	password(b, "code")
	title, _ = chromedp.Run(b, chromedp.Title())
	if !strings.Contains(title, "Enter your code") {
		t.Errorf("code page title %q", title)
	}
	enterCode(b, totpAt(t, secret, step+1))
}
