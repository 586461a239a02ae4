package oidc

import (
	"net/http"
	"strconv"
	"unicode/utf8"
)

// jsonw appends a JSON object without reflection: the token endpoint
// builds one or two objects per request and is the hottest path. A key
// is written once: the first write wins (mapped claims go first, so they
// take precedence over standard ones of the same name).
type jsonw struct {
	b     []byte
	first bool
	keys  []string
	// keyBuf holds the first keys: a token response has at most six, so
	// recording them costs no allocation of its own.
	keyBuf [8]string
}

func newJSON(capacity int) *jsonw {
	j := &jsonw{b: append(make([]byte, 0, capacity), '{'), first: true}
	j.keys = j.keyBuf[:0]
	return j
}

// The headers of JSON answers that must not be cached (RFC 6749 5.1),
// shared read-only by every response: setting one again replaces the
// slice, never writes into it.
var (
	hdrJSONUTF8 = []string{"application/json;charset=UTF-8"}
	hdrNoStore  = []string{"no-store"}
	hdrNoCache  = []string{"no-cache"}
)

// noStoreJSON sets Content-Type (JSON, UTF-8), Cache-Control: no-store
// and, with pragma, the HTTP/1.0 Pragma: no-cache the token endpoint sends.
func noStoreJSON(h http.Header, pragma bool) {
	h["Content-Type"], h["Cache-Control"] = hdrJSONUTF8, hdrNoStore
	if pragma {
		h["Pragma"] = hdrNoCache
	}
}

// seen reports whether k was written, and records it otherwise.
func (j *jsonw) seen(k string) bool {
	for _, x := range j.keys {
		if x == k {
			return true
		}
	}
	j.keys = append(j.keys, k)
	return false
}

func (j *jsonw) key(k string) {
	if !j.first {
		j.b = append(j.b, ',')
	}
	j.first = false
	j.b = appendString(j.b, k)
	j.b = append(j.b, ':')
}

func (j *jsonw) str(k, v string) *jsonw {
	if !j.seen(k) {
		j.key(k)
		j.b = appendString(j.b, v)
	}
	return j
}

// strOpt adds k only when v is not empty.
func (j *jsonw) strOpt(k, v string) *jsonw {
	if v != "" {
		j.str(k, v)
	}
	return j
}

func (j *jsonw) num(k string, v int64) *jsonw {
	if !j.seen(k) {
		j.key(k)
		j.b = strconv.AppendInt(j.b, v, 10)
	}
	return j
}

func (j *jsonw) boolean(k string, v bool) *jsonw {
	if !j.seen(k) {
		j.key(k)
		j.b = strconv.AppendBool(j.b, v)
	}
	return j
}

func (j *jsonw) strs(k string, vs []string) *jsonw {
	if j.seen(k) {
		return j
	}
	j.key(k)
	j.b = append(j.b, '[')
	for i, v := range vs {
		if i > 0 {
			j.b = append(j.b, ',')
		}
		j.b = appendString(j.b, v)
	}
	j.b = append(j.b, ']')
	return j
}

// raw adds a pre-encoded JSON value.
func (j *jsonw) raw(k string, v []byte) *jsonw {
	if !j.seen(k) {
		j.key(k)
		j.b = append(j.b, v...)
	}
	return j
}

func (j *jsonw) done() []byte { return append(j.b, '}') }

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaping as encoding/json does
// for HTML-safe output (<, >, & and U+2028/2029 too).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
