package tenant

import (
	"net"
	"net/url"

	"github.com/gatehouse/gatehouse/internal/storage"
)

// BaseURL is the public URL of a tenant. The default tenant's is the
// configured base URL; another tenant's is its domain on the same scheme,
// and on the base URL's port when the domain names none.
func BaseURL(t *storage.Tenant, defaultBase string) string {
	if t.ID == storage.DefaultTenantID || t.Domain == "" {
		return defaultBase
	}
	u, err := url.Parse(defaultBase)
	if err != nil {
		return defaultBase
	}
	host := t.Domain
	if _, _, err := net.SplitHostPort(host); err != nil && u.Port() != "" {
		host = net.JoinHostPort(host, u.Port())
	}
	return u.Scheme + "://" + host
}
