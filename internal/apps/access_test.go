package apps

import (
	"strings"
	"testing"
)

func TestMergeSorted(t *testing.T) {
	for _, c := range []struct{ a, b, want string }{
		{"", "", ""},
		{"a c", "", "a c"},
		{"", "b", "b"},
		{"a c e", "b c d f", "a b c d e f"},
		{"x", "a b", "a b x"},
	} {
		if got := strings.Join(mergeSorted(strings.Fields(c.a), strings.Fields(c.b)), " "); got != c.want {
			t.Errorf("merge(%q, %q) = %q, want %q", c.a, c.b, got, c.want)
		}
	}
}
