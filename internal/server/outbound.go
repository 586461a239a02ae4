package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/gatehouse/gatehouse/internal/config"
)

// outboundClient is the HTTP client for outbound calls (CAS proxy
// callbacks, clients' jwks_uri): a timeout, the system's roots plus
// --outbound-ca-file's, and no redirects followed; with
// --outbound-public-only, no connection to a non-public address.
func outboundClient(c *config.Config, timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if c.OutboundPublicOnly {
		// Checked on the address each connection is made to, after name
		// resolution: a host name that resolves (or re-resolves) to a
		// private address is refused too.
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second,
			Control: func(_, address string, _ syscall.RawConn) error { return publicAddress(address) }}
		tr.DialContext = d.DialContext
	}
	if c.OutboundCAFile != "" {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if b, err := os.ReadFile(c.OutboundCAFile); err == nil {
			pool.AppendCertsFromPEM(b)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Timeout: timeout, Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// fetcher reads a URL with client (a saml application's metadata_url, a
// form-fill login page): GET, 200 only, at most limit bytes. Its errors
// are the end of a sentence, without a final period, such as "HTTP status
// 404": callers write "The login_url could not be read: " + err + ".".
func fetcher(client *http.Client) func(ctx context.Context, url string, limit int64) ([]byte, error) {
	return func(ctx context.Context, url string, limit int64) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, errors.New("the URL cannot be requested")
		}
		res, err := client.Do(req)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && client.Timeout > 0 {
				return nil, fmt.Errorf("no answer within %s", client.Timeout)
			}
			return nil, errors.New("the request failed")
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("HTTP status %d", res.StatusCode)
		}
		b, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
		if err != nil {
			return nil, errors.New("reading the body failed")
		}
		if int64(len(b)) > limit {
			return nil, fmt.Errorf("the document is larger than %d KiB", limit>>10)
		}
		return b, nil
	}
}

// errNotPublic refuses an outbound connection under --outbound-public-only.
var errNotPublic = errors.New("the address is not a public one (--outbound-public-only)")

// notPublic are ranges IsGlobalUnicast and IsPrivate leave public that
// are not reachable on the internet.
var notPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("fec0::/10"),      // site-local (deprecated)
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
}

// publicAddress accepts host:port only when host is a public unicast IP.
func publicAddress(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return errNotPublic
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return errNotPublic
	}
	ip = ip.Unmap()
	if !ip.IsGlobalUnicast() || ip.IsPrivate() {
		return errNotPublic
	}
	for _, p := range notPublic {
		if p.Contains(ip) {
			return errNotPublic
		}
	}
	return nil
}
