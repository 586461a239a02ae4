// Package storagetest is the conformance suite every storage backend must
// pass. A backend's test gives Run a factory for a fresh, migrated store.
//
// Every CRUD test also probes a second tenant: rows of one tenant must be
// invisible to, and untouchable from, another, with the same answer as for
// an id that never existed.
package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// Run runs the whole suite, each test on a fresh store from newStore.
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s storage.Store)
	}{
		{"Tenants", testTenants},
		{"TenantDeleteRemovesEverything", testTenantDelete},
		{"UserCRUD", testUserCRUD},
		{"UserConflicts", testUserConflicts},
		{"UserUpdateIsAtomic", testUserUpdateAtomic},
		{"UserUpdateFailureKeepsRow", testUserUpdateFailure},
		{"UserList", testUserList},
		{"Orgs", testOrgs},
		{"APIClientsAndTokens", testAPIClientsAndTokens},
		{"Audit", testAudit},
		{"SigningKeys", testSigningKeys},
		{"Settings", testSettings},
		{"InTxRollsBack", testInTxRollback},
		{"Applications", testApplications},
		{"OrgTree", testOrgTree},
		{"AppAccountsRolesOrgs", testAppAccounts},
		{"Attributes", testAttributes},
		{"CASTickets", testCASTickets},
		{"CASTicketsWithTheirUser", testCASTicketsWithUser},
		{"CASTicketsForSession", testCASTicketsForSession},
		{"CASLogins", testCASLogins},
		{"OIDCLogins", testOIDCLogins},
		{"SAMLArtifacts", testSAMLArtifacts},
		{"SAMLEntityIDs", testSAMLEntityIDs},
		{"SAMLSessions", testSAMLSessions},
		{"Sessions", testSessions},
		{"SessionsWithTheirUser", testSessionsWithUser},
		{"CodesAreSingleUse", testCodes},
		{"CodesWithTheirUser", testCodesWithUser},
		{"RefreshTokens", testRefreshTokens},
		{"ConsentsAndRevocations", testConsentsRevocations},
		{"UserDeleteTakesOAuthState", testUserDeleteOAuth},
		{"MFACredentials", testMFACredentials},
		{"UserDeleteTakesMFA", testUserDeleteTakesMFA},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

var ctx = context.Background()

// now is a fixed instant truncated to what the stores keep (milliseconds).
var now = time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)

func mustTenant(t *testing.T, s storage.Store, id string) {
	t.Helper()
	if err := s.Tenants().Create(ctx, &storage.Tenant{ID: id, Name: id, Domain: id + ".example.com", CreatedAt: now}); err != nil {
		t.Fatalf("create tenant %s: %v", id, err)
	}
}

func newUser(tenant, name string) *storage.User {
	return &storage.User{
		TenantID: tenant, ID: idgen.New(now), UserName: name, UserNameKey: name, Name: name,
		Profile: json.RawMessage(`{}`), Extension: json.RawMessage(`{}`),
		PwdMustModify: true, CreatedAt: now, UpdatedAt: now,
	}
}

func mustUser(t *testing.T, s storage.Repos, u *storage.User) *storage.User {
	t.Helper()
	if err := s.Users().Create(ctx, u); err != nil {
		t.Fatalf("create user %s: %v", u.UserName, err)
	}
	return u
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("%s: err = %v, want ErrNotFound", what, err)
	}
}

func wantConflict(t *testing.T, what string, err error, field string) {
	t.Helper()
	var ce *storage.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("%s: err = %v, want a conflict on %s", what, err, field)
	}
	if ce.Field != field {
		t.Fatalf("%s: conflict on %q, want %q", what, ce.Field, field)
	}
}

func testTenants(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	got, err := s.Tenants().Get(ctx, "t1")
	if err != nil || got.Name != "t1" || got.Domain != "t1.example.com" || !got.CreatedAt.Equal(now) {
		t.Fatalf("get = %+v, %v", got, err)
	}
	list, err := s.Tenants().List(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("list = %v, %v", list, err)
	}
	wantConflict(t, "same id", s.Tenants().Create(ctx, &storage.Tenant{ID: "t1", Name: "x", CreatedAt: now}), "tenant_id")
	wantConflict(t, "same domain", s.Tenants().Create(ctx, &storage.Tenant{ID: "t3", Name: "x", Domain: "t1.example.com", CreatedAt: now}), "domain")
	// Several tenants may have no domain (the default one has none).
	for _, id := range []string{"n1", "n2"} {
		if err := s.Tenants().Create(ctx, &storage.Tenant{ID: id, Name: id, CreatedAt: now}); err != nil {
			t.Fatalf("tenant without domain: %v", err)
		}
	}
	_, err = s.Tenants().Get(ctx, "nope")
	wantNotFound(t, "get unknown", err)
	wantNotFound(t, "delete unknown", s.Tenants().Delete(ctx, "nope"))
}

func testTenantDelete(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	for _, tenant := range []string{"t1", "t2"} {
		root := &storage.Organization{TenantID: tenant, ID: idgen.New(now), Code: "HQ", Name: "HQ", Category: "department", CreatedAt: now, UpdatedAt: now}
		child := &storage.Organization{TenantID: tenant, ID: idgen.New(now), Code: "RND", Name: "R&D", ParentID: root.ID, Category: "department", CreatedAt: now, UpdatedAt: now}
		for _, o := range []*storage.Organization{root, child} {
			if err := s.Orgs().Create(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		u := newUser(tenant, "alice")
		u.HomeOrgID = child.ID
		u.Orgs = []storage.UserOrg{{OrgID: child.ID, RelationType: storage.RelationHome}}
		mustUser(t, s, u)
		c := &storage.APIClient{TenantID: tenant, ClientID: "c", SecretHash: []byte{1}, CreatedAt: now}
		if err := s.APIClients().Create(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := s.MgmtTokens().Create(ctx, &storage.MgmtToken{TenantID: tenant, Hash: []byte(tenant), ClientID: "c", Sealed: []byte{1}, Scope: "all", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := s.Audit().Append(ctx, &storage.AuditEvent{TenantID: tenant, ID: idgen.New(now), Time: now, Action: "x", Result: storage.ResultSuccess}); err != nil {
			t.Fatal(err)
		}
		if err := s.SigningKeys().Create(ctx, &storage.SigningKey{TenantID: tenant, KID: "k", Algorithm: "RS256", PrivateEnc: []byte{1}, Active: true, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Tenants().Delete(ctx, "t1"); err != nil {
		t.Fatalf("delete tenant: %v", err)
	}
	if _, n, _ := s.Users().List(ctx, "t1", storage.UserFilter{Limit: 10}); n != 0 {
		t.Fatalf("t1 still has %d users", n)
	}
	if keys, _ := s.SigningKeys().List(ctx, "t1"); len(keys) != 0 {
		t.Fatal("t1 keys survived")
	}
	if ev, _ := s.Audit().List(ctx, "t1", storage.AuditFilter{}); len(ev) != 0 {
		t.Fatal("t1 audit survived")
	}
	// The other tenant is untouched.
	if _, n, _ := s.Users().List(ctx, "t2", storage.UserFilter{Limit: 10}); n != 1 {
		t.Fatalf("t2 has %d users, want 1", n)
	}
	if _, err := s.MgmtTokens().GetByHash(ctx, "t2", []byte("t2")); err != nil {
		t.Fatalf("t2 token: %v", err)
	}
	// The same tenant id can be created again from scratch.
	mustTenant(t, s, "t1")
	mustUser(t, s, newUser("t1", "alice"))
}

func testUserCRUD(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	org := &storage.Organization{TenantID: "t1", ID: idgen.New(now), Code: "HQ", Name: "HQ", Category: "department", CreatedAt: now, UpdatedAt: now}
	org2 := &storage.Organization{TenantID: "t1", ID: idgen.New(now), Code: "RND", Name: "R&D", Category: "department", CreatedAt: now, UpdatedAt: now}
	for _, o := range []*storage.Organization{org, org2} {
		if err := s.Orgs().Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	u := newUser("t1", "lihua")
	u.Mobile, u.MobileKey = "+86-13800001111", "+8613800001111"
	u.Email, u.EmailKey = "LiHua@Example.com", "lihua@example.com"
	u.EmployeeID, u.ExternalID = "E1", "X1"
	u.FirstName, u.MiddleName, u.LastName = "Hua", "M", "Li"
	u.Profile = json.RawMessage(`{"attr_gender":"male"}`)
	u.Extension = json.RawMessage(`{"cost_center":"C-17"}`)
	u.PasswordHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"
	u.PwdChangedAt = now.Add(time.Minute)
	u.Grade = 3
	u.HomeOrgID = org.ID
	u.Orgs = []storage.UserOrg{{OrgID: org.ID, RelationType: 0}, {OrgID: org2.ID, RelationType: 1}}
	mustUser(t, s, u)

	got, err := s.Users().Get(ctx, "t1", u.ID)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *u) {
		t.Fatalf("get returned\n%+v\nwant\n%+v", *got, *u)
	}
	// The row alone: every field but the memberships (the home
	// organisation is a column of the row).
	row, err := s.Users().GetWithoutOrgs(ctx, "t1", u.ID)
	if err != nil {
		t.Fatalf("get without orgs: %v", err)
	}
	want := *u
	want.Orgs = nil
	if fmt.Sprintf("%+v", *row) != fmt.Sprintf("%+v", want) {
		t.Fatalf("get without orgs returned\n%+v\nwant\n%+v", *row, want)
	}
	_, err = s.Users().GetWithoutOrgs(ctx, "t1", "20200101000000000-0000-000000000")
	wantNotFound(t, "get without orgs, unknown id", err)
	byName, err := s.Users().GetByUserNameKey(ctx, "t1", "lihua")
	if err != nil || byName.ID != u.ID {
		t.Fatalf("by name: %v, %v", byName, err)
	}
	for kind, key := range map[storage.LoginKind]string{storage.LoginUserName: "lihua", storage.LoginEmail: "lihua@example.com", storage.LoginMobile: "+8613800001111"} {
		if got, err := s.Users().GetByLogin(ctx, "t1", kind, key); err != nil || got.ID != u.ID {
			t.Fatalf("by login %d %q: %v, %v", kind, key, got, err)
		}
		_, err := s.Users().GetByLogin(ctx, "t2", kind, key)
		wantNotFound(t, "login from other tenant", err)
	}
	_, err = s.Users().GetByLogin(ctx, "t1", storage.LoginEmail, "")
	wantNotFound(t, "empty login key", err)
	// Another tenant sees nothing, and can change nothing.
	_, err = s.Users().Get(ctx, "t2", u.ID)
	wantNotFound(t, "get from other tenant", err)
	_, err = s.Users().GetWithoutOrgs(ctx, "t2", u.ID)
	wantNotFound(t, "get without orgs from other tenant", err)
	_, err = s.Users().GetByUserNameKey(ctx, "t2", "lihua")
	wantNotFound(t, "by name from other tenant", err)
	_, err = s.Users().Update(ctx, "t2", u.ID, func(*storage.User) error { return nil })
	wantNotFound(t, "update from other tenant", err)
	wantNotFound(t, "delete from other tenant", s.Users().Delete(ctx, "t2", u.ID))
	if list, n, _ := s.Users().List(ctx, "t2", storage.UserFilter{Limit: 10}); n != 0 || len(list) != 0 {
		t.Fatal("other tenant lists the user")
	}
	// The same user name is free in the other tenant.
	mustUser(t, s, newUser("t2", "lihua"))

	later := now.Add(time.Hour)
	upd, err := s.Users().Update(ctx, "t1", u.ID, func(x *storage.User) error {
		x.Name = "Li Hua"
		x.Disabled = true
		x.Orgs = x.Orgs[:1]
		x.Email, x.EmailKey = "", ""
		x.UpdatedAt = later
		return nil
	})
	if err != nil || upd.Name != "Li Hua" {
		t.Fatalf("update: %v", err)
	}
	got, _ = s.Users().Get(ctx, "t1", u.ID)
	if got.Name != "Li Hua" || !got.Disabled || len(got.Orgs) != 1 || got.Email != "" || !got.UpdatedAt.Equal(later) {
		t.Fatalf("after update: %+v", got)
	}
	_, before, _ := s.Users().List(ctx, "t1", storage.UserFilter{Limit: 10})
	if err := s.Users().Delete(ctx, "t1", u.ID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, after, _ := s.Users().List(ctx, "t1", storage.UserFilter{Limit: 10}); after != before-1 {
		t.Fatalf("total %d after deleting one of %d", after, before)
	}
	_, err = s.Users().Get(ctx, "t1", u.ID)
	wantNotFound(t, "get deleted", err)
	_, err = s.Users().GetWithoutOrgs(ctx, "t1", u.ID)
	wantNotFound(t, "get deleted without orgs", err)
	wantNotFound(t, "delete twice", s.Users().Delete(ctx, "t1", u.ID))
	if _, again, _ := s.Users().List(ctx, "t1", storage.UserFilter{Limit: 10}); again != before-1 {
		t.Fatalf("a failed delete changed the total to %d", again)
	}
	if list, _, _ := s.Users().List(ctx, "t1", storage.UserFilter{OrgID: org.ID, Limit: 10}); len(list) != 0 {
		t.Fatal("deleted user still listed in its organisation")
	}
}

func testUserConflicts(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	a := newUser("t1", "a")
	a.MobileKey, a.Mobile, a.EmailKey, a.Email, a.EmployeeID = "1", "1", "a@x", "a@x", "E1"
	mustUser(t, s, a)
	cases := []struct {
		field string
		mod   func(u *storage.User)
	}{
		{"user_name", func(u *storage.User) { u.UserNameKey = "a" }},
		{"mobile", func(u *storage.User) { u.MobileKey = "1" }},
		{"email", func(u *storage.User) { u.EmailKey = "a@x" }},
		{"employee_id", func(u *storage.User) { u.EmployeeID = "E1" }},
	}
	for _, c := range cases {
		b := newUser("t1", "b")
		c.mod(b)
		wantConflict(t, "create with same "+c.field, s.Users().Create(ctx, b), c.field)
		// Nothing half-written: b does not exist.
		_, err := s.Users().GetByUserNameKey(ctx, "t1", "b")
		if c.field != "user_name" {
			wantNotFound(t, "b after failed create", err)
		}
	}
	b := mustUser(t, s, newUser("t1", "b"))
	for _, c := range cases {
		_, err := s.Users().Update(ctx, "t1", b.ID, func(u *storage.User) error { c.mod(u); return nil })
		wantConflict(t, "update to same "+c.field, err, c.field)
	}
	// Absent values never conflict.
	mustUser(t, s, newUser("t1", "c"))
}

func testUserUpdateAtomic(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	u := mustUser(t, s, newUser("t1", "a"))
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Users().Update(ctx, "t1", u.ID, func(x *storage.User) error { x.Grade++; return nil })
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent update: %v", err)
		}
	}
	got, _ := s.Users().Get(ctx, "t1", u.ID)
	if got.Grade != n {
		t.Fatalf("grade = %d after %d concurrent increments: an update was lost", got.Grade, n)
	}
}

func testUserUpdateFailure(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	u := mustUser(t, s, newUser("t1", "a"))
	boom := errors.New("boom")
	_, err := s.Users().Update(ctx, "t1", u.ID, func(x *storage.User) error { x.Name = "changed"; return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want fn's error", err)
	}
	got, _ := s.Users().Get(ctx, "t1", u.ID)
	if got.Name != "a" {
		t.Fatalf("name = %q after failed update", got.Name)
	}
}

func testUserList(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	org := &storage.Organization{TenantID: "t1", ID: idgen.New(now), Code: "HQ", Name: "HQ", Category: "department", CreatedAt: now, UpdatedAt: now}
	if err := s.Orgs().Create(ctx, org); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 25 {
		u := newUser("t1", fmt.Sprintf("u%02d", i))
		u.ID = idgen.New(now.Add(time.Duration(i) * time.Millisecond))
		u.UpdatedAt = now.Add(time.Duration(25-i) * time.Second) // reverse order of creation
		if i%2 == 0 {
			u.Orgs = []storage.UserOrg{{OrgID: org.ID, RelationType: storage.RelationSecondary}}
		}
		mustUser(t, s, u)
		ids = append(ids, u.ID)
	}
	mustUser(t, s, newUser("t2", "other"))

	page, total, err := s.Users().List(ctx, "t1", storage.UserFilter{Offset: 10, Limit: 10})
	if err != nil || total != 25 || len(page) != 10 {
		t.Fatalf("page 2: %d users of %d, %v", len(page), total, err)
	}
	for i, u := range page {
		if u.ID != ids[10+i] {
			t.Fatalf("page 2 item %d = %s, want %s (creation order)", i, u.ID, ids[10+i])
		}
	}
	page, total, _ = s.Users().List(ctx, "t1", storage.UserFilter{Offset: 20, Limit: 10})
	if total != 25 || len(page) != 5 {
		t.Fatalf("last page: %d of %d", len(page), total)
	}
	page, total, _ = s.Users().List(ctx, "t1", storage.UserFilter{Offset: 30, Limit: 10})
	if total != 25 || len(page) != 0 || page == nil {
		t.Fatalf("past the end: %v of %d", page, total)
	}
	page, total, _ = s.Users().List(ctx, "t1", storage.UserFilter{OrgID: org.ID, Limit: 100})
	if total != 13 || len(page) != 13 || len(page[0].Orgs) != 1 || page[0].ID != ids[0] {
		t.Fatalf("by org: %d of %d", len(page), total)
	}
	// Changed after now+20s: users 0..4 (updated at 25s..21s), oldest change first.
	page, total, _ = s.Users().List(ctx, "t1", storage.UserFilter{UpdatedAfter: now.Add(20 * time.Second), Limit: 10})
	if total != 5 || len(page) != 5 || page[0].ID != ids[4] || page[4].ID != ids[0] {
		t.Fatalf("updated after: %d of %d", len(page), total)
	}
	page, total, _ = s.Users().List(ctx, "t1", storage.UserFilter{OrgID: org.ID, UpdatedAfter: now.Add(20 * time.Second), Limit: 10})
	if total != 3 || len(page) != 3 {
		t.Fatalf("org and updated after: %d of %d", len(page), total)
	}
	if _, total, _ = s.Users().List(ctx, "t2", storage.UserFilter{OrgID: org.ID, Limit: 10}); total != 0 {
		t.Fatal("t2 sees t1's organisation members")
	}
}

func testOrgs(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	_, err := s.Orgs().FirstRoot(ctx, "t1")
	wantNotFound(t, "first root of empty tenant", err)
	root := &storage.Organization{TenantID: "t1", ID: idgen.New(now), Code: "HQ", Name: "HQ", Category: "department", Extension: json.RawMessage(`{"k":"v"}`), CreatedAt: now, UpdatedAt: now}
	root2 := &storage.Organization{TenantID: "t1", ID: idgen.New(now.Add(time.Second)), Code: "HQ2", Name: "HQ2", Category: "department", CreatedAt: now.Add(time.Second), UpdatedAt: now}
	child := &storage.Organization{TenantID: "t1", ID: idgen.New(now), Code: "RND", Name: "R&D", ParentID: root.ID, Category: "department", Sequence: 2, CreatedAt: now, UpdatedAt: now}
	for _, o := range []*storage.Organization{root, root2, child} {
		if err := s.Orgs().Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Orgs().Get(ctx, "t1", child.ID)
	if err != nil || fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", storage.Organization{TenantID: "t1", ID: child.ID, Code: "RND", Name: "R&D", ParentID: root.ID, Category: "department", Sequence: 2, Extension: json.RawMessage(`{}`), CreatedAt: now, UpdatedAt: now}) {
		t.Fatalf("get = %+v, %v", got, err)
	}
	if got, err := s.Orgs().GetByCode(ctx, "t1", "HQ"); err != nil || got.ID != root.ID || string(got.Extension) != `{"k":"v"}` {
		t.Fatalf("by code = %+v, %v", got, err)
	}
	if got, err := s.Orgs().FirstRoot(ctx, "t1"); err != nil || got.ID != root.ID {
		t.Fatalf("first root = %+v, %v", got, err)
	}
	wantConflict(t, "same code", s.Orgs().Create(ctx, &storage.Organization{TenantID: "t1", ID: idgen.New(now), Code: "HQ", Name: "x", CreatedAt: now, UpdatedAt: now}), "code")
	_, err = s.Orgs().Get(ctx, "t2", root.ID)
	wantNotFound(t, "get from other tenant", err)
	_, err = s.Orgs().GetByCode(ctx, "t2", "HQ")
	wantNotFound(t, "by code from other tenant", err)
	// A parent must exist in the same tenant.
	if err := s.Orgs().Create(ctx, &storage.Organization{TenantID: "t2", ID: idgen.New(now), Code: "X", Name: "x", ParentID: root.ID, CreatedAt: now, UpdatedAt: now}); err == nil {
		t.Fatal("t2 organisation created under a t1 parent")
	}
}

func testAPIClientsAndTokens(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	c := &storage.APIClient{TenantID: "t1", ClientID: "cid", Name: "ops", SecretHash: []byte("h1"), PrevSecretHash: []byte("h0"),
		PrevValidUntil: now.Add(time.Hour), Permissions: []string{"user_read", "org_all"}, CreatedAt: now}
	if err := s.APIClients().Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.APIClients().Get(ctx, "t1", "cid")
	if err != nil || fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *c) {
		t.Fatalf("get = %+v, %v\nwant %+v", got, err, c)
	}
	wantConflict(t, "same client id", s.APIClients().Create(ctx, c), "client_id")
	_, err = s.APIClients().Get(ctx, "t2", "cid")
	wantNotFound(t, "client from other tenant", err)

	for i, exp := range []time.Time{now.Add(-time.Minute), now.Add(10 * time.Minute), now.Add(20 * time.Minute)} {
		tok := &storage.MgmtToken{TenantID: "t1", Hash: []byte{byte(i)}, ClientID: "cid", Sealed: []byte("s"), Scope: "all", IssuedAt: now, ExpiresAt: exp}
		if err := s.MgmtTokens().Create(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if tok, err := s.MgmtTokens().GetByHash(ctx, "t1", []byte{1}); err != nil || tok.ClientID != "cid" || !tok.ExpiresAt.Equal(now.Add(10*time.Minute)) {
		t.Fatalf("by hash = %+v, %v", tok, err)
	}
	_, err = s.MgmtTokens().GetByHash(ctx, "t2", []byte{1})
	wantNotFound(t, "token from other tenant", err)
	if tok, err := s.MgmtTokens().Latest(ctx, "t1", "cid", now); err != nil || tok.Hash[0] != 2 {
		t.Fatalf("latest = %+v, %v", tok, err)
	}
	_, err = s.MgmtTokens().Latest(ctx, "t1", "cid", now.Add(time.Hour))
	wantNotFound(t, "latest after every expiry", err)
	if err := s.MgmtTokens().DeleteExpired(ctx, "t1", "cid", now); err != nil {
		t.Fatal(err)
	}
	_, err = s.MgmtTokens().GetByHash(ctx, "t1", []byte{0})
	wantNotFound(t, "expired token after cleanup", err)
	// Deleting the client takes its tokens with it.
	wantNotFound(t, "delete from other tenant", s.APIClients().Delete(ctx, "t2", "cid"))
	if err := s.APIClients().Delete(ctx, "t1", "cid"); err != nil {
		t.Fatal(err)
	}
	_, err = s.MgmtTokens().GetByHash(ctx, "t1", []byte{1})
	wantNotFound(t, "token of deleted client", err)
}

func testAudit(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	for i, action := range []string{"user.create", "user.update", "user.create"} {
		e := &storage.AuditEvent{TenantID: "t1", ID: idgen.New(now.Add(time.Duration(i) * time.Second)), Time: now.Add(time.Duration(i) * time.Second),
			ActorType: "api_client", ActorID: "cid", Action: action, TargetType: "user", TargetID: fmt.Sprint("u", i),
			SourceIP: "10.0.0.1", UserAgent: "curl", Result: storage.ResultSuccess, Detail: ""}
		if err := s.Audit().Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.Audit().List(ctx, "t1", storage.AuditFilter{})
	if err != nil || len(all) != 3 || all[0].TargetID != "u2" || all[0].SourceIP != "10.0.0.1" {
		t.Fatalf("list = %+v, %v", all, err)
	}
	if got, _ := s.Audit().List(ctx, "t1", storage.AuditFilter{Action: "user.create"}); len(got) != 2 {
		t.Fatalf("by action: %d", len(got))
	}
	if got, _ := s.Audit().List(ctx, "t1", storage.AuditFilter{TargetID: "u1"}); len(got) != 1 || got[0].Action != "user.update" {
		t.Fatalf("by target: %+v", got)
	}
	if got, _ := s.Audit().List(ctx, "t2", storage.AuditFilter{}); len(got) != 0 {
		t.Fatal("t2 sees t1's audit events")
	}
}

func testSigningKeys(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	k1 := storage.SigningKey{TenantID: "t1", KID: "k1", Algorithm: "RS256", PrivateEnc: []byte("p1"), Active: false, CreatedAt: now, NotBefore: now, ExpiresAt: now.Add(time.Hour)}
	k2 := storage.SigningKey{TenantID: "t1", KID: "k2", Algorithm: "ES256", PrivateEnc: []byte("p2"), Active: true, CreatedAt: now.Add(time.Second), NotBefore: now.Add(time.Minute)}
	for _, k := range []storage.SigningKey{k1, k2} {
		if err := s.SigningKeys().Create(ctx, &k); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.SigningKeys().List(ctx, "t1")
	if err != nil || len(got) != 2 || fmt.Sprintf("%+v", got[0]) != fmt.Sprintf("%+v", k2) || fmt.Sprintf("%+v", got[1]) != fmt.Sprintf("%+v", k1) {
		t.Fatalf("list = %+v, %v", got, err)
	}
	wantConflict(t, "same kid", s.SigningKeys().Create(ctx, &k1), "kid")
	k3 := storage.SigningKey{TenantID: "t1", KID: "k3", Algorithm: "ES256", PrivateEnc: []byte("p3"), Active: true, CreatedAt: now, NotBefore: now}
	s.SigningKeys().Create(ctx, &k3)
	if err := s.SigningKeys().Retire(ctx, "t1", "ES256", now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	s.SigningKeys().Retire(ctx, "t2", "RS256", now) // another tenant: no effect on t1
	got, _ = s.SigningKeys().List(ctx, "t1")
	for _, k := range got {
		want := map[string]time.Time{"k1": now.Add(time.Hour), "k2": now.Add(2 * time.Hour), "k3": now.Add(2 * time.Hour)}[k.KID]
		if !k.ExpiresAt.Equal(want) {
			t.Errorf("key %s expires %v, want %v", k.KID, k.ExpiresAt, want)
		}
	}
	if got, _ := s.SigningKeys().List(ctx, "t2"); len(got) != 0 {
		t.Fatal("t2 sees t1's keys")
	}
}

func testSettings(t *testing.T, s storage.Store) {
	_, err := s.Settings().Get(ctx, "x")
	wantNotFound(t, "unset setting", err)
	v, err := s.Settings().PutIfAbsent(ctx, "x", "first")
	if err != nil || v != "first" {
		t.Fatalf("put = %q, %v", v, err)
	}
	v, err = s.Settings().PutIfAbsent(ctx, "x", "second")
	if err != nil || v != "first" {
		t.Fatalf("second put = %q, %v; the first value must stay", v, err)
	}
}

func testInTxRollback(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	boom := errors.New("boom")
	var id string
	err := s.InTx(ctx, func(tx storage.Repos) error {
		u := mustUser(t, tx, newUser("t1", "a"))
		id = u.ID
		// Inside the transaction the new row is visible.
		if _, err := tx.Users().Get(ctx, "t1", u.ID); err != nil {
			t.Errorf("inside tx: %v", err)
		}
		if err := tx.Audit().Append(ctx, &storage.AuditEvent{TenantID: "t1", ID: idgen.New(now), Time: now, Action: "user.create", Result: storage.ResultSuccess}); err != nil {
			t.Errorf("audit in tx: %v", err)
		}
		if _, err := tx.Users().Update(ctx, "t1", u.ID, func(x *storage.User) error { x.Name = "b"; return nil }); err != nil {
			t.Errorf("update in tx: %v", err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx err = %v", err)
	}
	_, err = s.Users().Get(ctx, "t1", id)
	wantNotFound(t, "user after rollback", err)
	if ev, _ := s.Audit().List(ctx, "t1", storage.AuditFilter{}); len(ev) != 0 {
		t.Fatal("audit event survived the rollback")
	}
	// A conflict inside a transaction rolls everything back too.
	mustUser(t, s, newUser("t1", "taken"))
	err = s.InTx(ctx, func(tx storage.Repos) error {
		mustUser(t, tx, newUser("t1", "fresh"))
		return tx.Users().Create(ctx, newUser("t1", "taken"))
	})
	wantConflict(t, "conflict in tx", err, "user_name")
	_, err = s.Users().GetByUserNameKey(ctx, "t1", "fresh")
	wantNotFound(t, "user created before the conflict", err)
}
