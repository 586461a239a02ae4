package secret

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

const key = "0123456789abcdef0123456789abcdef"

func TestSealOpen(t *testing.T) {
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.Seal([]byte("private"), "ctx-a")
	if bytes.Contains(sealed, []byte("private")) {
		t.Fatal("plaintext visible in sealed value")
	}
	if got, err := s.Open(sealed, "ctx-a"); err != nil || string(got) != "private" {
		t.Fatalf("open = %q, %v", got, err)
	}
	if _, err := s.Open(sealed, "ctx-b"); err != ErrOpen {
		t.Fatalf("open in another context: %v", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := s.Open(sealed, "ctx-a"); err != ErrOpen {
		t.Fatalf("open altered value: %v", err)
	}
	if _, err := s.Open([]byte{1, 2}, "ctx-a"); err != ErrOpen {
		t.Fatalf("open short value: %v", err)
	}
	other, _ := NewSealer(key + "x")
	if _, err := other.Open(s.Seal([]byte("p"), "c"), "c"); err != ErrOpen {
		t.Fatal("another key opened the value")
	}
	if other.Check() == s.Check() {
		t.Fatal("different keys give the same check value")
	}
	if _, err := NewSealer("short"); err == nil {
		t.Fatal("short key accepted")
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k")
	k1, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created || len(k1) < MinKeyLen {
		t.Fatalf("create: %q %v %v", k1, created, err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", st.Mode().Perm())
	}
	k2, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created || k2 != k1 {
		t.Fatalf("reload: %q %v %v", k2, created, err)
	}
	os.WriteFile(path, []byte("short\n"), 0o600)
	if _, _, err := LoadOrCreateKeyFile(path); err == nil {
		t.Fatal("short key file accepted")
	}
}

func TestHashEqual(t *testing.T) {
	if !Equal(Hash("a"), Hash("a")) || Equal(Hash("a"), Hash("b")) || Equal(Hash("a"), nil) {
		t.Fatal("hash comparison wrong")
	}
}
