package keys

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// TestES256Signatures signs many tokens and checks each signature two
// ways: the 64-byte r || s read back into big.Ints for ecdsa.Verify, and
// go-jose's verifier. With thousands of signatures, r or s is shorter
// than 32 bytes (a leading zero byte, about 1 in 128 signatures) and
// needs DER's sign byte (about 1 in 2) many times over.
func TestES256Signatures(t *testing.T) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k := newSigningKey("kid-1", ES256, priv, time.Time{}, time.Time{})
	n := 3000
	if testing.Short() {
		n = 300
	}
	short := 0
	for i := range n {
		payload := []byte(`{"sub":"u","n":` + strconv.Itoa(i) + `}`)
		typ := typJWT
		if i%2 == 1 {
			typ = typATJWT
		}
		tok, err := k.sign(typ, payload)
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(tok, ".")
		sig, err := b64.DecodeString(parts[2])
		if err != nil || len(sig) != 64 {
			t.Fatalf("signature %d: %d bytes, %v", i, len(sig), err)
		}
		if sig[0] == 0 || sig[32] == 0 {
			short++
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if !ecdsa.Verify(&priv.PublicKey, digest[:], r, s) {
			t.Fatalf("signature %d does not verify with ecdsa.Verify: %s", i, tok)
		}
		jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256})
		if err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
		if got, err := jws.Verify(&priv.PublicKey); err != nil || string(got) != string(payload) {
			t.Fatalf("token %d does not verify with go-jose: %v", i, err)
		}
		h := jws.Signatures[0].Protected
		if h.KeyID != "kid-1" || h.Algorithm != ES256 || h.ExtraHeaders[jose.HeaderType] != typ {
			t.Fatalf("token %d: header %+v", i, h)
		}
	}
	t.Logf("%d of %d signatures had a short r or s", short, n)
}

// TestDerToRS covers the encodings a signer may return and what must be
// refused.
func TestDerToRS(t *testing.T) {
	der := func(r, s *big.Int) []byte {
		b, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	hex32 := func(b byte) *big.Int { return new(big.Int).SetBytes(append([]byte{b}, make([]byte, 31)...)) }
	for _, c := range []struct {
		name string
		r, s *big.Int
	}{
		{"one byte each", big.NewInt(1), big.NewInt(0x7f)},
		{"high bit set: DER adds a zero byte", hex32(0x80), hex32(0xff)},
		{"31-byte r", new(big.Int).Rsh(hex32(0x80), 8), hex32(0x01)},
		{"31-byte s", hex32(0x7f), new(big.Int).Rsh(hex32(0xff), 8)},
	} {
		var rs [64]byte
		for i := range rs {
			rs[i] = 0xaa // stale bytes must not survive
		}
		if err := derToRS(der(c.r, c.s), rs[:]); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var want [64]byte
		c.r.FillBytes(want[:32])
		c.s.FillBytes(want[32:])
		if rs != want {
			t.Errorf("%s:\n got %x\nwant %x", c.name, rs, want)
		}
	}
	tooLong := new(big.Int).Lsh(big.NewInt(1), 256) // 33 bytes without a sign byte
	good := der(big.NewInt(5), big.NewInt(6))
	for _, c := range []struct {
		name string
		der  []byte
	}{
		{"empty", nil},
		{"truncated", good[:len(good)-1]},
		{"trailing bytes", append(append([]byte{}, good...), 0)},
		{"negative r", der(big.NewInt(-5), big.NewInt(6))},
		{"r longer than the curve", der(tooLong, big.NewInt(6))},
		{"s longer than the curve", der(big.NewInt(5), tooLong)},
		{"one integer", func() []byte { b, _ := asn1.Marshal(struct{ R *big.Int }{big.NewInt(5)}); return b }()},
	} {
		var rs [64]byte
		if err := derToRS(c.der, rs[:]); err == nil {
			t.Errorf("%s: accepted %x", c.name, c.der)
		}
	}
}

// TestHeaders: the prebuilt headers are those of the encoder, and another
// type still gets a header.
func TestHeaders(t *testing.T) {
	k := newSigningKey("k", RS256, nil, time.Time{}, time.Time{})
	for _, typ := range []string{typJWT, typATJWT, "other+jwt"} {
		js, err := b64.DecodeString(k.header(typ))
		if err != nil || string(js) != `{"alg":"RS256","kid":"k","typ":"`+typ+`"}` {
			t.Errorf("%s: %s %v", typ, js, err)
		}
	}
}
