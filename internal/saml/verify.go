package saml

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"math/big"
	"slices"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

var errSignature = errors.New("saml: the signature does not verify under the service provider's certificates")

// Algorithms accepted in service providers' signatures: SHA-256 or
// stronger (SHA-1 is refused).
var (
	sigHashes = map[string]crypto.Hash{
		dsig.RSASHA256SignatureMethod: crypto.SHA256, dsig.RSASHA384SignatureMethod: crypto.SHA384, dsig.RSASHA512SignatureMethod: crypto.SHA512,
		dsig.ECDSASHA256SignatureMethod: crypto.SHA256, dsig.ECDSASHA384SignatureMethod: crypto.SHA384, dsig.ECDSASHA512SignatureMethod: crypto.SHA512,
	}
	digestMethods = []string{"http://www.w3.org/2001/04/xmlenc#sha256", "http://www.w3.org/2001/04/xmldsig-more#sha384",
		"http://www.w3.org/2001/04/xmlenc#sha512"}
)

// verifyXML checks root's enveloped signature (XML-DSig, SAML Core 5.4)
// against the service provider's certificates and returns what was
// signed: a copy of root without its signature, which is all the caller
// may read. signed is false when root carries no signature.
//
// Against signature wrapping: the one Signature must be a direct child of
// root and reference root's ID; no other element may carry that ID; no
// Signature may hide deeper in the message; and the caller reads the
// verified copy, never the message as received.
func verifyXML(root *etree.Element, certs []*x509.Certificate) (verified *etree.Element, signed bool, err error) {
	var direct []*etree.Element
	for _, c := range root.ChildElements() {
		if c.Tag == "Signature" && c.NamespaceURI() == nsDSig {
			direct = append(direct, c)
		}
	}
	all := 0
	for _, el := range root.FindElements("//Signature") {
		if el.NamespaceURI() == nsDSig {
			all++
		}
	}
	switch {
	case all == 0:
		return root, false, nil
	case len(direct) != 1 || all != 1:
		return nil, true, errSignature
	}
	id := root.SelectAttrValue("ID", "")
	if id == "" || countID(root, id) != 1 {
		return nil, true, errSignature
	}
	sm := direct[0].FindElement("./SignedInfo/SignatureMethod")
	dm := direct[0].FindElement("./SignedInfo/Reference/DigestMethod")
	ref := direct[0].FindElement("./SignedInfo/Reference")
	if sm == nil || dm == nil || ref == nil || len(direct[0].FindElements("./SignedInfo/Reference")) != 1 ||
		ref.SelectAttrValue("URI", "") != "#"+id || !slices.Contains(digestMethods, dm.SelectAttrValue("Algorithm", "")) {
		return nil, true, errSignature
	}
	if _, ok := sigHashes[sm.SelectAttrValue("Algorithm", "")]; !ok {
		return nil, true, errSignature
	}
	for _, cert := range certs {
		// The registered certificate is trusted as given: its key, not its
		// dates (as with keys in metadata); KeyInfo in the message is
		// ignored, so the message cannot name its own key.
		el := root.Copy()
		for _, sig := range el.ChildElements() {
			if sig.Tag == "Signature" && sig.NamespaceURI() == nsDSig {
				for _, ki := range sig.ChildElements() {
					if ki.Tag == "KeyInfo" {
						sig.RemoveChild(ki)
					}
				}
			}
		}
		vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
		vc.Clock = dsig.NewFakeClockAt(cert.NotBefore)
		if out, err := vc.Validate(el); err == nil {
			return out, true, nil
		}
	}
	return nil, true, errSignature
}

// countID counts the elements under root (itself included) whose ID is id.
func countID(root *etree.Element, id string) int {
	n := 0
	var walk func(el *etree.Element)
	walk = func(el *etree.Element) {
		for _, a := range el.Attr {
			if (a.Key == "ID" || a.Key == "Id" || a.Key == "id") && a.Value == id {
				n++
			}
		}
		for _, c := range el.ChildElements() {
			walk(c)
		}
	}
	walk(root)
	return n
}

// verifyQuery checks the HTTP-Redirect binding's signature (SAML Bindings
// 3.4.4.1) over the query's octets as received.
func verifyQuery(in *inbound, certs []*x509.Certificate) error {
	h, ok := sigHashes[in.SigAlg]
	if !ok {
		return errSignature
	}
	d := h.New()
	d.Write(in.SignedQuery)
	digest := d.Sum(nil)
	for _, cert := range certs {
		switch pub := cert.PublicKey.(type) {
		case *rsa.PublicKey:
			if rsa.VerifyPKCS1v15(pub, h, digest, in.Signature) == nil {
				return nil
			}
		case *ecdsa.PublicKey:
			if ecdsa.VerifyASN1(pub, digest, in.Signature) {
				return nil
			}
			// XML-DSig's ECDSA form: r || s, each the curve's size.
			if n := (pub.Curve.Params().BitSize + 7) / 8; len(in.Signature) == 2*n {
				r, s := new(big.Int).SetBytes(in.Signature[:n]), new(big.Int).SetBytes(in.Signature[n:])
				if ecdsa.Verify(pub, digest, r, s) {
					return nil
				}
			}
		}
	}
	return errSignature
}
