package keys

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// SAML names keys by X.509 certificate, not by JWK. Each RS256 key gets a
// self-signed certificate made from the key alone (serial from the kid,
// validity from the key's not-before), so every node makes the same
// certificate and nothing more is stored. RSA PKCS #1 v1.5 signatures are
// deterministic, so the certificate is byte-for-byte the same everywhere.

// certValidity is how long a key's certificate is valid. Service
// providers trust the certificate they were given, not its dates, but some
// check the dates anyway: they must cover the key's whole life.
const certValidity = 20 * 365 * 24 * time.Hour

// certOnce makes a key's certificate once.
type certOnce struct {
	once sync.Once
	cert *x509.Certificate
	err  error
}

func (k *signingKey) certificate(tenantID string) (*x509.Certificate, error) {
	k.cert.once.Do(func() {
		serial := sha256.Sum256([]byte(k.kid))
		// Before the key may sign, with a day's margin for clocks behind ours.
		nb := k.notBefore.Add(-24 * time.Hour).UTC().Truncate(time.Second)
		if k.notBefore.IsZero() {
			nb = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		tmpl := &x509.Certificate{
			SerialNumber:       new(big.Int).SetBytes(serial[:16]),
			Subject:            pkix.Name{CommonName: "Gatehouse signing key " + k.kid, Organization: []string{"tenant " + tenantID}},
			NotBefore:          nb,
			NotAfter:           nb.Add(certValidity),
			KeyUsage:           x509.KeyUsageDigitalSignature,
			SignatureAlgorithm: x509.SHA256WithRSA,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.priv.Public(), k.priv)
		if err != nil {
			k.cert.err = fmt.Errorf("keys: certificate of %s: %w", k.kid, err)
			return
		}
		k.cert.cert, k.cert.err = x509.ParseCertificate(der)
	})
	return k.cert.cert, k.cert.err
}

// RSASigner returns the tenant's current RS256 key and its certificate,
// for signatures that are not JWS (SAML's RSA-SHA256), generating the key
// on first use.
func (m *Manager) RSASigner(ctx context.Context, tenantID string) (crypto.Signer, *x509.Certificate, error) {
	k, err := m.signer(ctx, tenantID, RS256)
	if err != nil {
		return nil, nil, err
	}
	c, err := k.certificate(tenantID)
	if err != nil {
		return nil, nil, err
	}
	return k.priv, c, nil
}

// Certificates returns the certificates of every published RS256 key of
// the tenant, newest first: during a rotation, the key that will sign and
// the key that signs now (and, until it leaves, the one replaced).
func (m *Manager) Certificates(ctx context.Context, tenantID string) ([]*x509.Certificate, error) {
	if _, err := m.signer(ctx, tenantID, RS256); err != nil { // loads the set
		return nil, err
	}
	v, ok := m.sets.Load(tenantID)
	if !ok {
		return nil, fmt.Errorf("keys: tenant %s has no keys", tenantID)
	}
	var out []*x509.Certificate
	for _, k := range v.(*keySet).keys {
		if k.alg != RS256 {
			continue
		}
		c, err := k.certificate(tenantID)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
