package apps

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestDetectForm(t *testing.T) {
	page := mustURL("https://app.example.com/auth/login?x=1")
	cases := []struct {
		what, html string
		want       string // JSON of the proposed form_fill
		warnings   []string
	}{
		{"a typical form", `<html><body>
			<form action="/search"><input name="q"></form>
			<form action="../session" method="POST">
			<input type="hidden" name="lang" value="en">
			<input type="hidden" name="csrf_token" value="abc">
			<label>User <input name="user" autocomplete="username"></label>
			<input type="password" name="pass">
			<input type="checkbox" name="remember" value="1">
			<button name="go" value="1">Sign in</button>
			</form>`,
			`{"login_url":"https://app.example.com/auth/login?x=1","action_url":"https://app.example.com/session","method":"POST","username_field":"user","password_field":"pass","extra_fields":{"go":"1","lang":"en"},"user_sets_credentials":true}`,
			[]string{`The hidden field "csrf_token" looks like a per-visit token`}},
		{"base href, GET, e-mail field", `<base href="https://sso.example.com/x/"><form action="s#frag"><input type="email" name="mail"><input type="password" name="pw"></form>`,
			`{"login_url":"https://app.example.com/auth/login?x=1","action_url":"https://sso.example.com/x/s","method":"GET","username_field":"mail","password_field":"pw","extra_fields":{},"user_sets_credentials":true}`,
			[]string{"The form is sent with GET"}},
		{"empty action, script action elsewhere", `<form method=post action="javascript:go()"><input name=login><input type=password name=secret><input type=password name=again></form>`,
			`{"login_url":"https://app.example.com/auth/login?x=1","action_url":"https://app.example.com/auth/login?x=1","method":"POST","username_field":"login","password_field":"secret","extra_fields":{},"user_sets_credentials":true}`,
			[]string{"more than one password field", "not an http(s) URL"}},
		{"credentials in the action URL", `<form method=post action="https://svc:secret@sso.example.com/s"><input name=u><input type=password name=p></form>`,
			`{"login_url":"https://app.example.com/auth/login?x=1","action_url":"https://sso.example.com/s","method":"POST","username_field":"u","password_field":"p","extra_fields":{},"user_sets_credentials":true}`,
			[]string{"carries a user name or password"}},
		{"user field after the password, found by its name", `<form method=post><input type=password name=p><input name=account_id></form>`,
			`{"login_url":"https://app.example.com/auth/login?x=1","action_url":"https://app.example.com/auth/login?x=1","method":"POST","username_field":"account_id","password_field":"p","extra_fields":{},"user_sets_credentials":true}`,
			nil},
	}
	for _, c := range cases {
		got, err := DetectForm([]byte(c.html), page)
		if err != nil {
			t.Errorf("%s: %v", c.what, err)
			continue
		}
		js, _ := json.Marshal(got.FormFill)
		if string(js) != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.what, js, c.want)
		}
		all := strings.Join(got.Warnings, "\n")
		for _, w := range c.warnings {
			if !strings.Contains(all, w) {
				t.Errorf("%s: warnings %q lack %q", c.what, got.Warnings, w)
			}
		}
		if c.warnings == nil && len(got.Warnings) != 0 {
			t.Errorf("%s: unexpected warnings %q", c.what, got.Warnings)
		}
		// What detection proposes passes the form_fill rules.
		if err := got.FormFill.validate(); err != nil {
			t.Errorf("%s: the proposal is refused: %v", c.what, err)
		}
	}
	for _, bad := range []string{``, `<form><input name=u><input type=password></form>`, `<input type=password name=p>`, `<form><input name=u></form>`} {
		if _, err := DetectForm([]byte(bad), page); err != errNoLoginForm {
			t.Errorf("%q: %v, want errNoLoginForm", bad, err)
		}
	}
}

// FuzzDetectForm: any page, however broken, gives a proposal or
// errNoLoginForm, and a proposal's action is an http(s) URL.
func FuzzDetectForm(f *testing.F) {
	for _, s := range []string{
		`<form action="/s" method=post><input name=u><input type=password name=p><input type=hidden name=h value=v></form>`,
		`<base href="//x"><form action="http://[::1]:80/a"><input type=password name=p></form>`,
		`<form><form><input type=password name=p></form></form>`,
		`<svg><form><input type=password name=p></svg>`,
		"<form action=\"\x00\"><input type=password name=\"p\x00\"></form>",
	} {
		f.Add([]byte(s))
	}
	page := mustURL("https://app.example.com/login")
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := DetectForm(b, page)
		if err != nil {
			if err != errNoLoginForm {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		u, perr := url.Parse(got.FormFill.ActionURL)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || got.FormFill.PasswordField == "" {
			t.Fatalf("proposal %+v", got.FormFill)
		}
	})
}
