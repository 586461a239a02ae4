package idgen

import (
	"regexp"
	"testing"
	"time"
)

func TestNewShape(t *testing.T) {
	re := regexp.MustCompile(`^\d{17}-[0-9A-F]{4}-[0-9A-F]{9}$`)
	at := time.Date(2022, 4, 13, 16, 57, 37, 132_000_000, time.UTC)
	id := New(at)
	if !re.MatchString(id) {
		t.Fatalf("id %q does not have the OneAccess shape", id)
	}
	if id[:17] != "20220413165737132" {
		t.Fatalf("timestamp part = %q", id[:17])
	}
	prev := id
	for range 1000 {
		next := New(at)
		if next <= prev {
			t.Fatalf("ids in one millisecond do not sort in creation order: %q then %q", prev, next)
		}
		prev = next
	}
	if later := New(at.Add(time.Millisecond)); later <= id[:17] {
		t.Fatalf("ids do not sort by time: %q then %q", id, later)
	}
}

func TestAlnumAndSecret(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9]{32}$`)
	seen := map[string]bool{}
	for range 100 {
		s := Alnum(32)
		if !re.MatchString(s) || seen[s] {
			t.Fatalf("bad or repeated client id %q", s)
		}
		seen[s] = true
	}
	if len(Secret()) != 43 {
		t.Fatalf("secret length %d, want 43", len(Secret()))
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(UUID()) {
		t.Fatalf("bad uuid %q", UUID())
	}
}
