package saml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"

	"github.com/beevik/etree"
	xrv "github.com/mattermost/xml-roundtrip-validator"
)

// XML namespaces.
const (
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"
)

var errXML = errors.New("saml: the message is not acceptable XML")

// parseMessage checks an untrusted protocol message and parses it. The
// message must be bounded, hold no DTD or other directive (so no entity
// is ever declared, let alone expanded, and nothing external is read),
// survive encoding/xml's round trip unchanged (mattermost's validator: the
// parser differentials behind several signature bypasses), and have one
// root element named local in the SAML protocol namespace.
func parseMessage(b []byte, local string) (*etree.Element, error) {
	if len(b) > maxMessage {
		return nil, errXML
	}
	if err := noDirectives(b); err != nil {
		return nil, err
	}
	if err := xrv.Validate(bytes.NewReader(b)); err != nil {
		return nil, errXML
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, errXML
	}
	root := doc.Root()
	if root == nil || root.Tag != local || root.NamespaceURI() != nsProtocol || len(doc.ChildElements()) != 1 {
		return nil, errXML
	}
	return root, nil
}

// noDirectives scans the tokens of b and refuses <!DOCTYPE ...> and any
// other directive. encoding/xml expands no entity either way; etree and
// goxmldsig use it, and this keeps a DTD from ever reaching them.
func noDirectives(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return errXML
		}
		if _, ok := tok.(xml.Directive); ok {
			return errXML
		}
	}
}

// unmarshalElement decodes el (a detached root) into v.
func unmarshalElement(el *etree.Element, v any) error {
	doc := etree.NewDocument()
	doc.SetRoot(el.Copy())
	b, err := doc.WriteToBytes()
	if err != nil {
		return err
	}
	if err := xml.Unmarshal(b, v); err != nil {
		return errXML
	}
	return nil
}
