package saml

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"net/url"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// signer signs with the tenant's current RS256 key: XML enveloped
// signatures (RSA-SHA256 over exclusive c14n, the certificate in KeyInfo)
// and Redirect-binding query strings.
type signer struct {
	key  crypto.Signer
	cert *x509.Certificate
}

func (s *Server) signer(ctx context.Context, tenantID string) (*signer, error) {
	k, c, err := s.Keys.RSASigner(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return &signer{k, c}, nil
}

// sign adds an enveloped signature to el, right after its Issuer as the
// SAML schema orders it (SAML Core 5.4.1: the Reference names el's ID).
func (s *signer) sign(el *etree.Element) error {
	ctx, err := dsig.NewSigningContext(s.key, [][]byte{s.cert.Raw})
	if err != nil {
		return err
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		return err
	}
	sig, err := ctx.ConstructSignature(el, true)
	if err != nil {
		return err
	}
	at := 0
	for i, t := range el.Child {
		if c, ok := t.(*etree.Element); ok && c.Tag == "Issuer" {
			at = i + 1
			break
		}
	}
	el.InsertChildAt(at, sig)
	return nil
}

// signQuery appends SigAlg and Signature to a Redirect-binding query
// (SAML Bindings 3.4.4.1).
func (s *signer) signQuery(query string) (string, error) {
	query += "&SigAlg=" + url.QueryEscape(dsig.RSASHA256SignatureMethod)
	d := sha256.Sum256([]byte(query))
	sig, err := s.key.Sign(rand.Reader, d[:], crypto.SHA256)
	if err != nil {
		return "", err
	}
	return query + "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig)), nil
}
