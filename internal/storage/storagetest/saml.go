package storagetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/storage"
)

// testSAMLEntityIDs: an entity id is unique in a tenant, finds its
// application, follows it when changed and goes with it.
func testSAMLEntityIDs(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	a, b := newApp("t1", "SP A"), newApp("t1", "SP B")
	other := newApp("t2", "SP A")
	for _, x := range []*storage.Application{a, b, other} {
		x.Protocol = storage.ProtocolSAML
		if err := s.Apps().Create(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	const eid = "https://sp.example.com/metadata"
	if err := s.Apps().SetSAMLEntityID(ctx, "t1", a.ID, eid); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Apps().GetBySAMLEntityID(ctx, "t1", eid); err != nil || got.ID != a.ID || got.Name != "SP A" {
		t.Fatalf("by entity id = %+v, %v", got, err)
	}
	wantConflict(t, "same entity id", s.Apps().SetSAMLEntityID(ctx, "t1", b.ID, eid), "saml.entity_id")
	// Another tenant neither sees it nor is stopped by it.
	_, err := s.Apps().GetBySAMLEntityID(ctx, "t2", eid)
	wantNotFound(t, "entity id from another tenant", err)
	if err := s.Apps().SetSAMLEntityID(ctx, "t2", other.ID, eid); err != nil {
		t.Fatalf("same entity id in another tenant: %v", err)
	}
	// A change replaces the old id, which is free again.
	if err := s.Apps().SetSAMLEntityID(ctx, "t1", a.ID, eid+"/v2"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Apps().GetBySAMLEntityID(ctx, "t1", eid)
	wantNotFound(t, "old entity id", err)
	if err := s.Apps().SetSAMLEntityID(ctx, "t1", b.ID, eid); err != nil {
		t.Fatalf("freed entity id: %v", err)
	}
	// Deleting the application frees its id.
	if err := s.Apps().Delete(ctx, "t1", a.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.Apps().GetBySAMLEntityID(ctx, "t1", eid+"/v2")
	wantNotFound(t, "entity id of a deleted application", err)
	if err := s.Apps().SetSAMLEntityID(ctx, "t1", b.ID, ""); err != nil {
		t.Fatal(err)
	}
	_, err = s.Apps().GetBySAMLEntityID(ctx, "t1", eid)
	wantNotFound(t, "removed entity id", err)
}

// testSAMLSessions: one row per session and service provider (the first
// one stays), found by session, SessionIndex and NameID, never across
// tenants, gone at logout and at expiry.
func testSAMLSessions(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	row := func(tenant, sid, app, index string, created time.Time) *storage.SAMLSession {
		return &storage.SAMLSession{TenantID: tenant, SID: sid, ApplicationID: app, UserID: "u1", NameID: "alice",
			NameIDFormat: "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified", SessionIndex: index, CreatedAt: created, ExpiresAt: now.Add(time.Hour)}
	}
	first := row("t1", "s1", "app1", "idx-1", now)
	got, err := s.SAMLSessions().Put(ctx, first)
	if err != nil || fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *first) {
		t.Fatalf("put = %+v, %v", got, err)
	}
	// A second sign-in of the same session to the same SP keeps the row.
	again := row("t1", "s1", "app1", "idx-other", now.Add(time.Minute))
	if got, err := s.SAMLSessions().Put(ctx, again); err != nil || got.SessionIndex != "idx-1" {
		t.Fatalf("second put = %+v, %v (want the first SessionIndex kept)", got, err)
	}
	for _, r := range []*storage.SAMLSession{row("t1", "s1", "app2", "idx-2", now.Add(time.Second)), row("t1", "s2", "app1", "idx-3", now),
		row("t2", "s1", "app1", "idx-1", now)} {
		if _, err := s.SAMLSessions().Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.SAMLSessions().ListForSession(ctx, "t1", "s1")
	if err != nil || len(list) != 2 || list[0].ApplicationID != "app1" || list[1].ApplicationID != "app2" {
		t.Fatalf("session s1 = %+v, %v", list, err)
	}
	if got, err := s.SAMLSessions().GetBySessionIndex(ctx, "t1", "app1", "idx-3"); err != nil || got.SID != "s2" {
		t.Fatalf("by session index = %+v, %v", got, err)
	}
	_, err = s.SAMLSessions().GetBySessionIndex(ctx, "t1", "app2", "idx-3")
	wantNotFound(t, "session index of another application", err)
	if list, _ := s.SAMLSessions().ListByNameID(ctx, "t1", "app1", "alice"); len(list) != 2 {
		t.Fatalf("by name id = %+v", list)
	}
	// Logout removes one session's rows, in one tenant.
	if err := s.SAMLSessions().DeleteForSession(ctx, "t1", "s1"); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.SAMLSessions().ListForSession(ctx, "t1", "s1"); len(list) != 0 {
		t.Fatalf("rows after logout: %+v", list)
	}
	if list, _ := s.SAMLSessions().ListForSession(ctx, "t2", "s1"); len(list) != 1 {
		t.Fatalf("the other tenant's session lost its row: %+v", list)
	}
	n, err := s.SAMLSessions().DeleteExpired(ctx, now.Add(2*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("expired rows deleted = %d, %v (want 2)", n, err)
	}
}
