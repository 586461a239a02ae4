package saml

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/gatehouse/gatehouse/internal/apps"
)

func testKey(t testing.TB) (*rsa.PrivateKey, *x509.Certificate) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	cert, _ := x509.ParseCertificate(der)
	return key, cert
}

func testFacts() *assertionFacts {
	return &assertionFacts{issuer: "https://idp.example.com/api/v1/saml2/idp/metadata", audience: "https://sp.example.com",
		recipient: "https://sp.example.com/acs", inResponseTo: "_req", nameID: "alice", nameIDFormat: apps.NameIDFormats["unspecified"],
		sessionIndex: "_idx", authnInstant: time.Now(), lifetime: 5 * time.Minute,
		attributes: []saml.Attribute{{Name: "mail", NameFormat: attrFormatBasic, Values: []saml.AttributeValue{{Type: "xs:string", Value: "alice@example.com"}}}}}
}

// TestEncryptedAssertion: both AES-GCM sizes decrypt, with the key sent
// under RSA-OAEP, to the signed assertion, whose signature verifies.
func TestEncryptedAssertion(t *testing.T) {
	idpKey, idpCert := testKey(t)
	spKey, spCert := testKey(t)
	for method, size := range map[string]int{"aes128-gcm": 16, "aes256-gcm": 32} {
		t.Run(method, func(t *testing.T) {
			s := apps.DefaultSAMLSettings()
			s.EncryptAssertion, s.EncryptionMethod = true, method
			s.SPEncryptionCert = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: spCert.Raw}))
			msg, err := buildResponse(&signer{idpKey, idpCert}, &s, testFacts(), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(msg), "alice") {
				t.Fatal("the name is readable in the encrypted response")
			}
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(msg); err != nil {
				t.Fatal(err)
			}
			wrapped, _ := base64.StdEncoding.DecodeString(doc.FindElement("//EncryptedKey/CipherData/CipherValue").Text())
			key, err := rsa.DecryptOAEP(sha1.New(), nil, spKey, wrapped, nil)
			if err != nil || len(key) != size {
				t.Fatalf("key transport: %v (%d bytes)", err, len(key))
			}
			sealed, _ := base64.StdEncoding.DecodeString(doc.FindElement("//EncryptedData/CipherData/CipherValue").Text())
			block, _ := aes.NewCipher(key)
			gcm, _ := cipher.NewGCM(block)
			plain, err := gcm.Open(nil, sealed[:12], sealed[12:], nil)
			if err != nil {
				t.Fatalf("AES-GCM: %v", err)
			}
			a := etree.NewDocument()
			if err := a.ReadFromBytes(plain); err != nil || a.Root().Tag != "Assertion" {
				t.Fatalf("decrypted: %v %s", err, plain)
			}
			vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{idpCert}})
			if _, err := vc.Validate(a.Root()); err != nil {
				t.Fatalf("the decrypted assertion's signature: %v", err)
			}
		})
	}
}

// BenchmarkSAMLResponse: building and signing one Response (assertion
// signed, the default) against one bare RSA-2048 PKCS #1 v1.5 SHA-256
// signature. The two alternate in every iteration, so that a busy machine
// slows both alike; rate-%-of-raw is the response rate as a share of the
// raw signing rate (target: at least 80).
func BenchmarkSAMLResponse(b *testing.B) {
	key, cert := testKey(b)
	sg := &signer{key, cert}
	s := apps.DefaultSAMLSettings()
	f := testFacts()
	d := sha256.Sum256([]byte("x"))
	var resp, raw time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := buildResponse(sg, &s, f, t0); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := key.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
			b.Fatal(err)
		}
		resp, raw = resp+t1.Sub(t0), raw+time.Since(t1)
	}
	b.ReportMetric(float64(resp.Nanoseconds())/float64(b.N), "response-ns/op")
	b.ReportMetric(float64(raw.Nanoseconds())/float64(b.N), "rsa-ns/op")
	b.ReportMetric(100*float64(raw)/float64(resp), "rate-%-of-raw")
}

// TestAuthnClass: the assertion names the class of the session's sign-in:
// two-factor when its amr says a second factor was used (docs/saml.md).
func TestAuthnClass(t *testing.T) {
	for _, c := range []struct {
		amr  []string
		want string
	}{
		{nil, classPassword},
		{[]string{"pwd"}, classPassword},
		{[]string{"pwd", "otp", "mfa"}, classTwoFactor},
	} {
		f := testFacts()
		f.authnClass = authnClassFor(c.amr)
		el := buildAssertion(f, time.Now())
		ref := el.FindElement(".//AuthnContextClassRef")
		if ref == nil || ref.Text() != c.want {
			t.Errorf("amr %v: class %v, want %s", c.amr, ref, c.want)
		}
	}
}
