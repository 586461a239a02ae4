package mgmt_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/api/mgmt"
	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/storage/sqlstore/sqltest"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// testAPI is the management API on a fresh SQLite store, with a bearer
// token of a full-rights client and a handler that sets the tenant as the
// server's middleware would.
type testAPI struct {
	api    *mgmt.API
	store  storage.Store
	token  string
	tenant *storage.Tenant
}

func newTestAPI(t testing.TB) *testAPI {
	ctx := context.Background()
	store := sqltest.Open(t, sqltest.SQLiteDSN(t))
	now := func() time.Time { return time.Now().UTC() }
	ten := &storage.Tenant{ID: storage.DefaultTenantID, Name: "Default", CreatedAt: now()}
	if err := store.Tenants().Create(ctx, ten); err != nil {
		t.Fatal(err)
	}
	sealer, _ := secret.NewSealer(strings.Repeat("k", 32))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rec := &audit.Recorder{Store: store, Now: now, Log: log}
	clients := &apps.Clients{Store: store, Sealer: sealer, Now: now, TokenLifetime: time.Hour}
	var nc apps.NewClient
	err := store.InTx(ctx, func(tx storage.Repos) error {
		var err error
		nc, err = clients.Create(ctx, tx, ten.ID, "test", []string{storage.PermAll})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	cl, _ := store.APIClients().Get(ctx, ten.ID, nc.ClientID)
	tok, err := clients.IssueToken(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	api := &mgmt.API{
		Users: &directory.Users{Store: store, Audit: rec, Hasher: password.NewHasher(password.Params{MemoryKiB: 8192, Time: 1, Threads: 1}),
			Policy: directory.DefaultPasswordPolicy, Now: now},
		Apps:    &apps.Applications{Store: store, Audit: rec, Now: now},
		Clients: clients, Location: time.UTC, Log: log, Now: now,
		Issuer: func(*http.Request) string { return "http://localhost/api/v1/oauth2" },
	}
	return &testAPI{api: api, store: store, token: tok.AccessToken, tenant: ten}
}

// serve sends one request to the route with the given method and path.
func (ta *testAPI) serve(method, pattern, path, body string) *httptest.ResponseRecorder {
	var h http.Handler
	for _, rt := range ta.api.Routes() {
		if rt.Method == method && rt.Path == pattern {
			h = ta.api.Handler(rt)
		}
	}
	mux := http.NewServeMux()
	mux.Handle(method+" "+pattern, h)
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+ta.token)
	req.Header.Set("Content-Type", "application/json")
	req.Body = http.MaxBytesReader(httptest.NewRecorder(), req.Body, 1<<20)
	req = req.WithContext(tenant.WithTenant(req.Context(), ta.tenant))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec
}

// FuzzCreateUserBody: no request body makes user creation answer 500 or
// panic; a refusal is always a 4xx with OneAccess's error body, and a 201
// always means the user can be read back.
func FuzzCreateUserBody(f *testing.F) {
	for _, seed := range []string{
		`{"user_name":"lihua","mobile":"13800001111","email":"lihua@example.com","password":"Xk9#pq2!vb"}`,
		`{"user_name":"a","mobile":"+86-152 0000 0000","user_org_relation_list":[{"orgCode":"HQ","relationType":0}]}`,
		`{"user_name":"b","mobile":"1","extension":{"k":null,"n":1.5,"b":true}}`,
		`{"user_name":123,"mobile":13800001111,"pwd_must_modify":"true"}`,
		`{"user_name":"c","mobile":"13800001112","attr_birthday":"2000-02-30","attr_gender":"unknow"}`,
		`{"user_name":"d","mobile":"13800001113","user_org_relation_list":[{"org_code":"X","relation_type":"2"}]}`,
		`{"extension":{"a":{"b":1}}}`, `{"user_org_relation_list":"x"}`, `[]`, `{`, `null`, ``, `{"user_name":"\u0000"}`,
	} {
		f.Add(seed)
	}
	ta := newTestAPI(f)
	f.Fuzz(func(t *testing.T, body string) {
		rec := ta.serve("POST", "/api/v2/tenant/users", "/api/v2/tenant/users", body)
		switch {
		case rec.Code == http.StatusCreated:
			var out struct{ UserID string }
			if err := jsonDecode(rec.Body.Bytes(), &out); err != nil || out.UserID == "" {
				t.Fatalf("201 without user_id: %s", rec.Body)
			}
			if got := ta.serve("GET", "/api/v2/tenant/users/{user_id}", "/api/v2/tenant/users/"+out.UserID, ""); got.Code != 200 {
				t.Fatalf("created user %s cannot be read: %d", out.UserID, got.Code)
			}
		case rec.Code == http.StatusBadRequest || rec.Code == http.StatusRequestEntityTooLarge:
			var e struct{ ErrorCode, ErrorMsg string }
			if err := jsonDecode(rec.Body.Bytes(), &e); err != nil || e.ErrorCode == "" || e.ErrorMsg == "" {
				t.Fatalf("%d without OneAccess error body: %s", rec.Code, rec.Body)
			}
		default:
			t.Fatalf("body %q: status %d %s", body, rec.Code, rec.Body)
		}
	})
}
