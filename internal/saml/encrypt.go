package saml

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"errors"

	"github.com/beevik/etree"
)

// XML Encryption algorithms (XML Encryption 1.1, sections 5.2.4 and 5.5.2).
const (
	nsXMLEnc     = "http://www.w3.org/2001/04/xmlenc#"
	algAES128GCM = "http://www.w3.org/2009/xmlenc11#aes128-gcm"
	algAES256GCM = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
	algRSAOAEP   = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
	algSHA1      = "http://www.w3.org/2000/09/xmldsig#sha1"
)

// encryptAssertion wraps a (signed) assertion in an EncryptedAssertion
// for the service provider's certificate: the assertion under a fresh
// AES-GCM key (IV || ciphertext || tag, as XML Encryption 1.1 lays it
// out), the key under RSA-OAEP (MGF1 and digest SHA-1: rsa-oaep-mgf1p as
// every SAML stack reads it; OAEP's security does not rest on SHA-1's
// collision resistance).
func encryptAssertion(assertion *etree.Element, cert *x509.Certificate, method string) (*etree.Element, error) {
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("saml: the encryption certificate has no RSA key")
	}
	alg, size := algAES128GCM, 16
	if method == "aes256-gcm" {
		alg, size = algAES256GCM, 32
	}
	doc := etree.NewDocument()
	doc.SetRoot(assertion)
	plain, err := doc.WriteToBytes()
	if err != nil {
		return nil, err
	}
	key := make([]byte, size)
	rand.Read(key)
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	iv := make([]byte, gcm.NonceSize())
	rand.Read(iv)
	sealed := gcm.Seal(iv, iv, plain, nil)
	wrapped, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, key, nil)
	if err != nil {
		return nil, err
	}

	out := etree.NewElement("saml:EncryptedAssertion")
	out.CreateAttr("xmlns:saml", nsAssertion)
	data := out.CreateElement("xenc:EncryptedData")
	data.CreateAttr("xmlns:xenc", nsXMLEnc)
	data.CreateAttr("Type", nsXMLEnc+"Element")
	data.CreateElement("xenc:EncryptionMethod").CreateAttr("Algorithm", alg)
	ki := data.CreateElement("ds:KeyInfo")
	ki.CreateAttr("xmlns:ds", nsDSig)
	ek := ki.CreateElement("xenc:EncryptedKey")
	em := ek.CreateElement("xenc:EncryptionMethod")
	em.CreateAttr("Algorithm", algRSAOAEP)
	em.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", algSHA1)
	ek.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").
		SetText(base64.StdEncoding.EncodeToString(cert.Raw))
	ek.CreateElement("xenc:CipherData").CreateElement("xenc:CipherValue").SetText(base64.StdEncoding.EncodeToString(wrapped))
	data.CreateElement("xenc:CipherData").CreateElement("xenc:CipherValue").SetText(base64.StdEncoding.EncodeToString(sealed))
	return out, nil
}
