package saml

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxMessage bounds a decoded (inflated) protocol message; maxRelayState
// bounds RelayState (the bindings allow 80 bytes; some SPs send more).
const (
	maxMessage    = 128 << 10
	maxRelayState = 1024
)

// Message parameters of the bindings.
const (
	paramRequest  = "SAMLRequest"
	paramResponse = "SAMLResponse"
)

// inbound is a protocol message as a binding delivered it.
type inbound struct {
	// Param is SAMLRequest or SAMLResponse.
	Param      string
	XML        []byte
	RelayState string
	// Redirect is true for the HTTP-Redirect binding, whose signature (if
	// any) covers the query string's octets (SAML Bindings 3.4.4.1).
	Redirect    bool
	SigAlg      string
	Signature   []byte
	SignedQuery []byte
}

var errBinding = errors.New("saml: the message is not a valid SAML binding encoding")

// readRedirect reads an HTTP-Redirect message from the query string. It
// keeps the raw (still URL-encoded) values, since the signature covers
// them exactly as sent.
func readRedirect(rawQuery string) (*inbound, error) {
	raw := map[string]string{}
	for _, kv := range strings.Split(rawQuery, "&") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case paramRequest, paramResponse, "RelayState", "SigAlg", "Signature":
			if _, dup := raw[k]; dup {
				return nil, errBinding
			}
			raw[k] = v
		}
	}
	in := &inbound{Redirect: true}
	_, hasReq := raw[paramRequest]
	_, hasResp := raw[paramResponse]
	switch {
	case hasReq && !hasResp:
		in.Param = paramRequest
	case hasResp && !hasReq:
		in.Param = paramResponse
	default:
		return nil, errBinding
	}
	val := func(k string) (string, error) { return url.QueryUnescape(raw[k]) }
	msg, err := val(in.Param)
	if err != nil {
		return nil, errBinding
	}
	if in.RelayState, err = val("RelayState"); err != nil || len(in.RelayState) > maxRelayState {
		return nil, errBinding
	}
	deflated, err := decodeBase64(msg)
	if err != nil {
		return nil, err
	}
	if in.XML, err = inflate(deflated); err != nil {
		return nil, err
	}
	if sig, ok := raw["Signature"]; ok {
		if in.SigAlg, err = val("SigAlg"); err != nil || in.SigAlg == "" {
			return nil, errBinding
		}
		s, err := url.QueryUnescape(sig)
		if err != nil {
			return nil, errBinding
		}
		if in.Signature, err = decodeBase64(s); err != nil {
			return nil, err
		}
		// The signed octets: the parameters in this order, as sent.
		signed := in.Param + "=" + raw[in.Param]
		if _, ok := raw["RelayState"]; ok {
			signed += "&RelayState=" + raw["RelayState"]
		}
		in.SignedQuery = []byte(signed + "&SigAlg=" + raw["SigAlg"])
	}
	return in, nil
}

// hasParam reports whether the raw query names key, even with a value
// that does not decode.
func hasParam(rawQuery, key string) bool {
	for _, kv := range strings.Split(rawQuery, "&") {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			return true
		}
	}
	return false
}

// readPost reads an HTTP-POST message from the form body.
func readPost(r *http.Request) (*inbound, error) {
	if err := r.ParseForm(); err != nil {
		return nil, errBinding
	}
	in := &inbound{RelayState: r.PostForm.Get("RelayState")}
	req, resp := r.PostForm.Get(paramRequest), r.PostForm.Get(paramResponse)
	switch {
	case req != "" && resp == "":
		in.Param = paramRequest
	case resp != "" && req == "":
		in.Param = paramResponse
		req = resp
	default:
		return nil, errBinding
	}
	if len(in.RelayState) > maxRelayState || len(req) > maxMessage*4/3+4 {
		return nil, errBinding
	}
	var err error
	in.XML, err = decodeBase64(req)
	return in, err
}

// decodeBase64 reads standard base64, ignoring the line breaks some
// encoders put in.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) > maxMessage {
		return nil, errBinding
	}
	return b, nil
}

// inflate undoes the Redirect binding's DEFLATE (RFC 1951), stopping at
// maxMessage: a small bomb cannot make a large message.
func inflate(b []byte) ([]byte, error) {
	fr := flate.NewReader(bytes.NewReader(b))
	defer fr.Close()
	out, err := io.ReadAll(io.LimitReader(fr, maxMessage+1))
	if err != nil || len(out) > maxMessage || len(out) == 0 {
		return nil, errBinding
	}
	return out, nil
}

// deflate is the Redirect binding's encoding of an outgoing message.
func deflate(b []byte) []byte {
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	fw.Write(b)
	fw.Close()
	return buf.Bytes()
}
