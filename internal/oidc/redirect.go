package oidc

import (
	"net"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apps"
)

// matchRedirect reports whether uri may receive the application's
// responses: it must equal a registered URI, or, for an application that
// opted into OneAccess's "domain" matching, have the same scheme, host and
// port as one (any path and query). No fragment and no user info, ever.
func matchRedirect(s *apps.OIDCSettings, uri string) bool {
	if uri == "" || len(uri) > 2048 {
		return false
	}
	for _, reg := range s.RedirectURIs {
		if uri == reg {
			return true
		}
	}
	if s.RedirectURIMatching != apps.MatchDomain {
		return false
	}
	u, err := url.Parse(uri)
	if err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(uri, "#") || u.User != nil || u.Opaque != "" {
		return false
	}
	for _, reg := range s.RedirectURIs {
		r, err := url.Parse(reg)
		if err == nil && sameOrigin(r, u) {
			return true
		}
	}
	return false
}

// sameOrigin compares scheme, host and port, with default ports explicit.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) &&
		a.Hostname() != "" && port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// origin is the CSP source of a redirect URI: scheme://host[:port] for
// http(s), or "scheme:" for a native app's custom scheme.
func origin(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" {
		return ""
	}
	if u.Host == "" {
		return strings.ToLower(u.Scheme) + ":"
	}
	host := u.Hostname()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if u.Port() != "" {
		host = net.JoinHostPort(u.Hostname(), u.Port())
	}
	return strings.ToLower(u.Scheme) + "://" + host
}

// withParams appends params to uri's query (code flow) or fragment
// (implicit flow).
func withParams(uri string, params url.Values, fragment bool) string {
	enc := params.Encode()
	if fragment {
		return uri + "#" + enc
	}
	if strings.Contains(uri, "?") {
		return uri + "&" + enc
	}
	return uri + "?" + enc
}
