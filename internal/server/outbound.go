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
	"os"
	"time"

	"github.com/gatehouse/gatehouse/internal/config"
)

// outboundClient is the HTTP client for outbound calls (CAS proxy
// callbacks, clients' jwks_uri): a timeout, the system's roots plus
// --outbound-ca-file's, and no redirects followed.
func outboundClient(c *config.Config, timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
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
