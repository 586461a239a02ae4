// Package jsonobj reads the top-level fields of a JSON object without
// decoding it: each value stays the raw bytes it was. It serves the hot
// paths that look up a few attributes of a stored object (claims at
// sign-in) where encoding/json's reflection would cost an allocation per
// field.
package jsonobj

// Field is one member of an object: its key (unescaped only when it had
// no escapes) and its raw value.
type Field struct {
	Key   []byte
	Value []byte
}

// Fields returns the members of the object in b, or nil when b is not an
// object this reader understands (callers then fall back to
// encoding/json). Values are sub-slices of b.
func Fields(b []byte) []Field {
	i := skip(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil
	}
	out := make([]Field, 0, 16)
	i = skip(b, i+1)
	if i < len(b) && b[i] == '}' {
		return out
	}
	for i < len(b) {
		if b[i] != '"' {
			return nil
		}
		end, escaped := stringEnd(b, i)
		if end < 0 || escaped {
			return nil
		}
		key := b[i+1 : end]
		i = skip(b, end+1)
		if i >= len(b) || b[i] != ':' {
			return nil
		}
		i = skip(b, i+1)
		vend := valueEnd(b, i)
		if vend < 0 {
			return nil
		}
		out = append(out, Field{Key: key, Value: b[i:vend]})
		i = skip(b, vend)
		if i >= len(b) {
			return nil
		}
		switch b[i] {
		case ',':
			i = skip(b, i+1)
		case '}':
			return out
		default:
			return nil
		}
	}
	return nil
}

// Get returns the value of key, or nil.
func Get(fields []Field, key string) []byte {
	for _, f := range fields {
		if string(f.Key) == key {
			return f.Value
		}
	}
	return nil
}

func skip(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index of the closing quote of the string at i.
func stringEnd(b []byte, i int) (int, bool) {
	escaped := false
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j, escaped
		}
	}
	return -1, escaped
}

// valueEnd returns the index just past the value at i.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		end, _ := stringEnd(b, i)
		if end < 0 {
			return -1
		}
		return end + 1
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, _ := stringEnd(b, j)
				if end < 0 {
					return -1
				}
				j = end
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\t' && b[j] != '\r' {
		j++
	}
	if j == i {
		return -1
	}
	return j
}
