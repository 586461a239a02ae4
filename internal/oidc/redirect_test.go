package oidc

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/apps"
)

func TestMatchRedirect(t *testing.T) {
	exact := &apps.OIDCSettings{RedirectURIs: []string{"https://app.example.com/cb", "com.example.app:/oauth"}, RedirectURIMatching: apps.MatchExact}
	domain := &apps.OIDCSettings{RedirectURIs: []string{"https://app.example.com/cb"}, RedirectURIMatching: apps.MatchDomain}
	cases := []struct {
		s    *apps.OIDCSettings
		uri  string
		want bool
	}{
		{exact, "https://app.example.com/cb", true},
		{exact, "com.example.app:/oauth", true},
		{exact, "https://app.example.com/cb/", false},
		{exact, "https://app.example.com/cb?x=1", false},
		{exact, "https://APP.example.com/cb", false},
		{exact, "https://app.example.com/other", false},
		{exact, "", false},
		{domain, "https://app.example.com/other?x=1", true},
		{domain, "https://app.example.com:443/cb", true},
		{domain, "https://APP.EXAMPLE.COM/cb", true},
		{domain, "http://app.example.com/cb", false},
		{domain, "https://app.example.com:8443/cb", false},
		{domain, "https://app.example.com.evil.com/cb", false},
		{domain, "https://evil.com/app.example.com/cb", false},
		{domain, "https://app.example.com@evil.com/cb", false},
		{domain, "https://user@app.example.com/cb", false},
		{domain, "https://app.example.com/cb#frag", false},
		{domain, "//app.example.com/cb", false},
		{domain, "https:app.example.com/cb", false},
		{domain, "javascript://app.example.com/%0aalert(1)", false},
	}
	for _, c := range cases {
		if got := matchRedirect(c.s, c.uri); got != c.want {
			t.Errorf("match(%s, %q) = %v, want %v", c.s.RedirectURIMatching, c.uri, got, c.want)
		}
	}
}

func FuzzMatchRedirect(f *testing.F) {
	domain := &apps.OIDCSettings{RedirectURIs: []string{"https://app.example.com/cb"}, RedirectURIMatching: apps.MatchDomain}
	for _, s := range []string{"https://app.example.com/x", "https://app.example.com.evil/x", "https://a@app.example.com/", "https://app.example.com:443/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		if !matchRedirect(domain, uri) {
			return
		}
		// Whatever matched must send the browser to app.example.com:443
		// over https, with no user info and no fragment.
		u := mustParse(t, uri)
		if !equalFold(u.Scheme, "https") || port(u) != "443" || u.User != nil || u.Fragment != "" {
			t.Fatalf("matched %q: %+v", uri, u)
		}
		if h := u.Hostname(); !equalFold(h, "app.example.com") {
			t.Fatalf("matched %q with host %q", uri, h)
		}
	})
}
