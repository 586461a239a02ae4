// Package secret holds Gatehouse's at-rest encryption and the handling of
// high-entropy credentials.
//
// The instance secret key (--secret-key) never encrypts anything directly:
// HKDF-SHA256 derives an AES-256-GCM key for sealing (signing keys,
// re-issuable tokens) and a check value stored in the database, so that a
// node started with the wrong key stops with a clear message instead of
// failing later on every decryption.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
)

// MinKeyLen is the shortest secret key accepted, in bytes of text.
const MinKeyLen = 32

// Sealer encrypts and authenticates small values with a key derived from
// the instance secret key.
type Sealer struct {
	aead   cipher.AEAD
	check  string
	master []byte
}

// NewSealer derives the sealing key from the instance secret key.
func NewSealer(secretKey string) (*Sealer, error) {
	if len(secretKey) < MinKeyLen {
		return nil, fmt.Errorf("secret key: must be at least %d characters", MinKeyLen)
	}
	k, err := hkdf.Key(sha256.New, []byte(secretKey), nil, "gatehouse seal v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	ck, err := hkdf.Key(sha256.New, []byte(secretKey), nil, "gatehouse key check v1", 16)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead, check: "v1:" + base64.RawStdEncoding.EncodeToString(ck), master: []byte(secretKey)}, nil
}

// DeriveKey derives an independent 32-byte key for one purpose (info) from
// the instance secret key, for components with their own cipher.
func (s *Sealer) DeriveKey(info string) []byte {
	k, _ := hkdf.Key(sha256.New, s.master, nil, info, 32)
	return k
}

// Seal encrypts plaintext bound to context (e.g. "signing-key:<tenant>"), so
// a sealed value copied to another row does not open there.
func (s *Sealer) Seal(plaintext []byte, context string) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plaintext, []byte(context))
}

// ErrOpen means a sealed value was altered, sealed under another key, or
// sealed for another context.
var ErrOpen = errors.New("secret: cannot open sealed value")

// Open decrypts what Seal produced for the same context.
func (s *Sealer) Open(sealed []byte, context string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrOpen
	}
	out, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(context))
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}

// Check is a value derived from the secret key that reveals nothing about
// it; the database keeps the first node's value and every later node must
// match it.
func (s *Sealer) Check() string { return s.check }

// Hash is the SHA-256 of a high-entropy credential (client secret, token).
// A slow KDF buys nothing on 256 random bits and would cost every request.
func Hash(credential string) []byte {
	h := sha256.Sum256([]byte(credential))
	return h[:]
}

// Equal compares two hashes in constant time.
func Equal(a, b []byte) bool {
	return len(a) == len(b) && subtle.ConstantTimeCompare(a, b) == 1
}

// LoadOrCreateKeyFile returns the secret key kept in path, creating the
// file with a new random key (mode 0600) when it does not exist.
func LoadOrCreateKeyFile(path string) (key string, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key = strings.TrimSpace(string(b))
		if len(key) < MinKeyLen {
			return "", false, fmt.Errorf("secret key file %s: must hold at least %d characters", path, MinKeyLen)
		}
		return key, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", false, fmt.Errorf("secret key file: %w", err)
	}
	var raw [32]byte
	rand.Read(raw[:])
	key = base64.RawURLEncoding.EncodeToString(raw[:])
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) { // another process won the race
			return LoadOrCreateKeyFile(path)
		}
		return "", false, fmt.Errorf("secret key file: %w", err)
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		return "", false, fmt.Errorf("secret key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", false, fmt.Errorf("secret key file: %w", err)
	}
	return key, true, nil
}
