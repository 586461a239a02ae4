package storagetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/storage"
)

func newMFA(tenant, id, userID string) *storage.MFACredential {
	return &storage.MFACredential{TenantID: tenant, ID: id, UserID: userID, Type: storage.MFATOTP,
		Secret: []byte("sealed-" + id), Label: "Authenticator app", CreatedAt: now}
}

func testMFACredentials(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	u := mustUser(t, s, newUser("t1", "a"))
	c := newMFA("t1", "m1", u.ID)
	if err := s.MFACredentials().Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.MFACredentials().Get(ctx, "t1", "m1")
	if err != nil || fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *c) {
		t.Fatalf("get = %+v, %v\nwant %+v", got, err, c)
	}
	// Another tenant sees and touches nothing, as for an unknown id.
	_, err = s.MFACredentials().Get(ctx, "t2", "m1")
	wantNotFound(t, "credential from another tenant", err)
	if list, err := s.MFACredentials().ListForUser(ctx, "t2", u.ID); err != nil || len(list) != 0 {
		t.Fatalf("list from another tenant = %v, %v", list, err)
	}
	if ok, err := s.MFACredentials().UseStep(ctx, "t2", "m1", 5); ok || err != nil {
		t.Fatalf("use step from another tenant = %v, %v", ok, err)
	}
	_, err = s.MFACredentials().AddAttempt(ctx, "t2", "m1")
	wantNotFound(t, "attempt from another tenant", err)
	wantNotFound(t, "delete from another tenant", s.MFACredentials().Delete(ctx, "t2", "m1"))
	s.MFACredentials().DeleteUnconfirmed(ctx, "t2", u.ID)
	if _, err := s.MFACredentials().Get(ctx, "t1", "m1"); err != nil {
		t.Fatal("another tenant deleted a credential:", err)
	}

	// A step is spent once, and never an earlier one; the first use confirms.
	if ok, err := s.MFACredentials().UseStep(ctx, "t1", "m1", 100); !ok || err != nil {
		t.Fatalf("use step = %v, %v", ok, err)
	}
	for _, step := range []int64{100, 99} {
		if ok, _ := s.MFACredentials().UseStep(ctx, "t1", "m1", step); ok {
			t.Fatalf("step %d accepted after 100", step)
		}
	}
	if got, _ := s.MFACredentials().Get(ctx, "t1", "m1"); !got.Confirmed || got.LastUsedStep != 100 {
		t.Fatalf("after use: %+v", got)
	}
	// Concurrent uses of one step: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.MFACredentials().UseStep(ctx, "t1", "m1", 101)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d concurrent uses of one step won", wins)
	}
	for i := 1; i <= 3; i++ {
		if n, err := s.MFACredentials().AddAttempt(ctx, "t1", "m1"); n != i || err != nil {
			t.Fatalf("attempt %d = %d, %v", i, n, err)
		}
	}

	// Enrolments in progress are removed without the confirmed ones.
	pending := newMFA("t1", "m2", u.ID)
	if err := s.MFACredentials().Create(ctx, pending); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.MFACredentials().ListForUser(ctx, "t1", u.ID); len(list) != 2 || list[0].ID != "m1" {
		t.Fatalf("list = %+v", list)
	}
	if err := s.MFACredentials().DeleteUnconfirmed(ctx, "t1", u.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.MFACredentials().ListForUser(ctx, "t1", u.ID); len(list) != 1 || list[0].ID != "m1" {
		t.Fatalf("list after removing enrolments = %+v", list)
	}
	if err := s.MFACredentials().Delete(ctx, "t1", "m1"); err != nil {
		t.Fatal(err)
	}
	_, err = s.MFACredentials().Get(ctx, "t1", "m1")
	wantNotFound(t, "deleted credential", err)
	wantNotFound(t, "deleted twice", s.MFACredentials().Delete(ctx, "t1", "m1"))
}

// testUserDeleteTakesMFA: deleting a user deletes its second factors, and
// no one else's; deleting a tenant deletes its credentials.
func testUserDeleteTakesMFA(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	u := mustUser(t, s, newUser("t1", "a"))
	other := mustUser(t, s, newUser("t1", "b"))
	for _, c := range []*storage.MFACredential{newMFA("t1", "m1", u.ID), newMFA("t1", "m2", other.ID)} {
		if err := s.MFACredentials().Create(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Users().Delete(ctx, "t1", u.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.MFACredentials().Get(ctx, "t1", "m1")
	wantNotFound(t, "credential of a deleted user", err)
	if _, err := s.MFACredentials().Get(ctx, "t1", "m2"); err != nil {
		t.Fatal("another user's credential went:", err)
	}
	if err := s.Tenants().Delete(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	_, err = s.MFACredentials().Get(ctx, "t1", "m2")
	wantNotFound(t, "credential of a deleted tenant", err)
}
