package e2e

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

const chromium = "/usr/bin/chromium"

// rp is a minimal relying party: /login starts a code + PKCE flow, /cb
// exchanges the code with x/oauth2, verifies the ID token with go-oidc and
// shows who signed in.
func newRP(t *testing.T, provider *oidc.Provider, name string, conf func(redirect string) (string, string)) *httptest.Server {
	var cfg oauth2.Config
	verifier := oauth2.GenerateVerifier()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			http.Redirect(w, r, cfg.AuthCodeURL("st-"+name, oauth2.S256ChallengeOption(verifier), oidc.Nonce("n-"+name)), http.StatusFound)
		case "/cb":
			if e := r.URL.Query().Get("error"); e != "" {
				http.Error(w, "error "+e, http.StatusBadRequest)
				return
			}
			tok, err := cfg.Exchange(r.Context(), r.URL.Query().Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				http.Error(w, "exchange: "+err.Error(), http.StatusBadGateway)
				return
			}
			idt, err := provider.Verifier(&oidc.Config{ClientID: cfg.ClientID}).Verify(r.Context(), tok.Extra("id_token").(string))
			if err != nil || idt.Nonce != "n-"+name {
				http.Error(w, fmt.Sprint("id token: ", err), http.StatusBadGateway)
				return
			}
			var c struct {
				PreferredUsername string `json:"preferred_username"`
			}
			idt.Claims(&c)
			fmt.Fprintf(w, `<!doctype html><title>%s</title><p id="who">Signed in to %s as %s</p>`, name, name, html.EscapeString(c.PreferredUsername))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	id, secret := conf(srv.URL + "/cb")
	cfg = oauth2.Config{ClientID: id, ClientSecret: secret, Endpoint: provider.Endpoint(), RedirectURL: srv.URL + "/cb",
		Scopes: []string{"openid", "profile"}}
	return srv
}

// TestBrowserSignInAndSSO signs in through the real page in Chromium, then
// into a second application with no prompt. The page's CSP (no script,
// form-action limited to Gatehouse and the application) is enforced by the
// real browser along the way.
func TestBrowserSignInAndSSO(t *testing.T) {
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
	register := func(name string) func(string) (string, string) {
		return func(redirect string) (string, string) {
			id, secret, _ := g.app(admin, map[string]any{"name": name, "protocol": "oidc", "oidc": map[string]any{"redirect_uris": []string{redirect}}})
			return id, secret
		}
	}
	payroll := newRP(t, provider, "Payroll", register("Payroll"))
	wiki := newRP(t, provider, "Wiki", register("Wiki"))

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	// First application: the sign-in page appears; fill it in and submit.
	err = chromedp.Do(ctx,
		chromedp.Navigate(payroll.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("username")),
	)
	if err != nil {
		t.Fatalf("sign-in page: %v", err)
	}
	title, _ := chromedp.Run(ctx, chromedp.Title())
	lead, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".lead")))
	if !strings.Contains(title, "Sign in") || !strings.Contains(lead, "Payroll") {
		t.Errorf("sign-in page: title %q, lead %q", title, lead)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("username"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), alicePassword),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("who")),
	)
	if err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		body, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
		t.Fatalf("after submitting the form: %v\nat %s\n%s", err, loc, body)
	}
	who, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("who")))
	if who != "Signed in to Payroll as alice" {
		t.Errorf("first application shows %q", who)
	}

	// Second application: no prompt, straight back signed in.
	err = chromedp.Do(ctx, chromedp.Navigate(wiki.URL+"/login"), chromedp.WaitVisible(chromedp.ID("who")))
	if err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("second application: %v (at %s)", err, loc)
	}
	who, _ = chromedp.Run(ctx, chromedp.Text(chromedp.ID("who")))
	if who != "Signed in to Wiki as alice" {
		t.Errorf("second application shows %q", who)
	}
}
