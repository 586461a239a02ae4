package keys_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore/sqltest"
)

// TestCertificates: every node makes the same certificate for a key, the
// certificate holds the signing key's public half, and a rotation
// publishes the new key's certificate before it signs, beside the old one.
func TestCertificates(t *testing.T) {
	ctx := context.Background()
	store := sqltest.Open(t, sqltest.SQLiteDSN(t))
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	store.Tenants().Create(ctx, &storage.Tenant{ID: "t1", Name: "t1", CreatedAt: now})
	sealer, _ := secret.NewSealer(strings.Repeat("k", 32))
	node1 := &keys.Manager{Store: store, Sealer: sealer, Now: clock}
	node2 := &keys.Manager{Store: store, Sealer: sealer, Now: clock}

	signer, cert, err := node1.RSASigner(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	if !signer.Public().(*rsa.PublicKey).Equal(cert.PublicKey) {
		t.Fatal("the certificate does not hold the signing key")
	}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) || cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature) != nil {
		t.Fatalf("certificate not valid now or not self-signed: %v – %v", cert.NotBefore, cert.NotAfter)
	}
	_, cert2, err := node2.RSASigner(ctx, "t1")
	if err != nil || !bytes.Equal(cert.Raw, cert2.Raw) {
		t.Fatalf("two nodes made different certificates for one key (%v)", err)
	}

	if _, err := node1.Rotate(ctx, "t1", keys.RS256); err != nil {
		t.Fatal(err)
	}
	certs, err := node1.Certificates(ctx, "t1")
	if err != nil || len(certs) != 2 || !bytes.Equal(certs[1].Raw, cert.Raw) {
		t.Fatalf("after rotation: %d certificates, %v (want the new one, then the old)", len(certs), err)
	}
	if _, c, _ := node1.RSASigner(ctx, "t1"); !bytes.Equal(c.Raw, cert.Raw) {
		t.Fatal("the new key signs before its publish delay")
	}
	now = now.Add(keys.PublishDelay + time.Second)
	if _, c, _ := node1.RSASigner(ctx, "t1"); !bytes.Equal(c.Raw, certs[0].Raw) {
		t.Fatal("the new key does not sign after its publish delay")
	}
}
