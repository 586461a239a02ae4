package mfa

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"net/url"
	"strings"
	"time"
)

// TOTP parameters: those every authenticator app supports (RFC 6238's
// defaults, and the only ones Google Authenticator honours).
const (
	// SecretSize is the secret's length in bytes: 160 bits, the HMAC-SHA-1
	// block RFC 4226 section 4 recommends.
	SecretSize = 20
	Digits     = 6
	Period     = 30 * time.Second
	// Skew is how many steps before and after the current one a code may
	// come from (a clock off by up to 30 s, a code typed as it changes).
	Skew = 1
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret returns a random TOTP secret.
func NewSecret() []byte {
	s := make([]byte, SecretSize)
	rand.Read(s)
	return s
}

// EncodeSecret is the secret as people type it into an authenticator:
// base32 without padding.
func EncodeSecret(secret []byte) string { return b32.EncodeToString(secret) }

// URI is the otpauth:// URI of Google Authenticator's key URI format,
// which every authenticator app reads from a QR code: the label is
// "issuer:account", and the issuer is repeated as a parameter.
func URI(issuer, account string, secret []byte) string {
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	q := url.Values{}
	q.Set("secret", EncodeSecret(secret))
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", "6")
	q.Set("period", "30")
	return "otpauth://totp/" + label + "?" + strings.ReplaceAll(q.Encode(), "+", "%20")
}

// Step is the time step of t (RFC 6238 section 4.2, T0 = 0).
func Step(t time.Time) int64 { return t.Unix() / int64(Period/time.Second) }

// Code is the TOTP code of secret at step with digits digits: HOTP
// (RFC 4226 section 5.3) of the step counter.
func Code(secret []byte, step int64, digits int) string {
	m := hmac.New(sha1.New, secret)
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], uint64(step))
	m.Write(c[:])
	h := m.Sum(nil)
	off := h[len(h)-1] & 0x0f
	v := binary.BigEndian.Uint32(h[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	out := make([]byte, digits)
	v %= mod
	for i := digits - 1; i >= 0; i-- {
		out[i] = byte('0' + v%10)
		v /= 10
	}
	return string(out)
}

// Match finds the step within Skew of now whose code is code, comparing
// every candidate in constant time (no early exit) and skipping steps at or
// before lastUsed, which were spent already. It returns the step, or
// ok false.
func Match(secret []byte, code string, now time.Time, lastUsed int64) (step int64, ok bool) {
	if len(code) != Digits {
		return 0, false
	}
	cur := Step(now)
	found := 0
	for s := cur - Skew; s <= cur+Skew; s++ {
		eq := subtle.ConstantTimeCompare([]byte(Code(secret, s, Digits)), []byte(code))
		if eq == 1 && s > lastUsed && found == 0 {
			step, found = s, 1
		}
	}
	return step, found == 1
}

// NormalizeCode drops what people type around a code: spaces and dashes
// ("123 456"); anything left that is not a digit fails the match.
func NormalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\u00a0' {
			return -1
		}
		return r
	}, strings.TrimSpace(code))
}
