package oidc

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/idgen"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore/sqltest"
)

// BenchmarkSignInDecision is the per-sign-in budget: the access
// decision and the claims of a user in 5 organisations with 10 roles in
// the application and 20 custom attributes, all mapped. The application
// comes from the client cache (as on the hot path); the account and its
// roles are one query. Target: under 100 µs and 100 allocations. Run:
//
//	go test -run XXX -bench SignInDecision -benchmem ./internal/oidc/
func BenchmarkSignInDecision(b *testing.B) {
	ctx := context.Background()
	store := sqltest.Open(b, sqltest.SQLiteDSN(b))
	now := time.Now().UTC()
	store.Tenants().Create(ctx, &storage.Tenant{ID: "t", Name: "t", CreatedAt: now})
	u := &storage.User{TenantID: "t", ID: idgen.New(now), UserName: "alice", UserNameKey: "alice", Name: "Alice",
		Email: "alice@example.com", EmailKey: "alice@example.com", Profile: json.RawMessage(`{}`), CreatedAt: now, UpdatedAt: now}
	ext := map[string]any{}
	var mappings []apps.ClaimMapping
	for i := range 20 {
		k := fmt.Sprintf("attr%02d", i)
		ext[k] = fmt.Sprintf("value-%d", i)
		mappings = append(mappings, apps.ClaimMapping{Claim: k, Source: "user.extension." + k})
	}
	u.Extension, _ = json.Marshal(ext)
	for i := range 5 {
		o := &storage.Organization{TenantID: "t", ID: idgen.New(now), Code: fmt.Sprint("O", i), Name: fmt.Sprint("O", i), Category: "department", CreatedAt: now, UpdatedAt: now}
		store.Orgs().Create(ctx, o)
		u.Orgs = append(u.Orgs, storage.UserOrg{OrgID: o.ID, RelationType: min(i, 1)})
	}
	u.HomeOrgID = u.Orgs[0].OrgID
	if err := store.Users().Create(ctx, u); err != nil {
		b.Fatal(err)
	}
	mappings = append(mappings, apps.ClaimMapping{Claim: "roles", Source: "account.roles"})
	mjs, _ := json.Marshal(mappings)
	app := &storage.Application{TenantID: "t", ID: idgen.New(now), Name: "Finance", Protocol: storage.ProtocolOIDC,
		Settings: json.RawMessage(`{"redirect_uris":["https://app/cb"]}`), ClientID: "cid", AccessPolicy: storage.AccessAuthorized,
		ClaimMappings: mjs, CreatedAt: now, UpdatedAt: now}
	store.Apps().Create(ctx, app)
	acc := &storage.AppAccount{TenantID: "t", ID: idgen.New(now), ApplicationID: app.ID, UserID: u.ID, AccountName: "alice",
		AccountType: storage.AccountBasic, CreatedAt: now, UpdatedAt: now}
	store.AppAccounts().Create(ctx, acc)
	for i := range 10 {
		r := &storage.AppRole{TenantID: "t", ID: idgen.New(now), ApplicationID: app.ID, Code: fmt.Sprintf("role%02d", i), CreatedAt: now}
		store.AppRoles().Create(ctx, r)
		store.AppRoles().AddMember(ctx, "t", r.ID, acc.ID)
	}
	p := &Provider{Store: store}
	cl := &client{app: &apps.App{Application: *app, OIDC: apps.DefaultOIDCSettings("oidc"), Mappings: apps.Mappings(app)}}
	scopes := []string{"openid", "profile", "email"}
	var size int
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		g, err := p.access(ctx, cl, u)
		if err != nil || len(g.Roles) != 10 {
			b.Fatalf("access: %v %v", g, err)
		}
		j := newJSON(2048).str("iss", "https://id.example.com/api/v1/oauth2").str("sub", u.ID).str("aud", "cid")
		mappedClaims(j, cl.app.Mappings, apps.InIDToken, u, g)
		scopeClaims(j, u, scopes)
		size = len(j.done())
	}
	b.ReportMetric(float64(size), "claim-bytes")
}
