package mgmt_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
)

// jsonDecode decodes a snake_case object into a struct with camel-case
// field names (user_id into UserID, error_code into ErrorCode).
func jsonDecode(b []byte, dst any) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	first := true
	for k, v := range m {
		if !first {
			buf.WriteByte(',')
		}
		first = false
		name := strings.Map(func(r rune) rune {
			if r == '_' {
				return -1
			}
			return unicode.ToLower(r)
		}, k)
		js, _ := json.Marshal(name)
		buf.Write(js)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return json.Unmarshal(buf.Bytes(), dst)
}
