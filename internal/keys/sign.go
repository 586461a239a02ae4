package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

var b64 = base64.RawURLEncoding

// Protected-header types the providers sign with; their headers are
// encoded when a key is loaded.
const (
	typJWT   = "JWT"
	typATJWT = "at+jwt" // RFC 9068 access tokens
)

// newSigningKey makes a key ready to sign, its headers encoded: the key
// is immutable afterwards, so signing takes no lock.
func newSigningKey(kid, alg string, priv crypto.Signer, notBefore, expiresAt time.Time) *signingKey {
	k := &signingKey{kid: kid, alg: alg, priv: priv, notBefore: notBefore, expiresAt: expiresAt}
	k.hdrJWT, k.hdrATJWT = k.encodeHeader(typJWT), k.encodeHeader(typATJWT)
	return k
}

// header returns the encoded protected header for typ.
func (k *signingKey) header(typ string) string {
	switch typ {
	case typJWT:
		return k.hdrJWT
	case typATJWT:
		return k.hdrATJWT
	}
	return k.encodeHeader(typ)
}

func (k *signingKey) encodeHeader(typ string) string {
	js, _ := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}{k.alg, k.kid, typ})
	return b64.EncodeToString(js)
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
		der, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
		if err != nil {
			return "", fmt.Errorf("keys: sign: %w", err)
		}
		// JWS wants the fixed-size r || s, not ASN.1 (RFC 7518 section 3.4).
		var rs [64]byte
		if err := derToRS(der, rs[:]); err != nil {
			return "", err
		}
		sig = rs[:]
	default:
		return "", fmt.Errorf("keys: unsupported key type %T", k.priv)
	}
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, sig)
	return string(buf), nil
}

// derToRS copies the r and s of an ASN.1 ECDSA signature (SEQUENCE of two
// INTEGERs) into rs, each left-padded with zeros to half its length: the
// JWS form (32 + 32 bytes for P-256). It does what ecdsa.Sign does through
// two big.Ints, without them.
func derToRS(der []byte, rs []byte) error {
	var inner cryptobyte.String
	var r, s []byte
	in := cryptobyte.String(der)
	if !in.ReadASN1(&inner, asn1.SEQUENCE) || !in.Empty() ||
		!inner.ReadASN1Integer(&r) || !inner.ReadASN1Integer(&s) || !inner.Empty() {
		return errors.New("keys: sign: malformed ECDSA signature")
	}
	size := len(rs) / 2
	if len(r) > size || len(s) > size {
		return errors.New("keys: sign: ECDSA signature too long for the curve")
	}
	clear(rs)
	copy(rs[size-len(r):size], r)
	copy(rs[2*size-len(s):], s)
	return nil
}
