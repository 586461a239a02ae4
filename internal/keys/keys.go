// Package keys owns each tenant's token-signing keys: it generates them on
// first need, stores the private half sealed with the instance secret key,
// signs JWTs and serves the public halves as a JWKS.
//
// RS256 is the default algorithm, as in OneAccess; ES256 is available per
// application. Rotation on a schedule and the cross-node view of a rotation
// come with the OIDC provider.
package keys

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// Algorithms.
const (
	RS256 = "RS256"
	ES256 = "ES256"
)

// Manager signs with and publishes tenants' keys. It caches each tenant's
// parsed keys in memory.
type Manager struct {
	Store  storage.Store
	Sealer *secret.Sealer
	Now    func() time.Time

	mu   sync.Mutex
	sets map[string]*keySet
}

type keySet struct {
	active map[string]*signingKey     // by algorithm
	public map[string]jose.JSONWebKey // by kid: every key still in the JWKS
	jwks   []byte
}

// signingKey signs compact JWSs without going through go-jose's generic
// path: the protected headers are encoded once per type.
type signingKey struct {
	kid  string
	alg  string
	priv crypto.Signer

	mu      sync.Mutex
	headers map[string]string // typ -> base64url of the protected header
}

func sealContext(tenantID, kid string) string { return "signing-key:" + tenantID + ":" + kid }

// Sign returns a compact JWS (typ JWT) of payload, a JSON object, signed
// with the tenant's active key for alg, generating the key on first use.
func (m *Manager) Sign(ctx context.Context, tenantID, alg string, payload []byte) (string, error) {
	return m.SignTyped(ctx, tenantID, alg, "JWT", payload)
}

// SignTyped is Sign with another "typ" header, e.g. "at+jwt" for RFC 9068
// access tokens.
func (m *Manager) SignTyped(ctx context.Context, tenantID, alg, typ string, payload []byte) (string, error) {
	set, err := m.set(ctx, tenantID, alg)
	if err != nil {
		return "", err
	}
	return set.active[alg].sign(typ, payload)
}

// JWKS returns the tenant's public keys as a JSON Web Key Set.
func (m *Manager) JWKS(ctx context.Context, tenantID string) ([]byte, error) {
	set, err := m.set(ctx, tenantID, RS256)
	if err != nil {
		return nil, err
	}
	return set.jwks, nil
}

// Ensure makes sure the tenant has an active key for alg.
func (m *Manager) Ensure(ctx context.Context, tenantID, alg string) error {
	_, err := m.set(ctx, tenantID, alg)
	return err
}

// Forget drops a tenant's cached keys (after the tenant is deleted).
func (m *Manager) Forget(tenantID string) {
	m.mu.Lock()
	delete(m.sets, tenantID)
	m.mu.Unlock()
}

// set returns the tenant's key set holding an active key for alg, loading
// it from storage and generating the key when needed.
func (m *Manager) set(ctx context.Context, tenantID, alg string) (*keySet, error) {
	if alg != RS256 && alg != ES256 {
		return nil, fmt.Errorf("keys: unsupported algorithm %q", alg)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.sets[tenantID]; s != nil && s.active[alg] != nil {
		return s, nil
	}
	s, err := m.load(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if s.active[alg] == nil {
		if err := m.generate(ctx, tenantID, alg); err != nil {
			return nil, err
		}
		if s, err = m.load(ctx, tenantID); err != nil {
			return nil, err
		}
	}
	if m.sets == nil {
		m.sets = map[string]*keySet{}
	}
	m.sets[tenantID] = s
	return s, nil
}

func (m *Manager) load(ctx context.Context, tenantID string) (*keySet, error) {
	rows, err := m.Store.SigningKeys().List(ctx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	now := m.Now()
	s := &keySet{active: map[string]*signingKey{}, public: map[string]jose.JSONWebKey{}}
	var pub []jose.JSONWebKey
	for _, r := range rows { // newest first: the newest active key signs
		if !r.Active && !r.ExpiresAt.IsZero() && !r.ExpiresAt.After(now) {
			continue
		}
		der, err := m.Sealer.Open(r.PrivateEnc, sealContext(tenantID, r.KID))
		if err != nil {
			return nil, fmt.Errorf("keys: key %s of tenant %s: %w (was the secret key changed?)", r.KID, tenantID, err)
		}
		priv, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("keys: key %s: %w", r.KID, err)
		}
		signer, ok := priv.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("keys: key %s is not a signing key", r.KID)
		}
		jwk := jose.JSONWebKey{Key: signer.Public(), KeyID: r.KID, Algorithm: r.Algorithm, Use: "sig"}
		pub = append(pub, jwk)
		s.public[r.KID] = jwk
		if r.Active && s.active[r.Algorithm] == nil {
			s.active[r.Algorithm] = &signingKey{kid: r.KID, alg: r.Algorithm, priv: signer, headers: map[string]string{}}
		}
	}
	if pub == nil {
		pub = []jose.JSONWebKey{}
	}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: pub})
	if err != nil {
		return nil, err
	}
	s.jwks = jwks
	return s, nil
}

func (m *Manager) generate(ctx context.Context, tenantID, alg string) error {
	var priv crypto.Signer
	var err error
	switch alg {
	case RS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return fmt.Errorf("keys: generate %s: %w", alg, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	tp, err := (&jose.JSONWebKey{Key: priv.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		return err
	}
	kid := base64.RawURLEncoding.EncodeToString(tp)
	k := &storage.SigningKey{TenantID: tenantID, KID: kid, Algorithm: alg,
		PrivateEnc: m.Sealer.Seal(der, sealContext(tenantID, kid)), Active: true, CreatedAt: m.Now()}
	if err := m.Store.SigningKeys().Create(ctx, k); err != nil && !errors.Is(err, storage.ErrConflict) {
		return fmt.Errorf("keys: store: %w", err)
	}
	return nil
}
