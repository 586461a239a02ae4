// Package idgen makes the identifiers Gatehouse hands out: OneAccess-shaped
// entity ids and random credentials.
package idgen

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"
)

// last is the previous id's millisecond and random part, so that ids made
// by one process within one millisecond still sort in creation order.
var last struct {
	sync.Mutex
	ms  int64
	rnd uint64
}

const rndBits = 52

// New returns an id shaped like OneAccess's, yyyyMMddHHmmssSSS-XXXX-XXXXXXXXX:
// the creation time to the millisecond, as wall time in now's location
// (the server passes its display zone, so an id's time equals created_at),
// then 52 bits in upper-case
// hex: random, except that within one millisecond a process counts up from
// its previous id (as monotonic ULIDs do), so its ids sort in creation order.
func New(now time.Time) string {
	ms := now.UnixMilli()
	var b8 [8]byte
	rand.Read(b8[:])
	r := binary.BigEndian.Uint64(b8[:]) >> (64 - rndBits)
	last.Lock()
	// (If the clock steps back, the random draw stands: order is lost only
	// among the ids of that step.)
	if ms == last.ms && last.rnd+1 < 1<<rndBits {
		r = last.rnd + 1
	}
	last.ms, last.rnd = ms, r
	last.Unlock()
	h := strings.ToUpper(fmt.Sprintf("%013x", r))
	b := make([]byte, 0, 32)
	b = now.AppendFormat(b, "20060102150405.000")
	// AppendFormat writes "yyyyMMddHHmmss.SSS"; drop the dot.
	b = append(b[:14], b[15:]...)
	b = append(b, '-')
	b = append(b, h[:4]...)
	b = append(b, '-')
	b = append(b, h[4:]...)
	return string(b)
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// Alnum returns n random characters from [A-Za-z0-9], each chosen without
// modulo bias; 32 characters carry 190 bits.
func Alnum(n int) string {
	out := make([]byte, n)
	var buf [64]byte
	for i := 0; i < n; {
		rand.Read(buf[:])
		for _, c := range buf {
			if c >= 248 { // 248 = 4*62: reject to keep the draw uniform
				continue
			}
			out[i] = alnum[c%62]
			i++
			if i == n {
				break
			}
		}
	}
	return string(out)
}

// Secret returns a client secret carrying 256 bits of randomness, 43
// characters of unpadded base64url.
func Secret() string {
	var b [32]byte
	rand.Read(b[:])
	return base64URL(b[:])
}

// UUID returns a random (version 4) UUID string.
func UUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
