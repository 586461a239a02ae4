package oidc

import (
	"strings"
	"testing"
)

func TestOpaqueRoundTrip(t *testing.T) {
	c, err := newOpaqueCodec([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	in := &accessToken{TenantID: "t1", ClientID: "cid", Subject: "u1", UserToken: true, GrantID: "g", JTI: "j",
		Scope: "openid email", SID: "s", IssuedAt: 1700000000, ExpiresAt: 1700007200}
	tok := c.seal(in)
	if strings.Contains(tok, "cid") || strings.ContainsAny(tok, "+/=") {
		t.Fatalf("token %q leaks or is not base64url", tok)
	}
	out, err := c.open("t1", tok)
	if err != nil || *out != *in {
		t.Fatalf("open = %+v, %v", out, err)
	}
	if _, err := c.open("t2", tok); err == nil {
		t.Fatal("token opened under another tenant")
	}
	other, _ := newOpaqueCodec([]byte(strings.Repeat("x", 32)))
	if _, err := other.open("t1", tok); err == nil {
		t.Fatal("token opened under another key")
	}
	b := []byte(tok)
	b[len(b)/2] ^= 1
	if _, err := c.open("t1", string(b)); err == nil {
		t.Fatal("altered token opened")
	}
	if c.seal(in) == tok {
		t.Fatal("two tokens of the same claims are equal")
	}
}

func FuzzOpaqueOpen(f *testing.F) {
	c, _ := newOpaqueCodec([]byte(strings.Repeat("k", 32)))
	f.Add(c.seal(&accessToken{TenantID: "t", ClientID: "c", IssuedAt: 1, ExpiresAt: 2}))
	f.Add("AQ")
	f.Fuzz(func(t *testing.T, tok string) {
		c.open("t", tok) // must not panic
	})
}
