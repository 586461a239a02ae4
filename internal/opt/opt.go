// Package opt holds field types for partial updates: they tell a field that
// was absent from one sent as null or empty, so that an update writes only
// what the caller sent.
//
// Decoding is as lenient as OneAccess's Jackson-based server: a string
// field takes a JSON number as its literal text, and a boolean field takes
// "true" or "false" in quotes.
package opt

import (
	"bytes"
	"encoding/json"
	"errors"
)

// String is an optional string. Null decodes as Set with V == "".
type String struct {
	Set bool
	V   string
}

// Some returns a set String.
func Some(v string) String { return String{Set: true, V: v} }

var errString = errors.New("must be a string")

func (s *String) UnmarshalJSON(b []byte) error {
	s.Set = true
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		s.V = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, &s.V)
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return errString
		}
		s.V = n.String()
		return nil
	}
	return errString
}

// Bool is an optional boolean. Null decodes as unset.
type Bool struct {
	Set bool
	V   bool
}

var errBool = errors.New("must be a boolean")

func (v *Bool) UnmarshalJSON(b []byte) error {
	switch string(bytes.TrimSpace(b)) {
	case "null":
		*v = Bool{}
	case "true", `"true"`:
		*v = Bool{Set: true, V: true}
	case "false", `"false"`:
		*v = Bool{Set: true, V: false}
	default:
		return errBool
	}
	return nil
}

// Value is any optional JSON value, decoded with encoding/json.
type Value[T any] struct {
	Set  bool
	Null bool
	V    T
}

func (v *Value[T]) UnmarshalJSON(b []byte) error {
	v.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		v.Null = true
		return nil
	}
	return json.Unmarshal(b, &v.V)
}
