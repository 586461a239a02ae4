// Package password hashes and verifies user passwords with argon2id, in the
// PHC string format ($argon2id$v=19$m=...,t=...,p=...$salt$hash), so that
// hashes made under older parameters keep verifying after a change.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	MemoryKiB uint32 // m, in KiB
	Time      uint32 // t, passes
	Threads   uint8  // p, lanes
}

// DefaultParams are OWASP's recommendation: m=19 MiB, t=2, p=1.
var DefaultParams = Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

// Validate reports parameters too weak or too large to run.
func (p Params) Validate() error {
	switch {
	case p.MemoryKiB < 8*1024 || p.MemoryKiB > 1024*1024:
		return fmt.Errorf("argon2 memory must be between 8192 and 1048576 KiB, got %d", p.MemoryKiB)
	case p.Time < 1 || p.Time > 20:
		return fmt.Errorf("argon2 time must be between 1 and 20, got %d", p.Time)
	case p.Threads < 1 || p.Threads > 16:
		return fmt.Errorf("argon2 threads must be between 1 and 16, got %d", p.Threads)
	}
	return nil
}

const (
	saltLen = 16
	keyLen  = 32
	// MaxLen bounds the input so a huge password cannot buy extra work.
	MaxLen = 1024
)

// Hasher hashes and verifies passwords. It bounds how many hashes run at
// once, since each takes MemoryKiB of memory.
type Hasher struct {
	params Params
	slots  chan struct{}
}

// NewHasher returns a Hasher with the given parameters.
func NewHasher(p Params) *Hasher {
	return &Hasher{params: p, slots: make(chan struct{}, 2*runtime.GOMAXPROCS(0))}
}

// Hash returns the PHC string of a new salted argon2id hash of pw.
func (h *Hasher) Hash(pw string) (string, error) {
	if len(pw) > MaxLen {
		return "", errors.New("password too long")
	}
	salt := make([]byte, saltLen)
	rand.Read(salt)
	h.slots <- struct{}{}
	key := argon2.IDKey([]byte(pw), salt, h.params.Time, h.params.MemoryKiB, h.params.Threads, keyLen)
	<-h.slots
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.MemoryKiB, h.params.Time, h.params.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether pw matches the PHC hash, comparing in constant
// time. A malformed hash never matches.
func (h *Hasher) Verify(hash, pw string) bool {
	p, salt, want, err := parse(hash)
	if err != nil || len(pw) > MaxLen {
		return false
	}
	h.slots <- struct{}{}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	<-h.slots
	return subtle.ConstantTimeCompare(got, want) == 1
}

func parse(hash string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(hash, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v=19" {
		return p, nil, nil, errors.New("not an argon2id v19 hash")
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, perr := strconv.ParseUint(v, 10, 32)
		if perr != nil {
			return p, nil, nil, errors.New("bad argon2 parameter")
		}
		switch k {
		case "m":
			p.MemoryKiB = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			p.Threads = uint8(n)
		}
	}
	if p.Validate() != nil {
		return p, nil, nil, errors.New("argon2 parameters out of range")
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, err
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 {
		return p, nil, nil, errors.New("bad argon2 key")
	}
	return p, salt, key, nil
}
