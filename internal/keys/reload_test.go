package keys_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore/sqltest"
)

// countingStore counts the reads of signing keys (one per set reload).
type countingStore struct {
	storage.Store
	lists *atomic.Int64
}

func (s countingStore) SigningKeys() storage.SigningKeyRepo {
	return countingKeys{s.Store.SigningKeys(), s.lists}
}

type countingKeys struct {
	storage.SigningKeyRepo
	lists *atomic.Int64
}

func (k countingKeys) List(ctx context.Context, tenantID string) ([]storage.SigningKey, error) {
	k.lists.Add(1)
	return k.SigningKeyRepo.List(ctx, tenantID)
}

// TestStaleSetReloadsOnce: when the cached set has outlived ReloadEvery,
// concurrent signers reload it once between them, not once each.
func TestStaleSetReloadsOnce(t *testing.T) {
	ctx := context.Background()
	base := sqltest.Open(t, sqltest.SQLiteDSN(t))
	var lists atomic.Int64
	store := countingStore{base, &lists}
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	base.Tenants().Create(ctx, &storage.Tenant{ID: "t1", Name: "t1", CreatedAt: now})
	sealer, _ := secret.NewSealer(strings.Repeat("k", 32))
	m := &keys.Manager{Store: store, Sealer: sealer, Now: clock}
	if _, err := m.Sign(ctx, "t1", keys.ES256, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(keys.ReloadEvery + time.Second)
	mu.Unlock()
	lists.Store(0)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := m.Sign(ctx, "t1", keys.ES256, []byte(`{}`)); err != nil {
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := lists.Load(); n != 1 {
		t.Errorf("32 concurrent signers on a stale set reloaded it %d times, want 1", n)
	}
}

// TestUnknownKidReloadsRarely: tokens naming keys nobody has cost no
// database read each: one reload, then none until unknownKidReload has
// passed, while a key rotated in on another node is still found.
func TestUnknownKidReloadsRarely(t *testing.T) {
	ctx := context.Background()
	base := sqltest.Open(t, sqltest.SQLiteDSN(t))
	var lists atomic.Int64
	store := countingStore{base, &lists}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	base.Tenants().Create(ctx, &storage.Tenant{ID: "t1", Name: "t1", CreatedAt: now})
	sealer, _ := secret.NewSealer(strings.Repeat("k", 32))
	m := &keys.Manager{Store: store, Sealer: sealer, Now: clock}
	other := &keys.Manager{Store: base, Sealer: sealer, Now: clock} // another node
	if _, err := m.Sign(ctx, "t1", keys.ES256, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	// A well-formed token signed by a key of another tenant: its kid is
	// unknown here.
	base.Tenants().Create(ctx, &storage.Tenant{ID: "t2", Name: "t2", CreatedAt: now})
	foreign, err := other.Sign(ctx, "t2", keys.ES256, []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(10 * time.Second)
	lists.Store(0)
	for range 100 {
		if _, _, err := m.Verify(ctx, "t1", foreign); err == nil {
			t.Fatal("a foreign token verified")
		}
	}
	if n := lists.Load(); n != 1 {
		t.Errorf("100 tokens with an unknown kid reloaded the set %d times, want 1", n)
	}
	// A key rotated in on the other node is found once the bound has passed.
	if _, err := other.Rotate(ctx, "t1", keys.ES256); err != nil {
		t.Fatal(err)
	}
	now = now.Add(keys.PublishDelay)
	fresh, err := other.Sign(ctx, "t1", keys.ES256, []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Verify(ctx, "t1", fresh); err != nil {
		t.Errorf("a token of a key rotated in elsewhere: %v", err)
	}
}
