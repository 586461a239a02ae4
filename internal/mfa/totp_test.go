package mfa

import (
	"strings"
	"testing"
	"time"
)

// TestRFC6238Vectors checks the SHA-1 rows of RFC 6238 Appendix B (8
// digits, the RFC's 20-byte ASCII secret).
func TestRFC6238Vectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	for _, tc := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		if got := Code(secret, Step(time.Unix(tc.unix, 0)), 8); got != tc.want {
			t.Errorf("T=%d: code %s, want %s", tc.unix, got, tc.want)
		}
	}
	// Six digits are the low six of the same number (RFC 4226 Appendix D).
	if got := Code(secret, Step(time.Unix(59, 0)), 6); got != "287082" {
		t.Errorf("6 digits: %s", got)
	}
}

func TestMatch(t *testing.T) {
	secret := []byte("12345678901234567890")
	now := time.Unix(1111111111, 0)
	cur := Step(now)
	for _, tc := range []struct {
		name     string
		step     int64
		lastUsed int64
		ok       bool
	}{
		{"current step", cur, 0, true},
		{"previous step (skew)", cur - 1, 0, true},
		{"next step (skew)", cur + 1, 0, true},
		{"two steps back", cur - 2, 0, false},
		{"two steps ahead", cur + 2, 0, false},
		{"replayed step", cur, cur, false},
		{"step before the last used", cur - 1, cur, false},
		{"later step after a used one", cur + 1, cur, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			step, ok := Match(secret, Code(secret, tc.step, Digits), now, tc.lastUsed)
			if ok != tc.ok || (ok && step != tc.step) {
				t.Fatalf("Match = %d, %v; want %d, %v", step, ok, tc.step, tc.ok)
			}
		})
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := Match(secret, bad, now, 0); ok {
			t.Errorf("%q matched", bad)
		}
	}
}

func TestSecretAndURI(t *testing.T) {
	s := NewSecret()
	if len(s) != 20 || len(EncodeSecret(s)) != 32 || strings.Contains(EncodeSecret(s), "=") {
		t.Fatalf("secret %x encodes as %q", s, EncodeSecret(s))
	}
	u := URI("Acme Corp", "jane.doe", []byte("12345678901234567890"))
	want := "otpauth://totp/Acme%20Corp:jane.doe?algorithm=SHA1&digits=6&issuer=Acme%20Corp&period=30&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	if u != want {
		t.Fatalf("URI\n got %s\nwant %s", u, want)
	}
	if NormalizeCode(" 123 456 ") != "123456" || NormalizeCode("123-456") != "123456" {
		t.Fatal("NormalizeCode")
	}
}
