package oidc

import (
	"encoding/json"
	"testing"
)

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"b\s`, "ctl\x00\x01\n\r\t", "<a&b>", "中文", "\u2028\u2029", "bad\xffutf8", "é"} {
		want, _ := json.Marshal(s)
		if got := string(appendString(nil, s)); got != string(want) {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
	obj := newJSON(0).str("a", "x").num("n", -5).boolean("b", true).strs("l", []string{"p", "q"}).strOpt("e", "").raw("r", []byte(`{"k":1}`)).done()
	var m map[string]any
	if err := json.Unmarshal(obj, &m); err != nil || len(m) != 5 {
		t.Fatalf("object %s: %v", obj, err)
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("a\"b\\c\x00<>&\u2028")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestFirstWriteWins(t *testing.T) {
	obj := string(newJSON(0).str("a", "first").str("a", "second").num("a", 1).raw("b", []byte(`[1]`)).strs("b", []string{"x"}).done())
	if obj != `{"a":"first","b":[1]}` {
		t.Fatalf("object %s", obj)
	}
}
