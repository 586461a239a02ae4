// Package keys owns each tenant's token-signing keys: it generates them on
// first need, stores the private half sealed with the instance secret key,
// signs JWTs, serves the public halves as a JWKS, and rotates them.
//
// RS256 is the default algorithm, as in OneAccess; ES256 is available per
// application. A rotation publishes the new key at once but lets it sign
// only after PublishDelay, so that every node (each reloads its keys every
// ReloadEvery) and every relying party's JWKS cache can know it before any
// token it signed exists; the old key stays in the JWKS for Retention,
// longer than any token it signed lives.
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

const (
	// ReloadEvery bounds how long a node signs with, and publishes, a key
	// set another node has rotated.
	ReloadEvery = 30 * time.Second
	// PublishDelay is how long a rotated-in key is published before it signs.
	PublishDelay = 3 * ReloadEvery
	// Retention keeps a replaced key in the JWKS past the longest token
	// lifetime (24 h for ID tokens and JWT access tokens) plus clock skew.
	Retention = 24*time.Hour + 10*time.Minute
)

// Manager signs with and publishes tenants' keys. It caches each tenant's
// parsed keys in memory.
type Manager struct {
	Store  storage.Store
	Sealer *secret.Sealer
	Now    func() time.Time

	mu   sync.Mutex // serialises loading and generation
	sets sync.Map   // tenant id -> *keySet (immutable once stored)
}

// keySet is one tenant's keys at one moment.
type keySet struct {
	keys     []*signingKey              // newest first (by NotBefore)
	public   map[string]jose.JSONWebKey // by kid: every key in the JWKS
	jwks     []byte
	loadedAt time.Time
}

// signingKey signs compact JWSs without going through go-jose's generic
// path: the protected headers of the types Gatehouse signs are encoded
// when the key is loaded (newSigningKey); the key never changes after.
type signingKey struct {
	kid       string
	alg       string
	priv      crypto.Signer
	notBefore time.Time
	expiresAt time.Time

	hdrJWT, hdrATJWT string // base64url of the protected headers, typ JWT and at+jwt

	cert certOnce // the key's self-signed X.509 certificate (SAML), made on first use
}

// signer is the newest key of alg already allowed to sign and not expired.
func (s *keySet) signer(alg string, now time.Time) *signingKey {
	for _, k := range s.keys {
		if k.alg == alg && !k.notBefore.After(now) && (k.expiresAt.IsZero() || now.Before(k.expiresAt)) {
			return k
		}
	}
	return nil
}

func sealContext(tenantID, kid string) string { return "signing-key:" + tenantID + ":" + kid }

// Sign returns a compact JWS (typ JWT) of payload, a JSON object, signed
// with the tenant's current key for alg, generating the key on first use.
func (m *Manager) Sign(ctx context.Context, tenantID, alg string, payload []byte) (string, error) {
	return m.SignTyped(ctx, tenantID, alg, typJWT, payload)
}

// SignTyped is Sign with another "typ" header, e.g. "at+jwt" for RFC 9068
// access tokens.
func (m *Manager) SignTyped(ctx context.Context, tenantID, alg, typ string, payload []byte) (string, error) {
	k, err := m.signer(ctx, tenantID, alg)
	if err != nil {
		return "", err
	}
	return k.sign(typ, payload)
}

// JWKS returns the tenant's public keys as a JSON Web Key Set.
func (m *Manager) JWKS(ctx context.Context, tenantID string) ([]byte, error) {
	if _, err := m.signer(ctx, tenantID, RS256); err != nil {
		return nil, err
	}
	set, ok := m.sets.Load(tenantID)
	if !ok {
		return nil, fmt.Errorf("keys: tenant %s has no keys", tenantID)
	}
	return set.(*keySet).jwks, nil
}

// Ensure makes sure the tenant has a current key for alg.
func (m *Manager) Ensure(ctx context.Context, tenantID, alg string) error {
	_, err := m.signer(ctx, tenantID, alg)
	return err
}

// Forget drops a tenant's cached keys (after the tenant is deleted).
func (m *Manager) Forget(tenantID string) { m.sets.Delete(tenantID) }

// signer returns the tenant's signing key for alg from the cached set,
// reloading a stale set and generating a key the tenant lacks.
func (m *Manager) signer(ctx context.Context, tenantID, alg string) (*signingKey, error) {
	if alg != RS256 && alg != ES256 {
		return nil, fmt.Errorf("keys: unsupported algorithm %q", alg)
	}
	now := m.Now()
	if k := m.cachedSigner(tenantID, alg, now); k != nil {
		return k, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	// Requests that queued here behind the one that reloaded the set use
	// its result instead of reloading in turn.
	if k := m.cachedSigner(tenantID, alg, now); k != nil {
		return k, nil
	}
	s, err := m.load(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if s.signer(alg, now) == nil {
		// A tenant's first keys are made together, RS256 and ES256, so its
		// JWKS holds both before either signs: a relying party that cached
		// it never meets a kid it has not seen.
		for _, a := range []string{RS256, ES256} {
			if s.signer(a, now) == nil {
				if err := m.insert(ctx, tenantID, a, now, false); err != nil {
					return nil, err
				}
			}
		}
		if s, err = m.load(ctx, tenantID); err != nil {
			return nil, err
		}
	}
	m.sets.Store(tenantID, s)
	if k := s.signer(alg, now); k != nil {
		return k, nil
	}
	return nil, fmt.Errorf("keys: tenant %s has no usable %s key", tenantID, alg)
}

// cachedSigner is the key for alg of the tenant's cached set, or nil when
// the set is missing, older than ReloadEvery, or has no usable key.
func (m *Manager) cachedSigner(tenantID, alg string, now time.Time) *signingKey {
	v, ok := m.sets.Load(tenantID)
	if !ok {
		return nil
	}
	s := v.(*keySet)
	if now.Sub(s.loadedAt) >= ReloadEvery {
		return nil
	}
	return s.signer(alg, now)
}

// Rotate replaces the tenant's key for alg: the new key is published now
// and signs after PublishDelay; the old one leaves the JWKS after
// Retention. It returns the new key's id.
func (m *Manager) Rotate(ctx context.Context, tenantID, alg string) (string, error) {
	if alg != RS256 && alg != ES256 {
		return "", fmt.Errorf("keys: unsupported algorithm %q", alg)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.Now()
	k, err := m.newKey(tenantID, alg, now, true)
	if err != nil {
		return "", err
	}
	err = m.Store.InTx(ctx, func(tx storage.Repos) error {
		if err := tx.SigningKeys().Retire(ctx, tenantID, alg, k.NotBefore.Add(Retention)); err != nil {
			return err
		}
		return tx.SigningKeys().Create(ctx, k)
	})
	if err != nil {
		return "", fmt.Errorf("keys: rotate: %w", err)
	}
	s, err := m.load(ctx, tenantID)
	if err != nil {
		return "", err
	}
	m.sets.Store(tenantID, s)
	return k.KID, nil
}

// RotateIfOlder rotates alg when the tenant's newest key of alg was
// created more than maxAge ago (a scheduled rotation); it reports whether
// it rotated.
func (m *Manager) RotateIfOlder(ctx context.Context, tenantID, alg string, maxAge time.Duration) (bool, error) {
	rows, err := m.Store.SigningKeys().List(ctx, tenantID)
	if err != nil {
		return false, err
	}
	for _, r := range rows { // newest first
		if r.Algorithm != alg {
			continue
		}
		if m.Now().Sub(r.CreatedAt) < maxAge {
			return false, nil
		}
		_, err := m.Rotate(ctx, tenantID, alg)
		return err == nil, err
	}
	return false, nil // no key of alg yet: nothing to rotate
}

// Info describes a key for operators.
type Info struct {
	KID       string
	Algorithm string
	CreatedAt time.Time
	NotBefore time.Time
	ExpiresAt time.Time
}

// List describes the tenant's keys still in the JWKS, newest first.
func (m *Manager) List(ctx context.Context, tenantID string) ([]Info, error) {
	rows, err := m.Store.SigningKeys().List(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	now := m.Now()
	out := []Info{}
	for _, r := range rows {
		if r.ExpiresAt.IsZero() || r.ExpiresAt.After(now) {
			out = append(out, Info{r.KID, r.Algorithm, r.CreatedAt, r.NotBefore, r.ExpiresAt})
		}
	}
	return out, nil
}

func (m *Manager) load(ctx context.Context, tenantID string) (*keySet, error) {
	rows, err := m.Store.SigningKeys().List(ctx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	now := m.Now()
	s := &keySet{public: map[string]jose.JSONWebKey{}, loadedAt: now}
	pub := []jose.JSONWebKey{}
	for _, r := range rows { // newest first
		if !r.ExpiresAt.IsZero() && !r.ExpiresAt.After(now) {
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
		s.keys = append(s.keys, newSigningKey(r.KID, r.Algorithm, signer, r.NotBefore, r.ExpiresAt))
	}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: pub})
	if err != nil {
		return nil, err
	}
	s.jwks = jwks
	return s, nil
}

// newKey generates a key; a rotated-in key signs only after PublishDelay.
func (m *Manager) newKey(tenantID, alg string, now time.Time, rotation bool) (*storage.SigningKey, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case RS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return nil, fmt.Errorf("keys: generate %s: %w", alg, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	tp, err := (&jose.JSONWebKey{Key: priv.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	kid := base64.RawURLEncoding.EncodeToString(tp)
	nb := now
	if rotation {
		nb = now.Add(PublishDelay)
	}
	return &storage.SigningKey{TenantID: tenantID, KID: kid, Algorithm: alg,
		PrivateEnc: m.Sealer.Seal(der, sealContext(tenantID, kid)), Active: true, CreatedAt: now, NotBefore: nb}, nil
}

// insert stores a first key for alg, usable at once.
func (m *Manager) insert(ctx context.Context, tenantID, alg string, now time.Time, rotation bool) error {
	k, err := m.newKey(tenantID, alg, now, rotation)
	if err != nil {
		return err
	}
	if err := m.Store.SigningKeys().Create(ctx, k); err != nil {
		return fmt.Errorf("keys: store: %w", err)
	}
	return nil
}
