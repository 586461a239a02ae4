package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
)

var b64 = base64.RawURLEncoding

// header returns the encoded protected header for typ.
func (k *signingKey) header(typ string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	if h, ok := k.headers[typ]; ok {
		return h
	}
	js, _ := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}{k.alg, k.kid, typ})
	h := b64.EncodeToString(js)
	k.headers[typ] = h
	return h
}

// sign builds header.payload.signature (RFC 7515 compact serialization).
func (k *signingKey) sign(typ string, payload []byte) (string, error) {
	h := k.header(typ)
	n := len(h) + 1 + b64.EncodedLen(len(payload))
	buf := make([]byte, 0, n+1+b64.EncodedLen(256))
	buf = append(buf, h...)
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, payload)
	digest := sha256.Sum256(buf)
	var sig []byte
	switch key := k.priv.(type) {
	case *rsa.PrivateKey:
		var err error
		if sig, err = rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:]); err != nil {
			return "", fmt.Errorf("keys: sign: %w", err)
		}
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
		if err != nil {
			return "", fmt.Errorf("keys: sign: %w", err)
		}
		// JWS wants the fixed-size r || s, not ASN.1 (RFC 7518 section 3.4).
		var rs [64]byte
		r.FillBytes(rs[:32])
		s.FillBytes(rs[32:])
		sig = rs[:]
	default:
		return "", fmt.Errorf("keys: unsupported key type %T", k.priv)
	}
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, sig)
	return string(buf), nil
}
