package keys

import (
	"context"
	"errors"
	"time"

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
	if !ok && m.mayReloadForKid(tenantID) { // rotated on another node since this one loaded: look again
		m.mu.Lock()
		if m.mayReloadForKid(tenantID) { // not done by another request meanwhile
			if set, err := m.load(ctx, tenantID); err == nil {
				m.sets.Store(tenantID, set)
			}
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

// unknownKidReload is how often at most a token naming a key this node
// does not know makes it reload the tenant's key set. Anyone can send such
// a token (to userinfo, as an id_token_hint), so without a bound each one
// would cost a database read and the unsealing of every private key. A
// key rotated in elsewhere is published PublishDelay before it signs and
// every node reloads within ReloadEvery, so the fallback is rarely needed.
const unknownKidReload = 5 * time.Second

// mayReloadForKid reports whether the tenant's cached set is old enough
// to be reloaded because of a token naming an unknown key.
func (m *Manager) mayReloadForKid(tenantID string) bool {
	v, ok := m.sets.Load(tenantID)
	return !ok || m.Now().Sub(v.(*keySet).loadedAt) >= unknownKidReload
}

func (m *Manager) publicKey(tenantID, kid string) (jose.JSONWebKey, bool) {
	v, ok := m.sets.Load(tenantID)
	if !ok {
		return jose.JSONWebKey{}, false
	}
	k, ok := v.(*keySet).public[kid]
	return k, ok
}
