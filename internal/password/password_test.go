package password

import (
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	h := NewHasher(Params{MemoryKiB: 8 * 1024, Time: 1, Threads: 1})
	hash, err := h.Hash("Xk9#pq2!vb")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=8192,t=1,p=1$") || strings.Contains(hash, "Xk9") {
		t.Fatalf("hash = %q", hash)
	}
	if !h.Verify(hash, "Xk9#pq2!vb") {
		t.Fatal("right password rejected")
	}
	if h.Verify(hash, "Xk9#pq2!vB") {
		t.Fatal("wrong password accepted")
	}
	again, _ := h.Hash("Xk9#pq2!vb")
	if again == hash {
		t.Fatal("two hashes of one password are equal: salt missing")
	}
	// A hash made with other parameters still verifies.
	h2 := NewHasher(DefaultParams)
	if !h2.Verify(hash, "Xk9#pq2!vb") {
		t.Fatal("hash with older parameters rejected")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=8192,t=1,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA", "$argon2id$v=19$m=99999999999,t=1,p=1$c2FsdA$aGFzaA"} {
		if h.Verify(bad, "") {
			t.Fatalf("malformed hash %q verified", bad)
		}
	}
	if _, err := h.Hash(strings.Repeat("a", MaxLen+1)); err == nil {
		t.Fatal("overlong password hashed")
	}
}

func FuzzVerifyMalformedHash(f *testing.F) {
	f.Add("$argon2id$v=19$m=8192,t=1,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA", "pw")
	h := NewHasher(Params{MemoryKiB: 8 * 1024, Time: 1, Threads: 1})
	f.Fuzz(func(t *testing.T, hash, pw string) {
		h.Verify(hash, pw) // must not panic
	})
}
