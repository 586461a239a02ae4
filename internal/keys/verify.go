package keys

import (
	"context"
	"errors"

	"github.com/go-jose/go-jose/v4"
)

// ErrInvalidSignature is any JWS that does not verify under a key of the
// tenant: malformed, unknown kid, wrong algorithm or bad signature.
var ErrInvalidSignature = errors.New("keys: invalid signature")

// Verify checks a compact JWS signed by one of the tenant's keys and
// returns its payload and protected "typ" header.
func (m *Manager) Verify(ctx context.Context, tenantID, token string) (payload []byte, typ string, err error) {
	if len(token) > 16<<10 {
		return nil, "", ErrInvalidSignature
	}
	jws, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil || len(jws.Signatures) != 1 {
		return nil, "", ErrInvalidSignature
	}
	h := jws.Signatures[0].Protected
	if _, err := m.signer(ctx, tenantID, RS256); err != nil { // loads the set
		return nil, "", err
	}
	k, ok := m.publicKey(tenantID, h.KeyID)
	if !ok { // rotated on another node since this one loaded: look again
		m.mu.Lock()
		if set, err := m.load(ctx, tenantID); err == nil {
			m.sets.Store(tenantID, set)
		}
		m.mu.Unlock()
		k, ok = m.publicKey(tenantID, h.KeyID)
	}
	if !ok || k.Algorithm != h.Algorithm {
		return nil, "", ErrInvalidSignature
	}
	payload, err = jws.Verify(k.Key)
	if err != nil {
		return nil, "", ErrInvalidSignature
	}
	t, _ := h.ExtraHeaders[jose.HeaderType].(string)
	return payload, t, nil
}

func (m *Manager) publicKey(tenantID, kid string) (jose.JSONWebKey, bool) {
	v, ok := m.sets.Load(tenantID)
	if !ok {
		return jose.JSONWebKey{}, false
	}
	k, ok := v.(*keySet).public[kid]
	return k, ok
}
