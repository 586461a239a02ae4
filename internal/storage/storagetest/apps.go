package storagetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/storage"
)

func newApp(tenant, name string) *storage.Application {
	return &storage.Application{TenantID: tenant, ID: idgen.New(now), Name: name, Protocol: storage.ProtocolOIDC,
		Settings: json.RawMessage(`{"redirect_uris":["https://app.example.com/cb"]}`), APIPermissions: []string{"user_read"},
		ClientID: "client-" + name, AccessPolicy: storage.AccessAuthorized, AccessOrgIDs: []string{}, AccountNameRule: "user_name", AccessRules: json.RawMessage("[]"), LoginMethods: []string{"password"}, MFA: "off",
		ClaimMappings: json.RawMessage(`[{"claim":"roles","source":"account.roles"}]`), CreatedAt: now, UpdatedAt: now}
}

func testApplications(t *testing.T, s storage.Store) {
	mustTenant(t, s, "t1")
	mustTenant(t, s, "t2")
	a := newApp("t1", "Payroll")
	a.Description, a.LogoURL, a.HomeURL, a.Category = "pays", "https://x/logo.png", "https://x/", "finance"
	a.AccessPolicy, a.AccessOrgIDs, a.AccountNameRule = storage.AccessOrganizations, []string{"o1", "o2"}, "{email}"
	a.MFA = storage.MFARequired
	a.AccessRules = json.RawMessage(`[{"all":[{"source":"user.email","op":"suffix","values":["@corp.example.com"]}]}]`)
	if err := s.InTx(ctx, func(tx storage.Repos) error {
		if err := tx.APIClients().Create(ctx, &storage.APIClient{TenantID: "t1", ClientID: a.ClientID, SecretHash: []byte{1}, ApplicationID: a.ID, CreatedAt: now}); err != nil {
			return err
		}
		return tx.Apps().Create(ctx, a)
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Apps().Get(ctx, "t1", a.ID)
	if err != nil || fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *a) {
		t.Fatalf("get = %+v, %v\nwant %+v", got, err, a)
	}
	if got, err := s.Apps().GetByClientID(ctx, "t1", a.ClientID); err != nil || got.ID != a.ID {
		t.Fatalf("by client id = %v, %v", got, err)
	}
	dupName := newApp("t1", "Payroll")
	dupName.ClientID = "another-client"
	wantConflict(t, "same name", s.Apps().Create(ctx, dupName), "name")
	dupClient := newApp("t1", "Other")
	dupClient.ClientID = a.ClientID
	wantConflict(t, "same client id", s.Apps().Create(ctx, dupClient), "client_id")
	// Another tenant sees nothing and may use the same name.
	_, err = s.Apps().Get(ctx, "t2", a.ID)
	wantNotFound(t, "get from other tenant", err)
	_, err = s.Apps().GetByClientID(ctx, "t2", a.ClientID)
	wantNotFound(t, "by client from other tenant", err)
	_, err = s.Apps().Update(ctx, "t2", a.ID, func(*storage.Application) error { return nil })
	wantNotFound(t, "update from other tenant", err)
	wantNotFound(t, "delete from other tenant", s.Apps().Delete(ctx, "t2", a.ID))
	if err := s.Apps().Create(ctx, newApp("t2", "Payroll")); err != nil {
		t.Fatalf("same name in another tenant: %v", err)
	}

	later := now.Add(time.Hour)
	if _, err := s.Apps().Update(ctx, "t1", a.ID, func(x *storage.Application) error {
		x.Disabled, x.Name, x.UpdatedAt = true, "Payroll 2", later
		x.APIPermissions = nil
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Apps().Get(ctx, "t1", a.ID)
	if !got.Disabled || got.Name != "Payroll 2" || len(got.APIPermissions) != 0 || !got.UpdatedAt.Equal(later) {
		t.Fatalf("after update: %+v", got)
	}
	// The client's secret can be rotated in place.
	if _, err := s.APIClients().Update(ctx, "t1", a.ClientID, func(c *storage.APIClient) error {
		c.PrevSecretHash, c.SecretHash, c.PrevValidUntil = c.SecretHash, []byte{2}, later
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.APIClients().Get(ctx, "t1", a.ClientID); c.SecretHash[0] != 2 || c.PrevSecretHash[0] != 1 || !c.PrevValidUntil.Equal(later) || c.ApplicationID != a.ID {
		t.Fatalf("rotated client = %+v", c)
	}
	for i := range 12 {
		if err := s.Apps().Create(ctx, newApp("t1", fmt.Sprint("app", i))); err != nil {
			t.Fatal(err)
		}
	}
	page, total, err := s.Apps().List(ctx, "t1", 10, 10)
	if err != nil || total != 13 || len(page) != 3 || page[0].Name != "app9" {
		t.Fatalf("list: %d of %d (%v), first %v", len(page), total, err, page)
	}
	// API scopes: unique in the tenant, freed when replaced.
	other := newApp("t1", "Other API")
	if err := s.Apps().Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := s.Apps().SetAPIScopes(ctx, "t1", a.ID, []string{"payroll.read", "payroll.write"}); err != nil {
		t.Fatal(err)
	}
	err = s.Apps().SetAPIScopes(ctx, "t1", other.ID, []string{"x.read", "payroll.read"})
	wantConflict(t, "a scope another application defines", err, "api_scopes:payroll.read")
	owners, err := s.Apps().APIScopeOwners(ctx, "t1", []string{"payroll.read", "x.read", "nope"})
	if err != nil || len(owners) != 1 || owners["payroll.read"] != a.ClientID {
		t.Fatalf("owners = %v, %v (the refused replacement must leave nothing)", owners, err)
	}
	if o, _ := s.Apps().APIScopeOwners(ctx, "t2", []string{"payroll.read"}); len(o) != 0 {
		t.Fatal("another tenant sees the scopes")
	}
	if err := s.Apps().SetAPIScopes(ctx, "t1", a.ID, []string{"payroll.write"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Apps().SetAPIScopes(ctx, "t1", other.ID, []string{"payroll.read"}); err != nil {
		t.Fatalf("a freed scope: %v", err)
	}
	// Deleting the application deletes its client.
	if err := s.Apps().Delete(ctx, "t1", a.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.APIClients().Get(ctx, "t1", a.ClientID)
	wantNotFound(t, "client of deleted app", err)
	_, err = s.Apps().Get(ctx, "t1", a.ID)
	wantNotFound(t, "deleted app", err)
}
