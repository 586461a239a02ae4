package storagetest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/storage"
)

func testAppAccounts(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	app1, app2 := newApp("t1", "A1"), newApp("t1", "A2")
	for _, a := range []*storage.Application{app1, app2} {
		if err := s.Apps().Create(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	u := mustUser(t, s, newUser("t1", "lihua"))
	u2 := mustUser(t, s, newUser("t1", "zhangsan"))

	// Application organisations.
	head := &storage.AppOrg{TenantID: "t1", ID: idgen.New(now), ApplicationID: app1.ID, Code: "10000", Name: "Head office", CreatedAt: now, UpdatedAt: now}
	branch := &storage.AppOrg{TenantID: "t1", ID: idgen.New(now), ApplicationID: app1.ID, Code: "10001", Name: "Branch", ParentID: head.ID, CreatedAt: now, UpdatedAt: now}
	for _, o := range []*storage.AppOrg{head, branch} {
		if err := s.AppOrgs().Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	dupCode := *head
	dupCode.ID = idgen.New(now)
	wantConflict(t, "same app org code", s.AppOrgs().Create(ctx, &dupCode), "org_code")
	sameCodeOtherApp := dupCode
	sameCodeOtherApp.ApplicationID = app2.ID
	if err := s.AppOrgs().Create(ctx, &sameCodeOtherApp); err != nil {
		t.Fatalf("same code in another application: %v", err)
	}
	if got, err := s.AppOrgs().GetByCode(ctx, "t1", app1.ID, "10001"); err != nil || got.ParentID != head.ID {
		t.Fatalf("by code: %+v %v", got, err)
	}
	_, err := s.AppOrgs().Get(ctx, "t1", app2.ID, head.ID)
	wantNotFound(t, "app org through another application", err)
	_, err = s.AppOrgs().Get(ctx, "t2", app1.ID, head.ID)
	wantNotFound(t, "app org from another tenant", err)
	if ok, _ := s.AppOrgs().HasChildren(ctx, "t1", app1.ID, head.ID); !ok {
		t.Error("head office has a child")
	}
	if list, total, _ := s.AppOrgs().List(ctx, "t1", app1.ID, 0, 10); total != 2 || len(list) != 2 {
		t.Errorf("app orgs of app1: %d", total)
	}
	// Mapping to Gatehouse organisations: the nearest mapped one above wins.
	gRoot := &storage.Organization{TenantID: "t1", ID: idgen.New(now), Code: "G", Name: "G", CreatedAt: now, UpdatedAt: now}
	gMid := &storage.Organization{TenantID: "t1", ID: idgen.New(now), Code: "GM", Name: "GM", ParentID: gRoot.ID, CreatedAt: now, UpdatedAt: now}
	gLeaf := &storage.Organization{TenantID: "t1", ID: idgen.New(now), Code: "GL", Name: "GL", ParentID: gMid.ID, CreatedAt: now, UpdatedAt: now}
	for _, o := range []*storage.Organization{gRoot, gMid, gLeaf} {
		if err := s.Orgs().Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	_, err = s.AppOrgs().ForOrg(ctx, "t1", app1.ID, gLeaf.ID)
	wantNotFound(t, "no mapping yet", err)
	for _, m := range []struct{ appOrg, org string }{{head.ID, gRoot.ID}, {branch.ID, gMid.ID}} {
		if _, err := s.AppOrgs().Update(ctx, "t1", app1.ID, m.appOrg, func(o *storage.AppOrg) error { o.MappedOrgID = m.org; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ from, want string }{{gLeaf.ID, branch.ID}, {gMid.ID, branch.ID}, {gRoot.ID, head.ID}} {
		if got, err := s.AppOrgs().ForOrg(ctx, "t1", app1.ID, c.from); err != nil || got.ID != c.want {
			t.Errorf("app org for %s = %+v, %v; want %s", c.from, got, err, c.want)
		}
	}
	_, err = s.AppOrgs().ForOrg(ctx, "t1", app2.ID, gLeaf.ID)
	wantNotFound(t, "another application's mapping", err)
	_, err = s.AppOrgs().ForOrg(ctx, "t2", app1.ID, gLeaf.ID)
	wantNotFound(t, "mapping from another tenant", err)
	_, err = s.AppOrgs().Update(ctx, "t1", app1.ID, head.ID, func(o *storage.AppOrg) error { o.MappedOrgID = gMid.ID; return nil })
	wantConflict(t, "two app orgs for one organisation", err, "mapped_org_id")

	// Accounts.
	acc := &storage.AppAccount{TenantID: "t1", ID: idgen.New(now), ApplicationID: app1.ID, UserID: u.ID, AccountName: "lihua.app",
		AccountType: storage.AccountBasic, Name: "Li Hua", PasswordEnc: []byte("sealed"), AppOrgID: branch.ID,
		Extension: json.RawMessage(`{"k":"v"}`), CreatedAt: now, UpdatedAt: now}
	if err := s.AppAccounts().Create(ctx, acc); err != nil {
		t.Fatal(err)
	}
	if got, err := s.AppAccounts().Get(ctx, "t1", app1.ID, acc.ID); err != nil || got.AccountName != "lihua.app" || string(got.PasswordEnc) != "sealed" ||
		got.AppOrgID != branch.ID || string(got.Extension) != `{"k":"v"}` || got.UserID != u.ID {
		t.Fatalf("get account: %+v %v", got, err)
	}
	again := *acc
	again.ID, again.AccountName = idgen.New(now), "other"
	wantConflict(t, "second account of one user in one app", s.AppAccounts().Create(ctx, &again), "user_id")
	sameName := *acc
	sameName.ID, sameName.UserID = idgen.New(now), u2.ID
	wantConflict(t, "same account name in one app", s.AppAccounts().Create(ctx, &sameName), "account_name")
	public := &storage.AppAccount{TenantID: "t1", ID: idgen.New(now), ApplicationID: app1.ID, AccountName: "shared",
		AccountType: storage.AccountPublic, CreatedAt: now, UpdatedAt: now}
	public2 := *public
	public2.ID, public2.AccountName = idgen.New(now), "shared2"
	for _, a := range []*storage.AppAccount{public, &public2} { // accounts without user do not collide
		if err := s.AppAccounts().Create(ctx, a); err != nil {
			t.Fatalf("public account: %v", err)
		}
	}
	inApp2 := *acc
	inApp2.ID, inApp2.ApplicationID, inApp2.AppOrgID = idgen.New(now), app2.ID, ""
	if err := s.AppAccounts().Create(ctx, &inApp2); err != nil {
		t.Fatalf("the user's account in another app: %v", err)
	}
	if got, err := s.AppAccounts().GetByUser(ctx, "t1", app2.ID, u.ID); err != nil || got.ID != inApp2.ID {
		t.Fatalf("by user: %+v %v", got, err)
	}
	_, err = s.AppAccounts().Get(ctx, "t1", app2.ID, acc.ID)
	wantNotFound(t, "account through another application", err)
	_, err = s.AppAccounts().Get(ctx, "t2", app1.ID, acc.ID)
	wantNotFound(t, "account from another tenant", err)
	if list, total, _ := s.AppAccounts().List(ctx, "t1", app1.ID, "", 0, 10); total != 3 || len(list) != 3 {
		t.Errorf("accounts of app1: %d", total)
	}
	if _, total, _ := s.AppAccounts().List(ctx, "t1", app1.ID, storage.AccountPublic, 0, 10); total != 2 {
		t.Errorf("public accounts of app1: %d", total)
	}
	if mine, _ := s.AppAccounts().ListForUser(ctx, "t1", u.ID); len(mine) != 2 {
		t.Errorf("the user's accounts: %d", len(mine))
	}
	if _, err := s.AppAccounts().Update(ctx, "t1", app1.ID, acc.ID, func(a *storage.AppAccount) error {
		a.Disabled, a.Name, a.UpdatedAt = true, "Li", now.Add(time.Hour)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.AppAccounts().Get(ctx, "t1", app1.ID, acc.ID); !got.Disabled || got.Name != "Li" {
		t.Fatalf("after update: %+v", got)
	}

	// Roles and members.
	role := &storage.AppRole{TenantID: "t1", ID: idgen.New(now), ApplicationID: app1.ID, Code: "admin", Name: "Admin", CreatedAt: now}
	role2 := &storage.AppRole{TenantID: "t1", ID: idgen.New(now), ApplicationID: app1.ID, Code: "auditor", CreatedAt: now}
	for _, r := range []*storage.AppRole{role, role2} {
		if err := s.AppRoles().Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	dupRole := *role
	dupRole.ID = idgen.New(now)
	wantConflict(t, "same role code", s.AppRoles().Create(ctx, &dupRole), "code")
	if got, err := s.AppRoles().Get(ctx, "t1", app1.ID, role.ID); err != nil || got.Code != "admin" || !got.UpdatedAt.IsZero() {
		t.Fatalf("get role: %+v %v", got, err)
	}
	if err := s.AppRoles().AddMember(ctx, "t1", role.ID, acc.ID); err != nil {
		t.Fatal(err)
	}
	// Twice is a no-op reported as not found, inside a transaction too
	// (a unique violation would abort a PostgreSQL transaction).
	if err := s.InTx(ctx, func(tx storage.Repos) error {
		wantNotFound(t, "member twice", tx.AppRoles().AddMember(ctx, "t1", role.ID, acc.ID))
		_, err := tx.AppRoles().Get(ctx, "t1", role.ApplicationID, role.ID)
		return err
	}); err != nil {
		t.Fatalf("transaction after a repeated member: %v", err)
	}
	wantNotFound(t, "another application's account", s.AppRoles().AddMember(ctx, "t1", role.ID, inApp2.ID))
	wantNotFound(t, "unknown account", s.AppRoles().AddMember(ctx, "t1", role.ID, "nope"))
	wantNotFound(t, "member from another tenant", s.AppRoles().AddMember(ctx, "t2", role.ID, acc.ID))
	s.AppRoles().AddMember(ctx, "t1", role2.ID, acc.ID)
	s.AppRoles().AddMember(ctx, "t1", role.ID, public.ID)
	members, total, err := s.AppRoles().Members(ctx, "t1", role.ID, 0, 10)
	if err != nil || total != 2 || len(members) != 2 {
		t.Fatalf("members: %d %v", total, err)
	}
	roles, _ := s.AppRoles().RolesOf(ctx, "t1", []string{acc.ID, public.ID})
	if len(roles[acc.ID]) != 2 || roles[acc.ID][0].Code != "admin" || len(roles[public.ID]) != 1 {
		t.Fatalf("roles of: %+v", roles)
	}
	if got, codes, err := s.AppAccounts().GetByUserWithRoles(ctx, "t1", app1.ID, u.ID); err != nil || got.ID != acc.ID || len(codes) != 2 || codes[0] != "admin" || codes[1] != "auditor" {
		t.Fatalf("account with roles: %+v %v %v", got, codes, err)
	}
	if got, codes, err := s.AppAccounts().GetByUserWithRoles(ctx, "t1", app2.ID, u.ID); err != nil || got.ID != inApp2.ID || len(codes) != 0 {
		t.Fatalf("account without roles: %+v %v %v", got, codes, err)
	}
	_, _, err = s.AppAccounts().GetByUserWithRoles(ctx, "t1", app1.ID, u2.ID)
	wantNotFound(t, "no account in the app", err)
	_, _, err = s.AppAccounts().GetByUserWithRoles(ctx, "t2", app1.ID, u.ID)
	wantNotFound(t, "account with roles from another tenant", err)
	if err := s.AppRoles().RemoveMember(ctx, "t1", role.ID, public.ID); err != nil {
		t.Fatal(err)
	}
	wantNotFound(t, "remove a non-member", s.AppRoles().RemoveMember(ctx, "t1", role.ID, public.ID))

	// Roles given to application organisations reach the organisations
	// below them.
	if err := s.AppRoles().AddOrg(ctx, "t1", role2.ID, head.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.InTx(ctx, func(tx storage.Repos) error {
		wantNotFound(t, "org role twice", tx.AppRoles().AddOrg(ctx, "t1", role2.ID, head.ID))
		_, err := tx.AppRoles().Get(ctx, "t1", role2.ApplicationID, role2.ID)
		return err
	}); err != nil {
		t.Fatalf("transaction after a repeated org role: %v", err)
	}
	wantNotFound(t, "another application's org", s.AppRoles().AddOrg(ctx, "t1", role2.ID, sameCodeOtherApp.ID))
	wantNotFound(t, "org role from another tenant", s.AppRoles().AddOrg(ctx, "t2", role2.ID, branch.ID))
	if err := s.AppRoles().AddOrg(ctx, "t1", role.ID, branch.ID); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		org  string
		want string
	}{{branch.ID, "admin auditor"}, {head.ID, "auditor"}, {"nope", ""}} {
		if codes, err := s.AppRoles().RolesOfOrg(ctx, "t1", c.org); err != nil || strings.Join(codes, " ") != c.want {
			t.Errorf("roles of org %s = %v, %v; want %q", c.org, codes, err, c.want)
		}
	}
	if codes, _ := s.AppRoles().RolesOfOrg(ctx, "t2", branch.ID); len(codes) != 0 {
		t.Error("roles of an org cross tenants")
	}
	if orgs, total, err := s.AppRoles().Orgs(ctx, "t1", role2.ID, 0, 10); err != nil || total != 1 || orgs[0].ID != head.ID {
		t.Errorf("orgs of auditor: %+v %d %v", orgs, total, err)
	}
	if err := s.AppRoles().RemoveOrg(ctx, "t1", role.ID, branch.ID); err != nil {
		t.Fatal(err)
	}
	wantNotFound(t, "remove an org role twice", s.AppRoles().RemoveOrg(ctx, "t1", role.ID, branch.ID))

	// Deleting an account drops its memberships; deleting a role drops its members.
	if err := s.AppAccounts().Delete(ctx, "t1", app1.ID, acc.ID); err != nil {
		t.Fatal(err)
	}
	if _, total, _ := s.AppRoles().Members(ctx, "t1", role.ID, 0, 10); total != 0 {
		t.Errorf("members of a deleted account remain: %d", total)
	}
	wantNotFound(t, "delete role through another application", s.AppRoles().Delete(ctx, "t1", app2.ID, role2.ID))
	// Deleting the application takes everything of it.
	if err := s.Apps().Delete(ctx, "t1", app1.ID); err != nil {
		t.Fatal(err)
	}
	if _, total, _ := s.AppAccounts().List(ctx, "t1", app1.ID, "", 0, 10); total != 0 {
		t.Errorf("accounts of a deleted application remain: %d", total)
	}
	if _, total, _ := s.AppRoles().List(ctx, "t1", app1.ID, 0, 10); total != 0 {
		t.Errorf("roles of a deleted application remain: %d", total)
	}
	if _, err := s.AppOrgs().Get(ctx, "t1", app1.ID, head.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("app orgs of a deleted application remain")
	}
	// Deleting a user takes its accounts.
	if err := s.Users().Delete(ctx, "t1", u.ID); err != nil {
		t.Fatal(err)
	}
	if mine, _ := s.AppAccounts().ListForUser(ctx, "t1", u.ID); len(mine) != 0 {
		t.Errorf("accounts of a deleted user remain: %d", len(mine))
	}
}
