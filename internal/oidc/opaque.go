package oidc

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"

	"golang.org/x/crypto/chacha20poly1305"
)

// accessToken is what an access token stands for, whether it travels as
// an opaque sealed value or as an RFC 9068 JWT.
type accessToken struct {
	TenantID  string
	ClientID  string
	Subject   string // a user id, or the client id (client_credentials)
	UserToken bool   // Subject is a user
	GrantID   string // the authorization it came from; revoking it revokes the token
	JTI       string
	Scope     string
	SID       string
	IssuedAt  int64
	ExpiresAt int64
}

// opaqueCodec seals access tokens with XChaCha20-Poly1305: its 192-bit
// random nonces stay safe for any number of tokens under one key (AES-GCM's
// 96-bit nonces would not, at tens of thousands of tokens a second).
type opaqueCodec struct {
	aead cipher.AEAD
}

func newOpaqueCodec(key []byte) (*opaqueCodec, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	return &opaqueCodec{aead: aead}, nil
}

const opaqueVersion = 1

var b64 = base64.RawURLEncoding

// seal encodes t as version || nonce || ciphertext, base64url. The tenant
// is bound as associated data, so a token never opens under another tenant.
func (c *opaqueCodec) seal(t *accessToken) string {
	plain := make([]byte, 0, 128+len(t.Scope))
	flags := byte(0)
	if t.UserToken {
		flags = 1
	}
	plain = append(plain, flags)
	plain = binary.AppendVarint(plain, t.IssuedAt)
	plain = binary.AppendVarint(plain, t.ExpiresAt)
	for _, s := range [...]string{t.ClientID, t.Subject, t.GrantID, t.JTI, t.Scope, t.SID} {
		plain = binary.AppendUvarint(plain, uint64(len(s)))
		plain = append(plain, s...)
	}
	ns := c.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plain)+c.aead.Overhead())
	out[0] = opaqueVersion
	rand.Read(out[1 : 1+ns])
	out = c.aead.Seal(out, out[1:1+ns], plain, []byte(t.TenantID))
	return b64.EncodeToString(out)
}

var errBadToken = errors.New("oidc: invalid access token")

// open decodes a sealed token of the tenant; it does not check expiry.
func (c *opaqueCodec) open(tenantID, tok string) (*accessToken, error) {
	if len(tok) < 40 || len(tok) > 4096 {
		return nil, errBadToken
	}
	raw, err := b64.DecodeString(tok)
	ns := c.aead.NonceSize()
	if err != nil || len(raw) < 1+ns+c.aead.Overhead() || raw[0] != opaqueVersion {
		return nil, errBadToken
	}
	plain, err := c.aead.Open(nil, raw[1:1+ns], raw[1+ns:], []byte(tenantID))
	if err != nil || len(plain) < 1 {
		return nil, errBadToken
	}
	t := &accessToken{TenantID: tenantID, UserToken: plain[0]&1 == 1}
	p := plain[1:]
	var n int
	if t.IssuedAt, n = binary.Varint(p); n <= 0 {
		return nil, errBadToken
	}
	p = p[n:]
	if t.ExpiresAt, n = binary.Varint(p); n <= 0 {
		return nil, errBadToken
	}
	p = p[n:]
	for _, dst := range [...]*string{&t.ClientID, &t.Subject, &t.GrantID, &t.JTI, &t.Scope, &t.SID} {
		l, n := binary.Uvarint(p)
		if n <= 0 || uint64(len(p)-n) < l {
			return nil, errBadToken
		}
		*dst = string(p[n : n+int(l)])
		p = p[n+int(l):]
	}
	if len(p) != 0 {
		return nil, errBadToken
	}
	return t, nil
}
